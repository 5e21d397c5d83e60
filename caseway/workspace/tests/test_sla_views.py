"""The agent's SLA experience: countdowns in the case list, the case's SLA panel, SLA and
time entries on the timeline, logging time, notifications and the SLA page."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from caseway.cases import services
from caseway.cases.models import Activity, ActivityKind, CaseStatus, Notification
from caseway.customers.tests.factories import UserFactory
from caseway.sla.escalation import fire_due_sla_actions
from caseway.sla.models import EntitlementTerm, SlaInstance, SlaKpi
from caseway.sla.tests.factories import EntitlementFactory, add_targets

pytestmark = pytest.mark.django_db

HOME = "/agent/"
SLA_PAGE = "/agent/sla/"
NOTIFICATIONS = "/agent/notifications/"


def case_url(name: str, case) -> str:
    return reverse(name, kwargs={"number": case.number})


def first_response(case) -> SlaInstance:
    return SlaInstance.objects.get(case=case, kpi=SlaKpi.FIRST_RESPONSE)


def countdowns(html: str) -> list[str]:
    return re.findall(r'<span class="countdown [^"]*"[^>]*>.*?</span></span>', html)


def sweep_in_a_month() -> None:
    """Run the SLA sweep as if a month had passed: every timer breaches."""
    fire_due_sla_actions(now=timezone.now() + timedelta(days=30))


def received_days_ago(case, days: int) -> None:
    """Move a case's timers into the past, as if the case had come in `days` ago (intake
    stamps timers with the real clock, and the clock is the one thing tests may fake)."""
    shift = timedelta(days=days)
    for timer in SlaInstance.objects.filter(case=case):
        timer.started_at -= shift
        timer.warn_at -= shift
        timer.due_at -= shift
        timer.next_action_at = timer.warn_at
        timer.save()


@pytest.fixture
def pause(agent, django_capture_on_commit_callbacks):
    """Set a case waiting on the customer, with the after-commit SLA handler run."""

    def run(case):
        with django_capture_on_commit_callbacks(execute=True):
            services.change_status(case=case, status=CaseStatus.WAITING, actor=agent)

    return run


# Case list: countdowns


def test_list_shows_a_ticking_countdown_for_the_most_urgent_timer(agent_client, case):
    html = agent_client.get(HOME).content.decode()

    [countdown] = countdowns(html)
    due = first_response(case).due_at
    assert 'class="countdown sla-in_progress"' in countdown
    assert f'data-due="{due.isoformat()}"' in countdown
    assert "data-warn=" in countdown
    assert "wall-clock time to the due time" in countdown  # the title says what it counts
    assert " left</span>" in countdown
    assert '<span class="countdown-kpi">First response</span>' in html
    assert "countdown.js" in html and 'id="countdown-strings"' in html


def test_list_shows_nearing_breach_in_amber(agent_client, case):
    fire_due_sla_actions(now=first_response(case).warn_at + timedelta(seconds=1))

    [countdown] = countdowns(agent_client.get(HOME).content.decode())

    assert 'class="countdown sla-nearing"' in countdown


def test_list_shows_a_breached_timer_as_overdue(agent_client, case):
    received_days_ago(case, 10)
    fire_due_sla_actions()

    [countdown] = countdowns(agent_client.get(HOME).content.decode())

    assert 'class="countdown sla-breached"' in countdown
    assert "#i-alert" in countdown
    assert re.search(r'countdown-text">overdue by \d+d \d+h<', countdown)


def test_list_shows_a_paused_timer_with_business_time_left_and_no_ticking(
    agent_client, case, pause
):
    pause(case)

    [countdown] = countdowns(agent_client.get(HOME).content.decode())

    assert 'class="countdown sla-paused"' in countdown
    assert "data-due" not in countdown
    assert re.search(r'countdown-text">paused, (7h 59m|8h 0m) left<', countdown)
    assert "business time left when the clock resumes" in countdown


def test_list_shows_a_dash_for_a_case_without_a_running_timer(agent_client, case):
    SlaInstance.objects.filter(case=case).delete()  # as for a case from before SLAs

    html = agent_client.get(HOME).content.decode()

    assert countdowns(html) == []
    assert 'class="countdown-none"' in html


def test_list_loads_the_timers_of_a_page_in_one_query_whatever_their_states(
    agent_client, receive, pause, django_assert_num_queries
):
    # session, user, sidebar queues, sidebar counts, unread notifications, presence, page
    # count, page rows, the rows' running SLA timers
    cases = [receive(email=f"s{i}@example.test", name=f"S {i}").case for i in range(3)]
    pause(cases[0])
    with django_assert_num_queries(9):
        agent_client.get(HOME)

    more = [receive(email=f"m{i}@example.test", name=f"M {i}").case for i in range(27)]
    for case in more[:5]:
        pause(case)
    sweep_in_a_month()
    with django_assert_num_queries(9):
        html = agent_client.get(HOME).content.decode()
    states = re.findall(r'class="countdown sla-(\w+)"', html)
    assert len(states) == 25
    assert {"paused", "breached"} <= set(states)


# Case view: the SLA panel


def sla_panel(html: str) -> str:
    start = html.index('<section id="case-sla"')
    return html[start : html.index("</section>", start)]


def test_case_view_shows_policy_contract_and_every_timer(agent_client, case):
    html = agent_client.get(case_url("workspace:case", case)).content.decode()

    panel = sla_panel(html)
    assert "Standard support" in panel
    assert "Standard support (no contract)" in panel
    assert panel.count('data-testid="sla-timer"') == 2
    assert 'data-kpi="first_response" data-state="in_progress"' in panel
    assert 'data-kpi="resolution" data-state="in_progress"' in panel
    assert panel.count('data-testid="countdown"') == 2
    assert "due " in panel


def test_case_view_shows_an_answered_timer_as_done(
    agent_client, agent, case, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.record_reply(case=case, agent=agent, text="On it")

    panel = sla_panel(agent_client.get(case_url("workspace:case", case)).content.decode())

    assert 'data-kpi="first_response" data-state="succeeded"' in panel
    assert ">Succeeded<" in panel and "Done" in panel
    assert panel.count('data-testid="countdown"') == 1  # resolution still runs


def test_case_view_shows_a_paused_timer(agent_client, case, pause):
    pause(case)

    panel = sla_panel(agent_client.get(case_url("workspace:case", case)).content.decode())

    assert 'data-kpi="first_response" data-state="paused"' in panel
    assert ">Paused<" in panel


def test_case_view_shows_what_is_left_of_a_limited_contract(
    agent_client, account, customer, receive
):
    gold = EntitlementFactory(
        name="Gold, 10 cases",
        account=account,
        term=EntitlementTerm.CASES,
        total=10,
        remaining=10,
        policy__name="Gold support",
    )
    add_targets(gold.policy, first_response=60, resolution=480)
    case = receive(subject="Covered").case

    panel = sla_panel(agent_client.get(case_url("workspace:case", case)).content.decode())

    assert "Gold support" in panel and "Gold, 10 cases" in panel
    assert "9 of 10 cases left" in panel


def test_case_view_says_when_no_sla_applies(agent_client, case):
    SlaInstance.objects.filter(case=case).delete()

    panel = sla_panel(agent_client.get(case_url("workspace:case", case)).content.decode())

    assert "No SLA applies to this case." in panel


# Timeline


def test_timeline_shows_sla_breach_and_warning_as_system_events(agent_client, case):
    fire_due_sla_actions(now=first_response(case).warn_at + timedelta(seconds=1))
    sweep_in_a_month()

    html = agent_client.get(case_url("workspace:case", case)).content.decode()

    assert 'class="event event-system event-sla-warning"' in html
    assert 'class="event event-system event-sla-breach"' in html
    assert "First response nearing breach: due" in html
    assert "First response breached: was due" in html
    assert "SLA breached</span>" in html and "SLA warning</span>" in html


def test_timeline_shows_time_logged_with_who_how_long_and_the_note(agent_client, agent, case):
    services.log_time(case=case, agent=agent, minutes=90, note="Called the customer")
    services.log_time(case=case, agent=agent, minutes=15)

    html = agent_client.get(case_url("workspace:case", case)).content.decode()

    assert "<strong>Ada Agent</strong> logged 1 h 30 min:" in html
    assert "Called the customer" in html
    assert "<strong>Ada Agent</strong> logged 15 min" in html
    assert html.count('data-kind="time_logged"') == 2


# Logging time


def test_log_time_records_the_minutes_and_redirects_back(agent_client, agent, case):
    response = agent_client.post(
        case_url("workspace:log_time", case), {"minutes": "30", "note": "Reproduced it"}
    )

    assert response.status_code == 302
    assert response["Location"] == case_url("workspace:case", case)
    entry = Activity.objects.get(case=case, kind=ActivityKind.TIME_LOGGED)
    assert entry.data == {"minutes": 30} and entry.text == "Reproduced it"
    assert entry.author_agent == agent
    case.refresh_from_db()
    assert case.time_spent_minutes == 30


def test_htmx_log_time_updates_the_panel_and_timeline_out_of_band(agent_client, case, htmx_headers):
    response = agent_client.post(
        case_url("workspace:log_time", case), {"minutes": "45"}, **htmx_headers
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert (
        '<section id="case-sla" class="panel sla-panel" data-testid="sla-panel" hx-swap-oob="true">'
        in html
    )
    assert '<strong data-testid="time-spent">45 min</strong>' in html
    assert 'data-kind="time_logged"' in html
    assert "Logged 45 min." in html


@pytest.mark.parametrize("minutes", ["0", "-5", "1441", "abc", "", "2.5"])
def test_log_time_rejects_bad_minutes_and_logs_nothing(agent_client, case, htmx_headers, minutes):
    response = agent_client.post(
        case_url("workspace:log_time", case), {"minutes": minutes, "note": "x"}, **htmx_headers
    )

    assert response.status_code == 422
    assert 'data-testid="log-time-error"' in response.content.decode()
    assert not Activity.objects.filter(case=case, kind=ActivityKind.TIME_LOGGED).exists()
    case.refresh_from_db()
    assert case.time_spent_minutes == 0


def test_log_time_is_refused_to_customers_and_hidden_from_other_queues(
    client, customer, other_agent, case
):
    client.force_login(customer.user)
    assert client.post(case_url("workspace:log_time", case), {"minutes": "5"}).status_code == 403
    client.force_login(other_agent)
    assert client.post(case_url("workspace:log_time", case), {"minutes": "5"}).status_code == 404
    assert client.get(case_url("workspace:log_time", case)).status_code == 405
    assert not Activity.objects.filter(kind=ActivityKind.TIME_LOGGED).exists()


# Notifications


@pytest.fixture
def notified(agent, other_agent, case):
    """The agent is told about their case's breach; other_agent about something else."""
    services.assign_case(case=case, owner=agent, actor=agent)
    sweep_in_a_month()
    services.notify_users(recipients=[other_agent], case=case, text="For the other agent")
    return case


def test_the_bell_counts_only_the_agents_unread_notifications(client, agent, other_agent, notified):
    mine = Notification.objects.filter(recipient=agent).count()
    assert mine == 2  # first response and resolution breached

    client.force_login(agent)
    html = client.get(HOME).content.decode()
    assert re.search(r'data-testid="bell-count"[^>]*>2</span>', html)

    client.force_login(UserFactory(username="quiet", is_staff=True))
    assert 'data-testid="bell-count"' not in client.get(HOME).content.decode()


def test_notifications_page_lists_only_the_recipients_own_with_links(agent_client, notified):
    html = agent_client.get(NOTIFICATIONS).content.decode()

    assert html.count('data-testid="notification"') == 2
    assert "First response breached" in html
    assert "For the other agent" not in html
    assert f'href="{case_url("workspace:case", notified)}"' in html
    assert "2 unread notifications." in html


def test_bell_menu_lists_recent_notifications(agent_client, notified, htmx_headers):
    response = agent_client.get(reverse("workspace:notifications_menu"), **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="notification"') == 2
    assert 'data-testid="mark-all-read"' in html
    assert "For the other agent" not in html


def test_mark_all_read_reads_only_the_agents_own(agent_client, agent, other_agent, notified):
    response = agent_client.post(reverse("workspace:notifications_read"))

    assert response.status_code == 302
    assert response["Location"] == NOTIFICATIONS
    assert not Notification.objects.filter(recipient=agent, read_at__isnull=True).exists()
    assert Notification.objects.filter(recipient=other_agent, read_at__isnull=True).count() == 1
    assert 'data-testid="bell-count"' not in agent_client.get(HOME).content.decode()


def test_htmx_mark_all_read_answers_with_the_bell(agent_client, notified, htmx_headers):
    response = agent_client.post(reverse("workspace:notifications_read"), **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<details id="bell"')
    assert 'data-testid="bell-count"' not in html


def test_mark_all_read_wants_a_post(agent_client, agent, notified):
    assert agent_client.get(reverse("workspace:notifications_read")).status_code == 405
    assert Notification.objects.filter(recipient=agent, read_at__isnull=True).count() == 2


@pytest.mark.parametrize("name", ["notifications", "notifications_menu", "sla"])
def test_customer_gets_403_on_sla_and_notification_pages(client, customer, name):
    client.force_login(customer.user)

    response = client.get(reverse(f"workspace:{name}"))

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["notifications", "sla"])
def test_anonymous_user_is_sent_to_sign_in(client, name):
    response = client.get(reverse(f"workspace:{name}"))

    assert response.status_code == 302
    assert response["Location"].startswith("/agent/login/?next=")


def test_customer_cannot_mark_notifications_read(client, customer, agent, notified):
    client.force_login(customer.user)

    assert client.post(reverse("workspace:notifications_read")).status_code == 403
    assert Notification.objects.filter(recipient=agent, read_at__isnull=True).count() == 2


# The SLA page


def sla_rows(html: str) -> int:
    return html.count('data-testid="sla-row"')


def test_sla_page_lists_breached_cases_of_the_agents_queues(agent_client, case, receive):
    sweep_in_a_month()
    fresh = receive(email="fresh@example.test", subject="Just arrived").case  # due in 8 h

    response = agent_client.get(SLA_PAGE)

    html = response.content.decode()
    assert response.status_code == 200
    assert sla_rows(html) == 1
    assert case.number in html and fresh.number not in html
    assert 'class="countdown sla-breached"' in html
    assert "and 1 more" in html  # resolution breached as well
    assert 'class="nav-item is-active" href="/agent/sla/"' in html


def test_sla_page_shows_nearing_cases_in_amber(agent_client, case):
    fire_due_sla_actions(now=first_response(case).warn_at + timedelta(seconds=1))

    html = agent_client.get(SLA_PAGE).content.decode()

    assert sla_rows(html) == 1
    assert 'class="case-row sla-row sla-row-nearing"' in html
    assert 'class="countdown sla-nearing"' in html


def test_sla_page_is_empty_for_an_agent_of_another_queue(client, other_agent, case):
    sweep_in_a_month()
    client.force_login(other_agent)

    html = client.get(SLA_PAGE).content.decode()

    assert sla_rows(html) == 0
    assert case.number not in html
    assert "No SLA at risk" in html


def test_sla_page_shows_a_supervisors_queues_and_an_admin_everything(
    client, default_queue, admin_user, case
):
    sweep_in_a_month()
    supervisor = UserFactory(username="sup", is_staff=True)
    default_queue.supervisors.add(supervisor)

    for user in (supervisor, admin_user):
        client.force_login(user)
        html = client.get(SLA_PAGE).content.decode()
        assert sla_rows(html) == 1 and case.number in html


def test_sla_page_runs_a_constant_number_of_queries(
    agent_client, receive, django_assert_num_queries
):
    # session, user, timers at risk with their cases, sidebar queues, sidebar counts, unread,
    # presence
    receive(email="a@example.test", name="A")
    sweep_in_a_month()
    with django_assert_num_queries(7):
        agent_client.get(SLA_PAGE)

    for i in range(5):
        receive(email=f"b{i}@example.test", name=f"B {i}")
    sweep_in_a_month()
    with django_assert_num_queries(7):
        html = agent_client.get(SLA_PAGE).content.decode()
    assert sla_rows(html) == 6


def test_nav_links_the_sla_page(agent_client, case):
    html = agent_client.get(HOME).content.decode()

    assert 'href="/agent/sla/" data-testid="nav-sla"' in html


# The countdown's words (the same in countdown.js)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (5, "5s"),
        (65, "1m 05s"),
        (599, "9m 59s"),
        (600, "10m"),
        (3599, "59m"),
        (3600, "1h 0m"),
        (47 * 3600 + 59 * 60, "47h 59m"),
        (2 * 86400 + 3 * 3600 + 59, "2d 3h"),
        (-90, "1m 30s"),
    ],
)
def test_span_text(seconds, text):
    from caseway.workspace.templatetags.countdown import span_text

    assert span_text(seconds) == text


def make_clock(**overrides):
    from caseway.sla.queries import SlaClock

    now = timezone.now()
    values = {
        "timer_id": 1,
        "case_id": 1,
        "kpi": SlaKpi.FIRST_RESPONSE,
        "state": "in_progress",
        "started_at": now,
        "warn_at": now,
        "due_at": now,
        "completed_at": None,
        "paused_since": None,
        "breached_at": None,
        "seconds_left": 3 * 3600 + 600,
        "paused_seconds": 0.0,
    }
    values.update(overrides)
    return SlaClock(**values)


@pytest.mark.parametrize(
    ("overrides", "text"),
    [
        ({}, "3h 10m left"),
        ({"state": "nearing", "seconds_left": 700}, "11m left"),
        ({"state": "breached", "seconds_left": -1200}, "overdue by 20m"),
        ({"state": "breached", "seconds_left": 60}, "breached"),  # stamped by a sweep ahead
        ({"state": "paused", "paused_since": timezone.now()}, "paused, 3h 10m left"),
        (
            {"state": "paused", "paused_since": timezone.now(), "seconds_left": -120},
            "paused, 2m 00s over",
        ),
    ],
)
def test_countdown_label_for_each_state(overrides, text):
    from caseway.workspace.templatetags.countdown import countdown_label

    assert countdown_label(make_clock(**overrides)) == text
