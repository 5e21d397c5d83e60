"""Events cases publish after commit. Ids only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseOpened:
    case_id: int
    channel: str


@dataclass(frozen=True)
class ActivityAdded:
    case_id: int
    activity_id: int
    kind: str


@dataclass(frozen=True)
class CaseUpdated:
    case_id: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class NotificationSent:
    notification_id: int
    recipient_id: int


@dataclass(frozen=True)
class CaseAssigned:
    """`load_counted`: the assigner already counted the case against the new owner's
    capacity (routing's own assignments), so no recount is needed."""

    case_id: int
    owner_id: int | None
    previous_owner_id: int | None
    load_counted: bool = False
