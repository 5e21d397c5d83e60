"""Periodic jobs an app asks every worker to run, registered from its AppConfig.ready().

The worker (caseway.cli.runtime) runs each one in a thread every `interval()` seconds; an
app on a layer the worker may not import (an interface app) registers here instead. A job
is a plain function, safe to run in several workers at once and to run late.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    function: Callable[[], object]
    interval: Callable[[], float]  # read when the worker starts (settings may change in tests)


_jobs: dict[str, Periodic] = {}


def register_periodic(
    *, name: str, function: Callable[[], object], interval: Callable[[], float]
) -> None:
    """Ask every worker to call `function` every `interval()` seconds (once per name)."""
    _jobs[name] = Periodic(name=name, function=function, interval=interval)


def registered_periodic() -> list[Periodic]:
    return list(_jobs.values())
