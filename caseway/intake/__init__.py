"""Intake: receive() turns every InboundMessage into a case or a reply on one, and send()
hands every reply to its channel's adapter. Imports core, customers, connectors, cases.
Publishes MessageReceived and ReplySent."""
