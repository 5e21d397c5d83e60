"""database_sync_to_async for the chat consumers, keeping the database connection between
calls.

channels' own wrapper closes the connection before and after every call when CONN_MAX_AGE is
0 (Caseway's setting): every websocket message then connects anew (SQLite: open the file
and run its PRAGMAs; PostgreSQL: a TCP handshake and authentication), which was a quarter of
the server's time under `caseway bench chat`. This one keeps the connection of the thread
the calls run in (asgiref's one thread-sensitive thread) and drops it only when it is
broken or left in a transaction, as Django's close_if_unusable_or_obsolete would, without
the age limit. A call through channels' wrapper in the same thread still closes it, and the
next call here connects again.
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import SyncToAsync
from django.db import connections


def close_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        if conn.connection is None:
            continue
        if conn.get_autocommit() != conn.settings_dict["AUTOCOMMIT"]:
            conn.close()
        elif conn.errors_occurred:
            if conn.is_usable():
                conn.errors_occurred = False
            else:
                conn.close()


class KeptConnectionSyncToAsync(SyncToAsync):  # type: ignore[type-arg]
    def thread_handler(self, loop: Any, *args: Any, **kwargs: Any) -> Any:
        close_broken_connections()
        try:
            return super().thread_handler(loop, *args, **kwargs)  # type: ignore[no-untyped-call]
        finally:
            close_broken_connections()


# Used like channels.db.database_sync_to_async: database_sync_to_async(function)(args).
database_sync_to_async = KeptConnectionSyncToAsync


def database_read(function: Any) -> Any:
    """For a call that only reads: it runs in the loop's thread pool, beside the one
    thread-sensitive thread instead of queued behind every write in it, on that pool
    thread's own kept connection (SQLite in WAL mode and PostgreSQL read while another
    connection writes). What it reads is committed; a write must use database_sync_to_async.
    An in-memory SQLite database (the test suite's) shares one cache whose tables lock
    against each other's connections: there reads stay in the one thread."""
    in_memory = getattr(connections["default"], "is_in_memory_db", None)
    if in_memory is not None and in_memory():
        return KeptConnectionSyncToAsync(function)
    return KeptConnectionSyncToAsync(function, thread_sensitive=False)
