"""Judging a post: VADER's score against the threshold, and the watch list."""

from __future__ import annotations

import pytest

from caseway.listening.models import PostSentiment, WatchWord, WatchWordKind
from caseway.listening.scoring import compile_phrases, current_watch_list, read_post, sentiment_of


@pytest.mark.parametrize(
    ("score", "sentiment"),
    [
        (-0.9, PostSentiment.NEGATIVE),
        (-0.01, PostSentiment.NEGATIVE),
        (0.0, PostSentiment.NEUTRAL),
        (0.049, PostSentiment.NEUTRAL),
        (0.05, PostSentiment.POSITIVE),
    ],
)
def test_the_threshold_of_the_settings_splits_negative_from_neutral(settings, score, sentiment):
    settings.CASEWAY_LISTENING_NEGATIVE_THRESHOLD = -0.01
    assert sentiment_of(score) == sentiment


def test_a_stricter_threshold_leaves_mild_posts_neutral(settings):
    settings.CASEWAY_LISTENING_NEGATIVE_THRESHOLD = -0.5
    assert sentiment_of(-0.3) == PostSentiment.NEUTRAL


def test_phrases_match_whole_words_in_any_case_and_spacing():
    pattern = compile_phrases(["not working", "refund"])
    assert pattern is not None
    assert pattern.search("The app is NOT   working again")
    assert pattern.search("refund!")
    assert not pattern.search("refunded twice")
    assert not pattern.search("nothing is notworking")
    assert compile_phrases(["  ", ""]) is None


@pytest.mark.django_db
def test_a_factual_complaint_scored_neutral_is_still_a_complaint():
    reading = read_post("My parcel never arrived and I would like a refund.")
    assert reading.complaint_words == ("never arrived", "refund")
    assert reading.opens_case


@pytest.mark.django_db
def test_praise_opens_nothing():
    reading = read_post("Great service, thank you so much!")
    assert reading.sentiment == PostSentiment.POSITIVE
    assert not reading.opens_case


@pytest.mark.django_db
def test_edits_to_the_watch_list_apply_at_once():
    assert read_post("The Zephyr blender is fine").products == ()
    word = WatchWord.objects.create(phrase="zephyr blender", kind=WatchWordKind.PRODUCT)
    assert read_post("The Zephyr blender is fine").products == ("zephyr blender",)
    word.is_active = False
    word.save()
    assert read_post("The Zephyr blender is fine").products == ()
    WatchWord.objects.filter(kind=WatchWordKind.COMPLAINT).delete()
    assert current_watch_list().complaint is None
    assert not read_post("I want a refund").is_complaint
