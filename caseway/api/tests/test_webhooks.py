"""Outbound webhooks against a real local HTTP server: subscribe, receive signed case updates
by the dispatcher, retries with the same event id, who receives what, and refusals."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from caseway.api.handlers import send_case_events
from caseway.api.models import OutboundCursor, OutboundDelivery, OutboundStatus, WebhookSubscription
from caseway.api.outbound import deliver, dispatch_case_events, retry_due_deliveries
from caseway.api.signing import SIGNATURE_HEADER, SignatureMismatch, sign, verify
from caseway.cases.models import Activity
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _local_receivers(settings):
    settings.CASEWAY_WEBHOOK_ALLOW_PRIVATE = True
    settings.CASEWAY_OUTBOUND_RETRY_SECONDS = 30
    settings.CASEWAY_FEED_SETTLE_SECONDS = 0


def subscribe(api, url):
    response = api.post("/webhooks", {"url": url, "description": "our CRM"})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_reply_is_posted_signed_after_commit(as_role, carol_case, receiver):
    carol = as_role("customer")
    hook = subscribe(carol, receiver.url)
    assert hook["secret"].startswith("whsec_")

    response = as_role("agent").post(
        f"/cases/{carol_case.number}/messages", {"text": "We sent a new printer."}
    )
    assert response.status_code == 201
    assert receiver.requests == []  # the dispatcher sends, not the request
    send_case_events()

    [request] = receiver.requests
    assert request.headers["Content-Type"] == "application/json"
    verify(secret=hook["secret"], body=request.body, header=request.headers[SIGNATURE_HEADER])
    event = request.json
    assert event["type"] == "case.message"
    assert event["data"]["case"]["number"] == carol_case.number
    assert event["data"]["activity"]["kind"] == "message_out"
    assert event["data"]["activity"]["text"] == "We sent a new printer."
    assert event["data"]["activity"]["data"] == {}  # nothing for agents' eyes only
    delivery = OutboundDelivery.objects.get(key=event["id"])
    assert delivery.status == OutboundStatus.DELIVERED
    assert delivery.attempts == 1


def test_notes_and_status_changes_are_not_sent(as_role, carol_case, receiver):
    subscribe(as_role("customer"), receiver.url)
    agent = as_role("agent")

    agent.post(f"/cases/{carol_case.number}/notes", {"text": "Customer is grumpy"})
    agent.post(f"/cases/{carol_case.number}/status", {"status": "on_hold"})
    send_case_events()

    assert receiver.requests == []


def test_a_failed_delivery_is_retried_later_with_the_same_id(as_role, carol_case, receiver):
    hook = subscribe(as_role("customer"), receiver.url)
    receiver.statuses = [500, 503]

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Fixed?"})
    send_case_events()

    delivery = OutboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("pending", 1, 500)
    first_retry = delivery.next_attempt_at
    assert first_retry - timezone.now() > timedelta(seconds=25)

    assert retry_due_deliveries() == 0  # not due yet
    assert retry_due_deliveries(now=first_retry) == 1
    delivery.refresh_from_db()
    assert (delivery.attempts, delivery.last_status_code) == (2, 503)
    assert delivery.next_attempt_at - first_retry == timedelta(seconds=60)  # doubled

    retry_due_deliveries(now=delivery.next_attempt_at)
    delivery.refresh_from_db()
    assert delivery.status == OutboundStatus.DELIVERED
    assert len(receiver.requests) == 3
    assert len({r.json["id"] for r in receiver.requests}) == 1  # the receiver can dedupe
    for request in receiver.requests:  # each attempt is signed anew
        verify(secret=hook["secret"], body=request.body, header=request.headers[SIGNATURE_HEADER])

    assert deliver(delivery_id=delivery.pk) == "delivered"  # a delivered one is never resent
    assert len(receiver.requests) == 3


def test_giving_up_after_the_last_attempt(settings, as_role, carol_case, receiver):
    settings.CASEWAY_OUTBOUND_MAX_ATTEMPTS = 2
    subscribe(as_role("customer"), receiver.url)
    receiver.statuses = [500, 500, 500]

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Hello?"})
    send_case_events()
    retry_due_deliveries(now=timezone.now() + timedelta(hours=1))

    delivery = OutboundDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    assert retry_due_deliveries(now=timezone.now() + timedelta(days=2)) == 0


def test_an_unreachable_receiver_is_retried(as_role, carol_case, receiver):
    hook = subscribe(as_role("customer"), receiver.url)
    WebhookSubscription.objects.filter(pk=hook["id"]).update(url="http://127.0.0.1:9/nothing")

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Hello?"})
    send_case_events()

    delivery = OutboundDelivery.objects.get()
    assert delivery.status == OutboundStatus.PENDING
    assert "Error" in delivery.last_error


def test_gone_stops_the_subscription(as_role, carol_case, receiver):
    hook = subscribe(as_role("customer"), receiver.url)
    receiver.statuses = [410]

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "One"})
    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Two"})
    send_case_events()

    assert len(receiver.requests) == 1
    assert not WebhookSubscription.objects.get(pk=hook["id"]).is_active


# Who receives an update on Carol's case: the visibility matrix, through the webhook.
RECIPIENTS = [
    ("customer", True),
    ("colleague", False),
    ("account_admin", True),
    ("stranger", False),
]


@pytest.mark.parametrize(("role", "receives"), RECIPIENTS)
def test_only_those_who_see_the_case_receive_it(as_role, carol_case, receiver, role, receives):
    subscribe(as_role(role), receiver.url)

    as_role("customer").post(f"/cases/{carol_case.number}/messages", {"text": "Any news?"})
    send_case_events()

    assert len(receiver.requests) == (1 if receives else 0)
    if receives:
        assert receiver.requests[0].json["data"]["activity"]["kind"] == "message_in"


def test_a_case_from_another_channel_is_sent_too(customer, make_message, receiver, api):
    subscribe(api.as_user(customer.user), receiver.url)

    receive(make_message(email="carol@globex.test", subject="By email"))
    send_case_events()

    [request] = receiver.requests
    assert request.json["data"]["case"]["subject"] == "By email"


def test_ping_and_the_delivery_log(as_role, receiver):
    carol = as_role("customer")
    hook = subscribe(carol, receiver.url)

    response = carol.post(f"/webhooks/{hook['id']}/ping")

    assert response.status_code == 202
    assert response.json()["status"] == "delivered"
    assert receiver.requests[0].json["type"] == "ping"
    log = carol.get(f"/webhooks/{hook['id']}/deliveries").json()
    assert [entry["status"] for entry in log] == ["delivered"]
    assert log[0]["event_id"] == receiver.requests[0].json["id"]


def test_subscriptions_are_listed_and_removed_by_their_owner_only(as_role, receiver):
    carol, sam = as_role("customer"), as_role("stranger")
    hook = subscribe(carol, receiver.url)

    assert [h["id"] for h in carol.get("/webhooks").json()] == [hook["id"]]
    assert "secret" not in carol.get("/webhooks").json()[0]
    assert sam.get("/webhooks").json() == []
    assert sam.delete(f"/webhooks/{hook['id']}").status_code == 404
    assert sam.post(f"/webhooks/{hook['id']}/ping").status_code == 404
    assert sam.get(f"/webhooks/{hook['id']}/deliveries").status_code == 404
    assert carol.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert not WebhookSubscription.objects.exists()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.test/hook", "http"),
        ("http://127.0.0.1:8000/hook", "private"),
        ("http://10.1.2.3/hook", "private"),
        ("http://169.254.169.254/latest", "private"),
        ("http://[::1]/hook", "private"),
    ],
)
def test_unsafe_urls_are_refused_with_the_field(settings, as_role, url, why):
    settings.CASEWAY_WEBHOOK_ALLOW_PRIVATE = False

    response = as_role("customer").post("/webhooks", {"url": url})

    assert response.status_code == 422
    [error] = response.json()["detail"]
    assert error["loc"] == ["body", "payload", "url"]
    assert why in error["msg"]
    assert not WebhookSubscription.objects.exists()


def test_a_url_that_turned_private_is_not_posted_to(settings, as_role, carol_case, receiver):
    subscribe(as_role("customer"), receiver.url)
    settings.CASEWAY_WEBHOOK_ALLOW_PRIVATE = False

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Hi"})
    send_case_events()

    assert receiver.requests == []
    assert OutboundDelivery.objects.get().status == OutboundStatus.FAILED


@pytest.mark.parametrize("role", ["agent", "admin_user"])
def test_agents_have_no_webhooks(as_role, role, receiver):
    assert as_role(role).post("/webhooks", {"url": receiver.url}).status_code == 403
    assert as_role(role).get("/webhooks").status_code == 403


def test_webhooks_need_credentials(api, receiver):
    assert api.post("/webhooks", {"url": receiver.url}).status_code == 401
    assert api.get("/webhooks").status_code == 401


def test_validation_errors_have_field_paths(as_role):
    response = as_role("customer").post("/webhooks", {"url": "x", "colour": "red"})

    assert response.status_code == 422
    locs = {tuple(error["loc"]) for error in response.json()["detail"]}
    assert ("body", "payload", "url") in locs
    assert ("body", "payload", "colour") in locs


def test_signature_checks():
    body = json.dumps({"id": "webhook:1:2"}).encode()
    header = sign(secret="s3cret", body=body, timestamp=1_700_000_000)

    assert verify(secret="s3cret", body=body, header=header, now=1_700_000_100) == 1_700_000_000
    with pytest.raises(SignatureMismatch):
        verify(secret="wrong", body=body, header=header, now=1_700_000_100)
    with pytest.raises(SignatureMismatch):
        verify(secret="s3cret", body=body + b" ", header=header, now=1_700_000_100)
    with pytest.raises(SignatureMismatch, match="tolerance"):  # an old delivery replayed
        verify(secret="s3cret", body=body, header=header, now=1_700_000_000 + 301)
    forged = header.replace("t=1700000000", "t=1700000300")  # a fresh time on an old body
    with pytest.raises(SignatureMismatch):
        verify(secret="s3cret", body=body, header=forged, now=1_700_000_300)
    with pytest.raises(SignatureMismatch):
        verify(secret="s3cret", body=body, header="v1=abc", now=1_700_000_100)


def test_the_dispatcher_costs_the_same_few_queries_for_any_batch(carol_case, make_message):
    """Nothing is written on the intake path; the dispatcher reads a batch in a fixed
    number of statements, however many messages it holds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = []
    for size in (2, 9):
        for n in range(size):
            receive(make_message(email="carol@globex.test", subject=f"Case {size}-{n}"))
        with CaptureQueriesContext(connection) as queries:
            delivered, _seen = dispatch_case_events()
        counts.append(len(queries))
        assert delivered == []
    assert counts[0] == counts[1]
    assert OutboundCursor.objects.get().last_activity_id == Activity.objects.latest("pk").pk


def test_each_entry_is_dispatched_once(as_role, carol_case, receiver):
    subscribe(as_role("customer"), receiver.url)
    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Once"})

    first, _ = dispatch_case_events()
    again, seen = dispatch_case_events()

    assert len(first) == 1
    assert (again, seen) == ([], 0)
    assert OutboundDelivery.objects.count() == 1


def test_a_subscription_hears_only_of_what_came_after_it(as_role, carol_case, receiver):
    subscribe(as_role("customer"), receiver.url)

    send_case_events()

    assert receiver.requests == []  # Carol's opening message predates the webhook


def test_young_entries_wait_for_the_next_run(settings, as_role, carol_case, receiver):
    settings.CASEWAY_FEED_SETTLE_SECONDS = 60
    subscribe(as_role("customer"), receiver.url)
    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Soon"})

    assert dispatch_case_events() == ([], 0)
    assert dispatch_case_events(now=timezone.now() + timedelta(minutes=2))[1] == 2


def test_every_worker_runs_the_dispatcher(settings):
    from caseway.core.periodic import registered_periodic

    settings.CASEWAY_OUTBOUND_DISPATCH_SECONDS = 2
    [job] = [job for job in registered_periodic() if job.name == "case updates out"]

    assert job.function is send_case_events
    assert job.interval() == 2
