"""Voice: Twilio's call webhooks (incoming call, call status, dial result, recording) read
into plain values, and the TwiML Caseway answers with.

A call becomes an InboundMessage marked `is_call`, so intake records it as a phone-call
activity; later callbacks only update that activity (cases.calls).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from twilio.twiml.voice_response import Dial, VoiceResponse  # type: ignore[import-untyped]  # no stubs

from caseway.connectors.exceptions import PayloadRejected
from caseway.connectors.messages import InboundMessage, Sender
from caseway.connectors.telephony.phone import to_e164
from caseway.core.kinds import AddressKind, ChannelKind

_CALL_SID = re.compile(r"^CA[0-9a-fA-F]{32}$")
_RECORDING_SID = re.compile(r"^RE[0-9a-fA-F]{32}$")

CALL_STATUSES = frozenset(
    {"queued", "initiated", "ringing", "in-progress", "completed", "busy", "failed",
     "no-answer", "canceled"}
)  # fmt: skip
ENDED_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})


@dataclass(frozen=True)
class IncomingCall:
    sid: str
    caller: str  # E.164
    called: str
    status: str
    direction: str


def call_sid(form: Mapping[str, str]) -> str:
    sid = form.get("CallSid", "")
    if not _CALL_SID.match(sid):
        raise PayloadRejected("CallSid is missing or is not a call sid")
    return sid


def parse_incoming(form: Mapping[str, str]) -> IncomingCall:
    """Read Twilio's "a call comes in" form; PayloadRejected when it is not one."""
    sid = call_sid(form)
    caller = to_e164(form.get("From", "") or form.get("Caller", ""))
    if not caller:
        raise PayloadRejected("From is not a phone number (withheld or not a phone)")
    status = form.get("CallStatus", "ringing")
    if status not in CALL_STATUSES:
        raise PayloadRejected(f"unknown CallStatus {status!r}")
    return IncomingCall(
        sid=sid,
        caller=caller,
        called=form.get("To", "") or form.get("Called", ""),
        status=status,
        direction=form.get("Direction", "inbound"),
    )


def inbound_message(call: IncomingCall, *, case_reference: str = "") -> InboundMessage:
    """The call as intake takes it: continues the caller's open case when one is named."""
    return InboundMessage(
        channel=ChannelKind.VOICE,
        provider_id=call.sid,
        sender=Sender(kind=AddressKind.PHONE, address=call.caller),
        subject=f"Phone call from {call.caller}",
        case_reference=case_reference,
        continues_conversation=True,
        is_call=True,
        meta={
            "activity_data": {
                "direction": "inbound",
                "from": call.caller,
                "to": call.called,
                "status": call.status,
                "call_sid": call.sid,
            }
        },
    )


@dataclass(frozen=True)
class CallStatus:
    sid: str
    status: str
    duration: int | None


def parse_status(form: Mapping[str, str]) -> CallStatus:
    sid = call_sid(form)
    status = form.get("CallStatus", "")
    if status not in CALL_STATUSES:
        raise PayloadRejected(f"unknown CallStatus {status!r}")
    raw = form.get("CallDuration") or form.get("DialCallDuration") or ""
    if raw and not raw.isdigit():
        raise PayloadRejected("CallDuration is not a number of seconds")
    return CallStatus(sid=sid, status=status, duration=int(raw) if raw else None)


@dataclass(frozen=True)
class Recording:
    call_sid: str
    sid: str
    url: str
    duration: int | None
    status: str


def parse_recording(form: Mapping[str, str]) -> Recording:
    sid = form.get("RecordingSid", "")
    if not _RECORDING_SID.match(sid):
        raise PayloadRejected("RecordingSid is missing or is not a recording sid")
    url = form.get("RecordingUrl", "")
    if not url.startswith(("https://", "http://")):
        raise PayloadRejected("RecordingUrl is missing")
    raw = form.get("RecordingDuration", "")
    return Recording(
        call_sid=call_sid(form),
        sid=sid,
        url=url,
        duration=int(raw) if raw.isdigit() else None,
        status=form.get("RecordingStatus", "completed"),
    )


def agent_identity(agent_id: int) -> str:
    """The Twilio Client identity an agent's softphone registers with."""
    return f"agent-{agent_id}"


def dial_agent(*, agent_id: int, action_url: str, answered_url: str) -> str:
    """TwiML that rings the agent's softphone; `action_url` hears how the dial ended and
    `answered_url` when the agent picked up."""
    response = VoiceResponse()
    dial = Dial(action=action_url, method="POST", timeout=settings.TWILIO_DIAL_TIMEOUT)
    dial.client(
        agent_identity(agent_id),
        status_callback_event="answered",
        status_callback=answered_url,
        status_callback_method="POST",
    )
    response.append(dial)
    return str(response)


def voicemail(*, recording_url: str, status_url: str, reason: str) -> str:
    """TwiML that says why nobody answers and records a message."""
    response = VoiceResponse()
    response.say(reason)
    response.record(
        action=recording_url,
        method="POST",
        max_length=settings.TWILIO_VOICEMAIL_MAX_SECONDS,
        play_beep=True,
        recording_status_callback=status_url,
        recording_status_callback_method="POST",
    )
    response.say("We did not hear a message. Goodbye.")
    return str(response)


def goodbye(text: str = "") -> str:
    response = VoiceResponse()
    if text:
        response.say(text)
    response.hangup()
    return str(response)
