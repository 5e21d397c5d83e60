"""Attachments as files: open a case or add a message with multipart/form-data (what a phone's
share sheet or camera hands an app), and download a file of a message you may see."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile as DjangoUpload
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Status, UploadedFile
from ninja.errors import HttpError

from caseway.api.auth import require_customer, require_role
from caseway.api.endpoints.cases import WRITE_ERRORS, add_case_message, open_customer_case
from caseway.api.errors import field_error
from caseway.api.mobile_schemas import CaseFormIn, MessageFormIn
from caseway.api.schemas import CaseActivityOut, CaseOut, ErrorOut
from caseway.cases.exceptions import AttachmentRejected
from caseway.cases.models import Attachment
from caseway.cases.queries import get_case_for_user, timeline_for
from caseway.cases.services import check_attachment_file
from caseway.connectors.messages import AttachmentIn as InboundAttachment
from caseway.core.downloads import file_download

router = Router(tags=["cases"])

MAX_FILES = 10


def checked_files(files: list[UploadedFile] | None) -> tuple[InboundAttachment, ...]:
    """The uploaded files as intake's attachments, each checked against the size and type
    limits (caseway.core.limits) before any is read into memory whole."""
    files = files or []
    if len(files) > MAX_FILES:
        raise field_error(
            ["file", "attachments"],
            _("At most %(count)d files per message.") % {"count": MAX_FILES},
            "too_many_files",
        )
    checked = []
    for index, upload in enumerate(files):
        filename = (upload.name or "attachment").rsplit("/", 1)[-1][:255]
        content_type = upload.content_type or "application/octet-stream"
        size = upload.size or 0
        try:
            check_attachment_file(filename=filename, content_type=content_type, size=size)
        except AttachmentRejected as exc:
            raise field_error(
                ["file", "attachments", index], str(exc), "attachment_rejected"
            ) from exc
        checked.append(
            InboundAttachment(filename=filename, content_type=content_type, content=_read(upload))
        )
    return tuple(checked)


def _read(upload: DjangoUpload) -> bytes:
    content: bytes = upload.read(settings.CASEWAY_ATTACHMENT_MAX_BYTES + 1)
    if len(content) > settings.CASEWAY_ATTACHMENT_MAX_BYTES:  # a size the client lied about
        raise HttpError(413, _("The request body is too large."))
    return content


@router.post(
    "/upload",
    response={200: CaseOut, 201: CaseOut, **WRITE_ERRORS},
    summary="Open a case with files (customers; multipart/form-data)",
)
def create_case_with_files(
    request: HttpRequest,
    payload: Form[CaseFormIn],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[CaseOut]:
    """Like POST /cases, with the fields as form fields and up to ten `attachments` files."""
    caller, contact = require_customer(request)
    return open_customer_case(
        caller=caller,
        contact=contact,
        subject=payload.subject,
        text=payload.text,
        attachments=checked_files(attachments),
        client_message_id=payload.client_message_id,
        channel=payload.channel,
    )


@router.post(
    "/{number}/messages/upload",
    response={200: CaseActivityOut, 201: CaseActivityOut, **WRITE_ERRORS},
    summary="Add a message with files (multipart/form-data)",
)
def add_message_with_files(
    request: HttpRequest,
    number: str,
    payload: Form[MessageFormIn],
    attachments: File[list[UploadedFile]] = None,  # type: ignore[assignment]
) -> Status[CaseActivityOut]:
    """Like POST /cases/{number}/messages, with form fields and `attachments` files."""
    caller = require_role(request)
    get_case_for_user(caller.user, number)  # 404 before reading any file
    return add_case_message(
        caller=caller,
        number=number,
        text=payload.text,
        attachments=checked_files(attachments),
        client_message_id=payload.client_message_id,
        channel=payload.channel,
        status=payload.status,
    )


@router.get(
    "/{number}/attachments/{attachment_id}",
    response={200: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    summary="Download a file of a message you may see",
)
def download_attachment(request: HttpRequest, number: str, attachment_id: int) -> FileResponse:
    """Customers get files of the public messages of cases they see; agents any file of a
    case of theirs. Anything else is 404, like a file that does not exist."""
    caller = require_role(request)
    case = get_case_for_user(caller.user, number)
    attachment = (
        Attachment.objects.filter(
            pk=attachment_id, case=case, activity__in=timeline_for(caller.user, case)
        )
        .only("file", "filename", "content_type")
        .first()
    )
    if attachment is None:
        raise HttpError(404, _("No such file."))
    return file_download(
        file=attachment.file, filename=attachment.filename, content_type=attachment.content_type
    )
