"""Listening to one public post: judge it, keep it, and open or continue a case when it
calls for one. The webhook views of caseway.social call listen_to_post for every public
post or comment; direct messages never come here (they go straight to intake.receive).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction

from caseway.cases.models import Activity
from caseway.connectors.messages import InboundMessage
from caseway.customers.models import normalize_address
from caseway.intake.exceptions import MessageRejected
from caseway.intake.services import IntakeResult, receive
from caseway.listening.models import PostVerdict, SocialPost
from caseway.listening.scoring import Reading, read_post


@dataclass(frozen=True)
class Heard:
    """The outcome of listening to one post."""

    post: SocialPost
    reading: Reading | None
    intake: IntakeResult | None
    is_replay: bool


def listen_to_post(*, msg: InboundMessage) -> Heard:
    """Judge a public post and keep it; negative or complaint posts open a case.

    - negative (VADER at or below the threshold) or a complaint word: a case through
      intake.receive, asking for LISTENING_PRIORITY, with the post on the timeline (its
      text, link, score and the words found); a product name found becomes the product;
    - a post answering a message of an existing case (a comment under the customer's own
      post that opened a case, a reply to our reply) is added to that case whatever its
      sentiment, because intake threads it by in_reply_to;
    - anything else is recorded and counted, and opens nothing.

    Idempotent on (channel, provider_id); a post whose case could not be opened is retried
    when it arrives again. Raises MessageRejected when intake refuses the post (the post and
    intake's failed record are kept).
    """
    existing = _existing(msg)
    if existing is not None and existing.verdict != PostVerdict.FAILED:
        return Heard(post=existing, reading=None, intake=None, is_replay=True)
    reading = read_post(msg.text)
    reaches_case = reading.opens_case or _answers_case(msg)
    post = existing
    if post is None:
        try:
            post = _keep(msg, reading, PostVerdict.FAILED if reaches_case else PostVerdict.RECORDED)
        except IntegrityError:  # the same post, received at the same time elsewhere
            post = _existing(msg) or SocialPost()
            return Heard(post=post, reading=None, intake=None, is_replay=True)
    if not reaches_case:
        return Heard(post=post, reading=reading, intake=None, is_replay=False)
    try:
        result = receive(_for_intake(msg, reading, raise_priority=reading.opens_case))
    except MessageRejected as exc:
        post.error = str(exc)
        post.save(update_fields=["error", "updated_at"])
        raise
    post.case = result.case
    post.verdict = PostVerdict.OPENED_CASE if result.is_new_case else PostVerdict.ADDED_TO_CASE
    post.error = ""
    post.save(update_fields=["case", "verdict", "error", "updated_at"])
    return Heard(post=post, reading=reading, intake=result, is_replay=result.is_replay)


def _existing(msg: InboundMessage) -> SocialPost | None:
    return SocialPost.objects.filter(channel=msg.channel, provider_id=msg.provider_id).first()


def _answers_case(msg: InboundMessage) -> bool:
    """Whether the post answers a message on one of its author's own cases (one query).

    Only the author's cases count, as in intake's threading: a neutral comment under
    somebody else's complaint is not a case of its own.
    """
    if not msg.in_reply_to:
        return False
    return Activity.objects.filter(
        channel=msg.channel,
        provider_id__in=list(msg.in_reply_to)[:50],
        case__contact__identities__kind=msg.sender.kind,
        case__contact__identities__address=normalize_address(msg.sender.kind, msg.sender.address),
    ).exists()


def _keep(msg: InboundMessage, reading: Reading, verdict: str) -> SocialPost:
    social = msg.meta.get("social") or {}
    with transaction.atomic():
        return SocialPost.objects.create(
            channel=msg.channel,
            provider_id=msg.provider_id[:300],
            item=str(social.get("item") or "")[:20],
            author_address=msg.sender.address[:320],
            author_name=msg.sender.name[:200],
            text=msg.text,
            url=str(social.get("url") or "")[:500],
            sentiment_score=reading.score,
            sentiment=reading.sentiment,
            matched_words=[*reading.complaint_words, *reading.products],
            is_complaint=reading.is_complaint,
            verdict=verdict,
        )


def _for_intake(msg: InboundMessage, reading: Reading, *, raise_priority: bool) -> InboundMessage:
    """The post as intake should see it: raised priority (for a new case), product, the
    reading on the timeline entry (Activity.data["social"])."""
    social = dict(msg.meta.get("social") or {})
    meta = dict(msg.meta)
    if raise_priority:
        meta["priority"] = settings.CASEWAY_LISTENING_PRIORITY
    if reading.products and not meta.get("product"):
        meta["product"] = reading.products[0]
    meta["activity_data"] = {"social": {**social, "public": True, **reading.as_data()}}
    return dataclasses.replace(msg, meta=meta)
