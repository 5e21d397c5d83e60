"""Request and response shapes of the REST API (pydantic through ninja).

Inputs check form only (types, lengths, base64); rules such as attachment types or who may
own a case are the services' and endpoints' business.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.utils.text import get_valid_filename
from ninja import Field, Schema
from pydantic import AfterValidator, BeforeValidator, ConfigDict, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from caseway.cases.models import ActivityKind, CasePriority, CaseStatus, DeliveryStatus
from caseway.core.kinds import ChannelKind
from caseway.sla.models import EntitlementTerm, SlaKpi, SlaStatus

# --- shared --------------------------------------------------------------------------------


class InputSchema(Schema):
    """Unknown fields are an error, so a misspelt field name does not silently do nothing."""

    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str


class ValidationErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(Schema):
    detail: list[ValidationErrorItem]


def _decode_base64(value: object) -> bytes:
    """Strict base64 (line breaks allowed), refusing what would decode past the size limit."""
    if not isinstance(value, str):
        raise PydanticCustomError("base64", "must be a base64-encoded string")
    compact = "".join(value.split())
    limit = settings.CASEWAY_ATTACHMENT_MAX_BYTES
    if len(compact) // 4 * 3 > limit + 2:
        raise PydanticCustomError(
            "file_too_large",
            "the file is larger than the limit of {limit} bytes",
            {"limit": limit},
        )
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        raise PydanticCustomError("base64", "is not valid base64") from None


Base64File = Annotated[
    bytes,
    BeforeValidator(_decode_base64),
    WithJsonSchema({"type": "string", "contentEncoding": "base64"}),
]


def _check_text(value: str) -> str:
    limit = settings.CASEWAY_MESSAGE_MAX_CHARS
    if len(value) > limit:
        raise PydanticCustomError(
            "string_too_long", "is longer than {limit} characters", {"limit": limit}
        )
    return value


MessageText = Annotated[str, AfterValidator(_check_text)]


# --- auth ----------------------------------------------------------------------------------


class TokenIn(InputSchema):
    username: str = Field(..., min_length=1, max_length=254, description="Or the email.")
    password: str = Field(..., min_length=1, max_length=1000)
    name: str = Field("API", max_length=100, description="What the token is for: 'iPhone'.")
    expires_in_days: int | None = Field(None, ge=1, le=3650, description="Never when null.")


class TokenOut(Schema):
    token: str = Field(..., description="Shown only this once; send as 'Bearer <token>'.")
    prefix: str
    name: str
    expires_at: datetime | None


# --- cases: input --------------------------------------------------------------------------


class AttachmentIn(InputSchema):
    filename: str = Field(..., min_length=1, max_length=255)
    content_type: str = Field(..., min_length=3, max_length=120)
    content_base64: Base64File

    @field_validator("filename")
    @classmethod
    def _usable_filename(cls, value: str) -> str:
        try:
            get_valid_filename(value)
        except SuspiciousFileOperation:
            raise PydanticCustomError("filename", "is not a usable file name") from None
        return value


ClientMessageId = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="Your id for this message; sending it again returns the first result.",
    ),
]
CustomerChannel = Literal["api", "kiosk"]


class CaseCreateIn(InputSchema):
    subject: str = Field(..., min_length=1, max_length=300)
    text: MessageText = Field(..., min_length=1)
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    client_message_id: ClientMessageId | None = None
    channel: CustomerChannel = "api"

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class MessageIn(InputSchema):
    """A customer's message, or an agent's reply (which may also set the status)."""

    text: MessageText = Field("", description="Required unless there are attachments.")
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=10)
    client_message_id: ClientMessageId | None = Field(
        None, description="Customers only: makes a retry return the first result."
    )
    channel: CustomerChannel = Field("api", description="Customers only.")
    status: CaseStatus | None = Field(None, description="Agents only: status after the reply.")


class NoteIn(InputSchema):
    text: MessageText = Field(..., min_length=1)


class StatusIn(InputSchema):
    status: CaseStatus


class AssignIn(InputSchema):
    owner: str | None = Field(..., description="An agent's username, or null to unassign.")


class TimeIn(InputSchema):
    minutes: int = Field(..., ge=1, le=24 * 60, description="Minutes worked, 1 to 1440.")
    note: MessageText = Field("", description="What the time was spent on.")


class CaseFilters(Schema):
    status: CaseStatus | None = None
    priority: CasePriority | None = None
    queue: str | None = Field(None, max_length=50, description="A queue's slug.")
    owner: str | None = Field(None, max_length=150, description="'me', 'none' or a username.")
    q: str | None = Field(None, max_length=200, description="Words in the subject, or a number.")
    channel: ChannelKind | None = None
    limit: int = Field(25, ge=1, le=100)
    offset: int = Field(0, ge=0)


# --- cases: output -------------------------------------------------------------------------


class UserRef(Schema):
    username: str | None = Field(description="Shown to agents only.")
    name: str


class QueueRef(Schema):
    slug: str
    name: str


class SlaTimerOut(Schema):
    """One KPI clock of the case. Warning and due times fall on the policy's business
    calendar, pushed out by the business time the clock was paused."""

    kpi: SlaKpi
    status: SlaStatus = Field(
        description="As of this response: a running clock past its due time is breached."
    )
    started_at: datetime
    warn_at: datetime
    due_at: datetime = Field(description="Moves out when a paused clock resumes.")
    completed_at: datetime | None = Field(description="When the KPI was met, missed or cancelled.")
    paused_seconds: float = Field(description="Business seconds paused so far.")


class EntitlementRef(Schema):
    name: str
    term: EntitlementTerm
    remaining: float | None = Field(description="Cases or hours left; null when unlimited.")


class CaseSlaOut(Schema):
    policy: str = Field(description="The SLA policy's name.")
    entitlement: EntitlementRef | None = Field(description="The contract that covers the case.")
    timers: list[SlaTimerOut] = Field(description="Every KPI clock, oldest first.")


class CaseOut(Schema):
    number: str
    subject: str
    status: CaseStatus
    priority: CasePriority
    origin_channel: ChannelKind
    queue: QueueRef
    owner: UserRef | None
    contact_name: str
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    last_activity_at: datetime | None


class CasePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[CaseOut]


class AttachmentOut(Schema):
    id: int
    filename: str
    content_type: str
    size: int


class AuthorOut(Schema):
    kind: Literal["agent", "contact", "system"]
    name: str


class ActivityOut(Schema):
    id: int
    kind: ActivityKind
    channel: ChannelKind
    is_public: bool
    author: AuthorOut
    subject: str
    text: str
    html: str
    delivery_status: DeliveryStatus
    data: dict[str, Any] = Field(description="Details of status changes and assignments.")
    created_at: datetime
    attachments: list[AttachmentOut]


class CaseDetailOut(CaseOut):
    sla: CaseSlaOut | None = Field(
        None,
        description="Agents only: the case's SLA and its clocks. Null for customers and for "
        "a case without an SLA.",
    )
    timeline: list[ActivityOut]


class CaseActivityOut(Schema):
    """What adding to a case returns: the new timeline entry and the case after it."""

    case: CaseOut
    activity: ActivityOut | None


class QueueOut(Schema):
    slug: str
    name: str
    description: str
    is_default: bool
    open_count: int
    unassigned_count: int
