"""Email on the wire: RFC 5322 bytes parsed into an InboundMessage (parsing, quoting,
classification of auto-replies and bounces), the inbound SMTP listener (aiosmtpd), IMAP
polling (imapclient) and the outbound adapter (Django's email backend). Knows addresses,
never which mailbox feeds which queue: intake passes that in."""
