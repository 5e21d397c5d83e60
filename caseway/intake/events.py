"""Events intake publishes after commit. Ids only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class MessageReceived:
    case_id: int
    activity_id: int
    is_new_case: bool
    channel: str


@dataclass(frozen=True)
class ReplySent:
    case_id: int
    activity_id: int
    channel: str
