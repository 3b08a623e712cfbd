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
