"""Load the demo once: the cast, then `cases` case stories, then dates spread over 30 days."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from django.db import transaction

from caseway.cases.models import Activity, Case, Queue
from caseway.cli.demo.dates import spread_dates
from caseway.cli.demo.people import PREMIUM_SLUG, create_cast
from caseway.cli.demo.stories import Storyteller
from caseway.customers.models import Account, Contact, Identity

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
        teller = Storyteller(cast, rng)
        case_ids = [teller.tell().pk for _ in range(cases)]
        spread_dates(case_ids=case_ids, rng=rng, days=30)
        return summarize(case_ids, agents=len(cast.agents))


def summarize(case_ids: list[int], *, agents: int) -> SeedSummary:
    seeded = Case.objects.filter(pk__in=case_ids)
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
    )
