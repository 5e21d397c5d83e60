"""The demo's routing: skills and what each agent is good at, capacity profiles, how each queue
assigns and overflows, the rules that place new cases; agents present while the stories are
told, then a mix of presences as a team would have it.

Skills, profiles, queue settings and rules are reference data an administrator keeps in
/admin/; like the cast and the contracts they are created with the ORM. Presence goes through
caseway.routing.presence.set_presence.

The demo is loaded in one transaction, so what Caseway does after a commit (routing a new
case to an agent, counting loads, following SLA timers) would wait for the very end. The
stories call settle() after each step instead: it runs those reactions at once, as they run
after each commit in production.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import Max

from caseway.cases.models import OPEN_STATUSES, Case, CasePriority
from caseway.cli.demo.people import ESCALATIONS_SLUG, PREMIUM_SLUG, Cast
from caseway.core.kinds import ChannelKind
from caseway.customers.models import AccountSize
from caseway.routing.models import (
    AgentProfile,
    AgentSkill,
    AssignmentMethod,
    BusinessHoursCondition,
    CapacityProfile,
    Choice3,
    Offer,
    OverflowAction,
    Presence,
    QueueRouting,
    RoutingRule,
    RuleSkill,
    Skill,
    WorkKind,
)
from caseway.routing.presence import set_presence
from caseway.sla.models import BusinessCalendar, Entitlement

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ROUTER_SKILL = "Router X certified"
BILLING_SKILL = "Billing"
SKILLS = (
    (ROUTER_SKILL, "Set up, update and troubleshoot the Aurora X2 router: Wi-Fi, firmware, mesh."),
    (BILLING_SKILL, "Invoices, refunds, payment methods and subscriptions."),
    ("German", "Answers customers in German."),
    ("Enterprise accounts", "Knows the enterprise contracts and who to call there."),
)
# Proficiency 1 (beginner) to 5 (expert). The administrator has none: they work no queue.
AGENT_SKILLS: dict[str, dict[str, int]] = {
    "agent": {ROUTER_SKILL: 4, "German": 3},
    "billing": {BILLING_SKILL: 5, "German": 2},
    "priya": {ROUTER_SKILL: 5, "Enterprise accounts": 4},
    "tomas": {BILLING_SKILL: 2, "German": 5, "Enterprise accounts": 3},
    "lead": {BILLING_SKILL: 3, ROUTER_SKILL: 3, "Enterprise accounts": 5},
}
STANDARD_CAPACITY = ("Standard", WorkKind.CASE, 10)
CHAT_CAPACITY = ("Chat", WorkKind.CHAT, 3)
# Who works cases while the stories are told (the administrator stays offline throughout).
WORKING_AGENTS = ("agent", "billing", "priya", "tomas", "lead")
# How the team is found when the demo starts: some in, some out.
PRESENCE_AT_START = {
    "agent": Presence.AVAILABLE,
    "priya": Presence.AVAILABLE,
    "tomas": Presence.DO_NOT_DISTURB,
    "billing": Presence.AWAY,
    "lead": Presence.BUSY,
}
PREMIUM_OVERFLOW_ABOVE = 20
GENERAL_WAIT_LIMIT_MINUTES = 240


@dataclass(frozen=True)
class DemoRule:
    order: int
    name: str
    queue: str
    description: str
    keywords: str = ""
    channels: tuple[str, ...] = ()
    preferred: str = ""
    account_sizes: tuple[str, ...] = ()
    has_contract: str = ""
    business_hours: str = ""
    set_priority: str = ""
    skill: tuple[str, int] | None = None


RULES = (
    DemoRule(
        10, "Preferred enterprise customers", PREMIUM_SLUG,
        "Preferred enterprise accounts with a contract go straight to Premium support.",
        preferred=Choice3.YES, account_sizes=(AccountSize.ENTERPRISE,),
        has_contract=Choice3.YES, set_priority=CasePriority.HIGH,
    ),
    DemoRule(
        20, "Billing questions", "billing",
        "Money matters go to Billing, to someone who knows billing.",
        keywords="invoice, refund, billing, charge", skill=(BILLING_SKILL, 2),
    ),
    DemoRule(
        30, "Router trouble", "technical",
        "Router and Wi-Fi problems go to a certified technician.",
        keywords="router, wifi, modem, firmware", skill=(ROUTER_SKILL, 3),
    ),
    DemoRule(
        40, "Calls and texts after hours", "general",
        "Someone who calls or texts outside business hours is waiting by the phone.",
        channels=(ChannelKind.VOICE, ChannelKind.SMS),
        business_hours=BusinessHoursCondition.CLOSED, set_priority=CasePriority.HIGH,
    ),
)  # fmt: skip


def create_routing(cast: Cast) -> None:
    """Create skills, capacity, queue settings and rules (call once, before the stories)."""
    skills = {
        name: Skill.objects.create(name=name, description=description)
        for name, description in SKILLS
    }
    standard, chat = (
        CapacityProfile.objects.create(name=name, work_kind=kind, max_units=units)
        for name, kind, units in (STANDARD_CAPACITY, CHAT_CAPACITY)
    )
    AgentSkill.objects.bulk_create(
        AgentSkill(agent=cast.agents[username], skill=skills[skill], proficiency=level)
        for username, levels in AGENT_SKILLS.items()
        for skill, level in levels.items()
    )
    for agent in cast.agents.values():
        profile = AgentProfile.objects.create(agent=agent)
        if agent.username in WORKING_AGENTS:
            profile.capacity_profiles.add(standard, chat)
    _create_queue_routing(cast)
    standard_hours = _standard_hours()
    for rule in RULES:
        created = RoutingRule.objects.create(
            name=rule.name,
            order=rule.order,
            description=rule.description,
            queue=cast.queues[rule.queue],
            keywords=rule.keywords,
            channels=list(rule.channels),
            preferred=rule.preferred,
            account_sizes=list(rule.account_sizes),
            has_contract=rule.has_contract,
            business_hours=rule.business_hours,
            calendar=standard_hours if rule.business_hours else None,
            set_priority=rule.set_priority,
        )
        if rule.skill is not None:
            name, level = rule.skill
            RuleSkill.objects.create(rule=created, skill=skills[name], min_proficiency=level)


def _create_queue_routing(cast: Cast) -> None:
    queues = cast.queues
    general = queues["general"]
    QueueRouting.objects.bulk_create(
        [
            QueueRouting(
                queue=queues[PREMIUM_SLUG],
                method=AssignmentMethod.HIGHEST_CAPACITY,
                priority=10,
                overflow_max_items=PREMIUM_OVERFLOW_ABOVE,
                overflow_action=OverflowAction.MOVE_QUEUE,
                overflow_queue=general,
            ),
            QueueRouting(
                queue=general,
                method=AssignmentMethod.ROUND_ROBIN,
                wait_limit_minutes=GENERAL_WAIT_LIMIT_MINUTES,
                wait_action=OverflowAction.NOTIFY,
            ),
            QueueRouting(queue=queues["technical"], method=AssignmentMethod.LEAST_ACTIVE),
            QueueRouting(queue=queues["billing"], method=AssignmentMethod.HIGHEST_CAPACITY),
            # Breached premium cases: before anything else, to whoever has the most room.
            QueueRouting(
                queue=queues[ESCALATIONS_SLUG],
                method=AssignmentMethod.HIGHEST_CAPACITY,
                priority=20,
            ),
        ]
    )


def _standard_hours() -> BusinessCalendar | None:
    """The calendar of the policy everyone without a contract gets (sla's data migration)."""
    return (
        Entitlement.objects.select_related("policy__calendar").get(is_default=True).policy.calendar
    )


def start_shift(cast: Cast) -> None:
    """Make the working agents available, so the stories' new cases go to them."""
    _set_presences(cast.agents, dict.fromkeys(WORKING_AGENTS, Presence.AVAILABLE))
    settle()


def end_shift(cast: Cast) -> None:
    """Leave the team as the demo starts: some available, some away or busy.

    Call after the dates were spread: the idle clocks follow the offers' new dates, and what
    the presence changes set off (available agents take waiting cases) happens now.
    """
    last_offers = dict(
        Offer.objects.values("agent_id")
        .annotate(last=Max("offered_at"))
        .values_list("agent_id", "last")
    )
    for profile in AgentProfile.objects.filter(agent_id__in=list(last_offers)):
        profile.last_assigned_at = last_offers[profile.agent_id]
        profile.save(update_fields=["last_assigned_at", "updated_at"])
    _make_room(cast)
    _set_presences(cast.agents, PRESENCE_AT_START)
    settle()


def _make_room(cast: Cast) -> None:
    """Size the demo's case capacity so the agents who start available have room after they
    take the waiting backlog: the stories took cases by hand past any everyday capacity, and
    a demo where every new case waits (and Take is refused) shows nothing of routing."""
    starting = [cast.agents[u].pk for u, p in PRESENCE_AT_START.items() if p == Presence.AVAILABLE]
    open_cases = Case.objects.filter(status__in=OPEN_STATUSES)
    held = max(
        (open_cases.filter(owner_id=pk).count() for pk in starting),
        default=0,
    )
    waiting = open_cases.filter(owner__isnull=True).count()
    room = held + waiting // max(len(starting), 1) + 20
    name, _kind, units = STANDARD_CAPACITY
    CapacityProfile.objects.filter(name=name).update(max_units=max(units, room))


def _set_presences(agents: dict[str, User], presences: Mapping[str, str]) -> None:
    for username, presence in presences.items():
        set_presence(agent=agents[username], presence=presence)


def settle(*, using: str = DEFAULT_DB_ALIAS) -> None:
    """Run the after-commit reactions of what the demo wrote so far, now, and forget them
    (so they do not run a second time when the demo's transaction commits).

    Only for the demo, which is written in one transaction: every reaction is idempotent and
    runs in the same order it would after each commit. Reactions that publish more events are
    run too, until none is left. Outside a transaction there is nothing to do.
    """
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        return
    while connection.run_on_commit:
        pending = list(connection.run_on_commit)
        connection.run_on_commit.clear()
        for entry in pending:
            entry[1]()  # (savepoint ids, callback, robust)
