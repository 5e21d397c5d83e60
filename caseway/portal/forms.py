"""Portal forms: parse and check what a visitor typed; intake does the rest."""

from __future__ import annotations

import mimetypes
from typing import Any

from django import forms
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MaxLengthValidator
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from caseway.connectors.exceptions import PayloadRejected
from caseway.connectors.messages import AttachmentIn, check_attachment

MAX_FILES = 10
GENERIC_TYPES = {"", "application/octet-stream"}


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file input that takes several files and cleans to a list of uploads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        uploads = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(d, initial) for d in uploads if d]


def read_attachment(upload: UploadedFile) -> AttachmentIn:
    """Turn an upload into an AttachmentIn, refusing it (ValidationError) when intake would.

    The size is checked before the bytes are read, so an oversized file never lands in memory.
    A browser that does not know a file's type sends application/octet-stream; the name then
    decides.
    """
    filename = upload.name or "attachment"
    limit = settings.CASEWAY_ATTACHMENT_MAX_BYTES
    if (upload.size or 0) > limit:
        raise forms.ValidationError(
            gettext("%(name)s is too large: files may be up to %(limit)s."),
            code="too_large",
            params={"name": filename, "limit": filesizeformat(limit)},
        )
    content_type = (upload.content_type or "").split(";")[0].strip().lower()
    if content_type in GENERIC_TYPES:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    attachment = AttachmentIn(filename=filename, content_type=content_type, content=upload.read())
    try:
        check_attachment(attachment)
    except PayloadRejected as exc:
        if attachment.size > limit:
            message = gettext("%(name)s is too large: files may be up to %(limit)s.")
        else:
            message = gettext(
                "%(name)s is a kind of file we cannot accept. Try a PDF, an image, "
                "a text or an office document."
            )
        raise forms.ValidationError(
            message, code="rejected", params={"name": filename, "limit": filesizeformat(limit)}
        ) from exc
    return attachment


class MessageForm(forms.Form):
    """What every portal message carries: text and optional files."""

    text = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 6}))
    attachments = MultipleFileField(label=_("Attachments"))
    provider_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].validators.append(
            MaxLengthValidator(settings.CASEWAY_MESSAGE_MAX_CHARS)
        )
        widget = self.fields["attachments"].widget
        widget.attrs["accept"] = ",".join(settings.CASEWAY_ATTACHMENT_TYPES)
        widget.attrs["aria-describedby"] = "attachments-help"

    def clean_attachments(self) -> tuple[AttachmentIn, ...]:
        uploads: list[UploadedFile] = self.cleaned_data.get("attachments") or []
        if len(uploads) > MAX_FILES:
            raise forms.ValidationError(
                gettext("Attach at most %(count)d files to one message."),
                code="too_many",
                params={"count": MAX_FILES},
            )
        errors: list[forms.ValidationError] = []
        attachments: list[AttachmentIn] = []
        for upload in uploads:
            try:
                attachments.append(read_attachment(upload))
            except forms.ValidationError as exc:
                errors.append(exc)
        if errors:
            raise forms.ValidationError(errors)
        return tuple(attachments)

    @property
    def attachments_limit(self) -> str:
        return filesizeformat(settings.CASEWAY_ATTACHMENT_MAX_BYTES)


class CaseForm(MessageForm):
    """A signed-in customer's new case."""

    subject = forms.CharField(
        label=_("Subject"),
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": _("A short summary of your question")}),
    )
    field_order = ["subject", "text", "attachments"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].label = _("Describe your question")
        self.fields["text"].widget.attrs["placeholder"] = _(
            "What happened, what did you expect, and anything you already tried."
        )


class AnonymousCaseForm(CaseForm):
    """A visitor's new case: who they are comes from the typed name and email."""

    name = forms.CharField(
        label=_("Your name"), max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        help_text=_("So we can reach you about this case."),
    )
    field_order = ["name", "email", "subject", "text", "attachments"]


class ReplyForm(MessageForm):
    """A reply on an existing case: text, files, or both."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["text"].required = False
        self.fields["text"].label = _("Your reply")
        self.fields["text"].widget.attrs.update({"rows": 4, "placeholder": _("Write a reply…")})

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        is_empty = not (cleaned.get("text") or "").strip() and not cleaned.get("attachments")
        if is_empty and "text" not in self.errors and "attachments" not in self.errors:
            self.add_error("text", gettext("Write a message or attach a file."))
        return cleaned
