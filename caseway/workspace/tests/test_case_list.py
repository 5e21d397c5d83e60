"""The case list: sidebar, filters, search, sort, paging, htmx partials and query counts."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from caseway.cases import services
from caseway.cases.models import CaseStatus
from caseway.cases.tests.factories import QueueFactory

pytestmark = pytest.mark.django_db

HOME = "/agent/"


def rows(response) -> int:
    return response.content.decode().count('data-testid="case-row"')


@pytest.fixture
def many(receive, customer):
    """Cases from different senders, all in the default queue."""

    def make(count: int, **overrides):
        return [
            receive(email=f"sender{i}@example.test", name=f"Sender {i}", **overrides).case
            for i in range(count)
        ]

    return make


def test_list_shows_number_subject_contact_account_status_priority_channel_owner(
    agent_client, case, agent
):
    services.assign_case(case=case, owner=agent, actor=agent)

    html = agent_client.get(HOME).content.decode()

    assert case.number in html
    assert "Printer on fire" in html
    assert "Carol Customer" in html
    assert "Globex" in html
    assert 'class="pill status-new"' in html
    assert "prio-normal" in html
    assert "#i-email" in html
    assert "Ada Agent" in html
    assert "<time" in html
    assert 'data-testid="case-list"' in html


def test_sidebar_lists_the_agents_queues_with_open_and_unassigned_counts(
    agent_client, agent, case, receive
):
    QueueFactory(name="Returns", slug="returns", members=[agent])
    second = receive(email="zed@example.test").case
    services.assign_case(case=second, owner=agent, actor=agent)

    html = agent_client.get(HOME).content.decode()

    assert "General: 2 open, 1 unassigned" in html
    assert "Returns: 0 open, 0 unassigned" in html
    assert "Billing" not in html  # other_agent's queue is not the agent's


def test_view_counts_are_right_when_queues_have_many_members(agent_client, agent, receive):
    from caseway.cases.models import Queue
    from caseway.customers.tests.factories import UserFactory

    Queue.objects.get(is_default=True).members.add(
        UserFactory(username="m1", is_staff=True), UserFactory(username="m2", is_staff=True)
    )
    cases = [receive(email=f"c{i}@example.test", name=f"C {i}").case for i in range(3)]
    for case in cases[:2]:
        services.assign_case(case=case, owner=agent, actor=agent)

    from caseway.workspace.listing import view_counts

    counts = view_counts(agent)
    assert (counts.mine, counts.unassigned, counts.open) == (2, 1, 3)
    assert rows(agent_client.get(HOME)) == 3


def test_default_view_lists_open_cases_only(agent_client, case, agent, receive):
    resolved = receive(email="done@example.test", subject="Solved already").case
    services.change_status(case=resolved, status=CaseStatus.RESOLVED, actor=agent)

    html = agent_client.get(HOME).content.decode()

    assert case.number in html
    assert resolved.number not in html
    assert resolved.number in agent_client.get(HOME, {"status": "all"}).content.decode()
    assert case.number not in agent_client.get(HOME, {"status": "resolved"}).content.decode()


def test_filter_by_priority_and_channel(agent_client, case, agent, receive):
    urgent = receive(email="u@example.test", subject="Everything is down").case
    services.change_priority(case=urgent, priority="urgent", actor=agent)
    chat = receive(
        channel="chat", email="chat@example.test", subject="Chatty", continues_conversation=True
    ).case

    by_priority = agent_client.get(HOME, {"priority": "urgent"}).content.decode()
    by_channel = agent_client.get(HOME, {"channel": "chat"}).content.decode()

    assert urgent.number in by_priority and case.number not in by_priority
    assert chat.number in by_channel and case.number not in by_channel


def test_filter_by_queue(agent_client, agent, case, receive):
    returns = QueueFactory(name="Returns", slug="returns", members=[agent])
    moved = receive(email="r@example.test").case
    services.move_case(case=moved, queue=returns, actor=agent)

    html = agent_client.get(HOME, {"queue": "returns"}).content.decode()

    assert moved.number in html
    assert case.number not in html


def test_queue_filter_ignores_queues_the_agent_does_not_work(agent_client, other_agent, case):
    html = agent_client.get(HOME, {"queue": "billing"}).content.decode()

    assert case.number in html  # an unknown queue falls back to "all my queues"


def test_filter_by_owner_me_and_unassigned(agent_client, agent, case, receive):
    mine = receive(email="m@example.test").case
    services.assign_case(case=mine, owner=agent, actor=agent)

    me = agent_client.get(HOME, {"owner": "me"}).content.decode()
    unassigned = agent_client.get(HOME, {"owner": "unassigned"}).content.decode()

    assert mine.number in me and case.number not in me
    assert case.number in unassigned and mine.number not in unassigned


@pytest.mark.parametrize("query", ["printer", "Carol", "carol@globex", "CW-{pk}", "{pk}"])
def test_search_matches_subject_contact_name_email_and_number(agent_client, case, receive, query):
    other = receive(email="x@example.test", name="Xavier", subject="Unrelated").case

    html = agent_client.get(HOME, {"q": query.format(pk=case.pk)}).content.decode()

    assert case.number in html
    assert other.number not in html


def test_sort_by_priority_puts_urgent_first(agent_client, agent, case, receive):
    urgent = receive(email="u@example.test", subject="Down").case
    low = receive(email="l@example.test", subject="Later").case
    services.change_priority(case=urgent, priority="urgent", actor=agent)
    services.change_priority(case=low, priority="low", actor=agent)

    html = agent_client.get(HOME, {"sort": "priority"}).content.decode()

    assert html.index(urgent.number) < html.index(case.number) < html.index(low.number)


def test_sort_by_created_puts_newest_first(agent_client, case, receive):
    newer = receive(email="n@example.test").case

    html = agent_client.get(HOME, {"sort": "created"}).content.decode()

    assert html.index(newer.number) < html.index(case.number)


def test_invalid_filter_values_fall_back_to_defaults(agent_client, case):
    response = agent_client.get(
        HOME, {"status": "bogus", "priority": "x", "owner": "?", "sort": "y", "page": "abc"}
    )

    assert response.status_code == 200
    assert case.number in response.content.decode()


def test_paging_shows_25_cases_per_page(agent_client, many):
    many(30)

    first = agent_client.get(HOME)
    second = agent_client.get(HOME, {"page": 2})

    assert rows(first) == 25
    assert rows(second) == 5
    assert "1–25 of 30" in first.content.decode()  # noqa: RUF001
    assert "26–30 of 30" in second.content.decode()  # noqa: RUF001
    assert 'href="?page=2"' in first.content.decode()


def test_paging_keeps_the_filters(agent_client, many):
    many(30)

    html = agent_client.get(HOME, {"owner": "unassigned", "sort": "created"}).content.decode()

    assert 'href="?owner=unassigned&amp;sort=created&amp;page=2"' in html


def test_page_past_the_end_shows_the_last_page(agent_client, many):
    many(30)

    assert rows(agent_client.get(HOME, {"page": 99})) == 5


def test_htmx_request_for_the_list_returns_only_the_list_partial(agent_client, case, htmx_headers):
    response = agent_client.get(HOME, {"q": "printer"}, HTTP_HX_TARGET="case-list", **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="case-list"')
    assert "<html" not in html
    assert case.number in html


def test_filter_form_updates_the_list_with_htmx_and_works_without_js(agent_client, case):
    html = agent_client.get(HOME).content.decode()

    assert 'method="get"' in html and 'action="/agent/"' in html
    assert 'hx-get="/agent/"' in html
    assert 'hx-target="#case-list"' in html
    assert 'hx-push-url="true"' in html


def test_empty_states_say_what_to_do(agent_client, agent):
    nothing = agent_client.get(HOME).content.decode()
    no_match = agent_client.get(HOME, {"q": "zzz"}).content.decode()
    mine = agent_client.get(HOME, {"owner": "me"}).content.decode()

    assert "All caught up" in nothing
    assert "No cases match these filters" in no_match and "Clear filters" in no_match
    assert "Nothing on your plate" in mine


def test_sidebar_marks_the_current_view(agent_client, case):
    html = agent_client.get(HOME, {"owner": "me"}).content.decode()

    assert 'class="nav-item is-active" href="/agent/?owner=me"' in html
    assert "<title>My cases" in html


def test_list_runs_a_constant_number_of_queries(agent_client, many, django_assert_num_queries):
    # session, user, sidebar queues, sidebar counts, unread notifications, presence, page
    # count, page rows (with routing's offers), the rows' running SLA timers
    many(2)
    with django_assert_num_queries(9):
        agent_client.get(HOME)

    many(28)
    with django_assert_num_queries(9):
        response = agent_client.get(HOME)
    assert rows(response) == 25


def test_htmx_list_refreshes_title_and_sidebar_out_of_band(agent_client, case, htmx_headers):
    response = agent_client.get(HOME, {"owner": "me"}, HTTP_HX_TARGET="case-list", **htmx_headers)

    html = response.content.decode()
    assert '<h1 id="page-title" class="page-title" hx-swap-oob="true">My cases</h1>' in html
    assert '<div id="nav" class="nav" hx-swap-oob="true">' in html
    assert 'class="nav-item is-active" href="/agent/?owner=me"' in html


def test_htmx_list_runs_as_many_queries_as_the_page(agent_client, many, htmx_headers):
    many(3)

    with CaptureQueriesContext(connection) as page:
        agent_client.get(HOME)
    with CaptureQueriesContext(connection) as partial:
        agent_client.get(HOME, HTTP_HX_TARGET="case-list", **htmx_headers)

    assert len(partial) == len(page) == 9
    assert reverse("workspace:home") == HOME


def test_list_varies_on_htmx_headers_so_caches_keep_page_and_partial_apart(agent_client):
    response = agent_client.get(HOME)

    assert "HX-Request" in response["Vary"]
