"""Routing rules, compiled: the first active rule in order whose conditions all hold places a
new case. Evaluating them touches no database; the compiled set is cached in the process
and checked against the rules' and queues' last change in the statement that reads the
default queue, so routing a case costs that one statement."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from django.db import router
from django.utils.translation import gettext as _

from caseway.cases.models import Case, CasePriority, Queue
from caseway.cases.queries import default_queue
from caseway.core import sql
from caseway.routing.models import (
    AgentProfile,
    BusinessHoursCondition,
    Choice3,
    Presence,
    QueueRouting,
    RoutingRule,
)
from caseway.sla.calendar import WorkingCalendar
from caseway.sla.models import BusinessCalendar
from caseway.sla.policies import working_calendar


@dataclass(frozen=True)
class CaseFacts:
    """What routing rules look at: the new case and who it is from."""

    channel: str
    is_preferred: bool
    account_size: str
    has_contract: bool
    sla_policy_id: int | None
    priority: str
    language: str
    subject: str
    text: str
    product: str
    at: datetime


@dataclass(frozen=True)
class Check:
    condition: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class CompiledRule:
    id: int
    name: str
    channels: frozenset[str]
    preferred: str
    account_sizes: frozenset[str]
    has_contract: str
    sla_policy_id: int | None
    priorities: frozenset[str]
    languages: frozenset[str]
    keywords: tuple[str, ...]
    keyword_pattern: re.Pattern[str] | None
    products: frozenset[str]
    business_hours: str
    calendar: WorkingCalendar | None
    queue: Queue
    set_priority: str
    skills: tuple[tuple[int, str, int], ...]  # (skill id, name, minimum proficiency)

    def checks(self, facts: CaseFacts) -> list[Check]:
        """Every condition the rule sets, with whether the case meets it."""
        found: list[Check] = []

        def check(condition: str, passed: bool, detail: str) -> None:
            found.append(Check(condition, passed, detail))

        if self.channels:
            check("channel", facts.channel in self.channels, f"channel is {facts.channel}")
        if self.preferred:
            wanted = self.preferred == Choice3.YES
            check(
                "preferred",
                facts.is_preferred == wanted,
                "preferred customer" if facts.is_preferred else "not a preferred customer",
            )
        if self.account_sizes:
            size = facts.account_size or "none"
            check("account size", size in self.account_sizes, f"account size is {size}")
        if self.has_contract:
            wanted = self.has_contract == Choice3.YES
            check(
                "contract",
                facts.has_contract == wanted,
                "has a contract" if facts.has_contract else "has no contract",
            )
        if self.sla_policy_id is not None:
            check("SLA policy", facts.sla_policy_id == self.sla_policy_id, "SLA policy")
        if self.priorities:
            check("priority", facts.priority in self.priorities, f"priority is {facts.priority}")
        if self.languages:
            check("language", facts.language in self.languages, f"language is {facts.language}")
        if self.keyword_pattern is not None:
            hit = self.keyword_pattern.search(f"{facts.subject}\n{facts.text}")
            check("words", hit is not None, f"mentions {hit.group(0)!r}" if hit else "no keyword")
        if self.products:
            check("product", facts.product in self.products, f"product is {facts.product or '-'}")
        if self.business_hours and self.calendar is not None:
            is_open = self.calendar.is_open(facts.at)
            wanted = self.business_hours == BusinessHoursCondition.OPEN
            check(
                "business hours",
                is_open == wanted,
                "within business hours" if is_open else "outside business hours",
            )
        return found


@dataclass(frozen=True)
class QueueOverflow:
    queue_id: int
    max_items: int | None
    when_closed: bool
    max_expected_wait_minutes: int | None
    average_handle_minutes: int
    calendar: WorkingCalendar | None
    action: str
    overflow_queue: Queue | None


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    overflow: dict[int, QueueOverflow] = field(default_factory=dict)


def compile_rule(rule: RoutingRule) -> CompiledRule:
    words = tuple(w.strip().lower() for w in rule.keywords.split(",") if w.strip())
    pattern = (
        re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
        if words
        else None
    )
    return CompiledRule(
        id=rule.pk,
        name=rule.name,
        channels=frozenset(rule.channels or ()),
        preferred=rule.preferred,
        account_sizes=frozenset(rule.account_sizes or ()),
        has_contract=rule.has_contract,
        sla_policy_id=rule.sla_policy_id,
        priorities=frozenset(rule.priorities or ()),
        languages=frozenset(rule.languages or ()),
        keywords=words,
        keyword_pattern=pattern,
        products=frozenset(rule.products or ()),
        business_hours=rule.business_hours,
        calendar=working_calendar(rule.calendar) if rule.business_hours else None,
        queue=rule.queue,
        set_priority=rule.set_priority,
        skills=tuple(
            (s.skill_id, s.skill.name, s.min_proficiency)
            for s in sorted(rule.skills.all(), key=lambda s: s.skill.name)
        ),
    )


def compile_overflow(settings: QueueRouting) -> QueueOverflow:
    return QueueOverflow(
        queue_id=settings.queue_id,
        max_items=settings.overflow_max_items,
        when_closed=settings.overflow_when_closed,
        max_expected_wait_minutes=settings.overflow_max_expected_wait_minutes,
        average_handle_minutes=settings.average_handle_minutes,
        calendar=working_calendar(settings.calendar) if settings.calendar_id else None,
        action=settings.overflow_action,
        overflow_queue=settings.overflow_queue,
    )


def load_rule_set() -> RuleSet:
    rules = (
        RoutingRule.objects.filter(is_active=True)
        .select_related("queue", "calendar")
        .prefetch_related("skills__skill", "calendar__hours", "calendar__holidays")
        .order_by("order", "pk")
    )
    overflow = (
        QueueRouting.objects.exclude(overflow_action="")
        .select_related("calendar", "overflow_queue")
        .prefetch_related("calendar__hours", "calendar__holidays")
    )
    return RuleSet(
        rules=tuple(compile_rule(r) for r in rules),
        overflow={o.queue_id: compile_overflow(o) for o in overflow},
    )


# The rules, queues and calendars as of their last change: (count, last updated) of each.
_cache: dict[tuple[Any, ...], RuleSet] = {}
_lock = threading.Lock()


@cache
def _placement_sql(using: str) -> str:
    queues = sql.table(Queue, using)
    rules = sql.table(RoutingRule, using)
    routing = sql.table(QueueRouting, using)
    profiles = sql.table(AgentProfile, using)
    calendars = sql.table(BusinessCalendar, using)
    available = sql.quote("presence", using)
    return (
        f"SELECT {sql.columns(Queue, 'q', using)}, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {profiles} WHERE {available} = %s), "
        f"(SELECT COUNT(*) FROM {rules}), (SELECT MAX(updated_at) FROM {rules}), "
        f"(SELECT COUNT(*) FROM {queues}), (SELECT MAX(updated_at) FROM {queues}), "
        f"(SELECT COUNT(*) FROM {routing}), "
        f"(SELECT COUNT(*) FROM {calendars}), (SELECT MAX(updated_at) FROM {calendars}) "
        f"FROM {queues} q WHERE q.is_default LIMIT 1"
    )


@dataclass(frozen=True)
class Snapshot:
    """What placing a case needs to know, read in one statement."""

    default_queue: Queue
    rules: RuleSet
    is_anyone_available: bool


def current_rules() -> Snapshot:
    """The default queue, the compiled rule set and whether any agent is available at all,
    in one statement when nothing changed."""
    using = router.db_for_read(Queue)
    row = sql.fetch_one(_placement_sql(using), (Presence.AVAILABLE,), using)
    if row is None:  # someone deleted the default queue: default_queue() recreates it
        return Snapshot(default_queue(), load_rule_set(), is_anyone_available=True)
    reader = sql.RowReader(row, using)
    queue = reader.load(Queue)
    is_anyone_available = bool(row[reader.position])
    key = tuple(row[reader.position + 1 :])
    rule_set = _cache.get(key)
    if rule_set is None:
        rule_set = load_rule_set()
        with _lock:
            if len(_cache) > 16:
                _cache.clear()
            _cache[key] = rule_set
    return Snapshot(queue, rule_set, is_anyone_available)


def clear_rule_cache() -> None:
    with _lock:
        _cache.clear()


@dataclass(frozen=True)
class Match:
    rule: CompiledRule | None
    trail: list[dict[str, Any]]


def match_rule(rules: Iterable[CompiledRule], facts: CaseFacts) -> Match:
    """The first rule whose conditions all hold, and the trail of rules tried before it."""
    trail: list[dict[str, Any]] = []
    for rule in rules:
        checks = rule.checks(facts)
        failed = [c for c in checks if not c.passed]
        trail.append(
            {
                "rule_id": rule.id,
                "rule": rule.name,
                "matched": not failed,
                "checks": [
                    {"condition": c.condition, "passed": c.passed, "detail": c.detail}
                    for c in checks
                ],
            }
        )
        if not failed:
            return Match(rule, trail)
    return Match(None, trail)


def describe(match: Match) -> str:
    if match.rule is None:
        return _("No rule matched: the default queue.")
    reasons = [c["detail"] for c in match.trail[-1]["checks"]]
    because = ", ".join(reasons) if reasons else _("it matches every case")
    return _("Rule %(rule)s matched (%(because)s).") % {"rule": match.rule.name, "because": because}


def facts_for_case(case: Case, *, at: datetime | None = None) -> CaseFacts:
    """The facts rules saw (or would see) for an existing case: the rule tester's input."""
    from caseway.sla.models import SlaInstance

    contact = case.contact
    account = case.account
    timer = (
        SlaInstance.objects.filter(case=case).select_related("entitlement").order_by("pk").first()
    )
    entitlement = timer.entitlement if timer else None
    first = case.activities.filter(kind="message_in").order_by("created_at", "pk").first()
    return CaseFacts(
        channel=case.origin_channel,
        is_preferred=contact.is_preferred or bool(account and account.is_preferred),
        account_size=account.size if account else "",
        has_contract=entitlement is not None and not entitlement.is_default,
        sla_policy_id=timer.policy_id if timer else None,
        priority=str(CasePriority.NORMAL),
        language=contact.language,
        subject=case.subject,
        text=first.text if first else "",
        product=case.product,
        at=at or case.created_at,
    )
