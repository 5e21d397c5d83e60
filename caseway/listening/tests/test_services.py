"""listen_to_post: keep every post, open a raised-priority case for a negative one."""

from __future__ import annotations

import pytest

from caseway.cases.models import Case, CasePriority
from caseway.connectors.messages import InboundMessage, Sender
from caseway.intake.exceptions import MessageRejected
from caseway.intake.models import InboundRecord, InboundStatus
from caseway.listening.models import PostVerdict, SocialPost
from caseway.listening.queries import post_counts
from caseway.listening.services import listen_to_post
from caseway.routing.models import RoutingRule

pytestmark = pytest.mark.django_db


def post(text: str, provider_id: str = "tweet:1", author: str = "77") -> InboundMessage:
    return InboundMessage(
        channel="x",
        provider_id=provider_id,
        sender=Sender(kind="x", address=author, name="Ana"),
        text=text,
        meta={"social": {"network": "x", "item": "mention", "url": "https://x.com/a/status/1"}},
    )


def test_a_negative_post_opens_a_case_at_the_listening_priority(settings, default_queue):
    settings.CASEWAY_LISTENING_PRIORITY = "urgent"

    heard = listen_to_post(msg=post("This is awful, I hate it"))

    assert heard.intake is not None and heard.intake.is_new_case
    assert heard.intake.case.priority == CasePriority.URGENT
    assert heard.post.verdict == PostVerdict.OPENED_CASE


def test_routing_rules_see_the_raised_priority(default_queue):
    from caseway.cases.tests.factories import QueueFactory

    escalations = QueueFactory(name="Social escalations", slug="social-escalations")
    RoutingRule.objects.create(
        name="Angry posts", order=1, priorities=["high"], channels=["x"], queue=escalations
    )

    heard = listen_to_post(msg=post("Worst service ever, absolutely terrible"))

    assert heard.intake is not None
    assert heard.intake.case.queue == escalations


def test_hearing_a_post_again_changes_nothing(default_queue):
    listen_to_post(msg=post("Terrible, broken again"))
    again = listen_to_post(msg=post("Terrible, broken again"))

    assert again.is_replay
    assert (SocialPost.objects.count(), Case.objects.count()) == (1, 1)


def test_neutral_and_positive_posts_are_counted_without_cases(default_queue):
    listen_to_post(msg=post("Love it!", "tweet:1"))
    listen_to_post(msg=post("New firmware is out today", "tweet:2"))
    listen_to_post(msg=post("Horrible update, hate it", "tweet:3"))

    assert post_counts() == {
        "verdict": {"recorded": 2, "opened_case": 1},
        "sentiment": {"positive": 1, "neutral": 1, "negative": 1},
    }
    assert post_counts(channel="facebook") == {"verdict": {}, "sentiment": {}}
    assert Case.objects.count() == 1


def test_a_post_intake_refuses_is_kept_and_retried_when_heard_again(settings, default_queue):
    settings.CASEWAY_MESSAGE_MAX_CHARS = 10
    angry = post("Terrible terrible terrible service")

    with pytest.raises(MessageRejected):
        listen_to_post(msg=angry)

    kept = SocialPost.objects.get()
    assert kept.verdict == PostVerdict.FAILED and "longer than" in kept.error
    assert InboundRecord.objects.get().status == InboundStatus.FAILED

    settings.CASEWAY_MESSAGE_MAX_CHARS = 100_000
    heard = listen_to_post(msg=angry)

    assert heard.post.verdict == PostVerdict.OPENED_CASE
    assert SocialPost.objects.count() == 1
