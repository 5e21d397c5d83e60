"""Two demo customers who wrote on two channels each, so the workspace has merge
suggestions to show: Marta signed an email with the mobile number she texts from, and Jonas
gave his email address in a Facebook message. Agents may merge them (`merge_contact`)."""

from __future__ import annotations

from types import SimpleNamespace

from django.contrib.auth.models import Permission

from caseway.cases.merge_sweep import sweep_merge_suggestions
from caseway.cli.demo.people import Cast
from caseway.connectors.messages import InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.intake.services import receive

# A demo of at least this many cases (the default is 200) gets these four more.
DUPLICATES_FROM = 50
# Every demo agent but the billing one (admins have every permission anyway).
MERGERS = ("agent", "priya", "tomas", "lead")

MESSAGES = (
    InboundMessage(
        channel=ChannelKind.SMS,
        provider_id="SMdemo-marta-1",
        sender=Sender(kind=AddressKind.PHONE, address="+44 7700 900999"),
        text="Hi, my broadband has dropped out three times today. Can someone call me?",
        continues_conversation=True,
    ),
    InboundMessage(
        channel=ChannelKind.EMAIL,
        provider_id="<demo-marta-2@mail.example>",
        sender=Sender(
            kind=AddressKind.EMAIL, address="marta.reyes@example.net", name="Marta Reyes"
        ),
        subject="Broadband keeps dropping out",
        text=(
            "Hello,\n\nmy broadband has dropped out every evening this week. Could you check "
            "the line?\n\nBest regards,\nMarta Reyes\nMobile: +44 7700 900999"
        ),
    ),
    InboundMessage(
        channel=ChannelKind.FACEBOOK,
        provider_id="mid.demo-jonas-1",
        sender=Sender(kind=AddressKind.FACEBOOK, address="7300000000000042", name="Jonas B."),
        text=(
            "Your app logs me out every few minutes. I already wrote to you about it, "
            "my email is jonas.berg@example.org"
        ),
        continues_conversation=True,
    ),
    InboundMessage(
        channel=ChannelKind.EMAIL,
        provider_id="<demo-jonas-2@mail.example>",
        sender=Sender(kind=AddressKind.EMAIL, address="jonas.berg@example.org", name="Jonas Berg"),
        subject="Logged out of the app all the time",
        text="Since the last update the app signs me out constantly. Jonas",
    ),
)


def create_duplicates(cast: Cast | SimpleNamespace) -> list[int]:
    """Receive the messages through intake, sweep for suggestions and let the agents
    merge; returns the ids of the cases opened."""
    permission = Permission.objects.get(
        content_type__app_label="customers", codename="merge_contact"
    )
    for username in MERGERS:
        cast.agents[username].user_permissions.add(permission)
    case_ids = [receive(message).case.pk for message in MESSAGES]
    sweep_merge_suggestions()  # the worker would within MERGE_SWEEP_SECONDS
    return case_ids
