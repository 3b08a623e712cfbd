"""config.json -> ModelSpec for the BERT-like encoders: RoBERTa, XLM-R, CamemBERT, Data2Vec-Text, ERNIE,
BigBird, ELECTRA, RemBERT, RoFormer, XLM-R-XL, RoBERTa-PreLayerNorm, Megatron-BERT, DistilBERT, MPNet.

One adapter, :func:`encoder`, builds BERT's layout (transformers bert/modeling_bert.py: learned
positions, token types, embedding LayerNorm, q/k/v/o and a plain MLP all with bias, a LayerNorm after
attention and after the MLP, an MLM head of dense + LayerNorm + a decoder tied to the embedding + a
vocabulary bias) and each family differs from it only by the traits of its row in :data:`FAMILIES`,
each row naming the modeling file it was read from. BERT and ALBERT themselves stay in classic.py.

Masked-LM and causal-LM classes of these families (RobertaForMaskedLM, RobertaForCausalLM...) carry
the same prediction head and, except BigBird, no pooler; the bare model class (RobertaModel) carries
the pooler and no head. ELECTRA's masked-LM class is the generator (its head maps hidden ->
embedding_size); its ForPreTraining class (the discriminator) and every other ForPreTraining class are
refused here.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ConfigError, UnsupportedArchitectureError
from ..spec import (
    AttentionSpec,
    EmbeddingSpec,
    ExtraTensor,
    HeadSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    StackSpec,
)
from .common import layernorm as _ln
from .config_access import Cfg


@dataclass(frozen=True, slots=True)
class EncoderTraits:
    source: str  # the transformers modeling file the row was read from
    pre_norm: bool = False  # LayerNorm before attention and before the MLP, and a final LayerNorm
    embed_norm: bool = True  # LayerNorm over the summed embeddings
    token_types: bool = True  # token-type table of type_vocab_size rows
    type_vocab_default: int = 2
    qkv_bias_key: str | None = None  # a key switching the q/k/v biases (BigBird use_bias)
    embed_width_key: str | None = None  # a token-embedding width other than hidden (projected to hidden)
    embed_width_default: int | None = None  # None: hidden_size
    head_width_key: str | None = None  # RemBERT: the MLM transform maps hidden -> output_embedding_size
    head_to_embed_width: bool = False  # ELECTRA generator: the MLM transform maps hidden -> embedding width
    lm_pooler: bool = False  # the masked/causal-LM classes keep the pooler (BigBird)
    base_pooler: bool = True  # the bare model class has a pooler
    tied_default: bool = True
    rel_bias: bool = False  # MPNet: one relative-position bias table [buckets, heads] for the stack
    sinusoidal_param: bool = False  # RoFormer: a sinusoidal table [max_positions, head_dim] stored as a parameter
    task_types: bool = False  # ERNIE: task-type embeddings when use_task_id
    # key names (DistilBERT spells them differently)
    hidden: tuple[str, ...] = ("hidden_size",)
    layers: tuple[str, ...] = ("num_hidden_layers",)
    heads: tuple[str, ...] = ("num_attention_heads",)
    inner: tuple[str, ...] = ("intermediate_size",)
    act: str = "hidden_act"
    neutral: tuple[str, ...] = ()  # keys the modeling file reads for no shape (attention kernels, scaling)


_ROBERTA = EncoderTraits("roberta/modeling_roberta.py")

FAMILIES: dict[str, EncoderTraits] = {
    "roberta": _ROBERTA,
    "xlm-roberta": EncoderTraits("xlm_roberta/modeling_xlm_roberta.py"),
    "camembert": EncoderTraits("camembert/modeling_camembert.py"),
    "data2vec-text": EncoderTraits("data2vec/modeling_data2vec_text.py"),
    "ernie": EncoderTraits("ernie/modeling_ernie.py", task_types=True),
    "big_bird": EncoderTraits("big_bird/modeling_big_bird.py", qkv_bias_key="use_bias", lm_pooler=True,
                              neutral=("attention_type", "block_size", "num_random_blocks", "rescale_embeddings")),
    "electra": EncoderTraits("electra/modeling_electra.py", embed_width_key="embedding_size", embed_width_default=128,
                             head_to_embed_width=True, base_pooler=False),
    "rembert": EncoderTraits("rembert/modeling_rembert.py", embed_width_key="input_embedding_size",
                             embed_width_default=256, head_width_key="output_embedding_size", tied_default=False),
    "roformer": EncoderTraits("roformer/modeling_roformer.py", embed_width_key="embedding_size",
                              sinusoidal_param=True, head_to_embed_width=True, base_pooler=False,
                              neutral=("rotary_value",)),
    "xlm-roberta-xl": EncoderTraits("xlm_roberta_xl/modeling_xlm_roberta_xl.py", pre_norm=True, embed_norm=False,
                                    type_vocab_default=1),
    "roberta-prelayernorm": EncoderTraits("roberta_prelayernorm/modeling_roberta_prelayernorm.py", pre_norm=True),
    "megatron-bert": EncoderTraits("megatron_bert/modeling_megatron_bert.py", pre_norm=True, embed_norm=False),
    "distilbert": EncoderTraits("distilbert/modeling_distilbert.py", token_types=False, base_pooler=False,
                                hidden=("dim", "hidden_size"), layers=("n_layers", "num_hidden_layers"),
                                heads=("n_heads", "num_attention_heads"), inner=("hidden_dim",), act="activation",
                                neutral=("sinusoidal_pos_embds", "qa_dropout", "seq_classif_dropout")),
    "mpnet": EncoderTraits("mpnet/modeling_mpnet.py", token_types=False, rel_bias=True),
}



def encoder(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """A BERT-like encoder described by its family's row of :data:`FAMILIES`."""
    t = FAMILIES[model_type]
    if architecture.endswith("ForPreTraining"):
        raise UnsupportedArchitectureError(f"{c.origin}: {architecture}: only the masked-LM, causal-LM and bare "
                                           f"model classes of {model_type} are described")
    d = c.int(t.hidden)
    n = c.int(t.layers, minimum=0)
    heads = c.int(t.heads)
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden size {d} is not divisible by the number of heads {heads}")
    if c.bool("add_cross_attention", False):
        raise UnsupportedArchitectureError(f"{c.origin}: add_cross_attention=true (a {model_type} decoder with "
                                           "cross-attention) is not described")
    # transformers 5 has no relative-key variants of these attentions: the key is read and ignored
    c.touch("position_embedding_type", *t.neutral)
    qkv_bias = c.bool(t.qkv_bias_key, True) if t.qkv_bias_key else True
    roles = ("norm_attn_in", "norm_mlp_in") if t.pre_norm else ("norm_attn_out", "norm_mlp_out")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=qkv_bias, o_bias=True),
                      ffn=MlpSpec(c.int(t.inner), gated=False, bias=True, activation=c.str(t.act, "gelu")),
                      norms=tuple(_ln(r, d) for r in roles))
    stack_extra: tuple[ExtraTensor, ...] = ()
    if t.rel_bias:  # MPNetEncoder.relative_attention_bias, shared by every layer
        stack_extra = (ExtraTensor("rel_bias.weight", "rel_bias", (c.int("relative_attention_num_buckets", 32), heads)),)
    positions = c.int("max_position_embeddings", 512)
    if t.sinusoidal_param:  # RoFormerEncoder.embed_positions: [max_positions, head_dim], a parameter
        stack_extra += (ExtraTensor("pos_sinusoidal.weight", "pos_embed", (positions, d // heads)),)

    e = c.int(t.embed_width_key, t.embed_width_default or d) if t.embed_width_key else d
    # ELECTRA / RoFormer project only when the widths differ; RemBERT's embedding_hidden_mapping_in always
    project = e != d or t.head_width_key is not None
    if t.head_width_key:
        head_width = c.int(t.head_width_key)
    elif t.head_to_embed_width:
        head_width = e
    else:
        head_width = d
    tied = c.bool("tie_word_embeddings", t.tied_default)
    if tied and head_width != e and head != "none":
        raise ConfigError(f"{c.origin}: tie_word_embeddings=true but the head width {head_width} differs from the "
                          f"embedding width {e}")
    if head == "none":
        head_spec = HeadSpec(kind="none", pooler=t.base_pooler)
    else:
        head_spec = HeadSpec(kind="mlm", bias=True, transform_width=head_width,
                             transform_norm=_ln("mlm_norm", head_width), pooler=t.lm_pooler)
    model_extra: tuple[ExtraTensor, ...] = ()
    if t.task_types and c.bool("use_task_id", False):  # ErnieEmbeddings.task_type_embeddings
        model_extra = (ExtraTensor("task_type_embed.weight", "type_embed", (c.int("task_type_vocab_size", 3), e)),)
    elif t.task_types:
        c.touch("task_type_vocab_size")
    token_types = c.int("type_vocab_size", t.type_vocab_default, minimum=0) if t.token_types else 0
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type,
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), e, tied_head=tied and head != "none",
                                position="rotary" if t.sinusoidal_param else "learned",
                                max_positions=0 if t.sinusoidal_param else positions,
                                token_types=token_types, norm=_ln("norm_embed", e) if t.embed_norm else None,
                                project_to=d if project else None),
        stacks=(StackSpec("encoder", d, (layer,) * n, final_norm=_ln("norm_final", d) if t.pre_norm else None,
                          extra=stack_extra, causal=head == "lm"),),
        head=head_spec,
        max_context=positions,
        extra=model_extra,
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"),
    )
