"""Everyone gets support: a standard calendar, a standard policy and the default entitlement
that covers customers without a contract. Admins change them; they must exist."""

import datetime

from django.conf import settings
from django.db import migrations

# (priority, first response, next response, resolution) in business minutes.
STANDARD_TARGETS = [
    ("urgent", 60, 60, 8 * 60),
    ("high", 4 * 60, 4 * 60, 3 * 8 * 60),
    ("normal", 8 * 60, 8 * 60, 5 * 8 * 60),
    ("low", 16 * 60, 16 * 60, 10 * 8 * 60),
]


def create_defaults(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    BusinessHours = apps.get_model("sla", "BusinessHours")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    SlaTarget = apps.get_model("sla", "SlaTarget")
    SlaAction = apps.get_model("sla", "SlaAction")
    Entitlement = apps.get_model("sla", "Entitlement")
    if Entitlement.objects.filter(is_default=True).exists():
        return
    calendar = BusinessCalendar.objects.create(
        name="Standard hours", timezone=settings.TIME_ZONE or "UTC"
    )
    BusinessHours.objects.bulk_create(
        BusinessHours(
            calendar=calendar,
            weekday=day,
            opens_at=datetime.time(9),
            closes_at=datetime.time(17),
        )
        for day in range(5)
    )
    policy = SlaPolicy.objects.create(
        name="Standard support",
        description="What every customer gets, with or without a contract.",
        calendar=calendar,
    )
    targets = []
    for priority, first, following, resolution in STANDARD_TARGETS:
        for kpi, minutes in (
            ("first_response", first),
            ("next_response", following),
            ("resolution", resolution),
        ):
            targets.append(
                SlaTarget(
                    policy=policy,
                    kpi=kpi,
                    priority=priority,
                    target_minutes=minutes,
                    warn_before_minutes=max(10, minutes // 5),
                )
            )
    SlaTarget.objects.bulk_create(targets)
    SlaAction.objects.bulk_create(
        [
            SlaAction(policy=policy, moment="warning", kind="notify"),
            SlaAction(policy=policy, moment="breach", kind="notify"),
            SlaAction(policy=policy, moment="breach", kind="raise_priority"),
        ]
    )
    Entitlement.objects.create(
        name="Standard support (no contract)",
        is_default=True,
        starts_on=datetime.date(2000, 1, 1),
        policy=policy,
        term="unlimited",
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
