"""Writes on many cases at once, for callers that work in batches (routing's assignment).

The same writes as their one-case services in services.py (owner, audit trail, timeline,
events), in a fixed number of statements for any number of cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction

from caseway.cases.events import CaseAssigned, CaseUpdated
from caseway.cases.models import OPEN_STATUSES, Activity, ActivityKind, AuditEntry, Case
from caseway.core import sql
from caseway.core.events import publish
from caseway.core.kinds import ChannelKind


@dataclass(frozen=True)
class Handout:
    """One waiting case for one agent: `owner_label` is the agent's name as the audit trail
    and the timeline show it."""

    case_id: int
    owner_id: int
    owner_label: str


def _column(name: str) -> str:
    return sql.quote(name, Case.objects.db)


class CasesChanged(Exception):
    """A case of the batch was no longer open and unowned: nothing was written."""


def hand_out(*, handouts: Sequence[Handout], at: datetime, load_counted: bool = False) -> None:
    """Give each unowned open case to its agent, as Caseway (assign_case with actor None).

    The caller holds the cases locked and has checked the owners are agents. Raises
    CasesChanged, in the caller's transaction, if any case was owned or closed meanwhile.
    `load_counted` tells the CaseAssigned handlers that the caller has already counted each
    case against its owner's capacity.
    """
    if not handouts:
        return
    with transaction.atomic():
        statuses = ", ".join(["%s"] * len(OPEN_STATUSES))
        changed = sql.update_each(
            Case,
            "id",
            {h.case_id: {"owner_id": h.owner_id} for h in handouts},
            same={"queued_at": None, "last_activity_at": at, "updated_at": at},
            where=f"{_column('owner_id')} IS NULL AND {_column('status')} IN ({statuses})",
            where_params=[str(status) for status in OPEN_STATUSES],
        )
        if changed != len(handouts):
            raise CasesChanged(f"{len(handouts) - changed} of {len(handouts)} cases changed")
        sql.insert_many(
            [
                AuditEntry(
                    case_id=h.case_id, actor=None, actor_label="Caseway", field="owner",
                    before="", after=h.owner_label, at=at,
                )
                for h in handouts
            ]
        )  # fmt: skip
        sql.insert_many(
            [
                Activity(
                    case_id=h.case_id,
                    kind=ActivityKind.ASSIGNMENT,
                    channel=ChannelKind.INTERNAL,
                    data={"from": "", "to": h.owner_label, "to_id": h.owner_id},
                    created_at=at,
                )
                for h in handouts
            ]
        )
    for h in handouts:
        publish(CaseUpdated(case_id=h.case_id, fields=("owner",)))
        publish(
            CaseAssigned(
                case_id=h.case_id,
                owner_id=h.owner_id,
                previous_owner_id=None,
                load_counted=load_counted,
            )
        )
