class IntakeError(Exception):
    """Base of what intake raises."""


class MessageRejected(IntakeError):
    """The message cannot become a case (empty, too long, a bad attachment); it is stored as
    failed with this reason."""


class NotEntitled(MessageRejected):
    """The customer's contract is used up and refuses new cases; the reason may be shown to
    the customer."""
