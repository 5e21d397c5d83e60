"""SMS through the real webhook and the REST API stand-in: signatures, intake, replies in
parts, delivery reports, STOP/START, MMS media, bad payloads."""

from __future__ import annotations

import pytest

from caseway.api.tests.twilio_support import SITE, load, post_signed, run_fake_twilio
from caseway.cases.models import Activity, ActivityKind, Attachment, Case, DeliveryStatus
from caseway.connectors.models import SmsConsent
from caseway.connectors.telephony.sms import split_text
from caseway.core.kinds import ChannelKind
from caseway.customers.models import Identity
from caseway.intake import services as intake
from caseway.intake.models import InboundRecord, InboundStatus

pytestmark = pytest.mark.django_db

HOOK = "/hooks/sms/"


@pytest.fixture
def fake_twilio(settings):
    yield from run_fake_twilio(settings)


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """intake.send with its delivery task run after commit, as the worker would."""

    def run(**kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return intake.send(**kwargs)

    return run


def _receive(client, name="sms_incoming", **changes):
    form = {**load(name), **changes}
    return post_signed(client, HOOK, form), form


def test_incoming_sms_opens_a_case_and_answers_empty_twiml(client, fake_twilio, default_queue):
    response, form = _receive(client)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert b"<Response" in response.content and b"<Message" not in response.content
    case = Case.objects.get()
    assert case.origin_channel == ChannelKind.SMS
    activity = case.activities.get(kind=ActivityKind.MESSAGE_IN)
    assert activity.text == form["Body"]
    assert activity.provider_id == form["MessageSid"]
    assert activity.data["from"] == "+14155550142"
    identity = Identity.objects.get(contact=case.contact)
    assert (identity.kind, identity.address) == ("phone", "+14155550142")
    assert InboundRecord.objects.get(channel="sms").status == InboundStatus.PROCESSED


def test_a_second_sms_continues_the_open_conversation(client, fake_twilio, default_queue):
    _receive(client)
    _receive(
        client,
        MessageSid="SM" + "a" * 32,
        SmsSid="SM" + "a" * 32,
        SmsMessageSid="SM" + "a" * 32,
        Body="It happened again",
    )
    case = Case.objects.get()
    assert case.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 2


def test_a_replayed_message_sid_creates_nothing(client, fake_twilio, default_queue):
    _receive(client)
    response, _ = _receive(client)
    assert response.status_code == 200
    assert Case.objects.count() == 1
    assert Activity.objects.filter(kind=ActivityKind.MESSAGE_IN).count() == 1
    assert InboundRecord.objects.count() == 1


def test_a_forged_signature_is_refused_and_nothing_is_stored(client, fake_twilio, default_queue):
    form = load("sms_incoming")
    response = post_signed(client, HOOK, form, signature="bm90IGEgc2lnbmF0dXJl")
    assert response.status_code == 403
    tampered = post_signed(client, HOOK, {**form, "Body": "changed"}, signature=None)
    assert tampered.status_code == 200  # signed for what it says
    from caseway.connectors.telephony.signature import sign

    signed_for_other_body = sign(SITE + HOOK, form)
    forged = post_signed(client, HOOK, {**form, "Body": "x"}, signature=signed_for_other_body)
    assert forged.status_code == 403
    assert InboundRecord.objects.count() == 1  # only the honestly signed one


def test_no_signature_is_refused(client, fake_twilio):
    response = client.post(HOOK, data="Body=hi", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 403
    assert not InboundRecord.objects.exists()


def test_the_signature_covers_the_public_url(client, fake_twilio, settings, default_queue):
    """Behind a proxy Twilio signs the URL it was given, not the one Django sees."""
    form = load("sms_incoming")
    from caseway.connectors.telephony.signature import sign

    internal = post_signed(client, HOOK, form, signature=sign("http://testserver" + HOOK, form))
    assert internal.status_code == 403


def test_disabled_without_an_auth_token(client, settings):
    settings.TWILIO_AUTH_TOKEN = ""
    response = client.post(HOOK, data="x=1", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 503


def test_a_malformed_payload_is_a_400_and_kept(client, fake_twilio):
    form = load("sms_incoming")
    del form["MessageSid"], form["SmsSid"], form["SmsMessageSid"]
    response = post_signed(client, HOOK, form)
    assert response.status_code == 400
    assert b"MessageSid" in response.content
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED
    assert "MessageSid" in record.error
    assert "Body=" in record.payload["rejected_body"]
    assert not Case.objects.exists()
    post_signed(client, HOOK, form)
    assert InboundRecord.objects.get().attempts == 2


def test_an_oversized_payload_is_a_413_and_kept(client, fake_twilio, settings):
    settings.TWILIO_WEBHOOK_MAX_BYTES = 2048
    form = {**load("sms_incoming"), "Body": "x" * 4000}
    response = post_signed(client, HOOK, form)
    assert response.status_code == 413
    record = InboundRecord.objects.get()
    assert record.status == InboundStatus.FAILED and "over the limit" in record.error
    assert not Case.objects.exists()


def test_an_oversized_forged_payload_stores_nothing(client, fake_twilio, settings):
    settings.TWILIO_WEBHOOK_MAX_BYTES = 2048
    form = {**load("sms_incoming"), "Body": "x" * 4000}
    assert post_signed(client, HOOK, form, signature="Zm9yZ2Vk").status_code == 403
    assert not InboundRecord.objects.exists()


def test_split_text_cuts_at_words_and_numbers_the_parts():
    text = " ".join(f"word{i}" for i in range(700))  # about 4,800 characters
    parts = split_text(text)
    assert len(parts) == 4
    assert all(len(part) <= 1600 for part in parts)
    assert parts[0].startswith("(1/4) ") and parts[-1].startswith("(4/4) ")
    rejoined = " ".join(part.split(" ", 1)[1] for part in parts)
    assert rejoined == text
    assert split_text("short") == ["short"]


def _sms_case(client):
    _receive(client)
    return Case.objects.get()


def test_a_reply_goes_out_through_the_rest_api(send, client, fake_twilio, agent, default_queue):
    case = _sms_case(client)
    reply = send(case=case, agent=agent, text="Please restart the router.")
    reply.refresh_from_db()
    assert reply.channel == ChannelKind.SMS
    assert reply.delivery_status == DeliveryStatus.SENT
    [sent] = fake_twilio.messages
    assert sent["To"] == "+14155550142"
    assert sent["From"] == "+14155550100"
    assert sent["Body"] == "Please restart the router."
    assert sent["StatusCallback"] == f"{SITE}/hooks/sms/status/{reply.pk}/"
    assert all(r["auth"] for r in fake_twilio.requests)
    assert reply.provider_id == reply.data["sms_parts"][0]["sid"]


def test_a_long_reply_goes_out_in_parts_and_is_delivered_when_all_are(
    send, client, fake_twilio, agent, default_queue
):
    case = _sms_case(client)
    text = " ".join(f"step{i}" for i in range(500))
    reply = send(case=case, agent=agent, text=text)
    reply.refresh_from_db()
    assert len(fake_twilio.messages) == len(split_text(text)) == 3
    sids = [p["sid"] for p in reply.data["sms_parts"]]
    path = f"/hooks/sms/status/{reply.pk}/"
    first = post_signed(client, path, load("sms_status_delivered", sid=sids[0]))
    assert first.status_code == 204
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT
    for sid in sids[1:]:
        post_signed(client, path, load("sms_status_delivered", sid=sid))
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.DELIVERED
    late = {**load("sms_status_delivered", sid=sids[1]), "MessageStatus": "sent"}
    post_signed(client, path, late)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.DELIVERED  # never backwards


def test_a_failed_part_fails_the_reply(send, client, fake_twilio, agent, default_queue):
    case = _sms_case(client)
    reply = send(case=case, agent=agent, text="Hello")
    reply.refresh_from_db()
    sid = reply.data["sms_parts"][0]["sid"]
    form = {**load("sms_status_delivered", sid=sid), "MessageStatus": "undelivered",
            "SmsStatus": "undelivered", "ErrorCode": "30003"}  # fmt: skip
    post_signed(client, f"/hooks/sms/status/{reply.pk}/", form)
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "30003" in reply.data["delivery_detail"]


def test_a_forged_status_callback_changes_nothing(send, client, fake_twilio, agent, default_queue):
    case = _sms_case(client)
    reply = send(case=case, agent=agent, text="Hello")
    reply.refresh_from_db()
    sid = reply.data["sms_parts"][0]["sid"]
    path = f"/hooks/sms/status/{reply.pk}/"
    response = post_signed(client, path, load("sms_status_delivered", sid=sid), signature="eA==")
    assert response.status_code == 403
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.SENT


def test_stop_opts_the_number_out_keeps_the_message_and_blocks_replies(
    send, client, fake_twilio, agent, default_queue
):
    case = _sms_case(client)
    response, _ = _receive(client, "sms_stop")
    assert response.status_code == 200
    assert SmsConsent.objects.get(number="+14155550142").is_opted_out
    assert case.activities.filter(kind=ActivityKind.MESSAGE_IN, text="STOP").exists()
    assert Case.objects.count() == 1
    reply = send(case=case, agent=agent, text="Are you still there?")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "STOP" in reply.data["delivery_detail"]
    assert fake_twilio.messages == []
    page = client_for(agent).get(f"/agent/cases/{case.number}/")
    assert b"replied STOP" in page.content

    _receive(client, "sms_stop", MessageSid="SM" + "b" * 32, Body="start")
    assert not SmsConsent.objects.get(number="+14155550142").is_opted_out
    send(case=case, agent=agent, text="Welcome back")
    assert len(fake_twilio.messages) == 1


def client_for(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_stop_without_a_conversation_opens_no_case(client, fake_twilio, default_queue):
    response, form = _receive(client, "sms_stop")
    assert response.status_code == 200
    assert not Case.objects.exists()
    record = InboundRecord.objects.get(provider_id=form["MessageSid"])
    assert record.status == InboundStatus.PROCESSED and "keyword" in record.error
    assert SmsConsent.objects.get().is_opted_out
    _receive(client, "sms_stop")  # replay
    assert InboundRecord.objects.count() == 1 and not Case.objects.exists()


def test_twilio_refusing_an_unsubscribed_number_records_the_opt_out(
    send, client, fake_twilio, agent, default_queue
):
    case = _sms_case(client)
    fake_twilio.refuse["+14155550142"] = (
        400,
        {"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400},
    )
    reply = send(case=case, agent=agent, text="Hello")
    reply.refresh_from_db()
    assert reply.delivery_status == DeliveryStatus.FAILED
    assert "21610" in reply.data["delivery_detail"]
    assert SmsConsent.objects.get().is_opted_out


def test_mms_media_is_fetched_with_basic_auth_and_attached(client, fake_twilio, default_queue):
    form = load("sms_incoming_mms", api=fake_twilio.url)
    response = post_signed(client, HOOK, form)
    assert response.status_code == 200
    attachment = Attachment.objects.get()
    assert attachment.content_type == "image/jpeg"
    assert attachment.filename.endswith(".jpg")
    media_get, cdn_get = [r for r in fake_twilio.requests if r["method"] == "GET"]
    assert media_get["auth"] is True
    assert cdn_get["auth"] is False  # credentials do not follow the redirect off the API


def test_a_media_fetch_failure_keeps_the_message_with_a_note(client, fake_twilio, default_queue):
    fake_twilio.media_status = 404
    form = load("sms_incoming_mms", api=fake_twilio.url)
    assert post_signed(client, HOOK, form).status_code == 200
    activity = Activity.objects.get(kind=ActivityKind.MESSAGE_IN)
    assert not Attachment.objects.exists()
    assert "Media not attached" in activity.text
    assert activity.data["media_errors"]
