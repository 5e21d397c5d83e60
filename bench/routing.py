"""routing: rule decisions and assignments per second, on a large desk, in one process.

Setup (not timed): migrate; Q queues (the default one among them) with a QueueRouting each
(highest capacity 50 %, round robin 25 %, least active 25 %; one in ten raises the priority
above 1,000 waiting cases, which costs a count per decision); A agents, available, with load
rows, two or three skills each and membership of one queue (one in five of a second one);
R routing rules on channel, words, account size and preferred customer, a third requiring
one or two skills; C waiting cases (owner NULL, queued up to a day ago) spread over the
queues, a third with a skill requirement. On PostgreSQL the database is ANALYZEd afterwards.
Measured: (a) N routing decisions, place_case(facts) on made-up new cases, each timed
(perf_counter_ns) with its SQL statements; (b) M assignments, assign_waiting_case(case_id=)
on waiting cases drawn at random, each timed with the handlers that run after its commit
(none for routing's own assignments), then one sweep assign_waiting_cases(limit=S), which
assigns in batches of one queue's cases per transaction, timed as a whole and per batch.
Correctness checks: every assignment made one offer; nobody is past their capacity.
With --profile the assignments of (b) run under cProfile and the busiest functions and the
most frequent statements per assignment are printed before the table.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import random
import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, TextIO

import django
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from bench.measure import StatementCounter, at_least_one, percentile, render_table
from caseway.cases.models import Case, CaseStatus, Queue
from caseway.cases.queries import default_queue
from caseway.cli.demo.texts import TEMPLATES, draw_values, fill
from caseway.core.kinds import ChannelKind
from caseway.customers.models import Account, AccountSize, Contact
from caseway.routing import assignment
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    AgentSkill,
    AssignmentMethod,
    CaseRequirement,
    Choice3,
    Offer,
    OverflowAction,
    Presence,
    QueueRouting,
    RoutingRule,
    RuleSkill,
    Skill,
    WorkKind,
)
from caseway.routing.queries import capacities
from caseway.routing.rules import CaseFacts
from caseway.routing.services import place_case
from caseway.routing.waiting import assign_waiting_cases

BATCH = 2_000
CHANNELS = [ChannelKind.EMAIL, ChannelKind.PORTAL, ChannelKind.SMS, ChannelKind.API]
WORDS = (
    "password", "invoice", "refund", "order", "login", "delivery", "charged", "error",
    "export", "slow", "crash", "cancel", "shipping", "account", "payment", "upgrade",
)  # fmt: skip
METHODS = [AssignmentMethod.HIGHEST_CAPACITY] * 2 + [
    AssignmentMethod.ROUND_ROBIN,
    AssignmentMethod.LEAST_ACTIVE,
]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--agents", type=at_least_one, default=10_000, help="default 10000")
    parser.add_argument("--queues", type=at_least_one, default=100, help="default 100")
    parser.add_argument("--rules", type=at_least_one, default=200, help="default 200")
    parser.add_argument("--cases", type=at_least_one, default=50_000, help="waiting cases "
                        "(default 50000)")  # fmt: skip
    parser.add_argument("--decisions", type=at_least_one, default=5_000, help="place_case calls "
                        "timed (default 5000)")  # fmt: skip
    parser.add_argument("--assignments", type=at_least_one, default=1_000, help="assign_waiting_"
                        "case calls timed (default 1000)")  # fmt: skip
    parser.add_argument("--sweep", type=at_least_one, default=20_000, help="limit of the timed "
                        "assign_waiting_cases sweep (default 20000)")  # fmt: skip
    parser.add_argument("--profile", action="store_true", help="run the assignments and the "
                        "sweep under cProfile and print where the time goes")  # fmt: skip
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")


def inner_argv(options: dict[str, Any]) -> list[str]:
    """The options again, for the benchmark process."""
    argv = [
        "--agents", str(options["agents"]),
        "--queues", str(options["queues"]),
        "--rules", str(options["rules"]),
        "--cases", str(options["cases"]),
        "--decisions", str(options["decisions"]),
        "--assignments", str(options["assignments"]),
        "--sweep", str(options["sweep"]),
        "--seed", str(options["seed"]),
    ]  # fmt: skip
    return argv + (["--profile"] if options["profile"] else [])


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    """Set up the desk, time decisions and assignments; print the table and the JSON line."""
    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(options["seed"])
    now = timezone.now()
    started = time.perf_counter()
    desk = create_desk(options, rng, now)
    setup_s = time.perf_counter() - started
    decisions = time_decisions(options["decisions"], rng, now)
    profiler = cProfile.Profile() if options["profile"] else None
    assignments = time_assignments(desk["waiting"], options["assignments"], rng, profiler)
    if profiler is not None:
        out.write(profile_report(profiler, assignments) + "\n\n")
    sweep_profiler = cProfile.Profile() if options["profile"] else None
    sweep = time_sweep(options["sweep"], sweep_profiler)
    if sweep_profiler is not None:
        out.write(sweep_profile_report(sweep_profiler, sweep) + "\n\n")
    figures = summarize(options, setup_s, decisions, assignments, sweep)
    out.write(report(figures) + "\n")
    out.write(json.dumps(figures) + "\n")
    return figures


def create_desk(options: dict[str, Any], rng: random.Random, now: datetime) -> dict[str, Any]:
    """Queues, agents, skills, rules and waiting cases in bulk (setup, not measured)."""
    queues = create_queues(options["queues"], rng)
    agent_ids = create_agents(options["agents"], queues, rng, now)
    skills = Skill.objects.bulk_create(Skill(name=f"Skill {n}") for n in range(20))
    AgentSkill.objects.bulk_create(
        (
            AgentSkill(agent_id=agent_id, skill=skill, proficiency=rng.randint(1, 5))
            for agent_id in agent_ids
            for skill in rng.sample(skills, rng.randint(2, 3))
        ),
        batch_size=BATCH,
    )
    create_rules(options["rules"], queues, skills, rng)
    waiting = create_cases(options["cases"], queues, skills, rng, now)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return {"waiting": waiting}


def create_queues(count: int, rng: random.Random) -> list[Queue]:
    queues = [default_queue()]
    queues += Queue.objects.bulk_create(
        Queue(name=f"Queue {n}", slug=f"queue-{n}") for n in range(1, count)
    )
    QueueRouting.objects.bulk_create(
        QueueRouting(
            queue=queue,
            method=METHODS[n % len(METHODS)],
            priority=rng.randint(0, 2),
            overflow_max_items=1_000 if n % 10 == 5 else None,
            overflow_action=OverflowAction.RAISE_PRIORITY if n % 10 == 5 else OverflowAction.NONE,
        )
        for n, queue in enumerate(queues)
    )
    return queues


def create_agents(count: int, queues: list[Queue], rng: random.Random, now: datetime
                  ) -> list[int]:  # fmt: skip
    """Available agents with profiles, load rows and queue memberships; their ids."""
    users = get_user_model()
    agents = users.objects.bulk_create(
        (
            users(username=f"bench-agent-{n}", first_name="Agent", last_name=str(n),
                  email=f"agent{n}@caseway.test", is_staff=True)
            for n in range(count)
        ),
        batch_size=BATCH,
    )  # fmt: skip
    ids = [agent.pk for agent in agents]
    AgentProfile.objects.bulk_create(
        (
            AgentProfile(agent_id=agent_id, presence=Presence.AVAILABLE, presence_changed_at=now)
            for agent_id in ids
        ),
        batch_size=BATCH,
    )
    AgentLoad.objects.bulk_create(
        (AgentLoad(agent_id=agent_id, work_kind=kind) for agent_id in ids for kind in WorkKind),
        batch_size=BATCH,
    )
    membership = Queue.members.through
    rows = []
    for n, agent_id in enumerate(ids):
        first = n % len(queues)
        rows.append(membership(queue_id=queues[first].pk, user_id=agent_id))
        second = rng.randrange(len(queues))
        if rng.random() < 0.2 and second != first:
            rows.append(membership(queue_id=queues[second].pk, user_id=agent_id))
    membership.objects.bulk_create(rows, batch_size=BATCH)
    return ids


def create_rules(count: int, queues: list[Queue], skills: list[Skill], rng: random.Random
                 ) -> None:  # fmt: skip
    """Rules of one or two conditions each; a third require skills."""
    rules = []
    for n in range(count):
        rule = RoutingRule(name=f"Rule {n}", order=n + 1, queue=rng.choice(queues[1:] or queues))
        for condition in rng.sample(["channel", "words", "size", "preferred"], rng.randint(1, 2)):
            if condition == "channel":
                rule.channels = rng.sample(CHANNELS, rng.randint(1, 2))
            elif condition == "words":
                rule.keywords = ", ".join(rng.sample(WORDS, rng.randint(1, 3)))
            elif condition == "size":
                rule.account_sizes = rng.sample(list(AccountSize.values), 1)
            else:
                rule.preferred = Choice3.YES
        rules.append(rule)
    rules = RoutingRule.objects.bulk_create(rules)
    RuleSkill.objects.bulk_create(
        RuleSkill(rule=rule, skill=skill, min_proficiency=rng.randint(1, 3))
        for rule in rules
        if rng.random() < 1 / 3
        for skill in rng.sample(skills, rng.randint(1, 2))
    )


def create_cases(count: int, queues: list[Queue], skills: list[Skill], rng: random.Random,
                 now: datetime) -> list[int]:  # fmt: skip
    """Waiting cases (and their customers); their ids."""
    sizes = [AccountSize.SMALL] * 6 + [AccountSize.MEDIUM] * 3 + [AccountSize.ENTERPRISE]
    accounts = Account.objects.bulk_create(
        Account(name=f"Company {n}", size=sizes[n % 10], is_preferred=n % 10 == 0)
        for n in range(100)
    )
    contacts = Contact.objects.bulk_create(
        (
            Contact(name=f"Customer {n}", account=accounts[n % 100] if n % 5 < 3 else None,
                    email=f"customer{n}@mail.example")
            for n in range(2_000)
        ),
        batch_size=BATCH,
    )  # fmt: skip
    cases = []
    for _n in range(count):
        contact = rng.choice(contacts)
        cases.append(
            Case(
                subject=rng.choice(TEMPLATES).subject[:300],
                status=CaseStatus.NEW,
                origin_channel=rng.choice(CHANNELS),
                contact=contact,
                account_id=contact.account_id,
                queue=rng.choice(queues),
                queued_at=now - timedelta(seconds=rng.randint(60, 86_400)),
            )
        )
    cases = Case.objects.bulk_create(cases, batch_size=BATCH)
    CaseRequirement.objects.bulk_create(
        (
            CaseRequirement(case=case, skill=rng.choice(skills), min_proficiency=rng.randint(1, 3))
            for case in cases
            if rng.random() < 1 / 3
        ),
        batch_size=BATCH,
    )
    return [case.pk for case in cases]


def made_up_facts(rng: random.Random, now: datetime) -> CaseFacts:
    template = rng.choice(TEMPLATES)
    values = draw_values(rng)
    return CaseFacts(
        channel=rng.choice(CHANNELS),
        is_preferred=rng.random() < 0.1,
        account_size=rng.choice(["", *AccountSize.values]),
        has_contract=False,
        sla_policy_id=None,
        priority="normal",
        language="en",
        subject=fill(template.subject, values),
        text=fill(template.body, values),
        product="",
        at=now,
    )


def timed(call: Callable[[], Any], counter: StatementCounter) -> tuple[Any, int, int]:
    """Call, and return its result, its latency in ns and the statements it ran."""
    before = counter.statements
    t0 = time.perf_counter_ns()
    result = call()
    return result, time.perf_counter_ns() - t0, counter.statements - before


def time_decisions(count: int, rng: random.Random, now: datetime) -> dict[str, Any]:
    facts = [made_up_facts(rng, now) for _ in range(count)]
    place_case(facts[0])  # compiles and caches the rules, as a running process has them
    counter = StatementCounter()
    latencies, statements, matched = [], 0, 0
    with connection.execute_wrapper(counter):
        started = time.perf_counter_ns()
        for one in facts:
            placement, elapsed, ran = timed(partial(place_case, one), counter)
            latencies.append(elapsed)
            statements += ran
            matched += placement.rule_id is not None
        wall = time.perf_counter_ns() - started
    return {"latencies": sorted(latencies), "statements": statements, "matched": matched,
            "wall_ns": wall}  # fmt: skip


class StatementKinds(StatementCounter):
    """Counts statements, and tallies them, and the time spent executing them (the database's
    work and the round trip; SQLite fetches most rows later), by verb and first table."""

    TABLE = re.compile(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__()
        self.kinds: Counter[str] = Counter()
        self.kind_ns: Counter[str] = Counter()

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: dict[str, Any]) -> Any:  # fmt: skip
        before = self.statements
        t0 = time.perf_counter_ns()
        result = super().__call__(execute, sql, params, many, context)
        if self.statements != before:
            table = self.TABLE.search(sql)
            kind = f"{sql.lstrip().split(None, 1)[0].upper()} {table.group(1) if table else '-'}"
            self.kinds[kind] += 1
            self.kind_ns[kind] += time.perf_counter_ns() - t0
        return result


def time_assignments(waiting: list[int], count: int, rng: random.Random,
                     profiler: cProfile.Profile | None) -> dict[str, Any]:  # fmt: skip
    """assign_waiting_case on `count` waiting cases drawn at random, each timed."""
    chosen = rng.sample(waiting, min(count, len(waiting)))
    counter = StatementKinds()
    latencies, statements, assigned = [], 0, 0
    cpu_started = time.process_time_ns()
    with connection.execute_wrapper(counter):
        if profiler is not None:
            profiler.enable()
        started = time.perf_counter_ns()
        for case_id in chosen:
            offer, elapsed, ran = timed(partial(assign_waiting_case, case_id=case_id), counter)
            latencies.append(elapsed)
            statements += ran
            assigned += offer is not None
        wall = time.perf_counter_ns() - started
        if profiler is not None:
            profiler.disable()
    return {"latencies": sorted(latencies), "statements": statements, "assigned": assigned,
            "tried": len(chosen), "wall_ns": wall, "cpu_ns": time.process_time_ns() - cpu_started,
            "kinds": counter.kinds, "kind_ns": counter.kind_ns}  # fmt: skip


def time_sweep(limit: int, profiler: cProfile.Profile | None) -> dict[str, Any]:
    """One assign_waiting_cases(limit=) over all the queues, as the periodic sweep runs it,
    timed as a whole and batch by batch (each batch is one queue's cases in one
    transaction: its latency is what a case of it waits for its agent)."""
    counter = StatementKinds()
    batches: list[int] = []
    sizes: list[int] = []
    inner = assignment.assign_batch

    def timed_batch(case_ids: list[int], *args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter_ns()
        result = inner(case_ids, *args, **kwargs)
        batches.append(time.perf_counter_ns() - t0)
        sizes.append(len(result.offers))
        return result

    assignment.assign_batch = timed_batch
    try:
        cpu_started = time.process_time_ns()
        with connection.execute_wrapper(counter):
            if profiler is not None:
                profiler.enable()
            started = time.perf_counter_ns()
            assigned = assign_waiting_cases(limit=limit)
            wall = time.perf_counter_ns() - started
            if profiler is not None:
                profiler.disable()
        cpu = time.process_time_ns() - cpu_started
    finally:
        assignment.assign_batch = inner
    return {"assigned": assigned, "wall_ns": wall, "statements": counter.statements,
            "cpu_ns": cpu, "batches": sorted(batches),
            "batch_size": sum(sizes) / max(len(sizes), 1), "kinds": counter.kinds,
            "kind_ns": counter.kind_ns}  # fmt: skip


def over_capacity() -> int:
    """Agents holding more cases than their capacity (must be 0)."""
    loads = dict(
        AgentLoad.objects.filter(work_kind=WorkKind.CASE, active__gt=0).values_list(
            "agent_id", "active"
        )
    )
    caps = capacities(list(loads), WorkKind.CASE)
    return sum(1 for agent_id, active in loads.items() if active > caps[agent_id].max_units)


def profile_report(profiler: cProfile.Profile, assignments: dict[str, Any]) -> str:
    """The functions with the most time of their own, and the statements per assignment."""
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(r"caseway", 25)
    tried = max(assignments["tried"], 1)
    spent = assignments["kind_ns"]
    rows = [
        (kind, f"{n / tried:.2f}", f"{spent[kind] / 1e6 / tried:.3f}")
        for kind, n in assignments["kinds"].most_common(25)
    ]
    return (
        "profile of the assignments (cProfile):\n"
        + text.getvalue()
        + "statements per assignment, by kind:\n\n"
        + render_table(("statement", "per assignment", "ms executing"), rows)
    )


def sweep_profile_report(profiler: cProfile.Profile, sweep: dict[str, Any]) -> str:
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(r"caseway", 30)
    batches = max(len(sweep["batches"]), 1)
    rows = [
        (kind, f"{n / batches:.2f}", f"{sweep['kind_ns'][kind] / 1e6 / batches:.3f}")
        for kind, n in sweep["kinds"].most_common(25)
    ]
    return (
        "profile of the sweep (cProfile):\n"
        + text.getvalue()
        + "statements per batch, by kind:\n\n"
        + render_table(("statement", "per batch", "ms executing"), rows)
    )


def summarize(options: dict[str, Any], setup_s: float, decisions: dict[str, Any],
              assignments: dict[str, Any], sweep: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    def ms(value: int) -> float:
        return round(value / 1e6, 3)

    def stats(prefix: str, ordered: list[int]) -> dict[str, float]:
        return {
            f"{prefix}_p50_ms": ms(percentile(ordered, 50)),
            f"{prefix}_p95_ms": ms(percentile(ordered, 95)),
            f"{prefix}_p99_ms": ms(percentile(ordered, 99)),
            f"{prefix}_max_ms": ms(ordered[-1] if ordered else 0),
        }

    n_decisions = len(decisions["latencies"])
    assign_s = assignments["wall_ns"] / 1e9
    sweep_s = sweep["wall_ns"] / 1e9
    tried = max(assignments["tried"], 1)
    return {
        "bench": "routing",
        "db": connection.vendor,
        "agents": options["agents"],
        "queues": options["queues"],
        "rules": options["rules"],
        "waiting_cases": options["cases"],
        "setup_s": round(setup_s, 1),
        "decisions": n_decisions,
        "decisions_per_s": round(n_decisions / (decisions["wall_ns"] / 1e9), 1),
        **stats("decision", decisions["latencies"]),
        "decision_queries": round(decisions["statements"] / max(n_decisions, 1), 2),
        "decisions_matched_rule": round(decisions["matched"] / max(n_decisions, 1), 3),
        "assignments_tried": assignments["tried"],
        "assigned": assignments["assigned"],
        "assignments_per_s": round(assignments["assigned"] / assign_s, 1) if assign_s else 0.0,
        **stats("assignment", assignments["latencies"]),
        "assignment_queries": round(assignments["statements"] / tried, 2),
        "assignment_cpu_ms": round(assignments["cpu_ns"] / 1e6 / tried, 3),
        "sweep_limit": options["sweep"],
        "sweep_assigned": sweep["assigned"],
        "sweep_s": round(sweep_s, 2),
        "sweep_per_s": round(sweep["assigned"] / sweep_s, 1) if sweep_s else 0.0,
        "sweep_queries_per_assignment": round(sweep["statements"] / max(sweep["assigned"], 1), 2),
        "sweep_cpu_ms": round(sweep["cpu_ns"] / 1e6 / max(sweep["assigned"], 1), 3),
        "sweep_batches": len(sweep["batches"]),
        "sweep_batch_size": round(sweep["batch_size"], 1),
        **stats("sweep_batch", sweep["batches"]),
        "offers": Offer.objects.count(),
        "agents_over_capacity": over_capacity(),
    }


def database_version() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version  # type: ignore[attr-defined]
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"


def report(f: dict[str, Any]) -> str:
    def lat(prefix: str) -> list[tuple[str, str]]:
        return [
            (f"{prefix} {p} ms", f"{f[f'{prefix}_{p}_ms']:.3f}")
            for p in ("p50", "p95", "p99", "max")
        ]

    rows = [
        ("agents / queues / rules", f"{f['agents']} / {f['queues']} / {f['rules']}"),
        ("waiting cases", str(f["waiting_cases"])),
        ("setup s (not measured)", f"{f['setup_s']:.1f}"),
        ("decisions (place_case)", str(f["decisions"])),
        ("decisions/s", f"{f['decisions_per_s']:.1f}"),
        *lat("decision"),
        ("SQL queries/decision", f"{f['decision_queries']:.2f}"),
        ("decisions matching a rule", f"{f['decisions_matched_rule']:.1%}"),
        ("assignments tried / made", f"{f['assignments_tried']} / {f['assigned']}"),
        ("assignments/s", f"{f['assignments_per_s']:.1f}"),
        *lat("assignment"),
        ("SQL queries/assignment", f"{f['assignment_queries']:.2f}"),
        ("Python CPU ms/assignment", f"{f['assignment_cpu_ms']:.2f}"),
        ("sweep: limit / assigned", f"{f['sweep_limit']} / {f['sweep_assigned']}"),
        ("sweep seconds", f"{f['sweep_s']:.2f}"),
        ("sweep assignments/s", f"{f['sweep_per_s']:.1f}"),
        ("sweep SQL queries/assignment", f"{f['sweep_queries_per_assignment']:.2f}"),
        ("sweep Python CPU ms/assignment", f"{f['sweep_cpu_ms']:.3f}"),
        ("sweep batches / cases per batch", f"{f['sweep_batches']} / {f['sweep_batch_size']:.1f}"),
        *lat("sweep_batch"),
        ("offers made", str(f["offers"])),
        ("agents over capacity", str(f["agents_over_capacity"])),
    ]
    header = (
        f"routing benchmark: place_case and assignment on {database_version()}, Python "
        f"{platform.python_version()}, Django {django.get_version()}"
    )
    return header + "\n\n" + render_table(("", "value"), rows)
