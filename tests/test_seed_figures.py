"""Seed figures against their independent sources: Hugging Face checkpoints' parameter counts (safetensors
metadata), papers' tables and model cards. Not paramscope's formulas restated."""

from __future__ import annotations

import pytest

from paramscope.model import load_model
from paramscope.params import analyze

# model -> (total, source). Exact integers: the checkpoints' safetensors parameter totals.
EXACT = {
    "llama-2-7b": 6_738_415_616,  # meta-llama/Llama-2-7b-hf
    "llama-2-13b": 13_015_864_320,
    "llama-2-70b": 68_976_648_192,
    "mixtral-8x7b": 46_702_792_704,  # Mistral: 46.7B
    "gpt-oss-20b": 20_914_757_184,  # OpenAI model card: 20.91B
    "gpt2-xl": 1_557_611_200,
}
# model -> (published, relative tolerance from the paper's rounding)
ROUNDED = {
    "llama-65b": (65.2e9, 0.002),  # Touvron et al. 2023a Table 2 truncates 65.29B to "65.2B" (seed 000)
    "gpt-1": (117e6, 0.005),
    "gpt3-175b": (175e9, 0.005),
    "deepseek-v3": (671e9, 0.001),
    "mt-nlg-530b": (530e9, 0.002),
}


@pytest.mark.parametrize("model_id", sorted(EXACT))
def test_exact_totals(model_id):
    assert analyze(load_model(model_id)).total == EXACT[model_id]


@pytest.mark.parametrize("model_id", sorted(ROUNDED))
def test_rounded_totals(model_id):
    value, tol = ROUNDED[model_id]
    assert analyze(load_model(model_id)).total == pytest.approx(value, rel=tol)


def test_moe_active_counts_as_published():
    assert analyze(load_model("mixtral-8x7b")).active == pytest.approx(12.9e9, rel=0.005)
    assert analyze(load_model("deepseek-v3")).active == pytest.approx(37e9, rel=0.02)
    # gpt-oss model card: 3.61B / 5.13B active, counting the unembedding but not the input embedding
    for model_id, active in (("gpt-oss-20b", 3.61e9), ("gpt-oss-120b", 5.13e9)):
        r = analyze(load_model(model_id))
        assert r.active - r.by_role["embedding"] == pytest.approx(active, rel=0.005)
    assert analyze(load_model("gpt-oss-120b")).total == pytest.approx(116.83e9, rel=0.0005)


def test_rule_of_thumb_next_to_exact():
    r = analyze(load_model("llama-7b")).to_dict()["rule_of_thumb"]
    assert r["estimate"] == 12 * 32 * 4096**2 == 6_442_450_944  # the seed's 6.44B
    assert r["exact"] == 6_738_415_616
    assert sum(r["missed_terms"].values()) == r["exact"] - r["estimate"]


def test_llama7b_fp16_weights_are_two_bytes_per_parameter():
    from paramscope.memory.report import MemoryOptions, memory_report

    r = memory_report(load_model("llama-2-7b"), MemoryOptions(weights="fp16"))
    assert r.weights_bytes == 2 * 6_738_415_616  # 13.48 GB: the seed's "14 GB"


def test_gpt4_is_a_rumour_not_a_count():
    m = load_model("gpt-4-rumour-hotz")
    assert m.source == "rumour" and m.spec is None
