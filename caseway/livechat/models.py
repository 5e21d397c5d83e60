"""A chat session with a visitor, every line said in it, and canned responses for agents."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.assist.models import Conversation
from caseway.cases.models import Attachment, Case


class ChatState(models.TextChoices):
    BOT = "bot", _("With the bot")
    WAITING = "waiting", _("Waiting for a person")
    ACTIVE = "active", _("With a person")
    MESSAGE = "message", _("Left a message")
    ENDED = "ended", _("Ended")


class ChatSession(models.Model):
    """One visitor's chat, from the pre-chat form to its end.

    The visitor holds `token` (a secret, the only thing that lets a connection resume the
    session). Until the handoff the bot answers and `case` is empty; the handoff opens the case
    through intake, and from then on every visitor line is a message on that case.
    `visitor_read_id` / `agent_read_id`: the newest line each side has read.
    """

    token = models.CharField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"))
    origin = models.CharField(_("page origin"), max_length=200, blank=True)
    state = models.CharField(max_length=10, choices=ChatState.choices, default=ChatState.BOT)
    conversation = models.OneToOneField(
        Conversation, on_delete=models.PROTECT, related_name="chat_session"
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="chat_sessions"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_sessions",
        help_text=_("The person who accepted the chat."),
    )
    visitor_read_id = models.BigIntegerField(default=0)
    agent_read_id = models.BigIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True, db_index=True)
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("chat session")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}> ({self.get_state_display()})"

    @property
    def group(self) -> str:
        """The channel-layer group every connection of this session listens on."""
        return f"chat.session.{self.pk}"


class LineRole(models.TextChoices):
    VISITOR = "visitor", _("Visitor")
    BOT = "bot", _("Bot")
    AGENT = "agent", _("Agent")
    SYSTEM = "system", _("Caseway")


class ChatLine(models.Model):
    """One line of a chat, in order of id (the resume cursor).

    `client_id` is the sender's own id of a line (the widget or console makes one per message);
    a line sent again with the same id is not stored twice. `activity` is the timeline entry
    the line became (visitor and agent lines after the handoff).
    """

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="lines")
    role = models.CharField(max_length=10, choices=LineRole.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    text = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    client_id = models.CharField(max_length=64, blank=True)
    activity = models.ForeignKey(
        "cases.Activity", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    attachment = models.ForeignKey(
        Attachment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client_id"],
                condition=~models.Q(client_id=""),
                name="chatline_unique_client_id",
            )
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:40]}"


class CannedResponse(models.Model):
    """A ready answer an agent inserts into a chat and edits before sending."""

    title = models.CharField(_("title"), max_length=120)
    shortcut = models.SlugField(_("shortcut"), max_length=40, unique=True)
    text = models.TextField(_("text"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["title"]
        verbose_name = _("canned response")

    def __str__(self) -> str:
        return self.title


class ShareState(models.TextChoices):
    REQUESTED = "requested", _("Asked")
    SHARING = "sharing", _("Sharing")
    DECLINED = "declined", _("Declined")
    ENDED = "ended", _("Ended")


class ScreenShare(models.Model):
    """The agent of a chat asking to see the visitor's screen, and the share that followed.

    Only who and when are kept: the picture goes from the visitor's browser to the agent's
    over WebRTC and is never stored. `ended_by` is the role that ended it (visitor, agent,
    or system when the chat ended).
    """

    session = models.ForeignKey(ChatSession, on_delete=models.CASCADE, related_name="shares")
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="screen_shares"
    )
    state = models.CharField(
        max_length=10, choices=ShareState.choices, default=ShareState.REQUESTED
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=10, choices=LineRole.choices, blank=True)

    class Meta:
        verbose_name = _("screen share")
        constraints = [
            models.UniqueConstraint(
                fields=["session"],
                condition=models.Q(state__in=["requested", "sharing"]),
                name="screenshare_one_open_per_session",
            )
        ]

    def __str__(self) -> str:
        return f"screen share {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in (ShareState.REQUESTED, ShareState.SHARING)
