"""Email addresses and Message-IDs in the one normal form Caseway stores them in."""

from __future__ import annotations

import re
from email.utils import getaddresses

_MSGID = re.compile(r"<([^<>\s]+)>")


def normalize_address(address: str) -> str:
    """Lower-case and trimmed: mailbox addresses compare case-insensitively in practice."""
    return address.strip().strip("<>").strip().lower()


def addresses_in(*values: str | None) -> list[str]:
    """Every address in header values such as To and Cc, normalized, in order, once each."""
    found: list[str] = []
    for _name, address in getaddresses([value for value in values if value]):
        normal = normalize_address(address)
        if "@" in normal and normal not in found:
            found.append(normal)
    return found


def message_ids_in(value: str | None) -> list[str]:
    """The Message-IDs in a References or In-Reply-To value, without angle brackets.

    A value without brackets (some clients) counts as one id when it looks like one.
    """
    if not value:
        return []
    ids = _MSGID.findall(value)
    if not ids:
        bare = value.strip()
        if bare and "@" in bare and " " not in bare:
            ids = [bare]
    return list(dict.fromkeys(ids))


def bracketed(message_id: str) -> str:
    return f"<{message_id.strip('<>')}>"
