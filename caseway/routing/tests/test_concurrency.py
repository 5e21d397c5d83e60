"""Parallel assigners in separate OS processes against PostgreSQL: nobody goes past capacity,
no case goes to two agents, loads match what agents really hold.

Each worker is a fresh Python process (django.setup() against the test database), so the
processes share nothing but the database, as several web and worker processes would.
"""

import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from caseway.cases.models import OPEN_STATUSES, AuditEntry, Case
from caseway.cases.tests.factories import QueueFactory
from caseway.routing.models import (
    AgentLoad,
    DecisionKind,
    Offer,
    OfferStatus,
    Presence,
    RoutingDecision,
    WorkKind,
)
from caseway.routing.tests.factories import WaitingCaseFactory, make_agent

pytestmark = pytest.mark.django_db(transaction=True)

CAPACITY = 5
WORKERS = 4

WORKER = """
import json, sys, time
from pathlib import Path

import django

django.setup()

from django.contrib.auth import get_user_model
from django.db import connection

from caseway.cases.models import Case
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.waiting import assign_waiting_cases
from caseway.routing.exceptions import RoutingError
from caseway.routing.offers import pick_case
from caseway.routing.presence import set_presence

go, ready, job = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
connection.ensure_connection()
ready.touch()
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit("never told to go")
    time.sleep(0.001)
assigned = 0
if job["kind"] == "sweep":
    assigned = assign_waiting_cases(limit=job.get("limit", 200))
elif job["kind"] == "cases":
    assigned = sum(assign_waiting_case(case_id=pk) is not None for pk in job["cases"])
elif job["kind"] == "pick":
    agent = get_user_model().objects.get(pk=job["agent"])
    for pk in job["cases"]:
        try:
            pick_case(case=Case.objects.get(pk=pk), agent=agent)
            assigned += 1
        except RoutingError:
            pass
elif job["kind"] == "flip":
    agent = get_user_model().objects.get(pk=job["agent"])
    for _ in range(job["times"]):
        set_presence(agent=agent, presence="offline")
        set_presence(agent=agent, presence="available")
    set_presence(agent=agent, presence="offline")
print(json.dumps({"assigned": assigned}))
"""


@pytest.fixture(autouse=True)
def _postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip(
            "row locks between processes need PostgreSQL (SQLite serialises every writer); "
            "run with DATABASE_URL=postgres://..."
        )


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def run_workers(jobs, tmp_path):
    """Start one process per job, let them all go at once, return their results."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "caseway.config.settings",
        "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
        "LOG_LEVEL": "WARNING",
    }
    go = tmp_path / "go"
    readies = [tmp_path / f"ready-{n}" for n in range(len(jobs))]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(go), str(ready), json.dumps(job)],
            cwd=settings.BASE_DIR,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for job, ready in zip(jobs, readies, strict=True)
    ]
    try:
        deadline = time.monotonic() + 60
        while not all(ready.exists() for ready in readies):
            failed = [p for p in processes if p.poll() is not None]
            assert not failed, failed[0].communicate()
            assert time.monotonic() < deadline, "workers did not start"
            time.sleep(0.01)
        Path(go).touch()
        results = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            assert "Traceback" not in err, err  # a handler that failed logs its traceback
            results.append(json.loads(out.strip().splitlines()[-1]))
        return results
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


@pytest.fixture
def world():
    """Three agents who each take 5 cases at most, and 40 cases waiting for them."""
    queue = QueueFactory(name="Support", slug="support")
    agents = [make_agent(queue, name=name, capacity=CAPACITY) for name in ("Ada", "Bob", "Cy")]
    cases = WaitingCaseFactory.create_batch(40, queue=queue)
    return agents, [case.pk for case in cases]


def assert_consistent(agents, expected_assigned, *, once=True):
    owned = dict(
        Case.objects.filter(status__in=OPEN_STATUSES, owner__isnull=False)
        .values_list("owner_id")
        .annotate(n=Count("pk"))
    )
    assert all(owned.get(agent.pk, 0) <= CAPACITY for agent in agents), owned
    assert sum(owned.values()) == expected_assigned
    for agent in agents:
        load = AgentLoad.objects.get(agent=agent, work_kind=WorkKind.CASE)
        assert load.active == owned.get(agent.pk, 0), (agent, load.active, owned)
    # Caseway never took a case from one agent to give it to another.
    assert not (
        AuditEntry.objects.filter(field="owner", actor=None).exclude(before="").exclude(after="")
    ).exists()
    # At most one open offer per case, to its owner.
    open_offers = Offer.objects.filter(status=OfferStatus.OFFERED)
    assert not open_offers.values("case_id").annotate(n=Count("pk")).filter(n__gt=1).exists()
    for offer in open_offers.select_related("case"):
        assert offer.case.owner_id == offer.agent_id
    if not once:
        return
    # Every case went to one agent, once.
    assert not (
        AuditEntry.objects.filter(field="owner")
        .values("case_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    assert not (
        RoutingDecision.objects.filter(kind=DecisionKind.ASSIGN)
        .values("case_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )


def test_parallel_sweeps_fill_every_agent_to_capacity_and_no_further(world, tmp_path):
    agents, _cases = world

    results = run_workers([{"kind": "sweep"}] * WORKERS, tmp_path)

    assert sum(r["assigned"] for r in results) == len(agents) * CAPACITY
    assert_consistent(agents, len(agents) * CAPACITY)
    assert Offer.objects.filter(status=OfferStatus.OFFERED).count() == len(agents) * CAPACITY


def test_parallel_assigners_over_the_same_cases_in_different_orders(world, tmp_path):
    agents, cases = world
    jobs = []
    for n in range(WORKERS):
        order = list(cases)
        random.Random(n).shuffle(order)
        jobs.append({"kind": "cases", "cases": order})

    results = run_workers(jobs, tmp_path)

    assert sum(r["assigned"] for r in results) == len(agents) * CAPACITY
    assert_consistent(agents, len(agents) * CAPACITY)


def test_parallel_assigners_over_disjoint_cases(world, tmp_path):
    agents, cases = world
    jobs = [{"kind": "cases", "cases": cases[n::WORKERS]} for n in range(WORKERS)]

    results = run_workers(jobs, tmp_path)

    assert sum(r["assigned"] for r in results) == len(agents) * CAPACITY
    assert_consistent(agents, len(agents) * CAPACITY)


def test_agents_picking_by_hand_while_sweeps_assign(world, tmp_path):
    agents, cases = world
    jobs = [{"kind": "sweep"}, {"kind": "sweep"}] + [
        {"kind": "pick", "agent": agent.pk, "cases": list(reversed(cases))} for agent in agents
    ]

    run_workers(jobs, tmp_path)

    # Picked or assigned (a pick of a case the sweep just gave the same agent counts twice in
    # the workers' tallies, so count in the database), nobody holds more than their capacity.
    assert_consistent(agents, len(agents) * CAPACITY)
    for agent in agents:
        agent.routing_profile.refresh_from_db()
        assert agent.routing_profile.presence == Presence.BUSY


def test_an_agent_going_offline_and_back_while_sweeps_assign(world, tmp_path):
    agents, _cases = world
    ada, bob, cy = agents
    jobs = [{"kind": "sweep"}] * 3 + [{"kind": "flip", "agent": ada.pk, "times": 5}]

    run_workers(jobs, tmp_path)

    # Ada ended offline: she holds nothing; Bob and Cy are full, never past it.
    assert_consistent(agents, 2 * CAPACITY, once=False)
    assert RoutingDecision.objects.filter(kind=DecisionKind.RELEASE, agent=ada).exists()
    assert not Case.objects.filter(owner=ada, status__in=OPEN_STATUSES).exists()
    assert Case.objects.filter(owner=bob).count() == Case.objects.filter(owner=cy).count() == 5
    assert not Offer.objects.filter(agent=ada, status=OfferStatus.OFFERED).exists()


def test_a_sweep_assigns_queues_that_share_agents_in_threads_without_overfilling(tmp_path):
    from caseway.routing.waiting import sweep_threads

    queues = [QueueFactory(name=f"Q{n}", slug=f"q{n}") for n in range(6)]
    agents = [make_agent(queues[0], name=name, capacity=CAPACITY) for name in ("Ada", "Bob")]
    for queue in queues[1:]:
        queue.members.add(*agents)  # every queue draws on the same two agents
    for queue in queues:
        WaitingCaseFactory.create_batch(4, queue=queue)
    assert sweep_threads() == 2  # PostgreSQL, outside a transaction

    results = run_workers([{"kind": "sweep", "limit": 500}] * 2, tmp_path)

    assert sum(r["assigned"] for r in results) == len(agents) * CAPACITY
    assert_consistent(agents, len(agents) * CAPACITY)
