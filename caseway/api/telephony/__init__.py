"""Twilio-compatible webhooks under /hooks/sms/ and /hooks/voice/: verify, store, answer
fast; intake.receive() and the cases/routing services do the rest."""
