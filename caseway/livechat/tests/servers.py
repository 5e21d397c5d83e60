"""Real server processes for the tests that need them (the Redis channel layer across
processes): a database prepared by `caseway` commands, then uvicorn on free ports."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

REDIS = ("127.0.0.1", 6379)
MANAGE = [sys.executable, "-m", "caseway"]


def require_redis() -> None:
    """Skip without the Redis at 127.0.0.1:6379; on CI, which starts it, fail instead."""
    try:
        socket.create_connection(REDIS, timeout=1).close()
    except OSError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")


def server_env(tmp_path: Path, *, redis_db: int, name: str, **extra: str) -> dict[str, str]:
    """The environment of a test's servers: its own SQLite file, Redis database and var dir."""
    return {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / f'{name}.sqlite3'}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "SECRET_KEY": f"{name}-test",
        "CASEWAY_VAR_DIR": str(tmp_path),
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def prepare(env: dict[str, str], setup: str) -> str:
    """Migrate the database, run `setup` (Python) in `caseway shell`; return what it printed."""
    subprocess.run([*MANAGE, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    return subprocess.run(
        [*MANAGE, "shell", "-c", setup], env=env, check=True, capture_output=True, text=True
    ).stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the server on {port} exited with {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"the server on {port} did not start")


@contextmanager
def uvicorn_servers(env: dict[str, str], count: int = 1) -> Iterator[list[int]]:
    """`count` uvicorn processes on the ASGI app, each on a free port; yields the ports once
    all accept connections, and stops them afterwards."""
    ports = [_free_port() for _ in range(count)]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "caseway.config.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            env=env,
        )
        for port in ports
    ]
    try:
        for port, process in zip(ports, processes, strict=True):
            _wait_for(port, process)
        yield ports
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=20)
