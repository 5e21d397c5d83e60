"""Screen sharing from a chat: the agent asks, the visitor agrees (or not), either side ends.

The picture itself never touches the server: the visitor's browser captures the screen
(getDisplayMedia) and sends it to the agent's browser over WebRTC. What the server does:
keep who asked, when it started and ended, and who ended it (`ScreenShare`); tell both sides
the share's state; relay the WebRTC signalling (offer, answer, ICE candidates) between the
two parties of the share only; and put the session on the case timeline when it is over.

Invariants: at most one open share per chat (a database constraint); only the agent holding
an active chat may ask; only that chat's visitor answers; only the share's agent and visitor
exchange signals; a share only moves forward (asked → sharing → ended, or asked → declined
or ended) and each end is noted on the timeline once.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext

from caseway.cases import services as case_services
from caseway.livechat.exceptions import LineRefused, NotYourChat
from caseway.livechat.lines import add_system_line
from caseway.livechat.models import ChatSession, ChatState, LineRole, ScreenShare, ShareState
from caseway.livechat.pushes import cue_after_commit
from caseway.routing.presence import display_name

# The largest signal relayed (an SDP offer of one video track is about 4-6 kB).
SIGNAL_MAX_BYTES = 32_000
OPEN_STATES = (ShareState.REQUESTED, ShareState.SHARING)


def ice_servers() -> list[dict[str, Any]]:
    """The RTCIceServer list both browsers use, from the settings."""
    servers: list[dict[str, Any]] = []
    if stun := list(settings.CASEWAY_WEBRTC_STUN_URLS):
        servers.append({"urls": stun})
    if turn := list(settings.CASEWAY_WEBRTC_TURN_URLS):
        servers.append(
            {
                "urls": turn,
                "username": settings.CASEWAY_WEBRTC_TURN_USERNAME,
                "credential": settings.CASEWAY_WEBRTC_TURN_CREDENTIAL,
            }
        )
    return servers


def payload(share: ScreenShare) -> dict[str, Any]:
    """The `share` message both sides get when its state changes."""
    return {
        "type": "share",
        "session": share.session_id,
        "share": share.pk,
        "state": share.state,
        "agent": display_name(share.agent),
        "ended_by": share.ended_by,
        "ice_servers": ice_servers(),
    }


def open_share(session: ChatSession) -> ScreenShare | None:
    return (
        ScreenShare.objects.select_related("agent")
        .filter(session=session, state__in=OPEN_STATES)
        .first()
    )


def share_of(session_id: int, share_id: int) -> ScreenShare | None:
    return (
        ScreenShare.objects.select_related("agent")
        .filter(session_id=session_id, pk=share_id)
        .first()
    )


def open_payload(session: ChatSession, agent_id: int | None = None) -> dict[str, Any] | None:
    """The open share of a chat as its `share` message (for a connection that (re)joins);
    for an agent, only their own share."""
    share = open_share(session)
    if share is None or (agent_id is not None and share.agent_id != agent_id):
        return None
    return payload(share) | {"rejoined": True}


def _cue(share: ScreenShare) -> None:
    cue_after_commit(
        f"chat.session.{share.session_id}",
        {"type": "chat.share", "session": share.session_id, "share": share.pk},
    )


def request_share(*, session: ChatSession, agent: AbstractBaseUser) -> ScreenShare:
    """The agent holding an active chat asks to see the visitor's screen. Asking again while
    a share is open answers with that share."""
    with transaction.atomic():
        locked = ChatSession.objects.select_for_update().get(pk=session.pk)
        if locked.agent_id != agent.pk:
            raise NotYourChat(session.pk)
        if locked.state != ChatState.ACTIVE:
            raise LineRefused(gettext("Screen sharing needs a chat you are in."))
        if (existing := open_share(locked)) is not None:
            return existing
        try:
            with transaction.atomic():
                share = ScreenShare.objects.create(session=locked, agent_id=agent.pk)
        except IntegrityError:  # a second request raced this one
            raced = open_share(locked)
            assert raced is not None
            return raced
        add_system_line(
            session=locked,
            text=gettext("%(agent)s asks to see your screen.") % {"agent": display_name(agent)},
        )
        _cue(share)
    return share


def answer_share(*, session: ChatSession, share_id: int, accept: bool) -> ScreenShare:
    """The visitor agrees to share (their browser then starts the capture) or declines."""
    with transaction.atomic():
        share = _locked(session, share_id)
        if share.state != ShareState.REQUESTED:
            return share
        now = timezone.now()
        if accept:
            share.state, share.started_at = ShareState.SHARING, now
            share.save(update_fields=["state", "started_at"])
            text = gettext("%(name)s is sharing their screen with %(agent)s.")
        else:
            share.state, share.ended_at, share.ended_by = ShareState.DECLINED, now, LineRole.VISITOR
            share.save(update_fields=["state", "ended_at", "ended_by"])
            text = gettext("%(name)s chose not to share their screen.")
            _note(share)
        add_system_line(
            session=share.session,
            text=text % {"name": share.session.name, "agent": display_name(share.agent)},
        )
        _cue(share)
    return share


def end_share(*, session: ChatSession, share_id: int, by: str) -> ScreenShare:
    """End an open share (`by`: the role ending it). Idempotent."""
    with transaction.atomic():
        share = _locked(session, share_id)
        if share.state in OPEN_STATES:
            _end(share, by)
    return share


def end_open_shares(*, session: ChatSession, by: str) -> None:
    """The chat ends: so does any share of it."""
    with transaction.atomic():
        for share in (
            ScreenShare.objects.select_for_update(of=("self",))
            .select_related("agent", "session__case")
            .filter(session=session, state__in=OPEN_STATES)
        ):
            _end(share, by)


def check_signal(*, session: ChatSession, share_id: int, role: str, user_id: int | None,
                 data: Any) -> ScreenShare:  # fmt: skip
    """May this side send this signal for this share? The share must be open and theirs (the
    visitor's only once they agreed), the data a JSON object within the size limit."""
    share = share_of(session.pk, share_id)
    if share is None or share.state not in OPEN_STATES:
        raise LineRefused(gettext("This screen share has ended."))
    if role == LineRole.AGENT and share.agent_id != user_id:
        raise NotYourChat(session.pk)
    if role == LineRole.VISITOR and share.state != ShareState.SHARING:
        raise LineRefused(gettext("The screen share has not started."))
    if not isinstance(data, dict) or len(json.dumps(data)) > SIGNAL_MAX_BYTES:
        raise LineRefused(gettext("That signal is not valid."))
    return share


def _locked(session: ChatSession, share_id: int) -> ScreenShare:
    share = (
        ScreenShare.objects.select_for_update(of=("self",))
        .select_related("agent", "session__case")
        .filter(session=session, pk=share_id)
        .first()
    )
    if share is None:
        raise LineRefused(gettext("This screen share has ended."))
    return share


def _end(share: ScreenShare, by: str) -> None:
    share.state, share.ended_at, share.ended_by = ShareState.ENDED, timezone.now(), by
    share.save(update_fields=["state", "ended_at", "ended_by"])
    add_system_line(session=share.session, text=gettext("Screen sharing ended."))
    _note(share)
    _cue(share)


def _note(share: ScreenShare) -> None:
    """The share on the case timeline: who, when, how long, who ended it."""
    case = share.session.case
    if case is None:
        return
    names = {"name": share.session.name, "agent": display_name(share.agent)}
    if share.state == ShareState.DECLINED:
        text = gettext("Screen share asked by %(agent)s: %(name)s declined.") % names
    elif share.started_at is None:
        text = gettext("Screen share asked by %(agent)s: ended before it started.") % names
    else:
        assert share.ended_at is not None
        start, end = timezone.localtime(share.started_at), timezone.localtime(share.ended_at)
        who: str = {
            LineRole.VISITOR.value: share.session.name,
            LineRole.AGENT.value: display_name(share.agent),
        }.get(share.ended_by, gettext("the end of the chat"))
        text = gettext(
            "Screen share: %(name)s showed their screen to %(agent)s from %(start)s to %(end)s "
            "(%(duration)s), ended by %(who)s."
        ) % (
            names
            | {
                "start": start.strftime("%H:%M:%S"),
                "end": end.strftime("%H:%M:%S"),
                "duration": _duration(end - start),
                "who": who,
            }
        )
    case_services.add_note(case=case, agent=share.agent, text=text)


def _duration(delta: timedelta) -> str:
    seconds = max(0, round(delta.total_seconds()))
    minutes, seconds = divmod(seconds, 60)
    if minutes:
        return gettext("%(m)d min %(s)d s") % {"m": minutes, "s": seconds}
    return gettext("%(s)d s") % {"s": seconds}
