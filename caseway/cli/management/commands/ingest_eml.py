"""`caseway ingest-eml FILE...`: receive .eml files through the same path as SMTP and IMAP.

Each file is stored, parsed and received on its own; a file that fails is reported with its
reason and the others go on. The exit status is 1 when any file failed.
"""

from __future__ import annotations

from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from caseway.intake.email_models import EmailSource, EmailStatus, Mailbox
from caseway.intake.mail import receive_email


class Command(BaseCommand):
    help = "Receive .eml files as email, as if they had arrived by SMTP."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("files", nargs="+", metavar="FILE", help=".eml files (RFC 5322)")
        parser.add_argument(
            "--mailbox",
            default="",
            help="Address of the mailbox they came to (default: found from To and Cc).",
        )

    def handle(self, *args: Any, files: list[str], mailbox: str, **options: Any) -> None:
        target = None
        if mailbox:
            target = Mailbox.objects.filter(address=mailbox.strip().lower()).first()
            if target is None:
                raise CommandError(f"no mailbox {mailbox}")
        failed = 0
        for name in files:
            path = Path(name)
            try:
                raw = path.read_bytes()
            except OSError as exc:
                failed += 1
                self.stderr.write(f"{name}: cannot read: {exc.strerror or exc}")
                continue
            if not raw.strip():
                failed += 1
                self.stderr.write(f"{name}: empty file")
                continue
            try:
                outcome = receive_email(raw=raw, source=EmailSource.FILE, mailbox=target)
            except Exception as exc:  # noqa: BLE001 - reported per file, the others go on
                failed += 1
                self.stderr.write(f"{name}: not stored: {exc}")
                continue
            if outcome.status == EmailStatus.FAILED:
                failed += 1
                self.stderr.write(
                    f"{name}: failed (kept as email {outcome.email_id}): {outcome.detail}"
                )
                continue
            what = outcome.status
            if outcome.is_replay:
                what = f"already received ({outcome.status})"
            elif outcome.is_new_case:
                what = "new case"
            case = f" {outcome.case_number}" if outcome.case_number else ""
            self.stdout.write(f"{name}: {what}{case}")
        if failed:
            raise CommandError(f"{failed} of {len(files)} files failed", returncode=1)
