"""ZAYA (sources/zaya.py) against transformers 5.23's ZayaForCausalLM.

- totals and tensor shapes at small configs (sliding and full layers, biases, an untied head with a bias), built on
  the meta device (the walk's own perturbation asks for 2 experts per token, which ZayaConfig refuses);
- fine roles through a name table written here from modeling_zaya.py (tests/role_map.py's oracle);
- the cache after a real forward pass (keys and values, sliding layers capped, the q/k convolution window and the
  delayed value half per layer) equals paramscope's bytes, in float32 and bfloat16;
- forward FLOPs: the weight matmuls and both convolutions torch runs equal 2 x matmul_params_per_token x tokens."""

from __future__ import annotations


import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import role_map  # noqa: E402
from role_map import WB, L, Rule  # noqa: E402
from hf_truth import assert_cache_bytes, assert_total_and_shapes, causal_cache  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from paramscope.compute import matmul_params_per_token  # noqa: E402
from paramscope.model import from_config  # noqa: E402

transformers.logging.set_verbosity_error()

BASE = dict(model_type="zaya", architectures=["ZayaForCausalLM"], vocab_size=300, hidden_size=64, num_hidden_layers=3,
            num_attention_heads=4, num_key_value_heads=2, head_dim=16, moe_intermediate_size=48, num_experts=4,
            num_experts_per_tok=1, router_hidden_size=24, cca_time0=2, cca_time1=3, sliding_window=4,
            layer_types=["hybrid", "hybrid_sliding", "hybrid"], max_position_embeddings=64)
CASES = {"mixed": BASE,
         "biases-untied": dict(BASE, attention_bias=True, tie_word_embeddings=False, lm_head_bias=True),
         "all-full": dict({k: v for k, v in BASE.items() if k not in ("layer_types", "sliding_window")},
                          num_hidden_layers=2, cca_time0=3, cca_time1=2)}


def _module(config: dict, device: str = "meta", **extra):
    kwargs = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    cfg = transformers.ZayaConfig(**kwargs, **extra)
    with torch.device(device):
        return transformers.ZayaForCausalLM._from_config(cfg)


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_shapes_equal_transformers(case):
    config = CASES[case]
    module = _module(config)
    assert_total_and_shapes(config, module, stacked_experts=config["num_experts"])


_M = r"model\."
_A = rf"{_M}layers\.{L}\.self_attn\."
_R = rf"{_M}layers\.{L}\.mlp\.gate\."
ZAYA = [
    Rule(rf"{_M}embed_tokens\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"), Rule(r"lm_head\.bias", "lm_head"),
    Rule(rf"{_M}input_hidden_states_(?:scale|bias)", "norm_embed"),
    Rule(rf"{_M}norm\.weight", "norm_final", "decoder"),
    Rule(rf"{_A}qkv_proj\.q_proj\.{WB}", "attn_q", "decoder"), Rule(rf"{_A}qkv_proj\.k_proj\.{WB}", "attn_k", "decoder"),
    Rule(rf"{_A}qkv_proj\.v_proj_(?:current|delayed)\.{WB}", "attn_v", "decoder"),
    Rule(rf"{_A}qkv_proj\.conv_qk_(?:depthwise|grouped)\.{WB}", "attn_conv", "decoder"),
    Rule(rf"{_A}o_proj\.{WB}", "attn_o", "decoder"), Rule(rf"{_A}qk_norm\.temp", "norm_k", "decoder"),
    Rule(rf"{_M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_M}layers\.{L}\.post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
    Rule(rf"{_M}layers\.{L}\.post_attention_residual_scale\.\w+", "norm_attn_out", "decoder"),
    Rule(rf"{_M}layers\.{L}\.post_mlp_residual_scale\.\w+", "norm_mlp_out", "decoder"),
    Rule(rf"{_R}(?:down_proj\.{WB}|router_states_scale|router_mlp\.(?:norm\.weight|fc[12]\.{WB}|out_proj\.weight))",
         "router", "decoder"),
    Rule(rf"{_M}layers\.{L}\.mlp\.experts\.gate_up_proj", "expert_gate_up", "decoder", layout="experts"),
    Rule(rf"{_M}layers\.{L}\.mlp\.experts\.down_proj", "expert_down", "decoder", layout="experts"),
]
role_map.GROUP.setdefault("attn_conv", "attention")  # the q/k convolutions belong to the attention
role_map.add_table({"zaya": ZAYA})


@pytest.mark.parametrize("case", ["mixed", "biases-untied"])
def test_roles_match_the_independent_table(case):
    config = CASES[case]
    params = tuple((n, tuple(p.shape), False) for n, p in _module(config).named_parameters())
    assert role_map.check(config, "zaya", params) == []


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"), (1, 2, torch.bfloat16, "bfloat16")])
def test_cache_bytes_equal_transformers(batch, seq, dtype, name):
    """(a 2-token prompt is shorter than the convolution window: transformers pads the window it keeps)"""
    config = CASES["mixed"]
    cache = causal_cache(_module(config, "cpu"), batch=batch, seq=seq, dtype=dtype)
    assert_cache_bytes(config, cache, batch=batch, context=seq, dtype=name)


def test_forward_flops_equal_torch():
    """mm / addmm (projections, router, the expert each token runs -- experts eager, one per token -- and the head)
    plus the two convolutions over the seq real positions (transformers pads the q/k stream on the left by the
    window and the convolutions drop nothing: it is the exact count) equal 2 x matmul_params_per_token x tokens.
    Two implementation constants are left out: the delayed value projection of a zero state that transformers
    runs once per prompt (no cache yet), and the cca_time1 - 1 extra depthwise outputs the grouped convolution
    reads at the start of the window (per decode step the same few recomputed outputs: 2 x channels x cca_time0
    x (cca_time1 - 1) FLOPs, against millions per token)."""
    config = CASES["mixed"]
    seq = 9
    kwargs = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    cfg = transformers.ZayaConfig(**kwargs, experts_implementation="eager")
    cfg._attn_implementation = "sdpa"
    torch.manual_seed(0)
    model = transformers.ZayaForCausalLM._from_config(cfg).eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(input_ids=torch.randint(3, 250, (1, seq)))
    counts = counter.get_flop_counts()["Global"]
    mm = sum(v for key, v in counts.items() if str(key) in ("aten.mm", "aten.addmm"))
    conv = counts[torch.ops.aten.convolution]
    v_half = config["num_key_value_heads"] * config["head_dim"] // 2
    zero_state = config["num_hidden_layers"] * 2 * v_half * config["hidden_size"]  # v_proj_delayed(zeros), once
    channels = (config["num_attention_heads"] + config["num_key_value_heads"]) * config["head_dim"]
    window_start = config["num_hidden_layers"] * 2 * channels * config["cca_time0"] * (config["cca_time1"] - 1)
    assert mm + conv - zero_state - window_start == 2 * matmul_params_per_token(from_config(config)) * seq
