"""Merges of contacts (one person, several contacts) and the suggestions that lead to them.

A merge is kept, never deleted: it records who merged which contact into which, when, and
exactly what moved, so that undoing it (unmerge) puts back exactly that. The cases a merge
moved are recorded by the cases app (`cases.MergedCase`), which knows cases.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ContactMerge(models.Model):
    """One contact (`merged`) merged into another (`survivor`) by an agent.

    `survivor_changes` maps each field of the survivor the merge filled in to
    [before, after] (a blank name, email, phone, or the account); `repointed` lists the
    contacts that had been merged into `merged` and now point at the survivor. Undone when
    `unmerged_at` is set; an undone merge stays as history.
    """

    survivor = models.ForeignKey(
        "customers.Contact", on_delete=models.PROTECT, related_name="merges_received"
    )
    merged = models.ForeignKey(
        "customers.Contact", on_delete=models.PROTECT, related_name="merges_given"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=200)
    merged_at = models.DateTimeField(db_index=True)
    survivor_changes = models.JSONField(default=dict, blank=True)
    repointed = models.JSONField(default=list, blank=True)
    unmerged_at = models.DateTimeField(null=True, blank=True)
    unmerged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unmerged_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-merged_at", "-pk"]
        constraints = [
            # A contact is merged away at most once at a time.
            models.UniqueConstraint(
                fields=["merged"],
                condition=models.Q(unmerged_at__isnull=True),
                name="contact_merged_once",
            )
        ]

    def __str__(self) -> str:
        return f"contact {self.merged_id} into {self.survivor_id}"

    @property
    def is_active(self) -> bool:
        return self.unmerged_at is None


class MergedIdentity(models.Model):
    """An identity a merge moved from the merged contact to the survivor."""

    merge = models.ForeignKey(ContactMerge, on_delete=models.CASCADE, related_name="identities")
    identity = models.ForeignKey(
        "customers.Identity", on_delete=models.CASCADE, related_name="merge_moves"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["merge", "identity"], name="merged_identity_once")
        ]

    def __str__(self) -> str:
        return f"identity {self.identity_id} in merge {self.merge_id}"


class SuggestionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    DISMISSED = "dismissed", _("Dismissed")
    MERGED = "merged", _("Merged")


class SuggestionSource(models.TextChoices):
    IDENTITY = "identity", _("a channel identity")
    DETAILS = "details", _("contact details")
    MESSAGE = "message", _("a message")


class MergeSuggestion(models.Model):
    """Two contacts that share a normalised email or phone number: maybe one person.

    One row per pair (`contact` has the lower id), whatever happens to it: a dismissed pair is
    never suggested again, and an unmerged pair counts as dismissed.
    """

    contact = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="suggestions_low"
    )
    other = models.ForeignKey(
        "customers.Contact", on_delete=models.CASCADE, related_name="suggestions_high"
    )
    kind = models.CharField(_("shared address kind"), max_length=20)
    address = models.CharField(_("shared address"), max_length=320)
    source = models.CharField(max_length=20, choices=SuggestionSource.choices)
    evidence = models.CharField(_("where it was seen"), max_length=300, blank=True)
    status = models.CharField(
        max_length=20, choices=SuggestionStatus.choices, default=SuggestionStatus.OPEN
    )
    created_at = models.DateTimeField(db_index=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by_label = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["contact", "other"], name="suggestion_pair_once"),
            models.CheckConstraint(
                condition=models.Q(contact__lt=models.F("other")), name="suggestion_pair_ordered"
            ),
        ]
        indexes = [
            models.Index(
                fields=["other"],
                condition=models.Q(status="open"),
                name="suggestion_open_other",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contact_id} ~ {self.other_id} ({self.kind} {self.address})"

    def partner_of(self, contact_id: int) -> int:
        return self.other_id if self.contact_id == contact_id else self.contact_id
