class ConnectorError(Exception):
    """Base of everything a connector raises."""


class BadSignature(ConnectorError):
    """What arrived is not signed the way its provider signs."""


class PayloadRejected(ConnectorError):
    """What arrived is malformed, too large or of a forbidden type."""


class NoAdapter(ConnectorError):
    """No adapter is registered for this channel."""
