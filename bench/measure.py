"""Measuring tools shared by the benchmarks: SQL statement and transaction counters,
percentiles, and the plain-text table every benchmark prints."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class StatementCounter:
    """A connection.execute_wrapper that counts statements, leaving out transaction control
    (BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE). Statements run outside any atomic block
    (each then commits on its own) are counted apart as `autocommit`."""

    def __init__(self) -> None:
        self.statements = 0
        self.autocommit = 0

    def __call__(
        self,
        execute: Callable[..., Any],
        sql: str,
        params: Any,
        many: bool,
        context: dict[str, Any],
    ) -> Any:
        if not sql.lstrip()[:9].upper().startswith(TRANSACTION_CONTROL):
            self.statements += 1
            if not context["connection"].in_atomic_block:
                self.autocommit += 1
        return execute(sql, params, many, context)


@contextmanager
def counting_commits(connection: BaseDatabaseWrapper) -> Iterator[list[int]]:
    """Count the transactions the connection commits (atomic blocks that end in COMMIT)."""
    commits = [0]
    original = connection.commit

    def commit() -> None:
        commits[0] += 1
        original()

    connection.commit = commit  # type: ignore[method-assign]
    try:
        yield commits
    finally:
        del connection.commit  # back to the class's method


def percentile(ordered: Sequence[int], pct: float) -> int:
    """Nearest-rank percentile of an ascending sequence."""
    if not ordered:
        return 0
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def render_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Left-aligned first column, right-aligned figures."""
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]

    def line(row: Sequence[str]) -> str:
        cells = [str(row[0]).ljust(widths[0])]
        cells += [str(cell).rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  " + "  ".join(cells)

    rule = "  " + "  ".join("-" * width for width in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def at_least_one(text: str) -> int:
    """An argparse type: an integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
