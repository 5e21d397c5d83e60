"""The benchmark driver against a live server: every delivery accepted, threads kept."""

from __future__ import annotations

import pytest

from bench import channel_social
from caseway.cases.models import ActivityKind, Case, CasePriority
from caseway.listening.models import PostVerdict, SocialPost


@pytest.mark.django_db(transaction=True)
def test_the_driver_sends_signed_deliveries_that_open_and_continue_cases(live_server):
    channel_social.setup()

    latencies = channel_social.drive(web_url=live_server.url, smtp_port=0, count=12, concurrency=1)

    assert len(latencies) == 12
    assert all(ns > 0 for ns in latencies)
    # 6 senders: 2 on Messenger, 2 by X DM, 2 angry mentions; each wrote twice.
    assert Case.objects.count() == 6
    for case in Case.objects.all():
        assert case.activities.filter(kind=ActivityKind.MESSAGE_IN).count() == 2
    assert Case.objects.filter(priority=CasePriority.HIGH, origin_channel="x").count() == 2
    assert SocialPost.objects.filter(verdict=PostVerdict.ADDED_TO_CASE).count() == 2
