"""Voice through the real webhooks: a call finds the caller, opens or continues a case, rings
an available agent (or takes a voicemail), pops the case for the agent who answers; status
and recording callbacks; calls logged by hand."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from caseway.api.tests.twilio_support import SITE, load, post_signed, run_fake_twilio
from caseway.cases.models import Activity, ActivityKind, Case
from caseway.core.kinds import ChannelKind
from caseway.intake.models import InboundRecord, InboundStatus
from caseway.routing.models import AgentCall, Presence
from caseway.routing.presence import set_presence

pytestmark = pytest.mark.django_db

HOOK = "/hooks/voice/"


@pytest.fixture
def fake_twilio(settings):
    yield from run_fake_twilio(settings)


@pytest.fixture
def available(agent):
    set_presence(agent=agent, presence=Presence.AVAILABLE)
    return agent


def _call(client, **changes):
    form = {**load("voice_incoming"), **changes}
    return post_signed(client, HOOK, form), form


def _path(url: str) -> str:
    assert url.startswith(SITE)
    return url[len(SITE) :]


def test_a_call_opens_a_case_and_rings_an_available_agent(
    client, fake_twilio, available, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response, form = _call(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    xml = response.content.decode()
    assert "<Client" in xml and f">agent-{available.pk}</Client>" in xml
    case = Case.objects.get()
    assert case.origin_channel == ChannelKind.VOICE
    assert case.owner_id == available.pk  # routing gave it to the only available agent
    call = case.activities.get(kind=ActivityKind.PHONE_CALL)
    assert call.provider_id == form["CallSid"]
    assert call.data["from"] == "+14155550142" and call.data["direction"] == "inbound"
    assert call.data["rang"] == [available.pk]
    assert not call.is_public


def test_nobody_available_gets_a_voicemail(client, fake_twilio, agent, default_queue):
    response, _ = _call(client)
    xml = response.content.decode()
    assert "<Say>" in xml and "<Record" in xml and "<Dial" not in xml
    call = Activity.objects.get(kind=ActivityKind.PHONE_CALL)
    action = re.search(r'<Record action="([^"]+)"', xml).group(1)
    assert _path(action) == f"/hooks/voice/{call.pk}/recorded/"
    recorded = post_signed(client, _path(action), load("voice_recording"))
    assert recorded.status_code == 200 and b"<Hangup" in recorded.content
    call.refresh_from_db()
    assert call.data["voicemail"] is True
    assert call.data["recordings"][0]["url"].endswith("RE1a2b3c4d5e6f708192a3b4c5d6e7f809")
    status = re.search(r'recordingStatusCallback="([^"]+)"', xml).group(1)
    assert post_signed(client, _path(status), load("voice_recording")).status_code == 204
    call.refresh_from_db()
    assert len(call.data["recordings"]) == 1  # the same recording is kept once


def test_a_call_continues_the_callers_open_case(
    client, fake_twilio, available, make_message, django_capture_on_commit_callbacks
):
    from caseway.connectors.messages import Sender
    from caseway.intake.services import receive

    with django_capture_on_commit_callbacks(execute=True):
        earlier = receive(
            make_message(channel="sms", sender=Sender(kind="phone", address="+14155550142"))
        ).case
        _call(client)
    assert Case.objects.count() == 1
    assert earlier.activities.filter(kind=ActivityKind.PHONE_CALL).exists()


def test_the_agent_who_answers_gets_the_case_popped(
    client, fake_twilio, available, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = _call(client)
    xml = response.content.decode()
    answered = _path(re.search(r'<Client statusCallback="([^"]+)"', xml).group(1))
    agent_client = Client()
    agent_client.force_login(available)
    page = agent_client.get("/agent/")
    seen_call = re.search(rb'name="seen_call" value="(\d+)"', page.content).group(1).decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert post_signed(client, answered, load("voice_answered")).status_code == 204
    case = Case.objects.get()
    assert AgentCall.objects.get().case == case
    poll = agent_client.get("/agent/poll/", {"seen_call": seen_call})
    assert b'data-testid="call-pop"' in poll.content
    assert f'data-open="/agent/cases/{case.number}/"'.encode() in poll.content
    again = agent_client.get("/agent/poll/", {"seen_call": str(AgentCall.objects.get().pk)})
    assert b"call-pop" not in again.content
    # Answering again (a retried callback) pops nothing new.
    post_signed(client, answered, load("voice_answered"))
    assert AgentCall.objects.count() == 1


def test_the_live_check_names_a_call(available, fake_twilio):
    from caseway.workspace.live_check import changes, read_state

    before = read_state(available)
    assert before["call"] == 0
    after = {**before, "call": 7}
    assert changes(before, after) == ["call"]


def test_no_answer_rings_nobody_twice_and_ends_in_voicemail(
    client, fake_twilio, available, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response, _ = _call(client)
    action = _path(re.search(r'<Dial action="([^"]+)"', response.content.decode()).group(1))
    after = post_signed(client, action, load("voice_dial_no_answer"))
    assert after.status_code == 200
    assert b"<Record" in after.content and b"<Dial" not in after.content


def test_status_callback_records_duration_and_status(client, fake_twilio, agent, default_queue):
    _call(client)
    response = post_signed(client, "/hooks/voice/status/", load("voice_status_completed"))
    assert response.status_code == 204
    call = Activity.objects.get(kind=ActivityKind.PHONE_CALL)
    assert call.data["status"] == "completed" and call.data["duration"] == 187
    late = {**load("voice_status_completed"), "CallStatus": "ringing", "CallDuration": ""}
    post_signed(client, "/hooks/voice/status/", late)
    call.refresh_from_db()
    assert call.data["status"] == "completed"  # never back from an ended call


def test_the_timeline_shows_the_call(client, fake_twilio, agent, default_queue):
    _call(client)
    post_signed(client, "/hooks/voice/status/", load("voice_status_completed"))
    case = Case.objects.get()
    case.queue.members.add(agent)
    viewer = Client()
    viewer.force_login(agent)
    page = viewer.get(f"/agent/cases/{case.number}/").content.decode()
    assert 'data-testid="call-details"' in page
    assert "3:07" in page and "+14155550142" in page


def test_a_replayed_call_sid_creates_nothing_new(client, fake_twilio, agent, default_queue):
    _call(client)
    response, _ = _call(client)
    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert Activity.objects.filter(kind=ActivityKind.PHONE_CALL).count() == 1
    assert InboundRecord.objects.count() == 1


def test_a_forged_call_is_refused_and_nothing_stored(client, fake_twilio, default_queue):
    form = load("voice_incoming")
    assert post_signed(client, HOOK, form, signature="Zm9yZ2Vk").status_code == 403
    assert not InboundRecord.objects.exists() and not Case.objects.exists()
    assert post_signed(client, "/hooks/voice/status/", load("voice_status_completed"),
                       signature="Zm9yZ2Vk").status_code == 403  # fmt: skip


def test_a_malformed_call_is_a_400_and_kept(client, fake_twilio, default_queue):
    response, _ = _call(client, CallSid="not-a-sid")
    assert response.status_code == 400
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED and "CallSid" in record.error
    assert not Case.objects.exists()
    unknown_call = {**load("voice_status_completed"), "CallSid": "CA" + "0" * 32}
    unknown = post_signed(client, "/hooks/voice/status/", unknown_call)
    assert unknown.status_code == 400


def test_an_agent_logs_a_call_by_hand(agent, customer, default_queue, make_message):
    from caseway.intake.services import receive

    case = receive(make_message()).case
    viewer = Client()
    viewer.force_login(agent)
    response = viewer.post(
        f"/agent/cases/{case.number}/call/",
        {"direction": "outbound", "minutes": "12", "note": "Walked them through the reset"},
    )
    assert response.status_code == 302
    call = case.activities.get(kind=ActivityKind.PHONE_CALL)
    assert call.author_agent == agent and call.text == "Walked them through the reset"
    assert call.data["duration"] == 720 and call.data["direction"] == "outbound"
    page = viewer.get(f"/agent/cases/{case.number}/").content.decode()
    assert "logged a call" in page and "12:00" in page
    refused = viewer.post(f"/agent/cases/{case.number}/call/", {"direction": "sideways"})
    assert refused.status_code == 422
