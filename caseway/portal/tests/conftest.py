"""Portal test helpers: a customer's case with a conversation, logins, uploads."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from caseway.connectors.messages import InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.intake.services import receive


def portal_message(email: str, **overrides: object) -> InboundMessage:
    values: dict[str, object] = {
        "channel": ChannelKind.PORTAL,
        "provider_id": str(uuid.uuid4()),
        "sender": Sender(kind=AddressKind.EMAIL, address=email, name=""),
        "subject": "Printer on fire",
        "text": "It is really on fire.",
    }
    values.update(overrides)
    return InboundMessage(**values)  # type: ignore[arg-type]


@pytest.fixture
def open_case():
    """Open a case through intake for a contact's email; returns the case."""

    def build(contact, **overrides):
        return receive(portal_message(contact.email, **overrides)).case

    return build


@pytest.fixture
def login(client):
    def as_contact(contact):
        client.force_login(contact.user)
        return client

    return as_contact


def upload(name: str = "notes.txt", content: bytes = b"hello", content_type: str = "text/plain"):
    return SimpleUploadedFile(name, content, content_type=content_type)
