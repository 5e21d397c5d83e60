"""Events customers publish after commit. Ids only."""

from dataclasses import dataclass


@dataclass(frozen=True)
class ContactsMerged:
    merge_id: int
    survivor_id: int
    merged_id: int


@dataclass(frozen=True)
class ContactsUnmerged:
    merge_id: int
    survivor_id: int
    merged_id: int


@dataclass(frozen=True)
class MergeSuggested:
    suggestion_id: int
    contact_id: int
    other_id: int
