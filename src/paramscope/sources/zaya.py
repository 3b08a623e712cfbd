"""ZAYA (transformers 5.23, models/zaya/{configuration,modeling}_zaya.py, ZayaForCausalLM; checkpoint Zyphra/ZAYA1-8B;
Compressed Convolutional Attention: Figliolia et al. 2025, arXiv 2510.04476).

Per layer (ZayaDecoderLayer): RMSNorm, attention, a learned residual scaling (ZayaResidualScaling: scale and bias
on the branch and on the residual, four hidden-wide vectors), RMSNorm, a mixture of experts, another residual
scaling.

- Attention (ZayaAttention with ZayaCCAProjection): q_proj and k_proj feed a causal depthwise Conv1d of cca_time0
  taps and a grouped Conv1d of cca_time1 taps (one group per query and per KV head, head_dim channels each), both
  with biases, over the concatenated q and k channels; v is two halves, v_proj_current of the token and
  v_proj_delayed of the token before (half a KV head each); o_proj; biases on all projections with
  attention_bias. q/k are L2-normalized with a learned per-KV-head key temperature (ZayaQKNorm.temp).
  "hybrid_sliding" layers attend within sliding_window. transformers' cache keeps per layer the keys and values,
  the last (cca_time0 - 1) + (cca_time1 - 1) convolution inputs of the q and k channels and the last token's
  delayed value half, all in the model's dtype.
- Mixture of experts (ZayaSparseMoeBlock): the router projects to router_hidden_size (down_proj with bias; from
  layer 1 on it adds the previous layer's router states scaled by router_states_scale), an MLP (RMSNorm, fc1 and
  fc2 with biases) and out_proj [num_experts + 1, router_hidden_size]: the last class skips the MoE (its balancing
  bias of -1 keeps it from being picked while any expert has probability). num_experts stacked experts of
  moe_intermediate_size, num_experts_per_tok (1) per token.

The model scales and shifts the embeddings (input_hidden_states_scale / _bias); lm_head is tied to the embedding
with tie_word_embeddings (default true), with a bias when lm_head_bias.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spec import (AttentionSpec, ExtraTensor, HeadSpec, LayerSpec, MlpSpec, ModelSpec, MoeSpec, NormSpec,
                    RecurrentSpec, StackSpec)
from .config_access import Cfg

# ZayaConfig's defaults (configuration_zaya.py): save_pretrained leaves out the keys equal to them
_DEFAULTS = {
    "vocab_size": 262272, "hidden_size": 2048, "num_hidden_layers": 40, "num_attention_heads": 8,
    "num_key_value_heads": 2, "hidden_act": "silu", "max_position_embeddings": 131072, "tie_word_embeddings": True,
    "moe_intermediate_size": 2048, "num_experts_per_tok": 1, "num_experts": 16, "head_dim": 128,
    "attention_bias": False, "lm_head_bias": False, "router_hidden_size": 256, "cca_time0": 2, "cca_time1": 2,
}


def _cca(c: Cfg, hidden: int) -> RecurrentSpec:
    heads, kv, hd = c.int("num_attention_heads"), c.int("num_key_value_heads"), c.int("head_dim")
    t0, t1, bias = c.int("cca_time0"), c.int("cca_time1"), c.bool("attention_bias", False)
    if (kv * hd) % 2:
        raise ConfigError(f"{c.origin}: num_key_value_heads x head_dim must be even (ZAYA splits each value head)")
    channels = (heads + kv) * hd
    tensors = [ExtraTensor("attn.v_proj_current.weight", "attn_v", (kv * hd // 2, hidden)),
               ExtraTensor("attn.v_proj_delayed.weight", "attn_v", (kv * hd // 2, hidden)),
               ExtraTensor("attn.conv_qk_depthwise.weight", "attn_conv", (channels, 1, t0)),
               ExtraTensor("attn.conv_qk_depthwise.bias", "attn_conv", (channels,)),
               ExtraTensor("attn.conv_qk_grouped.weight", "attn_conv", (channels, hd, t1)),
               ExtraTensor("attn.conv_qk_grouped.bias", "attn_conv", (channels,))]
    if bias:
        tensors[2:2] = [ExtraTensor("attn.v_proj_current.bias", "attn_v", (kv * hd // 2,)),
                        ExtraTensor("attn.v_proj_delayed.bias", "attn_v", (kv * hd // 2,))]
    # the two convolutions need (t0 - 1) + (t1 - 1) earlier inputs: a window of that many plus the current one,
    # of which the cache keeps all but the current (as every engine keeps kernel - 1); the convolutions' FLOPs are
    # 2 x their weights per token, counted with the weight matrices
    return RecurrentSpec("cca", tuple(tensors), conv_channels=channels, conv_kernel=(t0 - 1) + (t1 - 1) + 1,
                         conv_keep="kernel-1", state_elements=kv * hd // 2, activation_width=2 * channels)


def _layer(c: Cfg, hidden: int, sliding: bool, first: bool) -> LayerSpec:
    heads, kv, hd = c.int("num_attention_heads"), c.int("num_key_value_heads"), c.int("head_dim")
    bias = c.bool("attention_bias", False)
    attn = AttentionSpec(heads, kv, hd, qkv_bias=bias, o_bias=bias, v_in_mixer=True,
                         window=c.int("sliding_window") if sliding else None)
    r = c.int("router_hidden_size")
    router = [ExtraTensor("router.down_proj.weight", "router", (r, hidden)),
              ExtraTensor("router.down_proj.bias", "router", (r,)),
              ExtraTensor("router.mlp.norm.weight", "router", (r,)),
              ExtraTensor("router.mlp.fc1.weight", "router", (r, r)), ExtraTensor("router.mlp.fc1.bias", "router", (r,)),
              ExtraTensor("router.mlp.fc2.weight", "router", (r, r)), ExtraTensor("router.mlp.fc2.bias", "router", (r,))]
    if not first:  # the previous layer's router states, scaled (use_eda)
        router.append(ExtraTensor("router.router_states_scale", "router", (r,)))
    moe = MoeSpec(c.int("num_experts"), c.int("num_experts_per_tok"),
                  MlpSpec(c.int("moe_intermediate_size"), gated=True, fused_gate_up=True, activation=c.str("hidden_act", "silu")),
                  stacked=True, zero_experts=1, router_input_width=r, score_correction_bias=True)
    scales = tuple(ExtraTensor(f"{where}_residual_scale.{x}", role, (hidden,))
                   for where, role in (("post_attention", "norm_attn_out"), ("post_mlp", "norm_mlp_out"))
                   for x in ("hidden_states_scale", "hidden_states_bias", "residual_scale", "residual_bias"))
    return LayerSpec(attention=attn, recurrent=_cca(c, hidden), ffn=moe,
                     norms=(NormSpec("norm_attn_in", hidden), NormSpec("norm_mlp_in", hidden)),
                     extra=(ExtraTensor("attn.qk_norm.temp", "norm_k", (kv,)), *router, *scales))


def zaya(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    from dataclasses import replace

    from .hybrids_more import _layer_types, _lm_spec, _with_defaults

    c = _with_defaults(c, _DEFAULTS)
    hidden = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    types = _layer_types(c, n, {"hybrid", "hybrid_sliding"}, ["hybrid"] * n)
    if "hybrid_sliding" not in types:
        c.touch("sliding_window")
    kinds: dict[tuple[bool, bool], LayerSpec] = {}
    layers = []
    for i, t in enumerate(types):
        key = (t == "hybrid_sliding", i == 0)
        if key not in kinds:
            kinds[key] = _layer(c, hidden, *key)
        layers.append(kinds[key])
    c.touch("output_router_logits")
    stack = StackSpec("decoder", hidden, tuple(layers), final_norm=NormSpec("norm_final", hidden))
    spec = _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=hidden,
                    vocab=c.int("vocab_size"), stacks=(stack,), tied=c.bool("tie_word_embeddings", True),
                    max_context=c.opt_int("max_position_embeddings"),
                    extra=(ExtraTensor("input_hidden_states_scale", "norm_embed", (hidden,)),
                           ExtraTensor("input_hidden_states_bias", "norm_embed", (hidden,))))
    return replace(spec, head=HeadSpec(kind=head, bias=head == "lm" and c.bool("lm_head_bias", False)))
