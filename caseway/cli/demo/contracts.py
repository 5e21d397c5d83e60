"""The demo's SLAs: a round-the-clock premium policy that escalates, and contracts of every
kind (cases counted at creation, hours counted at resolution, one used up that blocks).

Policies and contracts are reference data a support manager keeps in /admin/; like the cast,
they are created with the ORM. The standard calendar, policy and the default entitlement come
from the sla app's data migration. Created before the stories, so demo cases get their SLA
through intake like any other case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from caseway.cases.models import Queue
from caseway.cli.demo.people import ESCALATIONS_SLUG, Cast
from caseway.customers.models import Account, AccountSize
from caseway.sla.models import (
    CustomerTier,
    DecrementOn,
    Entitlement,
    EntitlementTerm,
    OnExhausted,
    SlaAction,
    SlaActionKind,
    SlaKpi,
    SlaMoment,
    SlaPolicy,
    SlaTarget,
)

PREMIUM_POLICY = "Premium 24x7"
HOURS_ACCOUNT = "Fabrikam Studio"
BLOCKED_ACCOUNT = "Tailspin Toys"

# kpi, tier, target minutes, warn before (24x7: every minute counts).
PREMIUM_TARGETS = (
    (SlaKpi.FIRST_RESPONSE, CustomerTier.PREFERRED, 60, 15),
    (SlaKpi.FIRST_RESPONSE, CustomerTier.ANY, 120, 30),
    (SlaKpi.NEXT_RESPONSE, CustomerTier.PREFERRED, 60, 15),
    (SlaKpi.NEXT_RESPONSE, CustomerTier.ANY, 120, 30),
    (SlaKpi.RESOLUTION, CustomerTier.ANY, 8 * 60, 60),
)


@dataclass(frozen=True)
class DemoContracts:
    premium: SlaPolicy
    entitlements: list[Entitlement]


def create_contracts(cast: Cast, *, today: date | None = None) -> DemoContracts:
    """Create the premium policy and the demo contracts (call once, before the stories)."""
    today = today or timezone.localdate()
    premium = _create_premium_policy(cast.queues[ESCALATIONS_SLUG])
    # The policy everyone without a contract gets (sla's data migration creates it).
    standard = Entitlement.objects.select_related("policy").get(is_default=True).policy
    by_name = {account.name: account for account in cast.accounts}
    year = {"starts_on": today - timedelta(days=180), "ends_on": today + timedelta(days=185)}
    entitlements = [
        Entitlement.objects.create(
            name=f"{account.name}: Premium 24x7",
            account=account,
            policy=premium,
            term=EntitlementTerm.CASES,
            total=Decimal(50),
            remaining=Decimal(50),
            decrement_on=DecrementOn.CREATION,
            on_exhausted=OnExhausted.WARN,
            **year,
        )
        for account in _enterprise(cast.accounts)
    ]
    entitlements.append(
        Entitlement.objects.create(
            name=f"{HOURS_ACCOUNT}: 20 support hours",
            account=by_name[HOURS_ACCOUNT],
            policy=standard,
            term=EntitlementTerm.HOURS,
            total=Decimal(20),
            remaining=Decimal(20),
            decrement_on=DecrementOn.RESOLUTION,
            on_exhausted=OnExhausted.WARN,
            **year,
        )
    )
    # Used up and blocking: the account's new cases are refused, on every channel (the failed
    # inbound records say why; the portal tells the customer).
    entitlements.append(
        Entitlement.objects.create(
            name=f"{BLOCKED_ACCOUNT}: prepaid 10 cases",
            account=by_name[BLOCKED_ACCOUNT],
            policy=standard,
            term=EntitlementTerm.CASES,
            total=Decimal(10),
            remaining=Decimal(0),
            decrement_on=DecrementOn.CREATION,
            on_exhausted=OnExhausted.BLOCK,
            starts_on=today - timedelta(days=90),
        )
    )
    return DemoContracts(premium=premium, entitlements=entitlements)


def _enterprise(accounts: list[Account]) -> list[Account]:
    return [account for account in accounts if account.size == AccountSize.ENTERPRISE]


def _create_premium_policy(escalations: Queue) -> SlaPolicy:
    policy = SlaPolicy.objects.create(
        name=PREMIUM_POLICY,
        description=(
            "Round the clock for enterprise contracts: an answer within an hour for preferred "
            "customers (two otherwise), resolved within eight hours. A breach raises the "
            "priority and moves the case to Escalations."
        ),
        calendar=None,
    )
    SlaTarget.objects.bulk_create(
        SlaTarget(
            policy=policy,
            kpi=kpi,
            tier=tier,
            target_minutes=minutes,
            warn_before_minutes=warn,
        )
        for kpi, tier, minutes, warn in PREMIUM_TARGETS
    )
    SlaAction.objects.bulk_create(
        [
            SlaAction(policy=policy, moment=SlaMoment.WARNING, kind=SlaActionKind.NOTIFY),
            SlaAction(policy=policy, moment=SlaMoment.BREACH, kind=SlaActionKind.NOTIFY),
            SlaAction(policy=policy, moment=SlaMoment.BREACH, kind=SlaActionKind.RAISE_PRIORITY),
            SlaAction(
                policy=policy,
                moment=SlaMoment.BREACH,
                kind=SlaActionKind.MOVE_QUEUE,
                queue=escalations,
            ),
        ]
    )
    return policy
