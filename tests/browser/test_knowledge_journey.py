"""Self-help first, in two real browsers: a customer searches the help center, reads and rates
an article; another sees suggestions while typing a new case; in the community a customer
asks, another answers, the asker accepts and an agent promotes the thread to a draft
article; the agent working a case sees suggested articles and links the one that solved it.

Run in a pytest process of its own with DJANGO_ALLOW_ASYNC_UNSAFE=true (`make test` does).
Screenshots of every step go to test-artifacts/browser/.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from caseway.cases.models import Case, CaseArticle
from caseway.customers.tests.factories import ContactFactory, IdentityFactory, UserFactory
from caseway.knowledge import services
from caseway.knowledge.forum_models import ForumTopic
from caseway.knowledge.models import Article, ArticleState
from caseway.knowledge.signals_models import ArticleFeedback
from tests.browser.pages import Step, new_page, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _publish(author, title, body, questions):
    article = services.create_article(title=title, body=body, questions=questions, author=author)
    article = services.submit_for_review(article=article, actor=author)
    article = services.approve_article(article=article, actor=author)
    return services.publish_article(article=article, actor=author)


def _customer(username, name):
    user = UserFactory(username=username, email=f"{username}@initech.test", first_name=name)
    user.set_password(f"{username}-secret-1")
    user.save()
    contact = ContactFactory(name=name, email=user.email, user=user)
    IdentityFactory(contact=contact)
    return user


def test_self_help_community_and_the_agents_knowledge_panel(browser, live_server, agent):
    agent.set_password("agent-secret-1")
    agent.save()
    _customer("casey", "Casey")
    _customer("robin", "Robin")
    reset = _publish(
        agent,
        "Reset your password",
        "<p>Choose <b>Forgot password</b> on the sign-in page; the link arrives within two "
        "minutes.</p>",
        ["I forgot my password", "cannot log in"],
    )
    _publish(
        agent,
        "Download an invoice",
        "<p>Invoices are under Billing, one PDF per month.</p>",
        ["where is my invoice"],
    )
    from caseway.knowledge.index import reindex_all

    reindex_all()  # the live server's task queue does not run in tests
    step = Step("kb-")
    url = live_server.url

    # A customer searches the help center in their own words, reads and rates the article.
    context, page = new_page(browser, step)
    page.goto(f"{url}/")
    page.get_by_placeholder(re.compile("Search the help center")).fill("I forgot my password")
    page.get_by_role("button", name="Search").click()
    first = page.locator(".kb-result").first
    expect(first).to_contain_text("Reset your password")
    expect(first.locator("mark").first).to_be_visible()
    step.shot(page, "search-results")
    first.get_by_role("link").click()
    expect(page.get_by_test_id("kb-article")).to_contain_text("Forgot password")
    page.locator("#kb-comment").fill("Clear and quick.")
    page.get_by_role("button", name="Yes, it helped").click()
    expect(page.get_by_test_id("kb-thanks")).to_be_visible()
    step.shot(page, "article-rated")
    assert ArticleFeedback.objects.get().helpful is True

    # The bot answers in the customer's words with a passage of the article, and hands a
    # question it cannot answer to a person: a case with the conversation.
    page.goto(f"{url}/help/ask/")
    page.locator("#main [name=question]").fill("how can I reset my password")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_test_id("assist-passage")).to_contain_text("Forgot password")
    expect(page.get_by_test_id("assist-article-link")).to_have_text("Reset your password")
    step.shot(page, "bot-answer")
    page.locator("#main [name=question]").fill("zebra quantum accordion sunset")
    page.get_by_role("button", name="Ask", exact=True).click()
    expect(page.get_by_test_id("assist-person")).to_be_visible()
    page.locator("#main [name=name]").fill("Vera Visitor")
    page.locator("#main [name=email]").fill("vera@initech.test")
    page.get_by_test_id("assist-handoff").click()
    expect(page.get_by_test_id("assist-handoff-done")).to_be_visible()
    handed = Case.objects.get(contact__email="vera@initech.test")
    expect(page.get_by_test_id("case-number")).to_have_text(handed.number)
    assert "zebra quantum accordion sunset" in handed.activities.first().text
    step.shot(page, "bot-handoff")

    # Another visitor types a subject on the new case form and sees suggestions.
    page.goto(f"{url}/cases/new/")
    page.locator("#main [name=subject]").fill("where is my invoice")
    expect(page.get_by_test_id("kb-suggestions")).to_contain_text("Download an invoice")
    step.shot(page, "new-case-suggestions")
    context.close()

    # In the community Casey asks, Robin answers, Casey accepts.
    casey_context, casey = new_page(browser, step)
    sign_in(casey, f"{url}/login/", "casey", "casey-secret-1")
    casey.goto(f"{url}/community/ask/")
    casey.locator("#forum-title").fill("Printer shows E42")
    casey.locator("#forum-body").fill("It blinks twice and stops.")
    casey.get_by_role("button", name="Post question").click()
    expect(casey.get_by_test_id("forum-question")).to_contain_text("Printer shows E42")
    topic_url = casey.url

    robin_context, robin = new_page(browser, step)
    sign_in(robin, f"{url}/login/", "robin", "robin-secret-1")
    robin.goto(topic_url)
    robin.locator("#forum-answer").fill("E42 is a paper jam: open tray 2.")
    robin.get_by_role("button", name="Post answer").click()
    expect(robin.get_by_test_id("forum-reply")).to_contain_text("open tray 2")
    robin_context.close()

    casey.goto(topic_url)
    casey.get_by_role("button", name="Accept this answer").click()
    expect(casey.get_by_test_id("forum-reply").first).to_contain_text("Accepted answer")
    step.shot(casey, "community-answered")
    casey_context.close()

    # An agent promotes the thread to a draft article.
    agent_context, agent_page = new_page(browser, step)
    sign_in(agent_page, f"{url}/agent/login/", agent.username, "agent-secret-1")
    agent_page.goto(topic_url)
    agent_page.get_by_role("button", name="Promote to draft article").click()
    agent_page.wait_for_url(re.compile(r"/admin/knowledge/article/\d+/change/"))
    step.shot(agent_page, "promoted-draft")
    promoted = ForumTopic.objects.get().promoted_article
    assert promoted is not None and promoted.state == ArticleState.DRAFT

    # The agent works a case: suggested articles, and the one that solved it is linked.
    from caseway.intake.services import receive
    from caseway.portal.tests.conftest import portal_message

    case = receive(
        portal_message("casey@initech.test", subject="Cannot log in", text="I forgot my password")
    ).case
    agent_page.goto(f"{url}/agent/cases/{case.number}/")
    panel = agent_page.get_by_test_id("knowledge-panel")
    suggested = panel.get_by_test_id("suggested-articles")
    expect(suggested).to_contain_text("Reset your password")
    step.shot(agent_page, "agent-suggestions")
    suggested.locator("li", has_text="Reset your password").get_by_role(
        "button", name="Used to resolve"
    ).click()
    expect(agent_page.get_by_test_id("linked-articles")).to_contain_text("Reset your password")
    step.shot(agent_page, "agent-linked")
    assert CaseArticle.objects.get(case=case).article == reset
    agent_context.close()

    assert Article.objects.filter(state=ArticleState.PUBLISHED).count() == 2
    assert not step.js_errors
