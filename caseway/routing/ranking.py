"""Ranking the candidates of a case: skill match (exact, else closest), the queue's method
(highest capacity, round robin, least active; ties to the longest idle), and the words that
explain the outcome. Pure but for `skill_levels`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from caseway.routing.models import AgentSkill, AssignmentMethod, WorkKind
from caseway.routing.queries import Capacity

# Sorts never-assigned agents first (the flag) and ties them on this.
_NEVER = datetime.min.replace(tzinfo=UTC)


@dataclass(frozen=True)
class QueueMethod:
    """A queue's QueueRouting, or the defaults when it has none."""

    method: str = AssignmentMethod.HIGHEST_CAPACITY
    work_kind: str = WorkKind.CASE
    max_declines: int = 3
    last_assigned_agent_id: int | None = None


@dataclass(eq=False)
class Candidate:
    """An agent who could take work now, as plain values: `used` and `active` follow the
    assignments of the batch being planned."""

    agent_id: int
    name: str
    last_assigned_at: datetime | None
    capacity: Capacity
    today: date
    used: int
    active: int
    shortfall: int = 0
    score: int = 0

    @property
    def left(self) -> int:
        return self.capacity.max_units - self.used

    def describe(self) -> dict[str, Any]:
        last = self.last_assigned_at
        return {
            "agent_id": self.agent_id,
            "name": self.name,
            "score": self.score,
            "capacity_left": self.left,
            "capacity": self.capacity.max_units,
            "active": self.active,
            "shortfall": self.shortfall,
            "last_assigned_at": last.isoformat() if last else None,
        }


# An agent left out of a case's candidates: (agent id, name, reason, detail).
Skip = tuple[int, str, str, str]


def skip_entry(agent_id: int, name: str, reason: str, detail: str = "") -> dict[str, Any]:
    """A Skip as the explanation stores it."""
    return {"agent_id": agent_id, "name": name, "reason": reason, "detail": detail}


def skill_levels(agent_ids: list[int], skill_ids: set[int]) -> dict[tuple[int, int], int]:
    """Proficiency by (agent, skill), for these agents and skills: one query."""
    if not agent_ids or not skill_ids:
        return {}
    return {
        (agent_id, skill_id): level
        for agent_id, skill_id, level in AgentSkill.objects.filter(
            agent_id__in=agent_ids, skill_id__in=skill_ids
        ).values_list("agent_id", "skill_id", "proficiency")
    }


def match_skills(
    pool: list[Candidate],
    requirements: list[tuple[int, str, int]],
    skipped: list[Skip],
    levels: dict[tuple[int, int], int],
) -> tuple[list[Candidate], str]:
    """Keep the exact matches (every skill at its level), else those closest to it (smallest
    total proficiency shortfall). Tell which mode applied."""
    if not requirements:
        return pool, "none"
    get = levels.get
    for candidate in pool:
        agent_id = candidate.agent_id
        shortfall = 0
        for skill_id, _name, level in requirements:
            missing = level - get((agent_id, skill_id), 0)
            if missing > 0:
                shortfall += missing
        candidate.shortfall = shortfall
    best = min((c.shortfall for c in pool), default=0)
    chosen = [c for c in pool if c.shortfall == best]
    mode = "exact" if best == 0 else "closest"
    if len(chosen) < len(pool):
        for candidate in pool:
            if candidate.shortfall != best:
                detail = f"short by {candidate.shortfall} levels"
                skipped.append((candidate.agent_id, candidate.name, "skills", detail))
    return chosen, mode


def order_candidates(pool: list[Candidate], method: QueueMethod) -> list[Candidate]:
    """Candidates in the order the queue's method tries them, each with its score. Ties go
    to the longest idle: never assigned first, then the oldest last assignment."""
    if method.method == AssignmentMethod.ROUND_ROBIN:
        by_id = sorted(pool, key=lambda c: c.agent_id)
        after = method.last_assigned_agent_id or 0
        ordered = [c for c in by_id if c.agent_id > after] + [
            c for c in by_id if c.agent_id <= after
        ]
        for position, candidate in enumerate(ordered):
            candidate.score = position
        return ordered
    if method.method == AssignmentMethod.LEAST_ACTIVE:
        for candidate in pool:
            candidate.score = candidate.active
    else:
        for candidate in pool:
            candidate.score = -(candidate.capacity.max_units - candidate.used)
    ordered = sorted(
        pool,
        key=lambda c: (
            c.score,
            c.last_assigned_at is not None,
            c.last_assigned_at or _NEVER,
            c.agent_id,
        ),
    )
    if method.method != AssignmentMethod.LEAST_ACTIVE:
        for candidate in ordered:
            candidate.score = -candidate.score  # capacity left: the higher the better
    return ordered


def why_won(winner: Candidate, ordered: list[Candidate], method: QueueMethod, last: str) -> str:
    tie = any(c is not winner and c.score == winner.score for c in ordered)
    if method.method == AssignmentMethod.ROUND_ROBIN:
        return _("next in turn after %(last)s") % {"last": last} if last else _("first in turn")
    if method.method == AssignmentMethod.LEAST_ACTIVE:
        why = _("fewest active items (%(n)d)") % {"n": winner.active}
    else:
        why = _("most capacity left (%(left)d of %(max)d)") % {
            "left": winner.left,
            "max": winner.capacity.max_units,
        }
    return why + (_("; tie broken by longest idle") if tie else "")


def assign_summary(winner: Candidate, method: QueueMethod, last: str, mode: str) -> str:
    if method.method == AssignmentMethod.ROUND_ROBIN:
        text = _("Assigned to %(agent)s (round robin: %(why)s)") % {
            "agent": winner.name,
            "why": _("next after %(last)s") % {"last": last} if last else _("first in turn"),
        }
    elif method.method == AssignmentMethod.LEAST_ACTIVE:
        text = ngettext(
            "Assigned to %(agent)s (least active: %(n)d open item)",
            "Assigned to %(agent)s (least active: %(n)d open items)",
            winner.active,
        ) % {"agent": winner.name, "n": winner.active}
    else:
        text = _("Assigned to %(agent)s (highest available capacity: %(left)d of %(max)d left)") % {
            "agent": winner.name,
            "left": winner.left,
            "max": winner.capacity.max_units,
        }
    if mode == "closest":
        text += " " + ngettext(
            "Closest skill match: short by %(n)d level.",
            "Closest skill match: short by %(n)d levels.",
            winner.shortfall,
        ) % {"n": winner.shortfall}
    return text
