"""The bot over the API: anonymous questions, feedback, handoff, and input validation."""
# ruff: noqa: F811 (fixtures imported from caseway.assist.tests)

import pytest

from caseway.assist.models import Conversation, ConversationOutcome
from caseway.assist.tests.conftest import NONSENSE, knowledge_base  # noqa: F401
from caseway.cases.models import Activity, ActivityKind, Case

pytestmark = pytest.mark.django_db


def test_anyone_can_ask_and_gets_a_verbatim_passage_with_its_link(api, knowledge_base):
    response = api.post("/assist/ask", {"question": "how can I reset my password"})
    assert response.status_code == 200
    body = response.json()
    assert {"answer", "article_id", "confidence", "handoff", "url", "conversation"} <= set(body)
    article = knowledge_base["password"]
    assert body["handoff"] is False
    assert body["article_id"] == article.pk
    assert body["answer"] in article.body_text
    assert body["url"] == f"http://testserver{article.get_absolute_url()}"
    conversation = Conversation.objects.get(token=body["conversation"])
    assert conversation.channel == "api"
    assert conversation.contact is None


def test_a_question_the_bot_cannot_answer_offers_a_person(api, knowledge_base):
    body = api.post("/assist/ask", {"question": NONSENSE}).json()
    assert body["handoff"] is True
    assert body["article_id"] is None
    assert body["url"] is None
    assert "Settings" not in body["answer"]


def test_the_conversation_token_continues_a_conversation(api, knowledge_base):
    first = api.post("/assist/ask", {"question": "where is my parcel"}).json()
    second = api.post(
        "/assist/ask", {"question": "I want my money back", "conversation": first["conversation"]}
    ).json()
    assert second["conversation"] == first["conversation"]
    assert Conversation.objects.get(token=first["conversation"]).turns.count() == 4


def test_an_unknown_conversation_is_404(api, knowledge_base):
    response = api.post("/assist/ask", {"question": "refund", "conversation": "nope"})
    assert response.status_code == 404
    assert response.json() == {"detail": "No such conversation."}


def test_invalid_json_is_a_400(api, knowledge_base):
    response = api.post("/assist/ask", "{not json")
    assert response.status_code == 400
    assert "detail" in response.json()


@pytest.mark.parametrize(
    ("payload", "loc"),
    [
        ({}, ["body", "payload", "question"]),
        ({"question": ""}, ["body", "payload", "question"]),
        ({"question": "   "}, ["body", "payload", "question"]),
        ({"question": "x" * 1001}, ["body", "payload", "question"]),
        ({"question": 12}, ["body", "payload", "question"]),
        ({"question": "hi", "colour": "red"}, ["body", "payload", "colour"]),
    ],
)
def test_bad_questions_are_422_with_the_field(api, payload, loc):
    response = api.post("/assist/ask", payload)
    assert response.status_code == 422
    assert loc in [error["loc"] for error in response.json()["detail"]]
    assert not Conversation.objects.exists()


def test_feedback_marks_the_answer(api, knowledge_base):
    body = api.post("/assist/ask", {"question": "where is my parcel"}).json()
    response = api.post(
        "/assist/feedback",
        {"conversation": body["conversation"], "turn": body["turn"], "helpful": True},
    )
    assert response.status_code == 200
    assert response.json() == {"turn": body["turn"], "helpful": True}
    conversation = Conversation.objects.get(token=body["conversation"])
    assert conversation.outcome == ConversationOutcome.HELPED


def test_feedback_on_an_answer_of_another_conversation_is_404(api, knowledge_base):
    mine = api.post("/assist/ask", {"question": "where is my parcel"}).json()
    theirs = api.post("/assist/ask", {"question": "refund please"}).json()
    response = api.post(
        "/assist/feedback",
        {"conversation": mine["conversation"], "turn": theirs["turn"], "helpful": False},
    )
    assert response.status_code == 404


def test_handoff_opens_one_case_carrying_the_transcript(api, knowledge_base, default_queue):
    body = api.post("/assist/ask", {"question": NONSENSE}).json()
    payload = {"conversation": body["conversation"], "name": "Vera", "email": "vera@x.test"}
    response = api.post("/assist/handoff", payload)
    assert response.status_code == 201
    number = response.json()["case"]
    case = Case.objects.by_number(number).get()
    message = Activity.objects.get(case=case, kind=ActivityKind.MESSAGE_IN)
    assert NONSENSE in message.text
    assert body["answer"] in message.text
    assert api.post("/assist/handoff", payload).json()["case"] == number
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("extra", "status"),
    [({}, 422), ({"email": "not-an-email"}, 422), ({"email": "v@x.test", "x": 1}, 422)],
)
def test_an_anonymous_handoff_needs_a_valid_email(api, knowledge_base, extra, status):
    body = api.post("/assist/ask", {"question": NONSENSE}).json()
    response = api.post("/assist/handoff", {"conversation": body["conversation"], **extra})
    assert response.status_code == status
    assert not Case.objects.exists()


def test_a_customer_token_hands_off_as_that_customer(as_role, customer, knowledge_base,
                                                     default_queue):  # fmt: skip
    client = as_role("customer")
    body = client.post("/assist/ask", {"question": NONSENSE}).json()
    response = client.post("/assist/handoff", {"conversation": body["conversation"]})
    assert response.status_code == 201
    case = Case.objects.by_number(response.json()["case"]).get()
    assert case.contact == customer
    assert Conversation.objects.get(token=body["conversation"]).contact == customer


def test_a_wrong_bearer_token_is_401(api, knowledge_base):
    response = api.client.post(
        "/api/v1/assist/ask",
        data='{"question": "refund"}',
        content_type="application/json",
        headers={"Authorization": "Bearer cw_wrong"},
    )
    assert response.status_code == 401


def test_asking_is_rate_limited_per_address(api, knowledge_base):
    from caseway.api.endpoints.assist import ASK_RATE

    allowed = int(ASK_RATE.split("/")[0])
    statuses = [api.post("/assist/ask", {"question": "refund"}).status_code
                for _ in range(allowed + 1)]  # fmt: skip
    assert statuses[:allowed] == [200] * allowed
    assert statuses[-1] == 429


def test_the_endpoints_are_in_the_openapi_document(api):
    paths = api.client.get("/api/v1/openapi.json").json()["paths"]
    assert {"/api/v1/assist/ask", "/api/v1/assist/feedback", "/api/v1/assist/handoff"} <= set(paths)
