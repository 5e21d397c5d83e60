"""The queues an agent works in, with their open and unassigned counts."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router

from caseway.api.auth import require_agent
from caseway.api.outputs import queue_out
from caseway.api.schemas import ErrorOut, QueueOut
from caseway.cases.queries import queues_visible_to

router = Router(tags=["queues"])


@router.get("", response={200: list[QueueOut], 401: ErrorOut, 403: ErrorOut}, summary="Your queues")
def list_queues(request: HttpRequest) -> list[QueueOut]:
    caller = require_agent(request)
    return [queue_out(queue) for queue in queues_visible_to(caller.user)]
