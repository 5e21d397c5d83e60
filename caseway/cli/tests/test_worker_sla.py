"""The SLA sweep in the background: the periodic job, `caseway run`'s services, and real
`caseway worker` processes that are killed, restarted and run side by side."""

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connections
from django.utils import timezone

import caseway
from bench.databases import fresh_database
from caseway.cases.models import Activity, ActivityKind, Notification
from caseway.cli.runtime import PeriodicJob, background_services, sweep_sla_backlog
from caseway.sla.escalation import SWEEP_BATCH

ROOT = Path(caseway.__file__).resolve().parent.parent
FIRED = re.compile(r"SLA sweep: (\d+) warnings and breaches fired")

# The periodic job ----------------------------------------------------------------------------


def wait_until(condition, timeout, step=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


def test_periodic_job_runs_at_once_then_every_interval_until_stopped():
    calls = []
    job = PeriodicJob(name="probe", function=lambda: calls.append(time.monotonic()), interval=0.05)

    job.start()
    assert wait_until(lambda: len(calls) >= 4, timeout=5)
    job.stop()

    assert not job.thread.is_alive()
    assert job.thread.daemon
    count = len(calls)
    time.sleep(0.2)
    assert len(calls) == count


def test_periodic_job_logs_a_failure_and_keeps_running(caplog):
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")

    job = PeriodicJob(name="flaky job", function=flaky, interval=0.02)
    job.start()
    assert wait_until(lambda: len(calls) >= 3, timeout=5)
    job.stop()

    failures = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(failures) == 1
    assert "flaky job failed" in failures[0].getMessage()
    assert failures[0].exc_info[0] is RuntimeError


def test_periodic_job_stops_promptly_while_waiting_for_a_long_interval():
    job = PeriodicJob(name="slow", function=lambda: None, interval=3600)
    job.start()
    started = time.monotonic()
    job.stop()
    assert not job.thread.is_alive()
    assert time.monotonic() - started < 5


def test_periodic_job_refuses_an_interval_that_is_not_positive():
    with pytest.raises(ValueError):
        PeriodicJob(name="never", function=lambda: None, interval=0)


@pytest.mark.django_db(transaction=True)
def test_periodic_job_closes_its_database_connections_after_every_run():
    if connections["default"].vendor == "sqlite" and connections["default"].is_in_memory_db():
        pytest.skip("Django never closes an in-memory SQLite database; shown on PostgreSQL")
    used = []

    def query():
        conn = connections["default"]
        with conn.cursor() as cursor:
            cursor.execute("SELECT 1")
        used.append(conn)

    job = PeriodicJob(name="db job", function=query, interval=0.05)
    job.start()
    assert wait_until(lambda: len(used) >= 2, timeout=5)
    job.stop()

    assert all(conn.connection is None for conn in used)


def test_caseway_run_sweeps_with_the_configured_interval(settings):
    settings.CASEWAY_SLA_SWEEP_SECONDS = 3
    [sweep] = [s for s in background_services() if s.name == "SLA sweep"]
    assert isinstance(sweep, PeriodicJob)
    assert sweep.interval == 3
    assert sweep.function is sweep_sla_backlog
    assert not sweep.thread.is_alive()  # started by serve(), not by building the list
    settings.CASEWAY_SMTP_LISTEN_PORT = 0
    assert background_services(with_worker=False) == []


# The sweep, in process ------------------------------------------------------------------------


def make_policy(*actions):
    from caseway.sla.models import SlaAction, SlaPolicy

    policy = SlaPolicy.objects.create(name=f"Worker test {SlaPolicy.objects.count()}")
    for moment, kind in actions:
        SlaAction.objects.create(policy=policy, moment=moment, kind=kind)
    return policy


def start_timers(policy, count, *, warn_in, due_in, at=None, queue=None):
    """`count` cases, each with a first-response timer warned `warn_in` and due `due_in`
    seconds after `at` (24x7); timers are kept in seconds, so tests need not wait minutes."""
    from caseway.cases.models import Case
    from caseway.cases.queries import default_queue
    from caseway.customers.models import Contact
    from caseway.sla import timers
    from caseway.sla.calendar import WorkingCalendar
    from caseway.sla.models import SlaInstance, SlaKpi
    from caseway.sla.policies import CompiledTarget

    at = at or timezone.now()
    queue = queue or default_queue()
    contacts = Contact.objects.bulk_create(
        Contact(name=f"Waiting {n}", email=f"waiting{n}@example.org") for n in range(count)
    )
    cases = Case.objects.bulk_create(
        Case(subject=f"Timer {n}", origin_channel="portal", contact=c, queue=queue)
        for n, c in enumerate(contacts)
    )
    target = CompiledTarget(SlaKpi.FIRST_RESPONSE, "", "", due_in, warn_in)
    calendar = WorkingCalendar.twenty_four_seven()
    SlaInstance.objects.bulk_create(
        timers.new_timer(
            case_id=case.pk,
            kpi=SlaKpi.FIRST_RESPONSE,
            target=target,
            calendar=calendar,
            policy_id=policy.pk,
            entitlement_id=None,
            at=at,
        )
        for case in cases
    )
    return cases


@pytest.mark.django_db
def test_one_run_works_off_a_backlog_larger_than_a_batch():
    policy = make_policy()
    past = timezone.now() - timedelta(hours=1)
    start_timers(policy, SWEEP_BATCH + 20, warn_in=60, due_in=7200, at=past)

    assert sweep_sla_backlog() == SWEEP_BATCH + 20
    assert Activity.objects.filter(kind=ActivityKind.SLA).count() == SWEEP_BATCH + 20
    assert sweep_sla_backlog() == 0


@pytest.mark.django_db(transaction=True)
def test_worker_batch_fires_what_is_due_and_mails_it_in_the_same_batch(settings, default_queue):
    from caseway.customers.tests.factories import UserFactory
    from caseway.sla.models import SlaActionKind, SlaMoment

    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    lead = UserFactory(username="lead", email="lead@caseway.test", is_staff=True)
    default_queue.supervisors.add(lead)
    policy = make_policy((SlaMoment.WARNING, SlaActionKind.NOTIFY))
    [case] = start_timers(
        policy, 1, warn_in=1, due_in=3600, at=timezone.now() - timedelta(seconds=5)
    )
    mail.outbox.clear()

    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)

    assert Activity.objects.filter(case=case, kind=ActivityKind.SLA).count() == 1
    [notification] = Notification.objects.filter(case=case)
    assert notification.recipient == lead
    assert notification.emailed_at is not None
    assert [m.to for m in mail.outbox] == [["lead@caseway.test"]]


@pytest.mark.django_db(transaction=True)
def test_worker_without_the_sweep_leaves_due_timers_alone(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}
    }
    policy = make_policy()
    start_timers(policy, 1, warn_in=1, due_in=3600, at=timezone.now() - timedelta(seconds=5))

    call_command(
        "worker", "--batch", "--no-startup-delay", "--no-reload", "--no-sla-sweep", verbosity=0
    )

    assert not Activity.objects.filter(kind=ActivityKind.SLA).exists()


# Real `caseway worker` processes -------------------------------------------------------------
#
# A database of their own (SQLite file, or a throw-away PostgreSQL database on the server of
# DATABASE_URL when set), shared with the test through plain SQL. Each process is a real
# `python -m caseway worker`, with the SLA sweep every second.


class WorkerDatabase:
    def __init__(self, db, tmp: Path):
        self.db = db
        self.tmp = tmp
        self.env = {
            **os.environ,
            "DATABASE_URL": db.url,
            "CASEWAY_VAR_DIR": str(db.var_dir),
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
            "SLA_SWEEP_SECONDS": "1",
            "DEBUG": "0",
            "LOG_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            "PYTHONUNBUFFERED": "1",
        }

    def caseway(self, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "caseway", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def arrange(self, count: int, *, warn_in: int, due_in: int) -> dict:
        """Cases whose timers warn and fall due that many seconds from now (in a process of
        its own, through the ORM); return their ids and times."""
        code = (
            "import json; from caseway.cli.tests.test_worker_sla import arrange_in_process; "
            f"print(json.dumps(arrange_in_process({count}, {warn_in}, {due_in})))"
        )
        return json.loads(self.caseway("shell", "-c", code).strip().splitlines()[-1])

    def start_worker(self, name: str) -> "WorkerProcess":
        return WorkerProcess(name, self)

    def rows(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.db.vendor == "sqlite":
            with sqlite3.connect(self.db.name, timeout=10) as conn:
                return conn.execute(sql.replace("%s", "?"), params).fetchall()
        import psycopg

        with psycopg.connect(self.db.url) as conn:
            return conn.execute(sql, params).fetchall()

    def sla_entries(self, case_ids: list[int]) -> list[tuple[int, str]]:
        """(case id, moment) of every SLA timeline entry on those cases."""
        marks = ", ".join(["%s"] * len(case_ids))
        rows = self.rows(
            f"SELECT case_id, data FROM cases_activity WHERE kind = 'sla' AND case_id IN ({marks})",
            tuple(case_ids),
        )
        return sorted((case_id, _json(data)["sla"]) for case_id, data in rows)

    def notifications(self, case_ids: list[int]) -> list[tuple[int, bool]]:
        marks = ", ".join(["%s"] * len(case_ids))
        return self.rows(
            "SELECT case_id, emailed_at IS NOT NULL FROM cases_notification"
            f" WHERE case_id IN ({marks})",
            tuple(case_ids),
        )

    def stamps(self, case_ids: list[int]) -> list[tuple[datetime, datetime, datetime, datetime]]:
        """(warn_at, warned_at, due_at, breached_at) of each case's timer."""
        marks = ", ".join(["%s"] * len(case_ids))
        rows = self.rows(
            "SELECT warn_at, warned_at, due_at, breached_at FROM sla_slainstance"
            f" WHERE case_id IN ({marks})",
            tuple(case_ids),
        )
        return [tuple(_when(value) for value in row) for row in rows]


def _json(value):
    return json.loads(value) if isinstance(value, str) else value


def _when(value):
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)  # SQLite keeps ISO text (UTC, with +00:00)


class WorkerProcess:
    def __init__(self, name: str, where: WorkerDatabase):
        self.stdout_path = where.tmp / f"{name}.out"
        self.stderr_path = where.tmp / f"{name}.err"
        with self.stdout_path.open("w") as out, self.stderr_path.open("w") as err:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "caseway", "worker", "--no-reload", "--no-startup-delay"],
                env=where.env,
                cwd=ROOT,
                stdout=out,
                stderr=err,
            )

    def output(self) -> str:
        return self.stdout_path.read_text() + self.stderr_path.read_text()

    def fired(self) -> int:
        return sum(int(n) for n in FIRED.findall(self.output()))

    def wait_ready(self, timeout: float = 30) -> None:
        """Until the task loop and the sweep run (and one sweep has had time to finish)."""
        ready = wait_until(
            lambda: "Starting worker" in self.output() or self.process.poll() is not None,
            timeout,
        )
        assert ready and self.process.poll() is None, self.output()
        assert "SLA sweep: every 1 s" in self.output()
        time.sleep(1.2)

    def stop(self, signum: int, timeout: float = 15) -> int:
        self.process.send_signal(signum)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def arrange_in_process(count: int, warn_in: int, due_in: int) -> dict:
    """Run by WorkerDatabase.arrange() in a `caseway shell` of its own."""
    from django.contrib.auth import get_user_model

    from caseway.cases.queries import default_queue
    from caseway.sla.models import SlaActionKind, SlaMoment

    lead, _ = get_user_model().objects.get_or_create(
        username="lead", defaults={"email": "lead@caseway.test", "is_staff": True}
    )
    default_queue().supervisors.add(lead)
    policy = make_policy(
        (SlaMoment.WARNING, SlaActionKind.NOTIFY),
        (SlaMoment.BREACH, SlaActionKind.NOTIFY),
        (SlaMoment.BREACH, SlaActionKind.RAISE_PRIORITY),
    )
    cases = start_timers(policy, count, warn_in=warn_in, due_in=due_in)
    return {"case_ids": [case.pk for case in cases], "numbers": [c.number for c in cases]}


@pytest.fixture(scope="module")
def worker_db(tmp_path_factory):
    """A migrated database for worker processes: SQLite, or PostgreSQL with DATABASE_URL."""
    with fresh_database(os.environ.get("DATABASE_URL")) as db:
        where = WorkerDatabase(db, tmp_path_factory.mktemp("workers"))
        where.caseway("migrate", "-v", "0", timeout=120)
        yield where


@pytest.fixture
def workers(worker_db):
    """Start workers by name; whatever is still running at the end is killed."""
    started: list[WorkerProcess] = []

    def start(name: str) -> WorkerProcess:
        process = worker_db.start_worker(name)
        started.append(process)
        return process

    yield start
    for process in started:
        process.kill()


def test_a_moment_due_while_the_worker_is_down_fires_once_after_a_restart(worker_db, workers):
    first = workers("first")
    first.wait_ready()
    # The breach is far enough out that it comes after the restart even on a loaded machine
    # (a worker that finds both moments past records only the breach, by design).
    cases = worker_db.arrange(2, warn_in=4, due_in=25)
    arranged = time.monotonic()  # the timers were written before this
    ids = cases["case_ids"]

    first.kill()  # SIGKILL, before anything is due
    assert worker_db.sla_entries(ids) == []
    time.sleep(max(0.0, 4.5 - (time.monotonic() - arranged)))  # the warning falls due while down
    second = workers("second")
    second.wait_ready()

    expected = sorted((i, moment) for i in ids for moment in ("warning", "breach"))
    assert wait_until(lambda: worker_db.sla_entries(ids) == expected, timeout=60, step=0.25), (
        worker_db.sla_entries(ids),
        second.output(),
    )
    for warn_at, warned_at, due_at, breached_at in worker_db.stamps(ids):
        assert timedelta(0) <= warned_at - warn_at < timedelta(seconds=60)
        assert timedelta(0) <= breached_at - due_at < timedelta(seconds=60)
    # One notification to the queue's supervisor per moment, mailed by the worker's task loop.
    assert wait_until(
        lambda: sorted(worker_db.notifications(ids)) == sorted((i, True) for i in ids * 2),
        timeout=15,
        step=0.25,
    ), worker_db.notifications(ids)
    time.sleep(1.5)  # another sweep or two: nothing fires again
    assert worker_db.sla_entries(ids) == expected
    assert cases["numbers"][0] in second.output()  # the console mail backend printed it

    assert second.stop(signal.SIGTERM) == 0
    assert "SLA sweep stopped" in second.output()


def test_two_workers_sweeping_at_once_fire_each_moment_once(worker_db, workers):
    pair = [workers("left"), workers("right")]
    for worker in pair:
        worker.wait_ready()
    count = 60
    ids = worker_db.arrange(count, warn_in=3, due_in=5)["case_ids"]

    expected = sorted((i, moment) for i in ids for moment in ("warning", "breach"))
    assert wait_until(lambda: worker_db.sla_entries(ids) == expected, timeout=40, step=0.25), (
        worker_db.sla_entries(ids)
    )
    time.sleep(1.5)
    assert worker_db.sla_entries(ids) == expected
    assert wait_until(
        lambda: sorted(worker_db.notifications(ids)) == sorted((i, True) for i in ids * 2),
        timeout=15,
        step=0.25,
    ), worker_db.notifications(ids)

    assert pair[0].stop(signal.SIGTERM) == 0
    assert pair[1].stop(signal.SIGINT) == 0
    # What each worker says it fired adds up to each moment once (usually split between them).
    assert sum(worker.fired() for worker in pair) == 2 * count
    for worker in pair:
        assert "SLA sweep stopped" in worker.output()
        assert "Traceback" not in worker.output()


def test_a_sweep_interval_that_is_not_positive_is_refused_at_start(settings):
    from django.core.exceptions import ImproperlyConfigured

    settings.CASEWAY_SLA_SWEEP_SECONDS = 0
    with pytest.raises(ImproperlyConfigured, match="SLA_SWEEP_SECONDS"):
        background_services()
