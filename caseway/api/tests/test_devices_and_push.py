"""Push devices through the API, and an agent's reply pushed to the gateway (a real local
HTTP server standing in for a push relay), signed like every outbound POST."""

from __future__ import annotations

import json

import pytest

from caseway.api.handlers import send_case_events
from caseway.api.models import Device, OutboundDelivery
from caseway.api.signing import SIGNATURE_HEADER, verify

pytestmark = pytest.mark.django_db

IPHONE = {"platform": "ios", "token": "a1b2c3d4" * 8, "name": "Carol's iPhone"}


@pytest.fixture
def gateway(settings, receiver):
    settings.CASEWAY_FEED_SETTLE_SECONDS = 0
    settings.CASEWAY_PUSH_GATEWAY_URL = receiver.url
    settings.CASEWAY_PUSH_GATEWAY_SECRET = "gateway-secret"
    return receiver


def test_register_is_idempotent_and_listed(as_role):
    carol = as_role("customer")

    first = carol.post("/devices", IPHONE)
    again = carol.post("/devices", IPHONE)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert [d["token"] for d in carol.get("/devices").json()] == [IPHONE["token"]]


def test_a_device_moves_to_whoever_registers_it_last(as_role, customer, stranger):
    as_role("customer").post("/devices", IPHONE)

    response = as_role("stranger").post("/devices", IPHONE)

    assert response.status_code == 201
    assert Device.objects.get().user == stranger.user
    assert as_role("customer").get("/devices").json() == []


def test_unregister_only_your_own(as_role):
    device = as_role("customer").post("/devices", IPHONE).json()

    assert as_role("stranger").delete(f"/devices/{device['id']}").status_code == 404
    assert as_role("customer").delete(f"/devices/{device['id']}").status_code == 204
    assert not Device.objects.exists()


@pytest.mark.parametrize(
    ("body", "loc"),
    [
        ({**IPHONE, "platform": "blackberry"}, ["body", "payload", "platform"]),
        ({**IPHONE, "token": "short"}, ["body", "payload", "token"]),
        ({**IPHONE, "token": "has spaces in it"}, ["body", "payload", "token"]),
        ({"platform": "ios"}, ["body", "payload", "token"]),
    ],
)
def test_invalid_registrations_are_422_with_the_field(as_role, body, loc):
    response = as_role("customer").post("/devices", body)

    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert not Device.objects.exists()


def test_devices_are_for_customers(api, as_role):
    assert api.post("/devices", IPHONE).status_code == 401
    assert as_role("agent").post("/devices", IPHONE).status_code == 403
    assert not Device.objects.exists()


def test_an_agents_reply_is_pushed_to_the_customers_devices(as_role, carol_case, gateway):
    as_role("customer").post("/devices", IPHONE)
    as_role("customer").post("/devices", {"platform": "android", "token": "fcm:" + "x" * 40})
    as_role("colleague").post("/devices", {"platform": "ios", "token": "f" * 64})

    as_role("agent").post(
        f"/cases/{carol_case.number}/messages", {"text": "Your printer ships today."}
    )
    send_case_events()

    [request] = gateway.requests
    verify(secret="gateway-secret", body=request.body, header=request.headers[SIGNATURE_HEADER])
    push = request.json
    assert push["type"] == "case.reply"
    assert push["notification"]["title"] == f"New reply on {carol_case.number}"
    assert push["notification"]["body"] == "Your printer ships today."
    assert push["data"]["case"] == carol_case.number
    assert sorted(d["platform"] for d in push["devices"]) == ["android", "ios"]
    assert "f" * 64 not in request.body.decode()  # the colleague's phone is not told


def test_the_customers_own_message_is_not_pushed_back(as_role, carol_case, gateway):
    as_role("customer").post("/devices", IPHONE)

    as_role("customer").post(f"/cases/{carol_case.number}/messages", {"text": "Thanks"})
    send_case_events()

    assert gateway.requests == []


def test_tokens_the_gateway_calls_invalid_are_forgotten(as_role, carol_case, gateway):
    as_role("customer").post("/devices", IPHONE)
    gateway.answer = json.dumps({"invalid_tokens": [IPHONE["token"]]}).encode()

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Hi"})
    send_case_events()

    assert OutboundDelivery.objects.get().status == "delivered"
    assert not Device.objects.exists()


def test_no_gateway_no_push(settings, as_role, carol_case):
    settings.CASEWAY_FEED_SETTLE_SECONDS = 0
    settings.CASEWAY_PUSH_GATEWAY_URL = ""
    as_role("customer").post("/devices", IPHONE)

    as_role("agent").post(f"/cases/{carol_case.number}/messages", {"text": "Hi"})
    send_case_events()

    assert not OutboundDelivery.objects.exists()
