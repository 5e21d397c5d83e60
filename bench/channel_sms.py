"""Benchmark driver of the SMS channel: signed, real-format Twilio "a message comes in"
webhooks to /hooks/sms/ (half from new numbers, half continuing those conversations); the
latency runs until Twilio would see the empty TwiML answer.

BENCH_ENV = {"TWILIO_ACCOUNT_SID": "ACbe0c0000000000000000000000000000",
             "TWILIO_AUTH_TOKEN": "bench-auth-token-not-a-secret-000"}
"""

from __future__ import annotations

import random
import uuid

from bench.twilio_driver import BENCH_ENV, Form, ensure_settings, post_all

__all__ = ["BENCH_ENV", "drive", "setup"]

PATH = "/hooks/sms/"


def setup() -> None:
    """Nothing in the database: a new number is a new contact. Settings only."""
    ensure_settings()


def sms_form(number: str, body: str) -> Form:
    sid = "SM" + uuid.uuid4().hex
    return {
        "ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0",
        "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": sid, "FromState": "CA",
        "SmsStatus": "received", "FromCity": "SAN FRANCISCO", "Body": body,
        "FromCountry": "US", "To": "+14155550100", "ToZip": "94107", "NumSegments": "1",
        "MessageSid": sid, "AccountSid": "ACbe0c0000000000000000000000000000",
        "From": number, "ApiVersion": "2010-04-01",
    }  # fmt: skip


def drive(*, web_url: str, smtp_port: int, count: int, concurrency: int) -> list[int]:
    run = random.randrange(100, 999)
    new = count - count // 2
    numbers = [f"+1{run}{i:07d}" for i in range(new)]
    first = [sms_form(n, f"My order {i} has not arrived yet.") for i, n in enumerate(numbers)]
    replies = [sms_form(numbers[i % new], "Any news on this?") for i in range(count // 2)]
    return post_all(
        web_url=web_url, path=PATH, phases=[first, replies], concurrency=concurrency,
        check=lambda status, body: status == 200 and b"<Response" in body,
    )  # fmt: skip
