"""The SMS and voice benchmark drivers, once with a tiny count against a live server."""

from __future__ import annotations

import pytest
from django.db import connection

from bench import channel_sms, channel_voice
from caseway.cases.models import ActivityKind, Case
from caseway.core.kinds import ChannelKind


@pytest.fixture
def bench_settings(settings, live_server, transactional_db):
    from caseway.cases.queries import default_queue

    default_queue()
    settings.TWILIO_ACCOUNT_SID = ""
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_WEBHOOK_BASE_URL = live_server.url
    return live_server.url


def _threads() -> int:
    # Threads of the live server share one in-memory SQLite database, which locks its tables.
    return 2 if connection.vendor == "postgresql" else 1


def test_sms_driver_sends_signed_new_and_continuing_messages(bench_settings):
    channel_sms.setup()
    latencies = channel_sms.drive(
        web_url=bench_settings, smtp_port=0, count=6, concurrency=_threads()
    )
    assert len(latencies) == 6 and all(ns > 0 for ns in latencies)
    cases = Case.objects.filter(origin_channel=ChannelKind.SMS)
    assert cases.count() == 3
    assert all(c.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 2 for c in cases)


def test_voice_driver_sends_signed_calls(bench_settings):
    channel_voice.setup()
    latencies = channel_voice.drive(
        web_url=bench_settings, smtp_port=0, count=4, concurrency=_threads()
    )
    assert len(latencies) == 4
    cases = Case.objects.filter(origin_channel=ChannelKind.VOICE)
    assert cases.count() == 2
    assert all(c.activities.filter(kind=ActivityKind.PHONE_CALL).count() == 2 for c in cases)
