"""Accounts, contacts and the addresses (identities) by which contacts reach us."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from caseway.core.kinds import AddressKind
from caseway.core.models import TimestampedModel


class AccountSize(models.TextChoices):
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    ENTERPRISE = "enterprise", _("Enterprise")


class Account(TimestampedModel):
    """A customer organisation. Never a login: logins are users."""

    name = models.CharField(_("name"), max_length=200)
    size = models.CharField(
        _("size band"), max_length=20, choices=AccountSize.choices, default=AccountSize.SMALL
    )
    is_preferred = models.BooleanField(_("preferred"), default=False)
    domain = models.CharField(_("email domain"), max_length=200, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Contact(TimestampedModel):
    """A person who asks for help, with or without an account and a portal login."""

    name = models.CharField(_("name"), max_length=200, blank=True)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact",
        help_text=_("The portal login of this contact, if they have one."),
    )
    email = models.EmailField(_("primary email"), blank=True)
    phone = models.CharField(_("primary phone"), max_length=32, blank=True)
    is_preferred = models.BooleanField(_("preferred"), default=False)
    is_account_admin = models.BooleanField(
        _("account admin"), default=False, help_text=_("Sees every case of the account.")
    )
    language = models.CharField(_("language"), max_length=16, default="en")
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC")
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_contacts",
        help_text=_("The contact this one was merged into; it keeps no identities or cases."),
    )
    merged_at = models.DateTimeField(_("merged"), null=True, blank=True)

    class Meta:
        ordering = ["name", "pk"]
        indexes = [
            # Merge suggestions look contacts up by their primary email and phone.
            models.Index(fields=["email"], name="contact_email"),
            models.Index(fields=["phone"], name="contact_phone"),
        ]
        permissions = [("merge_contact", _("Can merge and unmerge contacts"))]

    def __str__(self) -> str:
        return self.name or self.email or self.phone or f"Contact {self.pk}"

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def is_preferred_customer(self) -> bool:
        """Preferred on their own or through their account."""
        return self.is_preferred or bool(self.account and self.account.is_preferred)


class Identity(TimestampedModel):
    """One address on one channel (an email, a phone number, a Facebook id) of one contact."""

    kind = models.CharField(_("kind"), max_length=20, choices=AddressKind.choices)
    address = models.CharField(_("address"), max_length=320)
    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="identities")
    is_verified = models.BooleanField(_("verified"), default=False)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [
            models.UniqueConstraint(fields=["kind", "address"], name="identity_unique_address")
        ]

    def __str__(self) -> str:
        return f"{self.kind}:{self.address}"


_PHONE_JUNK = re.compile(r"[^\d+]")


def normalize_address(kind: str, address: str) -> str:
    """Return the canonical form of an address so one person maps to one identity."""
    address = address.strip()
    if kind == AddressKind.EMAIL:
        return address.lower()
    if kind == AddressKind.PHONE:
        digits = _PHONE_JUNK.sub("", address)
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        return digits
    return address


# Merges and their suggestions live in a module of their own; imported here so Django finds them.
from caseway.customers.merge_models import (  # noqa: E402
    ContactMerge,
    MergedIdentity,
    MergeSuggestion,
    SuggestionStatus,
)

__all__ = [
    "Account",
    "AccountSize",
    "Contact",
    "ContactMerge",
    "Identity",
    "MergeSuggestion",
    "MergedIdentity",
    "SuggestionStatus",
    "normalize_address",
]
