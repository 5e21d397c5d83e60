"""The X account activity webhook on recorded deliveries."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from caseway.cases.models import Activity, ActivityKind, Case, CasePriority
from caseway.customers.models import Identity
from caseway.intake.models import InboundRecord
from caseway.listening.models import PostVerdict, SocialPost
from caseway.social.models import DeliveryState, WebhookDelivery
from caseway.social.tests.conftest import X_SECRET, fixture_bytes, x_signature

pytestmark = pytest.mark.django_db


def counts() -> tuple[int, int, int, int, int]:
    return (
        WebhookDelivery.objects.count(),
        InboundRecord.objects.count(),
        Case.objects.count(),
        Activity.objects.count(),
        SocialPost.objects.count(),
    )


def test_the_crc_challenge_is_answered_with_the_hmac_of_the_token(client):
    token = "dGVzdC1jcmMtdG9rZW4tMTc2NDU5"
    response = client.get("/hooks/x/", {"crc_token": token})

    assert response.status_code == 200
    expected = base64.b64encode(
        hmac.new(X_SECRET.encode(), token.encode(), hashlib.sha256).digest()
    ).decode()
    assert response.json() == {"response_token": f"sha256={expected}"}


def test_the_crc_challenge_needs_a_token_and_a_secret(client, settings):
    assert client.get("/hooks/x/").status_code == 400
    settings.CASEWAY_X_CONSUMER_SECRET = ""
    assert client.get("/hooks/x/", {"crc_token": "abc"}).status_code == 403


def test_a_dm_opens_a_case_for_the_sender_with_their_name(post_x):
    response = post_x(fixture_bytes("x", "dm_message_create.json"))

    assert response.json() == {"status": "received", "messages": 1}
    case = Case.objects.get()
    assert case.origin_channel == "x"
    identity = Identity.objects.get(kind="x")
    assert identity.address == "912845563307085824"
    assert identity.contact.name == "Lena Brandt"
    assert case.activities.get(kind=ActivityKind.MESSAGE_IN).provider_id == (
        "dm:1863201957711384576"
    )


def test_the_next_dm_continues_the_case_and_our_own_dm_is_ignored(post_x):
    post_x(fixture_bytes("x", "dm_message_create.json"))

    response = post_x(fixture_bytes("x", "dm_own_and_followup.json"))

    assert response.json() == {"status": "received", "messages": 1, "ignored": 1}
    case = Case.objects.get()
    last = case.activities.filter(kind=ActivityKind.MESSAGE_IN).last()
    assert last.text.startswith("Here is the error I get")
    assert "[photo] https://ton.twitter.com/" in last.text


@pytest.mark.parametrize(
    "signature", ["", "sha256=", "sha256=" + base64.b64encode(b"x" * 32).decode(), "garbage"]
)
def test_a_forged_signature_gets_403_and_nothing_is_stored(post_x, signature):
    response = post_x(fixture_bytes("x", "dm_message_create.json"), signature=signature)

    assert response.status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


def test_a_body_changed_after_signing_gets_403(post_x):
    body = fixture_bytes("x", "tweet_mention_negative.json")
    tampered = body.replace(b"furious", b"pleased")
    assert post_x(tampered, signature=x_signature(body)).status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


def test_a_replayed_dm_creates_nothing_new(post_x):
    post_x(fixture_bytes("x", "dm_message_create.json"))
    before = counts()
    assert post_x(fixture_bytes("x", "dm_message_create.json")).status_code == 200
    data = json.loads(fixture_bytes("x", "dm_message_create.json"))
    data["users"] = {}  # the same event in another envelope

    response = post_x(json.dumps(data).encode())

    assert response.json()["replays"] == 1
    assert counts()[1:] == before[1:]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not JSON"),
        (b'{"direct_message_events": []}', "no for_user_id"),
        (b'{"for_user_id": "1", "tweet_create_events": {"id": 1}}', "is not a list"),
        (b'{"for_user_id": "1", "tweet_create_events": [{"id_str": "5"}]}', "tweet.user"),
    ],
)
def test_a_malformed_delivery_gets_400_and_is_kept(post_x, body, reason):
    response = post_x(body)

    assert response.status_code == 400
    assert reason in response.json()["error"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, bytes(delivery.body)) == (DeliveryState.REJECTED, body)
    # The same bad body again is answered the same way, and stored once.
    assert post_x(body).status_code == 400
    assert WebhookDelivery.objects.count() == 1


def test_an_oversized_delivery_gets_413_and_is_kept(post_x, settings):
    settings.CASEWAY_SOCIAL_WEBHOOK_MAX_BYTES = 100
    body = fixture_bytes("x", "tweet_mention_negative.json")

    assert post_x(body).status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert (delivery.state, delivery.body_bytes, len(bytes(delivery.body))) == (
        DeliveryState.REJECTED,
        len(body),
        100,
    )


def test_an_angry_mention_opens_a_priority_case(post_x):
    response = post_x(fixture_bytes("x", "tweet_mention_negative.json"))

    assert response.json()["posts_opened_case"] == 1
    case = Case.objects.get()
    assert case.priority == CasePriority.HIGH
    message = case.activities.get(kind=ActivityKind.MESSAGE_IN)
    assert message.provider_id == "tweet:1863210034567782400"
    assert message.data["social"]["url"] == (
        "https://x.com/marcobellini/status/1863210034567782400"
    )
    assert message.data["social"]["sentiment"] == "negative"


def test_a_friendly_mention_is_recorded_and_a_retweet_ignored(post_x):
    response = post_x(fixture_bytes("x", "tweet_mention_positive.json"))

    assert response.json() == {"status": "received", "posts_recorded": 1, "ignored": 1}
    assert Case.objects.count() == 0
    post = SocialPost.objects.get()
    assert (post.sentiment, post.verdict, post.author_name) == (
        "positive",
        PostVerdict.RECORDED,
        "Jo Tanaka",
    )


def test_tweets_of_the_account_itself_are_ignored(post_x):
    data = json.loads(fixture_bytes("x", "tweet_mention_negative.json"))
    data["tweet_create_events"][0]["user"]["id_str"] = data["for_user_id"]

    response = post_x(json.dumps(data).encode())

    assert response.json() == {"status": "received", "ignored": 1}
    assert SocialPost.objects.count() == 0
