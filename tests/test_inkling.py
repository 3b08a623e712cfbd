"""Inkling's text model (sources/inkling.py) against transformers 5.23's InklingForCausalLM.

- totals and tensor shapes at small configs that mix sliding and full layers, dense and MoE layers, with and without
  shared experts, and a checkpoint-style dense_intermediate_size, built on the meta device;
- fine roles through a name table written here from modeling_inkling.py (tests/role_map.py's oracle);
- the cache after a real forward pass (DynamicCache with LinearAttentionAndSlidingWindowAttentionLayer /
  LinearAttentionAndFullAttentionLayer: keys and values, sliding layers capped, plus four float32 convolution
  windows per layer) equals paramscope's bytes, in float32 and bfloat16;
- weight-matrix FLOPs of a forward pass equal what torch executes (FlopCounterMode; experts run eagerly, so each
  token reaches exactly num_experts_per_tok routed experts).
The walk (tests/transformers_walk.py) checks the default, diff and perturbed configs."""

from __future__ import annotations


import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import role_map  # noqa: E402
from role_map import L, Rule  # noqa: E402
from hf_truth import assert_cache_bytes, assert_total_and_shapes, causal_cache  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from paramscope.compute import matmul_params_per_token  # noqa: E402
from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.model import from_config  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

BASE = dict(model_type="inkling_text", architectures=["InklingForCausalLM"], vocab_size=300, hidden_size=64,
            num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
            swa_num_attention_heads=8, swa_num_key_value_heads=4, swa_head_dim=8, sliding_window_size=5, d_rel=4,
            rel_extent=24, conv_kernel_size=3, intermediate_size=96, moe_intermediate_size=32, n_routed_experts=6,
            num_experts_per_tok=2, n_shared_experts=2, max_position_embeddings=64,
            layer_types=["hybrid_sliding", "hybrid", "hybrid_sliding", "hybrid"],
            mlp_layer_types=["dense", "sparse", "sparse", "sparse"])
CASES = {
    "mixed": BASE,
    "no-shared-experts": dict(BASE, n_shared_experts=0, mlp_layer_types=["sparse", "dense", "sparse", "dense"]),
    # the class's own pattern: every sixth layer full; dense_mlp_idx dense layers first
    "derived-types": dict({k: v for k, v in BASE.items() if k not in ("layer_types", "mlp_layer_types")},
                          num_hidden_layers=7, dense_mlp_idx=2),
    # checkpoints: intermediate_size is the experts' width when dense_intermediate_size is stated
    "checkpoint-widths": dict({k: v for k, v in BASE.items() if k != "moe_intermediate_size"},
                              intermediate_size=40, dense_intermediate_size=72),
}


def _module(config: dict, device: str = "meta", **extra):
    kwargs = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    cfg = transformers.InklingTextConfig(**kwargs, **extra)
    with torch.device(device):
        return transformers.InklingForCausalLM._from_config(cfg)


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_shapes_equal_transformers(case):
    config = CASES[case]
    module = _module(config)
    assert_total_and_shapes(config, module, stacked_experts=config["n_routed_experts"])


def test_mtp_layers_are_warned_about_not_counted():
    spec = spec_from_config(dict(BASE, num_mtp_layers=1))
    assert any("multi-token-prediction" in w for w in spec.warnings)
    assert count(build_inventory(spec)).total == sum(p.numel() for p in _module(BASE, num_mtp_layers=1).parameters())


# modeling_inkling.py, written from the module tree (not from paramscope's names)
_M = r"model\."
_A = rf"{_M}layers\.{L}\.self_attn\."
_F = rf"{_M}layers\.{L}\.mlp\."
INKLING = [
    Rule(rf"{_M}embed_tokens\.weight", "embed"), Rule(rf"{_M}embed_tokens\.embed_norm\.weight", "norm_embed"),
    Rule(rf"{_M}norm\.weight", "norm_final", "decoder"), Rule(r"lm_head\.weight", "lm_head"),
    *[Rule(rf"{_A}{x}_proj\.weight", f"attn_{x}", "decoder") for x in "qkvo"],
    Rule(rf"{_A}r_proj\.weight", "attn_rel", "decoder"),
    Rule(rf"{_A}[kv]_sconv\.conv1d\.weight", "attn_conv", "decoder"),
    Rule(rf"{_A}q_norm\.weight", "norm_q", "decoder"), Rule(rf"{_A}k_norm\.weight", "norm_k", "decoder"),
    Rule(rf"{_A}rel_logits_proj\.proj", "rel_bias", "decoder"),
    Rule(rf"{_M}layers\.{L}\.(?:attn|mlp)_sconv\.conv1d\.weight", "lin_conv", "decoder"),
    Rule(rf"{_M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_M}layers\.{L}\.post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
    *[Rule(rf"{_F}{m}_proj\.weight", f"mlp_{m}", "decoder") for m in ("gate", "up", "down")],
    Rule(rf"{_F}global_scale", "other", "decoder"),
    Rule(rf"{_F}gate\.(?:weight|global_scale)", "router", "decoder"),
    Rule(rf"{_F}experts\.gate_up_proj", "expert_gate_up", "decoder", layout="experts"),
    Rule(rf"{_F}experts\.down_proj", "expert_down", "decoder", layout="experts"),
    *[Rule(rf"{_F}shared_experts\.{m}_proj", f"shared_{m}", "decoder") for m in ("gate", "up", "down")],
]
# roles the shared table does not list yet, grouped by their meaning: relative-position states and the short
# convolutions on keys and values belong to the attention
role_map.GROUP.setdefault("attn_rel", "attention")
role_map.GROUP.setdefault("attn_conv", "attention")
role_map.add_table({"inkling_text": INKLING})


@pytest.mark.parametrize("case", ["mixed", "no-shared-experts"])
def test_roles_match_the_independent_table(case):
    config = CASES[case]
    # with n_shared_experts 0 transformers still registers the shared experts' [0, ...] tensors: no parameters
    params = tuple((n, tuple(p.shape), False) for n, p in _module(config).named_parameters() if p.numel())
    assert role_map.check(config, "inkling_text", params) == []


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"), (1, 2, torch.bfloat16, "bfloat16")])
def test_cache_bytes_equal_transformers(batch, seq, dtype, name):
    """Sliding layers keep sliding_window_size of their keys and values, full ones all; every layer also keeps four
    float32 windows of conv_kernel_size inputs (2 x KV width + 2 x hidden channels), whatever the model dtype
    (2 tokens: shorter than the kernel, padded to it)."""
    config = CASES["mixed"]
    cache = causal_cache(_module(config, "cpu"), batch=batch, seq=seq, dtype=dtype)
    assert_cache_bytes(config, cache, batch=batch, context=seq, dtype=name)


def test_forward_flops_equal_torch():
    """Every product torch executes in a forward pass, by module (FlopCounterMode; experts run eagerly, so each token
    reaches exactly num_experts_per_tok routed experts): the weight matmuls (projections, r_proj, router, routed and
    stacked shared experts, head) and the depthwise convolutions (their outputs for the seq real positions; torch
    also computes kernel - 1 padded positions it drops) equal paramscope's 2 x matmul_params_per_token x tokens; the
    relative-logit bank product equals the mixers' per-token FLOPs. Attention products (sdpa) are checked elsewhere
    (compute.attention_flops)."""
    from paramscope.compute import recurrent_flops_per_token

    config = CASES["mixed"]
    seq, k = 9, config["conv_kernel_size"]
    torch.manual_seed(0)
    kwargs = {k_: v for k_, v in config.items() if k_ not in ("model_type", "architectures")}
    cfg = transformers.InklingTextConfig(**kwargs, experts_implementation="eager")
    cfg._attn_implementation = "sdpa"
    model = transformers.InklingForCausalLM._from_config(cfg).eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(input_ids=torch.randint(3, 250, (1, seq)))
    counts = counter.get_flop_counts()
    mm = sum(v for key, v in counts["Global"].items() if str(key) in ("aten.mm", "aten.addmm"))
    shared_bmm = sum(v for mod, d in counts.items() if mod.endswith(".mlp") for key, v in d.items()
                     if str(key) == "aten.bmm")
    conv = counts["Global"][torch.ops.aten.convolution] * seq // (seq + k - 1)
    rel = 0  # relative_states @ proj, per query token: heads x d_rel x extent multiply-adds
    for t in config["layer_types"]:
        heads = config["swa_num_attention_heads" if t == "hybrid_sliding" else "num_attention_heads"]
        extent = config["sliding_window_size" if t == "hybrid_sliding" else "rel_extent"]
        rel += 2 * heads * config["d_rel"] * extent * seq
    model_ = from_config(config)
    assert mm - rel + shared_bmm + conv == 2 * matmul_params_per_token(model_) * seq
    assert rel == recurrent_flops_per_token(model_.spec) * seq


# ------------------------------------------------------------------ Inkling 2 (sources/inkling.py inkling2_text)

BASE2 = dict(model_type="inkling2_text", architectures=["Inkling2ForCausalLM"], vocab_size=300, hidden_size=64,
             num_hidden_layers=5, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
             swa_num_attention_heads=8, swa_num_key_value_heads=4, swa_head_dim=8, sliding_window_size=5, d_rel=4,
             rel_extent=24, conv_kernel_size=3, moe_intermediate_size=32, n_routed_experts=6, num_experts_per_tok=2,
             max_position_embeddings=64, n_layers_per_attn_res_block=2,
             layer_types=["hybrid", "hybrid_sliding", "hybrid", "hybrid_sliding", "hybrid_sliding"])
CASES2 = {"mixed": BASE2, "sliding-first": dict(BASE2, layer_types=["hybrid_sliding", "hybrid"] * 2 + ["hybrid"]),
          "derived-types": dict({k: v for k, v in BASE2.items() if k != "layer_types"}, num_hidden_layers=7)}


def _module2(config: dict, device: str = "meta"):
    kwargs = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    cfg = transformers.Inkling2TextConfig(**kwargs)
    with torch.device(device):
        return transformers.Inkling2ForCausalLM._from_config(cfg)


@pytest.mark.parametrize("case", sorted(CASES2))
def test_inkling2_total_and_shapes_equal_transformers(case):
    config = CASES2[case]
    module = _module2(config)
    assert_total_and_shapes(config, module, stacked_experts=config["n_routed_experts"])


_A2 = rf"{_M}layers\.{L}\.self_attn\."
_L2 = rf"{_M}layers\.{L}\."
INKLING2 = [
    Rule(rf"{_M}embed_tokens\.weight", "embed"), Rule(rf"{_M}embed_tokens\.embed_norm\.weight", "norm_embed"),
    Rule(rf"{_M}norm\.weight", "norm_final", "decoder"), Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{_M}final_input\.query", "depth_query", "decoder"),
    *[Rule(rf"{_A2}{x}_proj\.weight", f"attn_{x}", "decoder") for x in "qkvo"],
    Rule(rf"{_A2}gate_proj\.weight", "attn_o", "decoder"),  # the output gate
    Rule(rf"{_A2}sink_proj\.weight", "attn_sinks", "decoder"),
    Rule(rf"{_A2}r_proj\.weight", "attn_rel", "decoder"),
    Rule(rf"{_A2}rel_logits_proj\.proj", "rel_bias", "decoder"),
    Rule(rf"{_A2}(?:q|rel)_l2_clip\.scale", "attn_scale", "decoder"),
    Rule(rf"{_A2}[kv]_sconv\.(?:conv1d\.weight|static_weight|weight_proj\.weight)", "attn_conv", "decoder"),
    Rule(rf"{_L2}post_(?:attention|mlp)_convolution\.conv1d\.weight", "lin_conv", "decoder"),
    Rule(rf"{_L2}(?:attention|mlp)_input\.query", "depth_query", "decoder"),
    Rule(rf"{_L2}(?:input|[qkv]_input)_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_L2}post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
    Rule(rf"{_L2}mlp\.gate\.weight", "router", "decoder"),
    Rule(rf"{_L2}mlp\.experts\.gate_up_proj", "expert_gate_up", "decoder", layout="experts"),
    Rule(rf"{_L2}mlp\.experts\.down_proj", "expert_down", "decoder", layout="experts"),
]
role_map.GROUP.setdefault("attn_scale", "attention")  # elementwise per-head scales inside the attention
role_map.GROUP.setdefault("depth_query", "other")  # queries of the attention over depth (block residuals)
role_map.add_table({"inkling2_text": INKLING2})


@pytest.mark.parametrize("case", ["mixed", "sliding-first"])
def test_inkling2_roles_match_the_independent_table(case):
    config = CASES2[case]
    params = tuple((n, tuple(p.shape), False) for n, p in _module2(config).named_parameters())
    assert role_map.check(config, "inkling2_text", params) == []


# float32 only: transformers 5.23's Inkling2TopKRouter multiplies float32 inputs by the router weight in the model's
# dtype, so a bfloat16 model fails in transformers itself (the float32 windows are checked in bfloat16 above, for
# Inkling, whose convolutions are the same module)
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"), (1, 2, torch.float32, "float32")])
def test_inkling2_cache_bytes_equal_transformers(batch, seq, dtype, name):
    config = CASES2["mixed"]
    cache = causal_cache(_module2(config, "cpu"), batch=batch, seq=seq, dtype=dtype)
    assert_cache_bytes(config, cache, batch=batch, context=seq, dtype=name)


def test_inkling2_forward_flops_equal_torch():
    """As for Inkling: weight matmuls (projections, gates, sink, r_proj, the dynamic taps' weight_proj, router,
    routed experts, head) plus the convolutions torch runs (depthwise conv1d on sliding layers, without padded
    outputs; the dynamic convolutions' window x tap products, elementwise in torch and so computed here: 2 x kernel
    x KV width per token for each of k and v) equal 2 x matmul_params_per_token x tokens; the bank product equals
    the mixers' per-token FLOPs."""
    from paramscope.compute import recurrent_flops_per_token

    config = CASES2["mixed"]
    seq, k = 9, config["conv_kernel_size"]
    kwargs = {k_: v for k_, v in config.items() if k_ not in ("model_type", "architectures")}
    cfg = transformers.Inkling2TextConfig(**kwargs, experts_implementation="eager")
    cfg._attn_implementation = "eager"  # attention products run as bmm, apart from mm
    torch.manual_seed(0)
    model = transformers.Inkling2ForCausalLM._from_config(cfg).eval()
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(input_ids=torch.randint(3, 250, (1, seq)))
    counts = counter.get_flop_counts()["Global"]
    mm = sum(v for key, v in counts.items() if str(key) in ("aten.mm", "aten.addmm"))
    conv = counts[torch.ops.aten.convolution] * seq // (seq + k - 1)
    full = [t for t in config["layer_types"] if t == "hybrid"]
    dynamic = len(full) * 2 * (2 * k * config["num_key_value_heads"] * config["head_dim"]) * seq
    rel = 0
    for t in config["layer_types"]:
        heads = config["swa_num_attention_heads" if t == "hybrid_sliding" else "num_attention_heads"]
        extent = config["sliding_window_size" if t == "hybrid_sliding" else "rel_extent"]
        rel += 2 * heads * config["d_rel"] * extent * seq
    model_ = from_config(config)
    assert mm - rel + conv + dynamic == 2 * matmul_params_per_token(model_) * seq
    assert rel == recurrent_flops_per_token(model_.spec) * seq
