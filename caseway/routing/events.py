"""Events routing publishes after commit. Ids only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class CaseRouted:
    """A new case was placed in a queue and waits for assignment."""

    case_id: int
    queue_id: int


@dataclass(frozen=True)
class PresenceChanged:
    agent_id: int
    presence: str
