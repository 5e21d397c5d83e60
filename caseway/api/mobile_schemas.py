"""Request and response shapes of the app-facing extras: tokens, devices, the feed, webhooks."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from caseway.api.outbound_models import DevicePlatform, OutboundKind, OutboundStatus
from caseway.api.schemas import (
    ActivityOut,
    ClientMessageId,
    CustomerChannel,
    InputSchema,
    MessageText,
)
from caseway.cases.models import CaseStatus

# --- tokens --------------------------------------------------------------------------------


class TokenInfoOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The token's first characters, to tell tokens apart.")
    created_at: datetime
    last_used_at: datetime | None = Field(description="To the minute.")
    expires_at: datetime | None
    is_current: bool = Field(description="The token this request was made with.")


class SessionTokenIn(InputSchema):
    name: str = Field("App", max_length=100, description="What the token is for: 'iPhone'.")
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class RevokedOut(Schema):
    revoked: int = Field(description="How many tokens were revoked.")


# --- multipart forms (attachments as files) ------------------------------------------------


class CaseFormIn(Schema):
    subject: str = Field(..., min_length=1, max_length=300)
    text: MessageText = Field(..., min_length=1)
    client_message_id: ClientMessageId | None = None
    channel: CustomerChannel = "api"


class MessageFormIn(Schema):
    text: MessageText = Field("", description="Required unless there are attachments.")
    client_message_id: ClientMessageId | None = None
    channel: CustomerChannel = "api"
    status: CaseStatus | None = Field(None, description="Agents only: status after the reply.")


# --- devices -------------------------------------------------------------------------------


class DeviceIn(InputSchema):
    platform: DevicePlatform
    token: str = Field(
        ..., min_length=8, max_length=512, pattern=r"^[A-Za-z0-9._:\-]+$",
        description="The APNs / FCM / web-push token the push gateway delivers to.",
    )  # fmt: skip
    name: str = Field("", max_length=100, description="'Carol's iPhone'.")


class DeviceOut(Schema):
    id: int
    platform: DevicePlatform
    token: str
    name: str
    created_at: datetime
    last_seen_at: datetime


# --- feed ----------------------------------------------------------------------------------


class CaseRefOut(Schema):
    number: str
    subject: str
    status: CaseStatus


class FeedItemOut(Schema):
    cursor: str = Field(description="Pass as `since` to get what came after this item.")
    type: Literal["message"] = "message"
    case: CaseRefOut
    activity: ActivityOut


class FeedPage(Schema):
    items: list[FeedItemOut] = Field(description="Oldest first.")
    next_cursor: str = Field(description="`since` for the next call (unchanged when empty).")
    has_more: bool = Field(description="More items wait: call again at once with next_cursor.")


class FeedQuery(Schema):
    since: str = Field("", max_length=20, description="A cursor from an earlier page; empty "
                       "for the beginning.")  # fmt: skip
    limit: int = Field(50, ge=1, le=200)


# --- webhooks ------------------------------------------------------------------------------


class WebhookIn(InputSchema):
    url: str = Field(..., min_length=10, max_length=2000, description="http(s) URL to POST to.")
    description: str = Field("", max_length=200)


class WebhookOut(Schema):
    id: int
    url: str
    description: str
    is_active: bool
    created_at: datetime


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(description="Signs every delivery; shown only this once.")


class DeliveryOut(Schema):
    id: int
    event_id: str
    kind: OutboundKind
    status: OutboundStatus
    attempts: int
    last_status_code: int | None
    last_error: str
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
