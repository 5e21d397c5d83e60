"""A fresh, throw-away database for one benchmark run, so no run ever touches real data.

SQLite: a file in a temporary directory. PostgreSQL: a database named caseway_bench_<random>,
created through the URL the caller gives (any database the user may connect to and create
databases from) and dropped afterwards.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    import psycopg

POSTGRES_SCHEMES = ("postgres", "postgresql")


@dataclass(frozen=True)
class FreshDatabase:
    url: str  # a DATABASE_URL for the benchmark process
    vendor: str  # "postgresql" or "sqlite"
    name: str  # the database name (PostgreSQL) or file path (SQLite), as Django will see it
    var_dir: Path  # a temporary CASEWAY_VAR_DIR (media, secret key)


def supports(server_url: str | None) -> bool:
    scheme = urlsplit(server_url).scheme if server_url else "sqlite"
    return scheme in (*POSTGRES_SCHEMES, "sqlite")


@contextmanager
def fresh_database(server_url: str | None) -> Iterator[FreshDatabase]:
    """Create an empty database on the server of `server_url` (SQLite when None or a SQLite
    URL), yield it, and remove it whatever happens."""
    scheme = urlsplit(server_url).scheme if server_url else "sqlite"
    with tempfile.TemporaryDirectory(prefix="caseway-bench-") as tmp:
        var_dir = Path(tmp)
        if scheme in POSTGRES_SCHEMES:
            assert server_url is not None
            with _postgres_database(server_url, var_dir) as database:
                yield database
        elif scheme == "sqlite":
            path = var_dir / "bench.sqlite3"
            yield FreshDatabase(f"sqlite:///{path}", "sqlite", str(path), var_dir)
        else:
            raise ValueError(f"benchmarks run on PostgreSQL or SQLite, not {scheme!r}")


@contextmanager
def _postgres_database(server_url: str, var_dir: Path) -> Iterator[FreshDatabase]:
    from psycopg import sql

    name = f"caseway_bench_{secrets.token_hex(4)}"
    with _maintenance_connection(server_url) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield FreshDatabase(_with_database(server_url, name), "postgresql", name, var_dir)
    finally:
        with _maintenance_connection(server_url) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _maintenance_connection(server_url: str) -> psycopg.Connection[Any]:
    """Connect to the server's "postgres" database, as Django does to create test databases;
    fall back to the database of the URL (which need not exist otherwise)."""
    import psycopg

    try:
        return psycopg.connect(_with_database(server_url, "postgres"), autocommit=True)
    except psycopg.OperationalError:
        return psycopg.connect(server_url, autocommit=True)
