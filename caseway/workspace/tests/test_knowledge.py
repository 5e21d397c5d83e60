"""The case view's knowledge panel: suggestions from the one search (internal articles
included), linking an article as used to resolve, a draft article from the case."""

import pytest

from caseway.cases.models import Activity, CaseArticle
from caseway.knowledge import services
from caseway.knowledge.models import Article, ArticleState, ArticleVisibility
from caseway.knowledge.signals_models import SearchLog, Source

pytestmark = pytest.mark.django_db


@pytest.fixture
def fire(publish_article):
    return publish_article(
        "Printer on fire: what to do",
        "<p>Unplug the printer and use a CO2 extinguisher. Never use water.</p>",
        questions=["my printer is on fire", "printer smoke"],
        visibility=ArticleVisibility.INTERNAL,
    )


@pytest.fixture
def unrelated(publish_article):
    return publish_article("Change your invoice address", "<p>Billing, then Address.</p>")


def test_the_panel_suggests_articles_for_the_case_internal_ones_too(
    agent_client, case, fire, unrelated
):
    response = agent_client.get(f"/agent/cases/{case.number}/knowledge/")
    body = response.content.decode()
    assert response.status_code == 200
    assert body.index("Printer on fire: what to do") < (
        body.index("Change your invoice address")
        if "Change your invoice address" in body
        else len(body)
    )
    assert SearchLog.objects.get().source == Source.AGENT


def test_the_case_page_loads_the_panel_lazily(agent_client, case):
    body = agent_client.get(f"/agent/cases/{case.number}/").content.decode()
    assert f"/agent/cases/{case.number}/knowledge/" in body


def test_linking_an_article_puts_it_under_used_to_resolve_once(
    agent_client, case, fire, htmx_headers
):
    for _ in range(2):
        response = agent_client.post(
            f"/agent/cases/{case.number}/knowledge/link/", {"article": fire.pk}, **htmx_headers
        )
        assert response.status_code == 200
    assert CaseArticle.objects.filter(case=case, article=fire).count() == 1
    assert 'data-testid="linked-articles"' in response.content.decode()
    assert Activity.objects.filter(case=case, text__contains="used to resolve").count() == 1

    agent_client.post(f"/agent/cases/{case.number}/knowledge/unlink/", {"article": fire.pk})
    assert not CaseArticle.objects.exists()


def test_only_published_articles_can_be_linked(agent_client, case, agent):
    draft = services.create_article(title="Draft", body="<p>x</p>", author=agent)
    response = agent_client.post(
        f"/agent/cases/{case.number}/knowledge/link/", {"article": draft.pk}
    )
    assert response.status_code == 404
    response = agent_client.post(f"/agent/cases/{case.number}/knowledge/link/", {"article": "x"})
    assert response.status_code == 404


def test_a_draft_article_from_the_case_carries_question_and_answer(
    agent_client, case, agent, receive
):
    from caseway.intake.services import send

    send(case=case, agent=agent, text="Unplug it <now> & call us.")
    response = agent_client.post(f"/agent/cases/{case.number}/knowledge/draft/")

    article = Article.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/admin/knowledge/article/{article.pk}/change/"
    assert article.state == ArticleState.DRAFT
    assert article.title == "Printer on fire"
    assert "It is on fire." in article.body
    assert "Unplug it &lt;now&gt; &amp; call us." in article.body
    assert list(article.questions.values_list("text", flat=True)) == ["Printer on fire"]
    assert CaseArticle.objects.get(case=case).article == article


def test_agents_read_internal_articles_customers_cannot(agent_client, fire, client):
    response = agent_client.get(f"/agent/kb/{fire.pk}/")
    assert response.status_code == 200
    assert "CO2 extinguisher" in response.content.decode()
    assert client.get(f"/kb/{fire.pk}/{fire.slug}/").status_code == 404


def test_customers_cannot_reach_the_panel(client, customer, case):
    client.force_login(customer.user)
    response = client.get(f"/agent/cases/{case.number}/knowledge/")
    assert response.status_code == 403


def test_similar_resolved_cases_show_in_the_panel(
    agent_client, agent, receive, case, django_capture_on_commit_callbacks
):
    from caseway.cases import services as case_services
    from caseway.cases.models import CaseEmbedding, CaseStatus

    earlier = receive(
        subject="The printer is burning", text="Smoke comes out of my printer.", email="x@y.example"
    ).case
    other = receive(subject="Invoice address wrong", text="Please fix my address.").case
    with django_capture_on_commit_callbacks(execute=True):
        for resolved in (earlier, other):
            case_services.change_status(case=resolved, status=CaseStatus.RESOLVED, actor=agent)
    assert CaseEmbedding.objects.count() == 2  # indexed by the task after commit

    body = agent_client.get(f"/agent/cases/{case.number}/knowledge/").content.decode()

    similar = body[body.index('data-testid="similar-cases"') :]
    assert earlier.number in similar
    assert other.number not in similar
