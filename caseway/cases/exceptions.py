class CaseError(Exception):
    """Base of the errors cases' services raise."""


class TransitionNotAllowed(CaseError):
    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"a case cannot go from {current!r} to {target!r}")
        self.current = current
        self.target = target


class CaseClosed(CaseError):
    """The case is resolved or cancelled and the change needs an open case."""


class NotAnAgent(CaseError):
    """Only agents may do this."""


class EmptyMessage(CaseError):
    """A message needs text or an attachment."""


class AttachmentRejected(CaseError):
    """An attachment is too large or of a type we do not accept."""
