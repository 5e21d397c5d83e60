"""The Facebook Page webhook on recorded Messenger and feed deliveries."""

from __future__ import annotations

import json

import pytest

from caseway.cases.models import Activity, ActivityKind, Case, CasePriority
from caseway.customers.models import Identity
from caseway.intake.models import InboundRecord
from caseway.listening.models import PostVerdict, SocialPost, WatchWord, WatchWordKind
from caseway.social.models import DeliveryState, WebhookDelivery
from caseway.social.tests.conftest import VERIFY_TOKEN, facebook_signature, fixture_bytes

pytestmark = pytest.mark.django_db

PSID = "6853412097731428"


def counts() -> tuple[int, int, int, int, int]:
    return (
        WebhookDelivery.objects.count(),
        InboundRecord.objects.count(),
        Case.objects.count(),
        Activity.objects.count(),
        SocialPost.objects.count(),
    )


# -- the subscription handshake -------------------------------------------------------------


def test_handshake_echoes_the_challenge_when_the_verify_token_matches(client):
    response = client.get(
        "/hooks/facebook/",
        {"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1158201444"},
    )
    assert response.status_code == 200
    assert response.content == b"1158201444"


@pytest.mark.parametrize(
    "params",
    [
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ],
)
def test_handshake_refuses_a_wrong_token_or_mode(client, params):
    assert client.get("/hooks/facebook/", params).status_code == 403


def test_handshake_is_refused_while_no_verify_token_is_set(client, settings):
    settings.CASEWAY_FACEBOOK_VERIFY_TOKEN = ""
    params = {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
    assert client.get("/hooks/facebook/", params).status_code == 403


# -- Messenger: a conversation like chat ----------------------------------------------------


def test_a_messenger_message_opens_a_case_for_the_sender(post_facebook):
    response = post_facebook(fixture_bytes("facebook", "messenger_message.json"))

    assert response.status_code == 200
    assert response.json()["messages"] == 1
    case = Case.objects.get()
    assert case.origin_channel == "facebook"
    assert case.priority == CasePriority.NORMAL
    identity = Identity.objects.get(kind="facebook")
    assert identity.address == PSID
    assert case.contact_id == identity.contact_id
    message = case.activities.get(kind=ActivityKind.MESSAGE_IN)
    assert message.text == "Hi, my order 8841 still hasn't shipped. Can you check?"
    assert message.provider_id.startswith("mid:m_sWlYpL3Bq6")
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.PROCESSED
    assert bytes(delivery.body) == fixture_bytes("facebook", "messenger_message.json")


def test_the_next_messenger_message_continues_the_case_and_echoes_are_ignored(post_facebook):
    post_facebook(fixture_bytes("facebook", "messenger_message.json"))

    response = post_facebook(fixture_bytes("facebook", "messenger_followup.json"))

    assert response.json() == {"status": "received", "messages": 1, "ignored": 2}
    case = Case.objects.get()
    texts = list(
        case.activities.filter(kind=ActivityKind.MESSAGE_IN).values_list("text", flat=True)
    )
    assert len(texts) == 2
    assert texts[1].startswith("Thanks. It's the blue kettle")
    assert "[image] https://scontent.xx.fbcdn.net/" in texts[1]


# -- signatures, replays, bad bodies --------------------------------------------------------


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "sha1=abc", facebook_signature(b"another body")],
)
def test_a_forged_signature_gets_403_and_nothing_is_stored(post_facebook, signature):
    response = post_facebook(
        fixture_bytes("facebook", "messenger_message.json"), signature=signature
    )

    assert response.status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


def test_a_signature_made_with_another_secret_gets_403(post_facebook):
    body = fixture_bytes("facebook", "feed_comment_negative.json")
    response = post_facebook(body, signature=facebook_signature(body, secret="not-ours"))
    assert response.status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


def test_no_app_secret_means_every_post_is_refused(post_facebook, settings):
    settings.CASEWAY_FACEBOOK_APP_SECRET = ""
    body = fixture_bytes("facebook", "messenger_message.json")
    assert post_facebook(body, signature=facebook_signature(body, secret="")).status_code == 403
    assert counts() == (0, 0, 0, 0, 0)


def test_a_replayed_delivery_creates_nothing_new(post_facebook):
    body = fixture_bytes("facebook", "messenger_message.json")
    post_facebook(body)
    before = counts()

    response = post_facebook(body)

    assert response.status_code == 200
    assert counts() == before


def test_a_message_id_seen_before_creates_nothing_new_in_another_delivery(post_facebook):
    post_facebook(fixture_bytes("facebook", "messenger_message.json"))
    data = json.loads(fixture_bytes("facebook", "messenger_message.json"))
    data["entry"][0]["time"] += 1  # Facebook's retry: same message, a new envelope
    before = counts()

    response = post_facebook(json.dumps(data).encode())

    assert response.json()["replays"] == 1
    assert counts()[1:] == before[1:]  # a second delivery row, nothing else


def test_a_replayed_comment_creates_nothing_new(post_facebook):
    post_facebook(fixture_bytes("facebook", "feed_comment_negative.json"))
    data = json.loads(fixture_bytes("facebook", "feed_comment_negative.json"))
    data["entry"][0]["time"] += 60
    before = counts()

    response = post_facebook(json.dumps(data).encode())

    assert response.json()["replays"] == 1
    assert counts()[1:] == before[1:]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"object": "page", "entry": [', "not JSON"),
        (b"\xff\xfe not utf-8", "not JSON"),
        (b'["a", "list"]', "not a JSON object"),
        (b'{"object": "user", "entry": []}', "not a page delivery"),
        (b'{"object": "page", "entry": {"id": "1"}}', "entry is not a list"),
        (
            b'{"object": "page", "entry": [{"id": "1", "messaging": [{"message": {"text": "x"},'
            b' "sender": {}}]}]}',
            "without sender.id",
        ),
    ],
)
def test_a_malformed_delivery_gets_400_and_is_kept_for_inspection(post_facebook, body, reason):
    response = post_facebook(body)

    assert response.status_code == 400
    assert reason in response.json()["error"]
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.REJECTED
    assert reason in delivery.error
    assert bytes(delivery.body) == body
    assert Case.objects.count() == 0


def test_an_oversized_delivery_gets_413_and_is_kept_cut_to_the_limit(post_facebook, settings):
    settings.CASEWAY_SOCIAL_WEBHOOK_MAX_BYTES = 200
    body = fixture_bytes("facebook", "messenger_message.json")

    response = post_facebook(body)

    assert response.status_code == 413
    delivery = WebhookDelivery.objects.get()
    assert delivery.state == DeliveryState.REJECTED
    assert delivery.body_bytes == len(body)
    assert bytes(delivery.body) == body[:200]
    assert Case.objects.count() == 0


def test_only_get_and_post_are_answered(client):
    assert client.put("/hooks/facebook/").status_code == 405


# -- the page feed: social listening --------------------------------------------------------


def test_a_negative_comment_opens_a_priority_case_with_the_post_on_the_timeline(
    post_facebook, client, agent
):
    response = post_facebook(fixture_bytes("facebook", "feed_comment_negative.json"))

    assert response.json()["posts_opened_case"] == 1
    case = Case.objects.get()
    assert case.priority == CasePriority.HIGH
    message = case.activities.get(kind=ActivityKind.MESSAGE_IN)
    assert message.text.startswith("This is the third time my kettle arrived broken.")
    social = message.data["social"]
    assert social["sentiment"] == "negative" and social["score"] < -0.5
    assert social["complaint_words"] == ["broken"]
    assert social["url"] == "https://www.facebook.com/104729385017/posts/pfbid02Xa9kLmQ"
    post = SocialPost.objects.get()
    assert (post.verdict, post.case_id, post.author_name) == (
        PostVerdict.OPENED_CASE,
        case.pk,
        "Dana Whitfield",
    )
    client.force_login(agent)
    page = client.get(f"/agent/cases/{case.number}/").content.decode()
    assert "heard by social listening" in page
    assert "view the post" in page


def test_a_positive_comment_is_recorded_but_opens_no_case(post_facebook):
    response = post_facebook(fixture_bytes("facebook", "feed_comment_positive.json"))

    assert response.json()["posts_recorded"] == 1
    assert Case.objects.count() == 0
    assert InboundRecord.objects.count() == 0
    post = SocialPost.objects.get()
    assert (post.sentiment, post.verdict, post.case_id) == ("positive", PostVerdict.RECORDED, None)


def test_a_complaint_word_opens_a_case_and_a_product_name_becomes_its_product(post_facebook):
    WatchWord.objects.create(phrase="Aurora kettle", kind=WatchWordKind.PRODUCT)

    response = post_facebook(fixture_bytes("facebook", "feed_post_complaint.json"))

    # The page's own comment and a like carry nothing to listen to.
    assert response.json() == {"status": "received", "posts_opened_case": 1, "ignored": 2}
    case = Case.objects.get()
    assert case.priority == CasePriority.HIGH
    assert case.product == "Aurora kettle"
    post = SocialPost.objects.get()
    assert post.is_complaint
    assert post.matched_words == ["never arrived", "refund", "Aurora kettle"]


def test_the_authors_next_comment_under_their_post_joins_the_case_whatever_its_tone(
    post_facebook,
):
    post_facebook(fixture_bytes("facebook", "feed_post_complaint.json"))

    response = post_facebook(fixture_bytes("facebook", "feed_reply_on_own_post.json"))

    assert response.json()["posts_added_to_case"] == 1
    case = Case.objects.get()
    assert case.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 2
    follow_up = SocialPost.objects.get(provider_id__endswith="6655443322110099")
    assert follow_up.sentiment == "positive"
    assert follow_up.case_id == case.pk


def test_someone_elses_neutral_comment_under_a_complaint_opens_nothing(post_facebook):
    post_facebook(fixture_bytes("facebook", "feed_post_complaint.json"))
    data = json.loads(fixture_bytes("facebook", "feed_reply_on_own_post.json"))
    data["entry"][0]["changes"][0]["value"]["from"] = {"id": "42", "name": "Bystander"}

    post_facebook(json.dumps(data).encode())

    assert Case.objects.count() == 1
    assert SocialPost.objects.get(author_address="42").verdict == PostVerdict.RECORDED


def test_an_edited_comment_is_ignored(post_facebook):
    data = json.loads(fixture_bytes("facebook", "feed_comment_negative.json"))
    data["entry"][0]["changes"][0]["value"]["verb"] = "edited"

    response = post_facebook(json.dumps(data).encode())

    assert response.json() == {"status": "received", "ignored": 1}
    assert counts()[1:] == (0, 0, 0, 0)
