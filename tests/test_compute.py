"""FLOPs against torch's own FLOP counter on real transformers modules (CPU, tiny random models).

torch.utils.flop_counter counts 2 FLOPs per multiply-add of every mm/addmm/bmm the forward pass runs.
Linear layers (mm/addmm) must match paramscope's matrix term exactly. Eager attention computes the full
P x P score matrix and masks it afterwards, so torch counts P^2 per head; paramscope counts the causal
P (P + 1) / 2 positions a causal kernel needs: the test checks that relation exactly.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from family_configs import FAMILY_CONFIGS  # noqa: E402
from paramscope.compute import attention_flops, matmul_params_per_token, training_flops  # noqa: E402
from paramscope.model import from_config, load_model  # noqa: E402

P = 7


def _counted(config: dict):
    import transformers

    cfg_cls = transformers.CONFIG_MAPPING[config["model_type"]]
    kwargs = {k: v for k, v in config.items() if k not in ("architectures", "transformers_version")}
    cfg = cfg_cls(**kwargs)
    cfg._attn_implementation = "eager"
    model = getattr(transformers, config["architectures"][0])._from_config(cfg).eval()
    ids = torch.randint(0, config["vocab_size"], (1, P))
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(input_ids=ids, use_cache=False)
    counts = {str(k): v for k, v in fc.get_flop_counts()["Global"].items()}
    linear = sum(v for k, v in counts.items() if k.endswith(("mm", "addmm")) and "bmm" not in k)
    attn = sum(v for k, v in counts.items() if "bmm" in k)
    # transformers 5 runs routed experts through a grouped kernel the counter does not see: add them from
    # the modules' own expert tensors (top_k of num_experts per token).
    k = getattr(cfg, "num_experts_per_tok", 0)
    for name, p in model.named_parameters():
        if ".experts." in name and p.dim() == 3:
            linear += 2 * P * k * p[0].numel()
    return linear, attn


@pytest.mark.parametrize("name", ["llama", "qwen3", "mixtral"])
def test_matrix_flops_equal_torch_count(name):
    config = FAMILY_CONFIGS[name]
    model = from_config(config)
    linear, attn = _counted(config)
    assert 2 * matmul_params_per_token(model) * P == linear
    full = attention_flops(model.spec, start=0, stop=P) * (2 * P) / (P + 1)  # undo the causal factor
    assert full == pytest.approx(attn, rel=1e-12)


def test_gpt3_training_flops_match_the_paper():
    """Brown et al. 2020 Table D.1: GPT-3 175B trained on 300B tokens = 3.14e23 FLOPs (6ND, no attention)."""
    t = training_flops(load_model("gpt3-175b"), 300e9, 2048)
    assert t["dense_flops"] == pytest.approx(3.14e23, rel=0.005)
    assert 0 < t["attention_flops"] / t["dense_flops"] < 0.02  # n_ctx/(12 d) ~ 1.4% at 2048, d 12288


def test_moe_active_flops_use_top_k():
    m = load_model("mixtral-8x7b")
    n = matmul_params_per_token(m)
    # active parameters minus the input embedding (a gather, not a matmul)
    from paramscope.params import analyze

    r = analyze(m)
    # 1-D norm weights are elementwise, not matmuls
    assert n == r.active - r.by_role["embedding"] - r.by_role["norm"]


def test_sliding_window_caps_attention():
    spec = load_model("gemma-2-9b").spec
    # 8x the sequence: causal attention grows ~64x without a window; half of gemma-2's layers (window 4096)
    # grow ~10x, so the whole grows 41x: a missing window (64x) is far outside the bound.
    short = attention_flops(spec, start=0, stop=8192)
    long = attention_flops(spec, start=0, stop=65536)
    assert 38 * short < long < 44 * short  # 41.0 (window) against 64.0 (none)
    assert attention_flops(spec, start=100_000, stop=100_001) < attention_flops(spec, start=0, stop=100_001) / 1000
