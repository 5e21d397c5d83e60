"""A conversation with the bot and its turns (what the customer asked, what the bot said)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.core.kinds import ChannelKind


class ConversationOutcome(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    UNANSWERED = "unanswered", _("Not answered")
    HELPED = "helped", _("Helped")
    NOT_HELPED = "not_helped", _("Did not help")
    HANDED_OFF = "handed_off", _("Handed off to a person")


class Conversation(models.Model):
    """One visitor's exchange with the bot, found again by its unguessable token.

    `outcome` follows the last thing that happened: an answer, the customer's verdict on it,
    or the handoff (which is final: `handed_off_case` is then set).
    """

    token = models.CharField(_("token"), max_length=64, unique=True)
    contact = models.ForeignKey(
        "customers.Contact",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bot_conversations",
    )
    channel = models.CharField(
        _("channel"), max_length=16, choices=ChannelKind.choices, default=ChannelKind.PORTAL
    )
    started_at = models.DateTimeField(_("started at"), auto_now_add=True, db_index=True)
    handed_off_case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bot_conversations",
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=16,
        choices=ConversationOutcome.choices,
        default=ConversationOutcome.OPEN,
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"conversation {self.pk} ({self.outcome})"

    @property
    def is_handed_off(self) -> bool:
        return self.handed_off_case_id is not None


class TurnRole(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    BOT = "bot", _("Bot")


class Turn(models.Model):
    """One line of a conversation. A bot turn that answered names its article and confidence;
    `is_helpful` is the customer's verdict on it (None until they give one)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    role = models.CharField(_("role"), max_length=10, choices=TurnRole.choices)
    text = models.TextField(_("text"))
    article = models.ForeignKey(
        "knowledge.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bot_turns",
    )
    url = models.CharField(_("article link"), max_length=300, blank=True)
    confidence = models.FloatField(_("confidence"), null=True, blank=True)
    is_handoff_offered = models.BooleanField(_("handoff offered"), default=False)
    is_helpful = models.BooleanField(_("helpful"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["conversation", "pk"]

    def __str__(self) -> str:
        return f"{self.role}: {self.text[:60]}"
