from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum
from django.utils import timezone

from caseway.cases.models import Activity, ActivityKind, Case, CaseStatus, Queue
from caseway.cases.queries import cases_visible_to
from caseway.cli.demo.people import DEMO_LOGINS
from caseway.customers.models import Account, Contact, Identity
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
    counts = (Case.objects.count(), Contact.objects.count(), Activity.objects.count())
    out = StringIO()
    call_command("seed", "--cases", str(CASES), stdout=out)
    assert "already" in out.getvalue()
    assert (Case.objects.count(), Contact.objects.count(), Activity.objects.count()) == counts


def test_seed_prints_a_summary(seeded):
    assert f"{CASES} cases" in seeded
    assert "customer/customer" in seeded
    assert "lead/lead" in seeded
    assert "4 contracts on 2 SLA policies" in seeded
