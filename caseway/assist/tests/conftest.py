"""A small public knowledge base, published and indexed (on-commit callbacks run at once)."""

import pytest


@pytest.fixture
def knowledge_base(publish_article):
    return {
        "password": publish_article(
            "Reset your password",
            "<p>Passwords protect your account.</p>"
            "<p>To reset your password, open Settings, choose Security and click "
            "<b>Reset password</b>. We email you a link that works for one hour.</p>"
            "<p>Contact your administrator if the email does not arrive.</p>",
            questions=[
                "I forgot my password",
                "how do I reset my password",
                "can't log in, lost password",
            ],
        ),
        "delivery": publish_article(
            "Track a delivery",
            "<p>Every order has a tracking number.</p>"
            "<p>Open My orders and click Track to see where your parcel is.</p>",
            questions=["where is my parcel", "track my order", "when will my package arrive"],
        ),
        "refund": publish_article(
            "Get a refund",
            "<p>Refunds go back to the card you paid with within five working days.</p>",
            questions=["I want my money back", "how do I get a refund"],
        ),
        "internal": publish_article(
            "Password escalation runbook",
            "<p>Agents only: reset a customer's password by phone after checking their ID.</p>",
            questions=["reset a customer password by phone"],
            visibility="internal",
        ),
    }


NONSENSE = "zebra quantum accordion sunset"
