"""Background tasks of live chat: a line said after the handoff goes on its case's timeline.

A chat line is stored and shown to both sides first (services.post_visitor_line,
agent.post_agent_line); these tasks then put it on the case, off the path of the person who
said it: a visitor's line through intake.receive() (the one intake path, idempotent by the
provider id chat:<token>:<client id>), an agent's through intake.send() on the chat channel,
as delivered (the visitor saw the line when it was stored: no adapter push follows).
The lines of a batch (livechat.batch) come as one task with all their ids, put on their
cases in order in one transaction (one line at a time, each in its own, if one fails).
Safe to run twice: the line row is locked and a line that has its activity is left alone.
"""

from __future__ import annotations

import logging
from collections import Counter

from django.db import transaction
from django.utils.translation import gettext
from django_tasks import task

from caseway.connectors.chat import pushes_folded
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
    """record_line_on_case for each line of a batch, oldest first; how many ended how.

    The whole batch in one transaction, its lines read and locked in one query. If a line
    fails, that transaction rolls back and each line goes again in its own, so one line does
    not keep the others off their cases; the task then fails with it. The workspace cues of
    all those timeline entries go as one message per group (pushes_folded)."""
    with pushes_folded():
        return _record_batch(line_ids)


def _record_batch(line_ids: list[int]) -> dict[str, int]:
    try:
        with transaction.atomic():
            lines = _locked_lines(line_ids)
            outcomes = Counter(
                _record_line(lines[line_id]) if line_id in lines else "gone"
                for line_id in sorted(line_ids)
            )
        return dict(outcomes)
    except Exception:  # noqa: BLE001 - any failure: the lines go again one by one, below
        logger.warning("a batch of %d chat lines goes again line by line", len(line_ids))
    outcomes = Counter[str]()
    failure: Exception | None = None
    for line_id in sorted(line_ids):
        try:
            outcomes[_record(line_id)] += 1
        except Exception as exc:
            logger.exception("chat line %s not put on its case", line_id)
            failure = failure or exc
            outcomes["failed"] += 1
    if failure is not None:
        raise failure
    return dict(outcomes)


def _locked_lines(line_ids: list[int]) -> dict[int, ChatLine]:
    lines = (
        ChatLine.objects.select_for_update(of=("self",))
        .select_related("session__case", "author")
        .filter(pk__in=line_ids)
        .order_by("pk")
    )
    return {line.pk: line for line in lines}


def _record(line_id: int) -> str:
    with transaction.atomic():
        line = _locked_lines([line_id]).get(line_id)
        return "gone" if line is None else _record_line(line)


def _record_line(line: ChatLine) -> str:
    """Put one locked line on its case, inside the caller's transaction."""
    if line.activity_id is not None:
        return "recorded before"
    session = line.session
    if session.case is None:
        return "no case"
    if line.role == LineRole.VISITOR:
        try:
            activity = receive_on_case(session=session, text=line.text, client_id=line.client_id)
        except LineRefused as exc:
            # intake kept the message as failed, with the reason; the chat has the line.
            logger.warning("chat line %s not put on its case: %s", line.pk, exc)
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
