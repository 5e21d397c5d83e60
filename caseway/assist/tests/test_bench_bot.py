import json
from io import StringIO

import numpy as np
import pytest
from django.core.management import call_command

from caseway.assist.confidence import fit_logistic, score

INTENTS = {
    "reset_password": ["I forgot my password", "reset my password", "how do I change my password",
                       "lost my password", "password reset please", "can't remember my password"],
    "track_order": ["where is my order", "track my parcel", "when does my package arrive",
                    "has my order shipped", "order tracking", "where's my delivery"],
    "refund": ["I want a refund", "give me my money back", "how do I get a refund",
               "refund my purchase", "return for a refund", "can I be refunded"],
}  # fmt: skip


@pytest.fixture
def clinc(tmp_path):
    train = [[q, intent] for intent, qs in INTENTS.items() for q in qs]
    data = {
        "train": train,
        "val": [["reset the password", "reset_password"], ["track the parcel", "track_order"]],
        "test": [["please reset my password", "reset_password"], ["refund me", "refund"]],
        "oos_val": [["what is the weather", "oos"]],
        "oos_test": [["sing me a song", "oos"]],
    }
    (tmp_path / "data_full.json").write_text(json.dumps(data))
    return tmp_path


@pytest.mark.django_db
def test_bench_bot_prints_its_figures_and_ends_with_one_json_line(clinc):
    out = StringIO()
    call_command("bench", "bot", "--data", str(clinc), "--asks", "2", "--tune", stdout=out)
    lines = out.getvalue().strip().splitlines()
    figures = json.loads(lines[-1])
    assert figures["bench"] == "bot"
    assert figures["test_in_scope"] == 2
    assert figures["test_out_of_scope"] == 1
    for key in ("test_answered_share", "test_precision", "test_oos_answered_share"):
        assert 0 <= figures[key] <= 1
    assert figures["answer_p95_ms"] >= figures["answer_p50_ms"] > 0
    assert figures["asks"] == 2
    text = "\n".join(lines[:-1])
    assert "confidence fitted on the validation split" in text
    assert "in-scope questions answered" in text


def test_the_logistic_fit_separates_what_is_separable():
    rng = np.random.default_rng(1)
    features = np.vstack([rng.normal(0.8, 0.05, (50, 2)), rng.normal(0.2, 0.05, (50, 2))])
    labels = np.array([1.0] * 50 + [0.0] * 50)
    weights, bias = fit_logistic(features, labels, np.ones(100), l2=1.0)
    assert score((0.85, 0.85), weights=weights, bias=bias) > 0.9
    assert score((0.15, 0.15), weights=weights, bias=bias) < 0.1
