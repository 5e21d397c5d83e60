"""The Twilio wire on its own: recorded forms parsed, keywords, numbers, signatures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caseway.connectors.exceptions import BadSignature, PayloadRejected
from caseway.connectors.telephony import sms, voice
from caseway.connectors.telephony.phone import to_e164
from caseway.connectors.telephony.signature import sign, verify

FIXTURES = Path(__file__).parents[2] / "api" / "tests" / "fixtures" / "twilio"


def load(name):
    return json.loads((FIXTURES / f"{name}.json").read_text())


def test_an_incoming_sms_form_parses():
    parsed = sms.parse_form(load("sms_incoming"))
    assert parsed.sid == "SM5d3e4b2f8a9c4d1e8f7a6b5c4d3e2f1a"
    assert parsed.sender == "+14155550142" and parsed.media == () and parsed.keyword == ""
    message = sms.inbound_message(parsed)
    assert message.channel == "sms" and message.continues_conversation
    assert (message.sender.kind, message.sender.address) == ("phone", "+14155550142")


@pytest.mark.parametrize(
    ("body", "keyword"),
    [("STOP", "stop"), ("stop", "stop"), (" Unsubscribe! ", "stop"), ("quit.", "stop"),
     ("STOPALL", "stop"), ("START", "start"), ("yes", "start"), ("unstop", "start"),
     ("stop sending me offers please", ""), ("Yes I tried that", ""), ("", "")],
)  # fmt: skip
def test_keywords_are_whole_messages(body, keyword):
    assert sms.keyword_of(body) == keyword


@pytest.mark.parametrize(
    "change",
    [{"MessageSid": "x", "SmsSid": "", "SmsMessageSid": ""}, {"From": "anonymous"},
     {"NumMedia": "two"}, {"NumMedia": "11"}, {"NumMedia": "1"}, {"Body": "x" * 1601},
     {"Body": "  "}],
)  # fmt: skip
def test_a_form_that_is_not_a_message_is_rejected(change):
    with pytest.raises(PayloadRejected):
        sms.parse_form({**load("sms_incoming"), **change})


def test_numbers_become_e164():
    assert to_e164("+1 (415) 555-0142") == "+14155550142"
    assert to_e164("0044 20 7946 0958") == "+442079460958"
    assert to_e164("client:agent-1") == "" and to_e164("anonymous") == ""


def test_an_incoming_call_parses_into_a_call_message():
    call = voice.parse_incoming(load("voice_incoming"))
    message = voice.inbound_message(call, case_reference="CW-00007")
    assert message.is_call and message.channel == "voice"
    assert message.provider_id == "CA3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c"
    assert message.case_reference == "CW-00007"
    assert message.meta["activity_data"]["status"] == "ringing"
    status = voice.parse_status(load("voice_status_completed"))
    assert (status.status, status.duration) == ("completed", 187)
    recording = voice.parse_recording(load("voice_recording"))
    assert recording.duration == 14 and recording.url.startswith("https://api.twilio.com/")


def test_the_signature_is_twilios(settings, rf):
    """The published example (twilio-python's own tests): signed and verified."""
    settings.TWILIO_AUTH_TOKEN = "12345"
    settings.TWILIO_WEBHOOK_BASE_URL = "https://mycompany.com"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sign(url, params) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    request = rf.post(
        "/myapp.php?foo=1&bar=2", params, HTTP_X_TWILIO_SIGNATURE="0/KCTR6DLpKmkAf8muzZqo1nDgQ="
    )
    verify(request)
    forged = rf.post("/myapp.php?foo=1&bar=2", {**params, "Digits": "9"},
                     HTTP_X_TWILIO_SIGNATURE="0/KCTR6DLpKmkAf8muzZqo1nDgQ=")  # fmt: skip
    with pytest.raises(BadSignature):
        verify(forged)
