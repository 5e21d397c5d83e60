"""Routing in the workspace: presence switcher, offers, picking by hand within capacity, the
poll that shows new work without a refresh, and the routing panel of the case view."""

import re

import pytest
from django.urls import reverse

from caseway.cases import services as case_services
from caseway.cases.models import Case
from caseway.cases.tests.factories import QueueFactory
from caseway.customers.tests.factories import UserFactory
from caseway.routing.assignment import assign_waiting_case
from caseway.routing.models import (
    AgentProfile,
    AgentSkill,
    CapacityProfile,
    DecisionKind,
    Offer,
    OfferStatus,
    Presence,
    RoutingDecision,
    RoutingRule,
    RuleSkill,
    Skill,
)
from caseway.routing.presence import set_presence
from caseway.routing.rules import clear_rule_cache

pytestmark = pytest.mark.django_db

HOME = reverse("workspace:home")
POLL = reverse("workspace:poll")
PRESENCE = reverse("workspace:presence")


def url(name: str, case: Case) -> str:
    return reverse(name, kwargs={"number": case.number})


@pytest.fixture
def premium(agent):
    """The premium queue, which Ada (the `agent`) works."""
    return QueueFactory(name="Premium", slug="premium", members=[agent])


@pytest.fixture
def bea(premium):
    user = UserFactory(username="bea", first_name="Bea", last_name="Colleague", is_staff=True)
    premium.members.add(user)
    return user


@pytest.fixture
def rules(premium):
    """Two rules in order: Spanish speakers (never Carol, who speaks English), then preferred
    customers (Carol's account Globex is one), who go to Premium and need routers at 3."""
    routers = Skill.objects.create(name="Routers")
    RoutingRule.objects.create(name="Spanish speakers", order=10, languages=["es"], queue=premium)
    preferred = RoutingRule.objects.create(
        name="Preferred customers", order=20, preferred="yes", queue=premium
    )
    RuleSkill.objects.create(rule=preferred, skill=routers, min_proficiency=3)
    clear_rule_cache()
    return {"routers": routers, "preferred": preferred}


@pytest.fixture
def ready(agent, bea, rules):
    """Ada and Bea are available and qualified (Ada first in line on a tie)."""
    for user, level in ((agent, 4), (bea, 3)):
        AgentSkill.objects.create(agent=user, skill=rules["routers"], proficiency=level)
        set_presence(agent=user, presence=Presence.AVAILABLE)
    return [agent, bea]


@pytest.fixture
def routed(customer, receive, ready, django_capture_on_commit_callbacks):
    """Deliver a message and let routing and assignment run as after a real commit."""

    def deliver(subject: str = "Router down") -> Case:
        with django_capture_on_commit_callbacks(execute=True):
            case = receive(subject=subject, text="Our router is down.").case
        case.refresh_from_db()
        return case

    return deliver


def open_offer(case: Case) -> Offer | None:
    return Offer.objects.filter(case=case, status=OfferStatus.OFFERED).first()


def nav_counts(html: str) -> dict[str, str]:
    return dict(re.findall(r'<span id="(nav-[\w-]+)" class="[^"]*"[^>]*>([^<]*)</span>', html))


# Presence


def test_presence_switch_sets_my_presence_and_returns_the_switcher(
    agent_client, agent, htmx_headers
):
    response = agent_client.post(PRESENCE, {"presence": "available"}, **htmx_headers)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html
    assert '<details id="presence"' in html
    assert 'data-testid="presence-label">Available</span>' in html
    assert AgentProfile.objects.get(agent=agent).presence == Presence.AVAILABLE


def test_presence_switcher_swapped_by_htmx_keeps_the_page_to_come_back_to(
    agent_client, htmx_headers
):
    response = agent_client.post(
        PRESENCE,
        {"presence": "busy"},
        HTTP_HX_CURRENT_URL="http://testserver/agent/?owner=me",
        **htmx_headers,
    )

    assert 'name="next" value="/agent/?owner=me"' in response.content.decode()


def test_presence_switch_without_htmx_goes_back_to_the_page(agent_client, agent, case):
    page = url("workspace:case", case)

    response = agent_client.post(PRESENCE, {"presence": "away", "next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    assert AgentProfile.objects.get(agent=agent).presence == Presence.AWAY


def test_presence_switch_never_follows_an_outside_next(agent_client):
    response = agent_client.post(PRESENCE, {"presence": "away", "next": "https://evil.test/"})

    assert response["Location"] == HOME


def test_presence_switch_is_only_for_oneself(agent_client, agent, bea):
    set_presence(agent=bea, presence=Presence.AVAILABLE)

    agent_client.post(PRESENCE, {"presence": "dnd", "agent": bea.pk, "agent_id": bea.pk})

    assert AgentProfile.objects.get(agent=bea).presence == Presence.AVAILABLE
    assert AgentProfile.objects.get(agent=agent).presence == Presence.DO_NOT_DISTURB


def test_unknown_presence_is_refused(agent_client, agent, htmx_headers):
    response = agent_client.post(PRESENCE, {"presence": "asleep"}, **htmx_headers)

    assert response.status_code == 422
    assert "Choose one of the presences" in response.content.decode()
    assert not AgentProfile.objects.filter(agent=agent, presence="asleep").exists()


def test_customer_cannot_switch_presence(client, customer):
    client.force_login(customer.user)

    assert client.post(PRESENCE, {"presence": "available"}).status_code == 403
    assert not AgentProfile.objects.exists()


def test_top_bar_shows_presence_and_busy_full_when_caseway_set_it(agent_client, agent):
    set_presence(agent=agent, presence=Presence.AWAY)
    away = agent_client.get(HOME).content.decode()
    AgentProfile.objects.filter(agent=agent).update(presence=Presence.BUSY, is_auto_busy=True)
    full = agent_client.get(HOME).content.decode()

    assert 'data-testid="presence-label">Away</span>' in away
    assert 'data-state="full"' in full
    assert 'data-testid="presence-label">Busy (full)</span>' in full
    assert "Set by Caseway at full capacity" in full


def test_agent_at_full_capacity_who_asks_to_be_available_is_told_why_busy(
    agent_client, agent, case, htmx_headers
):
    profile = CapacityProfile.objects.create(name="One", max_units=1)
    AgentProfile.objects.create(agent=agent).capacity_profiles.add(profile)
    agent_client.post(url("workspace:take", case))

    response = agent_client.post(PRESENCE, {"presence": "available"}, **htmx_headers)

    html = response.content.decode()
    assert "Busy (full)" in html
    assert "You are at full capacity" in html


def test_going_offline_gives_my_cases_back_and_says_so(agent_client, agent, case, htmx_headers):
    set_presence(agent=agent, presence=Presence.AVAILABLE)
    agent_client.post(url("workspace:take", case))

    response = agent_client.post(PRESENCE, {"presence": "offline"}, **htmx_headers)

    case.refresh_from_db()
    assert case.owner is None
    html = response.content.decode()
    assert "Your open cases went back to their queues" in html
    assert '<span id="nav-count-mine" class="nav-count" hx-swap-oob="true">0</span>' in html


# Offers


def test_routing_assigns_a_new_case_and_the_case_view_offers_it(agent_client, agent, routed):
    case = routed()

    html = agent_client.get(url("workspace:case", case)).content.decode()

    assert case.owner == agent and case.queue.slug == "premium"
    assert 'data-testid="offer-banner"' in html
    assert "Assigned to you by routing" in html
    assert 'data-testid="accept-offer"' in html and 'data-testid="decline-offer"' in html
    assert "Chosen because: most capacity left (10 of 10)" in html


def test_other_agents_of_the_queue_see_no_offer(client, bea, routed):
    case = routed()
    client.force_login(bea)

    html = client.get(url("workspace:case", case)).content.decode()

    assert 'data-testid="offer-banner"' not in html
    assert 'data-testid="take-button"' not in html  # Ada owns it


def test_accepting_keeps_the_case_and_removes_the_banner(agent_client, agent, routed):
    case = routed()

    response = agent_client.post(url("workspace:accept_offer", case), follow=True)

    offer = Offer.objects.get(case=case, agent=agent)
    assert offer.status == OfferStatus.ACCEPTED
    html = response.content.decode()
    assert f"Accepted: {case.number} is yours." in html
    assert 'data-testid="offer-banner"' not in html


def test_accepting_with_htmx_swaps_the_banner_away(agent_client, routed, htmx_headers):
    case = routed()

    response = agent_client.post(url("workspace:accept_offer", case), **htmx_headers)

    html = response.content.decode()
    assert response.status_code == 200
    assert '<div id="offer-banner" hx-swap-oob="true">' in html
    assert 'data-testid="offer-banner"' not in html


def test_only_the_offered_agent_can_accept(client, bea, routed):
    case = routed()
    client.force_login(bea)

    response = client.post(url("workspace:accept_offer", case))

    assert response.status_code == 409
    assert "This case is not offered to you any more." in response.content.decode()
    assert open_offer(case).status == OfferStatus.OFFERED


def test_declining_hands_the_case_to_the_next_candidate(
    agent_client, agent, bea, routed, django_capture_on_commit_callbacks
):
    case = routed()

    with django_capture_on_commit_callbacks(execute=True):
        response = agent_client.post(url("workspace:decline_offer", case))

    assert response.status_code == 302
    assert response["Location"] == HOME + "?owner=me"
    assert Offer.objects.get(case=case, agent=agent).status == OfferStatus.DECLINED
    case.refresh_from_db()
    assert case.owner == bea
    assert open_offer(case).agent == bea
    listing = agent_client.get(response["Location"]).content.decode()
    assert f"You declined {case.number}. Routing offers it to the next agent." in listing


def test_declining_with_htmx_redirects_the_page_to_my_cases(agent_client, routed, htmx_headers):
    case = routed()

    response = agent_client.post(url("workspace:decline_offer", case), **htmx_headers)

    assert response["HX-Redirect"] == HOME + "?owner=me"


def test_only_the_offered_agent_can_decline(client, agent, bea, routed):
    case = routed()
    client.force_login(bea)

    response = client.post(url("workspace:decline_offer", case))

    assert response.status_code == 409
    case.refresh_from_db()
    assert case.owner == agent
    assert open_offer(case).agent == agent


def row_of(html: str, case: Case) -> str:
    start = html.index(f'<a href="{url("workspace:case", case)}" class="case-num">')
    return html[start : html.index("</tr>", start)]


def test_case_list_marks_the_cases_offered_to_me(agent_client, client, agent, bea, routed):
    first = routed("Router down")  # a tie: Ada
    second = routed("Switch down")  # Bea has more room left now

    mine = agent_client.get(HOME).content.decode()
    client.force_login(bea)
    theirs = client.get(HOME).content.decode()

    assert (first.owner, second.owner) == (agent, bea)
    assert 'data-testid="new-for-you"' in row_of(mine, first)
    assert 'data-testid="new-for-you"' not in row_of(mine, second)
    assert 'data-testid="new-for-you"' in row_of(theirs, second)
    assert 'data-testid="new-for-you"' not in row_of(theirs, first)


def test_an_accepted_case_is_no_longer_new(agent_client, routed):
    case = routed()
    agent_client.post(url("workspace:accept_offer", case))

    html = agent_client.get(HOME).content.decode()

    assert 'data-testid="new-for-you"' not in row_of(html, case)


# Picking by hand


def test_take_picks_the_case_through_routing(agent_client, agent, case):
    response = agent_client.post(url("workspace:take", case))

    assert response.status_code == 302
    case.refresh_from_db()
    assert case.owner == agent
    decision = RoutingDecision.objects.get(case=case, kind=DecisionKind.ASSIGN)
    assert decision.explanation["method"] == "pick"


def test_take_over_capacity_is_refused_with_a_clear_message(agent_client, agent, receive, case):
    profile = CapacityProfile.objects.create(name="One at a time", max_units=1)
    AgentProfile.objects.create(agent=agent).capacity_profiles.add(profile)
    agent_client.post(url("workspace:take", case))
    second = receive(subject="Another one").case

    response = agent_client.post(url("workspace:take", second))

    assert response.status_code == 409
    html = response.content.decode()
    assert "You are at full capacity (1 of 1)." in html
    second.refresh_from_db()
    assert second.owner is None


def test_take_over_capacity_with_htmx_is_a_409_with_the_message(
    agent_client, agent, receive, case, htmx_headers
):
    profile = CapacityProfile.objects.create(name="One at a time", max_units=1)
    AgentProfile.objects.create(agent=agent).capacity_profiles.add(profile)
    agent_client.post(url("workspace:take", case))
    second = receive(subject="Another one").case

    response = agent_client.post(url("workspace:take", second), **htmx_headers)

    assert response.status_code == 409
    html = response.content.decode()
    assert '<div id="flash" class="flash" aria-live="polite" hx-swap-oob="true">' in html
    assert 'data-testid="flash-error"' in html and "full capacity" in html


def test_take_is_refused_when_someone_else_owns_the_case(agent_client, agent, bea, case):
    case.queue.members.add(bea)
    case_services.assign_case(case=case, owner=bea, actor=bea)

    page = agent_client.get(url("workspace:case", case)).content.decode()
    response = agent_client.post(url("workspace:take", case))

    assert 'data-testid="take-button"' not in page
    assert response.status_code == 409
    assert "Someone else owns this case now." in response.content.decode()
    case.refresh_from_db()
    assert case.owner == bea


# The poll


def test_page_and_poll_show_the_same_sidebar_numbers(agent_client, routed, premium):
    routed()
    page = agent_client.get(HOME).content.decode()
    queues = ",".join(re.findall(r'id="nav-queue-(\d+)-open"', page))

    poll = agent_client.get(POLL, {"queues": queues}).content.decode()

    assert nav_counts(page) == nav_counts(poll)
    assert nav_counts(poll)["nav-count-mine"] == "1"
    assert nav_counts(poll)[f"nav-queue-{premium.pk}-open"] == "1"


def test_poll_shows_a_toast_for_a_new_offer_once(agent_client, agent, routed):
    page = agent_client.get(HOME).content.decode()
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    case = routed()

    first = agent_client.get(POLL, {"seen": seen}).content.decode()
    newest = re.search(r'name="seen" value="(\d+)"', first).group(1)
    again = agent_client.get(POLL, {"seen": newest}).content.decode()

    assert seen == "0"
    assert 'data-testid="offer-toast"' in first
    assert "New case for you: <a" in first and f"{case.number} Router down</a>" in first
    assert 'hx-swap-oob="beforeend:#flash"' in first
    assert int(newest) == Offer.objects.get(case=case).pk
    assert 'data-testid="offer-toast"' not in again


def test_poll_shows_no_toast_for_an_offer_already_answered(agent_client, routed):
    case = routed()
    agent_client.post(url("workspace:accept_offer", case))

    html = agent_client.get(POLL, {"seen": 0}).content.decode()

    assert 'data-testid="offer-toast"' not in html


def test_poll_costs_two_queries_and_one_more_for_new_offers(
    agent_client, agent, routed, django_assert_num_queries
):
    case = routed()
    newest = Offer.objects.get(case=case).pk
    state = {"seen": newest, "presence": "available", "mine": "x", "queues": "1,2,3"}

    # session, user, the sidebar's numbers, presence with the newest offer id
    with django_assert_num_queries(4):
        response = agent_client.get(POLL, state)
    assert "no-cache" in response["Cache-Control"]
    # ... and the new offers with their cases
    with django_assert_num_queries(5):
        agent_client.get(POLL, {**state, "seen": 0})


def test_poll_swaps_the_presence_switcher_only_when_it_changed(agent_client, agent, routed):
    routed()  # Ada: available, one case of ten

    same = agent_client.get(POLL, {"presence": "available"}).content.decode()
    AgentProfile.objects.filter(agent=agent).update(presence=Presence.BUSY, is_auto_busy=True)
    changed = agent_client.get(POLL, {"presence": "available"}).content.decode()

    assert 'id="presence"' not in same
    assert '<details id="presence" class="presence" data-testid="presence" data-state="full"' in (
        changed
    )


def test_poll_refreshes_my_cases_when_they_changed(agent_client, routed, django_assert_num_queries):
    page = agent_client.get(HOME, {"owner": "me"}).content.decode()
    version = re.search(r'name="mine" value="([^"]+)"', page).group(1)
    case = routed()

    changed = agent_client.get(POLL, {"list": "owner=me", "mine": version}).content.decode()
    current = re.search(r'name="mine" value="([^"]+)"', changed).group(1)
    with django_assert_num_queries(4):
        unchanged = agent_client.get(POLL, {"list": "owner=me", "mine": current, "seen": 10**6})

    assert re.search(r'<section id="case-list" [^>]*hx-swap-oob="true">', changed)
    assert case.number in changed and 'data-testid="new-for-you"' in changed
    assert 'id="case-list"' not in unchanged.content.decode()


def test_poll_never_sends_other_lists(agent_client, routed):
    routed()

    for params in ("owner=unassigned", "", "queue=premium&owner=me", "owner=me&status=resolved"):
        html = agent_client.get(POLL, {"list": params, "mine": "stale"}).content.decode()
        assert 'id="case-list"' not in html, params


def test_page_includes_the_poller_that_stops_when_the_tab_is_hidden(agent_client):
    html = agent_client.get(HOME).content.decode()

    assert 'id="poll"' in html
    assert "every 5s [document.visibilityState === 'visible' && !window.cwLive]" in html
    assert 'data-ws="/ws/agent/?chat=0"' in html
    assert "window.location.search" in html


# The routing panel


def test_routing_panel_shows_the_rules_tried_and_the_candidates(agent_client, routed):
    case = routed()

    html = agent_client.get(url("workspace:case", case)).content.decode()

    panel = html[html.index('id="case-routing"') : html.index('data-testid="customer-panel"')]
    kinds = re.findall(r'data-testid="routing-decision" data-kind="(\w+)"', panel)
    assert kinds == ["route", "assign"]
    assert "Rule Preferred customers matched (preferred customer)." in panel
    rules = re.findall(
        r'data-testid="routing-rule" data-matched="(\w+)">\s*<div class="routing-rule-head">.*?'
        r'<span class="routing-rule-name">([^<]+)</span>',
        panel,
        re.S,
    )
    assert rules == [("false", "Spanish speakers"), ("true", "Preferred customers")]
    assert 'class="is-failed" data-testid="routing-check"' in panel
    assert "language is en" in panel
    assert "Routers, level 3 or more" in panel
    candidates = re.findall(r'data-testid="routing-candidate">\s*<span[^>]*>(.*?)</span>', panel)
    assert [re.sub(r"<.*?>", "", c) for c in candidates] == ["Ada Agent", "Bea Colleague"]
    assert 'class="routing-candidate is-winner"' in panel
    assert "Highest available capacity" in panel
    assert "Ada Agent: most capacity left (10 of 10); tie broken by longest idle" in panel


def test_routing_panel_says_why_a_case_waits(agent_client, agent, bea, customer, receive, rules):
    set_presence(agent=bea, presence=Presence.AWAY)
    case = receive(subject="Router down").case
    assign_waiting_case(case_id=case.pk)

    html = agent_client.get(url("workspace:case", case)).content.decode()

    assert "No available agent with capacity in Premium; waits in queue" in html
    assert re.search(
        r"Ada Agent</span> <span class=\"routing-skip-reason\">presence: Offline", html
    )
    assert re.search(
        r"Bea Colleague</span> <span class=\"routing-skip-reason\">presence: Away", html
    )


def test_routing_panel_lists_declines_and_picks(agent_client, agent, routed):
    case = routed()
    agent_client.post(url("workspace:decline_offer", case))  # after-commit: nobody takes it
    agent_client.post(url("workspace:take", case))

    html = agent_client.get(url("workspace:case", case)).content.decode()

    kinds = re.findall(r'data-testid="routing-decision" data-kind="(\w+)"', html)
    assert kinds == ["route", "assign", "decline", "assign"]
    assert "Declined by Ada Agent (1 of 3)" in html
    assert "Picked by hand by Ada Agent" in html


def test_routing_panel_of_a_case_routed_by_default(agent_client, case):
    html = agent_client.get(url("workspace:case", case)).content.decode()

    assert 'data-testid="routing-panel"' in html
    assert "No rule matched: the default queue." in html
    assert "No active rules: the default queue." in html


# Queue views


def test_queue_view_shows_who_of_the_queue_is_present(agent_client, agent, bea, premium):
    set_presence(agent=bea, presence=Presence.AVAILABLE)

    html = agent_client.get(HOME, {"queue": "premium"}).content.decode()
    everywhere = agent_client.get(HOME).content.decode()

    chips = re.findall(r'data-testid="queue-agent" data-presence="(\w+)" title="([^"]+)"', html)
    assert chips == [("available", "Bea Colleague: Available"), ("offline", "Ada Agent: Offline")]
    assert "1 available" in html
    assert 'data-testid="queue-agents"' not in everywhere


# Visibility


def test_agent_of_another_queue_gets_404_on_the_offer_actions(client, other_agent, routed):
    case = routed()
    client.force_login(other_agent)

    for name in ("workspace:case", "workspace:accept_offer", "workspace:decline_offer"):
        method = client.get if name == "workspace:case" else client.post
        assert method(url(name, case)).status_code == 404, name
    assert open_offer(case) is not None


def test_poll_tells_nothing_of_queues_the_agent_does_not_work(client, other_agent, routed, premium):
    routed()
    client.force_login(other_agent)

    html = client.get(POLL, {"queues": str(premium.pk), "seen": 0}).content.decode()

    assert nav_counts(html)[f"nav-queue-{premium.pk}-open"] == "0"
    assert nav_counts(html)["nav-count-open"] == "0"
    assert 'data-testid="offer-toast"' not in html


def test_customer_gets_403_on_the_poll_and_offer_actions(client, customer, routed):
    case = routed()
    client.force_login(customer.user)

    assert client.get(POLL).status_code == 403
    assert client.post(url("workspace:accept_offer", case)).status_code == 403
    assert client.post(url("workspace:decline_offer", case)).status_code == 403
