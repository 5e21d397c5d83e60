"""Writes of one transaction that travel to PostgreSQL together, as one statement.

`caseway.core.sql.together()` opens a batch on a connection. Inside it, the precompiled
writes of caseway.core.sql that return nothing (insert_many() without keys, save_fields())
wait; the next insert() that returns its key carries them as data-modifying WITH queries:

    WITH w0 AS (UPDATE ... RETURNING 1), w1 AS (INSERT ...) INSERT ... RETURNING id, (...)

one statement and one round trip instead of three. An INSERT of sql.insert_soon() (whose key
the caller reads later) waits too, and the next sql.fetch_one() carries it when nothing else
waits: that read does not see the row, so insert_soon() is for rows nothing reads before the
block ends (intake's raw message, beside the read of the sender's identity). Any other
statement on the connection (an ORM query, any other read, a savepoint) first sends what
waits, on its own, so nothing reads around a pending write; the end of the block sends the
rest.

What the combination keeps true:

- The parts of one statement share a snapshot and do not see each other's rows, so only
  writes that need nothing from each other wait: inserts of new rows, and updates by primary
  key. A second update of the same row first sends what waits (PostgreSQL would apply only
  one of two updates of a row in one statement).
- An update that must change a row (save_fields()) reports how many it changed, and the
  batch raises DatabaseError as save_fields() would, once the statement has run.
- An exception out of the block drops what waits: the block sits in the transaction it
  belongs to, and that transaction is rolling back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorWrapper

ATTRIBUTE = "caseway_write_batch"  # where a connection keeps its open batch


class Later:
    """The key an insert returns, known once the statement that carries the insert has run:
    None when its ON CONFLICT DO NOTHING left an existing row alone."""

    __slots__ = ("key", "sent")

    def __init__(self) -> None:
        self.key: Any = None
        self.sent = False


@dataclass(frozen=True)
class _Write:
    sql: str
    params: Sequence[Any]
    must_change: str = ""  # the error when the write changed no row; "" when not checked
    row: tuple[str, Any] | None = None  # (table, primary key) of an update
    later: Later | None = None  # where an insert's returned key goes

    def returning(self) -> str:
        if self.must_change:
            return " RETURNING 1"
        return ""

    def output(self, n: int) -> str:
        """What the carrying statement reports of this write ("" for nothing)."""
        if self.must_change:
            return f"(SELECT count(*) FROM w{n})"  # noqa: S608 - a WITH name of ours
        if self.later is not None:
            return f"(SELECT * FROM w{n})"  # noqa: S608 - a WITH name of ours
        return ""


class WriteBatch:
    def __init__(
        self,
        connection: BaseDatabaseWrapper,
        cursor: Callable[[BaseDatabaseWrapper], CursorWrapper],
    ) -> None:
        self.connection = connection
        self.cursor = cursor
        self.writes: list[_Write] = []
        self.sending = False

    def defer(
        self,
        sql: str,
        params: Sequence[Any],
        *,
        must_change: str = "",
        row: tuple[str, Any] | None = None,
        later: Later | None = None,
    ) -> None:
        """Keep a write until the next statement. `later` receives the key of an INSERT that
        ends in RETURNING (one row at most)."""
        if row is not None and any(write.row == row for write in self.writes):
            self.send()
        self.writes.append(_Write(sql, params, must_change, row, later))

    def carry(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """Run `sql`, a write ending in RETURNING that gives one row, with the writes that
        wait; return its row."""
        writes, self.writes = self.writes, []
        if not writes:
            return self._run(sql, writes, params)
        outputs = self._outputs(writes)
        row = self._run(self._with(writes) + sql + "".join(f", {o}" for _, o in outputs),
                        writes, params)  # fmt: skip
        if row is None:
            raise DatabaseError("a write that carries others returned no row")
        self._report(writes, outputs, row[len(row) - len(outputs) :])
        return tuple(row[: len(row) - len(outputs)])

    def carries_reads(self) -> bool:
        """Whether a read may travel with what waits: only inserts of insert_soon() do."""
        return bool(self.writes) and all(write.later is not None for write in self.writes)

    def carry_read(self, sql: str, params: Sequence[Any]) -> tuple[Any, ...] | None:
        """Run `sql`, a read, with the writes that wait; return its first row (or None)."""
        writes, self.writes = self.writes, []
        if not writes:
            return self._run(sql, writes, params)
        outputs = self._outputs(writes)
        reported = "".join(f"{o}, " for _, o in outputs)
        # Precompiled statements of caseway.core.sql only, their values as parameters.
        statement = (
            f"{self._with(writes)}SELECT {reported}r.* FROM (SELECT 1) AS one "  # noqa: S608
            f"LEFT JOIN LATERAL (SELECT true AS found, q.* FROM ({sql}) AS q LIMIT 1) AS r "
            "ON true"
        )
        row = self._run(statement, writes, params)
        assert row is not None
        self._report(writes, outputs, row[: len(outputs)])
        found = row[len(outputs)]
        return tuple(row[len(outputs) + 1 :]) if found else None

    def send(self) -> None:
        """Send what waits, as one statement."""
        writes, self.writes = self.writes, []
        if not writes:
            return
        outputs = self._outputs(writes)
        reported = ", ".join(o for _, o in outputs) or "1"
        row = self._run(self._with(writes) + "SELECT " + reported, writes, ())
        assert row is not None
        self._report(writes, outputs, row if outputs else ())

    def guard(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        """The connection's execute_wrapper while the batch is open: a statement of anyone
        else's first sends what waits."""
        if self.writes and not self.sending:
            self.send()
        return execute(sql, params, many, context)

    @staticmethod
    def _outputs(writes: list[_Write]) -> list[tuple[int, str]]:
        found = ((n, write.output(n)) for n, write in enumerate(writes))
        return [(n, output) for n, output in found if output]

    @staticmethod
    def _with(writes: list[_Write]) -> str:
        if not writes:
            return ""
        parts = [f"w{n} AS ({write.sql}{write.returning()})" for n, write in enumerate(writes)]
        return "WITH " + ", ".join(parts) + " "

    def _run(self, sql: str, writes: list[_Write], params: Sequence[Any]) -> tuple[Any, ...] | None:
        values = [value for write in writes for value in write.params]
        values.extend(params)
        self.sending = True
        try:
            with self.cursor(self.connection) as cursor:
                cursor.execute(sql, values)
                row: tuple[Any, ...] | None = cursor.fetchone()
        finally:
            self.sending = False
        return row

    @staticmethod
    def _report(
        writes: list[_Write], outputs: list[tuple[int, str]], values: Sequence[Any]
    ) -> None:
        for (n, _), value in zip(outputs, values, strict=True):
            write = writes[n]
            if write.must_change and not value:
                raise DatabaseError(write.must_change)
            if write.later is not None:
                write.later.key = value
                write.later.sent = True
