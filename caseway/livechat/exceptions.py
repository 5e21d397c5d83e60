"""What live chat's services raise; each message may be shown to the person who acted."""


class ChatError(Exception):
    """Base of what live chat raises."""


class BadPrechat(ChatError):
    """The pre-chat form is incomplete or invalid."""


class ChatEnded(ChatError):
    """The chat has ended: nothing more can be said in it."""


class NotYourChat(ChatError):
    """The agent neither holds nor was offered this chat."""


class LineRefused(ChatError):
    """The line is empty, too long, or its file was refused."""
