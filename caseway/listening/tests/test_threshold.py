"""The negative threshold is the one the labelled tweets choose, and its figures hold."""

from __future__ import annotations

from django.conf import settings

from bench import listening


def test_the_threshold_in_the_settings_is_the_one_the_development_half_chooses():
    figures, _table = listening.measure()

    assert figures["threshold"] == settings.CASEWAY_LISTENING_NEGATIVE_THRESHOLD
    test = figures["tweets_test"]
    assert test["n"] == 2100 and test["negatives"] == 630
    # The figures docs/channels/social.md reports (VADER on the held-out tweets).
    assert test["precision"] >= 0.95
    assert test["recall"] >= 0.88
    assert test["accuracy"] >= 0.95
    assert figures["reviews"]["n"] == 3708


def test_the_data_is_the_published_set():
    tweets = listening.load(listening.TWEETS)
    assert len(tweets) == 4200
    assert tweets[0].text.startswith("Somehow I was blessed with some really amazing friends")
    assert sum(r.is_negative for r in tweets) == 1299
