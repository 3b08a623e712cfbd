"""The continuous-batching simulator against published serving benchmarks (tests/data/serving_benchmarks.toml;
docs/validation.md "Serving simulator vs published benchmarks"). The asserted medians are the ones reached on
the validation rows (with a small margin); vLLM's and SGLang's data-center constants were fitted on the
calibration rows of the 4090 / SGLang-v0.3 / vLLM-v0.6 sources (scripts/fit_serving.py); of the vLLM 0.14.1
H200 sweep (ids "do-..."), the one source with tail percentiles (p95, p99), only vLLM's per-request front-end
time was fitted, on its calibration rows, every other constant fixed."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("numpy")

from paramscope import catalog  # noqa: E402
from paramscope.hardware import get_hardware  # noqa: E402
from paramscope.plan.validate import compare, load_benchmarks, median_abs_errors  # noqa: E402

DATA = Path(__file__).parent / "data" / "serving_benchmarks.toml"


TAIL_SOURCE = "do-"  # the vLLM 0.14.1 H200 ShareGPT sweep: p50 / p95 / p99 of TTFT, TPOT and ITL


@pytest.fixture(scope="module")
def rows():
    return compare(load_benchmarks(DATA))


def _first_sources(rows):  # the sources the constants were fitted on (their calibration rows)
    return [r for r in rows if not r["id"].startswith(TAIL_SOURCE)]


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
    assert v["requests_per_s"] <= 0.08  # reached 7.2% (target 10%: met)
    assert v["output_tokens_per_s"] <= 0.07  # reached 5.0% over every source (5.9% without the H200 sweep)


def test_latency_median_errors(rows):
    """Medians over the validation rows of the sources the constants were fitted on (docs/validation.md):
    TTFT p50 15.4%, ITL p50 7.7% (per token), TPOT p50 3.7%, end-to-end p50 6.3% (targets 20%: met); the 4090
    sweep alone misses TTFT (52%: its client and HTTP time under load, which the simulator does not have)."""
    v = median_abs_errors(_first_sources(rows), "validation")
    assert v["ttft_p50_ms"] <= 0.18
    assert v["itl_p50_ms"] <= 0.10
    assert v["tpot_p50_ms"] <= 0.05
    assert v["e2e_p50_ms"] <= 0.08
    assert v["ttft_p99_ms"] <= 0.45  # the 4090 sweep prints a p99 (reached 40.9%)


def test_tail_latency_median_errors(rows):
    """The H200 sweep (vLLM 0.14.1, Llama-3.1-70B FP8, ShareGPT at 0.5-3 requests/s), its validation rows:
    the p95 targets (20%) are met for TTFT (3.5%), ITL (11.9%) and TPOT (10.8%), and its p99s are within 12%.
    TTFT needed vLLM's per-request front-end time (request_overhead_s, 26.5 ms), fitted on this sweep's
    CALIBRATION rows only with every other vLLM constant fixed (scripts/fit_serving.py TAIL_GROUPS); without it
    TTFT p95 was 35.8% and p50 39%. No source found prints a p90."""
    v = median_abs_errors([r for r in rows if r["id"].startswith(TAIL_SOURCE)], "validation")
    assert v["itl_p95_ms"] <= 0.13
    assert v["tpot_p95_ms"] <= 0.12
    assert v["itl_p99_ms"] <= 0.13
    assert v["tpot_p99_ms"] <= 0.12
    assert v["ttft_p95_ms"] <= 0.06  # reached 3.5%
    assert v["ttft_p50_ms"] <= 0.06  # reached 3.6%
    assert v["output_tokens_per_s"] <= 0.06  # reached 4.2%


def test_all_sources_median_errors(rows):
    """Over every source's validation rows together: TTFT p50 9.0%, TPOT p50 9.1%, ITL p50 12.3%, TTFT p99
    12.9% (two sources); TPOT and ITL are above the first sources' medians because the H200 sweep's are."""
    v = median_abs_errors(rows, "validation")
    assert v["ttft_p50_ms"] <= 0.11
    assert v["tpot_p50_ms"] <= 0.10
    assert v["itl_p50_ms"] <= 0.14
    assert v["ttft_p99_ms"] <= 0.15


def test_engines_and_sources_are_covered(rows):
    ids = {r["id"].split("-")[0] for r in rows if r["set"] == "validation"}
    assert {"rahman", "sglang", "vllm", "do"} <= ids
    tails = {r["metric"] for r in rows if r["set"] == "validation" and r["id"].startswith(TAIL_SOURCE)}
    assert {"ttft_p95_ms", "tpot_p95_ms", "itl_p95_ms", "itl_p99_ms"} <= tails
    recs = load_benchmarks(DATA)
    assert {r["engine"] for r in recs} >= {"vllm", "sglang"}
    for r in recs:  # every compared metric was printed by the source; a record's exclusions name real metrics
        assert set(r.get("not_compared", ())) <= set(r["measured"])


def test_every_prediction_is_finite_and_positive(rows):
    assert rows and all(r["predicted"] > 0 for r in rows)
