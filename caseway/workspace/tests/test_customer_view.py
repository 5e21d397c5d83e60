"""The customer view: who may see it, what it shows, merge / unmerge / dismiss from it."""

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from caseway.cases.merge_sweep import sweep_merge_suggestions
from caseway.cases.models import Case
from caseway.cases.services import add_note
from caseway.connectors.messages import Sender
from caseway.customers.models import Contact, ContactMerge, MergeSuggestion
from caseway.customers.tests.factories import ContactFactory, UserFactory
from caseway.intake.services import receive

pytestmark = pytest.mark.django_db


def _grant(user):
    user.user_permissions.add(Permission.objects.get(codename="merge_contact"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def bob(make_message, default_queue):
    """Bob wrote by email (signing with his mobile number) and by SMS: a suggestion."""
    texted = receive(
        make_message(
            channel="sms",
            sender=Sender(kind="phone", address="+15550001111"),
            text="Internet down again",
        )
    )
    mailed = receive(
        make_message(
            sender=Sender(kind="email", address="bob@example.com", name="Bob Smith"),
            subject="Invoice is wrong",
            text="Please check.\n--\nBob Smith, +1 555 000 1111",
        )
    )
    sweep_merge_suggestions()
    return mailed.case.contact, texted.case.contact


def _url(contact, name="customer", *args):
    return reverse(f"workspace:{name}", args=[contact.pk, *args])


def test_the_customer_view_shows_identities_cases_and_one_timeline(agent_client, bob, agent):
    by_mail, by_sms = bob
    case = Case.objects.get(contact=by_mail)
    add_note(case=case, agent=agent, text="Called him back about the invoice.")

    response = agent_client.get(_url(by_mail))

    assert response.status_code == 200
    body = response.content.decode()
    assert "bob@example.com" in body and case.number in body
    assert "Called him back about the invoice." in body
    assert len(response.context["entries"]) == 2
    # The suggestion from his signature shows, with the SMS contact as partner.
    assert [(s.address, partner) for s, partner in response.context["suggestions"]] == [
        ("+15550001111", by_sms)
    ]


def test_the_case_view_links_to_the_customer_view(agent_client, bob):
    case = Case.objects.get(contact=bob[0])
    response = agent_client.get(reverse("workspace:case", args=[case.number]))
    assert _url(bob[0]).encode() in response.content


def test_visibility_matrix(client, bob, agent, other_agent, admin_user, customer):
    by_mail, _ = bob
    url = _url(by_mail)
    client.force_login(other_agent)  # works another queue: none of Bob's cases
    assert client.get(url).status_code == 404
    client.force_login(admin_user)
    assert client.get(url).status_code == 200
    assert client.get(_url(ContactFactory())).status_code == 200  # admins see every contact
    client.force_login(agent)
    assert client.get(url).status_code == 200
    assert client.get(_url(ContactFactory())).status_code == 404  # no case of theirs
    client.force_login(customer.user)
    assert client.get(url).status_code == 403
    client.logout()
    assert client.get(url).status_code == 302


def test_an_agent_sees_only_the_cases_and_history_of_queues_they_work(
    client, bob, other_agent, agent
):
    by_mail, _ = bob
    billing = other_agent.case_queues.get()
    moved = Case.objects.get(contact=by_mail)
    Case.objects.filter(pk=moved.pk).update(queue=billing)
    client.force_login(other_agent)
    response = client.get(_url(by_mail))
    assert response.status_code == 200
    client.force_login(agent)
    # Ada no longer sees any of by_mail's cases: the customer view is hidden from her.
    assert client.get(_url(by_mail)).status_code == 404


def test_the_page_costs_the_same_queries_however_long_the_history(
    agent_client, bob, agent, make_message, django_assert_max_num_queries
):
    by_mail, _ = bob
    with django_assert_max_num_queries(22) as few:
        agent_client.get(_url(by_mail))
    for n in range(6):
        receive(
            make_message(
                sender=Sender(kind="email", address="bob@example.com"), subject=f"More {n}"
            )
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        agent_client.get(_url(by_mail))


def test_the_timeline_pages_with_show_older(agent_client, bob, make_message, settings):
    by_mail, _ = bob
    for n in range(30):
        receive(
            make_message(
                sender=Sender(kind="email", address="bob@example.com"), subject=f"Question {n}"
            )
        )
    first = agent_client.get(_url(by_mail))
    cursor = first.context["next_cursor"]
    assert len(first.context["entries"]) == 25 and cursor
    older = agent_client.get(_url(by_mail, "customer_timeline"), {"before": cursor})
    assert older.status_code == 200
    assert len(older.context["entries"]) == 6 and not older.context["next_cursor"]
    shown = {e.pk for e in first.context["entries"]} | {e.pk for e in older.context["entries"]}
    assert len(shown) == 31
    bad = agent_client.get(_url(by_mail, "customer_timeline"), {"before": "yesterday"})
    assert bad.status_code == 400


def test_merge_from_the_view_then_unmerge(client, bob, agent):
    by_mail, by_sms = bob
    merger = _grant(agent)
    client.force_login(merger)

    response = client.post(_url(by_mail, "customer_merge"), {"merged": by_sms.pk})

    assert response.status_code == 302
    by_sms.refresh_from_db()
    assert by_sms.merged_into == by_mail
    page = client.get(_url(by_mail))
    channels = {entry.channel for entry in page.context["entries"]}
    assert channels == {"email", "sms"}
    assert not page.context["suggestions"]
    # The merged contact's page leads to the survivor.
    assert client.get(_url(by_sms)).url == _url(by_mail)

    merge = ContactMerge.objects.get()
    response = client.post(_url(by_mail, "customer_unmerge", merge.pk))
    assert response.status_code == 302
    by_sms.refresh_from_db()
    assert by_sms.merged_into is None
    assert Case.objects.filter(contact=by_sms).count() == 1


def test_a_refused_merge_says_why_with_409(client, bob, agent):
    by_mail, _ = bob
    client.force_login(_grant(agent))
    response = client.post(_url(by_mail, "customer_merge"), {"merged": by_mail.pk})
    assert response.status_code == 409
    assert "cannot be merged into itself" in response.content.decode()
    assert client.post(_url(by_mail, "customer_merge"), {"merged": "x"}).status_code == 400


def test_merging_needs_the_permission(agent_client, bob):
    by_mail, by_sms = bob
    response = agent_client.post(_url(by_mail, "customer_merge"), {"merged": by_sms.pk})
    assert response.status_code == 403
    assert not ContactMerge.objects.exists()
    page = agent_client.get(_url(by_mail))
    assert b'data-testid="merge-suggestion-button"' not in page.content


def test_merging_a_contact_the_agent_cannot_see_is_404(client, bob, agent):
    by_mail, _ = bob
    stranger = ContactFactory()
    client.force_login(_grant(agent))
    response = client.post(_url(by_mail, "customer_merge"), {"merged": stranger.pk})
    assert response.status_code == 404
    assert Contact.objects.get(pk=stranger.pk).merged_into is None


def test_dismissing_a_suggestion_is_remembered(client, bob, agent):
    by_mail, _ = bob
    client.force_login(_grant(agent))
    suggestion = MergeSuggestion.objects.get()
    response = client.post(_url(by_mail, "customer_dismiss", suggestion.pk))
    assert response.status_code == 302
    assert MergeSuggestion.objects.get().status == "dismissed"
    assert not client.get(_url(by_mail)).context["suggestions"]
    assert not client.get(reverse("workspace:customer_suggestions")).context["suggestions"]


def test_the_list_of_possible_duplicates(agent_client, client, bob, other_agent):
    response = agent_client.get(reverse("workspace:customer_suggestions"))
    assert response.status_code == 200
    assert len(response.context["suggestions"]) == 1
    client.force_login(other_agent)
    assert not client.get(reverse("workspace:customer_suggestions")).context["suggestions"]


def test_correcting_details_suggests_a_duplicate(agent_client, bob, make_message):
    fb = receive(
        make_message(channel="facebook", sender=Sender(kind="facebook", address="fb-9"))
    ).case.contact
    response = agent_client.post(
        _url(fb, "customer_details"), {"name": "Bob S.", "email": "BOB@example.com", "phone": ""}
    )
    assert response.status_code == 302
    fb.refresh_from_db()
    assert (fb.name, fb.email) == ("Bob S.", "bob@example.com")
    assert MergeSuggestion.objects.filter(other=fb).exists()
    invalid = agent_client.post(_url(fb, "customer_details"), {"email": "not an email"})
    assert invalid.status_code == 422


def test_only_agents_use_it(client, bob):
    client.force_login(UserFactory(username="plain"))
    assert client.get(reverse("workspace:customer_suggestions")).status_code == 403
