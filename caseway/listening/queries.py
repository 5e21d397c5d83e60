"""Reads of what social listening heard."""

from __future__ import annotations

from django.db.models import Count

from caseway.listening.models import SocialPost


def post_counts(*, channel: str = "") -> dict[str, dict[str, int]]:
    """How many public posts were heard, by verdict and by sentiment (one query)."""
    posts = SocialPost.objects.all()
    if channel:
        posts = posts.filter(channel=channel)
    counts: dict[str, dict[str, int]] = {"verdict": {}, "sentiment": {}}
    rows = posts.values("verdict", "sentiment").annotate(n=Count("pk")).order_by()
    for row in rows:
        for key in ("verdict", "sentiment"):
            bucket = counts[key]
            bucket[row[key]] = bucket.get(row[key], 0) + row["n"]
    return counts
