"""config.json -> ModelSpec for the classic (pre-Llama) decoders: GPT-NeoX (Pythia), GPT-NeoX-Japanese,
BLOOM, OPT, GPT-J, GPT-Neo, GPT-BigCode (SantaCoder/StarCoder), Phi-1/1.5/2, MPT, CodeGen, Persimmon,
CTRL, XGLM and BioGPT.

Every layout below is read off transformers 5.x ``models/<family>/modeling_<family>.py`` (the file is
named in each adapter's docstring) and checked against transformers' own model at its default config,
the config save_pretrained writes and a small perturbed config (tests/transformers_walk.py).

Tensors the spec has no field for are :class:`ExtraTensor` entries: OPT's project_in/project_out
(role ``embed_proj``) and its position table when its width differs from the token embedding's, BLOOM's
embedding LayerNorm (the spec's embedding norm), GPT-NeoX-Japanese's lone output bias of the last layer.
Sinusoidal position tables (XGLM, CTRL) are buffers in transformers and are not parameters: their
embedding position is "none".

A key that changes the checkpoint's shapes but that transformers ignores (MPT's expansion_ratio,
no_bias, qk_ln, attn_type) is refused when it differs from the one layout transformers builds, since
the checkpoint and transformers' model would then disagree.
"""

from __future__ import annotations

from ..errors import ConfigError, UnsupportedArchitectureError
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
from .common import common_fields as _common
from .common import layernorm as _ln
from .config_access import Cfg


def _heads(c: Cfg, d: int, key) -> int:
    heads = c.int(key)
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden size {d} is not divisible by the number of heads {heads}")
    return heads


def _tied(c: Cfg, head: str, default: bool) -> bool:
    return c.bool("tie_word_embeddings", default) and head == "lm"


def _decoder(c: Cfg, model_type: str, name: str, architecture: str, head: str, *, d: int, layers,
             embedding: EmbeddingSpec, final_norm: NormSpec | None, head_bias: bool = False,
             max_context: int | None = None, extra: tuple[ExtraTensor, ...] = ()) -> ModelSpec:
    return ModelSpec(
        hidden_size=d,
        embedding=embedding,
        stacks=(StackSpec("decoder", d, tuple(layers), final_norm=final_norm),),
        head=HeadSpec(kind=head, bias=head_bias and head == "lm"),
        max_context=max_context,
        extra=extra,
        **_common(c, model_type, name, architecture),
    )


# ------------------------------------------------------------------ rotary, fused or parallel blocks


def gpt_neox(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-NeoX-20B and Pythia (Black et al. 2022; gpt_neox/modeling_gpt_neox.py): fused
    query_key_value [3h, h] and dense, both with bias when attention_bias (default true); MLP
    dense_h_to_4h / dense_4h_to_h always with bias; input_layernorm and post_attention_layernorm in
    every layer (use_parallel_residual only changes where the MLP reads from); partial rotary
    (rotary_pct, no parameters); untied embed_out by default."""
    d = c.int("hidden_size")
    heads = _heads(c, d, "num_attention_heads")
    bias = c.bool("attention_bias", True)
    layer = LayerSpec(
        attention=AttentionSpec(heads, heads, d // heads, qkv_bias=bias, o_bias=bias, fused_qkv=True),
        ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True, activation=c.str("hidden_act", "gelu")),
        norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)),
        parallel=c.bool("use_parallel_residual", True))
    n = c.int("num_hidden_layers", minimum=0)
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, False)),
                    final_norm=_ln("norm_final", d), max_context=c.opt_int("max_position_embeddings"))


def gpt_neox_japanese(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-NeoX-Japanese (gpt_neox_japanese/modeling_gpt_neox_japanese.py): GPT-NeoX without biases in
    query_key_value, dense and the MLP (width hidden * intermediate_multiple_size); only the last layer
    holds a bias for its attention output (``dense_bias``, use_bias = layer_number == n - 1); head
    embed_out tied by default."""
    d = c.int("hidden_size")
    heads = _heads(c, d, "num_attention_heads")
    n = c.int("num_hidden_layers", minimum=0)
    mult = c.float("intermediate_multiple_size", 4)
    kw = dict(attention=AttentionSpec(heads, heads, d // heads, fused_qkv=True),
              ffn=MlpSpec(int(d * mult), gated=False, activation=c.str("hidden_act", "gelu")),
              norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)), parallel=True)
    layer = LayerSpec(**kw)
    last = LayerSpec(**kw, extra=(ExtraTensor("attn.dense_bias", "attn_o", (d,)),))
    layers = (layer,) * (n - 1) + (last,) if n else ()
    return _decoder(c, model_type, name, architecture, head, d=d, layers=layers,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True)),
                    final_norm=_ln("norm_final", d), max_context=c.opt_int("max_position_embeddings"))


def bloom(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """BLOOM (BigScience 2022; bloom/modeling_bloom.py): ALiBi (no position parameters), a LayerNorm
    right after the word embedding (word_embeddings_layernorm), fused query_key_value [3h, h] with bias,
    dense with bias, MLP 4h with bias (n_inner is not read), two LayerNorms per layer, final ln_f, head
    tied by default. ``n_embed`` is the older name of hidden_size (BloomConfig pops it)."""
    d = c.int(("n_embed", "hidden_size"))
    heads = _heads(c, d, ("n_head", "num_attention_heads"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    c.touch("n_inner")  # BloomMLP is 4 * hidden whatever n_inner says (released configs write null)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, fused_qkv=True),
                      ffn=MlpSpec(4 * d, gated=False, bias=True, activation="gelu"),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True),
                                            position="alibi", norm=_ln("norm_embed", d)),
                    final_norm=_ln("norm_final", d), max_context=c.opt_int("seq_length"))


def gptj(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-J (Wang & Komatsuzaki 2021; gptj/modeling_gptj.py): parallel block with one ln_1, q/k/v/out
    without bias, MLP fc_in/fc_out (n_inner, default 4h) with bias, final ln_f, lm_head with bias
    (untied by default). Rotary on rotary_dim channels: no parameters."""
    d = c.int(("n_embd", "hidden_size"))
    heads = _heads(c, d, ("n_head", "num_attention_heads"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    c.touch("rotary_dim")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads),
                      ffn=MlpSpec(c.int("n_inner", 4 * d), gated=False, bias=True,
                                  activation=c.str("activation_function", "gelu_new")),
                      norms=(_ln("norm_attn_in", d),), parallel=True)
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, False)),
                    final_norm=_ln("norm_final", d), head_bias=True,
                    max_context=c.opt_int(("n_positions", "max_position_embeddings")))


def codegen(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """CodeGen (Nijkamp et al. 2022; codegen/modeling_codegen.py): GPT-J's block with a fused qkv_proj
    [3h, h] without bias; out_proj without bias; MLP (n_inner, default 4h) with bias; lm_head with bias.
    n_ctx only bounds the rotary width (no parameters)."""
    d = c.int(("n_embd", "hidden_size"))
    heads = _heads(c, d, ("n_head", "num_attention_heads"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    c.touch("rotary_dim", "n_ctx")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, fused_qkv=True),
                      ffn=MlpSpec(c.int("n_inner", 4 * d), gated=False, bias=True,
                                  activation=c.str("activation_function", "gelu_new")),
                      norms=(_ln("norm_attn_in", d),), parallel=True)
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, False)),
                    final_norm=_ln("norm_final", d), head_bias=True,
                    max_context=c.opt_int(("n_positions", "max_position_embeddings")))


def phi(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Phi-1, Phi-1.5, Phi-2 (phi/modeling_phi.py): parallel block with one input_layernorm, q/k/v
    (num_key_value_heads) and dense all with bias, optional per-head q/k LayerNorms (qk_layernorm),
    MLP fc1/fc2 with bias, final_layernorm, lm_head with bias (untied by default). Partial rotary: no
    parameters."""
    d = c.int("hidden_size")
    heads = _heads(c, d, "num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    qk = "head" if c.bool("qk_layernorm", False) else "none"
    layer = LayerSpec(attention=AttentionSpec(heads, kv, d // heads, qkv_bias=True, o_bias=True, qk_norm=qk),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True,
                                  activation=c.str("hidden_act", "gelu_new")),
                      norms=(_ln("norm_attn_in", d),), parallel=True)
    n = c.int("num_hidden_layers", minimum=0)
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, False)),
                    final_norm=_ln("norm_final", d), head_bias=True,
                    max_context=c.opt_int("max_position_embeddings"))


def persimmon(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Persimmon-8B (persimmon/modeling_persimmon.py): fused query_key_value [3h, h] and dense with bias,
    per-head q/k LayerNorms with bias (qk_layernorm, default true), MLP dense_h_to_4h / dense_4h_to_h
    with bias (relu2), two LayerNorms per layer, final_layernorm, untied lm_head without bias."""
    d = c.int("hidden_size")
    heads = _heads(c, d, "num_attention_heads")
    qk = "head" if c.bool("qk_layernorm", True) else "none"
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True,
                                              fused_qkv=True, qk_norm=qk),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True,
                                  activation=c.str("hidden_act", "relu2")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    n = c.int("num_hidden_layers", minimum=0)
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, False)),
                    final_norm=_ln("norm_final", d), max_context=c.opt_int("max_position_embeddings"))


def mpt(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """MPT (MosaicML 2023; mpt/modeling_mpt.py): ALiBi, fused Wqkv [3h, h] and out_proj without bias,
    MLP up/down 4h without bias, LayerNorms without bias (norm_1, norm_2, norm_f), head tied by default.
    transformers builds exactly this whatever expansion_ratio, no_bias, learned_pos_emb or attn_config
    say; a config asking for another layout is refused (its checkpoint would not match)."""
    d = c.int(("d_model", "hidden_size"))
    heads = _heads(c, d, ("n_heads", "num_attention_heads"))
    n = c.int(("n_layers", "num_hidden_layers"), minimum=0)
    expansion = c.int("expansion_ratio", 4)
    if expansion != 4:
        raise UnsupportedArchitectureError(f"{c.origin}: expansion_ratio={expansion}: transformers' MptMLP is "
                                           "4 * d_model whatever this says; refusing a checkpoint it cannot load")
    if not c.bool("no_bias", True):
        raise UnsupportedArchitectureError(f"{c.origin}: no_bias=false: transformers' MPT has no biases; "
                                           "refusing a checkpoint it cannot load")
    ac = c.sub("attn_config", required=False)
    if ac is not None:
        if ac.bool("qk_ln", False):
            raise UnsupportedArchitectureError(f"{c.origin}: attn_config.qk_ln=true is not built by transformers' MPT")
        kind = ac.str("attn_type", "multihead_attention")
        if kind != "multihead_attention":
            raise UnsupportedArchitectureError(f"{c.origin}: attn_config.attn_type={kind!r}: transformers' MPT "
                                               "builds multi-head attention only")
        if not ac.bool("alibi", True):
            raise UnsupportedArchitectureError(f"{c.origin}: attn_config.alibi=false (learned positions) is not "
                                               "built by transformers' MPT")
        ac.touch("attn_impl", "clip_qkv", "softmax_scale", "prefix_lm", "attn_uses_sequence_id", "alibi_bias_max",
                 "model_type", "architectures")
    c.touch("learned_pos_emb", "init_device", "embedding_fraction", "norm_type")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, fused_qkv=True),
                      ffn=MlpSpec(4 * d, gated=False, activation="gelu"),
                      norms=(_ln("norm_attn_in", d, False), _ln("norm_mlp_in", d, False)))
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True), position="alibi"),
                    final_norm=_ln("norm_final", d, False), max_context=c.opt_int("max_seq_len"))


# ------------------------------------------------------------------ learned or sinusoidal positions


def gpt_neo(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-Neo (Black et al. 2021; gpt_neo/modeling_gpt_neo.py): learned positions (wpe), q/k/v without
    bias, out_proj with bias, MLP (intermediate_size, default 4h) with bias, ln_1/ln_2, final ln_f, head
    tied by default. Layers alternate global and local attention as attention_types expands (GPTNeoConfig
    recomputes attention_layers from it); local layers see window_size tokens."""
    d = c.int("hidden_size")
    heads = _heads(c, d, ("num_heads", "num_attention_heads"))
    n = c.int(("num_layers", "num_hidden_layers"), minimum=0)
    types = c.raw("attention_types", [[["global", "local"], 12]])
    c.touch("attention_layers")
    kinds: list[str] = []
    try:
        for pattern, reps in types:
            for _ in range(int(reps)):
                kinds.extend(pattern)
    except (TypeError, ValueError):
        raise ConfigError(f"{c.origin}: attention_types: expected [[[kind, ...], repeats], ...], got {types!r}") \
            from None
    if len(kinds) != n or any(k not in ("global", "local") for k in kinds):
        raise ConfigError(f"{c.origin}: attention_types expands to {len(kinds)} layers of kinds "
                          f"{sorted(set(map(str, kinds)))}, expected {n} global/local layers")
    window = c.int("window_size", 256)
    mlp = MlpSpec(c.int("intermediate_size", 4 * d), gated=False, bias=True,
                  activation=c.str("activation_function", "gelu_new"))
    norms = (_ln("norm_attn_in", d), _ln("norm_mlp_in", d))
    by_kind = {k: LayerSpec(attention=AttentionSpec(heads, heads, d // heads, o_bias=True,
                                                    window=window if k == "local" else None),
                            ffn=mlp, norms=norms) for k in ("global", "local")}
    positions = c.int("max_position_embeddings")
    return _decoder(c, model_type, name, architecture, head, d=d, layers=[by_kind[k] for k in kinds],
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True),
                                            position="learned", max_positions=positions),
                    final_norm=_ln("norm_final", d), max_context=positions)


def gpt_bigcode(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-BigCode (SantaCoder, StarCoder; gpt_bigcode/modeling_gpt_bigcode.py): GPT-2's block with
    multi-query attention: c_attn [h + 2 * head_dim, h] with bias when multi_query (GPTBigCodeAttention:
    kv_heads = 1 if multi_query else num_heads; num_key_value_heads is derived from it), c_proj with bias,
    learned positions, MLP (n_inner, default 4h) with bias, head tied by default. Optional cross-attention
    (add_cross_attention, multi-head only): q_attn, c_attn [2h, h], c_proj, all with bias, and
    ln_cross_attn."""
    d = c.int(("n_embd", "hidden_size"))
    heads = _heads(c, d, ("n_head", "num_attention_heads"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    mq = c.bool("multi_query", True)
    c.touch("num_key_value_heads")  # GPTBigCodeConfig derives it from multi_query; the model reads multi_query
    cross = None
    norms = [_ln("norm_attn_in", d), _ln("norm_mlp_in", d)]
    if c.bool("add_cross_attention", False):
        if mq:
            raise ConfigError(f"{c.origin}: add_cross_attention with multi_query is not supported by GPT-BigCode")
        cross = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, cross=True)
        norms.insert(1, _ln("norm_cross_in", d))
    layer = LayerSpec(attention=AttentionSpec(heads, 1 if mq else heads, d // heads, qkv_bias=True, o_bias=True,
                                              fused_qkv=True),
                      cross_attention=cross,
                      ffn=MlpSpec(c.int("n_inner", 4 * d), gated=False, bias=True,
                                  activation=c.str("activation_function", "gelu_pytorch_tanh")),
                      norms=tuple(norms))
    positions = c.int(("n_positions", "max_position_embeddings"))
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True),
                                            position="learned", max_positions=positions),
                    final_norm=_ln("norm_final", d), max_context=positions)


def opt(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """OPT (Zhang et al. 2022; opt/modeling_opt.py): learned positions with 2 extra rows
    (OPTLearnedPositionalEmbedding offset), token embedding of width word_embed_proj_dim with bias-free
    project_in / project_out when it differs from hidden_size (OPT-350m), q/k/v/out and fc1/fc2 with
    bias when enable_bias, LayerNorms before (do_layer_norm_before) or after each block, a final
    LayerNorm only for pre-LN models (and not when _remove_final_layer_norm), head tied by default."""
    d = c.int("hidden_size")
    heads = _heads(c, d, "num_attention_heads")
    n = c.int("num_hidden_layers", minimum=0)
    e = c.int("word_embed_proj_dim", d)
    if not c.bool("layer_norm_elementwise_affine", True):
        raise UnsupportedArchitectureError(f"{c.origin}: layer_norm_elementwise_affine=false (LayerNorms without "
                                           "parameters) is not described")
    bias = c.bool("enable_bias", True)
    pre = c.bool("do_layer_norm_before", True)
    roles = ("norm_attn_in", "norm_mlp_in") if pre else ("norm_attn_out", "norm_mlp_out")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=bias, o_bias=bias),
                      ffn=MlpSpec(c.int("ffn_dim"), gated=False, bias=bias, activation=c.str("activation_function", "relu")),
                      norms=tuple(_ln(r, d) for r in roles))
    positions = c.int("max_position_embeddings")
    tied = _tied(c, head, True)
    extra: tuple[ExtraTensor, ...] = ()
    if e != d:
        if head == "lm" and not tied:
            raise UnsupportedArchitectureError(f"{c.origin}: an untied OPT head over word_embed_proj_dim {e} != "
                                               f"hidden_size {d} is not described")
        extra = (ExtraTensor("pos_embed.weight", "pos_embed", (positions + 2, d)),
                 ExtraTensor("embed_proj_out.weight", "embed_proj", (e, d)),
                 ExtraTensor("embed_proj_in.weight", "embed_proj", (d, e)))
        embedding = EmbeddingSpec(c.int("vocab_size"), e, tied_head=tied, position="none")
    else:
        embedding = EmbeddingSpec(c.int("vocab_size"), d, tied_head=tied, position="learned",
                                  max_positions=positions + 2)
    final = _ln("norm_final", d) if pre and not c.bool("_remove_final_layer_norm", False) else None
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n, embedding=embedding,
                    final_norm=final, max_context=positions, extra=extra)


def biogpt(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """BioGPT (Luo et al. 2022; biogpt/modeling_biogpt.py): pre-LN, learned positions with 2 extra rows
    (BioGptLearnedPositionalEmbedding offset), q/k/v/out and fc1/fc2 with bias, final layer_norm,
    output_projection without bias, tied by default."""
    d = c.int("hidden_size")
    heads = _heads(c, d, "num_attention_heads")
    n = c.int("num_hidden_layers", minimum=0)
    c.touch("scale_embedding")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True, activation=c.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    positions = c.int("max_position_embeddings")
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True),
                                            position="learned", max_positions=positions + 2),
                    final_norm=_ln("norm_final", d), max_context=positions)


def xglm(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """XGLM (Lin et al. 2021; xglm/modeling_xglm.py): pre-LN, sinusoidal positions (a buffer), q/k/v/out
    and fc1/fc2 with bias, optional cross-attention with its own LayerNorm (add_cross_attention), final
    layer_norm, head tied by default."""
    d = c.int(("d_model", "hidden_size"))
    heads = _heads(c, d, ("attention_heads", "num_attention_heads"))
    n = c.int(("num_layers", "num_hidden_layers"), minimum=0)
    c.touch("scale_embedding")
    cross = None
    norms = [_ln("norm_attn_in", d), _ln("norm_mlp_in", d)]
    if c.bool("add_cross_attention", False):
        cross = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, cross=True)
        norms.insert(1, _ln("norm_cross_in", d))
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      cross_attention=cross,
                      ffn=MlpSpec(c.int("ffn_dim"), gated=False, bias=True, activation=c.str("activation_function", "gelu")),
                      norms=tuple(norms))
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True), position="none"),
                    final_norm=_ln("norm_final", d), max_context=c.opt_int("max_position_embeddings"))


def ctrl(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """CTRL (Keskar et al. 2019; ctrl/modeling_ctrl.py): sinusoidal positions (the pos_encoding buffer),
    Wq/Wk/Wv/dense with bias, a ReLU MLP of width dff with bias, layernorm1/layernorm2 and a final
    layernorm, lm_head with bias (its weight tied by default)."""
    d = c.int(("n_embd", "hidden_size"))
    heads = _heads(c, d, ("n_head", "num_attention_heads"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(c.int("dff"), gated=False, bias=True, activation="relu"),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    return _decoder(c, model_type, name, architecture, head, d=d, layers=(layer,) * n,
                    embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=_tied(c, head, True), position="none"),
                    final_norm=_ln("norm_final", d), head_bias=True,
                    max_context=c.opt_int(("n_positions", "max_position_embeddings")))
