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


@dataclass(frozen=True)
class CallConnected:
    """An agent answered a customer's call about a case (the workspace pops it open)."""

    agent_call_id: int
    case_id: int
    agent_id: int
