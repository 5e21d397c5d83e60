import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from bench.databases import fresh_database, supports
from bench.measure import StatementCounter, percentile, render_table


def test_bench_intake_prints_a_table_and_ends_with_one_json_line():
    out = StringIO()
    call_command("bench", "intake", "--messages", "200", "--contacts", "50", stdout=out)
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "intake"
    assert figures["messages"] == 200
    assert figures["db"] in ("sqlite", "postgresql")
    assert figures["per_s"] > 0
    assert 0 < figures["queries_new"] <= 8
    assert 0 < figures["queries_reply"] <= 8
    assert figures["transactions_per_message"] == 1.0
    assert figures["misthreaded_replies"] == 0
    assert figures["threads"] == 1
    table = "\n".join(lines[:-1])
    assert "messages/s" in table
    assert "p99 latency ms" in table


def test_bench_intake_with_threads_shares_the_stream_and_reports_the_thread_count():
    out = StringIO()
    call_command(
        "bench", "intake", "--messages", "120", "--contacts", "30", "--threads", "2", stdout=out
    )
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["threads"] == 2
    assert figures["messages"] == 120
    assert figures["per_s"] > 0
    assert 0 < figures["queries_per_message"] <= 8
    assert figures["transactions_per_message"] == 1.0
    assert figures["misthreaded_replies"] == 0
    assert "threads" in "\n".join(lines[:-1])


def test_inner_mode_refuses_a_database_the_bench_did_not_create():
    with pytest.raises(CommandError, match="created by"):
        call_command("bench", "intake", "--inner", "--messages", "2")


def test_bench_refuses_other_database_engines():
    with pytest.raises(CommandError):
        call_command("bench", "intake", "--database-url", "mysql://root@localhost/x")


def test_fresh_sqlite_database_lives_in_a_temporary_directory_that_goes_away():
    with fresh_database(None) as db:
        assert db.vendor == "sqlite"
        assert db.url == f"sqlite:///{db.name}"
        assert Path(db.name).parent == db.var_dir
        assert db.var_dir.exists()
    assert not db.var_dir.exists()
    assert supports("postgres://postgres@127.0.0.1:5432/postgres")
    assert not supports("mysql://localhost/x")


def test_statement_counter_leaves_out_transaction_control():
    counter = StatementCounter()

    class Conn:
        in_atomic_block = True

    def execute(sql, params, many, context):
        return sql

    for sql in ("BEGIN IMMEDIATE", "SELECT 1", "SAVEPOINT s1", "INSERT INTO x", "RELEASE s1"):
        counter(execute, sql, None, False, {"connection": Conn()})
    assert counter.statements == 2
    assert counter.autocommit == 0


def test_percentile_uses_the_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 50) == 50
    assert percentile(values, 99) == 99
    assert percentile(values, 100) == 100
    assert percentile([], 50) == 0


def test_table_aligns_figures_to_the_right():
    text = render_table(("", "all"), [("messages", "20000"), ("p50", "1.5")])
    assert text.splitlines()[2].endswith("20000")
    assert text.splitlines()[3].endswith("  1.5")


def test_bench_sla_times_due_dates_and_the_sweep_query_and_fires_every_due_timer():
    out = StringIO()
    call_command(
        "bench", "sla", "--timers", "600", "--due", "6", "--repeat", "20",
        "--computations", "2000", stdout=out,
    )  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "sla"
    assert figures["db"] in ("sqlite", "postgresql")
    assert figures["computations"] == 2000
    assert figures["computations_per_s"] > 0
    assert figures["calendar_mismatches"] == 0
    assert (figures["open_timers"], figures["completed_timers"]) == (600, 240)
    assert figures["due"] == figures["sweep_found"] == 6
    assert figures["sweep_queries"] == 20
    assert 0 < figures["sweep_p50_ms"] <= figures["sweep_p99_ms"]
    assert figures["sweep_uses_index"] is True
    assert figures["fired"] == 6
    assert figures["due_after_fire"] == 0
    assert figures["fire_transactions"] == 7  # one per timer, and the query
    table = "\n".join(lines[:-1])
    assert "sweep query p99 ms" in table
    assert "sla_next_action" in table  # the query plan


def test_bench_routing_times_decisions_and_assignments_and_keeps_capacity():
    out = StringIO()
    call_command(
        "bench", "routing", "--agents", "60", "--queues", "4", "--rules", "10",
        "--cases", "200", "--decisions", "50", "--assignments", "20", "--sweep", "10",
        stdout=out,
    )  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "routing"
    assert figures["db"] in ("sqlite", "postgresql")
    assert (figures["agents"], figures["queues"], figures["rules"]) == (60, 4, 10)
    assert figures["waiting_cases"] == 200
    assert figures["decisions"] == 50
    assert figures["decisions_per_s"] > 0
    assert 0 < figures["decision_p50_ms"] <= figures["decision_p99_ms"]
    assert figures["decision_queries"] >= 1
    assert figures["assignments_tried"] == 20
    assert figures["assigned"] == 20  # 60 agents of capacity 10 have room for every case
    assert figures["assignments_per_s"] > 0
    assert 0 < figures["assignment_p50_ms"] <= figures["assignment_p99_ms"]
    assert figures["assignment_queries"] > 0
    assert figures["sweep_assigned"] == 10
    assert figures["offers"] == 30
    assert figures["agents_over_capacity"] == 0
    table = "\n".join(lines[:-1])
    assert "decision p99 ms" in table
    assert "assignments/s" in table
    assert "SQL queries/assignment" in table
