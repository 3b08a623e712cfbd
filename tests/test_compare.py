"""compare and select: their numbers are fit's and perf's for the same deployment; seed 001's efficiency
index from its own inputs; select's tiers and constraints; bad input."""

from __future__ import annotations

import json

import pytest

from paramscope.cli import main
from paramscope.economics import efficiency_index


def _json(capsys, argv):
    rc = main(argv)
    out = capsys.readouterr().out
    return rc, json.loads(out) if out.strip().startswith("{") else None


def test_seed_efficiency_index_from_its_own_inputs():
    # seed 001 s3: (85% x 100 tokens/s) / $1.2 = 70.8; (92% x 25 tokens/s) / $8.0 = 2.9
    assert round(efficiency_index(85, 100, 1.2), 1) == 70.8
    assert round(efficiency_index(92, 25, 8.0), 1) == 2.9


@pytest.mark.parametrize("model,weights", [("llama-3.1-8b", "native"), ("llama-3.1-70b", "fp8"),
                                           ("llama-2-7b", "Q4_K_M")])
def test_compare_equals_fit_and_perf(capsys, model, weights):
    rc, d = _json(capsys, ["compare", model, "--gpu", "h100-sxm", "--weights", weights, "--batch", "4", "--json"])
    assert rc == 0
    s = d["rows"][0]["serving"]
    flags = ["--gpu", "h100-sxm", "--weights", weights, "--batch", "4", "--count", str(s["gpus"]), "--json"]
    _, fit = _json(capsys, ["fit", model, *flags])
    _, perf = _json(capsys, ["perf", model, *flags])
    assert s["per_gpu_bytes"] == fit["per_gpu_bytes"] == perf["per_gpu_bytes"]
    assert s["capacity_bytes"] == fit["capacity_bytes"]
    assert s["decode_tokens_per_s"] == perf["decode_tokens_per_s"]
    assert s["ttft_s"] == perf["ttft_s"] and s["tpot_s"] == perf["tpot_s"]
    assert fit["fewest_gpus"] == s["gpus"]  # compare picks the fewest GPUs that hold it


def test_compare_cost_and_quality(capsys):
    rc, d = _json(capsys, ["compare", "llama-3.1-8b", "--gpu", "h100-sxm", "--price-per-hour", "2", "--json"])
    r = d["rows"][0]
    s = r["serving"]
    assert s["usd_per_hour"] == 2 * s["gpus"]
    assert s["usd_per_mtok"] == pytest.approx(s["usd_per_hour"] / (s["decode_tokens_per_s"] * 3600) * 1e6)
    assert r["quality"]["value"] == 66.7
    assert r["efficiency_index"] == pytest.approx(0.667 * s["decode_tokens_per_s"] / s["usd_per_hour"])


def test_select_picks_cheapest_meeting_constraints(capsys):
    rc, d = _json(capsys, ["select", "llama-2-7b", "llama-3.1-8b", "llama-3.1-70b", "--gpu", "h100-sxm",
                           "--min-score", "60", "--tier", "near-real-time", "--json"])
    assert rc == 0
    best = d["choice"]
    assert best["quality"]["value"] >= 60 and best["serving"]["ttft_s"] < 1.0
    ok = [c for c in d["candidates"] if c["meets"]]
    assert best["serving"]["usd_per_mtok"] == min(c["serving"]["usd_per_mtok"] for c in ok)
    assert all(c["quality"] is None or c["quality"]["value"] < 60 or c["serving"] is None or not c["meets"]
               or c["serving"]["usd_per_mtok"] >= best["serving"]["usd_per_mtok"] for c in d["candidates"])
    assert "llama-2-7b" not in {c["ref"] for c in ok}  # 45.3 < 60


def test_select_batch_tier_bounds_end_to_end(capsys):
    rc, d = _json(capsys, ["select", "llama-3.1-8b", "--gpu", "h100-sxm", "--tier", "batch", "--json"])
    assert rc == 0 and d["tier"]["bounds"] == "e2e_s" and d["choice"]["serving"]["e2e_s"] < 10


@pytest.mark.parametrize("argv,msg", [
    (["select", "llama-3.1-8b", "--gpu", "h100-sxm", "--min-score", "101"], "score"),
    (["select", "llama-3.1-8b", "--gpu", "h100-sxm", "--tier", "instant"], "tier"),
    (["select", "llama-3.1-8b", "--gpu", "h100-sxm", "--min-score", "95"], "no candidate"),
    (["compare", "llama-3.1-8b", "--gpu", "h100-sxm", "--price-class", "spot", "--price-per-hour", "1"],
     "contradict"),
    (["compare", "llama-3.1-8b", "--gpu", "a10", "--price-class", "spot"], "no spot price"),
    (["compare", "llama-3.1-8b", "--gpu", "h100-sxm", "--price-per-hour", "0"], "positive"),
])
def test_bad_input(capsys, argv, msg):
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc != 0 and err.count("\n") == 1 and msg in err


def test_quality_follows_the_weight_scheme(capsys):
    """compare, select and plan adjust the published score by the scheme's published delta with one rule
    (quality.scheme_score); a scheme whose only published delta is perplexity gets no score, never the 16-bit one."""
    from paramscope.quality import deltas, score

    rc, d = _json(capsys, ["compare", "llama-3.1-8b", "--gpu", "h100-sxm", "--weights", "native,int8,gptq-int4,Q4_K_M",
                           "--json"])
    q = {r["weights"]: r["quality"] for r in d["rows"]}
    base = score("llama-3.1-8b", "mmlu").value
    pts = [x for x in deltas("int8") if x.metric == "mmlu_points"]
    rec = [x for x in deltas("gptq-int4") if x.metric == "recovery_pct"]
    assert q["native"]["value"] == base
    assert q["int8"]["value"] == pytest.approx(base + sum(x.value for x in pts) / len(pts))
    assert q["gptq-int4"]["value"] == pytest.approx(base * rec[0].value / 100) and q["gptq-int4"]["assumption"]
    assert q["Q4_K_M"]["value"] is None and "ppl_increase" in q["Q4_K_M"]["reason"]
    eff = {r["weights"]: r["efficiency_index"] for r in d["rows"]}
    assert eff["Q4_K_M"] is None and eff["gptq-int4"] is not None
    rc, s = _json(capsys, ["select", "llama-3.1-8b", "--gpu", "h100-sxm", "--weights", "gptq-int4,Q4_K_M",
                           "--min-score", "60", "--json"])
    why = {c["weights"]: c["why_not"] for c in s["candidates"]}
    assert any("ppl_increase" in w for w in why["Q4_K_M"]) and s["choice"]["weights"] == "gptq-int4"
    assert s["choice"]["quality"]["value"] == q["gptq-int4"]["value"]
