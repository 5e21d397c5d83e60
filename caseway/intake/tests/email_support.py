"""Fixtures for the email channel's tests: mailboxes, recorded .eml files, a real Dovecot
IMAP server, the SMTP listener on a free port, and a real SMTP server that keeps what it
is sent (aiosmtpd) standing in for the outgoing mail relay."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

FIXTURES = Path(__file__).resolve().parents[2] / "connectors" / "tests" / "fixtures" / "email"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"


def eml(name: str, **replace: str) -> bytes:
    """A recorded message, with placeholders (REPLY_TO_ID, CW-REF) filled in."""
    raw = (FIXTURES / name).read_bytes()
    for key, value in replace.items():
        raw = raw.replace(key.encode(), value.encode())
    return raw


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def mailboxes(db, default_queue):
    """support@ feeds the default queue, billing@ a Billing queue."""
    from caseway.cases.tests.factories import QueueFactory
    from caseway.intake.models import Mailbox

    billing = QueueFactory(name="Billing", slug="billing-mail")
    return {
        "support": Mailbox.objects.create(
            address="support@caseway.localhost", name="Caseway Support", queue=default_queue
        ),
        "billing": Mailbox.objects.create(
            address="billing@caseway.localhost", name="Caseway Billing", queue=billing
        ),
    }


@dataclass
class Relay:
    """A real SMTP server on 127.0.0.1 that keeps every message it is handed."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append(parsed)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"


@pytest.fixture
def relay(settings):
    """Django's SMTP backend pointed at a local aiosmtpd server."""
    port = free_port()
    relay = Relay(port=port)
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    try:
        yield relay
    finally:
        controller.stop()


@pytest.fixture
def listener(transactional_db, settings):
    """Caseway's own inbound SMTP listener (as `caseway run` starts it) on a free port."""
    from caseway.cli.runtime import smtp_listener

    settings.CASEWAY_EMAIL_MAX_BYTES = 200_000
    service = smtp_listener(host="127.0.0.1", port=free_port())
    assert service is not None
    service.start()
    try:
        yield service
    finally:
        service.stop()


@dataclass
class Dovecot:
    port: int
    users: dict[str, str]

    def append(self, user: str, raw: bytes, folder: str = "INBOX") -> None:
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.port, ssl=False) as client:
            client.login(user, self.users[user])
            client.append(folder, raw)

    def unseen(self, user: str, folder: str = "INBOX") -> list[int]:
        from imapclient import IMAPClient

        with IMAPClient("127.0.0.1", port=self.port, ssl=False) as client:
            client.login(user, self.users[user])
            client.select_folder(folder, readonly=True)
            return list(client.search(["UNSEEN"]))


def _dovecot_config(root: Path, port: int, login_user: str, login_group: str) -> str:
    return f"""
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {login_user}
default_internal_group = {login_group}
default_login_user = {login_user}
first_valid_uid = 0
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"""


@pytest.fixture
def dovecot():
    """Debian's dovecot-imapd, unprivileged, on a free port of 127.0.0.1 (apt-get install
    dovecot-imapd; .ci/run installs it). Never skipped on CI."""
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="caseway-dovecot-"))
    root.chmod(0o755)
    for sub in ("run", "state", "mail"):
        (root / sub).mkdir()
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        uid, gid, login_user = nobody.pw_uid, nobody.pw_gid, "nobody"
        login_group = os.popen(f"id -gn {login_user}").read().strip() or "nogroup"
        os.chown(root / "mail", uid, gid)
    else:
        uid, gid = os.getuid(), os.getgid()
        login_user = pwd.getpwuid(uid).pw_name
        login_group = os.popen("id -gn").read().strip()
    users = {"support": "support-secret", "billing": "billing-secret"}
    (root / "users").write_text(
        "".join(f"{u}:{{PLAIN}}{p}:{uid}:{gid}::{root}/mail/{u}::\n" for u, p in users.items())
    )
    port = free_port()
    (root / "dovecot.conf").write_text(_dovecot_config(root, port, login_user, login_group))
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 15
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log = (root / "dovecot.log").read_text() if (root / "dovecot.log").exists() else ""
                process.kill()
                pytest.fail(f"dovecot did not start: {log}")
            time.sleep(0.1)
    try:
        yield Dovecot(port=port, users=users)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(root, ignore_errors=True)
