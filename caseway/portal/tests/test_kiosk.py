"""The kiosk with plain form posts: no sign-in, the bot and the search first, a person through
intake on the kiosk channel (by email or phone), and a reset that forgets the visitor."""
# ruff: noqa: F811 (fixtures imported from caseway.assist.tests)

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from caseway.assist.models import Conversation
from caseway.assist.tests.conftest import NONSENSE, knowledge_base  # noqa: F401
from caseway.cases.models import Activity, Case
from caseway.customers.models import Identity
from caseway.intake.models import InboundRecord

pytestmark = pytest.mark.django_db

URL = "/kiosk/"
PERSON = "/kiosk/person/"


def ask(client, question):
    return client.post(URL, {"action": "ask", "question": question}, follow=True)


def test_the_start_screen_has_no_sign_in_and_a_timer(client, settings, knowledge_base):
    settings.CASEWAY_KIOSK_IDLE_SECONDS = 45
    response = client.get(URL)

    assert reverse("portal:kiosk") == URL
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-idle-seconds="45"' in html
    assert "/login/" not in html and "Sign in" not in html
    assert "Reset your password" in html  # popular articles
    assert "Internal" not in html  # never an internal article
    assert "no-store" in response["Cache-Control"]


def test_the_bot_answers_first_on_the_kiosk_channel(client, knowledge_base):
    response = ask(client, "I forgot my password")

    assert response.redirect_chain == [(URL + "#latest", 302)]
    html = response.content.decode()
    assert 'data-testid="kiosk-answer"' in html
    assert "Did this answer your question?" in html
    conversation = Conversation.objects.get()
    assert conversation.channel == "kiosk"
    assert conversation.contact is None


def test_search_results_follow_an_unanswered_question(client, knowledge_base):
    response = ask(client, "refund money card")

    assert response.status_code == 200
    assert "Get a refund" in response.content.decode()


def test_a_signed_in_browser_is_still_anonymous_at_the_kiosk(client, customer, knowledge_base):
    client.force_login(customer.user)
    ask(client, "I forgot my password")

    assert Conversation.objects.get().contact is None
    assert customer.name not in client.get(URL).content.decode()


def test_a_person_by_phone_takes_over_the_conversation(client, knowledge_base):
    ask(client, "I forgot my password")

    response = client.post(
        PERSON, {"name": "Vera", "email": "", "phone": "+44 (0)7700-900123"}, follow=True
    )

    assert response.redirect_chain[-1][0] == "/kiosk/done/"
    case = Case.objects.get()
    assert case.origin_channel == "kiosk"
    identity = Identity.objects.get(contact=case.contact)
    assert (identity.kind, identity.address) == ("phone", "+4407700900123")
    assert "Customer: I forgot my password" in Activity.objects.get(case=case).text
    html = response.content.decode()
    assert case.number in html
    assert "text message at" in html
    assert Conversation.objects.get().handed_off_case == case
    # Asking again for a person shows the same case: nothing new.
    assert client.get(PERSON).url == "/kiosk/done/"


def test_a_person_by_email_without_a_conversation(client):
    form = client.get(PERSON)
    provider_id = form.context["provider_id"]
    data = {"text": "My card was charged twice", "email": "vera@example.test",
            "provider_id": provider_id}  # fmt: skip

    first = client.post(PERSON, data)
    again = client.post(PERSON, data)  # a double tap

    assert first.url == again.url == "/kiosk/done/"
    case = Case.objects.get()
    assert (case.origin_channel, case.subject) == ("kiosk", "My card was charged twice")
    assert case.contact.email == "vera@example.test"
    assert "email at" in client.get("/kiosk/done/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": "help"}, "email address or a phone number"),
        ({"text": "help", "phone": "call me maybe"}, "Please enter a phone number"),
        ({"text": "help", "phone": "12"}, "Please enter a phone number"),
        ({"text": "help", "email": "not-an-email"}, "valid email"),
        ({"email": "vera@example.test"}, "required"),
    ],
)
def test_a_person_needs_a_way_to_answer_and_nothing_is_written(client, data, message):
    response = client.post(PERSON, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Case.objects.exists()
    assert not InboundRecord.objects.exists()


def test_reset_deletes_the_session_on_the_server(client, knowledge_base):
    ask(client, "I forgot my password")
    client.post(PERSON, {"email": "vera@example.test"})
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    response = client.post("/kiosk/reset/")

    assert response.url == URL
    assert not Session.objects.filter(session_key=key).exists()
    assert client.get("/kiosk/done/").url == URL
    assert 'data-testid="kiosk-conversation"' not in client.get(URL).content.decode()
    assert Case.objects.count() == 1  # the case stays; only the kiosk forgets


def test_reset_is_a_post(client):
    assert client.get("/kiosk/reset/").status_code == 405


def test_a_kiosk_session_expires_after_the_idle_time(client, settings, knowledge_base):
    settings.CASEWAY_KIOSK_IDLE_SECONDS = 90

    ask(client, "I forgot my password")

    assert client.session.get_expiry_age() == 150


def test_articles_on_the_kiosk(client, knowledge_base):
    article = knowledge_base["password"]

    response = client.get(f"/kiosk/articles/{article.pk}/")

    assert response.status_code == 200
    assert "Reset password" in response.content.decode()
    assert client.get(f"/kiosk/articles/{knowledge_base['internal'].pk}/").status_code == 404
    assert client.get("/kiosk/articles/999999/").status_code == 404


def test_stale_feedback_is_ignored(client, knowledge_base):
    ask(client, NONSENSE)

    response = client.post(URL, {"action": "feedback", "turn": "nope", "helpful": "yes"})

    assert response.status_code == 302


def test_an_untouched_start_screen_does_not_clear_itself(client, knowledge_base):
    assert "data-clean" in client.get(URL).content.decode()

    ask(client, "I forgot my password")
    client.post("/kiosk/reset/")
    client.get(f"/kiosk/articles/{knowledge_base['password'].pk}/")  # a session again

    assert "data-clean" not in client.get(URL).content.decode()
