import datetime

import factory

from caseway.sla.models import (
    BusinessCalendar,
    BusinessHours,
    Entitlement,
    SlaAction,
    SlaPolicy,
    SlaTarget,
)


class BusinessCalendarFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Calendar {n}")
    timezone = "Europe/Berlin"

    @factory.post_generation
    def weekdays(obj, create, extracted, **kwargs):
        """Mon-Fri 09:00-17:00 unless given [(weekday, opens, closes), ...]."""
        if extracted is None:
            extracted = [(day, datetime.time(9), datetime.time(17)) for day in range(5)]
        rows = extracted
        for weekday, opens, closes in rows:
            BusinessHours.objects.create(
                calendar=obj, weekday=weekday, opens_at=opens, closes_at=closes
            )


class SlaPolicyFactory(factory.django.DjangoModelFactory):
    """A 24x7 policy (no calendar) unless a calendar is given."""

    class Meta:
        model = SlaPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    calendar = None


def add_targets(policy, **minutes_by_kpi):
    """add_targets(policy, first_response=60, resolution=480, ...) for any priority/tier."""
    for kpi, minutes in minutes_by_kpi.items():
        SlaTarget.objects.create(
            policy=policy, kpi=kpi, target_minutes=minutes, warn_before_minutes=10
        )
    return policy


def add_action(policy, *, moment, kind, kpi="", queue=None):
    return SlaAction.objects.create(policy=policy, moment=moment, kind=kind, kpi=kpi, queue=queue)


class EntitlementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Entitlement

    name = factory.Sequence(lambda n: f"Contract {n}")
    starts_on = datetime.date(2020, 1, 1)
    policy = factory.SubFactory(SlaPolicyFactory)
