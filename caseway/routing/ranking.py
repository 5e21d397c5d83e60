"""Ranking the candidates of a case: skill match (exact, else closest), the queue's method
(highest capacity, round robin, least active; ties to the longest idle), and the words that
explain the outcome. Pure but for one read of agents' skills."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from caseway.routing.models import AgentProfile, AgentSkill, AssignmentMethod, WorkKind
from caseway.routing.presence import display_name
from caseway.routing.queries import Capacity

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class QueueMethod:
    """A queue's QueueRouting, or the defaults when it has none."""

    method: str = AssignmentMethod.HIGHEST_CAPACITY
    work_kind: str = WorkKind.CASE
    max_declines: int = 3
    last_assigned_agent_id: int | None = None


@dataclass
class Candidate:
    user: User
    profile: AgentProfile
    capacity: Capacity
    today: date
    used: int
    active: int
    shortfall: int = 0
    score: int = 0

    @property
    def left(self) -> int:
        return self.capacity.max_units - self.used

    @property
    def name(self) -> str:
        return display_name(self.user)

    def describe(self) -> dict[str, Any]:
        last = self.profile.last_assigned_at
        return {
            "agent_id": self.user.pk,
            "name": self.name,
            "score": self.score,
            "capacity_left": self.left,
            "capacity": self.capacity.max_units,
            "active": self.active,
            "shortfall": self.shortfall,
            "last_assigned_at": last.isoformat() if last else None,
        }


def skip_entry(user: AbstractBaseUser, reason: str, detail: str = "") -> dict[str, Any]:
    return {"agent_id": user.pk, "name": display_name(user), "reason": reason, "detail": detail}


def match_skills(
    pool: list[Candidate], requirements: list[tuple[int, str, int]], skipped: list[dict[str, Any]]
) -> tuple[list[Candidate], str]:
    """Keep the exact matches (every skill at its level), else those closest to it (smallest
    total proficiency shortfall). Tell which mode applied."""
    if not requirements:
        return pool, "none"
    levels: dict[tuple[int, int], int] = {
        (agent_id, skill_id): level
        for agent_id, skill_id, level in AgentSkill.objects.filter(
            agent_id__in=[c.user.pk for c in pool], skill_id__in=[r[0] for r in requirements]
        ).values_list("agent_id", "skill_id", "proficiency")
    }
    for candidate in pool:
        candidate.shortfall = sum(
            max(0, level - levels.get((candidate.user.pk, skill_id), 0))
            for skill_id, _name, level in requirements
        )
    exact = [c for c in pool if c.shortfall == 0]
    if exact:
        chosen, mode = exact, "exact"
    else:
        best = min((c.shortfall for c in pool), default=0)
        chosen, mode = [c for c in pool if c.shortfall == best], "closest"
    for candidate in pool:
        if candidate not in chosen:
            skipped.append(
                skip_entry(candidate.user, "skills", f"short by {candidate.shortfall} levels")
            )
    return chosen, mode


def _idle(candidate: Candidate) -> tuple[bool, datetime]:
    """Longest idle first: never assigned, then the oldest last assignment."""
    last = candidate.profile.last_assigned_at
    return (last is not None, last or timezone.now())


def order_candidates(pool: list[Candidate], method: QueueMethod) -> list[Candidate]:
    """Candidates in the order the queue's method tries them, each with its score."""
    if method.method == AssignmentMethod.ROUND_ROBIN:
        by_id = sorted(pool, key=lambda c: c.user.pk)
        after = method.last_assigned_agent_id or 0
        ordered = [c for c in by_id if c.user.pk > after] + [c for c in by_id if c.user.pk <= after]
        for position, candidate in enumerate(ordered):
            candidate.score = position
        return ordered
    if method.method == AssignmentMethod.LEAST_ACTIVE:
        for candidate in pool:
            candidate.score = candidate.active
        return sorted(pool, key=lambda c: (c.active, *_idle(c), c.user.pk))
    for candidate in pool:
        candidate.score = candidate.left
    return sorted(pool, key=lambda c: (-c.left, *_idle(c), c.user.pk))


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
