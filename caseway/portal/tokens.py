"""Private case links for visitors who wrote without signing in.

The token is the case and its contact, signed with the project's secret: whoever holds the
link sees that one case and may reply to it, nothing else. It does not expire, like the case
number in an email subject.
"""

from __future__ import annotations

from django.core import signing

from caseway.cases.models import Case
from caseway.cases.queries import get_case_for_contact

SALT = "caseway.portal.case-link"


def make_case_token(case: Case) -> str:
    return signing.dumps({"case": case.pk, "contact": case.contact_id}, salt=SALT)


def case_from_token(token: str) -> Case:
    """The case a token names; raises Case.DoesNotExist for a bad, tampered or stale token."""
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise Case.DoesNotExist("bad case link") from exc
    if not isinstance(value, dict):
        raise Case.DoesNotExist("bad case link")
    case_id, contact_id = value.get("case"), value.get("contact")
    if not isinstance(case_id, int) or not isinstance(contact_id, int):
        raise Case.DoesNotExist("bad case link")
    return get_case_for_contact(case_id=case_id, contact_id=contact_id)
