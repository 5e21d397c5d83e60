from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from caseway.cases.models import OPEN_STATUSES, Activity, ActivityKind, Case, CaseStatus, Queue
from caseway.cases.queries import cases_visible_to
from caseway.cli.demo.people import DEMO_LOGINS
from caseway.customers.models import Account, Contact, Identity
from caseway.routing.models import (
    AgentLoad,
    AgentProfile,
    AssignmentMethod,
    DecisionKind,
    Offer,
    OfferStatus,
    OverflowAction,
    Presence,
    QueueRouting,
    RoutingDecision,
    RoutingRule,
    WorkKind,
)
from caseway.sla.exceptions import EntitlementExhausted
from caseway.sla.models import Entitlement, SlaInstance, SlaPolicy
from caseway.sla.services import choose_sla

pytestmark = pytest.mark.django_db

CASES = 20


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded():
    out = StringIO()
    call_command("seed", "--cases", str(CASES), stdout=out)
    return out.getvalue()


def test_seed_creates_accounts_of_every_size_and_contacts_on_several_channels(seeded):
    assert set(Account.objects.values_list("size", flat=True)) == {"small", "medium", "enterprise"}
    assert Account.objects.filter(is_preferred=True).exists()
    assert 38 <= Contact.objects.count() <= 50
    assert set(Identity.objects.values_list("kind", flat=True)) == {"email", "phone", "facebook"}
    assert Contact.objects.filter(is_account_admin=True).count() == 1
    assert Contact.objects.filter(user__isnull=False).count() >= 3


def test_seed_creates_the_queues_and_agent_memberships(seeded):
    queues = {q.name: q for q in Queue.objects.all()}
    assert set(queues) == {"General", "Premium support", "Billing", "Technical", "Escalations"}
    assert queues["General"].is_default
    members = {
        name: set(q.members.values_list("username", flat=True)) for name, q in queues.items()
    }
    assert all("admin" in usernames for usernames in members.values())
    assert {name for name, usernames in members.items() if "agent" in usernames} == {
        "General",
        "Technical",
    }
    assert {name for name, usernames in members.items() if "billing" in usernames} == {"Billing"}
    # The team lead works and supervises every queue: SLA warnings and breaches reach them.
    assert all("lead" in usernames for usernames in members.values())
    for queue in queues.values():
        assert list(queue.supervisors.values_list("username", flat=True)) == ["lead"]


def test_demo_logins_work_with_their_roles(seeded, client, django_user_model):
    for login in DEMO_LOGINS:
        assert client.login(username=login.username, password=login.password), login.username
    admin = django_user_model.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert django_user_model.objects.get(username="agent").is_staff
    customer = django_user_model.objects.get(username="customer")
    assert not customer.is_staff
    assert customer.contact.account.size == "enterprise"
    assert django_user_model.objects.get(username="manager").contact.is_account_admin
    lead = django_user_model.objects.get(username="lead")
    assert lead.is_staff and not lead.is_superuser


def test_team_lead_manages_slas_in_the_admin(seeded, client):
    client.login(username="lead", password="lead")
    contract = Entitlement.objects.filter(is_default=False).first()

    for path in [
        "/admin/sla/slapolicy/",
        "/admin/sla/entitlement/add/",
        f"/admin/sla/entitlement/{contract.pk}/change/",
        "/admin/sla/businesscalendar/",
        "/admin/sla/slainstance/",
        "/admin/cases/notification/",
        f"/admin/cases/queue/{Queue.objects.get(slug='escalations').pk}/change/",
        "/admin/autocomplete/?app_label=sla&model_name=entitlement&field_name=account&term=glo",
    ]:
        assert client.get(path).status_code == 200, path
    assert client.get("/admin/auth/user/").status_code == 403


def test_premium_policy_runs_round_the_clock_and_escalates(seeded):
    premium = SlaPolicy.objects.get(name="Premium 24x7")

    assert premium.calendar is None
    targets = set(premium.targets.values_list("kpi", "priority", "tier", "target_minutes"))
    assert {
        ("first_response", "", "preferred", 60),
        ("first_response", "", "", 120),
        ("resolution", "", "", 480),
    } <= targets
    actions = set(premium.actions.values_list("moment", "kind", "queue__name"))
    assert actions == {
        ("warning", "notify", None),
        ("breach", "notify", None),
        ("breach", "raise_priority", None),
        ("breach", "move_queue", "Escalations"),
    }


def test_seed_gives_accounts_contracts_of_every_kind(seeded):
    premium = SlaPolicy.objects.get(name="Premium 24x7")
    standard = Entitlement.objects.get(is_default=True).policy
    enterprise = Account.objects.filter(size="enterprise")
    contracts = Entitlement.objects.filter(is_default=False).select_related("account")

    on_premium = [c for c in contracts if c.policy_id == premium.pk]
    assert {c.account for c in on_premium} == set(enterprise)
    for contract in on_premium:
        assert (contract.term, contract.total, contract.decrement_on) == (
            "cases", Decimal(50), "creation"
        )  # fmt: skip
        charged = contract.charges.count()
        assert contract.remaining == contract.total - charged
    hours = contracts.get(term="hours")
    assert hours.account.size == "small"
    assert (hours.policy, hours.total, hours.decrement_on) == (standard, Decimal(20), "resolution")
    used_up = contracts.get(on_exhausted="block")
    assert used_up.is_exhausted
    assert used_up.account.size == "small"


def test_a_used_up_contract_refuses_new_cases(seeded):
    used_up = Entitlement.objects.get(on_exhausted="block", is_default=False)
    contact = used_up.account.contacts.first()

    with pytest.raises(EntitlementExhausted):
        choose_sla(contact=contact, channel="email", priority="normal")


def test_seeded_cases_got_their_sla_through_intake(seeded):
    premium = SlaPolicy.objects.get(name="Premium 24x7")
    enterprise_cases = Case.objects.filter(account__size="enterprise")
    assert enterprise_cases.exists()

    for case in Case.objects.select_related("account"):
        timers = list(SlaInstance.objects.filter(case=case).select_related("entitlement"))
        kpis = {t.kpi for t in timers}
        assert {"first_response", "resolution"} <= kpis, case.number
        expected = premium if case.account and case.account.size == "enterprise" else None
        if expected is not None:
            assert {t.policy_id for t in timers} == {premium.pk}
            assert {t.entitlement.account_id for t in timers} == {case.account_id}
        else:
            assert premium.pk not in {t.policy_id for t in timers}


def test_after_commit_the_timers_follow_the_cases_and_contracts_are_charged(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed", "--cases", str(CASES), stdout=StringIO())

    # Every contract started full but the used-up one (it was used up before the demo).
    for contract in Entitlement.objects.filter(is_default=False).exclude(on_exhausted="block"):
        charged = contract.charges.aggregate(total=Sum("amount"))["total"] or Decimal(0)
        assert contract.remaining == contract.total - charged, contract.name
    for case in Case.objects.filter(status=CaseStatus.RESOLVED):
        assert not SlaInstance.objects.filter(case=case, completed_at__isnull=True).exists()
    answered = Case.objects.filter(first_response_at__isnull=False)
    assert not SlaInstance.objects.filter(
        case__in=answered, kpi="first_response", completed_at__isnull=True
    ).exists()


def test_seeded_cases_have_timelines_from_several_channels(seeded):
    assert Case.objects.count() == CASES
    assert Case.objects.values("origin_channel").distinct().count() >= 4
    inbound = Activity.objects.filter(kind=ActivityKind.MESSAGE_IN)
    assert inbound.values("case").distinct().count() == CASES
    multichannel = (
        inbound.values("case").annotate(channels=Count("channel", distinct=True))
    ).filter(channels__gte=2)
    assert multichannel.exists()
    kinds = set(Activity.objects.values_list("kind", flat=True))
    assert {ActivityKind.MESSAGE_OUT, ActivityKind.NOTE, ActivityKind.ASSIGNMENT} <= kinds
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {CaseStatus.NEW, CaseStatus.RESOLVED, CaseStatus.WAITING} <= statuses


def test_seeded_cases_are_spread_over_the_last_month(seeded):
    now = timezone.now()
    created = list(Case.objects.values_list("created_at", flat=True))
    assert min(created) < now - timezone.timedelta(days=7)
    assert max(created) <= now
    assert min(created) > now - timezone.timedelta(days=31)
    for case in Case.objects.all():
        times = list(case.activities.values_list("created_at", flat=True))
        assert times == sorted(times)
        assert case.created_at == min(times)


def test_seeded_customers_see_their_cases(seeded, django_user_model):
    customer = django_user_model.objects.get(username="customer")
    manager = django_user_model.objects.get(username="manager")
    assert cases_visible_to(manager).count() >= cases_visible_to(customer).count()
    assert cases_visible_to(django_user_model.objects.get(username="admin")).count() == CASES


def test_seed_twice_changes_nothing(seeded):
    def counts():
        return [
            model.objects.count()
            for model in (Case, Contact, Activity, RoutingRule, RoutingDecision, Offer)
        ]

    before = counts()
    presences = dict(AgentProfile.objects.values_list("agent__username", "presence"))
    out = StringIO()
    call_command("seed", "--cases", str(CASES), stdout=out)
    assert "already" in out.getvalue()
    assert counts() == before
    assert dict(AgentProfile.objects.values_list("agent__username", "presence")) == presences


def test_seed_prints_a_summary(seeded):
    assert f"{CASES} cases" in seeded
    assert "customer/customer" in seeded
    assert "lead/lead" in seeded
    assert "4 contracts on 2 SLA policies" in seeded
    assert "4 routing rules placed" in seeded


def test_seed_creates_routing_rules_in_order(seeded):
    rules = [
        (r.order, r.queue.name, r.set_priority, {(s.skill.name, s.min_proficiency) for s in
                                                 r.skills.all()})
        for r in RoutingRule.objects.filter(is_active=True).order_by("order")
    ]  # fmt: skip
    assert rules == [
        (10, "Premium support", "high", set()),
        (20, "Billing", "", {("Billing", 2)}),
        (30, "Technical", "", {("Router X certified", 3)}),
        (40, "General", "high", set()),
    ]
    after_hours = RoutingRule.objects.get(order=40)
    assert set(after_hours.channels) == {"voice", "sms"}
    assert after_hours.business_hours == "closed"
    assert after_hours.calendar == Entitlement.objects.get(is_default=True).policy.calendar
    assert "refund" in RoutingRule.objects.get(order=20).keywords


def test_every_queue_assigns_by_its_own_method(seeded):
    routing = {r.queue.name: r for r in QueueRouting.objects.select_related("queue")}
    assert set(routing) == set(Queue.objects.values_list("name", flat=True))
    assert routing["General"].method == AssignmentMethod.ROUND_ROBIN
    assert (routing["General"].wait_limit_minutes, routing["General"].wait_action) == (
        240, OverflowAction.NOTIFY
    )  # fmt: skip
    assert routing["Technical"].method == AssignmentMethod.LEAST_ACTIVE
    premium = routing["Premium support"]
    assert premium.method == AssignmentMethod.HIGHEST_CAPACITY
    assert premium.priority == 10
    assert (premium.overflow_max_items, premium.overflow_action, premium.overflow_queue.name) == (
        20, OverflowAction.MOVE_QUEUE, "General"
    )  # fmt: skip


def test_rules_routed_new_cases_to_several_queues(seeded):
    routes = RoutingDecision.objects.filter(kind=DecisionKind.ROUTE)
    assert routes.count() == CASES  # every new case, once
    by_rule = routes.filter(rule__isnull=False)
    assert {"Premium support", "Billing"} <= set(by_rule.values_list("queue__name", flat=True))
    for decision in by_rule.select_related("rule", "case"):
        assert decision.queue_id == decision.rule.queue_id
        assert decision.rule.name in decision.summary
    # The rules' required skills went with their cases to assignment.
    billing = by_rule.filter(rule__order=20).first()
    assert billing is not None
    required = billing.case.skill_requirements.values_list("skill__name", "min_proficiency")
    assert list(required) == [("Billing", 2)]


def test_routing_assigned_cases_to_present_agents_within_capacity(seeded):
    assigned = RoutingDecision.objects.filter(kind=DecisionKind.ASSIGN, agent__isnull=False)
    assert assigned.values("case").distinct().count() >= CASES // 2
    assert assigned.values("agent").distinct().count() >= 3
    for decision in assigned:
        assert decision.explanation["winner"]["agent_id"] == decision.agent_id
        assert decision.explanation["candidates"]
    # The stories' agents answered the offers: most were accepted, some declined.
    statuses = set(Offer.objects.values_list("status", flat=True))
    assert {OfferStatus.ACCEPTED, OfferStatus.DECLINED} <= statuses
    for offer in Offer.objects.filter(status=OfferStatus.OFFERED).select_related("case"):
        assert offer.case.owner_id == offer.agent_id
    # Loads count what each agent holds.
    for load in AgentLoad.objects.filter(work_kind=WorkKind.CASE):
        held = Case.objects.filter(owner_id=load.agent_id, status__in=OPEN_STATUSES).count()
        assert load.active == held, load.agent


def test_routing_decisions_and_offers_follow_their_cases_dates(seeded):
    now = timezone.now()
    for case in Case.objects.prefetch_related("routing_decisions", "offers"):
        route = [d for d in case.routing_decisions.all() if d.kind == DecisionKind.ROUTE]
        assert [d.created_at for d in route] == [case.created_at], case.number
        for decision in case.routing_decisions.all():
            assert case.created_at <= decision.created_at <= now
        for offer in case.offers.all():
            assert case.created_at <= offer.offered_at <= now
            assert offer.answered_at is None or offer.offered_at <= offer.answered_at <= now
        if case.queued_at is not None:
            assert case.created_at <= case.queued_at <= now


def test_the_team_starts_the_demo_in_several_presences(seeded):
    presence = dict(AgentProfile.objects.values_list("agent__username", "presence"))
    assert presence["billing"] == Presence.AWAY
    assert presence["lead"] == Presence.BUSY
    assert presence["admin"] == Presence.OFFLINE
    # The agents who start available have room: a new case reaches them, Take works.
    agent = AgentProfile.objects.get(agent__username="agent")
    assert agent.presence == Presence.AVAILABLE and not agent.is_auto_busy
    assert not Case.objects.filter(owner__isnull=True, status__in=OPEN_STATUSES).exists()


def test_seed_publishes_a_help_center_and_starts_the_community(seeded):
    from caseway.knowledge.forum_models import ForumTopic
    from caseway.knowledge.models import Article, ArticleState, ArticleVisibility
    from caseway.knowledge.search import search

    published = Article.objects.filter(state=ArticleState.PUBLISHED)
    assert published.filter(visibility=ArticleVisibility.PUBLIC).count() >= 12
    assert published.filter(visibility=ArticleVisibility.INTERNAL).exists()
    assert Article.objects.filter(state=ArticleState.IN_REVIEW).exists()
    assert search("I forgot my password")[0].title == "Reset your password"
    assert ForumTopic.objects.filter(accepted_reply__isnull=False).exists()
    assert "help articles published" in seeded
