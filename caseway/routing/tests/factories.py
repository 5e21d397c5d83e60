import factory
from django.utils import timezone

from caseway.cases.tests.factories import CaseFactory, QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.routing.models import (
    AgentProfile,
    AgentSkill,
    CapacityProfile,
    CaseRequirement,
    Presence,
    QueueRouting,
    Skill,
)


class SkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Skill
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"Skill {n}")


class CapacityProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CapacityProfile

    name = factory.Sequence(lambda n: f"Capacity {n}")
    max_units = 10


class AgentProfileFactory(factory.django.DjangoModelFactory):
    """An available agent with no capacity profile (the default capacity) unless told."""

    class Meta:
        model = AgentProfile
        skip_postgeneration_save = True

    agent = factory.SubFactory(UserFactory, is_staff=True)
    presence = Presence.AVAILABLE

    @factory.post_generation
    def capacity(obj, create, extracted, **kwargs):
        """capacity=5 gives the agent a case profile of 5; capacity=[profile, ...] those."""
        if not create or extracted is None:
            return
        if isinstance(extracted, int):
            extracted = [CapacityProfileFactory(max_units=extracted, **kwargs)]
        obj.capacity_profiles.add(*extracted)


class AgentSkillFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AgentSkill

    agent = factory.SubFactory(UserFactory, is_staff=True)
    skill = factory.SubFactory(SkillFactory)
    proficiency = 3


class QueueRoutingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QueueRouting

    queue = factory.SubFactory(QueueFactory)


class WaitingCaseFactory(CaseFactory):
    """An unowned open case waiting in its queue since `queued_at`."""

    queued_at = factory.LazyFunction(timezone.now)


class CaseRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CaseRequirement

    case = factory.SubFactory(WaitingCaseFactory)
    skill = factory.SubFactory(SkillFactory)
    min_proficiency = 1


def make_agent(
    queue, *, name: str, presence=Presence.AVAILABLE, capacity=None, skills=None, **profile
):
    """A staff user who is a member of `queue` with a routing profile; skills={skill: level}."""
    user = UserFactory(username=name.lower(), first_name=name, last_name="", is_staff=True)
    if queue is not None:
        queue.members.add(user)
    AgentProfileFactory(agent=user, presence=presence, capacity=capacity, **profile)
    for skill, level in (skills or {}).items():
        AgentSkillFactory(agent=user, skill=skill, proficiency=level)
    return user
