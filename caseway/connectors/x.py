"""X (Twitter) account activity: direct messages and mentions in, X API v2 out.

Webhooks: GET with crc_token is the challenge-response check, answered with
{"response_token": "sha256=" + base64(HMAC-SHA256(consumer secret, crc_token))}; POST events
carry x-twitter-webhooks-signature, the same HMAC of the raw body. Replies: a direct message
(POST /2/dm_conversations/with/{participant}/messages) in a DM conversation, a reply tweet
(POST /2/tweets with reply.in_reply_to_tweet_id) to a public tweet, with an OAuth 2.0
user-context bearer token.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from caseway.connectors.exceptions import BadSignature, ConnectorError, PayloadRejected
from caseway.connectors.messages import DeliveryReceipt, InboundMessage, OutboundMessage, Sender
from caseway.connectors.social import (
    SENT_PREFIX,
    SocialEvent,
    as_dict,
    as_list,
    base64_signature,
    check_signature,
    dict_or_empty,
    latest_inbound,
    post_json,
    text_of,
)
from caseway.core.kinds import AddressKind, ChannelKind

TWEET_MAX_CHARS = 280
DM_MAX_CHARS = 10_000


class XAdapter:
    """The company's X account: DM conversations and public mentions and replies."""

    kinds: tuple[str, ...] = (ChannelKind.X,)
    address_kind = AddressKind.X  # replies go to the contact's X user id

    # -- in ------------------------------------------------------------------------------

    def crc_response(self, crc_token: str) -> dict[str, str]:
        """The answer to X's challenge-response check (BadSignature when disabled)."""
        secret = settings.CASEWAY_X_CONSUMER_SECRET
        if not secret:
            raise BadSignature("X_CONSUMER_SECRET is not set: webhooks are refused")
        if not crc_token:
            raise PayloadRejected("crc_token is empty")
        return {"response_token": base64_signature(secret, crc_token.encode())}

    def verify(self, request: HttpRequest, body: bytes) -> None:
        secret = settings.CASEWAY_X_CONSUMER_SECRET
        if not secret:
            raise BadSignature("X_CONSUMER_SECRET is not set: webhooks are refused")
        header = request.headers.get("X-Twitter-Webhooks-Signature", "")
        check_signature(header, expected=base64_signature(secret, body))

    def parse(self, data: dict[str, Any]) -> list[SocialEvent]:
        """Every DM and tweet of a delivery; other activity (likes, follows, typing) is
        ignored. PayloadRejected when for_user_id is missing or the shapes are wrong."""
        account_id = text_of(data.get("for_user_id"), "for_user_id")
        if not account_id:
            raise PayloadRejected("not an account activity delivery (no for_user_id)")
        users = dict_or_empty(data.get("users"))
        events: list[SocialEvent] = []
        for item in as_list(data.get("direct_message_events"), "direct_message_events"):
            events.append(_dm_event(as_dict(item, "a DM event"), account_id, users))
        for item in as_list(data.get("tweet_create_events"), "tweet_create_events"):
            events.append(_tweet_event(as_dict(item, "a tweet"), account_id))
        return events

    # -- out -----------------------------------------------------------------------------

    def is_configured(self) -> bool:
        """Replies can go out (the API token is set); otherwise they go to the portal."""
        return bool(settings.CASEWAY_X_ACCESS_TOKEN)

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """A reply tweet to the customer's latest tweet, else a direct message."""
        token = settings.CASEWAY_X_ACCESS_TOKEN
        if not token:
            raise ConnectorError("X_ACCESS_TOKEN is not set")
        base = settings.CASEWAY_X_API_URL.rstrip("/")
        kind, _sep, tweet_id = latest_inbound(message.in_reply_to).partition(":")
        if kind == "tweet" and tweet_id:
            if len(message.text) > TWEET_MAX_CHARS:
                raise ConnectorError(
                    f"a reply tweet holds at most {TWEET_MAX_CHARS} characters; "
                    f"this one has {len(message.text)}"
                )
            answer = post_json(
                f"{base}/2/tweets",
                token=token,
                body={"text": message.text, "reply": {"in_reply_to_tweet_id": tweet_id}},
            )
            data = dict_or_empty(answer.get("data"))
            sent_id = text_of(data.get("id"), "data.id")
            if not sent_id:
                raise ConnectorError("the X API answered without a tweet id")
            return DeliveryReceipt(
                status="sent",
                provider_id=f"{SENT_PREFIX}tweet:{sent_id}",
                detail=f"replied to tweet {tweet_id}",
            )
        if not message.to.address or message.to.kind != AddressKind.X:
            raise ConnectorError("the contact has no X identity to message")
        if len(message.text) > DM_MAX_CHARS:
            raise ConnectorError(f"a direct message holds at most {DM_MAX_CHARS} characters")
        answer = post_json(
            f"{base}/2/dm_conversations/with/{message.to.address}/messages",
            token=token,
            body={"text": message.text},
        )
        data = dict_or_empty(answer.get("data"))
        event_id = text_of(data.get("dm_event_id"), "data.dm_event_id")
        if not event_id:
            raise ConnectorError("the X API answered without a dm_event_id")
        return DeliveryReceipt(
            status="sent", provider_id=f"{SENT_PREFIX}dm:{event_id}", detail="sent as an X DM"
        )


def _dm_event(item: dict[str, Any], account_id: str, users: dict[str, Any]) -> SocialEvent:
    if item.get("type") != "message_create":
        return SocialEvent(kind="ignored", reason=f"DM event {item.get('type')!r}")
    create = as_dict(item.get("message_create"), "message_create")
    sender_id = text_of(create.get("sender_id"), "message_create.sender_id")
    event_id = text_of(item.get("id"), "DM event id")
    if not sender_id or not event_id:
        raise PayloadRejected("a DM event without id or sender_id")
    if sender_id == account_id:
        return SocialEvent(kind="ignored", reason="sent by the account itself")
    data = as_dict(create.get("message_data"), "message_data")
    text = text_of(data.get("text"), "message_data.text")
    attachment = data.get("attachment")
    if isinstance(attachment, dict) and isinstance(attachment.get("media"), dict):
        url = text_of(attachment["media"].get("media_url_https"), "media_url_https")
        if url:
            text = f"{text}\n[{text_of(attachment['media'].get('type'), 'type')}] {url}".strip()
    user = dict_or_empty(users.get(sender_id))
    return SocialEvent(
        kind="private",
        message=InboundMessage(
            channel=ChannelKind.X,
            provider_id=f"dm:{event_id}",
            sender=Sender(
                kind=AddressKind.X, address=sender_id, name=text_of(user.get("name"), "name")
            ),
            text=text,
            continues_conversation=True,
            meta={
                "social": {
                    "network": "x",
                    "item": "message",
                    "account_id": account_id,
                    "screen_name": text_of(user.get("screen_name"), "screen_name"),
                }
            },
        ),
    )


def _tweet_event(tweet: dict[str, Any], account_id: str) -> SocialEvent:
    user = as_dict(tweet.get("user"), "tweet.user")
    user_id = text_of(user.get("id_str") or user.get("id"), "user.id_str")
    tweet_id = text_of(tweet.get("id_str") or tweet.get("id"), "tweet.id_str")
    if not user_id or not tweet_id:
        raise PayloadRejected("a tweet without id_str or user.id_str")
    if user_id == account_id:
        return SocialEvent(kind="ignored", reason="tweeted by the account itself")
    if isinstance(tweet.get("retweeted_status"), dict):
        return SocialEvent(kind="ignored", reason="a retweet")
    text = text_of(tweet.get("text"), "tweet.text")
    extended = tweet.get("extended_tweet")
    if isinstance(extended, dict) and extended.get("full_text"):
        text = text_of(extended.get("full_text"), "extended_tweet.full_text")
    parent = text_of(tweet.get("in_reply_to_status_id_str"), "in_reply_to_status_id_str")
    screen_name = text_of(user.get("screen_name"), "user.screen_name")
    return SocialEvent(
        kind="public",
        message=InboundMessage(
            channel=ChannelKind.X,
            provider_id=f"tweet:{tweet_id}",
            sender=Sender(
                kind=AddressKind.X, address=user_id, name=text_of(user.get("name"), "user.name")
            ),
            text=text,
            in_reply_to=(f"tweet:{parent}", f"{SENT_PREFIX}tweet:{parent}") if parent else (),
            meta={
                "social": {
                    "network": "x",
                    "item": "reply" if parent else "mention",
                    "account_id": account_id,
                    "screen_name": screen_name,
                    "tweet_id": tweet_id,
                    "url": f"https://x.com/{screen_name}/status/{tweet_id}" if screen_name else "",
                }
            },
        ),
    )
