"""Case stories: a customer writes, agents triage, answer, note, and the case moves on.

Every customer message goes through intake.services.receive() and every agent reply through
intake.services.send(); triage, notes, time logged and status changes through cases.services.
Routing's rules place each new case and routing assigns it right after (settle()) to an
available agent, who accepts the offer or now and then declines it; a case routing could not
give to anyone is taken by hand. Replies to cases whose channel has no adapter yet go out on
the portal, where the customer reads them. A contract that is used up and blocks refuses some
first messages (intake keeps them as failed records); such a story starts again with another
customer.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from caseway.cases import services as case_services
from caseway.cases.models import Case, CaseStatus, Queue
from caseway.cli.demo.people import PREMIUM_SLUG, Cast, Person
from caseway.cli.demo.routing import settle
from caseway.cli.demo.texts import (
    FOLLOW_UPS,
    NOTES,
    TEMPLATES,
    TIME_NOTES,
    Template,
    draw_values,
    fill,
)
from caseway.connectors.messages import InboundMessage, Sender
from caseway.connectors.registry import has_adapter
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.customers.models import Contact
from caseway.intake.exceptions import NotEntitled
from caseway.intake.services import receive, send
from caseway.routing.explain import open_offer
from caseway.routing.offers import accept_offer, decline_offer

if TYPE_CHECKING:
    from django.contrib.auth.models import User

CHANNEL_WEIGHTS: dict[str, int] = {
    ChannelKind.EMAIL: 38,
    ChannelKind.PORTAL: 18,
    ChannelKind.SMS: 12,
    ChannelKind.VOICE: 10,
    ChannelKind.FACEBOOK: 10,
    ChannelKind.API: 12,
}
ADDRESS_KIND: dict[str, str] = {
    ChannelKind.EMAIL: AddressKind.EMAIL,
    ChannelKind.PORTAL: AddressKind.EMAIL,
    ChannelKind.API: AddressKind.EMAIL,
    ChannelKind.SMS: AddressKind.PHONE,
    ChannelKind.VOICE: AddressKind.PHONE,
    ChannelKind.FACEBOOK: AddressKind.FACEBOOK,
}
CATEGORY_QUEUE = {"billing": "billing", "technical": "technical"}
# A story whose first message is refused starts again with someone else, this many times.
REFUSED_RETRIES = 20


@dataclass
class Thread:
    """What a story needs to remember between steps."""

    case: Case
    contact: Contact
    addresses: dict[str, str]
    template: Template
    values: dict[str, str]
    first_provider_id: str
    channel: str


class Storyteller:
    def __init__(self, cast: Cast, rng: random.Random) -> None:
        self.cast = cast
        self.rng = rng
        self._new_senders = 0
        self.refused = 0  # first messages a blocking contract refused

    # -- customer side -------------------------------------------------------------------

    def provider_id(self, channel: str, addresses: dict[str, str]) -> str:
        token = f"{self.rng.getrandbits(128):032x}"
        if channel == ChannelKind.EMAIL:
            domain = addresses.get(AddressKind.EMAIL, "mail.example").split("@")[-1]
            return f"<{token}@mail.{domain}>"
        prefixes: dict[str, str] = {
            ChannelKind.SMS: "SM",
            ChannelKind.VOICE: "CA",
            ChannelKind.FACEBOOK: "m_",
        }
        return f"{prefixes.get(channel, channel + '-')}{token}"

    def pick_sender(self, channel: str) -> Person:
        kind = ADDRESS_KIND[channel]
        if self.rng.random() < 0.025 and kind != AddressKind.FACEBOOK:
            # Someone we have never heard of: intake creates the contact.
            self._new_senders += 1
            n = self._new_senders
            address = (
                f"first.timer{n}@newcomer.example" if kind == AddressKind.EMAIL else
                f"+4477009{n:05d}"
            )  # fmt: skip
            return Person(contact=None, addresses={kind: address})
        candidates = [p for p in self.cast.people if kind in p.addresses]
        return self.rng.choice(candidates)

    def compose(self, channel: str, person: Person, template: Template, values: dict[str, str]
                ) -> tuple[str, str, str, dict[str, object]]:  # fmt: skip
        """Subject, text, html and activity data of a first message on `channel`."""
        name = person.contact.name if person.contact else ""
        subject = fill(template.subject, values)
        body = fill(template.body, values)
        short = fill(template.short, values)
        if channel == ChannelKind.EMAIL:
            text = f"Hello,\n\n{body}\n\nBest regards,\n{name}".rstrip()
            html = ""
            if self.rng.random() < 0.6:
                html = f"<p>Hello,</p><p>{body}</p><p>Best regards,<br>{name}</p>"
            return subject, text, html, {}
        if channel == ChannelKind.SMS:
            return "", short, "", {}
        if channel == ChannelKind.VOICE:
            minutes = self.rng.randint(2, 14)
            return (
                f"Phone call: {subject}",
                f"Call summary ({minutes} min): {body}",
                "",
                {"duration_s": minutes * 60 + self.rng.randint(0, 59)},
            )
        if channel == ChannelKind.FACEBOOK:
            return "", f"Hi! {short}", "", {}
        if channel == ChannelKind.API:
            return subject, body, "", {"app": "Caseway Mobile 5.2 (Android)"}
        return subject, body, "", {}

    def sender_of(self, addresses: dict[str, str], name: str, channel: str) -> Sender:
        kind = ADDRESS_KIND[channel]
        return Sender(kind=kind, address=addresses[kind], name=name)

    def open_case(self) -> Thread:
        """The customer's first message opens the case through intake."""
        for _attempt in range(REFUSED_RETRIES):
            try:
                return self._first_message()
            except NotEntitled:
                self.refused += 1
        return self._first_message()

    def _first_message(self) -> Thread:
        channel = self.rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        person = self.pick_sender(channel)
        template = self.rng.choice(TEMPLATES)
        values = draw_values(self.rng)
        subject, text, html, data = self.compose(channel, person, template, values)
        provider_id = self.provider_id(channel, person.addresses)
        name = person.contact.name if person.contact else ""
        result = receive(
            InboundMessage(
                channel=channel,
                provider_id=provider_id,
                sender=self.sender_of(person.addresses, name, channel),
                subject=subject,
                text=text,
                html=html,
                meta={"activity_data": data} if data else {},
            )
        )
        case = result.case
        settle()  # routing assigns the new case
        case.refresh_from_db()
        return Thread(case, case.contact, person.addresses, template, values, provider_id, channel)

    def follow_up(self, thread: Thread) -> None:
        """The customer writes again, sometimes on another channel, quoting the case."""
        channels = [c for c, kind in ADDRESS_KIND.items() if kind in thread.addresses]
        channel = thread.channel
        if self.rng.random() < 0.35:
            channel = self.rng.choice(channels)
        same_email = channel == ChannelKind.EMAIL == thread.channel
        text = self.rng.choice(FOLLOW_UPS)
        if channel == ChannelKind.EMAIL:
            text = f"{text}\n\nReference: {thread.case.number}\n\n{thread.contact.name}"
        receive(
            InboundMessage(
                channel=channel,
                provider_id=self.provider_id(channel, thread.addresses),
                sender=self.sender_of(thread.addresses, thread.contact.name, channel),
                subject=f"Re: {thread.case.subject} [{thread.case.number}]",
                text=text,
                case_reference=thread.case.number,
                in_reply_to=(thread.first_provider_id,) if same_email else (),
                continues_conversation=channel in (ChannelKind.SMS, ChannelKind.FACEBOOK),
            )
        )
        settle()

    # -- agent side ----------------------------------------------------------------------

    def triage(self, thread: Thread) -> Queue:
        """Move the case to the queue its topic (or its preferred customer) belongs to."""
        queues = self.cast.queues
        contact = thread.contact
        slug = CATEGORY_QUEUE.get(thread.template.category, "general")
        if contact.is_preferred_customer and self.rng.random() < 0.8:
            slug = PREMIUM_SLUG
        queue = queues[slug]
        if queue.pk != thread.case.queue_id:
            actor = self.rng.choice([self.cast.agents["admin"], self.cast.agents["tomas"]])
            # The agent routing gave the case to sends it on, back to the queue: routing
            # finds someone there.
            owner = thread.case.owner
            case = case_services.move_case(case=thread.case, queue=queue, actor=owner or actor)
            if owner is not None:
                case_services.assign_case(case=case, owner=None, actor=owner)
            settle()
            case.refresh_from_db()
            thread.case = case
        return queue

    def agent_for(self, queue: Queue) -> User:
        members = {a.pk for a in queue.members.all()}
        return self.rng.choice([a for a in self.cast.agents.values() if a.pk in members])

    def take(self, thread: Thread, queue: Queue) -> User:
        """Who works the case: the agent routing gave it to accepts the offer (now and then
        they decline it, and routing offers it to the next one); a case nobody got is taken
        by hand by a member of the queue, most of the time."""
        member = self.agent_for(queue)
        takes = self.rng.random() < 0.85
        case = thread.case
        if case.owner is not None and not takes:
            offer = open_offer(case, case.owner)
            if offer is not None:
                decline_offer(offer=offer, agent=case.owner)
                settle()
                case.refresh_from_db()  # with the next agent, or waiting in the queue
        owner: User | None = case.owner
        if owner is None:
            if takes:
                thread.case = case_services.assign_case(case=case, owner=member, actor=member)
                settle()
            return member
        offer = open_offer(case, owner)
        if offer is not None:
            accept_offer(offer=offer, agent=owner)
        return owner

    def reply(self, thread: Thread, agent: User, *, second: bool, status: str | None
              ) -> None:  # fmt: skip
        name = thread.contact.name.split(" ")[0] or "there"
        if second:
            body = "Thanks for getting back to us. We have looked into it again and " + (
                "everything is now in order on our side."
            )
        else:
            body = fill(thread.template.reply, thread.values)
        text = f"Hi {name},\n\n{body}\n\nKind regards,\n{agent.first_name}"
        channel = thread.channel if has_adapter(thread.channel) else ChannelKind.PORTAL
        send(case=thread.case, agent=agent, text=text, channel=channel, status=status)

    def tell(self) -> Case:
        """One whole story; returns its case."""
        rng = self.rng
        thread = self.open_case()
        if rng.random() < 0.12:
            return thread.case  # still new: offered to someone, or waiting; nobody looked yet
        queue = self.triage(thread)
        agent = self.take(thread, queue)
        if rng.random() < 0.3:
            case_services.add_note(case=thread.case, agent=agent, text=rng.choice(NOTES))
        if rng.random() < 0.1:
            return thread.case  # assigned, being investigated
        ending = rng.choices(
            [CaseStatus.RESOLVED, CaseStatus.WAITING, CaseStatus.ON_HOLD, CaseStatus.ACTIVE],
            weights=[45, 22, 5, 28],
        )[0]
        if rng.random() < 0.55:
            self.reply(thread, agent, second=False, status=None)
            self.follow_up(thread)
            if rng.random() < 0.3:
                case_services.add_note(case=thread.case, agent=agent, text=rng.choice(NOTES))
            self.reply(thread, agent, second=True, status=_reply_status(ending))
        else:
            self.reply(thread, agent, second=False, status=_reply_status(ending))
        settle()
        if rng.random() < 0.5:
            minutes = rng.choice([10, 15, 20, 30, 45, 60, 90, 120])
            note = rng.choice(TIME_NOTES)
            case_services.log_time(case=thread.case, agent=agent, minutes=minutes, note=note)
        if ending == CaseStatus.RESOLVED:
            case_services.change_status(case=thread.case, status=ending, actor=agent)
        settle()  # a resolved case frees the owner's capacity for a waiting one
        return thread.case


def _reply_status(ending: str) -> str | None:
    """Statuses an agent sets with the reply itself ("reply and wait on the customer")."""
    return ending if ending in (CaseStatus.WAITING, CaseStatus.ON_HOLD) else None
