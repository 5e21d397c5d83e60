"""The demo cast: accounts of each size, contacts with identities, queues, agents, logins,
and a team lead who supervises every queue and manages SLAs in the admin.

Accounts, contacts, users and queues have no service of their own yet (they are reference
data an administrator creates), so they are created with the ORM here; identities go through
customers.services.add_identity. Demo passwords are set with set_password, bypassing the
password validators on purpose: they exist only for local demos.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Q

from caseway.cases.models import Queue
from caseway.core.kinds import AddressKind
from caseway.customers.models import Account, AccountSize, Contact
from caseway.customers.services import add_identity

if TYPE_CHECKING:
    from django.contrib.auth.models import User


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    role: str


# Shown in the `caseway run` banner and created by `caseway seed`.
DEMO_LOGINS: tuple[DemoLogin, ...] = (
    DemoLogin("admin", "admin", "administrator (all queues, /admin/)"),
    DemoLogin("agent", "agent", "agent (General, Technical)"),
    DemoLogin("billing", "billing", "agent (Billing)"),
    DemoLogin("lead", "lead", "team lead (supervises every queue; SLAs and contracts in /admin/)"),
    DemoLogin("customer", "customer", "customer at Globex Corporation"),
    DemoLogin("manager", "manager", "account admin at Globex Corporation"),
)

PREMIUM_SLUG = "premium-support"
ESCALATIONS_SLUG = "escalations"
QUEUES = (
    (PREMIUM_SLUG, "Premium support", "Cases of preferred customers and accounts."),
    ("billing", "Billing", "Invoices, refunds, payment methods, subscriptions."),
    ("technical", "Technical", "Devices, apps, integrations and outages."),
    (ESCALATIONS_SLUG, "Escalations", "Premium cases that missed their SLA."),
)
# What the team lead may do in /admin/ (app label, model): SLAs and contracts in full, queues
# (their supervisors), and the customers a contract names (view only).
LEAD_ADMIN_MODELS = (
    ("sla", "businesscalendar"), ("sla", "businesshours"), ("sla", "holiday"),
    ("sla", "slapolicy"), ("sla", "slatarget"), ("sla", "slaaction"), ("sla", "entitlement"),
    ("cases", "queue"),
    # The lead reviews and publishes articles (knowledge.review_article) and moderates.
    ("knowledge", "article"), ("knowledge", "articleversion"), ("knowledge", "category"),
    ("knowledge", "forumtopic"), ("knowledge", "forumreply"),
)  # fmt: skip
# Every agent writes articles and sends them for review.
AUTHOR_PERMISSIONS = (
    "add_article", "change_article", "view_article", "view_articleversion", "view_category",
)  # fmt: skip
LEAD_VIEW_MODELS = (
    ("sla", "slainstance"), ("sla", "entitlementcharge"), ("cases", "notification"),
    ("customers", "account"), ("customers", "contact"),
)  # fmt: skip

# name, size band, preferred, email domain
ACCOUNTS = (
    ("Globex Corporation", AccountSize.ENTERPRISE, True, "globex.example"),
    ("Blue Yonder Airlines", AccountSize.ENTERPRISE, False, "blueyonder.example"),
    ("Northwind Traders", AccountSize.MEDIUM, True, "northwind.example"),
    ("Contoso Retail", AccountSize.MEDIUM, False, "contoso.example"),
    ("Adventure Works", AccountSize.MEDIUM, False, "adventure-works.example"),
    ("Fabrikam Studio", AccountSize.SMALL, False, "fabrikam.example"),
    ("Tailspin Toys", AccountSize.SMALL, False, "tailspin.example"),
    ("Proseware", AccountSize.SMALL, True, "proseware.example"),
)

FIRST_NAMES = (
    "Amelia", "Bruno", "Chloe", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas",
    "Kemi", "Luca", "Maya", "Nils", "Olga", "Pedro", "Quinn", "Rosa", "Sven", "Tara", "Umar",
    "Vera", "Wim", "Xenia", "Yusuf", "Zoe",
)  # fmt: skip
LAST_NAMES = (
    "Andersen", "Bianchi", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia", "Horvath",
    "Ivanova", "Jansen", "Kowalski", "Laine", "Moreau", "Nowak", "Okafor", "Petrov", "Rossi",
    "Silva", "Tanaka", "Varga", "Weber", "Yilmaz",
)  # fmt: skip

CONTACTS_PER_ACCOUNT = (6, 5, 4, 4, 4, 3, 2, 2)  # 30 in accounts
INDEPENDENT_CONTACTS = 8


@dataclass
class Person:
    """A demo contact (None for a newcomer intake has not met yet) and the addresses it can
    write from, by AddressKind."""

    contact: Contact | None
    addresses: dict[str, str] = field(default_factory=dict)


@dataclass
class Cast:
    accounts: list[Account]
    people: list[Person]
    queues: dict[str, Queue]
    agents: dict[str, User]


class _Numbers:
    """Unique fictional phone numbers (UK 07700 900xxx is reserved for drama) and ids."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._phones = iter(rng.sample(range(1000), 1000))

    def phone(self) -> str:
        return f"+44 7700 900{next(self._phones):03d}"

    def facebook_id(self) -> str:
        return str(self._rng.randint(10**15, 10**16 - 1))


def create_cast(rng: random.Random) -> Cast:
    """Create everything the demo stories need (call once, inside a transaction)."""
    queues = _create_queues()
    agents = _create_agents(queues)
    accounts = [
        Account.objects.create(name=name, size=size, is_preferred=preferred, domain=domain)
        for name, size, preferred, domain in ACCOUNTS
    ]
    numbers = _Numbers(rng)
    names = rng.sample([(f, n) for f in FIRST_NAMES for n in LAST_NAMES], 60)
    people: list[Person] = []
    for account, count in zip(accounts, CONTACTS_PER_ACCOUNT, strict=True):
        for _ in range(count):
            first, last = names.pop()
            email = f"{first}.{last}@{account.domain}".lower()
            people.append(_create_person(rng, numbers, f"{first} {last}", email, account))
    for index in range(INDEPENDENT_CONTACTS):
        first, last = names.pop()
        email = f"{first}.{last}{index}@mail.example".lower()
        people.append(_create_person(rng, numbers, f"{first} {last}", email, None))
    # A few independent consumers are preferred on their own.
    for person in people[-INDEPENDENT_CONTACTS:][:2]:
        assert person.contact is not None
        person.contact.is_preferred = True
        person.contact.save(update_fields=["is_preferred", "updated_at"])
    _create_portal_logins(people)
    return Cast(accounts=accounts, people=people, queues=queues, agents=agents)


def _create_queues() -> dict[str, Queue]:
    queues = {"general": Queue.objects.get(is_default=True)}
    for slug, name, description in QUEUES:
        queues[slug], _ = Queue.objects.get_or_create(
            slug=slug, defaults={"name": name, "description": description}
        )
    return queues


def _user(
    username: str, *, first: str, last: str, email: str, password: str | None, **flags: bool
) -> User:
    user: User = get_user_model()(
        username=username, first_name=first, last_name=last, email=email, **flags
    )
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)  # demo only: no validators on purpose
    user.save()
    return user


def _create_agents(queues: dict[str, Queue]) -> dict[str, User]:
    agents = {
        "admin": _user(
            "admin", first="Alex", last="Admin", email="admin@caseway.localhost",
            password="admin", is_staff=True, is_superuser=True,
        ),
        "agent": _user(
            "agent", first="Ada", last="Lindqvist", email="agent@caseway.localhost",
            password="agent", is_staff=True,
        ),
        "billing": _user(
            "billing", first="Bea", last="Moreno", email="billing@caseway.localhost",
            password="billing", is_staff=True,
        ),
        "priya": _user(
            "priya", first="Priya", last="Raman", email="priya@caseway.localhost",
            password=None, is_staff=True,
        ),
        "tomas": _user(
            "tomas", first="Tomas", last="Novak", email="tomas@caseway.localhost",
            password=None, is_staff=True,
        ),
        "lead": _user(
            "lead", first="Lena", last="Hartmann", email="lead@caseway.localhost",
            password="lead", is_staff=True,
        ),
    }  # fmt: skip
    every_queue = tuple(queues)
    memberships = {
        "admin": every_queue,
        "agent": ("general", "technical"),
        "billing": ("billing",),
        "priya": (PREMIUM_SLUG, "technical", ESCALATIONS_SLUG),
        "tomas": ("general", PREMIUM_SLUG, "billing"),
        "lead": every_queue,
    }
    for username, slugs in memberships.items():
        for slug in slugs:
            queues[slug].members.add(agents[username])
    # The lead is told of every SLA warning and breach (SlaActionKind.NOTIFY).
    for queue in queues.values():
        queue.supervisors.add(agents["lead"])
    _grant_admin(agents["lead"])
    authoring = Permission.objects.filter(
        content_type__app_label="knowledge", codename__in=AUTHOR_PERMISSIONS
    )
    for username, user in agents.items():
        if username not in ("admin", "lead"):
            user.user_permissions.add(*authoring)
    return agents


def _grant_admin(user: User) -> None:
    """Let the team lead manage SLAs, contracts and queue supervisors in /admin/."""
    wanted = Q(pk__in=[])
    for app_label, model in LEAD_ADMIN_MODELS:
        wanted |= Q(content_type__app_label=app_label, content_type__model=model)
    for app_label, model in LEAD_VIEW_MODELS:
        wanted |= Q(
            content_type__app_label=app_label,
            content_type__model=model,
            codename__startswith="view_",
        )
    user.user_permissions.add(*Permission.objects.filter(wanted))


def _create_person(
    rng: random.Random,
    numbers: _Numbers,
    name: str,
    email: str,
    account: Account | None,
) -> Person:
    contact = Contact.objects.create(name=name, account=account, email=email)
    person = Person(contact=contact)
    add_identity(contact=contact, kind=AddressKind.EMAIL, address=email, is_verified=True)
    person.addresses[AddressKind.EMAIL] = email
    if rng.random() < 0.65:
        phone = numbers.phone()
        identity = add_identity(contact=contact, kind=AddressKind.PHONE, address=phone)
        contact.phone = identity.address
        contact.save(update_fields=["phone", "updated_at"])
        person.addresses[AddressKind.PHONE] = identity.address
    if rng.random() < 0.3:
        fb = numbers.facebook_id()
        add_identity(contact=contact, kind=AddressKind.FACEBOOK, address=fb)
        person.addresses[AddressKind.FACEBOOK] = fb
    return person


def _create_portal_logins(people: list[Person]) -> None:
    """customer/customer and manager/manager at Globex, plus a few logins without a demo
    password (they would use "forgot password")."""
    contacts = [p.contact for p in people if p.contact is not None]
    globex = [c for c in contacts if c.account and c.account.name.startswith("Globex")]
    logins: list[tuple[str, str | None, Contact, bool]] = [
        ("customer", "customer", globex[0], False),
        ("manager", "manager", globex[1], True),
    ]
    others = [c for c in contacts if c not in globex[:2]][::7]
    logins += [(c.email, None, c, False) for c in others]
    for username, password, contact, is_account_admin in logins:
        first, _, last = contact.name.partition(" ")
        contact.user = _user(
            username, first=first, last=last, email=contact.email, password=password
        )
        contact.is_account_admin = is_account_admin
        contact.save(update_fields=["user", "is_account_admin", "updated_at"])
