from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from caseway.cases.models import Activity, ActivityKind, Case, CaseStatus, Queue
from caseway.cases.queries import cases_visible_to
from caseway.cli.demo.people import DEMO_LOGINS
from caseway.customers.models import Account, Contact, Identity

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
    assert set(queues) == {"General", "Premium support", "Billing", "Technical"}
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
