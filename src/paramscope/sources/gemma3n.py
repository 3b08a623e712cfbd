"""config.json -> ModelSpec for Gemma 3n's text decoder (transformers 5.23 gemma3n/modeling_gemma3n.py,
Gemma3nTextModel and Gemma3nTextDecoderLayer).

What Gemma 3n adds to a Gemma 3 layer, each as tensors of its own:
- per-layer MLP widths (intermediate_size may be a list);
- AltUp (Gemma3nTextAltUp): altup_num_inputs parallel copies of the residual stream, with a router
  [n, hidden] and its norm, prediction coefficients [n^2, n], correction coefficients [n, n] and an output
  scale [hidden] per layer, plus n - 1 projections into and out of the copies at the model level;
- LAuReL (Gemma3nTextLaurelBlock): a low-rank residual, left [rank, hidden], right [hidden, rank], a norm;
- per-layer embeddings: one table of vocab_size_per_layer_input x (layers x hidden_size_per_layer_input),
  a model projection [layers x p, hidden] and norm [p], and per layer a gate [p, hidden], a projection
  [hidden, p] and a norm;
- KV sharing: the last num_kv_shared_layers layers read the K/V of the last earlier layer of their type and
  store no k/v projections, k norm or cache (Gemma3nTextConfig.kv_sharing_modes).
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spec import (
    AttentionSpec,
    EmbeddingSpec,
    ExtraTensor,
    HeadSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    NormSpec,
    StackSpec,
)
from .config_access import Cfg

_SANDWICH = ("norm_attn_in", "norm_attn_out", "norm_mlp_in", "norm_mlp_out")


def gemma3n_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    head_dim = c.int("head_dim", 256)
    bias = c.bool("attention_bias", False)
    widths = c.int_list("intermediate_size", minimum=1) if isinstance(c.raw("intermediate_size"), list) \
        else [c.int("intermediate_size", 16384)] * n
    if len(widths) != n:
        raise ConfigError(f"{c.origin}: intermediate_size: has {len(widths)} entries for {n} layers")
    types = c.str_list("layer_types") or ["full_attention" if (i + 1) % 5 == 0 else "sliding_attention"
                                          for i in range(n)]
    if len(types) != n or not set(types) <= {"full_attention", "sliding_attention"}:
        raise ConfigError(f"{c.origin}: layer_types: expected {n} entries of full_attention/sliding_attention")
    window = c.int("sliding_window", 512)
    shared_from = n - c.int("num_kv_shared_layers", 0, minimum=0)
    if shared_from < 0:
        raise ConfigError(f"{c.origin}: num_kv_shared_layers exceeds num_hidden_layers ({n})")
    alt, rank, p = c.int("altup_num_inputs", 4), c.int("laurel_rank", 64), c.int("hidden_size_per_layer_input", 256)
    act = c.str("hidden_activation", "gelu_pytorch_tanh")
    c.touch("altup_active_idx", "altup_coef_clip", "altup_correct_scale", "activation_sparsity_pattern",
            "final_logit_softcapping", "query_pre_attn_scalar")
    extra = (
        ExtraTensor("altup.correct_output_scale", "other", (d,)),
        ExtraTensor("altup.correction_coefs.weight", "other", (alt, alt)),
        ExtraTensor("altup.prediction_coefs.weight", "other", (alt * alt, alt)),
        ExtraTensor("altup.modality_router.weight", "other", (alt, d)),
        ExtraTensor("altup.router_norm.weight", "norm_embed", (d,)),
        ExtraTensor("laurel.linear_left.weight", "other", (rank, d)),
        ExtraTensor("laurel.linear_right.weight", "other", (d, rank)),
        ExtraTensor("laurel.post_laurel_norm.weight", "norm_embed", (d,)),
        ExtraTensor("per_layer_input_gate.weight", "other", (p, d)),
        ExtraTensor("per_layer_projection.weight", "other", (d, p)),
        ExtraTensor("post_per_layer_input_norm.weight", "norm_embed", (d,)),
    )
    norms = tuple(NormSpec(r, d) for r in _SANDWICH)
    cache: dict[tuple, LayerSpec] = {}
    layers = []
    for i in range(n):
        key = (types[i], i >= shared_from, widths[i])
        if key not in cache:
            attn = AttentionSpec(heads, kv, head_dim, qkv_bias=bias, o_bias=bias, qk_norm="head",
                                 window=window if types[i] == "sliding_attention" else None, kv_shared=i >= shared_from)
            cache[key] = LayerSpec(attention=attn, ffn=MlpSpec(widths[i], gated=True, activation=act), norms=norms,
                                   extra=extra)
        layers.append(cache[key])
    vocab_pl = c.int("vocab_size_per_layer_input", 262144)
    stack_extra = (
        ExtraTensor("embed_tokens_per_layer.weight", "embed", (vocab_pl, n * p)),
        ExtraTensor("per_layer_model_projection.weight", "embed_proj", (n * p, d)),
        ExtraTensor("per_layer_projection_norm.weight", "norm_embed", (p,)),
        *(ExtraTensor(f"altup_projections.{j}.weight", "other", (d, d)) for j in range(alt - 1)),
        *(ExtraTensor(f"altup_unembed_projections.{j}.weight", "other", (d, d)) for j in range(alt - 1)),
    )
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm"),
        stacks=(StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d), extra=stack_extra),),
        head=HeadSpec(kind=head), max_context=c.opt_int("max_position_embeddings"),
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))


def gemma4_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Gemma 4's text decoder (transformers 5.23 gemma4/modeling_gemma4.py, Gemma4TextModel,
    and gemma4_unified/modeling_gemma4_unified.py's Gemma4UnifiedTextModel: the same layers without the MoE block and
    per-layer embeddings, sliding_window 1024 by default;
    Gemma4TextDecoderLayer, Gemma4TextAttention, Gemma4TextMLP, Gemma4TextRouter, Gemma4TextExperts).

    - Gemma 3's sandwich norms and per-head q/k RMSNorms (the v RMSNorm has no scale), layer_types of sliding
      and full attention (default: every 6th full, the last one always full), no attention biases unless
      attention_bias; a layer_scalar buffer per layer.
    - Per-layer attention shapes (the heterogeneous per_layer_config: head_dim and num_key_value_heads per
      layer). Without it, Gemma4TextConfig gives the full-attention layers head_dim global_head_dim (512) and,
      with attention_k_eq_v, num_global_key_value_heads KV heads.
    - attention_k_eq_v: full-attention layers have no v_proj, their values are the key projection
      (AttentionSpec.values_from_keys); the cache keeps keys and values apart.
    - KV sharing as Gemma 3n's: the last num_kv_shared_layers layers store no k/v projections, k norm or
      cache; with use_double_wide_mlp their MLP is 2 x intermediate_size wide.
    - enable_moe_block: every layer adds routed experts beside its dense MLP (the dense MLP always runs, so
      it is the MoE's shared expert): a router (a scale [hidden], per_expert_scale [experts] and
      proj [experts, hidden]), stacked experts of moe_intermediate_size, three more RMSNorms.
    - Per-layer embeddings when hidden_size_per_layer_input is set (as Gemma 3n's, without AltUp/LAuReL).
    """
    from ..errors import UnsupportedArchitectureError
    from ..spec import MoeSpec

    d = c.int("hidden_size", 2304)
    n = c.int("num_hidden_layers", 30, minimum=0)
    heads = c.int("num_attention_heads", 8)
    kv = c.int("num_key_value_heads", 4)
    head_dim = c.int("head_dim", 256)
    bias = c.bool("attention_bias", False)
    types = c.str_list("layer_types") or ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention"
                                          for i in range(n)]
    if len(types) != n or not set(types) <= {"full_attention", "sliding_attention"}:
        raise ConfigError(f"{c.origin}: layer_types: expected {n} entries of full_attention/sliding_attention")
    if n:
        types = types[:-1] + ["full_attention"]  # Gemma4TextConfig forces the last layer to full attention
    bidirectional = c.str("use_bidirectional_attention")
    unified = model_type == "gemma4_unified_text"  # Gemma4UnifiedTextConfig: no MoE block, no per-layer embeddings
    window = c.int("sliding_window", 1024 if unified else 512)
    if bidirectional == "all":  # Gemma4TextConfig halves the stated window (exclusive bounds) and drops causality
        window = window // 2 + 1
    k_eq_v = c.bool("attention_k_eq_v", False)
    per_layer: dict[int, dict] = {}
    stated = c.raw("per_layer_config")
    if stated is not None:
        if not isinstance(stated, dict):
            raise ConfigError(f"{c.origin}: per_layer_config: expected an object of layer index -> overrides")
        for key, overrides in stated.items():
            try:
                i = int(key)
            except (TypeError, ValueError):
                raise ConfigError(f"{c.origin}: per_layer_config: key {key!r} is not a layer index") from None
            if not 0 <= i < n or not isinstance(overrides, dict):
                raise ConfigError(f"{c.origin}: per_layer_config[{key!r}]: expected a layer in [0, {n}) and an object")
            unknown = sorted(set(overrides) - {"head_dim", "num_key_value_heads"})
            if unknown:
                raise UnsupportedArchitectureError(f"{c.origin}: per_layer_config[{key!r}].{unknown[0]}: a per-layer "
                                                   "override other than head_dim / num_key_value_heads is not described")
            per_layer[i] = overrides
        c.touch("global_head_dim", "num_global_key_value_heads")
    elif c.present("per_layer_config"):  # stated null: every layer has the global shapes
        c.touch("global_head_dim", "num_global_key_value_heads")
    else:  # Gemma4TextConfig.__post_init__
        glob = {"head_dim": c.int("global_head_dim", 512)}
        if k_eq_v and c.raw("num_global_key_value_heads") is not None:
            glob["num_key_value_heads"] = c.int("num_global_key_value_heads")
        per_layer = {i: glob for i, t in enumerate(types) if t == "full_attention"}
    shared_from = n - c.int("num_kv_shared_layers", 0, minimum=0)
    if shared_from < 0:
        raise ConfigError(f"{c.origin}: num_kv_shared_layers exceeds num_hidden_layers ({n})")
    act = c.str("hidden_activation", "gelu_pytorch_tanh")
    inter = c.int("intermediate_size", 9216)
    double = c.bool("use_double_wide_mlp", False)
    c.touch("final_logit_softcapping")
    moe = None
    moe_extra: tuple[ExtraTensor, ...] = ()
    if not unified and c.bool("enable_moe_block", False):
        experts = c.int("num_experts")
        moe_extra = (ExtraTensor("router.scale", "router", (d,)),
                     ExtraTensor("router.per_expert_scale", "router", (experts,)),
                     ExtraTensor("post_feedforward_layernorm_1.weight", "norm_mlp_out", (d,)),
                     ExtraTensor("post_feedforward_layernorm_2.weight", "norm_mlp_out", (d,)),
                     ExtraTensor("pre_feedforward_layernorm_2.weight", "norm_mlp_in", (d,)))
        moe = (experts, c.int("top_k_experts"), c.int("moe_intermediate_size"))
    else:
        c.touch("num_experts", "top_k_experts", "moe_intermediate_size")
    p = 0 if unified else c.int("hidden_size_per_layer_input", 256, minimum=0)
    ple = (ExtraTensor("per_layer_input_gate.weight", "other", (p, d)),
           ExtraTensor("per_layer_projection.weight", "other", (d, p)),
           ExtraTensor("post_per_layer_input_norm.weight", "norm_embed", (d,))) if p else ()
    norms = tuple(NormSpec(r, d) for r in _SANDWICH)
    cache: dict[tuple, LayerSpec] = {}
    layers = []
    for i in range(n):
        o = per_layer.get(i, {})
        hd, nkv = int(o.get("head_dim", head_dim)), int(o.get("num_key_value_heads", kv))
        full, shared = types[i] == "full_attention", i >= shared_from
        width = inter * (2 if double and shared else 1)
        key = (hd, nkv, full, shared, width)
        if key not in cache:
            attn = AttentionSpec(heads, nkv, hd, qkv_bias=bias, o_bias=bias, qk_norm="head",
                                 window=None if full else window, kv_shared=shared,
                                 values_from_keys=k_eq_v and full and not shared)
            dense = MlpSpec(width, gated=True, activation=act)
            ffn = dense if moe is None else MoeSpec(
                num_experts=moe[0], top_k=moe[1],
                expert=MlpSpec(moe[2], gated=True, fused_gate_up=True, activation=act),
                shared=dense, num_shared_experts=1, stacked=True)
            cache[key] = LayerSpec(attention=attn, ffn=ffn, norms=norms, extra=moe_extra + ple)
        layers.append(cache[key])
    stack_extra = (
        ExtraTensor("embed_tokens_per_layer.weight", "embed", (c.int("vocab_size_per_layer_input", 262144), n * p)),
        ExtraTensor("per_layer_model_projection.weight", "embed_proj", (n * p, d)),
        ExtraTensor("per_layer_projection_norm.weight", "norm_embed", (p,)),
    ) if p and n else ()
    if not p and not unified:
        c.touch("vocab_size_per_layer_input")
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size", 262144), d,
                                tied_head=c.bool("tie_word_embeddings", True) and head == "lm"),
        stacks=(StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d), extra=stack_extra,
                          causal=bidirectional != "all"),),
        head=HeadSpec(kind=head), max_context=c.opt_int("max_position_embeddings"),
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))
