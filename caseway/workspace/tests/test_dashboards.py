"""The queue dashboard, the supervisor's view of their agents and the top bar's load meter."""

import pytest
from django.urls import reverse

from caseway.cases.tests.factories import QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.routing.models import AgentProfile, CapacityProfile, Presence, WorkKind
from caseway.routing.presence import set_presence
from caseway.routing.queries import waiting_cases

pytestmark = pytest.mark.django_db

QUEUES = reverse("workspace:queues")
TEAM = reverse("workspace:team")
LOAD = reverse("workspace:load")


def team_presence(user) -> str:
    return reverse("workspace:team_presence", kwargs={"agent_id": user.pk})


@pytest.fixture
def bea(default_queue):
    user = UserFactory(username="bea", first_name="Bea", last_name="Colleague", is_staff=True)
    default_queue.members.add(user)
    return user


@pytest.fixture
def supervisor(default_queue):
    """Sue supervises the default queue without working in it."""
    user = UserFactory(username="sue", first_name="Sue", last_name="Visor", is_staff=True)
    default_queue.supervisors.add(user)
    return user


def test_queue_dashboard_shows_waiting_open_and_agents_present(client, agent, bea, case):
    set_presence(agent=bea, presence=Presence.AVAILABLE)
    client.force_login(agent)

    html = client.get(QUEUES).content.decode()

    waiting = waiting_cases(case.queue_id).count()
    assert 'data-testid="queues-page"' in html
    assert f'data-queue="{case.queue.slug}"' in html
    assert f'data-testid="queue-waiting">{waiting}</span>' in html
    assert 'data-testid="queue-open">1</td>' in html
    assert "1 of 2" in html
    assert f"?queue={case.queue.slug}" in html
    assert "Highest available capacity" in html


def test_queue_dashboard_shows_an_agent_only_their_queues(client, other_agent, case):
    client.force_login(other_agent)

    html = client.get(QUEUES).content.decode()

    assert 'data-queue="billing"' in html
    assert f'data-queue="{case.queue.slug}"' not in html


def test_customers_get_no_dashboards(client, customer):
    client.force_login(customer.user)

    for page in (QUEUES, TEAM, LOAD):
        assert client.get(page).status_code == 403


def test_anonymous_users_sign_in_first(client):
    response = client.get(QUEUES)

    assert response.status_code == 302
    assert reverse("workspace:login") in response["Location"]


def test_queue_dashboard_runs_a_constant_number_of_queries(
    client, agent, case, django_assert_num_queries
):
    client.force_login(agent)
    for index in range(3):
        QueueFactory(name=f"Extra {index}", slug=f"extra-{index}", members=[agent])
    client.get(QUEUES)

    # session, user, shell (4), queues, waiting, available, members
    with django_assert_num_queries(10):
        client.get(QUEUES)
    for index in range(3, 6):
        QueueFactory(name=f"Extra {index}", slug=f"extra-{index}", members=[agent])
    with django_assert_num_queries(10):
        client.get(QUEUES)


def test_team_shows_the_agents_of_supervised_queues(client, supervisor, agent, bea, other_agent):
    set_presence(agent=agent, presence=Presence.AVAILABLE)
    client.force_login(supervisor)

    html = client.get(TEAM).content.decode()

    assert 'data-agent="agent" data-presence="available"' in html
    assert 'data-agent="bea" data-presence="offline"' in html
    assert 'data-agent="other-agent"' not in html
    assert "0 / 10 cases" in html


def test_team_shows_an_agent_who_supervises_nothing_no_one(client, other_agent, agent):
    client.force_login(other_agent)

    html = client.get(TEAM).content.decode()

    assert 'data-testid="team-row"' not in html
    assert "You supervise no queue" in html


def test_admin_sees_every_agent(client, admin_user, agent, other_agent):
    client.force_login(admin_user)

    html = client.get(TEAM).content.decode()

    assert 'data-agent="agent"' in html and 'data-agent="other-agent"' in html


def test_team_runs_a_constant_number_of_queries(
    client, supervisor, agent, default_queue, django_assert_num_queries
):
    client.force_login(supervisor)
    client.get(TEAM)

    # session, user, shell (4), agents, profiles, loads, capacities (2), open cases owned
    with django_assert_num_queries(12):
        client.get(TEAM)
    for index in range(4):
        default_queue.members.add(UserFactory(username=f"extra-{index}", is_staff=True))
    with django_assert_num_queries(12):
        client.get(TEAM)


def test_supervisor_sets_an_agents_presence_and_offline_hands_back_their_cases(
    client, supervisor, agent, routed_case
):
    client.force_login(supervisor)
    assert routed_case.owner_id == agent.pk

    response = client.post(team_presence(agent), {"presence": "offline"})

    assert response.status_code == 302
    assert AgentProfile.objects.get(agent=agent).presence == Presence.OFFLINE
    routed_case.refresh_from_db()
    assert routed_case.owner_id is None
    page = client.get(TEAM).content.decode()
    assert "their open cases went back to their queues" in page


def test_agent_who_does_not_supervise_them_is_refused(client, other_agent, agent):
    set_presence(agent=agent, presence=Presence.AVAILABLE)
    client.force_login(other_agent)

    response = client.post(team_presence(agent), {"presence": "offline"})

    assert response.status_code == 403
    assert AgentProfile.objects.get(agent=agent).presence == Presence.AVAILABLE


def test_an_agent_may_not_set_a_colleagues_presence_by_sharing_a_queue(client, agent, bea):
    client.force_login(bea)

    response = client.post(team_presence(agent), {"presence": "away"})

    assert response.status_code == 403


def test_admin_sets_anyones_presence(client, admin_user, other_agent):
    client.force_login(admin_user)

    client.post(team_presence(other_agent), {"presence": "away"})

    assert AgentProfile.objects.get(agent=other_agent).presence == Presence.AWAY


def test_load_meter_shows_my_load_against_my_capacity(client, agent, routed_case):
    chats = CapacityProfile.objects.create(name="Three chats", work_kind=WorkKind.CHAT, max_units=3)
    AgentProfile.objects.get(agent=agent).capacity_profiles.add(chats)
    client.force_login(agent)

    html = client.get(LOAD).content.decode()

    assert 'data-testid="load-case" data-level="low"' in html
    assert "1 / 10 cases" in html
    assert "0 / 3 chats" in html


def test_load_meter_turns_full_at_capacity(client, agent, routed_case):
    small = CapacityProfile.objects.create(name="One case", max_units=1)
    AgentProfile.objects.get(agent=agent).capacity_profiles.add(small)
    client.force_login(agent)

    html = client.get(LOAD).content.decode()

    assert 'data-level="full"' in html
    assert "1 / 1 cases" in html


def test_pages_load_the_meter_after_rendering(client, agent):
    client.force_login(agent)

    html = client.get(reverse("workspace:home")).content.decode()

    assert f'hx-get="{LOAD}" hx-trigger="load, cw:load from:body"' in html
