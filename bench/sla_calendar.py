"""sla: SLA due dates per second through WorkingCalendar.add(), in one process, no database.

Setup (not timed): the calendar every SLA of a Berlin support desk uses, Monday to Friday
09:00-17:00 Europe/Berlin with the 11 German public holidays of 2025 and 2026, and N inputs
drawn with a fixed seed: a start anywhere in 2025 (a random microsecond, as an aware UTC
datetime), and a target of 1 to 8 business hours (half the inputs, a random second) or 1, 2
or 3 business days of 8 hours (the other half). Then one pass over 1,000 inputs, not timed,
so the calendar has cached its windows as a long-running process would have; how long a fresh
calendar takes to cache a year of windows is reported as `warmup_ms`.
Measured: the N add() calls in batches of 100, each batch timed with perf_counter_ns (a timer
call costs about as much as an add(), so timing single calls would measure the timer);
per-call latency is a batch's time / 100, and p50 and p99 are over the batches, so they hide
the spread inside a batch. The loop's own overhead (under 0.1 µs a call) is included.
Correctness check: for 2,000 sampled inputs between(start, due) must equal the target;
`mismatches` must be 0.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from typing import Any, TextIO

from bench.measure import percentile, render_table
from caseway.sla.calendar import WorkingCalendar

BATCH = 100
HOUR = 3600
BUSINESS_DAY = 8 * HOUR
HOLIDAYS = (
    # Germany's nationwide public holidays (Neujahr, Karfreitag, Ostermontag, Tag der Arbeit,
    # Christi Himmelfahrt, Pfingstmontag, Tag der Deutschen Einheit, both Weihnachtstage) and
    # the office's own Christmas Eve and New Year's Eve.
    date(2025, 1, 1),
    date(2025, 4, 18),
    date(2025, 4, 21),
    date(2025, 5, 1),
    date(2025, 5, 29),
    date(2025, 6, 9),
    date(2025, 10, 3),
    date(2025, 12, 24),
    date(2025, 12, 25),
    date(2025, 12, 26),
    date(2025, 12, 31),
    date(2026, 1, 1),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--computations", type=int, default=200_000, help="default 200000")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")


def inner_argv(options: dict[str, Any]) -> list[str]:
    """The options again, for the benchmark process."""
    return ["--computations", str(options["computations"]), "--seed", str(options["seed"])]


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    """Measure, print the table and the JSON line; return the figures."""
    figures = measure_due_dates(options["computations"], seed=options["seed"])
    out.write(report(figures) + "\n")
    out.write(json.dumps(figures) + "\n")
    return figures


def berlin_office() -> WorkingCalendar:
    """Monday to Friday 09:00-17:00 in Berlin, with the holidays above."""
    return WorkingCalendar.build(
        timezone="Europe/Berlin",
        hours=[(weekday, clock(9), clock(17)) for weekday in range(5)],
        holidays=HOLIDAYS,
    )


def draw_inputs(n: int, rng: random.Random) -> list[tuple[datetime, float]]:
    """N (start, business seconds) pairs: starts across 2025, targets as the docstring says."""
    year_start = datetime(2025, 1, 1, tzinfo=UTC)
    year_us = 365 * 86_400 * 10**6
    inputs = []
    for _ in range(n):
        start = year_start + timedelta(microseconds=rng.randrange(year_us))
        if rng.random() < 0.5:
            seconds = float(rng.randint(HOUR, 8 * HOUR))
        else:
            seconds = float(rng.randint(1, 3) * BUSINESS_DAY)
        inputs.append((start, seconds))
    return inputs


def measure_due_dates(n: int = 200_000, *, seed: int = 42) -> dict[str, Any]:
    """Time n due-date computations; return computations, per_s, p50_us, p99_us and more."""
    rng = random.Random(seed)
    inputs = draw_inputs(n, rng)

    fresh = berlin_office()
    started = time.perf_counter_ns()
    fresh.between(datetime(2025, 1, 1, tzinfo=UTC), datetime(2026, 1, 1, tzinfo=UTC))
    warmup_ns = time.perf_counter_ns() - started

    calendar = berlin_office()
    add = calendar.add
    for start, seconds in inputs[:1_000]:
        add(start, seconds)

    total_ns = 0
    per_call_ns: list[int] = []  # one figure per batch: its time / its size
    for first in range(0, n, BATCH):
        batch = inputs[first : first + BATCH]
        t0 = time.perf_counter_ns()
        for start, seconds in batch:
            add(start, seconds)
        elapsed = time.perf_counter_ns() - t0
        total_ns += elapsed
        per_call_ns.append(elapsed // len(batch))
    ordered = sorted(per_call_ns)

    samples = rng.sample(inputs, min(n, 2_000))
    mismatches = sum(
        abs(calendar.between(start, add(start, seconds)) - seconds) > 1e-3
        for start, seconds in samples
    )
    return {
        "bench": "sla",
        "computations": n,
        "seconds": round(total_ns / 1e9, 3),
        "per_s": round(n / (total_ns / 1e9), 1) if total_ns else 0.0,
        "p50_us": round(percentile(ordered, 50) / 1e3, 2),
        "p99_us": round(percentile(ordered, 99) / 1e3, 2),
        "max_us": round(ordered[-1] / 1e3, 2) if ordered else 0.0,
        "warmup_ms": round(warmup_ns / 1e6, 2),
        "mismatches": mismatches,
    }


def report(figures: dict[str, Any]) -> str:
    rows = [
        ("due dates computed", f"{figures['computations']:,}"),
        ("seconds (timed batches)", f"{figures['seconds']:.3f}"),
        ("due dates/s", f"{figures['per_s']:,.0f}"),
        ("p50 µs per call (batches of 100)", f"{figures['p50_us']:.2f}"),
        ("p99 µs per call (batches of 100)", f"{figures['p99_us']:.2f}"),
        ("max µs per call (batches of 100)", f"{figures['max_us']:.2f}"),
        ("caching a year of windows, ms", f"{figures['warmup_ms']:.2f}"),
        ("mismatches in 2,000 checked", str(figures["mismatches"])),
    ]
    header = (
        "sla benchmark: WorkingCalendar.add(), Mon-Fri 09:00-17:00 Europe/Berlin with holidays, "
        f"Python {platform.python_version()}"
    )
    return header + "\n\n" + render_table(("", ""), rows)
