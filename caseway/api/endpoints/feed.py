"""The customer's feed: every public message on their cases after a cursor, for polling."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from caseway.api.auth import require_customer
from caseway.api.errors import field_error
from caseway.api.mobile_schemas import CaseRefOut, FeedItemOut, FeedPage, FeedQuery
from caseway.api.outputs import activity_out
from caseway.api.queries import feed_for
from caseway.api.schemas import ErrorOut, ValidationErrorOut
from caseway.cases.models import CaseStatus

router = Router(tags=["feed"])


def parse_cursor(since: str) -> int:
    """A cursor is the id of the last entry seen; empty means from the beginning."""
    if not since:
        return 0
    if not since.isascii() or not since.isdigit():
        raise field_error(["query", "since"], _("Not a cursor from this feed."), "cursor")
    return int(since)


@router.get(
    "",
    response={200: FeedPage, 401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut},
    summary="Updates on your cases after a cursor (customers)",
)
def feed(request: HttpRequest, params: Query[FeedQuery]) -> FeedPage:
    """Messages in and out on every case you see, oldest first. Keep `next_cursor` and pass
    it as `since` next time; while `has_more` is true, call again at once. A cursor never
    goes stale: it is the position after the last item you saw."""
    caller, _contact = require_customer(request)
    after = parse_cursor(params.since)
    entries = feed_for(caller.user, after_id=after, limit=params.limit)
    has_more = len(entries) > params.limit
    entries = entries[: params.limit]
    items = [
        FeedItemOut(
            cursor=str(entry.pk),
            case=CaseRefOut(
                number=entry.case.number,
                subject=entry.case.subject,
                status=CaseStatus(entry.case.status),
            ),
            activity=activity_out(entry, for_agent=False),
        )
        for entry in entries
    ]
    return FeedPage(
        items=items, next_cursor=items[-1].cursor if items else str(after), has_more=has_more
    )
