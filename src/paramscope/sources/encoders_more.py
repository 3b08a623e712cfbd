"""Adapters added for issue 10 (see hf_config.ADAPTERS): encoder / masked-LM families whose layout is not a row
of the BERT-shaped ``FAMILIES`` table in encoders.py. Each entry: model_type -> adapter(c, model_type, *, name,
architecture, head) -> ModelSpec. Every layout is cited from its transformers 5.23 modeling file
(``transformers/models/<family>/modeling_<family>.py``).

Encoders keep no KV cache at inference (memory is weights + activations). Where a family's attention has
parameters or score terms AttentionSpec cannot state (DeBERTa's disentangled position terms, ...), the
tensors are listed with their roles and the spec carries a warning saying what the attention FLOPs leave out.
"""

from __future__ import annotations

from dataclasses import replace

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
from .common import common_fields
from .common import layernorm as _ln
from .config_access import Cfg

# --------------------------------------------------------------------------------------------------
# small builders of ExtraTensor groups


def _lin(name: str, role: str, out_f: int, in_f: int, bias: bool = True) -> tuple[ExtraTensor, ...]:
    w = (ExtraTensor(f"{name}.weight", role, (out_f, in_f)),)
    return w + ((ExtraTensor(f"{name}.bias", role, (out_f,)),) if bias else ())


def _vec(name: str, role: str, n: int) -> tuple[ExtraTensor, ...]:
    return (ExtraTensor(name, role, (n,)),)


def _lnx(name: str, role: str, width: int, bias: bool = True) -> tuple[ExtraTensor, ...]:
    """A LayerNorm's tensors as extras (weight and, unless bias is false, bias)."""
    return _vec(f"{name}.weight", role, width) + (_vec(f"{name}.bias", role, width) if bias else ())


def _refuse_pretraining(c: Cfg, architecture: str, model_type: str) -> None:
    if architecture.endswith("ForPreTraining"):
        raise UnsupportedArchitectureError(f"{c.origin}: {architecture}: only the masked-LM, causal-LM and bare "
                                           f"model classes of {model_type} are described")


def _heads(c: Cfg, d: int, key="num_attention_heads", default=None) -> int:
    heads = c.int(key) if default is None else c.int(key, default)
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden size {d} is not divisible by the number of heads {heads}")
    return heads


def _spec(c: Cfg, model_type: str, *, name: str, architecture: str, d: int, embedding: EmbeddingSpec,
          stacks: tuple[StackSpec, ...], head: HeadSpec, extra: tuple[ExtraTensor, ...] = (),
          max_context: int | None = None, warnings: tuple[str, ...] = ()) -> ModelSpec:
    return ModelSpec(**common_fields(c, model_type, name, architecture), hidden_size=d, embedding=embedding,
                     stacks=stacks, head=head, extra=extra, max_context=max_context, warnings=warnings)


def _mlm_head(width: int, *, bias: bool = True, norm_bias: bool = True, kind: str = "mlm") -> HeadSpec:
    return HeadSpec(kind=kind, bias=bias, transform_width=width, transform_norm=_ln("mlm_norm", width, norm_bias))


# --------------------------------------------------------------------------------------------------
# DeBERTa (v1) and DeBERTa-v2 / v3


def _pos_att_type(c: Cfg) -> list[str]:
    v = c.raw("pos_att_type")
    if v is None:
        return []
    if isinstance(v, str):  # DebertaV2Config: "p2c|c2p"
        v = [x.strip() for x in v.lower().split("|")]
    if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
        raise ConfigError(f"{c.origin}: pos_att_type: expected a list of strings, got {v!r}")
    return [x.lower() for x in v]


def deberta(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """DeBERTa (deberta/modeling_deberta.py) and DeBERTa-v2/v3 (deberta_v2/modeling_deberta_v2.py).

    Embeddings (DebertaEmbeddings): word [vocab, embedding_size], a learned position table only when
    position_biased_input (default true), token types only when type_vocab_size > 0, embed_proj (no bias)
    when embedding_size != hidden_size, LayerNorm(hidden). Layers are BERT's post-LN block; the attention
    (DisentangledSelfAttention) differs: v1 has one fused in_proj [3d, d] without bias plus q_bias and v_bias
    vectors, and talking_head adds head_logits_proj / head_weights_proj [heads, heads]; v2 has query_proj /
    key_proj / value_proj with biases. With relative_attention, the encoder stores rel_embeddings
    [2 x max_relative_positions (v2: 2 x position_buckets when > 0), d] and each layer projects them:
    c2p: v1 pos_proj (no bias) / v2 pos_key_proj, p2c: v1 pos_q_proj / v2 pos_query_proj (v2: none when
    share_att_key, the content projections are reused). v2's encoder adds a LayerNorm on the relative
    embeddings (norm_rel_ebd "layer_norm") and a ConvLayer after the first layer (conv_kernel_size > 0:
    Conv1d [d, d / conv_groups, kernel] + bias and a LayerNorm). Masked-LM head: legacy (default) is BERT's
    (transform dense hidden -> embedding_size + LayerNorm, decoder tied to the embedding, bias); legacy=false
    is lm_predictions.lm_head: dense [d, d] + LayerNorm + a vocabulary bias, multiplied by the word
    embeddings (no decoder matrix). The bare model has no pooler (ContextPooler belongs to the classifiers).
    """
    v2 = model_type == "deberta-v2"
    _refuse_pretraining(c, architecture, model_type)
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = _heads(c, d)
    hd = d // heads
    if v2 and c.has("attention_head_size") and c.int("attention_head_size") != hd:
        raise UnsupportedArchitectureError(f"{c.origin}: attention_head_size={c.int('attention_head_size')}: heads "
                                           f"narrower or wider than hidden_size / heads are not described")
    vocab = c.int("vocab_size")
    e = c.int("embedding_size", d)
    positions = c.int("max_position_embeddings", 512)
    rel = c.bool("relative_attention", False)
    pos_types = _pos_att_type(c)
    layer_extra: tuple[ExtraTensor, ...] = ()
    stack_extra: tuple[ExtraTensor, ...] = ()
    warnings: tuple[str, ...] = ()
    if v2:
        attn = AttentionSpec(heads, heads, hd, qkv_bias=True, o_bias=True)
    else:
        attn = AttentionSpec(heads, heads, hd, fused_qkv=True, qkv_bias=False, o_bias=True)
        layer_extra += _vec("attn.q_bias", "attn_q", d) + _vec("attn.v_bias", "attn_v", d)
        if c.bool("talking_head", False):
            layer_extra += (_lin("attn.head_logits_proj", "other", heads, heads, False)
                            + _lin("attn.head_weights_proj", "other", heads, heads, False))
    max_rel = c.int("max_relative_positions", -1, minimum=-(2**31))
    buckets = c.int("position_buckets", -1, minimum=-(2**31)) if v2 else -1
    if rel:
        span = max_rel if max_rel >= 1 else positions
        rows = 2 * (buckets if buckets > 0 else span)
        stack_extra += (ExtraTensor("rel_embeddings.weight", "rel_bias", (rows, d)),)
        share = c.bool("share_att_key", False) if v2 else False
        if not share:
            if "c2p" in pos_types:
                layer_extra += _lin("attn.pos_key_proj" if v2 else "attn.pos_proj", "rel_bias", d, d, v2)
            if "p2c" in pos_types:
                layer_extra += _lin("attn.pos_query_proj" if v2 else "attn.pos_q_proj", "rel_bias", d, d, True)
        if pos_types:
            warnings += (f"{model_type}: disentangled attention ({'/'.join(pos_types)}) also scores each query "
                         f"against {rows} relative-position embeddings per layer; the attention FLOPs count only "
                         "the content-to-content scores",)
    elif v2:
        c.touch("share_att_key")
    if v2:
        norm_rel = [x.strip() for x in (c.str("norm_rel_ebd", "none") or "none").lower().split("|")]
        if "layer_norm" in norm_rel:  # DebertaV2Encoder.LayerNorm over the relative embeddings
            stack_extra += _lnx("rel_norm", "norm_embed", d)
        kernel = c.int("conv_kernel_size", 0, minimum=0)
        if kernel > 0:  # DebertaV2Encoder.conv: ConvLayer after the first layer
            groups = c.int("conv_groups", 1)
            if d % groups:
                raise ConfigError(f"{c.origin}: conv_groups {groups} does not divide hidden_size {d}")
            stack_extra += (ExtraTensor("conv.conv.weight", "other", (d, d // groups, kernel)),
                            ExtraTensor("conv.conv.bias", "other", (d,))) + _lnx("conv.norm", "other", d)
            c.str("conv_act")
        else:
            c.touch("conv_groups", "conv_act")
    layer = LayerSpec(attention=attn,
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True,
                                  activation=c.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)), extra=layer_extra)
    biased_pos = c.bool("position_biased_input", True)
    types = c.int("type_vocab_size", 0, minimum=0)
    model_extra: tuple[ExtraTensor, ...] = ()
    if e != d:  # DebertaEmbeddings.embed_proj: Linear(embedding_size, hidden, bias=False)
        model_extra += _lin("embed_proj", "embed_proj", d, e, False)
    tied = c.bool("tie_word_embeddings", True)
    if head == "none":
        head_spec = HeadSpec(kind="none")
        c.touch("legacy")
    elif c.bool("legacy", True):
        head_spec = _mlm_head(e)
        if not tied:  # cls.predictions.decoder.bias is tied to cls.predictions.bias only with the embeddings
            model_extra += _vec("mlm.decoder.bias", "mlm_bias", vocab)
    else:  # lm_predictions.lm_head multiplies by the word embeddings: no decoder matrix of its own
        head_spec = _mlm_head(d)
        tied = True
    embedding = EmbeddingSpec(vocab, e, tied_head=tied and head != "none",
                              position="learned" if biased_pos else ("relative" if rel else "none"),
                              max_positions=positions if biased_pos else 0, token_types=types,
                              norm=_ln("norm_embed", d))
    stack = StackSpec("encoder", d, (layer,) * n, extra=stack_extra, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=model_extra, max_context=positions, warnings=warnings)


# --------------------------------------------------------------------------------------------------
# ModernBERT and ModernBERT-decoder


def _alternating_types(c: Cfg, n: int) -> list[str]:
    """layer_types, or (configs without it) ModernBertConfig's rule: every global_attn_every_n_layers-th layer
    (from layer 0) is full attention, the others sliding."""
    types = c.str_list("layer_types")
    every = c.int("global_attn_every_n_layers", 3)
    if types is None:
        types = ["sliding_attention" if i % every else "full_attention" for i in range(n)]
    if len(types) != n or not set(types) <= {"sliding_attention", "full_attention"}:
        raise ConfigError(f"{c.origin}: layer_types: expected {n} entries of full_attention/sliding_attention")
    return types


def modernbert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """ModernBERT (modernbert/modeling_modernbert.py) and its causal sibling (modernbert_decoder/
    modeling_modernbert_decoder.py). Embeddings: tok_embeddings + a LayerNorm (bias by norm_bias); RoPE.
    Each layer: attn_norm (nn.Identity in layer 0, a LayerNorm elsewhere), attention -- the encoder's
    fused Wqkv [3d, d], the decoder's q_proj / k_proj / v_proj -- and Wo (biases by attention_bias);
    mlp_norm, then a GLU MLP: Wi [2 x intermediate, d] (input and gate) and Wo (biases by mlp_bias); a final
    LayerNorm. Layers alternate sliding (local_attention: the encoder attends local_attention / 2 tokens each
    side, the decoder the local_attention / 2 before) and global attention by layer_types. The LM heads
    (ModernBertPredictionHead: dense [d, d] with bias by classifier_bias + LayerNorm, then the decoder
    Linear tied to tok_embeddings with a bias by decoder_bias) are the same in both."""
    causal = model_type == "modernbert-decoder"
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = _heads(c, d)
    vocab = c.int("vocab_size")
    norm_bias = c.bool("norm_bias", False)
    attn_bias = c.bool("attention_bias", False)
    types = _alternating_types(c, n)
    local = c.opt_int("local_attention")
    c.touch("sliding_window")  # derived from local_attention by both config classes
    if local is None and "sliding_attention" in types:
        raise ConfigError(f"{c.origin}: local_attention: null, but layer_types has sliding layers")
    window = (local // 2 if causal else local) if local else None
    mlp = MlpSpec(c.int("intermediate_size"), gated=True, fused_gate_up=True, bias=c.bool("mlp_bias", False),
                  activation=c.str("hidden_activation", "gelu"))
    mlp_norm = _ln("norm_mlp_in", d, norm_bias)
    attn_norm = _ln("norm_attn_in", d, norm_bias)
    cache: dict = {}
    layers = []
    for i, kind in enumerate(types):
        key = (i == 0, kind)
        if key not in cache:
            attn = AttentionSpec(heads, heads, d // heads, qkv_bias=attn_bias, o_bias=attn_bias, fused_qkv=not causal,
                                 window=window if kind == "sliding_attention" else None)
            cache[key] = LayerSpec(attention=attn, ffn=mlp, norms=(mlp_norm,) if i == 0 else (attn_norm, mlp_norm))
        layers.append(cache[key])
    tied = c.bool("tie_word_embeddings", True)
    extra: tuple[ExtraTensor, ...] = ()
    if head == "none":
        head_spec = HeadSpec(kind="none")
        c.touch("decoder_bias", "classifier_bias", "classifier_activation")
    else:
        # the prediction head's dense has a bias only by classifier_bias: listed as extras before the decoder
        extra = (_lin("mlm.transform", "mlm_transform", d, d, c.bool("classifier_bias", False))
                 + _lnx("mlm.mlm_norm", "mlm_transform", d, norm_bias))
        c.str("classifier_activation")
        head_spec = HeadSpec(kind="lm", bias=c.bool("decoder_bias", True))
    positions = c.int("max_position_embeddings", 8192)
    stack = StackSpec("decoder" if causal else "encoder", d, tuple(layers), final_norm=_ln("norm_final", d, norm_bias),
                      causal=causal)
    embedding = EmbeddingSpec(vocab, d, tied_head=tied and head != "none", position="rotary",
                              norm=_ln("norm_embed", d, norm_bias))
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=extra, max_context=positions)


# --------------------------------------------------------------------------------------------------
# EuroBERT: a Llama-shaped bidirectional encoder


def eurobert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """EuroBERT (eurobert/modeling_eurobert.py): Llama's layer (pre-RMSNorm, q/k/v/o with biases by
    attention_bias, SwiGLU MLP with biases by mlp_bias, final RMSNorm, RoPE) with bidirectional attention
    (EuroBertAttention.is_causal = False). EuroBertForMaskedLM's head is one Linear(hidden, vocab) with a bias
    by mlp_bias, untied by default."""
    from .decoders import Traits, decoder_spec

    traits = Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", lm_head_bias="mlp_bias")
    spec = decoder_spec(c, model_type, name=name, architecture=architecture, head="lm" if head == "mlm" else head,
                        traits=traits, stack_name="encoder")
    return replace(spec, stacks=tuple(replace(s, causal=False) for s in spec.stacks))


# --------------------------------------------------------------------------------------------------
# Rotary BERTs: Nomic-BERT, GTE (Alibaba-NLP new-impl), Jina-embeddings-v3


def rope_bert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Post-LN BERTs with rotary positions (no position table): nomic_bert/modeling_nomic_bert.py,
    gte/modeling_gte.py, jina_embeddings_v3/modeling_jina_embeddings_v3.py. Embeddings: word, token types
    (Nomic and Jina always build the table; GTE only when type_vocab_size > 0), LayerNorm. Each layer:
    self_attn q/k/v/o (head_dim from the config or hidden / heads; biases: none in Nomic, all in GTE and
    Jina), post_attention_layernorm, an MLP (Nomic: SwiGLU gate/up/down without biases; GTE: gate/up without
    and down with a bias; Jina: fc1/fc2 with biases), post_mlp_layernorm. Masked-LM heads: a transform dense
    [d, d] + LayerNorm, the decoder tied to the word embeddings, and a vocabulary bias (Nomic and Jina also
    keep the decoder's own bias apart when untied). Only Jina's bare model has a pooler."""
    _refuse_pretraining(c, architecture, model_type)
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    hd = c.int("head_dim", d // heads)
    vocab = c.int("vocab_size")
    inner = c.int("intermediate_size")
    act = c.str("hidden_act", "gelu")
    bias = model_type != "nomic_bert"
    layer_extra: tuple[ExtraTensor, ...] = ()
    if model_type == "jina_embeddings_v3":
        mlp = MlpSpec(inner, gated=False, bias=True, activation=act)
    elif model_type == "gte":  # GteMLP: gate_proj and up_proj without bias, down_proj with one
        mlp = MlpSpec(inner, gated=True, bias=False, activation=act)
        layer_extra = _vec("mlp.down.bias", "mlp_down", d)
    else:
        mlp = MlpSpec(inner, gated=True, bias=False, activation=act)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, hd, qkv_bias=bias, o_bias=bias), ffn=mlp,
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)), extra=layer_extra)
    types = c.int("type_vocab_size", 2 if model_type == "nomic_bert" else 1, minimum=0)
    tied = c.bool("tie_word_embeddings", True)
    extra: tuple[ExtraTensor, ...] = ()
    if head == "none":
        head_spec = HeadSpec(kind="none", pooler=model_type == "jina_embeddings_v3")
    else:
        head_spec = _mlm_head(d)
        if not tied and model_type != "gte":  # decoder.bias is tied to the head's bias only with the embeddings
            extra = _vec("mlm.decoder.bias", "mlm_bias", vocab)
    positions = c.int("max_position_embeddings")
    embedding = EmbeddingSpec(vocab, d, tied_head=tied and head != "none", position="rotary", token_types=types,
                              norm=_ln("norm_embed", d))
    stack = StackSpec("encoder", d, (layer,) * n, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=extra, max_context=positions)


ADAPTERS: dict = {
    "deberta": deberta,
    "deberta-v2": deberta,
    "modernbert": modernbert,
    "modernbert-decoder": modernbert,
    "eurobert": eurobert,
    "nomic_bert": rope_bert,
    "gte": rope_bert,
    "jina_embeddings_v3": rope_bert,
}


# --------------------------------------------------------------------------------------------------
# ESM C (EvolutionaryScale) and FNet


def esmc(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """ESM C (esmc/modeling_esmc.py): pre-LN layers with LayerNorms that have biases (input_layernorm,
    post_attention_layernorm), q/k/v/o (biases by attention_bias) with full-width q_norm / k_norm LayerNorms
    without bias, a SwiGLU MLP (biases by mlp_bias), a bias-free final LayerNorm, RoPE, no position table.
    EsmcMaskedLMHead: dense [d, d] + LayerNorm + decoder Linear(d, vocab) with its own bias, never tied to
    embed_tokens (the class declares no tied weights)."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    hd = c.int("head_dim", d // heads)
    if heads * hd != d or kv * hd != d:  # EsmcAttention's q_norm / k_norm are LayerNorm(hidden_size)
        raise UnsupportedArchitectureError(f"{c.origin}: esmc with heads x head_dim != hidden_size (q/k norms of "
                                           "hidden_size over narrower projections) is not described")
    bias = c.bool("attention_bias", False)
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, qkv_bias=bias, o_bias=bias),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=True, bias=c.bool("mlp_bias", False),
                                  activation=c.str("hidden_act", "silu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)),
                      extra=_vec("attn.norm_q.weight", "norm_q", d) + _vec("attn.norm_k.weight", "norm_k", d))
    c.touch("tie_word_embeddings")  # EsmcForMaskedLM ties nothing
    head_spec = HeadSpec(kind="none") if head == "none" else _mlm_head(d)
    embedding = EmbeddingSpec(c.int("vocab_size"), d, tied_head=False, position="rotary")
    stack = StackSpec("encoder", d, (layer,) * n, final_norm=_ln("norm_final", d, False), causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, max_context=c.int("max_position_embeddings", 2048))


def fnet(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """FNet (fnet/modeling_fnet.py): BERT's embeddings (word, position, token types, LayerNorm) plus a projection
    Linear(d, d) with bias; each layer mixes tokens with a parameter-free 2-D Fourier transform (FNetFourierTransform:
    no attention, no weights) followed by a LayerNorm, then BERT's MLP and LayerNorm. FNetForMaskedLM keeps the
    pooler; its head is BERT's (transform dense + LayerNorm, decoder tied to the embeddings, bias).
    FNetForPreTraining (the released checkpoints' class) adds the next-sentence classifier seq_relationship [2, d]."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    vocab = c.int("vocab_size")
    c.touch("use_tpu_fourier_optimizations", "tpu_short_seq_length")  # DFT matrices are buffers
    layer = LayerSpec(ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True,
                                  activation=c.str("hidden_act", "gelu_new")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    tied = c.bool("tie_word_embeddings", True)
    extra: tuple[ExtraTensor, ...] = ()
    if head == "none":
        head_spec = HeadSpec(kind="none", pooler=True)
    else:
        head_spec = replace(_mlm_head(d), pooler=True)
        if not tied:
            extra = _vec("mlm.decoder.bias", "mlm_bias", vocab)
        if architecture.endswith("ForPreTraining"):  # FNetPreTrainingHeads.seq_relationship
            extra += _lin("nsp", "pooler", 2, d)
    positions = c.int("max_position_embeddings", 512)
    embedding = EmbeddingSpec(vocab, d, tied_head=tied and head != "none", position="learned", max_positions=positions,
                              token_types=c.int("type_vocab_size", 4, minimum=0), norm=_ln("norm_embed", d),
                              project_to=d)
    stack = StackSpec("encoder", d, (layer,) * n, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=extra, max_context=positions,
                 warnings=("fnet: tokens are mixed by a parameter-free 2-D Fourier transform (no attention); its "
                           "O(n log n) FLOPs per layer are not counted",))


ADAPTERS.update({"esmc": esmc, "fnet": fnet})


# --------------------------------------------------------------------------------------------------
# XLM and FlauBERT


def xlm(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """XLM (xlm/modeling_xlm.py) and FlauBERT (flaubert/modeling_flaubert.py): a learned position table
    [max_position_embeddings, emb_dim] (sinusoidal_embeddings only initialises it), language embeddings
    [n_langs, emb_dim] when n_langs > 1 and use_lang_emb, the token table [vocab, emb_dim] and layer_norm_emb;
    each layer: MultiHeadAttention (q_lin / k_lin / v_lin / out_lin with biases), layer_norm1, TransformerFFN
    (lin1 [4 x emb_dim, emb_dim], lin2, biases), layer_norm2 -- after each sub-block, or (FlauBERT pre_norm)
    before it; no final norm. The LM head (XLMPredLayer.proj) is a Linear(emb_dim, vocab) with bias, tied to
    the token table; asm (an adaptive softmax) is refused. causal=true makes the attention causal."""
    d = c.int("emb_dim")
    n = c.int("n_layers", minimum=0)
    heads = _heads(c, d, "n_heads")
    vocab = c.int("vocab_size")
    if not c.bool("is_encoder", True):
        raise UnsupportedArchitectureError(f"{c.origin}: is_encoder=false: transformers' {model_type} builds only "
                                           "encoders (XLMModel raises NotImplementedError)")
    if head != "none" and c.bool("asm", False):
        raise UnsupportedArchitectureError(f"{c.origin}: asm=true (an adaptive-softmax output layer) is not described")
    c.touch("asm", "asm_cutoffs", "asm_div_value", "sinusoidal_embeddings", "start_n_top", "end_n_top",
            "unk_index", "mask_index", "lang_id", "pad_index", "eos_index", "lang2id", "id2lang")
    pre = c.bool("pre_norm", False) if model_type == "flaubert" else False
    roles = ("norm_attn_in", "norm_mlp_in") if pre else ("norm_attn_out", "norm_mlp_out")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(4 * d, gated=False, bias=True,
                                  activation="gelu" if c.bool("gelu_activation", True) else "relu"),
                      norms=tuple(_ln(r, d) for r in roles))
    extra: tuple[ExtraTensor, ...] = ()
    langs, lang_emb = c.int("n_langs", 1), c.bool("use_lang_emb", True)
    if langs > 1 and lang_emb:
        extra = (ExtraTensor("lang_embed.weight", "type_embed", (langs, d)),)
    tied = c.bool("tie_word_embeddings", True)
    positions = c.int("max_position_embeddings", 512)
    embedding = EmbeddingSpec(vocab, d, tied_head=tied and head != "none", position="learned",
                              max_positions=positions, norm=_ln("norm_embed", d))
    stack = StackSpec("encoder", d, (layer,) * n, causal=c.bool("causal", False))
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=HeadSpec(kind="none") if head == "none" else HeadSpec(kind="lm", bias=True), extra=extra,
                 max_context=positions)


ADAPTERS.update({"xlm": xlm, "flaubert": xlm})


# --------------------------------------------------------------------------------------------------
# Funnel Transformer


def funnel(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Funnel Transformer (funnel/modeling_funnel.py). Embeddings: word table + layer_norm (no positions: the
    attention is relative). FunnelLayer: FunnelRelMultiheadAttention -- q_head (no bias), k_head / v_head (with
    biases) of n_head x d_head, post_proj back to d_model with bias, a LayerNorm after the residual, and the
    relative-attention parameters r_w_bias / r_r_bias / r_s_bias [n_head, d_head], r_kernel
    [d_model, n_head, d_head] (projects the sinusoidal relative positions) and seg_embed [2, n_head, d_head]
    (token-type terms) -- then FunnelPositionwiseFFN (linear_1, linear_2 with biases, LayerNorm). The encoder
    runs block_sizes[b] layers per block, each block_repeats[b] times with the same weights, and pools the
    sequence between blocks (no parameters); FunnelModel and FunnelForMaskedLM add num_decoder_layers layers
    that upsample back to full length (the "upsampler" stack here), FunnelBaseModel does not. The masked-LM
    head is a Linear(d_model, vocab) tied to the embeddings, with bias."""
    if architecture.endswith("ForPreTraining"):  # the ELECTRA-style discriminator head is not described
        _refuse_pretraining(c, architecture, model_type)
    d = c.int("d_model")
    heads, dh = c.int("n_head"), c.int("d_head")
    sizes = c.int_list("block_sizes", minimum=1)
    sizes = [4, 4, 4] if sizes is None else sizes
    repeats = c.int_list("block_repeats", minimum=1)
    repeats = [1] * len(sizes) if repeats is None else repeats
    if len(repeats) != len(sizes):
        raise ConfigError(f"{c.origin}: block_repeats: {len(repeats)} entries for {len(sizes)} blocks")
    c.touch("pooling_type", "attention_type", "separate_cls", "truncate_seq", "pool_q_only", "initializer_std",
            "num_hidden_layers", "num_blocks")
    w = heads * dh
    extra = (_vec("attn.k.bias", "attn_k", w) + _vec("attn.v.bias", "attn_v", w)
             + tuple(ExtraTensor(f"attn.{b}", "attn_q" if b == "r_w_bias" else "rel_bias", (heads, dh))
                     for b in ("r_w_bias", "r_r_bias", "r_s_bias"))
             + (ExtraTensor("attn.r_kernel", "rel_bias", (d, heads, dh)),
                ExtraTensor("attn.seg_embed", "type_embed", (2, heads, dh))))
    layer = LayerSpec(attention=AttentionSpec(heads, heads, dh, qkv_bias=False, o_bias=True),
                      ffn=MlpSpec(c.int("d_inner"), gated=False, bias=True, activation=c.str("hidden_act", "gelu_new")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)), extra=extra)
    # the executed sequence of layers: each stored layer runs block_repeats times in a row
    shares: list[int] = []
    stored = 0
    for size, rep in zip(sizes, repeats):
        for _ in range(size):
            shares += [len(shares)] + [len(shares)] * (rep - 1)
            stored += 1
    stacks = [StackSpec("encoder", d, (layer,) * len(shares), causal=False,
                        shares=None if all(r == 1 for r in repeats) else tuple(shares))]
    n_dec = c.int("num_decoder_layers", 2, minimum=0)
    if not architecture.endswith("BaseModel"):
        stacks.append(StackSpec("upsampler", d, (layer,) * n_dec, causal=False))
    tied = c.bool("tie_word_embeddings", True)
    vocab = c.int("vocab_size")
    embedding = EmbeddingSpec(vocab, d, tied_head=tied and head != "none", position="relative",
                              norm=_ln("norm_embed", d))
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=tuple(stacks),
                 head=HeadSpec(kind="none") if head == "none" else HeadSpec(kind="lm", bias=True),
                 warnings=(f"funnel: the encoder pools the sequence by 2 before each of blocks 2..{len(sizes)} and the "
                           "upsampler restores it; the attention and matrix FLOPs count every layer at full length",))


ADAPTERS.update({"funnel": funnel})


# --------------------------------------------------------------------------------------------------
# XLNet


def xlnet(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """XLNet (xlnet/modeling_xlnet.py). XLNetModel: word_embedding [vocab, d_model] and mask_emb [1, 1, d_model]
    (the query stream's start vector); each XLNetLayer: XLNetRelativeAttention -- q, k, v, o stored as
    [d_model, n_head, d_head] parameters used by einsum (logically [n_head x d_head, d_model] projections and
    an output projection back), r [d_model, n_head, d_head] projecting the sinusoidal relative positions,
    r_w_bias / r_r_bias / r_s_bias [n_head, d_head], seg_embed [2, n_head, d_head], a LayerNorm after the
    residual -- and XLNetFeedForward (layer_1, layer_2 with biases, LayerNorm after the residual).
    XLNetLMHeadModel's lm_loss is a Linear(d_model, vocab) tied to the embedding, with bias. With memories
    (use_mems) the model keeps the last mem_len hidden states of every layer instead of a KV cache: not
    described (a warning says so); the stack is treated as bidirectional."""
    d = c.int("d_model")
    n = c.int("n_layer", minimum=0)
    heads = c.int("n_head")
    dh = c.int("d_head", d // heads)
    c.touch("attn_type", "bi_data", "clamp_len", "same_length", "reuse_len", "use_mems_eval", "use_mems_train",
            "start_n_top", "end_n_top", "summary_last_dropout")
    extra = (tuple(ExtraTensor(f"attn.{b}", "attn_q" if b == "r_w_bias" else "rel_bias", (heads, dh))
                   for b in ("r_w_bias", "r_r_bias", "r_s_bias"))
             + (ExtraTensor("attn.r", "rel_bias", (d, heads, dh)),
                ExtraTensor("attn.seg_embed", "type_embed", (2, heads, dh))))
    layer = LayerSpec(attention=AttentionSpec(heads, heads, dh),
                      ffn=MlpSpec(c.int("d_inner"), gated=False, bias=True, activation=c.str("ff_activation", "gelu")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)), extra=extra)
    tied = c.bool("tie_word_embeddings", True)
    mem = c.opt_int("mem_len", minimum=0)
    embedding = EmbeddingSpec(c.int("vocab_size"), d, tied_head=tied and head != "none", position="relative")
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding,
                 stacks=(StackSpec("encoder", d, (layer,) * n, causal=False),),
                 head=HeadSpec(kind="none") if head == "none" else HeadSpec(kind="lm", bias=True),
                 extra=(ExtraTensor("mask_emb", "embed", (1, 1, d)),),
                 warnings=(f"xlnet: with memories (use_mems) every layer keeps its last mem_len ({mem}) hidden states "
                           "(mem_len x d_model values per layer and sequence), which is not counted as a cache; "
                           "attention FLOPs over the memory and the two-stream query are not counted",))


ADAPTERS.update({"xlnet": xlnet})


# --------------------------------------------------------------------------------------------------
# UltraBERT: a Llama-shaped bidirectional encoder with a bottleneck prediction head


def ultrabert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """UltraBERT (ultrabert/modeling_ultrabert.py): Llama's layer (pre-RMSNorm, q/k/v/o with biases by
    attention_bias, SwiGLU MLP with biases by mlp_bias, final RMSNorm, RoPE) with bidirectional attention, sliding
    (sliding_window + 1 each way) on the layers layer_types marks -- by default every layer but each third.
    UltrabertForMaskedLM's head (UltrabertPredictionHead): linear1 [prediction_head_size, d] and linear2 back,
    without biases, then the decoder Linear(d, vocab) without bias, tied to embed_tokens by
    tie_word_embeddings (default false). attention_windows (older checkpoints) only sets the windows."""
    from .decoders import Traits, decoder_spec

    traits = Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", window_rule="pattern",
                    window_pattern_default=3, window_default=128)
    c.touch("attention_windows", "classifier_pooling")
    spec = decoder_spec(c, model_type, name=name, architecture=architecture, head="lm" if head == "mlm" else head,
                        traits=traits, stack_name="encoder")
    extra = spec.extra
    if head != "none":
        p, d = c.int("prediction_head_size", 768), spec.hidden_size
        extra += _lin("mlm.linear1", "mlm_transform", p, d, False) + _lin("mlm.linear2", "mlm_transform", d, p, False)
    else:
        c.touch("prediction_head_size")
    return replace(spec, stacks=tuple(replace(s, causal=False) for s in spec.stacks), extra=extra)


ADAPTERS.update({"ultrabert": ultrabert})


# --------------------------------------------------------------------------------------------------
# Reformer


def reformer(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Reformer (reformer/modeling_reformer.py). Embeddings: word table and either axial position embeddings
    (AxialPositionEmbeddings: one [1.., axial_pos_shape[i], ..1, axial_pos_embds_dim[i]] weight per axis) or a
    [max_position_embeddings, d] table. Each ReformerLayer (reversible: two residual streams of width d) has a
    pre-LayerNorm attention whose kind attn_layers names: "local" (LocalSelfAttention: query, key, value without
    bias over chunks of local_attn_chunk_length) or "lsh" (LSHSelfAttention: one shared query_key projection and
    value, no bias, hashing tokens into buckets), then output.dense (no bias); and a pre-LayerNorm
    ChunkReformerFeedForward (dense, output with biases). The encoder ends with a LayerNorm over the concatenated
    streams (2 d); ReformerOnlyLMHead: decoder Linear(2 d, vocab) without bias plus a vocabulary bias (never tied).
    LSH layers have no AttentionSpec (query and key are one tensor); their tensors are listed with their roles."""
    if head == "lm":
        raise UnsupportedArchitectureError(f"{c.origin}: {architecture}: the causal Reformer (its LSH and chunked "
                                           "caches) is not described; ReformerForMaskedLM and ReformerModel are")
    if head != "none" and c.bool("is_decoder", False):
        raise UnsupportedArchitectureError(f"{c.origin}: is_decoder=true: ReformerForMaskedLM is bidirectional")
    d = c.int("hidden_size")
    heads, hd = c.int("num_attention_heads"), c.int("attention_head_size", 64)
    kinds = c.str_list("attn_layers")
    kinds = ["local", "lsh", "local", "lsh", "local", "lsh"] if kinds is None else kinds
    if not set(kinds) <= {"local", "lsh"}:
        raise ConfigError(f"{c.origin}: attn_layers: only 'local' and 'lsh' layers exist, got {kinds}")
    c.touch("num_hidden_layers", "is_decoder", "num_buckets", "num_hashes", "hash_seed", "lsh_attn_chunk_length",
            "local_attn_chunk_length", "lsh_num_chunks_before", "lsh_num_chunks_after", "local_num_chunks_before",
            "local_num_chunks_after", "chunk_size_lm_head", "axial_norm_std")
    w = heads * hd
    mlp = MlpSpec(c.int("feed_forward_size", 512), gated=False, bias=True, activation=c.str("hidden_act", "relu"))
    norms = (_ln("norm_attn_in", d), _ln("norm_mlp_in", d))
    blocks = {
        "local": LayerSpec(attention=AttentionSpec(heads, heads, hd), ffn=mlp, norms=norms),
        "lsh": LayerSpec(ffn=mlp, norms=norms,
                         extra=(_lin("attn.query_key", "attn_q", w, d, False) + _lin("attn.v", "attn_v", w, d, False)
                                + _lin("attn.o", "attn_o", d, w, False))),
    }
    vocab = c.int("vocab_size")
    positions = c.int("max_position_embeddings", 4096)
    extra: tuple[ExtraTensor, ...] = ()
    if c.bool("axial_pos_embds", True):
        shape = c.int_list("axial_pos_shape", minimum=1) or [64, 64]
        dims = c.int_list("axial_pos_embds_dim", minimum=1) or [64, 192]
        if len(shape) != len(dims):  # (transformers builds dims that do not sum to hidden_size; forward fails)
            raise ConfigError(f"{c.origin}: axial_pos_embds_dim {dims}: one width per axis of axial_pos_shape {shape}")
        for i, (s_i, d_i) in enumerate(zip(shape, dims)):
            extra += (ExtraTensor(f"axial_pos_embed.{i}", "pos_embed",
                                  tuple(s_i if j == i else 1 for j in range(len(shape))) + (d_i,)),)
        position, table = "learned", 0
    else:
        c.touch("axial_pos_shape", "axial_pos_embds_dim")
        position, table = "learned", positions
    if head != "none":
        extra += (ExtraTensor("lm_head.weight", "lm_head", (vocab, 2 * d)), ExtraTensor("lm_head.bias", "lm_head", (vocab,)))
    c.touch("tie_word_embeddings")  # the 2 d-wide decoder is never tied to the d-wide embeddings
    embedding = EmbeddingSpec(vocab, d, tied_head=False, position="learned" if table else "none",
                              max_positions=table)
    stack = StackSpec("encoder", d, tuple(blocks[k] for k in kinds), final_norm=_ln("norm_final", 2 * d), causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=HeadSpec(kind="none"), extra=extra, max_context=positions,
                 warnings=("reformer: local layers attend chunks of local_attn_chunk_length and LSH layers attend "
                           "within hash buckets (query and key share one projection); the attention FLOPs are not "
                           "modelled, and the reversible layers keep two residual streams",))


ADAPTERS.update({"reformer": reformer})


# --------------------------------------------------------------------------------------------------
# Perceiver IO (language)


def perceiver(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Perceiver IO for masked language modelling (perceiver/modeling_perceiver.py, PerceiverForMaskedLM).
    PerceiverTextPreprocessor: token table [vocab, d_model] and a position table [max_position_embeddings,
    d_model]. PerceiverEmbeddings.latents [num_latents, d_latents]. PerceiverEncoder (the "encoder" stack, width
    d_latents): one cross-attention PerceiverLayer from the latents (queries) to the embedded inputs (keys and
    values, width d_model) -- layernorm1 on the queries, layernorm2 on the inputs, query / key / value with biases
    (qk_channels: config or, for cross_attention_shape_for_attention "kv", d_model; v_channels: config or
    qk_channels), output dense back to d_latents, layernorm and a PerceiverMLP (dense1, dense2, widening factor) --
    then num_self_attends_per_block self-attention layers run num_blocks times with the same weights.
    PerceiverBasicDecoder (the "output_decoder" stack, width d_model): trainable output position encodings
    [max_position_embeddings, d_model] as queries and one cross-attention layer (8 heads, qk 256, v d_model) to
    the latents, MLP widening 1, no query residual. PerceiverEmbeddingDecoder multiplies by the token table and
    adds a bias. The bare PerceiverModel has no preprocessor (no token table) and is refused."""
    if head != "mlm":
        raise UnsupportedArchitectureError(f"{c.origin}: {architecture}: only PerceiverForMaskedLM (with its text "
                                           "preprocessor and decoder) is described for perceiver")
    dl, dm = c.int("d_latents"), c.int("d_model")
    vocab, positions = c.int("vocab_size"), c.int("max_position_embeddings", 2048)
    hs, hc = c.int("num_self_attention_heads", 8), c.int("num_cross_attention_heads", 8)
    qk, v = c.opt_int("qk_channels"), c.opt_int("v_channels")
    shape = c.str("cross_attention_shape_for_attention", "kv")
    if shape not in ("q", "kv"):
        raise ConfigError(f"{c.origin}: cross_attention_shape_for_attention: expected 'q' or 'kv', got {shape!r}")
    act = c.str("hidden_act", "gelu")
    c.touch("use_query_residual", "image_size", "train_size", "num_frames", "audio_samples_per_frame",
            "samples_per_patch", "output_shape", "output_num_channels", "_label_trainable_num_channels")

    def attn(heads: int, qk_ch: int, v_ch: int, cross_from: int | None) -> AttentionSpec:
        for what, ch in (("qk_channels", qk_ch), ("v_channels", v_ch)):
            if ch % heads:
                raise ConfigError(f"{c.origin}: {what} {ch} is not divisible by {heads} heads")
        return AttentionSpec(heads, heads, qk_ch // heads, v_head_dim=v_ch // heads, qkv_bias=True, o_bias=True,
                             cross=cross_from is not None, kv_input_width=cross_from)

    def layer(width: int, a: AttentionSpec, widening: int, kv_norm: int | None) -> LayerSpec:
        norms = (_ln("norm_attn_in", width),) + ((_ln("norm_cross_in", kv_norm),) if kv_norm else ()) \
            + (_ln("norm_mlp_in", width),)
        mlp = MlpSpec(widening * width, gated=False, bias=True, activation=act)
        return LayerSpec(attention=None if a.cross else a, cross_attention=a if a.cross else None, ffn=mlp, norms=norms)

    cross_qk = qk if qk is not None else (dm if shape == "kv" else dl)
    cross = layer(dl, attn(hc, cross_qk, v if v is not None else cross_qk, dm),
                  c.int("cross_attention_widening_factor", 1), dm)
    self_qk = qk if qk is not None else dl
    self_v = v if v is not None else self_qk
    if self_v != dl:
        raise UnsupportedArchitectureError(f"{c.origin}: v_channels {self_v} != d_latents {dl}: the latent "
                                           "self-attention's output would not match its residual")
    selfs = layer(dl, attn(hs, self_qk, self_v, None), c.int("self_attention_widening_factor", 1), None)
    k, blocks = c.int("num_self_attends_per_block", 26, minimum=0), c.int("num_blocks", 1)
    layers = (cross,) + (selfs,) * (k * blocks)
    shares = None if blocks == 1 else (0,) + tuple(1 + i % k for i in range(k * blocks))
    dec = layer(dm, attn(8, 8 * 32, dm, dl), 1, dl)
    stacks = (StackSpec("encoder", dl, layers, causal=False, shares=shares),
              StackSpec("output_decoder", dm, (dec,), causal=False))
    embedding = EmbeddingSpec(vocab, dm, tied_head=True, position="learned", max_positions=positions)
    extra = (ExtraTensor("latents", "other", (c.int("num_latents", 256), dl)),
             ExtraTensor("output_pos_embed", "pos_embed", (positions, dm)))
    c.touch("tie_word_embeddings")  # PerceiverEmbeddingDecoder always multiplies by the token table
    return _spec(c, model_type, name=name, architecture=architecture, d=dm, embedding=embedding, stacks=stacks,
                 head=HeadSpec(kind="lm", bias=True), extra=extra, max_context=positions,
                 warnings=(f"perceiver: the latent layers process num_latents tokens whatever the input length; the "
                           "attention FLOPs are not modelled",))


ADAPTERS.update({"perceiver": perceiver})


# --------------------------------------------------------------------------------------------------
# NeoMME


def neomme(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """NeoMME (neomme/modeling_neomme.py), a bidirectional text + image-patch encoder. NeoMMEModel: factorised token
    embeddings (word_embeddings [vocab, embedding_rank] and embedding_projection [d, embedding_rank] without bias),
    the patch stem (NeoMMEPatchEmbeddings: LayerNorm(3 x patch_size^2), up_proj to 2 d without bias, down_proj to d
    with bias), value_embeddings [vocab, kv_heads x head_dim] added to the values of the first and last global
    layers, and RMSNorms without weights (embedding, per layer, final). Each NeoMMEEncoderLayer: lambdas [2]
    (mixing the layer input with the first hidden state), q/k/v projections (GQA, biases by attention_bias) with
    weightless q/k norms, the exclusive self-attention's per-head alpha, a sigmoid-gated output projection
    (gate_proj [heads x head_dim, d] without bias, o_proj back with a bias by attention_bias), and a relu2 MLP
    (up_proj, down_proj, biases by mlp_bias). NeoMMEForMaskedLM's head: unembedding_projection and lm_head, tied
    to the embedding projection and the token table (tie_word_embeddings, default true)."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads, kv = c.int("num_attention_heads"), c.int("num_key_value_heads", 4)
    hd = c.int("head_dim", 64)
    vocab, rank = c.int("vocab_size"), c.int("embedding_rank", 256)
    bias = c.bool("attention_bias", False)
    per_layer = c.raw("per_layer_config") or {}
    entries = list(per_layer.values()) if isinstance(per_layer, dict) else per_layer
    if not isinstance(entries, list) or any(
            not isinstance(e, dict) or not set(e) <= {"sliding_window"} for e in entries):
        raise UnsupportedArchitectureError(f"{c.origin}: per_layer_config: only per-layer sliding_window entries "
                                           "are described")
    c.touch("per_layer_config", "layer_types", "sliding_window", "residual_multiplier", "embedding_dim",
            "classifier_pooling")  # windows (no parameters), a residual scale, the retrieval heads' width
    extra = (ExtraTensor("lambdas", "other", (2,)), ExtraTensor("attn.alpha", "other", (heads,)))
    extra += _lin("attn.gate", "attn_o", heads * hd, d, False)
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, qkv_bias=bias, o_bias=bias),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=c.bool("mlp_bias", False),
                                  activation=c.str("hidden_act", "relu2")),
                      extra=extra)
    patch = 3 * c.int("patch_size", 32) ** 2
    model_extra = (_lin("embed_proj", "embed_proj", d, rank, False) + _lnx("patch_embed.norm", "patch_embed", patch)
                   + _lin("patch_embed.up", "patch_embed", 2 * d, patch, False) + _lin("patch_embed.down", "patch_embed", d, 2 * d)
                   + (ExtraTensor("value_embed.weight", "embed", (vocab, kv * hd)),))
    tied = c.bool("tie_word_embeddings", True)
    head_spec = HeadSpec(kind="none")
    if head != "none" and tied:  # lm_head and unembedding_projection are the embedding's own tensors
        head_spec = HeadSpec(kind="lm")
    elif head != "none":
        model_extra += _lin("unembed_proj", "lm_head", d, rank, False) + _lin("lm_head", "lm_head", vocab, rank, False)
    embedding = EmbeddingSpec(vocab, rank, tied_head=tied and head != "none", position="rotary")
    stack = StackSpec("encoder", d, (layer,) * n, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=model_extra, max_context=c.int("max_position_embeddings", 16384))


ADAPTERS.update({"neomme": neomme})
