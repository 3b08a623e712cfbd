"""Quality data: every record sourced, dated, on a catalog model, in range; and the seed's quantization claims
(Llama 7B MMLU 62.5 -> 61.8 INT8 -> 59.2 INT4) checked against the published records."""

from __future__ import annotations

import tomllib

import pytest

from paramscope import catalog
from paramscope import quality as Q
from paramscope.errors import ConfigError

RAW = tomllib.loads(Q.QUALITY_PATH.read_text())


@pytest.mark.parametrize("table", ["score", "quant_delta"])
def test_every_record_valid(table):
    assert RAW[table]
    for rec in RAW[table]:
        assert rec["source"].startswith("https://")
        assert rec["setting"].strip() and rec["date"][:4].isdigit()
        assert catalog.find(rec["model"])["id"] == rec["model"]
    s, d = Q.load()
    assert len(s) == len(RAW["score"]) and len(d) == len(RAW["quant_delta"])


@pytest.mark.parametrize("bad", [
    {"score": [{"model": "llama-2-7b", "benchmark": "mmlu", "value": 101, "setting": "x", "date": "2023",
                "source": "https://x"}]},
    {"score": [{"model": "llama-2-7b", "benchmark": "mmlu", "value": 45, "setting": "x", "date": "2023",
                "source": "model card"}]},
    {"score": [{"model": "not-a-model", "benchmark": "mmlu", "value": 45, "setting": "x", "date": "2023",
                "source": "https://x"}]},
    {"score": [{"model": "llama-2-7b", "benchmark": "vibes", "value": 45, "setting": "x", "date": "2023",
                "source": "https://x"}]},
    {"quant_delta": [{"model": "llama-3-8b", "scheme": "Q4_0", "metric": "ppl_increase", "setting": "x",
                      "date": "2023", "source": "https://x"}]},
])
def test_bad_records_refused(bad):
    with pytest.raises(ConfigError):
        Q.parse(bad, "test")


def test_scores_match_their_sources():
    # spot checks against the two model cards (transcribed by hand into quality.toml)
    assert Q.score("llama-2-7b").value == 45.3
    assert Q.score("llama-2-70b").value == 68.9
    assert Q.score("llama-3.1-8b", "mmlu", "base").value == 66.7
    assert Q.score("llama-3.1-70b", "mmlu", "instruct").value == 83.6
    assert Q.score("llama-3.1-405b", "gpqa").value == 50.7
    assert Q.score("gpt2", "mmlu") is None  # no published record: no number


def test_seed_quantization_claims_corrected():
    c = Q.seed_claims()
    # the seed's FP16 62.5% is no published Llama 7B MMLU: LLaMA-1 7B 35.1, Llama 2 7B 45.3 (5-shot)
    assert not c["fp16_matches"]
    assert c["published_fp16"]["llama-2-7b"]["value"] == 45.3
    assert c["published_fp16"]["llama-7b"]["value"] == 35.1
    # the seed's losses: INT8 1.1%, INT4 5.3% (relative)
    assert c["seed_int8_loss_pct"] == pytest.approx(1.12)
    assert c["seed_int4_loss_pct"] == pytest.approx(5.28)
    # published: 8-bit weight-only is within 0.01 MMLU points; Q8_0 adds 0.0026 perplexity
    mmlu8 = [d for d in c["published_int8"] if d["metric"] == "mmlu_points"]
    assert mmlu8 and all(abs(d["value"]) <= 0.01 for d in mmlu8)
    # published 4-bit GPTQ (g128) on Llama 3.1 8B Instruct recovers 98.9% (a 1.1% loss), far less than 5.3%
    assert c["int4_published_loss_pct"] and max(c["int4_published_loss_pct"]) < c["seed_int4_loss_pct"] / 2


def test_llamacpp_deltas_monotone_in_bits():
    order = ["Q8_0", "Q6_K", "Q5_K_M", "Q5_K_S", "Q4_K_M", "Q4_K_S", "Q3_K_L", "Q3_K_M", "Q3_K_S", "Q2_K"]
    vals = [Q.deltas(s)[0].value for s in order]
    assert vals == sorted(vals)
