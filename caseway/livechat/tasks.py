"""Background tasks of live chat: a line said after the handoff goes on its case's timeline.

A chat line is stored and shown to both sides first (services.post_visitor_line,
agent.post_agent_line); these tasks then put it on the case, off the path of the person who
said it: a visitor's line through intake.receive() (the one intake path, idempotent by the
provider id chat:<token>:<client id>), an agent's through intake.send() on the chat channel,
as delivered (the visitor saw the line when it was stored: no adapter push follows).
The lines of a batch (livechat.batch) come as one task with all their ids, each line put
on its case in its own transaction, in order. Safe to run twice: the line row is locked and
a line that has its activity is left alone.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils.translation import gettext
from django_tasks import task

from caseway.core.kinds import ChannelKind
from caseway.intake.services import send
from caseway.livechat.exceptions import LineRefused
from caseway.livechat.models import ChatLine, LineRole
from caseway.livechat.services import receive_on_case

logger = logging.getLogger(__name__)


@task()
def record_line_on_case(line_id: int) -> str:
    """Make a visitor's or agent's chat line a timeline entry of the session's case."""
    return _record(line_id)


@task()
def record_lines_on_case(line_ids: list[int]) -> dict[str, int]:
    """record_line_on_case for each line of a batch, oldest first; how many ended how. A line
    that fails does not keep the others off their cases; the task then fails with it."""
    outcomes: dict[str, int] = {}
    failure: Exception | None = None
    for line_id in sorted(line_ids):
        try:
            outcome = _record(line_id)
        except Exception as exc:
            logger.exception("chat line %s not put on its case", line_id)
            failure = failure or exc
            outcome = "failed"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    if failure is not None:
        raise failure
    return outcomes


def _record(line_id: int) -> str:
    with transaction.atomic():
        line = (
            ChatLine.objects.select_for_update(of=("self",))
            .select_related("session__case", "author")
            .get(pk=line_id)
        )
        if line.activity_id is not None:
            return "recorded before"
        session = line.session
        if session.case is None:
            return "no case"
        if line.role == LineRole.VISITOR:
            try:
                activity = receive_on_case(
                    session=session, text=line.text, client_id=line.client_id
                )
            except LineRefused as exc:
                # intake kept the message as failed, with the reason; the chat has the line.
                logger.warning("chat line %s not put on its case: %s", line_id, exc)
                return "refused"
        elif line.role == LineRole.AGENT and line.author is not None:
            activity = send(
                case=session.case,
                agent=line.author,
                text=line.text,
                channel=ChannelKind.CHAT,
                delivered=gettext("shown in the live chat"),
            )
        else:
            return "not a line of either side"
        line.activity = activity
        line.save(update_fields=["activity"])
    return "recorded"
