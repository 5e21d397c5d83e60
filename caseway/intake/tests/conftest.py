"""Fixtures of intake's tests (the email channel's live in email_support.py)."""

from caseway.intake.tests.email_support import dovecot, listener, mailboxes, relay  # noqa: F401
