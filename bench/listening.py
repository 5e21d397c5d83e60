"""listening: social listening's sentiment on human-labelled tweets: accuracy, precision and
recall of "negative", and the threshold chosen from the data.

Data: VADER's own evaluation sets (bench/data/vader_icwsm2014/, from the vaderSentiment
3.3.2 source distribution, MIT): 4,200 tweets and 3,708 product-review sentences, each with
the mean of 20 or more human ratings from -4 to +4. A text is negative when its mean rating
is below 0 (the raters, on balance, found it negative).

The threshold (a post is negative when VADER's compound score is at or below it) is chosen
on the tweets with odd ids (the development half) as the one with the best F1 of negative;
figures are reported on the tweets with even ids (the test half), which never choose
anything, and on the review sentences (another kind of text: customers writing about
products). "+ watch list" also counts a text as a complaint when it holds one of the
complaint phrases the listening app installs by default (migration 0002), as listening
does when it decides to open a case.

Caveat: VADER's authors evaluated VADER on these very sets, so its figures here flatter it.

Run: `python -m bench.listening` (no database needed), or `caseway bench listening` once
the lead registers it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Any, TextIO

from bench.measure import render_table

DATA = Path(__file__).parent / "data" / "vader_icwsm2014"
TWEETS = "tweets_GroundTruth.txt"
REVIEWS = "amazonReviewSnippets_GroundTruth.txt"
GOLD_NEGATIVE_BELOW = 0.0
GRID = [round(-0.95 + 0.01 * i, 2) for i in range(95)]  # -0.95 ... -0.01


@dataclass(frozen=True)
class Row:
    id: str
    rating: float
    text: str

    @property
    def is_negative(self) -> bool:
        return self.rating < GOLD_NEGATIVE_BELOW


@dataclass(frozen=True)
class Scores:
    n: int
    negatives: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    flagged: int

    def as_dict(self) -> dict[str, float]:
        return {
            "n": self.n,
            "negatives": self.negatives,
            "accuracy": round(self.accuracy, 4),
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }


def load(name: str, data: Path = DATA) -> list[Row]:
    rows = []
    for line in (data / name).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) >= 3:
            rows.append(Row(parts[0].strip(), float(parts[1]), "\t".join(parts[2:]).strip()))
    return rows


def evaluate(rows: Sequence[Row], flagged: Callable[[Row], bool]) -> Scores:
    tp = fp = fn = tn = 0
    for row in rows:
        predicted = flagged(row)
        if predicted and row.is_negative:
            tp += 1
        elif predicted:
            fp += 1
        elif row.is_negative:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(
        n=len(rows),
        negatives=tp + fn,
        accuracy=(tp + tn) / len(rows) if rows else 0.0,
        precision=precision,
        recall=recall,
        f1=f1,
        flagged=tp + fp,
    )


def complaint_phrases() -> list[str]:
    migration = import_module("caseway.listening.migrations.0002_default_watch_list")
    return list(migration.COMPLAINT_PHRASES)


def choose_threshold(rows: Sequence[Row], scores: dict[str, float]) -> tuple[float, Scores]:
    """The grid threshold with the best F1 of negative on `rows` (ties: the one nearer 0,
    which flags more)."""
    best: tuple[float, Scores] | None = None
    for threshold in GRID:
        result = evaluate(rows, lambda r, t=threshold: scores[r.id] <= t)  # type: ignore[misc]
        if best is None or result.f1 >= best[1].f1:
            best = (threshold, result)
    assert best is not None
    return best


def measure(data: Path = DATA) -> tuple[dict[str, Any], str]:
    """Every figure of the benchmark, and its table."""
    from caseway.listening.scoring import compile_phrases, polarity

    tweets, reviews = load(TWEETS, data), load(REVIEWS, data)
    tweet_scores = {r.id: polarity(r.text) for r in tweets}
    review_scores = {r.id: polarity(r.text) for r in reviews}
    dev = [r for r in tweets if int(r.id) % 2 == 1]
    test = [r for r in tweets if int(r.id) % 2 == 0]
    threshold, dev_result = choose_threshold(dev, tweet_scores)
    pattern = compile_phrases(complaint_phrases())

    def vader(scores: dict[str, float]) -> Callable[[Row], bool]:
        return lambda r: scores[r.id] <= threshold

    def with_watch_list(scores: dict[str, float]) -> Callable[[Row], bool]:
        return lambda r: scores[r.id] <= threshold or bool(pattern and pattern.search(r.text))

    default_cut = evaluate(test, lambda r: tweet_scores[r.id] <= -0.05)
    results = {
        "tweets_dev": dev_result,
        "tweets_test": evaluate(test, vader(tweet_scores)),
        "tweets_test_watch_list": evaluate(test, with_watch_list(tweet_scores)),
        "reviews": evaluate(reviews, vader(review_scores)),
        "reviews_watch_list": evaluate(reviews, with_watch_list(review_scores)),
        "tweets_test_vader_default_cut": default_cut,
    }
    labels = {
        "tweets_dev": "tweets, development half (chooses)",
        "tweets_test": "tweets, test half",
        "tweets_test_watch_list": "tweets, test half + watch list",
        "reviews": "review sentences",
        "reviews_watch_list": "review sentences + watch list",
        "tweets_test_vader_default_cut": "tweets, test half, VADER's -0.05",
    }
    table = render_table(
        ["set", "texts", "negative", "flagged", "accuracy", "precision", "recall", "F1"],
        [
            [
                labels[key],
                str(r.n),
                str(r.negatives),
                str(r.flagged),
                f"{r.accuracy:.3f}",
                f"{r.precision:.3f}",
                f"{r.recall:.3f}",
                f"{r.f1:.3f}",
            ]
            for key, r in results.items()
        ],
    )
    text = (
        f"negative threshold chosen on the development half: compound <= {threshold}\n"
        f"(gold: mean human rating < {GOLD_NEGATIVE_BELOW}; grid {GRID[0]} .. {GRID[-1]})\n\n"
        + table
    )
    figures: dict[str, Any] = {"threshold": threshold}
    figures.update({key: r.as_dict() for key, r in results.items()})
    return figures, text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", default=str(DATA), help=f"directory of the sets ({DATA})")


def inner_argv(options: dict[str, Any]) -> list[str]:
    return ["--data", str(options["data"])]


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    figures, text = measure(Path(options["data"]))
    out.write("listening benchmark: VADER on human-labelled tweets\n\n" + text + "\n")
    out.write(json.dumps({"bench": "listening", **figures}) + "\n")
    return figures


def main(argv: list[str] | None = None) -> None:
    import django

    django.setup()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_arguments(parser)
    run(options=vars(parser.parse_args(argv)), out=sys.stdout)


if __name__ == "__main__":
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caseway.config.settings")
    main()
