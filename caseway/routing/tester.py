"""The rule tester: which rule a case, or a made-up message, matches, and why. Changes
nothing. Used by the admin and the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from caseway.cases.models import Case, CasePriority
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.customers.models import Contact, Identity, normalize_address
from caseway.routing.rules import CaseFacts, facts_for_case
from caseway.routing.services import place_case
from caseway.sla.exceptions import EntitlementExhausted
from caseway.sla.models import CustomerTier
from caseway.sla.services import choose_sla


class RuleTestForm(forms.Form):
    case = forms.CharField(
        required=False, help_text="A case number (CW-00042): test the case as it arrived."
    )
    channel = forms.ChoiceField(choices=ChannelKind.choices, initial=ChannelKind.EMAIL)
    email = forms.EmailField(required=False, help_text="The sender; empty: an unknown person.")
    subject = forms.CharField(required=False, max_length=300)
    text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4}))
    product = forms.CharField(required=False, max_length=120)
    priority = forms.ChoiceField(choices=CasePriority.choices, initial=CasePriority.NORMAL)
    at = forms.DateTimeField(required=False, help_text="When it arrives; empty: now.")

    def clean_case(self) -> Case | None:
        number = self.cleaned_data.get("case", "").strip()
        if not number:
            return None
        case = Case.objects.by_number(number).select_related("contact", "account").first()
        if case is None:
            raise ValidationError("No case with this number.")
        return case


def facts_for_message(
    *,
    channel: str,
    email: str = "",
    subject: str = "",
    text: str = "",
    product: str = "",
    priority: str = CasePriority.NORMAL,
    at: datetime | None = None,
) -> CaseFacts:
    """The facts of a made-up message from `email` (a known contact or a stranger)."""
    contact: Contact | None = None
    if email:
        identity = (
            Identity.objects.select_related("contact__account")
            .filter(kind=AddressKind.EMAIL, address=normalize_address(AddressKind.EMAIL, email))
            .first()
        )
        contact = identity.contact if identity else None
    account = contact.account if contact else None
    stranger = contact or Contact(language="en")
    try:
        choice = choose_sla(contact=stranger, channel=channel, product=product, priority=priority)
        has_contract = choice.entitlement is not None and not choice.entitlement.is_default
        policy_id = choice.policy.id if choice.policy else None
        preferred = choice.tier == CustomerTier.PREFERRED
    except EntitlementExhausted:
        has_contract, policy_id = True, None
        preferred = stranger.is_preferred or bool(account and account.is_preferred)
    return CaseFacts(
        channel=channel,
        is_preferred=preferred,
        account_size=account.size if account else "",
        has_contract=has_contract,
        sla_policy_id=policy_id,
        priority=priority,
        language=stranger.language,
        subject=subject,
        text=text,
        product=product,
        at=at or timezone.now(),
    )


def explain(data: dict[str, Any]) -> dict[str, Any]:
    """Run the rules on the case or message described by `data` (RuleTestForm's fields)."""
    case = data.get("case")
    if isinstance(case, Case):
        facts = facts_for_case(case, at=data.get("at") or None)
    else:
        facts = facts_for_message(
            channel=data.get("channel") or ChannelKind.EMAIL,
            email=data.get("email") or "",
            subject=data.get("subject") or "",
            text=data.get("text") or "",
            product=data.get("product") or "",
            priority=data.get("priority") or CasePriority.NORMAL,
            at=data.get("at") or None,
        )
    placement = place_case(facts)
    return {
        "summary": placement.summary,
        "queue": placement.queue.name,
        "priority": placement.priority,
        "rule": placement.explanation.get("rule"),
        "skills": placement.explanation.get("skills", []),
        "overflow": placement.explanation.get("overflow"),
        "trail": placement.explanation.get("rules", []),
        "facts": {
            "channel": facts.channel,
            "preferred": facts.is_preferred,
            "account_size": facts.account_size or None,
            "has_contract": facts.has_contract,
            "language": facts.language,
            "product": facts.product or None,
            "at": facts.at.isoformat(),
        },
    }
