"""Agents' replies go back through the Graph API and the X API (a local stand-in)."""

from __future__ import annotations

import pytest

from caseway.cases.models import ActivityKind, Case, DeliveryStatus
from caseway.intake.services import send
from caseway.listening.models import PostVerdict, SocialPost
from caseway.social.tests.conftest import PAGE_TOKEN, X_TOKEN, fixture_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(agent, django_capture_on_commit_callbacks):
    def reply_to(case: Case, text: str):
        with django_capture_on_commit_callbacks(execute=True):
            activity = send(case=case, agent=agent, text=text)
        activity.refresh_from_db()
        return activity

    return reply_to


def test_a_reply_on_a_messenger_case_goes_through_the_send_api(post_facebook, provider, reply):
    post_facebook(fixture_bytes("facebook", "messenger_message.json"))
    case = Case.objects.get()

    activity = reply(case, "It ships tomorrow morning.")

    assert provider.calls == [
        {
            "path": "/v21.0/me/messages",
            "auth": f"Bearer {PAGE_TOKEN}",
            "body": {
                "recipient": {"id": "6853412097731428"},
                "messaging_type": "RESPONSE",
                "message": {"text": "It ships tomorrow morning."},
            },
        }
    ]
    assert activity.channel == "facebook"
    assert activity.delivery_status == DeliveryStatus.SENT
    assert activity.provider_id.startswith("sent-mid:m_sent")


def test_a_long_messenger_reply_goes_in_parts(post_facebook, provider, reply):
    post_facebook(fixture_bytes("facebook", "messenger_message.json"))

    reply(Case.objects.get(), "x" * 4500)

    assert [len(c["body"]["message"]["text"]) for c in provider.calls] == [2000, 2000, 500]


def test_a_reply_on_a_comment_case_is_a_comment_under_it(post_facebook, provider, reply):
    post_facebook(fixture_bytes("facebook", "feed_comment_negative.json"))

    activity = reply(Case.objects.get(), "So sorry Dana, we have messaged you.")

    assert len(provider.calls) == 1
    call = provider.calls[0]
    assert call["path"] == "/v21.0/998877665544332_1122334455667788/comments"
    assert call["body"] == {"message": "So sorry Dana, we have messaged you."}
    assert activity.provider_id.startswith("sent-comment:998877665544332_")


def test_a_refused_page_token_marks_the_reply_failed_not_lost(
    post_facebook, provider, reply, settings
):
    settings.CASEWAY_FACEBOOK_PAGE_ACCESS_TOKEN = "expired"
    post_facebook(fixture_bytes("facebook", "messenger_message.json"))

    activity = reply(Case.objects.get(), "Hello?")

    assert activity.delivery_status == DeliveryStatus.FAILED
    assert "401" in activity.data["delivery_detail"]


def test_a_reply_on_an_x_dm_case_is_a_dm_to_the_participant(post_x, provider, reply):
    post_x(fixture_bytes("x", "dm_message_create.json"))

    activity = reply(Case.objects.get(), "Could you send us the last 4 digits?")

    assert provider.calls == [
        {
            "path": "/2/dm_conversations/with/912845563307085824/messages",
            "auth": f"Bearer {X_TOKEN}",
            "body": {"text": "Could you send us the last 4 digits?"},
        }
    ]
    assert activity.provider_id.startswith("sent-dm:")


def test_a_reply_to_a_mention_is_a_reply_tweet_and_their_answer_joins_the_case(
    post_x, provider, reply
):
    post_x(fixture_bytes("x", "tweet_mention_negative.json"))
    case = Case.objects.get()

    activity = reply(case, "@marcobellini Sorry Marco, which app version?")

    call = provider.calls[0]
    assert call["path"] == "/2/tweets"
    assert call["body"] == {
        "text": "@marcobellini Sorry Marco, which app version?",
        "reply": {"in_reply_to_tweet_id": "1863210034567782400"},
    }
    # The stand-in numbered our tweet 1863214001000000000: the recorded answer replies to it.
    assert activity.provider_id == "sent-tweet:1863214001000000000"

    response = post_x(fixture_bytes("x", "tweet_reply_followup.json"))

    assert response.json()["posts_added_to_case"] == 1
    assert case.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 2
    assert SocialPost.objects.filter(verdict=PostVerdict.ADDED_TO_CASE, case=case).count() == 1


def test_a_reply_tweet_longer_than_280_characters_is_refused(post_x, provider, reply):
    post_x(fixture_bytes("x", "tweet_mention_negative.json"))

    activity = reply(Case.objects.get(), "y" * 281)

    assert provider.calls == []
    assert activity.delivery_status == DeliveryStatus.FAILED
    assert "280" in activity.data["delivery_detail"]


def test_without_a_page_token_a_reply_goes_to_the_portal(post_facebook, provider, reply, settings):
    settings.CASEWAY_FACEBOOK_PAGE_ACCESS_TOKEN = ""
    post_facebook(fixture_bytes("facebook", "messenger_message.json"))

    activity = reply(Case.objects.get(), "Hello")

    assert (activity.channel, activity.delivery_status) == ("portal", DeliveryStatus.DELIVERED)
    assert provider.calls == []
