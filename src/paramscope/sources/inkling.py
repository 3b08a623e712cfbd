"""Inkling's text model (transformers 5.23, models/inkling/{configuration,modeling}_inkling.py, InklingForCausalLM;
checkpoint thinkingmachines/Inkling).

Per layer (InklingDecoderLayer), pre-norm RMSNorms (input_layernorm, post_attention_layernorm) and:

- attention (InklingAttention): "hybrid_sliding" layers use swa_num_attention_heads / swa_num_key_value_heads /
  swa_head_dim and a sliding window of sliding_window_size, "hybrid" layers num_attention_heads /
  num_key_value_heads / head_dim over the whole context. q/k/v/o without biases, per-head q and k RMSNorms, and
  r_proj [heads x d_rel, hidden]: per-head relative states that mix a learned bank rel_logits_proj.proj
  [d_rel, rel_extent] (rel_extent = the window on sliding layers) into a bias per backward distance
  (InklingRelativeLogits, materialized densely: heads x d_rel x rel_extent multiply-adds per query token);
- four depthwise causal short convolutions of conv_kernel_size taps without bias, each added to its input
  (InklingShortConvolution): k_sconv and v_sconv on the keys and values, attn_sconv on the attention output,
  mlp_sconv on the MLP output. transformers keeps each one's last conv_kernel_size inputs per sequence in float32
  (the convolution runs in float32; LinearAttentionLayer conv states 0-3);
- a dense SwiGLU MLP with a learned scalar global_scale (mlp_layer_types "dense"), or the MoE (InklingMoE):
  a router weight [routed + shared experts, hidden] (the shared experts take part in the softmax as a sink) with a
  scalar global_scale and a buffer e_score_correction_bias, n_routed_experts stacked experts (gate_up_proj
  [E, 2 x moe_intermediate, hidden], down_proj [E, hidden, moe_intermediate]) of which num_experts_per_tok run per
  token, and n_shared_experts shared experts stored stacked (gate_proj / up_proj [S, moe_intermediate, hidden],
  down_proj [S, hidden, moe_intermediate]) that run for every token.

The token table has an RMSNorm of its own (InklingNormedEmbedding.embed_norm); lm_head [vocab_size, hidden] is
never tied (InklingForCausalLM._tied_weights_keys is empty; logits beyond unpadded_vocab_size are dropped, the rows
are stored). Multi-token-prediction layers (num_mtp_layers) are not built by transformers (model.mtp.* is ignored
on load) and are not counted: a warning says so.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spec import AttentionSpec, ExtraTensor, LayerSpec, MlpSpec, ModelSpec, MoeSpec, NormSpec, RecurrentSpec, StackSpec
from .config_access import Cfg


def _attention(c: Cfg, sliding: bool) -> tuple[AttentionSpec, int, int]:
    """(the attention, its relative-bias extent, its query heads)."""
    pre = "swa_" if sliding else ""
    heads = c.int(f"{pre}num_attention_heads")
    kv = c.int(f"{pre}num_key_value_heads")
    head_dim = c.int(f"{pre}head_dim")
    window = c.int("sliding_window_size") if sliding else None
    attn = AttentionSpec(heads, kv, head_dim, qk_norm="head", window=window)
    return attn, (window if sliding else c.int("rel_extent")), heads


def _layer(c: Cfg, hidden: int, sliding: bool, sparse: bool) -> LayerSpec:
    attn, extent, heads = _attention(c, sliding)
    d_rel, k = c.int("d_rel"), c.int("conv_kernel_size")
    kv_width = attn.num_kv_heads * attn.head_dim
    convs = (ExtraTensor("attn.k_sconv.weight", "attn_conv", (kv_width, 1, k)),
             ExtraTensor("attn.v_sconv.weight", "attn_conv", (kv_width, 1, k)),
             ExtraTensor("attn_sconv.weight", "lin_conv", (hidden, 1, k)),
             ExtraTensor("mlp_sconv.weight", "lin_conv", (hidden, 1, k)))
    channels = 2 * kv_width + 2 * hidden
    # per token: the relative-logit bank product (relative_states [heads, d_rel] @ proj [d_rel, rel_extent]), which
    # no weight count covers; a depthwise convolution's 2 x kernel FLOPs per channel are 2 x its weights, counted
    # with the weight matrices (compute.matmul_params_per_token)
    flops = 2 * heads * d_rel * extent
    convs_spec = RecurrentSpec("short_convs", convs, conv_channels=channels, conv_kernel=k, conv_dtype="fp32",
                               state_flops_per_token=flops, activation_width=channels)
    extra = (ExtraTensor("attn.r_proj.weight", "attn_rel", (heads * d_rel, hidden)),
             ExtraTensor("attn.rel_logits_proj.proj", "rel_bias", (d_rel, extent)))
    act = c.str("hidden_act", "silu")
    if sparse:
        e, s, inter = c.int("n_routed_experts"), c.int("n_shared_experts", minimum=0), c.int("moe_intermediate_size")
        ffn = MoeSpec(e, c.int("num_experts_per_tok"), MlpSpec(inter, gated=True, fused_gate_up=True, activation=act),
                      stacked=True,
                      score_correction_bias=True, router_shared_rows=s)
        extra += (ExtraTensor("router.global_scale", "router", (1,)),)
        if s:
            extra += (ExtraTensor("shared.gate_proj", "shared_gate", (s, inter, hidden)),
                      ExtraTensor("shared.up_proj", "shared_up", (s, inter, hidden)),
                      ExtraTensor("shared.down_proj", "shared_down", (s, hidden, inter)))
    else:
        ffn = MlpSpec(c.int("intermediate_size"), gated=True, activation=act)
        extra += (ExtraTensor("mlp.global_scale", "other", (1,)),)
    return LayerSpec(attention=attn, recurrent=convs_spec, ffn=ffn, extra=extra,
                     norms=(NormSpec("norm_attn_in", hidden), NormSpec("norm_mlp_in", hidden)))


# InklingTextConfig's defaults (configuration_inkling.py): save_pretrained leaves out the keys equal to them
_DEFAULTS = {
    "vocab_size": 201024, "hidden_size": 6144, "num_hidden_layers": 66, "num_attention_heads": 64,
    "num_key_value_heads": 8, "head_dim": 128, "swa_num_attention_heads": 64, "swa_num_key_value_heads": 16,
    "swa_head_dim": 128, "sliding_window_size": 512, "d_rel": 16, "rel_extent": 1024,
    "max_position_embeddings": 131072, "conv_kernel_size": 4, "intermediate_size": 24576, "hidden_act": "silu",
    "moe_intermediate_size": 3072, "n_routed_experts": 256, "num_experts_per_tok": 6, "n_shared_experts": 2,
}


def inkling_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    from .hybrids_more import _layer_types, _lm_spec, _mlp_types, _with_defaults

    c = _with_defaults(c, _DEFAULTS)
    hidden = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    # InklingTextConfig.__post_init__, when layer_types is absent: local_layer_ids, else every layer but each sixth
    local = c.int_list("local_layer_ids")
    local = set(local) if local is not None else {i for i in range(n) if (i + 1) % 6}
    types = _layer_types(c, n, {"hybrid", "hybrid_sliding"},
                         ["hybrid_sliding" if i in local else "hybrid" for i in range(n)])
    dense = c.int("dense_mlp_idx", 0, minimum=0)  # InklingTextConfig.__post_init__, when mlp_layer_types is absent
    mlp_types = _mlp_types(c, n, ["dense" if i < dense else "sparse" for i in range(n)])
    if c.has("dense_intermediate_size"):  # checkpoints: intermediate_size is then the experts' width (#49416)
        c = c.with_data({**c.data, "moe_intermediate_size": c.int("intermediate_size"),
                         "intermediate_size": c.int("dense_intermediate_size")})
        c.touch("dense_intermediate_size")
    kinds: dict[tuple[bool, bool], LayerSpec] = {}
    layers = []
    for t, m in zip(types, mlp_types, strict=True):
        key = (t == "hybrid_sliding", m == "sparse")
        if key not in kinds:
            kinds[key] = _layer(c, hidden, *key)
        layers.append(kinds[key])
    # the keys of a layer kind the config does not use (every layer sliding, none dense, no routed experts) change
    # no shape; number_of_conv_states is the constant 4 the config class sets
    c.touch("num_attention_heads", "num_key_value_heads", "head_dim", "rel_extent", "swa_num_attention_heads",
            "swa_num_key_value_heads", "swa_head_dim", "sliding_window_size", "intermediate_size",
            "moe_intermediate_size", "n_routed_experts", "num_experts_per_tok", "n_shared_experts",
            "number_of_conv_states")
    c.touch("unpadded_vocab_size", "log_scaling_n_floor", "log_scaling_alpha", "shared_expert_sink", "route_scale",
            "logits_mup_width_multiplier", "rms_norm_eps_moe_gate", "chain_hidden_post_norm",
            "mtp_hidden_states_first", "mtp_local_layer_ids", "tie_word_embeddings")
    warnings: tuple[str, ...] = ()
    mtp = c.opt_int("num_mtp_layers", minimum=0)
    if mtp:
        warnings += (f"num_mtp_layers={mtp}: the checkpoint's multi-token-prediction layers are not built by "
                     "transformers (model.mtp.* is ignored on load) and are not counted",)
    stack = StackSpec("decoder", hidden, tuple(layers), final_norm=NormSpec("norm_final", hidden))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=hidden,
                    vocab=c.int("vocab_size"), stacks=(stack,), tied=False, warnings=warnings,
                    max_context=c.opt_int("max_position_embeddings"),
                    extra=(ExtraTensor("embed.norm.weight", "norm_embed", (hidden,)),))


# Inkling2TextConfig's defaults (inkling2/configuration_inkling2.py)
_DEFAULTS_2 = {
    "vocab_size": 201024, "hidden_size": 4608, "num_hidden_layers": 48, "num_attention_heads": 48,
    "num_key_value_heads": 8, "head_dim": 128, "swa_num_attention_heads": 48, "swa_num_key_value_heads": 8,
    "swa_head_dim": 128, "sliding_window_size": 1024, "d_rel": 16, "rel_extent": 1024,
    "max_position_embeddings": 1048576, "conv_kernel_size": 4, "hidden_act": "silu", "moe_intermediate_size": 2304,
    "n_routed_experts": 384, "num_experts_per_tok": 8, "n_layers_per_attn_res_block": 6,
}


def _layer2(c: Cfg, hidden: int, sliding: bool, first: bool) -> LayerSpec:
    """One Inkling2SlidingDecoderLayer / Inkling2FullDecoderLayer (inkling2/modeling_inkling2.py)."""
    attn, extent, heads = _attention(c, sliding)
    attn = AttentionSpec(attn.num_heads, attn.num_kv_heads, attn.head_dim, window=attn.window)  # L2 clips, no q/k norms
    d_rel, k, hd = c.int("d_rel"), c.int("conv_kernel_size"), attn.head_dim
    kv_width = attn.num_kv_heads * hd
    if sliding:  # Inkling2ShortConvolution on keys and values
        kv_convs = (ExtraTensor("attn.k_sconv.weight", "attn_conv", (kv_width, 1, k)),
                    ExtraTensor("attn.v_sconv.weight", "attn_conv", (kv_width, 1, k)))
    else:  # Inkling2DynamicShortConvolution: static taps plus per-token taps projected per KV head
        kv_convs = tuple(t for x in "kv" for t in (
            ExtraTensor(f"attn.{x}_sconv.static_weight", "attn_conv", (k, kv_width)),
            ExtraTensor(f"attn.{x}_sconv.weight_proj.weight", "attn_conv", (attn.num_kv_heads * k, hidden))))
    convs = kv_convs + (ExtraTensor("post_attention_convolution.weight", "lin_conv", (hidden, 1, k)),
                        ExtraTensor("post_mlp_convolution.weight", "lin_conv", (hidden, 1, k)))
    channels = 2 * kv_width + 2 * hidden
    # per token: the relative-logit bank product; the convolutions' taps are counted with the weights (static and
    # depthwise taps: 2 x weights per token; the per-token taps' projection is a matmul). Not modelled: the block
    # attention residuals (one or three queries per layer attending over the block states, 4 x hidden FLOPs per
    # query and state: under 0.1% of a token's FLOPs at the defaults)
    mixer = RecurrentSpec("short_convs", convs, conv_channels=channels, conv_kernel=k, conv_dtype="fp32",
                          state_flops_per_token=2 * heads * d_rel * extent, activation_width=channels)
    extra = (ExtraTensor("attn.r_proj.weight", "attn_rel", (heads * d_rel, hidden)),
             ExtraTensor("attn.rel_logits_proj.proj", "rel_bias", (d_rel, extent)),
             ExtraTensor("attn.gate_proj.weight", "attn_o", (heads * hd, hidden)),
             ExtraTensor("attn.sink_proj.weight", "attn_sinks", (heads, hidden)),
             ExtraTensor("attn.q_l2_clip.scale", "attn_scale", (heads, hd)),
             ExtraTensor("attn.rel_l2_clip.scale", "attn_scale", (heads, d_rel)),
             ExtraTensor("mlp_input.query", "depth_query", (hidden,)))
    if not first:  # Inkling2BlockAttentionResidual: one query, or three (q, k, v inputs) before full attention
        extra += (ExtraTensor("attention_input.query", "depth_query", (hidden,) if sliding else (3, hidden)),)
    moe = MoeSpec(c.int("n_routed_experts"), c.int("num_experts_per_tok"),
                  MlpSpec(c.int("moe_intermediate_size"), gated=True, fused_gate_up=True, activation=c.str("hidden_act", "silu")),
                  stacked=True, score_correction_bias=True)
    norms = ((NormSpec("norm_attn_in", hidden),) if sliding else
             tuple(NormSpec("norm_attn_in", hidden) for _ in range(3))) + (NormSpec("norm_mlp_in", hidden),)
    return LayerSpec(attention=attn, recurrent=mixer, ffn=moe, extra=extra, norms=norms)


def inkling2_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Inkling 2's text model (transformers 5.23 inkling2/modeling_inkling2.py, Inkling2ForCausalLM; checkpoint
    thinkingmachines/Inkling-2-Small-MXFP8). As Inkling's, with: attention without q/k RMSNorms but L2 clips (a
    learned [heads, head_dim] scale on q, [heads, d_rel] on the relative states), a sigmoid output gate gate_proj
    [heads x head_dim, hidden] and a per-head sink logit projected by sink_proj [heads, hidden]; full-attention
    layers read separately normed q/k/v inputs (q/k/v_input_layernorm) and convolve keys and values with dynamic
    taps (static_weight [kernel, KV width] plus weight_proj [KV heads x kernel, hidden] per token); every layer is
    a sparse MoE without shared experts (a router [experts, hidden] with a score-correction buffer, stacked fused
    experts); block attention residuals (learned queries mlp_input, attention_input -- three before full attention,
    none on layer 0 -- and final_input) mix the hidden states kept at every n_layers_per_attn_res_block-th layer.
    The four short-convolution windows per layer are kept in float32, like Inkling's. lm_head is never tied."""
    from .hybrids_more import _layer_types, _lm_spec, _with_defaults

    c = _with_defaults(c, _DEFAULTS_2)
    hidden = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    types = _layer_types(c, n, {"hybrid", "hybrid_sliding"},
                         ["hybrid" if (i + 1) % 6 == 0 else "hybrid_sliding" for i in range(n)])
    c.int("n_layers_per_attn_res_block")  # where block states are kept: changes no shape
    kinds: dict[tuple[bool, bool], LayerSpec] = {}
    layers = []
    for i, t in enumerate(types):
        key = (t == "hybrid_sliding", i == 0)
        if key not in kinds:
            kinds[key] = _layer2(c, hidden, *key)
        layers.append(kinds[key])
    c.touch("num_attention_heads", "num_key_value_heads", "head_dim", "rel_extent", "swa_num_attention_heads",
            "swa_num_key_value_heads", "swa_head_dim", "sliding_window_size", "number_of_conv_states",
            "unpadded_vocab_size", "log_scaling_n_floor", "log_scaling_alpha", "route_scale", "scoring_func",
            "qk_l2_clip_threshold", "rel_l2_clip_threshold", "mlp_gate_softcap", "mlp_up_softcap",
            "final_logit_softcapping", "tie_word_embeddings")
    stack = StackSpec("decoder", hidden, tuple(layers), final_norm=NormSpec("norm_final", hidden),
                      extra=(ExtraTensor("final_input.query", "depth_query", (hidden,)),))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=hidden,
                    vocab=c.int("vocab_size"), stacks=(stack,), tied=False,
                    max_context=c.opt_int("max_position_embeddings"),
                    extra=(ExtraTensor("embed.norm.weight", "norm_embed", (hidden,)),))
