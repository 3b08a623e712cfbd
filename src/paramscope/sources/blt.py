"""BLT, the Byte Latent Transformer (Pagnoni et al. 2024, arXiv 2412.09871; transformers 5.23,
models/blt/{configuration,modeling}_blt.py, BltForCausalLM).

Four stacks of Llama-shaped layers (BltTransformerLayer: q/k/v/o without biases, head_dim = hidden /
heads whatever head_dim says, a SwiGLU MLP, two RMSNorms), each from its own sub-config:

- local_encoder (encoder_config): byte embeddings [vocab, hidden], its layers, patch_embedding_projection
  [hidden x cross_attn_k, hidden] and cross-attention layers (BltCrossAttention: q/k/v/o plus hidden-wide q and k
  RMSNorms) on every layer with cross_attn_all_layers, else one after the last layer;
- global_transformer (global_config): its layers over patches, with token_embedding_projection [global hidden,
  encoder hidden x cross_attn_k] when the two widths differ (BltConfig sets encoder_cross_output_size);
- local_decoder (decoder_config): its layers, patch_embedding_projection [hidden x cross_attn_k, hidden_size_global],
  cross-attention layers as the encoder's, a final RMSNorm;
- patcher (patcher_config, with patch_in_forward): the entropy model -- a byte LM of its own with embeddings,
  layers, a final norm and lm_head -- that decides where patches end.

The model also stores the hash n-gram byte embeddings encoder_hash_tok_embedding [encoder_hash_byte_group_vocab x
nb_functions x len(group sizes), encoder hidden], and lm_head [vocab, decoder hidden], tied to the local encoder's
byte embeddings with tie_word_embeddings.

What a run costs is NOT described: the global transformer runs once per patch, and patches come from the entropy
model at run time (transformers recomputes the global transformer over every patch at each step, without a cache);
paramscope counts the parameters exactly and refuses KV-cache, FLOPs and speed figures for BLT.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spec import AttentionSpec, ExtraTensor, LayerSpec, MlpSpec, ModelSpec, NormSpec, StackSpec
from .config_access import Cfg

RUNTIME = ("BLT's global transformer runs once per patch, and the patches are chosen at run time by its entropy "
           "model; paramscope does not model that rate, so its KV cache, FLOPs and speed are refused (the parameter "
           "counts are exact)")

# the sub-config classes' defaults (configuration_blt.py); None where __post_init__ derives the value
_ENC = {"vocab_size": 260, "cross_attn_all_layers": False, "cross_attn_k": 2, "hidden_size_global": 2048,
        "hidden_size": 1024, "num_attention_heads": 16, "num_hidden_layers": 1, "hidden_act": "silu"}
_DEC = {"vocab_size": 260, "cross_attn_all_layers": True, "cross_attn_k": 2, "hidden_size_global": 2048,
        "hidden_size": 1024, "num_attention_heads": 16, "num_hidden_layers": 9, "hidden_act": "silu",
        "intermediate_size": 2816}
_GLOBAL = {"hidden_size": 2048, "num_attention_heads": 16, "num_hidden_layers": 25, "hidden_act": "silu",
           "intermediate_size": 5632}
_PATCHER = {"vocab_size": 260, "hidden_size": 768, "num_hidden_layers": 14, "num_attention_heads": 12,
            "intermediate_size": 2048}
_TOP = {"vocab_size": 260, "patch_in_forward": True, "cross_attn_k": 2, "encoder_hash_byte_group_vocab": 500002,
        "encoder_hash_byte_group_nb_functions": 1, "tie_word_embeddings": False}


def _sub(c: Cfg, key: str, defaults: dict) -> Cfg:
    got = c.sub(key, required=False)
    if got is None:
        return Cfg(dict(defaults), c.origin, f"{key}.")
    from .hybrids_more import _with_defaults

    return _with_defaults(got, defaults)


def _dims(s: Cfg) -> tuple[int, int, int, int]:
    """(hidden, heads, kv heads, head_dim) as BltSelfAttention computes them."""
    d, heads = s.int("hidden_size"), s.int("num_attention_heads")
    kv = s.opt_int("num_key_value_heads") or heads
    if d % heads:
        raise ConfigError(f"{s.origin}: {s.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    s.touch("head_dim")  # BltSelfAttention uses hidden_size // num_attention_heads
    return d, heads, kv, d // heads


def _layer(s: Cfg) -> LayerSpec:
    d, heads, kv, hd = _dims(s)
    inter = s.opt_int("intermediate_size") or int(8 * d / 3)  # the sub-configs' __post_init__
    return LayerSpec(attention=AttentionSpec(heads, kv, hd),
                     ffn=MlpSpec(inter, gated=True, activation=s.str("hidden_act", "silu")),
                     norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)))


def _cross(s: Cfg) -> tuple[ExtraTensor, ...]:
    """BltCrossAttention: q/k/v/o of the stack's width, hidden-wide q and k RMSNorms."""
    d, heads, kv, hd = _dims(s)
    return (ExtraTensor("xattn.q.weight", "xattn_q", (heads * hd, d)), ExtraTensor("xattn.k.weight", "xattn_k", (kv * hd, d)),
            ExtraTensor("xattn.v.weight", "xattn_v", (kv * hd, d)), ExtraTensor("xattn.o.weight", "xattn_o", (d, heads * hd)),
            ExtraTensor("xattn.q_norm.weight", "norm_q", (d,)), ExtraTensor("xattn.k_norm.weight", "norm_k", (d,)))


def _local(s: Cfg, name: str, *, last_only_default: bool, extra: tuple[ExtraTensor, ...],
           final_norm: bool) -> StackSpec:
    n = s.int("num_hidden_layers", minimum=0)
    plain = _layer(s)
    crossed = LayerSpec(attention=plain.attention, ffn=plain.ffn, norms=plain.norms, extra=_cross(s))
    every = s.bool("cross_attn_all_layers", not last_only_default)
    layers = tuple(crossed if every or i == n - 1 else plain for i in range(n))
    d = s.int("hidden_size")
    return StackSpec(name, d, layers, extra=extra, final_norm=NormSpec("norm_final", d) if final_norm else None)


def blt(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    from .hybrids_more import _lm_spec, _with_defaults

    c = _with_defaults(c, _TOP)
    enc, dec = _sub(c, "encoder_config", _ENC), _sub(c, "decoder_config", _DEC)
    glob, patcher = _sub(c, "global_config", _GLOBAL), _sub(c, "patcher_config", _PATCHER)
    de, dd, dg = enc.int("hidden_size"), dec.int("hidden_size"), glob.int("hidden_size")
    vocab = c.int("vocab_size")
    tied = c.bool("tie_word_embeddings", False) and head == "lm"
    if tied and de != dd:  # transformers replaces the encoder's byte table by lm_head's [vocab, decoder hidden]
        raise ConfigError(f"{c.origin}: tie_word_embeddings ties the local encoder's byte embeddings (width {de}) to "
                          f"lm_head (width {dd}); the widths differ")
    groups = c.int_list("encoder_hash_byte_group_size", minimum=1) or [3, 4, 5, 6, 7, 8]  # BltConfig.__post_init__
    hash_rows = c.int("encoder_hash_byte_group_vocab") * c.int("encoder_hash_byte_group_nb_functions") * len(groups)
    # the local encoder's byte table is the model's token embedding: [encoder vocab, encoder hidden], or, tied,
    # lm_head's [vocab, decoder hidden] (transformers replaces the table by the head's, whatever the sub-config says)
    enc_extra = (ExtraTensor("patch_embedding_projection.weight", "other", (de * enc.int("cross_attn_k"), de)),
                 ExtraTensor("hash_embedding.weight", "embed", (hash_rows, de)))
    stacks = [_local(enc, "local_encoder", last_only_default=True, extra=enc_extra, final_norm=False)]
    cross_out = de * c.int("cross_attn_k")  # BltConfig: encoder_cross_output_size
    g_extra = (ExtraTensor("token_embedding_projection.weight", "other", (dg, cross_out)),) if cross_out != dg else ()
    g_layers = tuple([_layer(glob)] * glob.int("num_hidden_layers", minimum=0))
    stacks.append(StackSpec("global", dg, g_layers, extra=g_extra))
    dec_extra = (ExtraTensor("patch_embedding_projection.weight", "other",
                             (dd * dec.int("cross_attn_k"), dec.int("hidden_size_global"))),)
    stacks.append(_local(dec, "local_decoder", last_only_default=False, extra=dec_extra, final_norm=True))
    if c.bool("patch_in_forward", True):
        dp, vp = patcher.int("hidden_size"), patcher.int("vocab_size")
        stacks.append(StackSpec("patcher", dp, tuple([_layer(patcher)] * patcher.int("num_hidden_layers", minimum=0)),
                                final_norm=NormSpec("norm_final", dp),
                                extra=(ExtraTensor("embed.weight", "embed", (vp, dp)),
                                       ExtraTensor("lm_head.weight", "lm_head", (vp, dp)))))
    else:
        patcher.touch(*patcher.data)
    # decided at run time or shape-neutral: patching, windows, the sub-configs' own tie flags and ids
    c.touch("patch_size", "patching_mode", "patching_threshold", "patching_batch_size", "max_patch_length",
            "local_attention_window_len")
    for s in (enc, dec, glob, patcher):
        s.touch("tie_word_embeddings", "sliding_window", "encoder_cross_output_size", "max_position_embeddings")
    enc.touch("hidden_size_global", "vocab_size")
    dec.touch("vocab_size")
    if not enc.bool("cross_attn_all_layers", False) and enc.int("num_hidden_layers", minimum=0) == 0:
        raise ConfigError(f"{c.origin}: encoder_config needs at least one layer for its cross-attention")
    from dataclasses import replace

    # untied, lm_head [vocab, decoder hidden] is listed as stored (its vocabulary may differ from the byte table's)
    own_head = (ExtraTensor("lm_head.weight", "lm_head", (vocab, dd)),) if head == "lm" and not tied else ()
    spec = _lm_spec(c, model_type, name=name, architecture=architecture, head=head if tied else "none",
                    hidden=dd, vocab=vocab if tied else enc.int("vocab_size"), stacks=tuple(stacks), tied=tied,
                    max_context=c.opt_int("max_position_embeddings"), extra=own_head)
    width = dd if tied else de
    return replace(spec, embedding=replace(spec.embedding, width=width), runtime_unmodelled=RUNTIME)
