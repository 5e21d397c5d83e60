"""Voice webhooks: a call comes in (the caller's case is opened or continued and the call
rings an agent, else voicemail), the dial's outcome, the agent who answered, call status
and recordings.

Every URL Caseway gives Twilio in TwiML carries the call's activity id, so callbacks find
their call without a search; all are signed like the first webhook.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from caseway.api.telephony.common import form_of, open_case_of, twilio_webhook, twiml
from caseway.cases import telephony as case_telephony
from caseway.cases.models import Activity, ActivityKind, Case
from caseway.connectors.exceptions import PayloadRejected
from caseway.connectors.telephony import voice as voice_wire
from caseway.connectors.telephony.signature import public_url
from caseway.core.kinds import ChannelKind
from caseway.intake import services as intake
from caseway.intake.exceptions import MessageRejected
from caseway.routing import calls as routing_calls

BUSY = "All our agents are busy. Please leave a message after the tone and we will call you back."


def _url(name: str, *args: object) -> str:
    return public_url(reverse(f"telephony:{name}", args=args))


def _call_activity(activity_id: int) -> Activity:
    activity = (
        Activity.objects.select_related("case")
        .filter(pk=activity_id, kind=ActivityKind.PHONE_CALL, channel=ChannelKind.VOICE)
        .first()
    )
    if activity is None:
        raise PayloadRejected(f"no call activity {activity_id}")
    return activity


def _ring(activity: Activity, case: Case) -> str:
    """TwiML that rings the next agent for the call, or takes a voicemail."""
    tried = [int(x) for x in activity.data.get("rang", [])]
    agent_id = routing_calls.agent_for_call(case, skip=tried)
    if agent_id is None:
        return voice_wire.voicemail(
            recording_url=_url("voice_recorded", activity.pk),
            status_url=_url("voice_recording", activity.pk),
            reason=_(BUSY),
        )
    case_telephony.update_call(call_sid=activity.provider_id, rang=[*tried, agent_id])
    return voice_wire.dial_agent(
        agent_id=agent_id,
        action_url=_url("voice_dialed", activity.pk),
        answered_url=_url("voice_answered", activity.pk, agent_id),
    )


@twilio_webhook(ChannelKind.VOICE)
def incoming(request: HttpRequest) -> HttpResponse:
    call = voice_wire.parse_incoming(form_of(request))
    existing = open_case_of(call.caller)
    try:
        result = intake.receive(
            voice_wire.inbound_message(call, case_reference=existing.number if existing else "")
        )
    except MessageRejected:
        return twiml(voice_wire.goodbye(_("Sorry, we cannot take your call now. Goodbye.")))
    if result.activity is None:
        return twiml(voice_wire.goodbye())
    if result.is_replay and result.activity.data.get("rang"):
        # Twilio asked again for the same call: ring whoever it rang, do not start over.
        agent_id = int(result.activity.data["rang"][-1])
        return twiml(
            voice_wire.dial_agent(
                agent_id=agent_id,
                action_url=_url("voice_dialed", result.activity.pk),
                answered_url=_url("voice_answered", result.activity.pk, agent_id),
            )
        )
    case = Case.objects.get(pk=result.case.pk)  # its owner as routing left it after commit
    return twiml(_ring(result.activity, case))


@twilio_webhook(ChannelKind.VOICE)
def dialed(request: HttpRequest, activity_id: int) -> HttpResponse:
    """The <Dial> ended: answered and done (hang up), or nobody picked up (next agent or
    voicemail)."""
    form = form_of(request)
    voice_wire.call_sid(form)
    activity = _call_activity(activity_id)
    outcome = form.get("DialCallStatus", "")
    if outcome == "completed":
        duration = form.get("DialCallDuration", "")
        case_telephony.update_call(
            call_sid=activity.provider_id, talked=int(duration) if duration.isdigit() else None
        )
        return twiml(voice_wire.goodbye())
    if outcome not in ("busy", "no-answer", "failed", "canceled"):
        raise PayloadRejected(f"unknown DialCallStatus {outcome!r}")
    return twiml(_ring(activity, activity.case))


@twilio_webhook(ChannelKind.VOICE)
def answered(request: HttpRequest, activity_id: int, agent_id: int) -> HttpResponse:
    """The agent picked up: the case is theirs if nobody's, and pops open for them."""
    form = form_of(request)
    voice_wire.call_sid(form)
    activity = _call_activity(activity_id)
    if agent_id not in [int(x) for x in activity.data.get("rang", [])]:
        raise PayloadRejected(f"agent {agent_id} was not rung for this call")
    routing_calls.connect_call(
        case_id=activity.case_id, agent_id=agent_id, call_sid=activity.provider_id
    )
    case_telephony.update_call(call_sid=activity.provider_id, agent_id=agent_id)
    return HttpResponse(status=204)


@twilio_webhook(ChannelKind.VOICE)
def status(request: HttpRequest) -> HttpResponse:
    """The call's status callback (set on the number): status and duration."""
    update = voice_wire.parse_status(form_of(request))
    try:
        case_telephony.update_call(
            call_sid=update.sid, status=update.status, duration=update.duration
        )
    except case_telephony.CallNotFound as exc:
        raise PayloadRejected(f"no call {update.sid}") from exc
    return HttpResponse(status=204)


@twilio_webhook(ChannelKind.VOICE)
def recorded(request: HttpRequest, activity_id: int) -> HttpResponse:
    """<Record action>: the voicemail is over; thank the caller."""
    recording = voice_wire.parse_recording(form_of(request))
    activity = _call_activity(activity_id)
    case_telephony.add_call_recording(
        call_sid=activity.provider_id,
        recording_sid=recording.sid,
        url=recording.url,
        duration=recording.duration,
        is_voicemail=True,
    )
    return twiml(voice_wire.goodbye(_("Thank you, we will call you back. Goodbye.")))


@twilio_webhook(ChannelKind.VOICE)
def recording(request: HttpRequest, activity_id: int) -> HttpResponse:
    """recordingStatusCallback: the recording is stored at Twilio; keep its link."""
    recording = voice_wire.parse_recording(form_of(request))
    activity = _call_activity(activity_id)
    if recording.call_sid != activity.provider_id:
        raise PayloadRejected("the recording belongs to another call")
    if recording.status == "completed":
        case_telephony.add_call_recording(
            call_sid=activity.provider_id,
            recording_sid=recording.sid,
            url=recording.url,
            duration=recording.duration,
            is_voicemail=True,
        )
    return HttpResponse(status=204)
