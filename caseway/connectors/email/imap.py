"""IMAP polling with imapclient: fetch unseen mail with BODY.PEEK[] (reading does not mark it
seen), hand each message to `handle()`, and only then flag it \\Seen (or move it to the
processed folder). A message `handle()` could not store stays unseen for the next poll.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import Callable
from dataclasses import dataclass

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError

from caseway.connectors.exceptions import ConnectorError

BATCH = 25


class ImapSecurity:
    NONE = "none"
    STARTTLS = "starttls"
    SSL = "ssl"


@dataclass(frozen=True)
class ImapAccount:
    host: str
    port: int
    username: str
    password: str
    security: str = ImapSecurity.SSL
    folder: str = "INBOX"
    processed_folder: str = ""
    timeout: float = 30.0


def fetch_new_mail(account: ImapAccount, *, handle: Callable[[bytes], bool]) -> int:
    """Hand every unseen message of the folder to `handle`; return how many it took.

    `handle` returns True once the message is stored (committed); only those are marked
    seen or moved. Raises ConnectorError when the server cannot be reached or refuses us.
    """
    context = ssl.create_default_context()
    try:
        client = IMAPClient(
            account.host,
            port=account.port,
            ssl=account.security == ImapSecurity.SSL,
            ssl_context=context if account.security == ImapSecurity.SSL else None,
            timeout=account.timeout,
        )
    except (OSError, IMAPClientError) as exc:
        raise ConnectorError(f"cannot reach {account.host}:{account.port}: {exc}") from exc
    taken = 0
    try:
        if account.security == ImapSecurity.STARTTLS:
            client.starttls(context)
        client.login(account.username, account.password)
        client.select_folder(account.folder)
        uids = sorted(client.search(["UNSEEN", "NOT", "DELETED"]))
        for start in range(0, len(uids), BATCH):
            chunk = uids[start : start + BATCH]
            fetched = client.fetch(chunk, ["BODY.PEEK[]"])
            done = []
            for uid in chunk:
                raw = fetched.get(uid, {}).get(b"BODY[]")
                if isinstance(raw, bytes) and handle(raw):
                    done.append(uid)
            if done:
                if account.processed_folder:
                    client.move(done, account.processed_folder)
                else:
                    client.add_flags(done, [b"\\Seen"])
                taken += len(done)
    except (OSError, IMAPClientError) as exc:
        raise ConnectorError(f"IMAP {account.username}@{account.host}: {exc}") from exc
    finally:
        with contextlib.suppress(OSError, IMAPClientError):
            client.logout()
    return taken
