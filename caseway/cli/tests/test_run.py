import gc
import weakref

import pytest

from caseway.cli.banner import render_banner
from caseway.cli.demo.people import DEMO_LOGINS
from caseway.cli.management.commands.run import demo_logins_present
from caseway.cli.runtime import (
    GC_THRESHOLDS,
    background_services,
    settle_collector,
    uses_database_tasks,
)


def test_banner_shows_every_url_and_the_demo_logins():
    text = render_banner(
        base_url="http://127.0.0.1:8123", logins=DEMO_LOGINS, services=["task worker"]
    )
    for url in (
        "http://127.0.0.1:8123/",
        "http://127.0.0.1:8123/agent/",
        "http://127.0.0.1:8123/admin/",
        "http://127.0.0.1:8123/api/v1/docs",
    ):
        assert url in text
    for login in DEMO_LOGINS:
        assert f"{login.username} / {login.password}" in text
    assert "task worker" in text
    assert "Ctrl-C" in text


def test_banner_without_logins_lists_no_passwords():
    text = render_banner(base_url="http://localhost:9000/")
    assert "http://localhost:9000/agent/" in text
    assert "admin / admin" not in text


@pytest.mark.django_db
def test_banner_lists_only_demo_logins_that_exist(django_user_model):
    django_user_model.objects.create_user("agent", password="x", is_staff=True)
    assert [login.username for login in demo_logins_present()] == ["agent"]


def test_no_worker_thread_without_a_database_task_backend(settings):
    # The tests run tasks with the immediate backend (conftest.py).
    assert not uses_database_tasks()
    assert [service.name for service in background_services()] == [
        "SLA sweep",
        "routing sweep",
        "knowledge schedule",
        "merge sweep",
        "IMAP polling",
        "case updates out",  # registered by the api app (caseway.core.periodic)
        "SMTP listener on 127.0.0.1:2525",
    ]
    # Without the worker the web process still takes mail.
    assert [s.name for s in background_services(with_worker=False)] == [
        "SMTP listener on 127.0.0.1:2525"
    ]


def test_smtp_listener_and_imap_polling_can_be_turned_off(settings):
    settings.CASEWAY_SMTP_LISTEN_PORT = 0
    settings.CASEWAY_IMAP_POLL_SECONDS = 0
    assert [service.name for service in background_services()] == [
        "SLA sweep",
        "routing sweep",
        "knowledge schedule",
        "merge sweep",
        "case updates out",
    ]
    assert background_services(with_worker=False) == []


@pytest.mark.django_db(transaction=True)
def test_a_task_loop_keeps_its_database_connection_between_tasks():
    """CONN_MAX_AGE is 0 (right for the ASGI server): close_old_connections(), which the task
    loop calls around every task, would close the connection. In kept_connections() the
    connections this thread opens live a minute."""
    import time

    from django.db import close_old_connections, connection

    from caseway.cli.runtime import WORKER_CONNECTION_AGE, kept_connections

    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("Django never closes the in-memory SQLite database of the tests")
    connection.close()
    connection.ensure_connection()
    assert connection.close_at is not None and connection.close_at <= time.monotonic()

    with kept_connections():
        connection.close()
        connection.ensure_connection()
        kept = connection.connection
        assert connection.close_at > time.monotonic() + WORKER_CONNECTION_AGE - 5
        close_old_connections()
        close_old_connections()
        assert connection.connection is kept

    connection.close()
    connection.ensure_connection()  # outside the block, as before
    assert connection.close_at <= time.monotonic()


@pytest.fixture
def collector_as_it_was():
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


class Node:
    me: object


def test_the_server_freezes_what_it_imported_and_still_collects_what_comes_later(
    collector_as_it_was,
):
    settle_collector()
    assert gc.get_freeze_count() > 10_000  # Django and the apps, never scanned again
    assert gc.get_threshold() == GC_THRESHOLDS
    node = Node()
    node.me = node  # a cycle: only the collector frees it
    gone = weakref.ref(node)
    del node
    gc.collect()
    assert gone() is None
