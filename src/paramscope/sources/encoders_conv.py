"""Encoders whose projections are not plain Linear layers (issue 10; see hf_config.ADAPTERS). Each layout is cited
from its transformers 5.23 modeling file (``transformers/models/<family>/modeling_<family>.py``).

SqueezeBERT computes q/k/v, the attention output and both feed-forward projections with pointwise (kernel 1)
grouped Conv1d: block-diagonal matrices stored as [out, in / groups, 1]. AttentionSpec.proj_groups and
MlpSpec.conv_groups state them, so counts and matmul FLOPs follow the grouped weights.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError
from ..spec import AttentionSpec, EmbeddingSpec, ExtraTensor, HeadSpec, LayerSpec, MlpSpec, StackSpec
from .common import layernorm as _ln
from .config_access import Cfg
from .encoders_more import _heads, _mlm_head, _spec, _vec


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


ADAPTERS: dict = {"squeezebert": squeezebert}
