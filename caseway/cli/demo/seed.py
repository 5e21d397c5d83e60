"""Load the demo once: the cast, the SLA contracts, routing (skills, capacity, queue settings,
rules, agents present), then `cases` case stories, then dates spread over 30 days and the
team's presence as the demo starts."""

from __future__ import annotations

import logging
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from django.contrib.auth import get_user_model
from django.db import transaction

from caseway.cases.models import Activity, Case, Queue
from caseway.cases.similar import index_all_resolved
from caseway.cli.demo.contracts import create_contracts
from caseway.cli.demo.dates import spread_dates
from caseway.cli.demo.duplicates import DUPLICATES_FROM, create_duplicates
from caseway.cli.demo.knowledge import create_knowledge
from caseway.cli.demo.mailboxes import create_mailboxes, settle_demo_mail
from caseway.cli.demo.people import PREMIUM_SLUG, create_cast
from caseway.cli.demo.routing import create_routing, end_shift, start_shift
from caseway.cli.demo.stories import Storyteller
from caseway.customers.models import Account, Contact, Identity
from caseway.routing.models import DecisionKind, RoutingDecision, RoutingRule
from caseway.sla.models import Entitlement, SlaInstance, SlaPolicy

RANDOM_SEED = 20250601


@dataclass(frozen=True)
class SeedSummary:
    accounts: int
    contacts: int
    identities: int
    agents: int
    queues: int
    cases: int
    activities: int
    cases_by_status: dict[str, int]
    cases_by_channel: dict[str, int]
    policies: int
    contracts: int
    timers: int
    refused: int
    rules: int = 0
    cases_by_queue: dict[str, int] = field(default_factory=dict)
    routed_by_rule: int = 0
    assigned_by_routing: int = 0
    articles: int = 0


def is_seeded() -> bool:
    """The demo's own queue marks a database as seeded."""
    return Queue.objects.filter(slug=PREMIUM_SLUG).exists()


def seed_demo(*, cases: int = 200) -> SeedSummary | None:
    """Create the demo data in one transaction; None (and no change) when already there."""
    rng = random.Random(RANDOM_SEED)  # noqa: S311 - demo data, reproducible on purpose
    with transaction.atomic():
        if is_seeded():
            return None
        cast = create_cast(rng)
        create_contracts(cast)  # before the stories: intake gives their cases these SLAs
        create_routing(cast)  # before the stories: intake routes their cases by these rules
        create_mailboxes(cast)
        start_shift(cast)
        teller = Storyteller(cast, rng)
        with _refusals_expected():
            case_ids = [teller.tell().pk for _ in range(cases)]
        if cases >= DUPLICATES_FROM:
            # Two people on two channels each (four more cases): merge suggestions.
            case_ids += create_duplicates(cast)
        settle_demo_mail()
        spread_dates(case_ids=case_ids, rng=rng, days=30)
        customers = list(
            get_user_model().objects.filter(username__in=["customer", "manager"]).order_by("pk")
        )
        articles = create_knowledge(author=cast.agents["lead"], customers=customers)
        index_all_resolved()  # "similar resolved cases" in the case view
        end_shift(cast)
        return replace(
            summarize(case_ids, agents=len(cast.agents), refused=teller.refused),
            articles=articles,
        )


@contextmanager
def _refusals_expected() -> Iterator[None]:
    """The used-up contract refuses some demo messages on purpose and the summary counts
    them: intake's warning for each would only look like trouble on the start-up screen."""
    intake_logger = logging.getLogger("caseway.intake.services")
    level = intake_logger.level
    intake_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        intake_logger.setLevel(level)


def summarize(case_ids: list[int], *, agents: int, refused: int = 0) -> SeedSummary:
    seeded = Case.objects.filter(pk__in=case_ids)
    decisions = RoutingDecision.objects.filter(case_id__in=case_ids)
    return SeedSummary(
        accounts=Account.objects.count(),
        contacts=Contact.objects.count(),
        identities=Identity.objects.count(),
        agents=agents,
        queues=Queue.objects.count(),
        cases=seeded.count(),
        activities=Activity.objects.filter(case_id__in=case_ids).count(),
        cases_by_status=dict(Counter(seeded.values_list("status", flat=True))),
        cases_by_channel=dict(Counter(seeded.values_list("origin_channel", flat=True))),
        policies=SlaPolicy.objects.count(),
        contracts=Entitlement.objects.filter(is_default=False).count(),
        timers=SlaInstance.objects.filter(case_id__in=case_ids).count(),
        refused=refused,
        rules=RoutingRule.objects.count(),
        cases_by_queue=dict(Counter(seeded.values_list("queue__name", flat=True))),
        routed_by_rule=decisions.filter(kind=DecisionKind.ROUTE, rule__isnull=False).count(),
        assigned_by_routing=(
            decisions.filter(kind=DecisionKind.ASSIGN)
            .exclude(explanation__method="pick")  # by hand, not by routing
            .values("case_id")
            .distinct()
            .count()
        ),
    )
