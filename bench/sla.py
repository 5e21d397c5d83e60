"""sla: business-time due dates per second, and the SLA sweep over 100,000 open timers.

Due dates (no database): bench/sla_calendar.py's measure_due_dates(), WorkingCalendar.add() on
Mon-Fri 09:00-17:00 Europe/Berlin with holidays (its docstring says how it is measured).
The sweep. Setup (not timed): migrate; 1,000 contacts; 20 agents and 3 supervisors of the
default queue; N/2 open cases with a running first-response and resolution timer each (N
timers, next_action_at spread over the next 30 days) and 0.2 N resolved cases with two
completed timers each (next_action_at NULL). Then --due timers are made due now: half a
warning (fired a few minutes ago), half a breach (already warned). The policy is the default
"Standard support": notify the owner and the supervisors on a warning; notify and raise the
priority on a breach. On PostgreSQL the table is ANALYZEd, as autovacuum would after a load;
SQLite is left without statistics, as Caseway leaves it.
Measured: the latency of due_timer_ids(now=...), the sweep's query, --repeat times
(perf_counter_ns), with its query plan; then one fire_due_sla_actions() over the due timers:
wall time, SQL statements and transactions.
Correctness checks: every due timer fires once, and none is due afterwards.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import time
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any, TextIO

import django
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.measure import (
    StatementCounter,
    at_least_one,
    counting_commits,
    percentile,
    render_table,
)
from caseway.cases.models import Case, CasePriority, CaseStatus
from caseway.cases.queries import default_queue
from caseway.customers.models import Contact
from caseway.sla.escalation import due_timer_ids, fire_due_sla_actions
from caseway.sla.models import Entitlement, SlaInstance, SlaKpi, SlaStatus

BATCH = 2_000
HORIZON = timedelta(days=30)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--timers", type=at_least_one, default=100_000, help="open timers "
                        "(default 100000)")  # fmt: skip
    parser.add_argument("--due", type=at_least_one, default=50, help="of them due now (default 50)")
    parser.add_argument("--repeat", type=at_least_one, default=1_000, help="sweep queries timed "
                        "(default 1000)")  # fmt: skip
    parser.add_argument("--computations", type=at_least_one, default=200_000, help="due dates "
                        "computed (default 200000)")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")


def inner_argv(options: dict[str, Any]) -> list[str]:
    """The options again, for the benchmark process."""
    return [
        "--timers", str(options["timers"]),
        "--due", str(options["due"]),
        "--repeat", str(options["repeat"]),
        "--computations", str(options["computations"]),
        "--seed", str(options["seed"]),
    ]  # fmt: skip


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    """Measure due dates, set up the timers, time the sweep; print the table and JSON line."""
    calendar = measure_calendar(options["computations"], options["seed"])
    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(options["seed"])
    now = timezone.now()
    due = min(options["due"], options["timers"])
    counts = create_timers(options["timers"], due, now=now, rng=rng)
    query = time_sweep_query(now, options["repeat"])
    fire = time_fire(now)
    figures = summarize(calendar, counts, query, fire)
    out.write(report(figures) + "\n")
    result: dict[str, Any] = figures["json"]
    out.write(json.dumps(result) + "\n")
    return result


def measure_calendar(n: int, seed: int) -> dict[str, Any] | None:
    """bench/sla_calendar.py's figures, or None if that module is not there."""
    try:
        module = import_module("bench.sla_calendar")
    except ModuleNotFoundError:
        return None
    figures: dict[str, Any] = module.measure_due_dates(n, seed=seed)
    return figures


def create_timers(count: int, due: int, *, now: datetime, rng: random.Random) -> dict[str, int]:
    """Cases, their timers and the people to notify, in bulk (setup, not measured)."""
    users = get_user_model()
    queue = default_queue()
    agents = users.objects.bulk_create(
        users(username=f"bench-agent-{n}", email=f"agent{n}@caseway.test", is_staff=True)
        for n in range(20)
    )
    supervisors = users.objects.bulk_create(
        users(username=f"bench-lead-{n}", email=f"lead{n}@caseway.test", is_staff=True)
        for n in range(3)
    )
    queue.supervisors.add(*supervisors)
    contacts = Contact.objects.bulk_create(
        (Contact(name=f"Customer {n}", email=f"customer{n}@mail.example") for n in range(1_000)),
        batch_size=BATCH,
    )
    policy_id = Entitlement.objects.get(is_default=True).policy_id
    open_cases = _create_cases(count // 2 + count % 2, contacts, agents, queue, rng, now)
    resolved = _create_cases(count // 5, contacts, agents, queue, rng, now, resolved=True)
    timers: list[SlaInstance] = []
    for case in open_cases:
        for kpi in (SlaKpi.FIRST_RESPONSE, SlaKpi.RESOLUTION):
            timers.append(_running_timer(case, kpi, policy_id, now, rng))
    timers = timers[:count]
    for n, timer in enumerate(rng.sample(timers, due)):
        _make_due(timer, now, rng, breach=n % 2 == 1)
    for case in resolved:
        for kpi in (SlaKpi.FIRST_RESPONSE, SlaKpi.RESOLUTION):
            timers.append(_completed_timer(case, kpi, policy_id, now, rng))
    SlaInstance.objects.bulk_create(timers, batch_size=BATCH)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"open": count, "completed": 2 * len(resolved), "due": due}


def _create_cases(
    count: int,
    contacts: list[Contact],
    agents: list[Any],
    queue: Any,
    rng: random.Random,
    now: datetime,
    *,
    resolved: bool = False,
) -> list[Case]:
    priorities = [CasePriority.LOW, CasePriority.NORMAL, CasePriority.NORMAL, CasePriority.HIGH]
    cases = []
    for n in range(count):
        contact = rng.choice(contacts)
        opened = now - timedelta(seconds=rng.randrange(3 * 86_400))
        cases.append(
            Case(
                subject=f"Bench case {n}",
                status=CaseStatus.RESOLVED if resolved else rng.choice(
                    [CaseStatus.NEW, CaseStatus.ACTIVE]
                ),
                priority=rng.choice(priorities),
                origin_channel="email",
                contact=contact,
                queue=queue,
                owner=rng.choice(agents) if rng.random() < 0.7 else None,
                resolved_at=now if resolved else None,
                last_activity_at=opened,
            )
        )  # fmt: skip
    return Case.objects.bulk_create(cases, batch_size=BATCH)


def _running_timer(
    case: Case, kpi: str, policy_id: int, now: datetime, rng: random.Random
) -> SlaInstance:
    warn_at = now + timedelta(seconds=rng.randrange(60, int(HORIZON.total_seconds())))
    return SlaInstance(
        case=case,
        policy_id=policy_id,
        kpi=kpi,
        status=SlaStatus.IN_PROGRESS,
        target_seconds=8 * 3600,
        warn_seconds=6 * 3600,
        started_at=now - timedelta(seconds=rng.randrange(3 * 86_400)),
        warn_at=warn_at,
        due_at=warn_at + timedelta(hours=2),
        next_action_at=warn_at,
    )


def _make_due(timer: SlaInstance, now: datetime, rng: random.Random, *, breach: bool) -> None:
    """A warning or (already warned) a breach that fell due in the last five minutes."""
    moment = now - timedelta(seconds=rng.randrange(1, 300))
    if breach:
        timer.warn_at = timer.warned_at = moment - timedelta(hours=2)
        timer.due_at = moment
        timer.status = SlaStatus.NEARING
    else:
        timer.warn_at = moment
        timer.due_at = moment + timedelta(hours=2)
    timer.next_action_at = moment


def _completed_timer(
    case: Case, kpi: str, policy_id: int, now: datetime, rng: random.Random
) -> SlaInstance:
    started = now - timedelta(seconds=rng.randrange(3 * 86_400, 60 * 86_400))
    return SlaInstance(
        case=case,
        policy_id=policy_id,
        kpi=kpi,
        status=SlaStatus.SUCCEEDED,
        target_seconds=8 * 3600,
        warn_seconds=6 * 3600,
        started_at=started,
        warn_at=started + timedelta(hours=6),
        due_at=started + timedelta(hours=8),
        completed_at=started + timedelta(hours=1),
        next_action_at=None,
    )


def time_sweep_query(now: datetime, repeat: int) -> dict[str, Any]:
    """Time the sweep's query; explain the very statement it runs."""
    statements: list[tuple[str, Any]] = []

    def capture(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        found = due_timer_ids(now=now)
    [(sql, params)] = statements
    latencies = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        due_timer_ids(now=now)
        latencies.append(time.perf_counter_ns() - t0)
    return {"found": len(found), "latencies_ns": sorted(latencies), "plan": explain(sql, params)}


def explain(sql: str, params: Any) -> list[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return [row[0] for row in cursor.fetchall()]
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return [str(row[-1]) for row in cursor.fetchall()]


def time_fire(now: datetime) -> dict[str, Any]:
    """One sweep over the due timers, as the worker runs it."""
    counter = StatementCounter()
    with connection.execute_wrapper(counter), counting_commits(connection) as commits:
        t0 = time.perf_counter_ns()
        fired = fire_due_sla_actions(now=now)
        elapsed = time.perf_counter_ns() - t0
    return {
        "fired": fired,
        "ns": elapsed,
        "statements": counter.statements,
        "transactions": commits[0] + counter.autocommit,
        "left_due": len(due_timer_ids(now=now)),
    }


def summarize(
    calendar: dict[str, Any] | None,
    counts: dict[str, int],
    query: dict[str, Any],
    fire: dict[str, Any],
) -> dict[str, Any]:
    ordered = query["latencies_ns"]
    due = max(counts["due"], 1)

    def ms(value: float) -> float:
        return round(value / 1e6, 3)

    plan = "\n".join(query["plan"])
    figures = {
        "bench": "sla",
        "db": connection.vendor,
        "computations": calendar["computations"] if calendar else None,
        "computations_per_s": calendar["per_s"] if calendar else None,
        "computation_p50_us": calendar["p50_us"] if calendar else None,
        "computation_p99_us": calendar["p99_us"] if calendar else None,
        "calendar_mismatches": calendar["mismatches"] if calendar else None,
        "open_timers": counts["open"],
        "completed_timers": counts["completed"],
        "due": counts["due"],
        "sweep_found": query["found"],
        "sweep_queries": len(ordered),
        "sweep_p50_ms": ms(percentile(ordered, 50)),
        "sweep_p95_ms": ms(percentile(ordered, 95)),
        "sweep_p99_ms": ms(percentile(ordered, 99)),
        "sweep_max_ms": ms(ordered[-1] if ordered else 0),
        "sweep_uses_index": "sla_next_action" in plan,
        "fire_ms": ms(fire["ns"]),
        "fire_ms_per_timer": ms(fire["ns"] / due),
        "fire_queries_per_timer": round(fire["statements"] / due, 2),
        "fire_transactions": fire["transactions"],
        "fired": fire["fired"],
        "due_after_fire": fire["left_due"],
    }
    return {"json": figures, "plan": query["plan"]}


def database_version() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version  # type: ignore[attr-defined]
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"


def _figure(value: Any, spec: str) -> str:
    return "n/a (bench/sla_calendar.py missing)" if value is None else format(value, spec)


def report(figures: dict[str, Any]) -> str:
    f = figures["json"]
    rows = [
        ("due dates computed", _figure(f["computations"], ",")),
        ("due dates/s (WorkingCalendar.add)", _figure(f["computations_per_s"], ",.0f")),
        ("p50 / p99 µs per due date", "n/a" if f["computation_p50_us"] is None else
         f"{f['computation_p50_us']:.2f} / {f['computation_p99_us']:.2f}"),
        ("open timers / completed timers", f"{f['open_timers']:,} / {f['completed_timers']:,}"),
        ("due now / found by the sweep query", f"{f['due']} / {f['sweep_found']}"),
        ("sweep query runs", f"{f['sweep_queries']:,}"),
        *((f"sweep query {key[6:9]} ms", f"{f[key]:.3f}")
          for key in ("sweep_p50_ms", "sweep_p95_ms", "sweep_p99_ms", "sweep_max_ms")),
        ("sweep query uses sla_next_action", "yes" if f["sweep_uses_index"] else "NO"),
        ("one sweep firing the due timers, ms", f"{f['fire_ms']:.1f}"),
        ("  per timer, ms", f"{f['fire_ms_per_timer']:.2f}"),
        ("  SQL statements per timer", f"{f['fire_queries_per_timer']:.2f}"),
        ("  transactions", str(f["fire_transactions"])),
        ("moments fired / still due after", f"{f['fired']} / {f['due_after_fire']}"),
    ]  # fmt: skip
    header = (
        f"sla benchmark: due dates and the SLA sweep on {database_version()}, Python "
        f"{platform.python_version()}, Django {django.get_version()}"
    )
    plan = "\n".join(f"    {line}" for line in figures["plan"])
    table = render_table(("", connection.display_name), rows)
    return f"{header}\n\n{table}\n\nQuery plan of the sweep query:\n{plan}"
