"""search: knowledge-base relevance on CLINC150 and search latency on a large knowledge base.

(a) Relevance. One published article per CLINC150 intent (150): title from the intent's name,
alternate questions = the intent's training queries, body = its first five training queries
as paragraphs. Queries: the test split (4,500 in-scope questions). For lexical, semantic and
hybrid ranking alone: Recall@1, Recall@5 and MRR@10 of the intent's article. The fusion
constants in caseway/knowledge/search.py were chosen on the validation split (--tune prints
that grid search, on the validation split only; the test split is never used to tune).
(c) Latency. The relevance articles are replaced by --articles synthetic published ones made
of CLINC150 training queries (a title, one alternate question, a body of three queries: three
to four vectors each), indexed in batches (not timed), then --queries searches with test
queries, timed one by one (perf_counter_ns) through caseway.knowledge.search.search(limit=10),
snippets included, with the in-memory snapshot warm; its cold load is timed apart.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import random
import sqlite3
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO

import django
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.utils import timezone
from django.utils.html import escape

from bench.measure import StatementCounter, at_least_one, percentile, render_table
from caseway.knowledge import search as kb_search
from caseway.knowledge.index import index_articles
from caseway.knowledge.models import (
    AlternateQuestion,
    Article,
    ArticleState,
    ArticleVersion,
    SearchDocument,
    SearchIndexState,
)
from caseway.knowledge.search import candidates, forget_snapshot, fuse, fusion, snapshot

BATCH = 2_000
DEPTH = 50  # candidates per ranking, as the search itself takes
MRR_AT = 10
BODY_QUERIES = 5
GRID_K = (1, 2, 5, 10, 20, 40, 60, 100)
GRID_LEXICAL_WEIGHT = (0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0)
GRID_FLOOR = (0.0, 0.1, 0.2, 0.3)
Ranking = list[int]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--articles", type=at_least_one, default=10_000, help="articles of the "
                        "latency part (default 10000)")  # fmt: skip
    parser.add_argument("--queries", type=at_least_one, default=500, help="searches timed per "
                        "method (default 500)")  # fmt: skip
    parser.add_argument("--data", default=None, help="CLINC150 directory holding "
                        "data_full.json (default ../shared/data/clinc150)")  # fmt: skip
    parser.add_argument("--tune", action="store_true", help="grid-search the fusion constants "
                        "on the validation split and print the best")  # fmt: skip
    parser.add_argument("--skip-relevance", action="store_true", help="latency part only")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")


def inner_argv(options: dict[str, Any]) -> list[str]:
    argv = [
        "--articles", str(options["articles"]),
        "--queries", str(options["queries"]),
        "--seed", str(options["seed"]),
        "--data", str(data_dir(options["data"])),
    ]  # fmt: skip
    return argv + [flag for flag in ("--tune", "--skip-relevance")
                   if options[flag[2:].replace("-", "_")]]  # fmt: skip


def data_dir(given: str | None) -> Path:
    """CLINC150's directory: --data, else ../shared/data/clinc150 beside the checkout."""
    path = (
        Path(given).resolve()
        if given
        else Path(settings.BASE_DIR).parent / "shared" / "data" / "clinc150"
    )
    if not (path / "data_full.json").exists():
        raise FileNotFoundError(f"no CLINC150 data_full.json in {path}: pass --data DIR")
    return path


def run(*, options: dict[str, Any], out: TextIO) -> dict[str, Any]:
    call_command("migrate", interactive=False, verbosity=0)
    path = data_dir(options["data"]) / "data_full.json"
    data = json.loads(path.read_text())
    rng = random.Random(options["seed"])
    figures: dict[str, Any] = {"bench": "search", "db": connection.vendor}
    sections: list[str] = []
    if not options["skip_relevance"]:
        relevance, tuning, bot = measure_relevance(data, tune=options["tune"], out=out)
        figures.update(relevance)
        sections.append(relevance_table(relevance))
        if tuning:
            sections.append(tuning)
        bot_figures, bot_tables = bot
        figures.update({f"bot_{key}": value for key, value in bot_figures.items()})
        sections.append(bot_tables)
    latency = measure_latency(data, options["articles"], options["queries"], rng)
    figures.update(latency)
    sections.append(latency_table(latency))
    header = (
        f"search benchmark on {database_version()}, Python {platform.python_version()}, "
        f"Django {django.get_version()}, fusion k={fusion().k} lexical weight="
        f"{fusion().lexical_weight} semantic floor={fusion().semantic_floor}"
    )
    out.write(header + "\n\n" + "\n\n".join(sections) + "\n")
    out.write(json.dumps(figures) + "\n")
    return figures


# --- (a) relevance -------------------------------------------------------------------------


def intent_title(intent: str) -> str:
    return intent.replace("_", " ").capitalize()


def create_intent_articles(train: Sequence[Sequence[str]]) -> dict[str, int]:
    """One published article per intent; its id by intent."""
    by_intent: dict[str, list[str]] = {}
    for text, intent in train:
        by_intent.setdefault(intent, []).append(text)
    now = timezone.now()
    articles = Article.objects.bulk_create(
        Article(
            title=intent_title(intent),
            slug=intent.replace("_", "-"),
            body="".join(f"<p>{escape(q)}</p>" for q in queries[:BODY_QUERIES]),
            body_text="\n".join(queries[:BODY_QUERIES]),
            state=ArticleState.PUBLISHED,
            published_at=now,
            current_version=1,
        )
        for intent, queries in sorted(by_intent.items())
    )
    ids = {intent: a.pk for intent, a in zip(sorted(by_intent), articles, strict=True)}
    AlternateQuestion.objects.bulk_create(
        (
            AlternateQuestion(article_id=ids[intent], text=q)
            for intent, queries in by_intent.items()
            for q in queries
        ),
        batch_size=BATCH,
    )
    index_articles(article_ids=ids.values())
    return ids


def rank_of(expected: int, ranking: Ranking) -> int | None:
    """1-based rank of the expected article, None when it is not in the ranking."""
    for n, article_id in enumerate(ranking, start=1):
        if article_id == expected:
            return n
    return None


def scores(ranks: Sequence[int | None]) -> dict[str, float]:
    total = max(len(ranks), 1)
    return {
        "r1": round(sum(1 for r in ranks if r == 1) / total, 4),
        "r5": round(sum(1 for r in ranks if r is not None and r <= 5) / total, 4),
        "mrr": round(sum(1 / r for r in ranks if r is not None and r <= MRR_AT) / total, 4),
    }


Candidates = list[tuple[int, Ranking, list[tuple[int, float]]]]


def gather(queries: Sequence[Sequence[str]], ids: dict[str, int]) -> Candidates:
    """Per query: the expected article, the lexical ranking and the semantic one (no floor)."""
    rows = []
    for text, intent in queries:
        lexical, semantic = candidates(
            text, depth=DEPTH, public_only=True, language=None, floor=-1.0
        )
        rows.append((ids[intent], lexical, semantic))
    return rows


def evaluate(rows: Candidates, *, k: float, lexical_weight: float, floor: float
             ) -> dict[str, dict[str, float]]:  # fmt: skip
    results: dict[str, list[int | None]] = {"lexical": [], "semantic": [], "hybrid": []}
    for expected, lexical, semantic in rows:
        sem = [article_id for article_id, cosine in semantic if cosine >= floor]
        hybrid = [a for a, _ in fuse(lexical, sem, k=k, lexical_weight=lexical_weight)]
        results["lexical"].append(rank_of(expected, lexical))
        results["semantic"].append(rank_of(expected, [a for a, _ in semantic]))
        results["hybrid"].append(rank_of(expected, hybrid))
    return {mode: scores(ranks) for mode, ranks in results.items()}


def measure_relevance(data: dict[str, Any], *, tune: bool, out: TextIO
                      ) -> tuple[dict[str, Any], str, tuple[dict[str, Any], str]]:  # fmt: skip
    ids = create_intent_articles(data["train"])
    configured = {
        "k": fusion().k,
        "lexical_weight": fusion().lexical_weight,
        "floor": fusion().semantic_floor,
    }
    tuning = ""
    val_rows = gather(data["val"], ids)
    if tune:
        tuning = tune_fusion(val_rows)
    val = evaluate(val_rows, **configured)
    test = evaluate(gather(data["test"], ids), **configured)
    figures: dict[str, Any] = {"intents": len(ids), "test_queries": len(data["test"])}
    for split, result in (("val", val), ("test", test)):
        for mode, values in result.items():
            for metric, value in values.items():
                figures[f"{split}_{mode}_{metric}"] = value
    # (b) the bot on the same articles (bench/bot.py imports this module: import it here).
    from bench.bot import measure_bot

    bot = measure_bot(data, ids)
    clear_knowledge_base()
    return figures, tuning, bot


def tune_fusion(val_rows: Candidates) -> str:
    """Every (k, lexical weight, floor) of the grid on the validation split; the best by MRR."""
    results = []
    for k, weight, floor in itertools.product(GRID_K, GRID_LEXICAL_WEIGHT, GRID_FLOOR):
        hybrid = evaluate(val_rows, k=k, lexical_weight=weight, floor=floor)["hybrid"]
        results.append((hybrid["mrr"], hybrid["r1"], hybrid["r5"], k, weight, floor))
    results.sort(reverse=True)
    rows = [
        (f"k={k} w_lex={w} floor={f}", f"{mrr:.4f}", f"{r1:.4f}", f"{r5:.4f}")
        for mrr, r1, r5, k, w, f in results[:10]
    ]
    return "fusion grid on the validation split, best 10 by MRR:\n\n" + render_table(
        ("k / lexical weight / semantic floor", "MRR@10", "R@1", "R@5"), rows
    )


def relevance_table(f: dict[str, Any]) -> str:
    rows = [
        (f"{split} {mode}", *(f"{f[f'{split}_{mode}_{m}']:.4f}" for m in ("r1", "r5", "mrr")))
        for split in ("test", "val")
        for mode in ("lexical", "semantic", "hybrid")
    ]
    return (
        f"(a) relevance on CLINC150: {f['intents']} articles, {f['test_queries']} test "
        "queries\n\n" + render_table(("split / method", "Recall@1", "Recall@5", "MRR@10"), rows)
    )


def clear_knowledge_base() -> None:
    SearchDocument.objects.all().delete()
    ArticleVersion.objects.all().delete()
    AlternateQuestion.objects.all().delete()
    Article.objects.all().delete()
    SearchIndexState.objects.all().delete()
    forget_snapshot()


# --- (c) latency ---------------------------------------------------------------------------


def create_synthetic_articles(train: Sequence[Sequence[str]], count: int, rng: random.Random
                              ) -> float:  # fmt: skip
    """`count` published articles made of training queries, indexed; the seconds it took."""
    started = time.perf_counter()
    by_intent: dict[str, list[str]] = {}
    for text, intent in train:
        by_intent.setdefault(intent, []).append(text)
    intents = sorted(by_intent)
    now = timezone.now()
    for start in range(0, count, BATCH):
        specs = []
        for n in range(start, min(count, start + BATCH)):
            pool = by_intent[intents[n % len(intents)]]
            title, question, *body = rng.sample(pool, 5)
            specs.append((n, title, question, body))
        articles = Article.objects.bulk_create(
            Article(
                title=title,
                slug=f"article-{n}",
                body="".join(f"<p>{escape(q)}</p>" for q in body),
                body_text="\n".join(body),
                state=ArticleState.PUBLISHED,
                published_at=now,
                current_version=1,
            )
            for n, title, _question, body in specs
        )
        AlternateQuestion.objects.bulk_create(
            AlternateQuestion(article_id=a.pk, text=spec[2])
            for a, spec in zip(articles, specs, strict=True)
        )
        index_articles(article_ids=[a.pk for a in articles])
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


def timed(call: Callable[[], object]) -> int:
    t0 = time.perf_counter_ns()
    call()
    return time.perf_counter_ns() - t0


def measure_latency(data: dict[str, Any], articles: int, queries: int, rng: random.Random
                    ) -> dict[str, Any]:  # fmt: skip
    setup_s = create_synthetic_articles(data["train"], articles, rng)
    forget_snapshot()
    load_ms = timed(snapshot) / 1e6
    texts = [text for text, _intent in rng.sample(data["test"], min(queries, len(data["test"])))]
    figures: dict[str, Any] = {
        "articles": articles,
        "vectors": len(snapshot().vectors),
        "setup_s": round(setup_s, 1),
        "snapshot_load_ms": round(load_ms, 1),
        "searches": len(texts),
    }
    kb_search.search(texts[0])  # the model loads on first use; model loading is excluded
    for mode in ("hybrid", "lexical", "semantic"):
        counter = StatementCounter()
        latencies = []
        results = 0
        with connection.execute_wrapper(counter):
            for text in texts:
                t0 = time.perf_counter_ns()
                found = kb_search.search(text, limit=10, mode=mode)
                latencies.append(time.perf_counter_ns() - t0)
                results += len(found)
        latencies.sort()
        figures[f"{mode}_p50_ms"] = round(percentile(latencies, 50) / 1e6, 3)
        figures[f"{mode}_p95_ms"] = round(percentile(latencies, 95) / 1e6, 3)
        figures[f"{mode}_p99_ms"] = round(percentile(latencies, 99) / 1e6, 3)
        figures[f"{mode}_queries_per_search"] = round(counter.statements / len(texts), 2)
        figures[f"{mode}_hits_per_search"] = round(results / len(texts), 2)
    return figures


def latency_table(f: dict[str, Any]) -> str:
    rows = [
        ("articles / vectors", f"{f['articles']} / {f['vectors']}"),
        ("setup + indexing s (not timed)", f"{f['setup_s']:.1f}"),
        ("snapshot cold load ms", f"{f['snapshot_load_ms']:.1f}"),
        ("searches per method", str(f["searches"])),
    ]
    for mode in ("hybrid", "lexical", "semantic"):
        rows += [
            (f"{mode} p50 / p95 / p99 ms",
             f"{f[f'{mode}_p50_ms']:.2f} / {f[f'{mode}_p95_ms']:.2f} / {f[f'{mode}_p99_ms']:.2f}"),
            (f"{mode} SQL queries / hits per search",
             f"{f[f'{mode}_queries_per_search']:.2f} / {f[f'{mode}_hits_per_search']:.2f}"),
        ]  # fmt: skip
    return "(c) latency of search(limit=10), snippets included\n\n" + render_table(
        ("", "value"), rows
    )


def database_version() -> str:
    if connection.vendor == "postgresql":
        version = connection.pg_version  # type: ignore[attr-defined]
        return f"PostgreSQL {version // 10000}.{version % 10000}"
    return f"SQLite {sqlite3.sqlite_version}"
