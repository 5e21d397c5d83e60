import json
from io import StringIO

import pytest
from django.core.management import call_command

from bench.search import evaluate, intent_title, rank_of, scores

pytestmark = pytest.mark.django_db


SENTENCES = {
    "translate": [
        "how do you say hello in french", "translate thank you to spanish",
        "what is the german word for apple", "say good night in italian",
        "how would i say cheese in dutch",
    ],
    "balance": [
        "what is my account balance", "how much money do i have", "show my checking balance",
        "tell me my savings total", "how much is left in my account",
    ],
    "weather": [
        "will it rain tomorrow", "what is the weather like today", "is it cold outside",
        "do i need an umbrella", "what is the forecast for the weekend",
    ],
}  # fmt: skip


def test_bench_search_latency_prints_a_table_and_ends_with_one_json_line(tmp_path):
    # A tiny data set of CLINC150's shape: the benchmark never depends on files outside
    # the repository in tests.
    rows = [[text, intent] for intent, texts in SENTENCES.items() for text in texts]
    (tmp_path / "data_full.json").write_text(
        json.dumps({"train": rows, "val": rows, "test": rows, "oos_val": [], "oos_test": []})
    )
    out = StringIO()
    call_command(
        "bench", "search", "--articles", "40", "--queries", "10", "--skip-relevance",
        "--data", str(tmp_path), stdout=out,
    )  # fmt: skip
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "search"
    assert figures["articles"] == 40
    assert figures["vectors"] >= 40 * 3
    assert figures["hybrid_hits_per_search"] > 0
    assert figures["hybrid_p95_ms"] >= figures["hybrid_p50_ms"] > 0
    assert "hybrid p50 / p95 / p99 ms" in "\n".join(lines[:-1])


def test_relevance_metrics():
    assert intent_title("change_accent") == "Change accent"
    assert rank_of(3, [5, 3, 1]) == 2
    assert rank_of(9, [5, 3, 1]) is None
    assert scores([1, 2, None, 11]) == {"r1": 0.25, "r5": 0.5, "mrr": 0.375}
    rows = [(1, [1, 2], [(2, 0.9), (1, 0.5)]), (2, [1], [(2, 0.2)])]
    result = evaluate(rows, k=1, lexical_weight=1.0, floor=0.3)
    assert result["lexical"] == {"r1": 0.5, "r5": 0.5, "mrr": 0.5}
    assert result["semantic"] == {"r1": 0.5, "r5": 1.0, "mrr": 0.75}
    assert result["hybrid"]["r5"] == 0.5  # the floor drops article 2's weak match
