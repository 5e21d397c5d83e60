"""Facebook Page: Messenger messages and page feed (posts, comments) in, Graph API out.

Webhooks: GET is the subscription handshake (hub.mode=subscribe, hub.verify_token equal to
FACEBOOK_VERIFY_TOKEN, answer hub.challenge); POST carries events signed with
X-Hub-Signature-256 ("sha256=" + hex HMAC-SHA256 of the raw body with the app secret).
Replies: the Send API (POST /vXX.X/me/messages) for a Messenger conversation, a comment
(POST /vXX.X/{comment-or-post-id}/comments) for a public post or comment, with the page
access token as a bearer token.
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
    check_signature,
    dict_or_empty,
    hex_signature,
    latest_inbound,
    post_json,
    text_of,
)
from caseway.core.kinds import AddressKind, ChannelKind

# The Send API takes at most 2,000 characters per message; longer replies go in parts.
MESSENGER_MAX_CHARS = 2000
# Feed items that carry words a customer wrote (likes, reactions, shares carry none).
FEED_ITEMS = frozenset({"comment", "post", "status", "photo", "video"})


class FacebookAdapter:
    """A Facebook Page: Messenger conversations and public posts and comments."""

    kinds: tuple[str, ...] = (ChannelKind.FACEBOOK,)
    address_kind = AddressKind.FACEBOOK  # replies go to the contact's page-scoped id

    # -- in ------------------------------------------------------------------------------

    def subscription_challenge(self, params: dict[str, str]) -> str:
        """The hub.challenge to echo when the verify token matches (BadSignature if not)."""
        token = settings.CASEWAY_FACEBOOK_VERIFY_TOKEN
        if not token:
            raise BadSignature("FACEBOOK_VERIFY_TOKEN is not set: subscriptions are refused")
        if params.get("hub.mode") != "subscribe":
            raise BadSignature("hub.mode is not subscribe")
        check_signature(params.get("hub.verify_token", ""), expected=token)
        return params.get("hub.challenge", "")

    def verify(self, request: HttpRequest, body: bytes) -> None:
        """Check X-Hub-Signature-256 against the raw body (BadSignature if it differs)."""
        secret = settings.CASEWAY_FACEBOOK_APP_SECRET
        if not secret:
            raise BadSignature("FACEBOOK_APP_SECRET is not set: webhooks are refused")
        header = request.headers.get("X-Hub-Signature-256", "")
        check_signature(header, expected=hex_signature(secret, body))

    def parse(self, data: dict[str, Any]) -> list[SocialEvent]:
        """Every message, post and comment of a delivery, in order (PayloadRejected when the
        body is not a page delivery)."""
        if data.get("object") != "page":
            raise PayloadRejected("not a page delivery (object is not 'page')")
        events: list[SocialEvent] = []
        for entry in as_list(data.get("entry"), "entry"):
            entry = as_dict(entry, "an entry")
            page_id = text_of(entry.get("id"), "entry.id")
            for item in as_list(entry.get("messaging"), "entry.messaging"):
                events.append(_messaging_event(as_dict(item, "a messaging item"), page_id))
            for change in as_list(entry.get("changes"), "entry.changes"):
                events.append(_feed_event(as_dict(change, "a change"), page_id))
        return events

    # -- out -----------------------------------------------------------------------------

    def is_configured(self) -> bool:
        """Replies can go out (the API token is set); otherwise they go to the portal."""
        return bool(settings.CASEWAY_FACEBOOK_PAGE_ACCESS_TOKEN)

    def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """A comment under the customer's latest post or comment, else a Messenger reply."""
        token = settings.CASEWAY_FACEBOOK_PAGE_ACCESS_TOKEN
        if not token:
            raise ConnectorError("FACEBOOK_PAGE_ACCESS_TOKEN is not set")
        base = (
            f"{settings.CASEWAY_FACEBOOK_GRAPH_URL.rstrip('/')}/"
            f"{settings.CASEWAY_FACEBOOK_GRAPH_VERSION}"
        )
        target = latest_inbound(message.in_reply_to)
        kind, _sep, object_id = target.partition(":")
        if kind in {"comment", "post"} and object_id:
            answer = post_json(
                f"{base}/{object_id}/comments", token=token, body={"message": message.text}
            )
            comment_id = text_of(answer.get("id"), "id")
            if not comment_id:
                raise ConnectorError("the Graph API answered without a comment id")
            return DeliveryReceipt(
                status="sent",
                provider_id=f"{SENT_PREFIX}comment:{comment_id}",
                detail=f"commented on {kind} {object_id}",
            )
        if not message.to.address or message.to.kind != AddressKind.FACEBOOK:
            raise ConnectorError("the contact has no Facebook identity to message")
        first_id = ""
        text = message.text
        step = MESSENGER_MAX_CHARS
        parts = [text[i : i + step] for i in range(0, len(text), step)] or [text]
        for part in parts:
            answer = post_json(
                f"{base}/me/messages",
                token=token,
                body={
                    "recipient": {"id": message.to.address},
                    "messaging_type": "RESPONSE",
                    "message": {"text": part},
                },
            )
            first_id = first_id or text_of(answer.get("message_id"), "message_id")
        if not first_id:
            raise ConnectorError("the Send API answered without a message id")
        return DeliveryReceipt(
            status="sent",
            provider_id=f"{SENT_PREFIX}mid:{first_id}",
            detail=f"sent on Messenger in {len(parts)} part(s)",
        )


def _messaging_event(item: dict[str, Any], page_id: str) -> SocialEvent:
    message = item.get("message")
    if not isinstance(message, dict):
        # deliveries, reads, reactions, postbacks: nothing a customer wrote.
        return SocialEvent(kind="ignored", reason="not a message")
    if message.get("is_echo"):
        return SocialEvent(kind="ignored", reason="our own message (echo)")
    sender = as_dict(item.get("sender"), "messaging.sender")
    sender_id = text_of(sender.get("id"), "sender.id")
    mid = text_of(message.get("mid"), "message.mid")
    if not sender_id or not mid:
        raise PayloadRejected("a message without sender.id or message.mid")
    text = text_of(message.get("text"), "message.text")
    links = []
    for attachment in as_list(message.get("attachments"), "message.attachments"):
        attachment = as_dict(attachment, "an attachment")
        payload = attachment.get("payload")
        url = text_of(payload.get("url"), "attachment url") if isinstance(payload, dict) else ""
        if url:
            links.append(f"[{text_of(attachment.get('type'), 'type') or 'file'}] {url}")
    body = "\n".join([text, *links]).strip()
    return SocialEvent(
        kind="private",
        message=InboundMessage(
            channel=ChannelKind.FACEBOOK,
            provider_id=f"mid:{mid}",
            sender=Sender(kind=AddressKind.FACEBOOK, address=sender_id),
            text=body,
            continues_conversation=True,
            meta={"social": {"network": "facebook", "item": "message", "page_id": page_id}},
        ),
    )


def _feed_event(change: dict[str, Any], page_id: str) -> SocialEvent:
    if change.get("field") != "feed":
        return SocialEvent(kind="ignored", reason=f"field {change.get('field')!r}")
    value = as_dict(change.get("value"), "change.value")
    item = text_of(value.get("item"), "value.item")
    verb = text_of(value.get("verb"), "value.verb")
    if item not in FEED_ITEMS:
        return SocialEvent(kind="ignored", reason=f"feed item {item!r}")
    if verb != "add":
        return SocialEvent(kind="ignored", reason=f"feed verb {verb!r}")
    author = as_dict(value.get("from"), "value.from")
    author_id = text_of(author.get("id"), "from.id")
    if author_id == page_id:
        return SocialEvent(kind="ignored", reason="posted by the page itself")
    post_id = text_of(value.get("post_id"), "value.post_id")
    comment_id = text_of(value.get("comment_id"), "value.comment_id")
    parent_id = text_of(value.get("parent_id"), "value.parent_id")
    if not author_id or not post_id or (item == "comment" and not comment_id):
        raise PayloadRejected("a feed change without from.id, post_id or comment_id")
    if item == "comment":
        provider_id = f"comment:{comment_id}"
        in_reply_to: tuple[str, ...] = (f"post:{post_id}",)
        if parent_id and parent_id != post_id:
            in_reply_to = (
                f"comment:{parent_id}",
                f"{SENT_PREFIX}comment:{parent_id}",
                *in_reply_to,
            )
    else:
        provider_id, in_reply_to = f"post:{post_id}", ()
    post = dict_or_empty(value.get("post"))
    permalink = text_of(post.get("permalink_url"), "post.permalink_url") or text_of(
        value.get("link"), "value.link"
    )
    return SocialEvent(
        kind="public",
        message=InboundMessage(
            channel=ChannelKind.FACEBOOK,
            provider_id=provider_id,
            sender=Sender(
                kind=AddressKind.FACEBOOK,
                address=author_id,
                name=text_of(author.get("name"), "from.name"),
            ),
            text=text_of(value.get("message"), "value.message"),
            in_reply_to=in_reply_to,
            meta={
                "social": {
                    "network": "facebook",
                    "item": "comment" if item == "comment" else "post",
                    "page_id": page_id,
                    "post_id": post_id,
                    "comment_id": comment_id,
                    "url": permalink if permalink.startswith("https://") else "",
                }
            },
        ),
    )
