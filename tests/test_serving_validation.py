"""The continuous-batching simulator against published serving benchmarks (tests/data/serving_benchmarks.toml;
docs/validation.md "Serving simulator vs published benchmarks"). The asserted medians are the ones reached on
the validation rows (with a small margin); vLLM's and SGLang's data-center constants were fitted on the
calibration rows only (scripts/fit_serving.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("numpy")

from paramscope import catalog  # noqa: E402
from paramscope.hardware import get_hardware  # noqa: E402
from paramscope.plan.validate import compare, load_benchmarks, median_abs_errors  # noqa: E402

DATA = Path(__file__).parent / "data" / "serving_benchmarks.toml"


@pytest.fixture(scope="module")
def rows():
    return compare(load_benchmarks(DATA))


def test_records_are_sourced_and_known():
    recs = load_benchmarks(DATA)
    assert len(recs) >= 17
    assert len({r["id"] for r in recs}) == len(recs)
    for r in recs:
        assert r["source"].startswith("https://")
        assert r["set"] in ("calibration", "validation")
        assert catalog.find(r["model"])["id"] == r["model"]
        get_hardware(r["hardware"])
        assert ("concurrency" in r) != ("rate" in r)
        assert ("dataset" in r) == ("prompt_tokens" not in r)  # fixed lengths or a published dataset
        assert r["measured"]
    assert {r["set"] for r in recs} == {"calibration", "validation"}


def test_throughput_median_error(rows):
    v = median_abs_errors(rows, "validation")
    assert v["requests_per_s"] <= 0.08  # reached 6.6% (target 10%: met)
    assert v["output_tokens_per_s"] <= 0.08  # reached 5.9%


def test_latency_median_errors(rows):
    """Medians over the validation rows of every source (docs/validation.md): TTFT p50 15%, ITL p50 13%,
    TPOT p50 3%, end-to-end p50 5% (targets 20%: met); the 4090 sweep alone misses TTFT (52%: its client
    and HTTP time under load, which the simulator does not have)."""
    v = median_abs_errors(rows, "validation")
    assert v["ttft_p50_ms"] <= 0.18
    assert v["itl_p50_ms"] <= 0.15
    assert v["tpot_p50_ms"] <= 0.05
    assert v["e2e_p50_ms"] <= 0.08
    assert v["ttft_p99_ms"] <= 0.45  # one source prints a p99 (reached 40.9%)


def test_engines_and_sources_are_covered(rows):
    ids = {r["id"].split("-")[0] for r in rows if r["set"] == "validation"}
    assert {"rahman", "sglang", "vllm"} <= ids
    recs = load_benchmarks(DATA)
    assert {r["engine"] for r in recs} >= {"vllm", "sglang"}
    for r in recs:  # every compared metric was printed by the source; a record's exclusions name real metrics
        assert set(r.get("not_compared", ())) <= set(r["measured"])


def test_every_prediction_is_finite_and_positive(rows):
    assert rows and all(r["predicted"] > 0 for r in rows)
