"""Channel kinds: the one vocabulary every app uses for "where did this come from"."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ChannelKind(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    VOICE = "voice", _("Phone")
    CHAT = "chat", _("Live chat")
    FACEBOOK = "facebook", _("Facebook")
    X = "x", _("X")
    PORTAL = "portal", _("Portal")
    API = "api", _("API")
    KIOSK = "kiosk", _("Kiosk")
    INTERNAL = "internal", _("Internal")


class AddressKind(models.TextChoices):
    """The kind of address an Identity holds. SMS and voice share phone numbers, and the portal,
    the API and the kiosk identify people by email, so one person stays one contact."""

    EMAIL = "email", _("Email")
    PHONE = "phone", _("Phone")
    FACEBOOK = "facebook", _("Facebook")
    X = "x", _("X")
    WEB = "web", _("Web visitor")
