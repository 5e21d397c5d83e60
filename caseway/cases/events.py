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
    case_id: int
    owner_id: int | None
    previous_owner_id: int | None
