"""sql.together(): writes that wait and travel with the next statement on PostgreSQL, and
run at once elsewhere. Every test checks what is stored on both databases; the statement
counts are PostgreSQL's."""

import pytest
from django.db import DatabaseError, NotSupportedError, connection, transaction
from django.test.utils import CaptureQueriesContext

from caseway.core import sql
from caseway.customers.models import Account, Contact, Identity

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"


def statements(ctx):
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not q["sql"].upper().startswith(("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"))
    ]


def test_writes_that_return_nothing_travel_with_the_next_insert():
    account = Account.objects.create(name="Before")
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx, sql.together("default"):
        sql.insert_many([Account(name="One"), Account(name="Two")])
        account.name = "After"
        sql.save_fields(account, ["name", "updated_at"])
        contact = sql.insert(Contact(name="Carried", account=account))
    assert contact is not None and contact.pk is not None
    assert Contact.objects.get(pk=contact.pk).name == "Carried"
    assert sorted(Account.objects.values_list("name", flat=True)) == ["After", "One", "Two"]
    assert len(statements(ctx)) == (1 if POSTGRES else 3)


def test_anyone_elses_statement_first_sends_what_waits():
    with transaction.atomic(), sql.together("default"):
        sql.insert_many([Account(name="Waiting")])
        # An ORM read sees the row: the batch sent it before the read ran.
        assert Account.objects.filter(name="Waiting").count() == 1


def test_the_end_of_the_block_sends_the_rest():
    with transaction.atomic():
        with sql.together("default"):
            sql.insert_many([Account(name="Last")])
        assert Account.objects.filter(name="Last").exists()


def test_an_update_of_a_missing_row_fails_as_save_fields_does():
    gone = Account.objects.create(name="Gone")
    Account.objects.filter(pk=gone.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic(), sql.together("default"):
        sql.save_fields(gone, ["name"])
        sql.insert(Contact(name="Carrier"))
    assert not Contact.objects.filter(name="Carrier").exists()


def test_a_second_update_of_the_same_row_is_not_lost():
    account = Account.objects.create(name="v0", domain="")
    with transaction.atomic(), sql.together("default"):
        account.name = "v1"
        sql.save_fields(account, ["name"])
        account.domain = "two.example"
        sql.save_fields(account, ["domain"])
    account.refresh_from_db()
    assert (account.name, account.domain) == ("v1", "two.example")


def test_an_insert_soon_is_carried_by_the_next_read_and_reports_a_conflict():
    contact = Contact.objects.create(name="Owner")
    Identity.objects.create(kind="email", address="taken@example.com", contact=contact)
    identity_sql = "SELECT id, address FROM customers_identity WHERE address = %s"
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx, sql.together("default"):
        fresh = sql.insert_soon(
            Identity(kind="email", address="fresh@example.com", contact=contact),
            on_conflict=("kind", "address"),
        )
        taken = sql.insert_soon(
            Identity(kind="email", address="taken@example.com", contact=contact),
            on_conflict=("kind", "address"),
        )
        found = sql.fetch_one(identity_sql, ["taken@example.com"], "default")
        missing = sql.fetch_one(identity_sql, ["nobody@example.com"], "default")
        stored, conflicted = fresh(), taken()
    assert found is not None and found[1] == "taken@example.com"
    assert missing is None
    assert stored is not None and Identity.objects.get(pk=stored.pk).address == "fresh@example.com"
    assert conflicted is None
    assert len(statements(ctx)) == (2 if POSTGRES else 4)


def test_an_exception_out_of_the_block_drops_what_waits():
    with transaction.atomic():
        with pytest.raises(RuntimeError), transaction.atomic(), sql.together("default"):
            sql.insert_many([Account(name="Dropped")])
            raise RuntimeError("the transaction rolls back")
        Account.objects.create(name="Kept")
    assert list(Account.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.skipif(not POSTGRES, reason="elsewhere the block runs every write at once")
@pytest.mark.django_db(transaction=True)
def test_the_block_needs_a_transaction():
    with pytest.raises(NotSupportedError), sql.together("default"):
        pass


def test_a_read_never_travels_with_a_waiting_update_it_could_miss():
    account = Account.objects.create(name="Old")
    with transaction.atomic(), sql.together("default"):
        account.name = "New"
        sql.save_fields(account, ["name"])
        row = sql.fetch_one(
            "SELECT name FROM customers_account WHERE id = %s", [account.pk], "default"
        )
    assert row == ("New",)
