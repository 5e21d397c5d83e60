"""Merging contacts with their cases, and undoing it exactly."""

import pytest
from django.contrib.auth.models import Permission

from caseway.cases.merging import merge_contacts, unmerge_contacts
from caseway.cases.models import AuditEntry, Case, MergedCase
from caseway.cases.queries import contact_of
from caseway.cases.tests.factories import CaseFactory
from caseway.connectors.messages import Sender
from caseway.customers.exceptions import (
    AlreadyMerged,
    AlreadyUnmerged,
    DifferentAccounts,
    MergeIntoItself,
    NotAllowedToMerge,
    SurvivorMergedSince,
)
from caseway.customers.models import Contact, ContactMerge, Identity, MergeSuggestion
from caseway.customers.tests.factories import AccountFactory, ContactFactory, UserFactory
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


@pytest.fixture
def merger(db, default_queue):
    """An agent allowed to merge contacts."""
    user = UserFactory(username="merger", is_staff=True, first_name="Mo", last_name="Merger")
    user.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    default_queue.members.add(user)
    return type(user).objects.get(pk=user.pk)  # a fresh object: no stale permission cache


def _email(make_message, address, **kw):
    return receive(make_message(sender=Sender(kind="email", address=address, name="Bob"), **kw))


def _sms(make_message, number, **kw):
    sender = Sender(kind="phone", address=number)
    return receive(make_message(channel="sms", sender=sender, **kw))


@pytest.fixture
def two_bobs(make_message, default_queue):
    """Bob by email (two cases) and Bob by SMS (one case): two contacts, one person."""
    first = _email(make_message, "bob@example.com", subject="Invoice wrong")
    second = _email(make_message, "bob@example.com", subject="Another")
    texted = _sms(make_message, "+15550001111", text="Hi, my internet is down")
    return first.case, second.case, texted.case


def test_merge_moves_identities_and_cases_and_keeps_the_merged_contact(two_bobs, merger):
    email_case, other_case, sms_case = two_bobs
    survivor, merged = email_case.contact, sms_case.contact

    merge = merge_contacts(survivor=survivor, merged=merged, actor=merger)

    merged.refresh_from_db()
    assert merged.merged_into_id == survivor.pk and merged.merged_at is not None
    assert set(survivor.identities.values_list("address", flat=True)) == {
        "bob@example.com",
        "+15550001111",
    }
    assert set(Case.objects.filter(contact=survivor)) == {email_case, other_case, sms_case}
    assert merge.actor == merger and merge.actor_label == "Mo Merger"
    assert [r.case_id for r in MergedCase.objects.filter(merge=merge)] == [sms_case.pk]
    assert list(merge.identities.values_list("identity__address", flat=True)) == ["+15550001111"]
    entry = AuditEntry.objects.get(case=sms_case, field="contact")
    assert (entry.before, entry.after, entry.actor) == ("+15550001111", "Bob", merger)
    # The survivor took the phone it lacked; the pair is remembered as merged.
    survivor.refresh_from_db()
    assert survivor.phone == "+15550001111"
    assert MergeSuggestion.objects.get().status == "merged"


def test_new_messages_from_any_merged_identity_land_on_the_survivor(two_bobs, merger, make_message):
    email_case, _, sms_case = two_bobs
    merge_contacts(survivor=email_case.contact, merged=sms_case.contact, actor=merger)

    texted = _sms(make_message, "+1 555 000 1111", text="Still down", continues_conversation=True)
    mailed = _email(make_message, "BOB@example.com", subject="New question")

    assert texted.case == sms_case and texted.case.contact_id == email_case.contact_id
    assert mailed.case.contact_id == email_case.contact_id
    assert Contact.objects.filter(merged_into__isnull=True).count() == 1


def test_unmerge_restores_exactly_what_moved(two_bobs, merger, make_message):
    email_case, other_case, sms_case = two_bobs
    survivor, merged = email_case.contact, sms_case.contact
    merge = merge_contacts(survivor=survivor, merged=merged, actor=merger)
    later = _email(make_message, "bob@example.com", subject="After the merge")

    unmerge_contacts(merge=merge, actor=merger)

    merged.refresh_from_db()
    survivor.refresh_from_db()
    assert merged.merged_into_id is None and merged.merged_at is None
    assert list(merged.identities.values_list("address", flat=True)) == ["+15550001111"]
    assert set(Case.objects.filter(contact=merged)) == {sms_case}
    # What the merge did not move stays: the case opened on the survivor since.
    assert set(Case.objects.filter(contact=survivor)) == {email_case, other_case, later.case}
    assert survivor.phone == ""
    merge.refresh_from_db()
    assert merge.unmerged_by == merger and merge.unmerged_at is not None
    assert AuditEntry.objects.filter(case=sms_case, field="contact").count() == 2
    assert MergeSuggestion.objects.get().status == "dismissed"
    # New SMS go to the SMS contact again.
    assert _sms(make_message, "+15550001111").case.contact_id == merged.pk


def test_merge_takes_the_account_and_unmerge_gives_it_back(merger, make_message, default_queue):
    account = AccountFactory(name="Initech")
    at_work = ContactFactory(name="Bob Work", account=account)
    case_at_work = CaseFactory(contact=at_work, queue=default_queue)
    sms_case = _sms(make_message, "+15550002222").case
    survivor = sms_case.contact

    merge = merge_contacts(survivor=survivor, merged=at_work, actor=merger)

    survivor.refresh_from_db()
    assert survivor.account == account and survivor.name == "Bob Work"
    sms_case.refresh_from_db()
    case_at_work.refresh_from_db()
    assert sms_case.account == account and case_at_work.contact == survivor
    assert AuditEntry.objects.get(case=sms_case, field="account").after == "Initech"

    unmerge_contacts(merge=merge, actor=merger)

    survivor.refresh_from_db()
    sms_case.refresh_from_db()
    case_at_work.refresh_from_db()
    assert survivor.account is None and survivor.name == ""
    assert sms_case.account is None and sms_case.contact == survivor
    assert case_at_work.contact == at_work and case_at_work.account == account


def test_unmerge_keeps_details_edited_since(two_bobs, merger):
    email_case, _, sms_case = two_bobs
    survivor = email_case.contact
    merge = merge_contacts(survivor=survivor, merged=sms_case.contact, actor=merger)
    Contact.objects.filter(pk=survivor.pk).update(phone="+15559999999")

    unmerge_contacts(merge=merge, actor=merger)

    survivor.refresh_from_db()
    assert survivor.phone == "+15559999999"


def test_a_contact_cannot_be_merged_into_itself(two_bobs, merger):
    contact = two_bobs[0].contact
    with pytest.raises(MergeIntoItself):
        merge_contacts(survivor=contact, merged=contact, actor=merger)


def test_an_already_merged_contact_cannot_be_merged_again(two_bobs, merger):
    email_case, _, sms_case = two_bobs
    third = ContactFactory()
    merge_contacts(survivor=email_case.contact, merged=sms_case.contact, actor=merger)
    with pytest.raises(AlreadyMerged):
        merge_contacts(survivor=third, merged=sms_case.contact, actor=merger)
    # Nor can anyone be merged into a merged contact.
    with pytest.raises(AlreadyMerged):
        merge_contacts(survivor=sms_case.contact, merged=third, actor=merger)
    assert ContactMerge.objects.count() == 1


def test_contacts_of_different_accounts_are_not_merged(merger):
    one = ContactFactory(account=AccountFactory())
    two = ContactFactory(account=AccountFactory())
    with pytest.raises(DifferentAccounts):
        merge_contacts(survivor=one, merged=two, actor=merger)
    assert not ContactMerge.objects.exists()


def test_an_agent_without_the_permission_cannot_merge_or_unmerge(two_bobs, agent, merger):
    email_case, _, sms_case = two_bobs
    with pytest.raises(NotAllowedToMerge):
        merge_contacts(survivor=email_case.contact, merged=sms_case.contact, actor=agent)
    merge = merge_contacts(survivor=email_case.contact, merged=sms_case.contact, actor=merger)
    with pytest.raises(NotAllowedToMerge):
        unmerge_contacts(merge=merge, actor=agent)


def test_a_merge_is_undone_once(two_bobs, merger):
    email_case, _, sms_case = two_bobs
    merge = merge_contacts(survivor=email_case.contact, merged=sms_case.contact, actor=merger)
    unmerge_contacts(merge=merge, actor=merger)
    with pytest.raises(AlreadyUnmerged):
        unmerge_contacts(merge=merge, actor=merger)


def test_chain_merges_repoint_and_unwind_in_order(two_bobs, merger, make_message):
    email_case, _, sms_case = two_bobs
    bob_mail, bob_sms = email_case.contact, sms_case.contact
    chat_case = receive(
        make_message(channel="facebook", sender=Sender(kind="facebook", address="fb-77"))
    ).case
    bob_fb = chat_case.contact

    first = merge_contacts(survivor=bob_mail, merged=bob_sms, actor=merger)
    second = merge_contacts(survivor=bob_fb, merged=bob_mail, actor=merger)

    bob_sms.refresh_from_db()
    assert bob_sms.merged_into == bob_fb  # re-pointed: never a chain of merged contacts
    assert Identity.objects.filter(contact=bob_fb).count() == 3
    assert Case.objects.filter(contact=bob_fb).count() == 4
    assert contact_of(UserFactory()) is None
    with pytest.raises(SurvivorMergedSince):
        unmerge_contacts(merge=first, actor=merger)

    unmerge_contacts(merge=second, actor=merger)
    bob_sms.refresh_from_db()
    assert bob_sms.merged_into == bob_mail
    assert Identity.objects.filter(contact=bob_mail).count() == 2
    unmerge_contacts(merge=first, actor=merger)
    assert Identity.objects.filter(contact=bob_sms).count() == 1
    assert Case.objects.filter(contact=bob_sms).get() == sms_case
    assert Case.objects.filter(contact=bob_fb).get() == chat_case


def test_a_portal_login_of_a_merged_contact_sees_the_survivors_cases(two_bobs, merger):
    email_case, _, sms_case = two_bobs
    login = UserFactory(username="bob-sms")
    Contact.objects.filter(pk=sms_case.contact_id).update(user=login)
    merge_contacts(survivor=email_case.contact, merged=sms_case.contact, actor=merger)
    login.refresh_from_db()
    assert contact_of(login) == email_case.contact


def test_a_case_opened_on_a_contact_being_merged_follows_the_merge(two_bobs, merger):
    from caseway.cases.merging import adopt_case_of_merged_contact

    email_case, _, sms_case = two_bobs
    merged = sms_case.contact
    merge = merge_contacts(survivor=email_case.contact, merged=merged, actor=merger)
    # What intake writes when it resolved the sender just before the merge committed.
    late = CaseFactory(contact=merged, queue=email_case.queue, origin_channel="sms")

    assert adopt_case_of_merged_contact(case_id=late.pk)
    assert not adopt_case_of_merged_contact(case_id=late.pk)

    late.refresh_from_db()
    assert late.contact == email_case.contact
    assert AuditEntry.objects.get(case=late, field="contact").actor_label == "Caseway"
    unmerge_contacts(merge=merge, actor=merger)
    late.refresh_from_db()
    assert late.contact == merged
