"""The demo knowledge base: topics, published articles that answer the demo cases' common
questions (two of them internal, for agents only), one article waiting for review, and a
few community threads, one of them answered and accepted. Indexed before the seed ends, so
the portal, the bot and the agents' suggestions find them at once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser

from caseway.knowledge import forums
from caseway.knowledge import services as kb
from caseway.knowledge.index import reindex_all
from caseway.knowledge.models import ArticleVisibility, Category


@dataclass(frozen=True)
class DemoArticle:
    topic: str
    title: str
    body: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...] = ()
    internal: bool = False


ARTICLES = (
    DemoArticle(
        "Your account",
        "Reset your password",
        "<p>Open the sign-in page and choose <b>Forgot password</b>. Enter the email address of "
        "your account and we send a reset link within two minutes.</p>"
        "<p>If no email arrives, look in your spam folder and make sure the address is the one "
        "on your account. Reset links expire after one hour; ask for a new one if yours has.</p>",
        ("I forgot my password", "the password reset email never arrives", "cannot log in"),
        ("password", "login", "reset"),
    ),
    DemoArticle(
        "Your account",
        "Unlock your account after too many sign-in attempts",
        "<p>After five wrong passwords in a row your account is locked for 30 minutes. Wait for "
        "the lock to expire, then reset your password if you are not sure of it.</p>",
        ("my account is locked", "locked out after too many attempts"),
        ("locked", "login"),
    ),
    DemoArticle(
        "Your account",
        "Set up two-factor authentication again",
        "<p>If your codes are refused, check that your phone's clock is set automatically: codes "
        "depend on the exact time. Still refused? Use one of your backup codes to sign in, "
        "then open <b>Security</b> and scan the new QR code.</p>",
        ("two-factor codes are not accepted", "2FA code invalid"),
        ("2fa", "two-factor", "security"),
    ),
    DemoArticle(
        "Your account",
        "Add a colleague to your company account",
        "<p>Account admins open <b>Team</b>, choose <b>Invite</b> and enter the colleague's work "
        "email. The invitation is valid for seven days.</p>",
        ("how do I add a colleague", "invite a team member"),
        ("team", "invite", "users"),
    ),
    DemoArticle(
        "Billing",
        "Download an invoice",
        "<p>Every invoice is under <b>Billing → Invoices</b>, one PDF per month. Invoices of past "
        "years are in the archive at the bottom of the page.</p>",
        ("where is my invoice", "download invoice PDF"),
        ("invoice", "pdf", "billing"),
    ),
    DemoArticle(
        "Billing",
        "Add your VAT number to invoices",
        "<p>Open <b>Billing → Company details</b> and enter your VAT number with its country "
        "prefix. New invoices carry it; ask us to reissue older ones.</p>",
        ("VAT number missing from invoices", "add tax id"),
        ("vat", "tax", "invoice"),
    ),
    DemoArticle(
        "Billing",
        "When will I get my refund?",
        "<p>Refunds go back to the card or account you paid with. We send them within two "
        "working days; your bank then takes three to five working days to show them.</p>",
        ("refund still not received", "I want my money back"),
        ("refund", "money back"),
    ),
    DemoArticle(
        "Billing",
        "Charged twice for one order",
        "<p>A second charge is usually a card pre-authorisation that your bank releases within "
        "seven days. If both charges are still there after that, send us the order number and "
        "a bank statement and we refund the duplicate.</p>",
        ("I was charged twice", "double charge on my card"),
        ("charge", "duplicate", "payment"),
    ),
    DemoArticle(
        "Billing",
        "Cancel your subscription",
        "<p>Open <b>Billing → Plan</b> and choose <b>Cancel</b>. You keep access until the end of "
        "the paid period; yearly plans are refunded pro rata for whole months left.</p>",
        ("cancel subscription", "stop my plan"),
        ("cancel", "subscription"),
    ),
    DemoArticle(
        "Orders and delivery",
        "Track a delayed order",
        "<p>Tracking updates can pause for up to 48 hours while a parcel changes carrier. If "
        "there is no update after three working days, contact us with your order number and we "
        "open an investigation with the carrier.</p>",
        ("my order is delayed", "no tracking updates"),
        ("delivery", "tracking", "order"),
    ),
    DemoArticle(
        "Orders and delivery",
        "Return an item",
        "<p>You can return any item within 30 days. Print the return label from <b>Orders</b>; "
        "if the label does not work, we email you a new one.</p>",
        ("return label not working", "how do I return something"),
        ("return", "label"),
    ),
    DemoArticle(
        "Orders and delivery",
        "A parcel arrived damaged",
        "<p>Take photos of the parcel and the item before you throw anything away, then send "
        "them to us with your order number. We ship a replacement at once.</p>",
        ("package arrived damaged", "broken item in delivery"),
        ("damaged", "broken"),
    ),
    DemoArticle(
        "Devices and apps",
        "The printer reports a paper jam but no paper is stuck",
        "<p>Switch the printer off, open the rear cover and check for small torn pieces behind "
        "the rollers. Clean the paper sensor with a dry cloth, close the cover and switch it on "
        "again.</p>",
        ("printer shows paper jam", "paper jam error with no paper"),
        ("printer", "paper jam"),
    ),
    DemoArticle(
        "Devices and apps",
        "Wi-Fi keeps dropping",
        "<p>Move the device closer to the router and update its firmware under <b>Settings → "
        "About</b>. On dual-band routers, connect to the 5 GHz network.</p>",
        ("wifi keeps disconnecting", "connection drops every few minutes"),
        ("wifi", "network"),
    ),
    DemoArticle(
        "Devices and apps",
        "The app crashes on start after an update",
        "<p>Clear the app's cache (Android) or delete and reinstall the app (iOS). Your data is "
        "kept in your account and comes back when you sign in.</p>",
        ("app crashes on startup", "app closes immediately"),
        ("app", "crash"),
    ),
    DemoArticle(
        "Devices and apps",
        "Escalating API 401 errors (agents)",
        "<p>Check the customer's token in the admin: a 401 since a set time usually means the "
        "token was rotated. Ask them to create a new one; if it still fails, escalate to the "
        "platform team with the request id.</p>",
        ("integration API returns 401",),
        ("api", "401", "token"),
        internal=True,
    ),
    DemoArticle(
        "Billing",
        "Goodwill credits: when to offer one (agents)",
        "<p>Offer a credit of up to one month for outages longer than four hours or a second "
        "failed delivery. Above that, ask a team lead.</p>",
        ("complaint compensation",),
        ("credit", "goodwill"),
        internal=True,
    ),
)


def create_knowledge(*, author: AbstractBaseUser, customers: Sequence[AbstractBaseUser]) -> int:
    """Publish the demo articles and start the community; return how many were published."""
    topics: dict[str, Category] = {}
    published = 0
    for position, demo in enumerate(ARTICLES):
        topic = topics.get(demo.topic)
        if topic is None:
            topic = topics[demo.topic] = kb.create_category(name=demo.topic, position=position)
        article = kb.create_article(
            title=demo.title,
            body=demo.body,
            questions=demo.questions,
            keywords=demo.keywords,
            category=topic,
            author=author,
            visibility=ArticleVisibility.INTERNAL if demo.internal else ArticleVisibility.PUBLIC,
        )
        article = kb.submit_for_review(article=article, actor=author)
        article = kb.approve_article(article=article, actor=author)
        kb.publish_article(article=article, actor=author)
        published += 1
    draft = kb.create_article(
        title="Smart thermostat shows offline",
        body="<p>Restart the thermostat, then the router. (Draft: add the reset steps.)</p>",
        questions=("thermostat offline",),
        category=topics["Devices and apps"],
        author=author,
    )
    kb.submit_for_review(article=draft, actor=author)
    _start_community(author=author, customers=customers)
    reindex_all()
    return published


def _start_community(*, author: AbstractBaseUser, customers: Sequence[AbstractBaseUser]) -> None:
    if len(customers) < 2:
        return
    asker, helper = customers[0], customers[1]
    topic = forums.ask(
        author=asker,
        title="Export to CSV cuts off long descriptions",
        body="When I export my reports to CSV, descriptions longer than 255 characters are cut. "
        "Is there a setting for that?",
    )
    forums.answer(
        topic=topic, author=helper, body="Same here. Exporting to Excel instead keeps them whole."
    )
    team = forums.answer(
        topic=topic,
        author=author,
        body="Choose 'Full text' under Export options: CSV then keeps every character.",
    )
    forums.vote(reply=team, voter=helper, value=1)
    forums.accept(reply=team, actor=asker)
    forums.ask(
        author=helper,
        title="Does the thermostat work with solar panels?",
        body="We are installing solar panels next month. Can the thermostat use their data?",
    )
