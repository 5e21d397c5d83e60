"""The help bot page, driven with plain form posts (as a browser without JavaScript)."""
# ruff: noqa: F811 (fixtures imported from caseway.assist.tests)

import pytest
from django.urls import reverse

from caseway.assist.models import Conversation, ConversationOutcome
from caseway.assist.tests.conftest import NONSENSE, knowledge_base  # noqa: F401
from caseway.cases.models import Activity, ActivityKind, Case

pytestmark = pytest.mark.django_db

URL = "/help/ask/"


def ask(client, question):
    return client.post(URL, {"action": "ask", "question": question}, follow=True)


def test_the_page_has_a_question_form(client):
    assert reverse("portal:assist") == URL
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="assist-form"' in html
    assert 'name="question"' in html


def test_a_question_shows_the_passage_and_a_link_to_its_article(client, knowledge_base):
    response = ask(client, "how can I reset my password")
    assert response.redirect_chain == [(URL + "#latest", 302)]
    article = knowledge_base["password"]
    passage = response.context["turns"][-1].text
    assert passage in article.body_text
    html = response.content.decode()
    assert 'data-testid="assist-passage"' in html
    assert f'href="{article.get_absolute_url()}"' in html
    assert "Did this help?" in html


def test_saying_it_helped_is_recorded_and_thanked(client, knowledge_base):
    response = ask(client, "where is my parcel")
    turn = response.context["turns"][-1]
    response = client.post(
        URL, {"action": "feedback", "turn": turn.pk, "helpful": "yes"}, follow=True
    )
    turn.refresh_from_db()
    assert turn.is_helpful is True
    assert "Glad it helped" in response.content.decode()
    assert Conversation.objects.get().outcome == ConversationOutcome.HELPED


def test_saying_it_did_not_help_offers_a_person(client, knowledge_base):
    turn = ask(client, "where is my parcel").context["turns"][-1]
    response = client.post(
        URL, {"action": "feedback", "turn": turn.pk, "helpful": "no"}, follow=True
    )
    assert response.context["offer_person"] is True
    assert 'data-testid="assist-person"' in response.content.decode()


def test_when_the_bot_does_not_know_a_visitor_can_reach_a_person(
    client, knowledge_base, default_queue
):
    response = ask(client, NONSENSE)
    html = response.content.decode()
    assert "I don&#x27;t know" in html or "I don't know" in html
    assert 'data-testid="assist-passage"' not in html
    assert 'name="email"' in html

    response = client.post(
        URL, {"action": "person", "name": "Vera Visitor", "email": "vera@x.test"}, follow=True
    )
    case = Case.objects.get()
    html = response.content.decode()
    assert 'data-testid="assist-handoff-done"' in html
    assert case.number in html
    assert "/c/" in response.context["case_url"]  # the visitor's private link
    message = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_IN)
    assert NONSENSE in message.text
    assert case.contact.email == "vera@x.test"


def test_a_visitor_handoff_needs_a_valid_email(client, knowledge_base):
    ask(client, NONSENSE)
    response = client.post(URL, {"action": "person", "name": "V", "email": "nope"})
    assert response.status_code == 200
    assert response.context["person_form"].errors["email"]
    assert not Case.objects.exists()


def test_a_signed_in_customer_skips_the_form(login, customer, knowledge_base, default_queue):
    client = login(customer)
    html = ask(client, NONSENSE).content.decode()
    assert 'name="email"' not in html
    response = client.post(URL, {"action": "person"}, follow=True)
    case = Case.objects.get()
    assert case.contact == customer
    assert response.context["case_url"] == reverse("portal:case_detail", args=[case.number])
    assert Conversation.objects.get().contact == customer


def test_an_empty_question_is_refused_on_the_page(client):
    response = client.post(URL, {"action": "ask", "question": "   "})
    assert response.status_code == 200
    assert response.context["question_form"].errors
    assert not Conversation.objects.exists()


def test_start_over_begins_a_new_conversation(client, knowledge_base):
    ask(client, "where is my parcel")
    response = client.post(URL, {"action": "restart"}, follow=True)
    assert response.context["conversation"] is None
    ask(client, "refund please")
    assert Conversation.objects.count() == 2


def test_one_visitor_cannot_rate_anothers_answer(client, knowledge_base):
    from django.test import Client

    turn = ask(client, "where is my parcel").context["turns"][-1]
    other = Client()
    ask(other, "refund please")
    other.post(URL, {"action": "feedback", "turn": turn.pk, "helpful": "no"})
    turn.refresh_from_db()
    assert turn.is_helpful is None


def test_the_page_reads_a_fixed_number_of_queries(client, knowledge_base,
                                                  django_assert_max_num_queries):  # fmt: skip
    for question in ("where is my parcel", "refund please", "reset my password"):
        ask(client, question)
    with django_assert_max_num_queries(8):
        client.get(URL)
