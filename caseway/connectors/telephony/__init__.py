"""Twilio-compatible SMS and voice: signature checks, parsing of webhook forms into
InboundMessage, the REST client (messages out, media in), TwiML answers, SMS opt-outs."""
