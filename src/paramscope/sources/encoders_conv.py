"""Encoders whose projections are not plain Linear layers (issue 10; see hf_config.ADAPTERS). Each layout is cited
from its transformers 5.23 modeling file (``transformers/models/<family>/modeling_<family>.py``).

SqueezeBERT computes q/k/v, the attention output and both feed-forward projections with pointwise (kernel 1)
grouped Conv1d: block-diagonal matrices stored as [out, in / groups, 1]. AttentionSpec.proj_groups and
MlpSpec.conv_groups state them, so counts and matmul FLOPs follow the grouped weights.

ConvBERT mixes self-attention heads with span-based dynamic convolution heads (AttentionSpec.span_conv_kernel)
and, when num_groups > 1, uses grouped linear feed-forward layers (MlpSpec.linear_groups).

MobileBERT runs its attention and feed-forward networks at a bottleneck width between per-layer projections
(role ``bottleneck``), stacks several feed-forward networks per layer and multiplies its MLM head's output by a
vocabulary matrix only part of which is the word embeddings (HeadSpec.decoder_width).
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError, UnsupportedArchitectureError
from ..spec import AttentionSpec, EmbeddingSpec, ExtraTensor, HeadSpec, LayerSpec, MlpSpec, StackSpec
from .common import layernorm as _ln
from .config_access import Cfg
from .encoders_more import _heads, _lin, _lnx, _mlm_head, _refuse_pretraining, _spec, _vec


def _groups(c: Cfg, key: str, default: int, *widths: int) -> int:
    g = c.int(key, default)
    for w in widths:
        if w % g:
            raise ConfigError(f"{c.origin}: {key}={g} does not divide the channel width {w}")
    return g


def squeezebert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str):
    """SqueezeBERT (squeezebert/modeling_squeezebert.py). SqueezeBertEmbeddings: word, position and token-type
    tables of embedding_size (which SqueezeBertEncoder requires to equal hidden_size) and a LayerNorm.
    SqueezeBertModule: query / key / value = Conv1d(d, d, 1, groups=q/k/v_groups) with biases; post_attention =
    ConvDropoutLayerNorm (Conv1d(d, d, 1, groups=post_attention_groups) + LayerNorm); intermediate = Conv1d(d, I, 1,
    groups=intermediate_groups) + activation; output = ConvDropoutLayerNorm (Conv1d(I, d, 1, groups=output_groups)
    + LayerNorm). SqueezeBertModel always has its pooler (dense d x d); SqueezeBertForMaskedLM adds BERT's head
    (transform dense + LayerNorm, decoder tied to the word embeddings, vocabulary bias)."""
    d = c.int("hidden_size")
    e = c.int("embedding_size", 768)
    if e != d:
        raise ConfigError(f"{c.origin}: embedding_size {e} != hidden_size {d} (SqueezeBertEncoder requires them equal)")
    n = c.int("num_hidden_layers", minimum=0)
    heads = _heads(c, d)
    inter = c.int("intermediate_size")
    groups = tuple(_groups(c, k, 4, d) for k in ("q_groups", "k_groups", "v_groups")) \
        + (_groups(c, "post_attention_groups", 1, d),)
    ffn_groups = (_groups(c, "intermediate_groups", 4, d, inter), _groups(c, "output_groups", 4, d, inter))
    attn = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, proj_groups=groups)
    layer = LayerSpec(attention=attn,
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=c.str("hidden_act", "gelu"),
                                  conv_groups=ffn_groups),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    vocab = c.int("vocab_size")
    tied = c.bool("tie_word_embeddings", True)
    extra: tuple[ExtraTensor, ...] = ()
    if head == "none":
        head_spec = HeadSpec(kind="none", pooler=True)
    else:
        head_spec = replace(_mlm_head(d), pooler=True)
        if not tied:  # cls.predictions.decoder.bias is tied to cls.predictions.bias only with the embeddings
            extra = _vec("mlm.decoder.bias", "mlm_bias", vocab)
    positions = c.int("max_position_embeddings", 512)
    embedding = EmbeddingSpec(vocab, e, tied_head=tied and head != "none", position="learned", max_positions=positions,
                              token_types=c.int("type_vocab_size", 2, minimum=0), norm=_ln("norm_embed", d))
    stack = StackSpec("encoder", d, (layer,) * n, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=extra, max_context=positions)


def convbert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str):
    """ConvBERT (convbert/modeling_convbert.py). ConvBertEmbeddings: word, position and token-type tables of
    embedding_size and a LayerNorm over it; ConvBertModel.embeddings_project (Linear embedding_size -> hidden) when
    the widths differ; no pooler. ConvBertSelfAttention keeps num_attention_heads // head_ratio heads (1 when that
    is 0) of head size (hidden / heads) // 2: query / key / value Linear(hidden -> heads x head size) with biases,
    plus as many span-based dynamic convolution heads of conv_kernel_size (AttentionSpec.span_conv_kernel);
    ConvBertSelfOutput's dense is Linear(hidden, hidden) and reads both kinds of heads concatenated, so
    2 x heads x head size must be hidden (a config where it is not builds but cannot run: refused).
    ConvBertIntermediate / ConvBertOutput: Linear, or GroupedLinearLayer when num_groups > 1 (MlpSpec.linear_groups).
    ConvBertForMaskedLM: generator_predictions (dense hidden -> embedding_size, LayerNorm) and generator_lm_head
    (Linear embedding_size -> vocabulary with its bias; the weight tied to the word embeddings by
    tie_word_embeddings)."""
    d = c.int("hidden_size")
    e = c.int("embedding_size", 768)
    n = c.int("num_hidden_layers", minimum=0)
    if c.bool("add_cross_attention", False):
        raise UnsupportedArchitectureError(f"{c.origin}: add_cross_attention=true (a ConvBERT decoder with "
                                           "cross-attention) is not described")
    c.touch("is_decoder")
    ratio = c.int("head_ratio", 2)
    heads = max(c.int("num_attention_heads") // ratio, 1)
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden size {d} is not divisible by the {heads} attention heads "
                          f"(num_attention_heads // head_ratio)")
    hs = (d // heads) // 2
    if hs < 1 or 2 * heads * hs != d:
        raise ConfigError(f"{c.origin}: ConvBERT's attention and convolution heads give {2 * heads * hs} channels "
                          f"for its output projection of hidden size {d}")
    inter = c.int("intermediate_size")
    groups = c.int("num_groups", 1)
    if d % groups or inter % groups:
        raise ConfigError(f"{c.origin}: num_groups={groups} does not divide hidden_size {d} and intermediate_size "
                          f"{inter}")
    attn = AttentionSpec(heads, heads, hs, qkv_bias=True, o_bias=True,
                         span_conv_kernel=c.int("conv_kernel_size", 9))
    layer = LayerSpec(attention=attn,
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=c.str("hidden_act", "gelu"),
                                  linear_groups=groups),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    tied = c.bool("tie_word_embeddings", True)
    # ConvBertGeneratorPredictions + generator_lm_head: a transform to embedding_size, then the decoder with its bias
    head_spec = HeadSpec(kind="none") if head == "none" else _mlm_head(e)
    positions = c.int("max_position_embeddings", 512)
    embedding = EmbeddingSpec(c.int("vocab_size"), e, tied_head=tied and head != "none", position="learned",
                              max_positions=positions, token_types=c.int("type_vocab_size", 2, minimum=0),
                              norm=_ln("norm_embed", e), project_to=d if e != d else None)
    stack = StackSpec("encoder", d, (layer,) * n, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, max_context=positions)


def mobilebert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str):
    """MobileBERT (mobilebert/modeling_mobilebert.py). Norms are NORM2FN[normalization_type]: NoNorm (an elementwise
    weight and bias, no statistics) or LayerNorm, the same two vectors either way; described as LayerNorms.

    MobileBertEmbeddings: word table [vocab, embedding_size]; position and token-type tables of hidden_size;
    embedding_transformation = Linear(embedding_size x 3 with trigram_input, else x 1 -> hidden), always built;
    a norm of hidden_size. The stack's width here is true_hidden_size (intra_bottleneck_size with use_bottleneck,
    else hidden_size), the width attention and feed-forward networks run at. MobileBertLayer: with use_bottleneck,
    bottleneck.input (Linear hidden -> true + norm) and, with key_query_shared_bottleneck, bottleneck.attention
    (the same again); query and key Linear(true -> heads x true / heads), value from true_hidden_size with
    use_bottleneck_attention else from hidden_size; attention.output.dense Linear(true, true) + norm;
    num_feedforward_networks - 1 FFNLayers (Linear true -> intermediate, Linear intermediate -> true, norm) as
    layer tensors; intermediate / output.dense + norm as the layer's MLP; with use_bottleneck, output.bottleneck
    (Linear true -> hidden + norm). MobileBertModel has its pooler dense [hidden, hidden] only with
    classifier_activation; MobileBertForMaskedLM has none. Its head: transform dense [hidden, hidden] + LayerNorm,
    then the hidden-wide output times [decoder.weight^T (tied to the word embeddings), dense.weight] concatenated:
    decoder [vocab, embedding_size] and dense, stored [hidden - embedding_size, vocab] (HeadSpec.decoder_width);
    decoder.bias is tied to predictions.bias with the embeddings (both kept when untied)."""
    _refuse_pretraining(c, architecture, model_type)
    d = c.int("hidden_size")
    e = c.int("embedding_size", 128)
    n = c.int("num_hidden_layers", minimum=0)
    bottleneck = c.bool("use_bottleneck", True)
    t = c.int("intra_bottleneck_size", 128) if bottleneck else d
    if not bottleneck:
        c.touch("intra_bottleneck_size")
    if c.raw("true_hidden_size") is not None and c.int("true_hidden_size") != t:  # MobileBertConfig derives it
        raise ConfigError(f"{c.origin}: true_hidden_size {c.int('true_hidden_size')} is not the width {t} that "
                          f"use_bottleneck / intra_bottleneck_size / hidden_size give")
    heads = _heads(c, t)  # MobileBertSelfOutput's dense reads the heads x (true / heads) outputs as true wide
    shared_qk = c.bool("key_query_shared_bottleneck", True)
    bottleneck_attention = c.bool("use_bottleneck_attention", False)
    norm_type = c.str("normalization_type", "no_norm")
    if norm_type not in ("no_norm", "layer_norm"):
        raise ConfigError(f"{c.origin}: normalization_type {norm_type!r} is neither no_norm nor layer_norm")
    inter = c.int("intermediate_size")
    ffns = c.int("num_feedforward_networks", 4)
    extra: tuple[ExtraTensor, ...] = ()
    if bottleneck:
        extra += _lin("bottleneck.input.dense", "bottleneck", t, d) + _lnx("bottleneck.input.norm", "bottleneck", t)
        if shared_qk:
            extra += (_lin("bottleneck.attention.dense", "bottleneck", t, d)
                      + _lnx("bottleneck.attention.norm", "bottleneck", t))
    for j in range(ffns - 1):
        extra += (_lin(f"ffn.{j}.up", "mlp_up", inter, t) + _lin(f"ffn.{j}.down", "mlp_down", t, inter)
                  + _lnx(f"ffn.{j}.norm", "norm_mlp_out", t))
    if bottleneck:
        extra += _lin("output.bottleneck.dense", "bottleneck", d, t) + _lnx("output.bottleneck.norm", "bottleneck", d)
    attn = AttentionSpec(heads, heads, t // heads, qkv_bias=True, o_bias=True,
                         v_input_width=None if bottleneck_attention else d)
    layer = LayerSpec(attention=attn,
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=c.str("hidden_act", "relu")),
                      norms=(_ln("norm_attn_out", t), _ln("norm_mlp_out", t)), extra=extra)
    vocab = c.int("vocab_size")
    tied = c.bool("tie_word_embeddings", True)
    positions = c.int("max_position_embeddings", 512)
    model_extra = (ExtraTensor("pos_embed.weight", "pos_embed", (positions, d)),)
    types = c.int("type_vocab_size", 2, minimum=0)
    if types:
        model_extra += (ExtraTensor("type_embed.weight", "type_embed", (types, d)),)
    model_extra += _lin("embed_proj", "embed_proj", d, e * (3 if c.bool("trigram_input", True) else 1))
    if head == "none":
        head_spec = HeadSpec(kind="none", pooler=c.bool("classifier_activation", True))
    else:
        c.touch("classifier_activation")
        if e > d:
            raise ConfigError(f"{c.origin}: embedding_size {e} exceeds hidden_size {d} (MobileBERT's MLM head "
                              f"stores a [hidden - embedding_size, vocab] matrix)")
        head_spec = replace(_mlm_head(d), decoder_width=e if e < d else None)  # e == d: an empty dense
        if not tied:  # cls.predictions.decoder.bias is tied to cls.predictions.bias only with the embeddings
            model_extra += _vec("mlm.decoder.bias", "mlm_bias", vocab)
    embedding = EmbeddingSpec(vocab, e, tied_head=tied and head != "none", position="none",
                              norm=_ln("norm_embed", d))
    stack = StackSpec("encoder", t, (layer,) * n, causal=False)
    return _spec(c, model_type, name=name, architecture=architecture, d=d, embedding=embedding, stacks=(stack,),
                 head=head_spec, extra=model_extra, max_context=positions)


ADAPTERS: dict = {"squeezebert": squeezebert, "convbert": convbert, "mobilebert": mobilebert}
