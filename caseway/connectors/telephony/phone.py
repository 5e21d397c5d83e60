"""Phone numbers as Twilio writes them: E.164 ("+14155550100")."""

from __future__ import annotations

import re

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_JUNK = re.compile(r"[\s().-]")


def to_e164(raw: str) -> str:
    """The number in E.164 form, or "" when it is not a phone number (a withheld caller,
    a SIP or client address)."""
    number = _JUNK.sub("", raw.strip())
    if number.startswith("00"):
        number = "+" + number[2:]
    return number if _E164.match(number) else ""
