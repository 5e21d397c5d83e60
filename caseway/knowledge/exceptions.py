class KnowledgeError(Exception):
    """Base of the errors knowledge's services raise."""


class ArticleTransitionNotAllowed(KnowledgeError):
    """The article's state does not allow this step (e.g. publishing a draft)."""

    def __init__(self, current: str, target: str) -> None:
        super().__init__(f"an article cannot go from {current!r} to {target!r}")
        self.current = current
        self.target = target


class ArticleNotEditable(KnowledgeError):
    """Archived articles are restored to draft before they are edited."""


class VersionNotFound(KnowledgeError):
    """The article has no version of that number."""


class InvalidSchedule(KnowledgeError):
    """A publish or expiry date that makes no sense (expiry before publication)."""


class AttachmentRefused(KnowledgeError):
    """A file over the size limit or of a type we do not take."""
