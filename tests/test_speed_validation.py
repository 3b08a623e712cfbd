"""Published speed measurements (src/paramscope/data/measurements.toml) and the harness that compares them with
paramscope perf (src/paramscope/validation.py).

Checks the data (every record sourced, on a catalog device and model, a positive value in the phase's unit, a
set that follows the file's split rule) and that the harness gives an outcome for every record: a prediction,
or paramscope's refusal with its reason (counted as a failure, never dropped); and the errors reached on the
VALIDATION set after fitting the constants on the calibration set (scripts/fit_speed.py; docs/validation.md,
"Speed: after fitting"), each with a small margin so that a regression fails, and issue 11's targets (decode
median <= 10% and p90 <= 25%, TTFT median <= 20%).
"""

from __future__ import annotations

import math
import re

import pytest

from paramscope.catalog import all_records
from paramscope.hardware import get_hardware
from paramscope.validation import (
    PHASES,
    REQUIRED,
    SETS,
    UNITS,
    evaluate,
    format_summary,
    load_measurements,
    split_rule,
    summarize,
)

RECORDS = load_measurements()
CATALOG_IDS = {m["id"] for m in all_records()}


def test_enough_records_in_each_set():
    assert len(RECORDS) >= 80
    assert sum(r["set"] == "validation" for r in RECORDS) >= 60
    assert len({r["engine"] for r in RECORDS}) >= 2
    assert len({r["phase"] for r in RECORDS}) >= 3


def test_ids_unique():
    ids = [r["id"] for r in RECORDS]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("r", RECORDS, ids=[r["id"] for r in RECORDS])
def test_record(r):
    missing = [k for k in REQUIRED if k not in r]
    assert not missing, missing
    assert re.match(r"https://\S+$", r["source"]), r["source"]
    get_hardware(r["hardware"])  # raises for an unknown device
    assert r["model"] in CATALOG_IDS
    assert r["phase"] in PHASES and r["unit"] == UNITS[r["phase"]]
    assert isinstance(r["value"], (int, float)) and r["value"] > 0 and math.isfinite(r["value"])
    assert r["set"] in SETS
    assert r["count"] >= 1 and r["tp"] * r["pp"] == r["count"]
    assert r["batch"] >= 0 and r["prompt_tokens"] >= 0 and r["output_tokens"] >= 0
    assert r["prompt_tokens"] + r["output_tokens"] > 0
    if r["batch"] == 0:
        assert r["phase"] == "throughput"  # "maximum load" only means something for an offline throughput run


def test_split_follows_the_stated_rule():
    rule = split_rule(RECORDS)
    moved = [r["id"] for r in RECORDS if r["set"] != rule[r["id"]]]
    assert not moved, f"records not in the set the header's rule gives: {moved}"


def test_harness_runs_for_every_record(capsys):
    outcomes = evaluate(RECORDS)
    assert len(outcomes) == len(RECORDS)
    for o in outcomes:
        assert (o.predicted is None) != (o.refused is None), o
        if o.predicted is not None:
            assert o.predicted > 0 and math.isfinite(o.predicted) and o.batch >= 1
        else:
            assert o.refused.strip()
    summary = summarize(outcomes)
    totals = {r["set"]: r for r in summary if r["engine"] == "all"}
    assert sum(t["records"] for t in totals.values()) == len(RECORDS)
    with capsys.disabled():
        print("\nspeed vs published measurements:\n" + format_summary(summary))
        for o in outcomes:
            if o.refused:
                print(f"refused: {o.record['id']}: {o.refused}")


def test_refusals_are_counted_not_dropped():
    bad = dict(RECORDS[0], id="x", weights="no-such-scheme")
    (o,) = evaluate([bad])
    assert o.predicted is None and o.refused and o.error is None
    row = summarize([o])[0]
    assert row["records"] == 1 and row["refused"] == 1 and math.isnan(row["median_abs_error"])


# (engine, phase) -> (median |error| reached, p90 |error| reached) on the validation set, after fitting; over
# the records the split rule covers (the held-out MLPerf suite is asserted apart, below)
REACHED = {("llama.cpp", "decode"): (0.08, 0.15), ("llama.cpp", "prefill"): (0.06, 0.21),
           ("tensorrt-llm", "throughput"): (0.12, 0.26), ("all", "all"): (0.09, 0.21)}
# the MLPerf Inference Llama-2-70B Offline results (v4.0, v4.1, v5.1; held out: no fit saw them)
REACHED_MLPERF = {("tensorrt-llm (mlperf)", "throughput"): (0.22, 0.39),
                  ("vllm (mlperf)", "throughput"): (0.17, 0.24), ("all", "all"): (0.20, 0.35)}
# every validation record together, MLPerf included: p90 25% (21% without it, the MLPerf rows are the reason)
REACHED_ALL = {("all", "all"): (0.10, 0.25)}
MARGIN = 0.02


def _validation_summary(which=lambda r: not r.get("held_out")):
    outcomes = evaluate([r for r in RECORDS if r["set"] == "validation" and which(r)])
    return outcomes, {(r["engine"], r["phase"]): r for r in summarize(outcomes)}


def test_validation_errors_reached():
    outcomes, rows = _validation_summary()
    assert not [o.record["id"] for o in outcomes if o.refused], "a setup that was really run is refused"
    for key, (med, p90) in REACHED.items():
        r = rows[key]
        assert r["median_abs_error"] <= med + MARGIN, (key, r)
        assert r["p90_abs_error"] <= p90 + MARGIN, (key, r)


@pytest.mark.parametrize("which,reached", [(lambda r: r.get("suite") == "mlperf", REACHED_MLPERF),
                                           (lambda r: True, REACHED_ALL)], ids=["mlperf", "all"])
def test_held_out_errors_reached(which, reached):
    """MLPerf Inference Llama-2-70B Offline (docs/validation.md, "MLPerf Inference, held out"): the offline
    scenario is modelled as a steady maximum batch of mean-length sequences (294 in, 294 out), so the errors
    include the spread of real lengths and three rounds of engine improvements on the same hardware."""
    outcomes, rows = _validation_summary(which)
    assert not [o.record["id"] for o in outcomes if o.refused]
    for key, (med, p90) in reached.items():
        r = rows[key]
        assert r["median_abs_error"] <= med + MARGIN, (key, r)
        assert r["p90_abs_error"] <= p90 + MARGIN, (key, r)


def test_held_out_records_are_validation_only():
    held = [r for r in RECORDS if r.get("held_out")]
    assert len(held) >= 13 and {r["suite"] for r in held} == {"mlperf"}
    assert all(r["set"] == "validation" for r in held)
    assert {r["hardware"] for r in held} >= {"h100-sxm", "h200-sxm", "b200", "mi300x"}
    assert {r["engine"] for r in held} == {"tensorrt-llm", "vllm"}
    for r in held:
        assert r["phase"] == "throughput" and r["replicas"] >= 1 and "mlcommons/inference_results_v" in r["source"]
    # a held-out record takes no place in the split rule: dropping them leaves every other record's set
    rest = [r for r in RECORDS if not r.get("held_out")]
    assert split_rule(rest) == {k: v for k, v in split_rule(RECORDS).items() if k in {r["id"] for r in rest}}


def test_replicas_multiply_one_copy():
    from paramscope.validation import predict

    r = next(r for r in RECORDS if r.get("replicas", 1) > 1)
    one, b1 = predict(dict(r, replicas=1))
    many, b = predict(r)
    assert b == b1 and many == pytest.approx(one * r["replicas"], rel=1e-12)


def test_issue_targets_met():
    """decode median <= 10% and p90 <= 25%, TTFT (prefill) median <= 20%."""
    _, rows = _validation_summary()
    assert rows[("llama.cpp", "decode")]["median_abs_error"] <= 0.10
    assert rows[("llama.cpp", "decode")]["p90_abs_error"] <= 0.25
    assert rows[("llama.cpp", "prefill")]["median_abs_error"] <= 0.20


def test_no_calibration_record_is_refused():
    refused = [o.record["id"] for o in evaluate([r for r in RECORDS if r["set"] == "calibration"]) if o.refused]
    assert not refused
