"""Serving a stored file to a browser or an app: always as a download, never cached."""

from __future__ import annotations

from django.db.models.fields.files import FieldFile
from django.http import FileResponse


def file_download(*, file: FieldFile, filename: str, content_type: str) -> FileResponse:
    """A response that downloads `file` as `filename`.

    Always an attachment, so an uploaded HTML or SVG file never renders on our origin; never
    stored by shared caches, as only the one who may see it fetched it.
    """
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type or "application/octet-stream",
    )
    response["Cache-Control"] = "private, no-store"
    return response
