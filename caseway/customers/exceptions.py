"""Errors the customers services raise. Their messages are shown to agents."""

from django.utils.translation import gettext as _


class CustomerError(Exception):
    """Base of the errors customers' services raise."""


class MergeRefused(CustomerError):
    """A merge or unmerge that would break the one-person-one-contact rules."""


class MergeIntoItself(MergeRefused):
    def __init__(self) -> None:
        super().__init__(_("A contact cannot be merged into itself."))


class AlreadyMerged(MergeRefused):
    def __init__(self, name: str) -> None:
        super().__init__(
            _("%(name)s has already been merged into another contact.") % {"name": name}
        )


class DifferentAccounts(MergeRefused):
    def __init__(self) -> None:
        super().__init__(_("The contacts belong to different accounts; move one first."))


class AlreadyUnmerged(MergeRefused):
    def __init__(self) -> None:
        super().__init__(_("This merge has already been undone."))


class SurvivorMergedSince(MergeRefused):
    def __init__(self, name: str) -> None:
        super().__init__(
            _("%(name)s has since been merged into another contact; undo that merge first.")
            % {"name": name}
        )


class NotAllowedToMerge(MergeRefused):
    def __init__(self) -> None:
        super().__init__(_("You do not have permission to merge contacts."))


class NotAnAgent(CustomerError):
    def __init__(self) -> None:
        super().__init__(_("Only agents may do this."))


class SuggestionDecided(CustomerError):
    """The suggestion was dismissed or merged already."""
