"""The number of queries of a request does not grow with the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


def queries_for(caller, path, **params):
    caller.get(path, **params)  # warm up: last_used_at is written on first use
    with CaptureQueriesContext(connection) as captured:
        response = caller.get(path, **params)
    assert response.status_code == 200
    return len(captured)


def add_cases(make_message, email, n):
    return [receive(make_message(email=email)).case for _ in range(n)]


@pytest.mark.parametrize("role", ["customer", "account_admin", "agent", "admin_user"])
def test_list_queries_do_not_grow_with_cases(
    as_role, role, customer, agent, make_message, django_assert_num_queries
):
    caller = as_role(role)
    add_cases(make_message, "carol@globex.test", 2)
    few = queries_for(caller, "/cases")
    add_cases(make_message, "carol@globex.test", 10)
    caller.get("/cases")

    with django_assert_num_queries(few):
        response = caller.get("/cases", limit=100)

    assert response.json()["count"] == 12
    assert few <= 3  # token (with user and contact), count, page


def test_case_detail_queries_do_not_grow_with_the_timeline(
    as_role, carol_case, django_assert_num_queries
):
    staff = as_role("agent")
    path = f"/cases/{carol_case.number}"
    short = queries_for(staff, path)
    for n in range(5):
        staff.post(f"{path}/notes", {"text": f"note {n}"})
        staff.post(f"{path}/messages", {"text": f"reply {n}"})

    with django_assert_num_queries(short):
        response = staff.get(path)

    assert len(response.json()["timeline"]) > 10


def test_queue_list_is_one_query_after_auth(as_role, carol_case):
    staff = as_role("agent")
    count = queries_for(staff, "/queues")

    assert count <= 2
