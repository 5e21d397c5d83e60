"""The visibility matrix, at the query every interface uses."""

import pytest
from django.contrib.auth.models import AnonymousUser

from caseway.cases.models import Case
from caseway.cases.queries import (
    cases_visible_to,
    get_case_for_user,
    queues_visible_to,
    timeline_for,
)
from caseway.cases.services import add_note, record_reply
from caseway.cases.tests.factories import ActivityFactory, CaseFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carols_case(customer):
    return CaseFactory(contact=customer, account=customer.account)


@pytest.fixture
def who(request, customer, colleague, account_admin, stranger, agent, other_agent, admin_user):
    people = {
        "customer": customer.user,
        "colleague": colleague.user,
        "account_admin": account_admin.user,
        "stranger": stranger.user,
        "agent": agent,
        "other_agent": other_agent,
        "admin": admin_user,
        "anonymous": AnonymousUser(),
    }
    return people[request.param]


@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("customer", True),
        ("colleague", False),
        ("account_admin", True),
        ("stranger", False),
        ("agent", True),
        ("other_agent", False),
        ("admin", True),
        ("anonymous", False),
    ],
    indirect=["who"],
)
def test_visibility_matrix(who, sees, carols_case):
    assert cases_visible_to(who).filter(pk=carols_case.pk).exists() is sees
    if sees:
        assert get_case_for_user(who, carols_case.number) == carols_case
    else:
        with pytest.raises(Case.DoesNotExist):
            get_case_for_user(who, carols_case.number)


def test_agent_sees_cases_they_own_outside_their_queues(carols_case, other_agent, agent):
    from caseway.cases.services import assign_case

    assign_case(case=carols_case, owner=other_agent, actor=agent)
    assert cases_visible_to(other_agent).filter(pk=carols_case.pk).exists()


def test_inactive_users_see_nothing(carols_case, customer, agent):
    for user in (customer.user, agent):
        user.is_active = False
        user.save()
        assert not cases_visible_to(user).exists()


def test_customers_see_only_public_messages_on_the_timeline(carols_case, customer, agent):
    ActivityFactory(case=carols_case)
    record_reply(case=carols_case, agent=agent, text="public answer")
    add_note(case=carols_case, agent=agent, text="secret note")
    customer_view = [a.text for a in timeline_for(customer.user, carols_case)]
    agent_view = [a.kind for a in timeline_for(agent, carols_case)]
    assert "public answer" in customer_view
    assert "secret note" not in customer_view
    assert {"note", "status_change", "message_out", "message_in"} <= set(agent_view)


def test_queue_counts(carols_case, agent, other_agent, customer):
    queues = {q.slug: q for q in queues_visible_to(agent)}
    assert queues["general"].open_count == 1
    assert queues["general"].unassigned_count == 1
    assert "billing" not in queues
    assert not queues_visible_to(customer.user).exists()
    assert {q.slug for q in queues_visible_to(other_agent)} == {"billing"}


def test_case_list_costs_one_query(customer, agent, django_assert_num_queries):
    for _ in range(5):
        CaseFactory(contact=customer)
    with django_assert_num_queries(1):
        rows = [(c.number, c.contact.name, c.queue.name, c.owner) for c in cases_visible_to(agent)]
    assert len(rows) == 5


def test_a_supervisor_sees_the_cases_of_the_queues_they_supervise(customer, default_queue):
    from caseway.cases.queries import cases_visible_to, queues_visible_to
    from caseway.cases.tests.factories import CaseFactory
    from caseway.customers.tests.factories import UserFactory

    lead = UserFactory(username="lead", is_staff=True)
    case = CaseFactory(contact=customer, queue=default_queue)
    assert list(cases_visible_to(lead)) == []
    default_queue.supervisors.add(lead)
    default_queue.members.add(lead)  # a member and a supervisor: still one row
    assert list(cases_visible_to(lead)) == [case]
    assert [q.name for q in queues_visible_to(lead)] == [default_queue.name]
