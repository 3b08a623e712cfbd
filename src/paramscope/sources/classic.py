"""config.json -> ModelSpec for GPT-1, GPT-2, Falcon, BERT, ALBERT and the paper-only generic decoder.

Layouts from transformers 5.x modeling files (openai/modeling_openai.py, gpt2/modeling_gpt2.py,
falcon/modeling_falcon.py, bert/modeling_bert.py, albert/modeling_albert.py); checked tensor by tensor
in tests/test_transformers_truth.py.
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


def gpt2(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-2 (Radford et al. 2019): pre-LN, learned positions, fused qkv (Conv1D), 4x GELU MLP, biases
    everywhere, head tied to the token embedding. GPT-3 and MT-NLG use this layout in the catalog."""
    d = c.int(("n_embd", "hidden_size"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    heads = c.int(("n_head", "num_attention_heads"))
    if d % heads:
        raise ConfigError(f"{c.origin}: n_embd {d} is not divisible by n_head {heads}")
    inner = c.int("n_inner", 4 * d)
    attn = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, fused_qkv=True)
    cross = None
    norms = [_ln("norm_attn_in", d), _ln("norm_mlp_in", d)]
    if c.bool("add_cross_attention", False):
        cross = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, cross=True)
        norms.insert(1, _ln("norm_cross_in", d))
    layer = LayerSpec(attention=attn, cross_attention=cross,
                      ffn=MlpSpec(inner, gated=False, bias=True, activation=c.str("activation_function", "gelu_new")),
                      norms=tuple(norms))
    positions = c.int(("n_positions", "max_position_embeddings"))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="learned", max_positions=positions),
        stacks=(StackSpec("decoder", d, (layer,) * n, final_norm=_ln("norm_final", d)),),
        head=HeadSpec(kind=head),
        max_context=positions,
        **_common(c, model_type, name, architecture),
    )


def openai_gpt(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GPT-1 (Radford et al. 2018): post-LN blocks (norm after attention and after the MLP), learned
    positions, no final norm, head tied to the token embedding."""
    d = c.int(("n_embd", "hidden_size"))
    n = c.int(("n_layer", "num_hidden_layers"), minimum=0)
    heads = c.int(("n_head", "num_attention_heads"))
    if d % heads:
        raise ConfigError(f"{c.origin}: n_embd {d} is not divisible by n_head {heads}")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, fused_qkv=True),
                      ffn=MlpSpec(4 * d, gated=False, bias=True, activation=c.str("afn", "gelu")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    positions = c.int(("n_positions", "max_position_embeddings"))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="learned", max_positions=positions),
        stacks=(StackSpec("decoder", d, (layer,) * n),),
        head=HeadSpec(kind=head),
        max_context=positions,
        **_common(c, model_type, name, architecture),
    )


def falcon(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Falcon (Almazrouei et al. 2023): fused query_key_value, MQA (7B) or grouped KV with the
    "new decoder architecture" (40B/180B, two LayerNorms per parallel block), 4x GELU MLP."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    new_arch = c.bool("new_decoder_architecture", False)
    multi_query = c.bool("multi_query", True)
    # FalconAttention: num_kv_heads = config.num_kv_heads if (new_decoder_architecture or not multi_query)
    # else 1; FalconConfig fills num_kv_heads with num_attention_heads when absent.
    kv = c.int("num_kv_heads", heads) if new_arch or not multi_query else 1
    if multi_query and not new_arch:
        c.touch("num_kv_heads")
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by num_attention_heads {heads}")
    bias = c.bool("bias", False)
    parallel = c.bool("parallel_attn", True)
    n_ln = c.int("num_ln_in_parallel_attn", 2 if new_arch else 1)
    if new_arch and n_ln == 2:
        norms = (_ln("norm_attn_in", d), _ln("norm_mlp_in", d))
    elif new_arch or parallel:
        norms = (_ln("norm_attn_in", d),)
    else:
        norms = (_ln("norm_attn_in", d), _ln("norm_mlp_in", d))
    layer = LayerSpec(attention=AttentionSpec(heads, kv, d // heads, qkv_bias=bias, o_bias=bias, fused_qkv=True),
                      ffn=MlpSpec(c.int("ffn_hidden_size", 4 * d), gated=False, bias=bias,
                                  activation=c.str("activation", "gelu")),
                      norms=norms, parallel=parallel or new_arch)
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="alibi" if c.bool("alibi", False) else "rotary"),
        stacks=(StackSpec("decoder", d, (layer,) * n, final_norm=_ln("norm_final", d)),),
        head=HeadSpec(kind=head),
        max_context=c.opt_int("max_position_embeddings"),
        **_common(c, model_type, name, architecture),
    )


def _bert_head(architecture: str, d: int, width: int) -> tuple[HeadSpec, tuple[ExtraTensor, ...]]:
    # BertLMHeadModel (the causal-LM class) carries the same prediction head as BertForMaskedLM and,
    # like it, no pooler (transformers bert/modeling_bert.py: BertModel(config, add_pooling_layer=False))
    if architecture.endswith(("ForMaskedLM", "LMHeadModel")):
        return HeadSpec(kind="mlm", bias=True, transform_width=width, transform_norm=_ln("mlm_norm", width)), ()
    if architecture.endswith("ForPreTraining"):
        nsp = (ExtraTensor("nsp.weight", "pooler", (2, d)), ExtraTensor("nsp.bias", "pooler", (2,)))
        return HeadSpec(kind="mlm", bias=True, transform_width=width, transform_norm=_ln("mlm_norm", width),
                        pooler=True), nsp
    return HeadSpec(kind="none", pooler=True), ()


def _untied_decoder_bias(head: HeadSpec, tied: bool, vocab: int) -> tuple[ExtraTensor, ...]:
    """BertLMPredictionHead / AlbertMLMHead: the decoder Linear has its own bias beside the head's ``bias``; tied,
    transformers ties the decoder's weight to the embedding and its bias to the head's bias (one vector), untied
    (tie_word_embeddings false) both are parameters (transformers 5.23 bert/modeling_bert.py, albert/modeling_albert.py)."""
    if head.kind != "mlm" or tied:
        return ()
    return (ExtraTensor("mlm.decoder.bias", "mlm_bias", (vocab,)),)


def bert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """BERT (Devlin et al. 2019): post-LN encoder, learned positions and token types, embedding
    LayerNorm, biases everywhere; MLM head = dense + LayerNorm + decoder tied to the embedding + bias."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by num_attention_heads {heads}")
    if c.bool("add_cross_attention", False):
        raise UnsupportedArchitectureError(f"{c.origin}: add_cross_attention=true (a BERT decoder with "
                                           "cross-attention) is not described")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True, activation=c.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    positions = c.int("max_position_embeddings", 512)
    head_spec, extra = _bert_head(architecture, d, d)
    tied = c.bool("tie_word_embeddings", True)
    extra += _untied_decoder_bias(head_spec, tied, c.int("vocab_size"))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=tied,
                                position="learned", max_positions=positions,
                                token_types=c.int("type_vocab_size", 2, minimum=0), norm=_ln("norm_embed", d)),
        stacks=(StackSpec("encoder", d, (layer,) * n, causal=False),),
        head=head_spec,
        max_context=positions,
        extra=extra,
        **_common(c, model_type, name, architecture),
    )


def albert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """ALBERT (Lan et al. 2020): a factorized embedding (vocab x E, then E -> hidden) and cross-layer
    parameter sharing: num_hidden_layers layers use num_hidden_groups stored groups of
    inner_group_num layers (layer i uses group int(i / (num_hidden_layers / num_hidden_groups)))."""
    d = c.int("hidden_size")
    e = c.int("embedding_size", 128)
    n = c.int("num_hidden_layers", minimum=0)
    groups = c.int("num_hidden_groups", 1)
    inner = c.int("inner_group_num", 1)
    heads = c.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by num_attention_heads {heads}")
    if groups > n:
        raise ConfigError(f"{c.origin}: num_hidden_groups ({groups}) exceeds num_hidden_layers ({n})")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True, activation=c.str("hidden_act", "gelu_new")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    shares = []
    first_of_group: dict[int, int] = {}
    for i in range(n):
        g = int(i / (n / groups))  # transformers AlbertTransformer.forward
        first = first_of_group.setdefault(g, i)
        shares.extend(first * inner + j for j in range(inner))
    positions = c.int("max_position_embeddings", 512)
    if architecture.endswith("ForMaskedLM"):
        head_spec = HeadSpec(kind="mlm", bias=True, transform_width=e, transform_norm=_ln("mlm_norm", e))
    else:
        head_spec = HeadSpec(kind="none", pooler=True)
    tied = c.bool("tie_word_embeddings", True)
    return ModelSpec(
        extra=_untied_decoder_bias(head_spec, tied, c.int("vocab_size")),
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), e, tied_head=tied,
                                position="learned", max_positions=positions,
                                token_types=c.int("type_vocab_size", 2, minimum=0), norm=_ln("norm_embed", e),
                                project_to=d),
        stacks=(StackSpec("encoder", d, (layer,) * (n * inner), shares=tuple(shares), causal=False),),
        head=head_spec,
        max_context=positions,
        **_common(c, model_type, name, architecture),
    )


def generic_decoder(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """A decoder described by explicit keys (catalog entries written from papers: Gopher, Chinchilla,
    PaLM). Every structural choice is a key; nothing is guessed."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    head_dim = c.int("head_dim")
    mlp_kind = c.str("mlp")
    if mlp_kind not in ("gated", "plain"):
        raise ConfigError(f"{c.origin}: mlp: expected 'gated' or 'plain', got {mlp_kind!r}")
    norm_kind = c.str("norm")
    if norm_kind not in ("rmsnorm", "layernorm"):
        raise ConfigError(f"{c.origin}: norm: expected 'rmsnorm' or 'layernorm', got {norm_kind!r}")
    position = c.str("position")
    if position not in ("rotary", "learned", "relative", "alibi", "none"):
        raise ConfigError(f"{c.origin}: position: expected rotary, learned, relative, alibi or none, got {position!r}")
    norm_bias = c.bool("norm_bias", norm_kind == "layernorm")
    parallel = c.bool("parallel_block", False)
    roles = ("norm_attn_in",) if parallel else ("norm_attn_in", "norm_mlp_in")
    norms = tuple(NormSpec(r, d, norm_bias, norm_kind) for r in roles)
    layer = LayerSpec(
        attention=AttentionSpec(heads, kv, head_dim, qkv_bias=c.bool("attention_bias", False),
                                o_bias=c.bool("attention_bias", False)),
        ffn=MlpSpec(c.int("intermediate_size"), gated=mlp_kind == "gated", bias=c.bool("mlp_bias", False),
                    activation=c.str("hidden_act", "gelu")),
        norms=norms, parallel=parallel)
    positions = c.int("max_position_embeddings")
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", False),
                                position=position, max_positions=positions),
        stacks=(StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d, norm_bias, norm_kind)),),
        head=HeadSpec(kind="lm"),
        max_context=positions,
        **_common(c, model_type, name, architecture),
    )
