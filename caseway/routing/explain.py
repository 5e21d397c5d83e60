"""Routing as an agent sees it: their presence and newest offer, the open offer of a case,
who of a queue is present, and each routing decision of a case made readable (the rules
tried with each condition, the candidates with their scores, why the winner won).

Reads only; the explanation JSON is written by services.py, assignment.py and offers.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from caseway.cases.models import Case, CasePriority
from caseway.routing.models import (
    AgentCall,
    AgentProfile,
    AssignmentMethod,
    DecisionKind,
    Offer,
    OfferStatus,
    OverflowAction,
    Presence,
)
from caseway.routing.queries import decisions_of


@dataclass(frozen=True)
class AgentBar:
    """What the workspace's top bar shows of the signed-in agent."""

    presence: str
    is_auto_busy: bool
    newest_offer_id: int
    newest_call_id: int = 0  # the newest phone call the agent took (the workspace pops it)

    @property
    def state(self) -> str:
        """The presence, or "full" when Caseway set the agent busy at full capacity."""
        return "full" if self.is_auto_busy and self.presence == Presence.BUSY else self.presence

    @property
    def label(self) -> str:
        if self.state == "full":
            return _("Busy (full)")
        return presence_label(self.presence)


def presence_label(value: str) -> str:
    return str(Presence(value).label) if value in Presence.values else value


def agent_bar(agent: AbstractBaseUser) -> AgentBar:
    """The agent's presence and the id of the newest offer ever made to them, in one query.

    An agent without a routing profile is offline and has had no offers (offers are only
    made to agents with a profile).
    """
    return agent_bars([agent.pk]).get(agent.pk, OFFLINE_BAR)


OFFLINE_BAR = AgentBar(presence=Presence.OFFLINE, is_auto_busy=False, newest_offer_id=0)


def agent_bars(agent_ids: list[int]) -> dict[int, AgentBar]:
    """`agent_bar` of several agents in one query (the workspace's live check of every page
    a process serves); agents without a routing profile are left out."""
    newest = Offer.objects.filter(agent_id=OuterRef("agent_id")).order_by("-pk").values("pk")[:1]
    call = AgentCall.objects.filter(agent_id=OuterRef("agent_id")).order_by("-pk").values("pk")
    rows = (
        AgentProfile.objects.filter(agent_id__in=agent_ids)
        .annotate(newest_offer=Subquery(newest), newest_call=Subquery(call[:1]))
        .values_list("agent_id", "presence", "is_auto_busy", "newest_offer", "newest_call")
    )
    return {
        agent_id: AgentBar(
            presence=presence,
            is_auto_busy=is_auto_busy,
            newest_offer_id=newest_offer or 0,
            newest_call_id=newest_call or 0,
        )
        for agent_id, presence, is_auto_busy, newest_offer, newest_call in rows
    }


def open_offer(case: Case, agent: AbstractBaseUser) -> Offer | None:
    """The offer of this case the agent has not answered yet, if any."""
    return (
        Offer.objects.filter(case_id=case.pk, agent_id=agent.pk, status=OfferStatus.OFFERED)
        .order_by("-pk")
        .first()
    )


def with_offer_flag(cases: QuerySet[Case], agent: AbstractBaseUser) -> QuerySet[Case]:
    """Annotate `offered_to_agent`: routing offered the case to the agent, who has not
    answered yet. In the same query as the cases."""
    offered = Offer.objects.filter(
        case_id=OuterRef("pk"), agent_id=agent.pk, status=OfferStatus.OFFERED
    )
    return cases.annotate(offered_to_agent=Exists(offered))


def offers_after(agent: AbstractBaseUser, after_id: int, *, limit: int = 5) -> list[Offer]:
    """The agent's offers newer than `after_id`, oldest first, with their cases."""
    rows = (
        Offer.objects.filter(agent_id=agent.pk, pk__gt=after_id)
        .select_related("case")
        .order_by("pk")[:limit]
    )
    return list(rows)


@dataclass(frozen=True)
class Member:
    """A member of a queue and their presence."""

    agent_id: int
    name: str
    presence: str
    is_auto_busy: bool

    @property
    def state(self) -> str:
        return "full" if self.is_auto_busy and self.presence == Presence.BUSY else self.presence

    @property
    def label(self) -> str:
        return _("Busy (full)") if self.state == "full" else presence_label(self.presence)


def queue_members(queue_id: int) -> list[Member]:
    """The agents of a queue with their presence, available ones first; one query."""
    users = (
        get_user_model()
        .objects.filter(case_queues=queue_id, is_active=True, is_staff=True)
        .select_related("routing_profile")
        .order_by("first_name", "last_name", "username")
    )
    members = []
    for user in users:
        profile: AgentProfile | None = getattr(user, "routing_profile", None)
        members.append(
            Member(
                agent_id=user.pk,
                name=user.get_full_name() or user.get_username(),
                presence=profile.presence if profile else Presence.OFFLINE,
                is_auto_busy=bool(profile and profile.is_auto_busy),
            )
        )
    order = {value: index for index, value in enumerate(Presence.values)}
    return sorted(members, key=lambda m: order.get(m.presence, len(order)))


# Decisions, readable.


@dataclass(frozen=True)
class CheckLine:
    condition: str
    passed: bool
    detail: str

    @property
    def text(self) -> str:
        """The detail, led by the condition unless it says it already ("language is en")."""
        if not self.detail or self.detail == self.condition:
            return self.condition
        if self.condition.lower() in self.detail.lower():
            return self.detail
        return f"{self.condition}: {self.detail}"


@dataclass(frozen=True)
class RuleLine:
    """A rule routing tried on the case, with each of its conditions."""

    name: str
    matched: bool
    checks: tuple[CheckLine, ...]


@dataclass(frozen=True)
class CandidateLine:
    """An agent assignment considered, with their score in the queue's method."""

    name: str
    score: str
    detail: str
    is_winner: bool
    lost: str = ""


@dataclass(frozen=True)
class SkippedLine:
    """An agent assignment left out, and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class DecisionLine:
    """A routing decision as the case view shows it."""

    kind: str
    kind_label: str
    summary: str
    at: datetime
    facts: tuple[tuple[str, str], ...] = ()
    rules: tuple[RuleLine, ...] = ()
    candidates: tuple[CandidateLine, ...] = ()
    candidates_more: int = 0
    skipped: tuple[SkippedLine, ...] = ()
    skipped_more: int = 0
    winner_why: str = ""
    winner_name: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def has_details(self) -> bool:
        return bool(
            self.facts
            or self.rules
            or self.candidates
            or self.skipped
            or self.winner_why
            or self.notes
        )


def _method_label(method: str) -> str:
    if method == "pick":
        return _("Picked by hand")
    return str(AssignmentMethod(method).label) if method in AssignmentMethod.values else method


def _priority_label(value: str) -> str:
    return str(CasePriority(value).label) if value in CasePriority.values else value


def _overflow_label(value: str) -> str:
    return str(OverflowAction(value).label) if value in OverflowAction.values else value


def _skip_reason(entry: dict[str, Any]) -> str:
    reason = str(entry.get("reason", ""))
    detail = str(entry.get("detail", "") or "")
    if reason == "presence":
        return _("presence: %(presence)s") % {"presence": presence_label(detail or "offline")}
    if reason == "capacity":
        return _("at capacity (%(detail)s)") % {"detail": detail} if detail else _("at capacity")
    if reason == "hours":
        return (
            _("outside working hours (%(hours)s)") % {"hours": detail}
            if detail
            else _("outside working hours")
        )
    if reason == "declined":
        return _("declined this case")
    if reason == "skills":
        return _("skills: %(detail)s") % {"detail": detail} if detail else _("skills do not match")
    if reason == "not_agent":
        return _("not an active agent")
    return f"{reason}: {detail}" if detail else reason


def _score(method: str, candidate: dict[str, Any]) -> tuple[str, str]:
    """The candidate's score as the queue's method reads it, and a detail line."""
    left = candidate.get("capacity_left")
    capacity = candidate.get("capacity")
    active = candidate.get("active")
    room = (
        _("%(left)s of %(max)s left") % {"left": left, "max": capacity}
        if left is not None and capacity is not None
        else ""
    )
    shortfall = int(candidate.get("shortfall") or 0)
    extra = _("short by %(n)d skill levels") % {"n": shortfall} if shortfall else ""
    if method == AssignmentMethod.ROUND_ROBIN:
        score = _("turn %(n)d") % {"n": int(candidate.get("score") or 0) + 1}
        detail = room
    elif method == AssignmentMethod.LEAST_ACTIVE:
        score = _("%(n)s active") % {"n": active if active is not None else "?"}
        detail = room
    else:
        score = room or str(candidate.get("score", ""))
        detail = _("%(n)s active") % {"n": active} if active is not None else ""
    return score, " · ".join(part for part in (detail, extra) if part)


def _rules(explanation: dict[str, Any]) -> tuple[RuleLine, ...]:
    lines = []
    for rule in explanation.get("rules") or ():
        checks = tuple(
            CheckLine(
                condition=str(check.get("condition", "")),
                passed=bool(check.get("passed")),
                detail=str(check.get("detail", "")),
            )
            for check in rule.get("checks") or ()
        )
        lines.append(
            RuleLine(
                name=str(rule.get("rule", "")), matched=bool(rule.get("matched")), checks=checks
            )
        )
    return tuple(lines)


def _route_line(base: dict[str, Any], explanation: dict[str, Any]) -> DecisionLine:
    facts: list[tuple[str, str]] = []
    if explanation.get("queue"):
        facts.append((_("Queue"), str(explanation["queue"])))
    if explanation.get("priority"):
        facts.append((_("Priority"), _priority_label(str(explanation["priority"]))))
    skills = [
        _("%(skill)s, level %(min)s or more") % {"skill": s.get("skill"), "min": s.get("min")}
        for s in explanation.get("skills") or ()
    ]
    facts.append((_("Required skills"), ", ".join(skills) if skills else _("none")))
    notes: list[str] = []
    if not explanation.get("rules") and "rules" in explanation:
        notes.append(_("No active rules: the default queue."))
    overflow = explanation.get("overflow")
    if overflow:
        facts.append(
            (
                _("Overflow"),
                _("%(reason)s: %(action)s")
                % {
                    "reason": overflow.get("reason", ""),
                    "action": _overflow_label(str(overflow.get("action", ""))).lower(),
                },
            )
        )
    return DecisionLine(**base, facts=tuple(facts), rules=_rules(explanation), notes=tuple(notes))


def _assign_line(base: dict[str, Any], explanation: dict[str, Any]) -> DecisionLine:
    method = str(explanation.get("method", ""))
    winner = explanation.get("winner") or {}
    winner_id = winner.get("agent_id")
    lost = {a.get("agent_id"): str(a.get("lost", "")) for a in explanation.get("attempts") or ()}
    facts: list[tuple[str, str]] = []
    if method:
        facts.append((_("Method"), _method_label(method)))
    requirements = [
        _("%(skill)s, level %(min)s or more")
        % {"skill": r.get("skill"), "min": r.get("min_proficiency")}
        for r in explanation.get("requirements") or ()
    ]
    if requirements:
        mode = explanation.get("skill_mode")
        match = _("closest match") if mode == "closest" else _("exact match")
        facts.append((_("Skills"), f"{', '.join(requirements)} ({match})"))
    if method == "pick" and explanation.get("capacity") is not None:
        facts.append(
            (
                _("Capacity"),
                _("%(left)s of %(max)s left")
                % {"left": explanation.get("capacity_left"), "max": explanation.get("capacity")},
            )
        )
    candidates = []
    for candidate in explanation.get("candidates") or ():
        score, detail = _score(method, candidate)
        agent_id = candidate.get("agent_id")
        candidates.append(
            CandidateLine(
                name=str(candidate.get("name", "")),
                score=score,
                detail=detail,
                is_winner=agent_id is not None and agent_id == winner_id,
                lost=lost.get(agent_id, ""),
            )
        )
    skipped = tuple(
        SkippedLine(name=str(s.get("name", "")), reason=_skip_reason(s))
        for s in explanation.get("skipped") or ()
    )
    shown_candidates = len(candidates)
    notes: list[str] = []
    if explanation.get("reason") == "max_declines":
        notes.append(
            _("Declined %(n)s times (at most %(max)s offers): it waits for someone to pick it.")
            % {"n": explanation.get("declines"), "max": explanation.get("max_declines")}
        )
    if method == AssignmentMethod.MANUAL:
        notes.append(_("This queue is worked by hand: agents pick its cases."))
    return DecisionLine(
        **base,
        facts=tuple(facts),
        candidates=tuple(candidates),
        candidates_more=max(0, int(explanation.get("candidates_total") or 0) - shown_candidates),
        skipped=skipped,
        skipped_more=max(0, int(explanation.get("skipped_total") or 0) - len(skipped)),
        winner_why=str(winner.get("why", "")),
        winner_name=str(winner.get("name", "")),
        notes=tuple(notes),
    )


def _other_line(base: dict[str, Any], explanation: dict[str, Any], kind: str) -> DecisionLine:
    facts: list[tuple[str, str]] = []
    if kind == DecisionKind.DECLINE and explanation.get("declines") is not None:
        limit = explanation.get("max_declines")
        facts.append(
            (
                _("Declines"),
                _("%(n)s of %(max)s") % {"n": explanation["declines"], "max": limit}
                if limit
                else str(explanation["declines"]),
            )
        )
    if kind == DecisionKind.OVERFLOW:
        if explanation.get("waited_minutes") is not None:
            facts.append(
                (
                    _("Waited"),
                    _("%(m)s min (limit %(limit)s min)")
                    % {
                        "m": explanation["waited_minutes"],
                        "limit": explanation.get("limit_minutes"),
                    },
                )
            )
        if explanation.get("action"):
            facts.append((_("Action"), _overflow_label(str(explanation["action"]))))
    if kind == DecisionKind.RELEASE and explanation.get("set_by"):
        facts.append((_("Set offline by"), str(explanation["set_by"])))
    return DecisionLine(**base, facts=tuple(facts))


def describe_decisions(case: Case) -> list[DecisionLine]:
    """The routing decisions of a case, oldest first, readable; one query."""
    lines = []
    for decision in decisions_of(case):
        explanation: dict[str, Any] = (
            decision.explanation if isinstance(decision.explanation, dict) else {}
        )
        base: dict[str, Any] = {
            "kind": decision.kind,
            "kind_label": decision.get_kind_display(),
            "summary": decision.summary,
            "at": decision.created_at,
        }
        if decision.kind == DecisionKind.ROUTE:
            lines.append(_route_line(base, explanation))
        elif decision.kind in (DecisionKind.ASSIGN, DecisionKind.WAIT):
            lines.append(_assign_line(base, explanation))
        else:
            lines.append(_other_line(base, explanation, decision.kind))
    return lines


def offer_reason(lines: list[DecisionLine]) -> str:
    """Why routing chose the agent, from the newest assignment decision ("" if none)."""
    for line in reversed(lines):
        if line.kind == DecisionKind.ASSIGN:
            return line.winner_why
    return ""
