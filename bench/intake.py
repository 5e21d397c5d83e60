"""intake: messages per second through caseway.intake.services.receive(), in one process.

Setup (not timed): migrate, then 1,000 contacts (60 % in one of 100 accounts) with an email
and a phone identity each. Then N messages, one receive() each (one transaction each):
every even message opens a new case, every odd one answers a case opened earlier, the way
its channel threads (email: In-Reply-To, SMS: the open conversation, portal and API: the
case number). Channels: email 40 %, portal 25 %, SMS 20 %, API 15 %, with realistic
sizes: emails with signatures, HTML and quoted history, SMS under 160 characters.
With --threads N, N threads of the one process share the message stream, each on its own
database connection, as one server process receiving webhooks and mail concurrently would; a
reply only ever answers a case whose opening has committed.
Measured: wall time of the whole run, the latency of every receive() (perf_counter_ns), the
SQL statements and transactions each message costs (every message is counted), and the CPU
time this Python process spent per message (the rest of the latency is the database).
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import django
from django.core.management import call_command
from django.db import connection

from bench.measure import (
    StatementCounter,
    at_least_one,
    counting_commits,
    percentile,
    render_table,
)
from caseway.cli.demo.texts import FOLLOW_UPS, TEMPLATES, draw_values, fill
from caseway.connectors.messages import InboundMessage, Sender
from caseway.core.kinds import AddressKind, ChannelKind
from caseway.customers.models import Account, AccountSize, Contact, Identity, normalize_address
from caseway.intake.services import receive

CHANNEL_WEIGHTS: dict[str, int] = {
    ChannelKind.EMAIL: 40,
    ChannelKind.PORTAL: 25,
    ChannelKind.SMS: 20,
    ChannelKind.API: 15,
}

CONTEXT = (
    "We are a team of twelve and this blocks most of our work today.",
    "I already searched your help centre but the articles describe an older version.",
    "Our account number is in the signature below in case you need it.",
    "This is the second time this month, so I would appreciate a permanent fix rather "
    "than a workaround. Last time the problem came back after a week.",
    "Please call me if that is quicker; I am available all afternoon.",
    "I attached nothing because the upload failed, but I can send screenshots by email.",
)
DISCLAIMER = (
    "This email and any files transmitted with it are confidential and intended solely for "
    "the use of the individual or entity to whom they are addressed. If you have received "
    "this email in error please notify the sender and delete it."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--messages", type=int, default=20_000, help="default 20000")
    parser.add_argument("--contacts", type=int, default=1_000, help="default 1000")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument(
        "--threads", type=at_least_one, default=1, help="threads receiving at once, each with "
        "its own database connection (default 1)",
    )  # fmt: skip


def inner_argv(options: dict[str, Any]) -> list[str]:
    """The options again, for the benchmark process."""
    return [
        "--messages", str(options["messages"]),
        "--contacts", str(options["contacts"]),
        "--seed", str(options["seed"]),
        "--threads", str(options["threads"]),
    ]  # fmt: skip


@dataclass
class Person:
    name: str
    email: str
    phone: str
    company: str


@dataclass
class OpenCase:
    number: str
    person: Person
    channel: str
    provider_id: str
    text: str


@dataclass
class Sample:
    latencies_ns: list[int] = field(default_factory=list)
    statements: int = 0

    def add(self, elapsed_ns: int, statements: int) -> None:
        self.latencies_ns.append(elapsed_ns)
        self.statements += statements

    def merge(self, other: Sample) -> None:
        self.latencies_ns += other.latencies_ns
        self.statements += other.statements


@dataclass
class Tally:
    """What one thread measured."""

    new: Sample = field(default_factory=Sample)
    reply: Sample = field(default_factory=Sample)
    misthreaded: int = 0
    transactions: int = 0


@dataclass
class Stream:
    """The messages, shared by the threads: which one comes next, and the cases whose opening
    has committed (the only ones a reply may answer)."""

    count: int
    people: list[Person]
    rng: random.Random
    next_n: int = 0
    open_cases: list[OpenCase] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self) -> tuple[InboundMessage, Person, bool] | None:
        """The next message, the person it is from and whether it is a reply; None at the end.

        Odd messages are replies; at the very start of a threaded run, before any case has
        committed, an odd message opens a case instead.
        """
        with self.lock:
            n = self.next_n
            if n >= self.count:
                return None
            self.next_n += 1
            if n % 2 == 1 and self.open_cases:
                target = self.rng.choice(self.open_cases)
                return reply_message(n, target, self.rng), target.person, True
            person = self.rng.choice(self.people)
            return new_message(n, person, self.rng), person, False

    def opened(self, case: OpenCase) -> None:
        with self.lock:
            self.open_cases.append(case)


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    """Set up, feed the messages, print the table and the JSON line; return the figures."""
    call_command("migrate", interactive=False, verbosity=0)
    rng = random.Random(options["seed"])
    people = create_people(options["contacts"], rng)
    # One message first, not measured: it compiles the SLA policy and the routing rules that
    # every process keeps cached (a steady-state service has them).
    receive(new_message(-1, people[0], random.Random(0)))
    figures = feed(options["messages"], people, rng, threads=options["threads"])
    out.write(report(figures) + "\n")
    result: dict[str, Any] = figures["json"]
    out.write(json.dumps(result) + "\n")
    return result


def create_people(count: int, rng: random.Random) -> list[Person]:
    """Accounts, contacts and their identities in bulk (setup, not what is measured)."""
    sizes = [AccountSize.SMALL] * 6 + [AccountSize.MEDIUM] * 3 + [AccountSize.ENTERPRISE]
    accounts = Account.objects.bulk_create(
        Account(name=f"Company {n}", size=sizes[n % 10], domain=f"company{n}.example")
        for n in range(100)
    )
    people, contacts = [], []
    for n in range(count):
        account = rng.choice(accounts) if rng.random() < 0.6 else None
        domain = account.domain if account else "mail.example"
        person = Person(
            name=f"Customer {n}",
            email=f"customer{n}@{domain}",
            phone=f"+1555{n:07d}",
            company=account.name if account else "",
        )
        people.append(person)
        contacts.append(
            Contact(name=person.name, account=account, email=person.email, phone=person.phone)
        )
    contacts = Contact.objects.bulk_create(contacts, batch_size=500)
    identities = []
    for contact, person in zip(contacts, people, strict=True):
        for kind, address in ((AddressKind.EMAIL, person.email), (AddressKind.PHONE, person.phone)):
            identities.append(
                Identity(contact=contact, kind=kind, address=normalize_address(kind, address))
            )
    Identity.objects.bulk_create(identities, batch_size=500)
    return people


def feed(count: int, people: list[Person], rng: random.Random, threads: int = 1
         ) -> dict[str, Any]:  # fmt: skip
    stream = Stream(count, people, rng)
    tallies = [Tally() for _ in range(threads)]
    errors: list[BaseException] = []
    workers = [
        threading.Thread(target=_work, args=(stream, tally, errors), name=f"intake-{n}")
        for n, tally in enumerate(tallies)
    ]
    started, cpu_started = time.perf_counter_ns(), time.process_time_ns()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall_ns = time.perf_counter_ns() - started
    cpu_ns = time.process_time_ns() - cpu_started
    if errors:
        raise errors[0]
    total = Tally()
    for tally in tallies:
        total.new.merge(tally.new)
        total.reply.merge(tally.reply)
        total.misthreaded += tally.misthreaded
        total.transactions += tally.transactions
    figures = summarize(
        count, wall_ns, total.new, total.reply, total.misthreaded, total.transactions
    )
    figures["json"]["threads"] = threads
    figures["json"]["client_cpu_ms_per_message"] = round(cpu_ns / 1e6 / max(count, 1), 3)
    return figures


def _work(stream: Stream, tally: Tally, errors: list[BaseException]) -> None:
    """One thread: receive messages from the stream on this thread's own connection."""
    counter = StatementCounter()
    try:
        with connection.execute_wrapper(counter), counting_commits(connection) as commits:
            while (item := stream.take()) is not None:
                msg, person, is_reply = item
                before = counter.statements
                t0 = time.perf_counter_ns()
                result = receive(msg)
                elapsed = time.perf_counter_ns() - t0
                (tally.reply if is_reply else tally.new).add(elapsed, counter.statements - before)
                if result.is_new_case:
                    tally.misthreaded += is_reply
                    stream.opened(
                        OpenCase(result.case.number, person, msg.channel, msg.provider_id, msg.text)
                    )
        tally.transactions = commits[0] + counter.autocommit
    except BaseException as exc:  # noqa: BLE001 - re-raised by feed() in the main thread
        errors.append(exc)
        with stream.lock:
            stream.next_n = stream.count  # stop the other threads too
    finally:
        connection.close()


def new_message(n: int, person: Person, rng: random.Random) -> InboundMessage:
    channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
    template = rng.choice(TEMPLATES)
    values = draw_values(rng)
    subject, body = fill(template.subject, values), fill(template.body, values)
    meta: dict[str, Any] = {}
    html = ""
    if channel == ChannelKind.EMAIL:
        paragraphs = [body, *rng.sample(CONTEXT, rng.randint(0, 3))]
        disclaimer = DISCLAIMER if rng.random() < 0.4 else ""
        text = "\n\n".join(
            ["Hello,", *paragraphs, f"Best regards,\n{signature_text(person)}", disclaimer]
        ).strip()
        if rng.random() < 0.7:
            html = email_html(paragraphs, person, disclaimer)
    elif channel == ChannelKind.SMS:
        subject, text = "", fill(template.short, values)
    elif channel == ChannelKind.API:
        text = body
        meta = {"activity_data": {"app": "Caseway Mobile 5.2", "os": "Android 14"}}
    else:
        text = body + ("\n\n" + rng.choice(CONTEXT) if rng.random() < 0.5 else "")
    return InboundMessage(
        channel=channel,
        provider_id=_provider_id(channel, n),
        sender=_sender(channel, person),
        subject=subject,
        text=text,
        html=html,
        meta=meta,
    )


def signature_text(person: Person) -> str:
    return (
        f"{person.name}\nCustomer Operations Manager\n{person.company}\n"
        f"12 Harbour Street, 3011 Rotterdam\nPhone {person.phone}"
    )


def email_html(paragraphs: list[str], person: Person, disclaimer: str) -> str:
    """HTML the way desktop mail clients write it: styles, nested spans, a signature table."""
    span = (
        '<span style="font-size:11.0pt;font-family:&quot;Calibri&quot;,sans-serif;color:#1F1F1F">'
    )
    body = "".join(f'<p class="MsoNormal">{span}{p}</span></p>' for p in ["Hello,", *paragraphs])
    return (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        "<style>p.MsoNormal{margin:0cm;font-size:11.0pt;font-family:Calibri,sans-serif}"
        "a:link{color:#0563C1;text-decoration:underline}</style></head>"
        f'<body lang="EN-GB" link="#0563C1"><div class="WordSection1">{body}'
        f'<p class="MsoNormal">{span}Best regards,</span></p>'
        '<table border="0" cellspacing="0" cellpadding="0"><tr><td style="padding:0 12pt 0 0">'
        '<img width="64" height="64" src="cid:logo@company" alt="logo"></td><td>'
        f'<p class="MsoNormal"><b>{span}{person.name}</span></b></p>'
        f'<p class="MsoNormal">{span}Customer Operations Manager | {person.company}</span></p>'
        f'<p class="MsoNormal"><a href="tel:{person.phone}">{span}{person.phone}</span></a></p>'
        "</td></tr></table>"
        f'<p class="MsoNormal"><span style="font-size:7.5pt;color:gray">{disclaimer}</span></p>'
        "</div></body></html>"
    )


def reply_message(n: int, case: OpenCase, rng: random.Random) -> InboundMessage:
    """The customer answers on the case's channel, threading the way that channel does."""
    text = rng.choice(FOLLOW_UPS)
    subject = ""
    values: dict[str, Any] = {}
    html = ""
    if case.channel == ChannelKind.EMAIL:
        quoted = "\n".join(f"> {line}" for line in case.text.splitlines())
        reply = f"{text}\n\n{signature_text(case.person)}"
        text = f"{reply}\n\nOn Monday, Support <support@caseway.example> wrote:\n{quoted}"
        if rng.random() < 0.5:
            html = email_html([rng.choice(FOLLOW_UPS)], case.person, "") + (
                f"<blockquote>{case.text}</blockquote>"
            )
        subject = f"Re: your case {case.number}"
        values["in_reply_to"] = (case.provider_id,)
    elif case.channel == ChannelKind.SMS:
        values["continues_conversation"] = True
    else:
        values["case_reference"] = case.number
    return InboundMessage(
        channel=case.channel,
        provider_id=_provider_id(case.channel, n),
        sender=_sender(case.channel, case.person),
        subject=subject,
        text=text,
        html=html,
        **values,
    )


def _provider_id(channel: str, n: int) -> str:
    if channel == ChannelKind.EMAIL:
        return f"<bench-{n}.{n * 7919 % 104729}@mail.example>"
    if channel == ChannelKind.SMS:
        return f"SM{n:032x}"
    return f"{channel}-{n}"


def _sender(channel: str, person: Person) -> Sender:
    if channel == ChannelKind.SMS:
        return Sender(kind=AddressKind.PHONE, address=person.phone)
    return Sender(kind=AddressKind.EMAIL, address=person.email, name=person.name)


def summarize(
    count: int, wall_ns: int, new: Sample, reply: Sample, misthreaded: int, transactions: int
) -> dict[str, Any]:
    both = sorted(new.latencies_ns + reply.latencies_ns)
    seconds = wall_ns / 1e9

    def ms(value: int) -> float:
        return round(value / 1e6, 3)

    def stats(ordered: list[int]) -> dict[str, float]:
        return {
            "p50_ms": ms(percentile(ordered, 50)),
            "p95_ms": ms(percentile(ordered, 95)),
            "p99_ms": ms(percentile(ordered, 99)),
            "max_ms": ms(ordered[-1] if ordered else 0),
        }

    def per(sample: Sample) -> float:
        return round(sample.statements / max(len(sample.latencies_ns), 1), 2)

    figures = {
        "bench": "intake",
        "db": connection.vendor,
        "messages": count,
        "seconds": round(seconds, 2),
        "per_s": round(count / seconds, 1) if seconds else 0.0,
        **stats(both),
        "queries_per_message": round((new.statements + reply.statements) / max(count, 1), 2),
        "queries_new": per(new),
        "queries_reply": per(reply),
        "transactions_per_message": round(transactions / max(count, 1), 2),
        "misthreaded_replies": misthreaded,
    }
    return {
        "json": figures,
        "new": {**stats(sorted(new.latencies_ns)), "n": len(new.latencies_ns), "q": per(new)},
        "reply": {
            **stats(sorted(reply.latencies_ns)), "n": len(reply.latencies_ns), "q": per(reply)
        },
    }  # fmt: skip


def database_version() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version  # type: ignore[attr-defined]
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"


def report(figures: dict[str, Any]) -> str:
    f, new, reply = figures["json"], figures["new"], figures["reply"]
    rows = [
        ("messages", str(f["messages"]), str(new["n"]), str(reply["n"])),
        ("threads", str(f["threads"]), "", ""),
        ("seconds", f"{f['seconds']:.2f}", "", ""),
        ("messages/s", f"{f['per_s']:.1f}", "", ""),
        *(
            (f"{key[:-3]} latency ms", f"{f[key]:.2f}", f"{new[key]:.2f}", f"{reply[key]:.2f}")
            for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")
        ),
        ("SQL queries/message", f"{f['queries_per_message']:.2f}", f"{new['q']:.2f}",
         f"{reply['q']:.2f}"),
        ("transactions/message", f"{f['transactions_per_message']:.2f}", "", ""),
        ("Python CPU ms/message", f"{f['client_cpu_ms_per_message']:.2f}", "", ""),
        ("replies that opened a case", str(f["misthreaded_replies"]), "", ""),
    ]  # fmt: skip
    header = (
        f"intake benchmark: receive() on {database_version()}, Python "
        f"{platform.python_version()}, Django {django.get_version()}"
    )
    return header + "\n\n" + render_table(("", "all", "new case", "reply"), rows)
