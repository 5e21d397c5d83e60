"""Fixtures shared by every app's tests: people in each role and the default queue."""

import os

import pytest

os.environ.setdefault("TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend")
os.environ.setdefault(
    "STATICFILES_STORAGE", "django.contrib.staticfiles.storage.StaticFilesStorage"
)


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    """Files under a temporary directory, plain static storage (the manifest 404s under
    live_server), and background tasks run at once (a test that needs the database queue and
    its worker sets TASKS itself)."""
    settings.STORAGES = {
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    # Real hashing costs ~0.3 s a user; tests care that passwords work, not how slowly.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def default_queue(db):
    from caseway.cases.queries import default_queue

    return default_queue()


@pytest.fixture
def agent(db, default_queue):
    """An agent who works the default queue."""
    from caseway.customers.tests.factories import UserFactory

    user = UserFactory(username="agent", is_staff=True, first_name="Ada", last_name="Agent")
    default_queue.members.add(user)
    return user


@pytest.fixture
def other_agent(db):
    """An agent of another queue: sees nothing of the default queue."""
    from caseway.cases.tests.factories import QueueFactory
    from caseway.customers.tests.factories import UserFactory

    user = UserFactory(username="other-agent", is_staff=True)
    QueueFactory(name="Billing", slug="billing", members=[user])
    return user


@pytest.fixture
def admin_user(db):
    from caseway.customers.tests.factories import UserFactory

    return UserFactory(username="boss", is_staff=True, is_superuser=True)


@pytest.fixture
def account(db):
    from caseway.customers.tests.factories import AccountFactory

    return AccountFactory(name="Globex", size="enterprise", is_preferred=True)


@pytest.fixture
def customer(db, account):
    """A customer with a portal login and an email identity, in `account`."""
    from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory

    user = UserFactory(username="carol", email="carol@globex.test")
    contact = ContactFactory(
        name="Carol Customer", email="carol@globex.test", user=user, account=account
    )
    IdentityFactory(contact=contact, address="carol@globex.test")
    return contact


@pytest.fixture
def colleague(db, account):
    """Another customer of the same account."""
    from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory

    user = UserFactory(username="dave", email="dave@globex.test")
    contact = ContactFactory(
        name="Dave Colleague", email="dave@globex.test", user=user, account=account
    )
    IdentityFactory(contact=contact, address="dave@globex.test")
    return contact


@pytest.fixture
def account_admin(db, account):
    """A customer who administers `account`: sees all of its cases."""
    from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory

    user = UserFactory(username="erin", email="erin@globex.test")
    contact = ContactFactory(
        name="Erin Admin",
        email="erin@globex.test",
        user=user,
        account=account,
        is_account_admin=True,
    )
    IdentityFactory(contact=contact, address="erin@globex.test")
    return contact


@pytest.fixture
def stranger(db):
    """A customer of no account, with a login."""
    from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory

    user = UserFactory(username="sam", email="sam@elsewhere.test")
    contact = ContactFactory(name="Sam Stranger", email="sam@elsewhere.test", user=user)
    IdentityFactory(contact=contact, address="sam@elsewhere.test")
    return contact


@pytest.fixture
def make_message():
    """Build an InboundMessage with sensible defaults."""
    import itertools

    from caseway.connectors.messages import InboundMessage, Sender

    counter = itertools.count(1)

    def build(**overrides):
        n = next(counter)
        sender = overrides.pop("sender", None) or Sender(
            kind="email", address=overrides.pop("email", "carol@globex.test"), name="Carol"
        )
        values = {
            "channel": "email",
            "provider_id": f"<msg-{n}@mail.test>",
            "sender": sender,
            "subject": f"Subject {n}",
            "text": f"Body of message {n}",
        }
        values.update(overrides)
        return InboundMessage(**values)

    return build


@pytest.fixture
def publish_article(db, django_capture_on_commit_callbacks):
    """publish_article(title, body, **fields) -> an article taken through review to published and
    already in the search index (the index follows after commit)."""
    from caseway.knowledge import services as kb

    def build(title, body, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            article = kb.create_article(title=title, body=body, author=None, **fields)
            article = kb.submit_for_review(article=article, actor=None)
            article = kb.approve_article(article=article, actor=None)
            return kb.publish_article(article=article, actor=None)

    return build
