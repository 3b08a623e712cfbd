"""config.json -> ModelSpec for encoder-decoders (T5, Switch Transformer) and state-space models
(Mamba, Jamba).

Layouts from transformers 5.x t5/modeling_t5.py, switch_transformers/modeling_switch_transformers.py,
mamba/modeling_mamba.py and jamba/modeling_jamba.py; checked tensor by tensor in tests.
"""

from __future__ import annotations

import math

from ..spec import (
    AttentionSpec,
    EmbeddingSpec,
    HeadSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    MoeSpec,
    NormSpec,
    SsmSpec,
    StackSpec,
)
from .common import common_fields as _common
from .config_access import Cfg


def t5(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """T5 (Raffel et al. 2020) and Switch Transformer (Fedus et al. 2021).

    No biases; RMS-style T5LayerNorm without bias; a relative-position bias table [buckets, heads] in
    the first layer of each stack only; decoder layers add cross-attention. Switch replaces the MLP of
    every `sparse_step`-th layer by a top-1 router over `num_experts` experts (transformers:
    is_sparse = i % sparse_step == 1 or sparse_step == 1).
    """
    d = c.int("d_model")
    d_kv = c.int("d_kv")
    heads = c.int("num_heads")
    n_enc = c.int("num_layers", minimum=0)
    n_dec = c.int("num_decoder_layers", n_enc, minimum=0)
    buckets = c.int("relative_attention_num_buckets", 32)
    proj = c.str("feed_forward_proj", "relu")
    gated = proj.startswith("gated-")
    act = proj.split("-")[-1]
    mlp = MlpSpec(c.int("d_ff"), gated=gated, activation=act)
    switch = model_type == "switch_transformers"
    c.touch("add_cross_attention")  # T5 decoder layers always cross-attend (T5Block: is_decoder)
    moe = None
    if switch:
        moe = MoeSpec(num_experts=c.int("num_experts"), top_k=1,
                      expert=MlpSpec(c.int("d_ff"), gated=False, activation=act),
                      router_bias=c.bool("router_bias", False))
    norm = NormSpec("norm_attn_in", d)

    def stack(name: str, n: int, decoder: bool, step: int) -> StackSpec:
        cache: dict[tuple, LayerSpec] = {}
        layers = []
        for i in range(n):
            first = i == 0
            sparse = switch and step > 0 and (i % step == 1 or step == 1)
            key = (first, sparse)
            layer = cache.get(key)
            if layer is None:
                attn = AttentionSpec(heads, heads, d_kv, rel_bias_buckets=buckets if first else 0)
                cross = AttentionSpec(heads, heads, d_kv, cross=True) if decoder else None
                norms = (norm, NormSpec("norm_cross_in", d), NormSpec("norm_mlp_in", d)) if decoder else \
                    (norm, NormSpec("norm_mlp_in", d))
                layer = LayerSpec(attention=attn, cross_attention=cross, ffn=moe if sparse else mlp, norms=norms)
                cache[key] = layer
            layers.append(layer)
        return StackSpec(name, d, tuple(layers), final_norm=NormSpec("norm_final", d), causal=decoder)

    enc_step = _sparse_step(c, "encoder", n_enc) if switch else 0
    dec_step = _sparse_step(c, "decoder", n_dec) if switch else 0
    stacks = [stack("encoder", n_enc, False, enc_step)]
    if not architecture.endswith("EncoderModel"):
        stacks.append(stack("decoder", n_dec, True, dec_step))
    tied = c.bool("tie_word_embeddings", True)
    warnings = ()
    if switch and not tied:
        # SwitchTransformersModel ties encoder/decoder embed_tokens to shared only when tie_word_embeddings is
        # true (unlike T5's, which are always the shared table): untied, each stack stores its own table
        from .seq2seq import _own_token_embeddings

        stacks = list(_own_token_embeddings(stacks, c.int("vocab_size"), d))
    elif not tied and head == "lm":
        warnings = ("transformers 5 ties T5's output head to the shared embedding whatever tie_word_embeddings "
                    "says; the checkpoint (tie_word_embeddings: false, as in T5 v1.1) stores a separate head, "
                    "which is counted here",)
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=tied and head == "lm", position="relative"),
        warnings=warnings,
        stacks=tuple(stacks),
        head=HeadSpec(kind=head),
        max_context=c.opt_int("n_positions"),
        **_common(c, model_type, name, architecture),
    )


def _sparse_step(c: Cfg, which: str, n: int) -> int:
    """Every how many layers a Switch stack has a sparse layer. SwitchTransformersConfig derives it from
    num_sparse_<which>_layers (default 3: n // k, or n when k is 0), and a <which>_sparse_step stated in
    the file overrides that (it is set after __post_init__)."""
    k = c.int(f"num_sparse_{which}_layers", 3, minimum=0)
    derived = n // k if k > 0 else n
    return c.int(f"{which}_sparse_step", derived, minimum=0)


def _dt_rank(c: Cfg, key: str, hidden: int) -> int:
    v = c.raw(key, "auto")
    return math.ceil(hidden / 16) if v == "auto" else c.int(key)


def mamba(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Mamba-1 (Gu & Dao 2023): every layer is an RMSNorm + selective-SSM mixer; no attention, no MLP."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    ssm = SsmSpec(d_inner=c.int("intermediate_size", int(c.int("expand", 2) * d)), d_state=c.int("state_size", 16),
                  d_conv=c.int("conv_kernel", 4), dt_rank=_dt_rank(c, "time_step_rank", d),
                  conv_bias=c.bool("use_conv_bias", True), proj_bias=c.bool("use_bias", False))
    layer = LayerSpec(ssm=ssm, norms=(NormSpec("norm_ssm", d),))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="none"),
        stacks=(StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d)),),
        head=HeadSpec(kind=head),
        **_common(c, model_type, name, architecture),
    )


def jamba(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Jamba (Lieber et al. 2024): attention in layers i % attn_layer_period == attn_layer_offset, Mamba
    elsewhere; MoE feed-forward in layers i % expert_layer_period == expert_layer_offset."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    attn_period, attn_offset = c.int("attn_layer_period", 8), c.int("attn_layer_offset", 4, minimum=0)
    exp_period, exp_offset = c.int("expert_layer_period", 2), c.int("expert_layer_offset", 1, minimum=0)
    act = c.str("hidden_act", "silu")
    mlp = MlpSpec(c.int("intermediate_size"), gated=True, activation=act)
    n_exp = c.int("num_experts", 16)
    moe = MoeSpec(num_experts=n_exp, top_k=c.int("num_experts_per_tok", 2), expert=mlp) if n_exp > 1 else None
    attn = AttentionSpec(heads, kv, d // heads)
    ssm = SsmSpec(d_inner=c.int("mamba_expand", 2) * d, d_state=c.int("mamba_d_state", 16),
                  d_conv=c.int("mamba_d_conv", 4), dt_rank=_dt_rank(c, "mamba_dt_rank", d),
                  conv_bias=c.bool("mamba_conv_bias", True), proj_bias=c.bool("mamba_proj_bias", False),
                  inner_norms=True)
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    cache: dict[tuple, LayerSpec] = {}
    layers = []
    for i in range(n):
        is_attn = i % attn_period == attn_offset
        is_moe = moe is not None and i % exp_period == exp_offset
        key = (is_attn, is_moe)
        if key not in cache:
            cache[key] = LayerSpec(attention=attn if is_attn else None, ssm=None if is_attn else ssm,
                                   ffn=moe if is_moe else mlp, norms=norms)
        layers.append(cache[key])
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", False) and head == "lm",
                                position="none"),
        stacks=(StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d)),),
        head=HeadSpec(kind=head),
        max_context=c.opt_int("max_position_embeddings"),
        **_common(c, model_type, name, architecture),
    )


def mamba2(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Mamba-2 (Dao & Gu 2024): every layer is an RMSNorm + SSD mixer (sources/mixers.py mamba2); no
    attention, no MLP; a final norm; head untied by default (Mamba2Config tie_word_embeddings False)."""
    from .mixers import mamba2 as mixer

    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    c.touch("time_step_rank", "chunk_size", "time_step_limit", "time_step_min", "time_step_max", "time_step_floor",
            "rms_norm", "residual_in_fp32", "norm_before_gate")
    layer = LayerSpec(recurrent=mixer(c, d), norms=(NormSpec("norm_ssm", d),))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", False) and head == "lm",
                                position="none"),
        stacks=(StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d)),),
        head=HeadSpec(kind=head),
        **_common(c, model_type, name, architecture),
    )
