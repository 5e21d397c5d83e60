"""What assist's services raise."""


class AssistError(Exception):
    """Base of what assist raises."""


class EmptyQuestion(AssistError):
    """The question holds no text."""


class QuestionTooLong(AssistError):
    """The question is longer than QUESTION_MAX characters."""


class ConversationNotFound(AssistError):
    """No conversation has this token."""


class NotABotAnswer(AssistError):
    """Feedback names a turn that is not an answer of the bot in this conversation."""


class HandoffRefused(AssistError):
    """Intake refused the case (empty, too large, contract used up); the reason may be shown
    to the customer."""
