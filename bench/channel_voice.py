"""Benchmark driver of the voice channel: signed, real-format Twilio "a call comes in"
webhooks to /hooks/voice/ (half from new callers, half from callers calling again about
their open case); the latency runs until Twilio would have the TwiML (dial or voicemail).

BENCH_ENV = {"TWILIO_ACCOUNT_SID": "ACbe0c0000000000000000000000000000",
             "TWILIO_AUTH_TOKEN": "bench-auth-token-not-a-secret-000"}
"""

from __future__ import annotations

import random
import uuid

from bench.twilio_driver import BENCH_ENV, Form, ensure_settings, post_all

__all__ = ["BENCH_ENV", "drive", "setup"]

PATH = "/hooks/voice/"


def setup() -> None:
    ensure_settings()


def call_form(number: str) -> Form:
    return {
        "Called": "+14155550100", "ToState": "CA", "CallerCountry": "US",
        "Direction": "inbound", "CallerState": "CA", "ToZip": "94107",
        "CallSid": "CA" + uuid.uuid4().hex, "To": "+14155550100", "CallerZip": "94105",
        "ToCountry": "US", "CalledZip": "94107", "ApiVersion": "2010-04-01",
        "CalledCity": "SAN FRANCISCO", "CallStatus": "ringing", "From": number,
        "AccountSid": "ACbe0c0000000000000000000000000000", "CalledCountry": "US",
        "CallerCity": "SAN FRANCISCO", "ToCity": "SAN FRANCISCO", "FromCountry": "US",
        "Caller": number, "FromCity": "SAN FRANCISCO", "CalledState": "CA",
        "FromZip": "94105", "FromState": "CA",
    }  # fmt: skip


def drive(*, web_url: str, smtp_port: int, count: int, concurrency: int) -> list[int]:
    run = random.randrange(100, 999)
    new = count - count // 2
    numbers = [f"+1{run}{i:07d}" for i in range(new)]
    first = [call_form(n) for n in numbers]
    again = [call_form(numbers[i % new]) for i in range(count // 2)]
    return post_all(
        web_url=web_url, path=PATH, phases=[first, again], concurrency=concurrency,
        check=lambda status, body: status == 200 and b"<Response" in body,
    )  # fmt: skip
