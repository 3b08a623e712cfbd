"""config.json -> ModelSpec for the BERT-like encoders: RoBERTa, XLM-R, CamemBERT, Data2Vec-Text, ERNIE,
BigBird, ELECTRA, RemBERT, RoFormer, XLM-R-XL, RoBERTa-PreLayerNorm, Megatron-BERT, DistilBERT, MPNet, and
(issue 10) LayoutLM, I-BERT, TAPAS, MRA, YOSO, Nystromformer, Longformer, X-MOD, RoCBert, LUKE, BertGeneration
and ESM.

One adapter, :func:`encoder`, builds BERT's layout (transformers bert/modeling_bert.py: learned
positions, token types, embedding LayerNorm, q/k/v/o and a plain MLP all with bias, a LayerNorm after
attention and after the MLP, an MLM head of dense + LayerNorm + a decoder tied to the embedding + a
vocabulary bias) and each family differs from it only by the traits of its row in :data:`FAMILIES`,
each row naming the modeling file it was read from; tensors a family adds beside BERT's (LayoutLM's box
tables, Longformer's global q/k/v, X-MOD's language adapters, LUKE's entity embeddings...) come from the
row's ``extras`` function. BERT and ALBERT themselves stay in classic.py.

Masked-LM and causal-LM classes of these families (RobertaForMaskedLM, RobertaForCausalLM...) carry
the same prediction head and, except BigBird, LayoutLM and LUKE, no pooler; the bare model class
(RobertaModel) carries the pooler and no head. With tie_word_embeddings false, BERT's and RoBERTa's
heads keep their decoder's bias apart from the head's bias (``decoder_bias_apart``). ELECTRA's
masked-LM class is the generator (its head maps hidden -> embedding_size); its ForPreTraining class
(the discriminator) and every other ForPreTraining class are refused here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

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
    position_offset: int = 0  # MRA, YOSO, Nystromformer: max_position_embeddings + 2 position rows
    pre_norm_key: str | None = None  # a key switching pre-LN blocks and the final LayerNorm (X-MOD pre_norm)
    embed_norm_key: str | None = None  # a key switching the embedding LayerNorm (ESM emb_layer_norm_before)
    rotary_key: str | None = None  # ESM position_embedding_type: "rotary" -> RoPE, otherwise a learned table
    untied_word_head: bool = False  # the MLM decoder is never tied to the word embeddings (LUKE)
    head_transform: bool = True  # False: the LM head is the decoder and its bias only (BertGeneration)
    # the head keeps a vocabulary bias beside its decoder's own bias, tied to it only with the embeddings
    # (BertLMPredictionHead / RobertaLMHead: decoder.bias = bias): untied, both are parameters
    decoder_bias_apart: bool = True
    # head_extras(c, hidden, vocab) -> tensors the masked/causal-LM class adds beside the MLM head (LUKE's entities)
    head_extras: Callable[[Cfg, int, int], tuple[ExtraTensor, ...]] | None = field(default=None, compare=False)
    # per-family tensors beside BERT's: extras(c, hidden, heads) -> Extras (layer, stack, model tensors, warnings)
    extras: Callable[[Cfg, int, int], Extras] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Extras:
    layer: tuple[ExtraTensor, ...] = ()
    stack: tuple[ExtraTensor, ...] = ()
    model: tuple[ExtraTensor, ...] = ()
    warnings: tuple[str, ...] = ()
    token_types: bool = True  # False: the family replaces the token-type table (TAPAS's seven tables)


def _lin(name: str, role: str, out_f: int, in_f: int, bias: bool = True) -> tuple[ExtraTensor, ...]:
    w = (ExtraTensor(f"{name}.weight", role, (out_f, in_f)),)
    return w + ((ExtraTensor(f"{name}.bias", role, (out_f,)),) if bias else ())


def _norm_x(name: str, role: str, width: int) -> tuple[ExtraTensor, ...]:
    return (ExtraTensor(f"{name}.weight", role, (width,)), ExtraTensor(f"{name}.bias", role, (width,)))


def _layoutlm(c: Cfg, d: int, heads: int) -> Extras:
    """LayoutLMEmbeddings: x, y, h and w position tables of max_2d_position_embeddings rows (bounding boxes)."""
    rows = c.int("max_2d_position_embeddings", 1024)
    return Extras(model=tuple(ExtraTensor(f"{a}_pos_embed.weight", "pos_embed", (rows, d)) for a in "xyhw"))


def _tapas(c: Cfg, d: int, heads: int) -> Extras:
    """TapasEmbeddings: one token-type table per entry of type_vocab_sizes (segment, column, row, rank...)."""
    sizes = c.int_list("type_vocab_sizes")
    sizes = [3, 256, 256, 2, 256, 256, 10] if sizes is None else sizes
    c.touch("type_vocab_size")
    return Extras(model=tuple(ExtraTensor(f"type_embed_{i}.weight", "type_embed", (k, d)) for i, k in enumerate(sizes)
                              if k), token_types=False)


def _landmark_conv(key: str, default: int | None):
    """Nystromformer (conv_kernel_size) / YOSO (conv_window): a depthwise Conv2d over the values, one
    [kernel, 1] filter per head without bias, when the key is not null."""
    def extras(c: Cfg, d: int, heads: int) -> Extras:
        k = c.opt_int(key) if c.present(key) else default
        if k is None:
            return Extras()
        return Extras(layer=(ExtraTensor("attn.conv.weight", "other", (heads, 1, k, 1)),))
    return extras


def _longformer(c: Cfg, d: int, heads: int) -> Extras:
    """LongformerSelfAttention: query_global / key_global / value_global (with biases) for the global tokens;
    the other tokens attend a local window of attention_window tokens."""
    w = c.raw("attention_window")
    c.touch("attention_window", "onnx_export")
    return Extras(layer=(_lin("attn.q_global", "attn_q", d, d) + _lin("attn.k_global", "attn_k", d, d)
                         + _lin("attn.v_global", "attn_v", d, d)),
                  warnings=(f"longformer: sliding local attention (attention_window {w}) plus global attention "
                            "with its own q/k/v projections; the attention FLOPs assume full attention",))


def _xmod(c: Cfg, d: int, heads: int) -> Extras:
    """XmodOutput: one bottleneck adapter per language (dense1 [d / adapter_reduction_factor, d], dense2 back,
    with biases) after the MLP, and an adapter LayerNorm when adapter_layer_norm."""
    langs = c.str_list("languages")
    langs = ["en_XX"] if langs is None else langs
    r = c.int("adapter_reduction_factor", 2)
    b = d // r
    layer: tuple[ExtraTensor, ...] = ()
    for lang in langs:
        layer += _lin(f"adapter.{lang}.dense1", "other", b, d) + _lin(f"adapter.{lang}.dense2", "other", d, b)
    if c.bool("adapter_layer_norm", False):
        layer += _norm_x("adapter_norm", "other", d)
    c.touch("adapter_reuse_layer_norm", "ln_before_adapter", "default_language")
    warn = () if len(langs) <= 1 else (
        f"xmod: each token passes through the adapter of its own language only, one of {len(langs)}; the "
        "matrix FLOPs count every language's adapter",)
    return Extras(layer=layer, warnings=warn)


def _esm(c: Cfg, d: int, heads: int) -> Extras:
    """EsmContactPredictionHead.regression: Linear(num_hidden_layers x heads, 1) with bias."""
    n = c.int("num_hidden_layers", minimum=0)
    return Extras(model=_lin("contact_head.regression", "other", 1, n * heads) if n else ())


def _luke(c: Cfg, d: int, heads: int) -> Extras:
    """LukeEntityEmbeddings (entity table [entity_vocab_size, entity_emb_size], entity_embedding_dense to hidden
    without bias when the widths differ, position and token-type tables, LayerNorm); the entity-aware attention's
    w2e / e2w / e2e query projections (use_entity_aware_attention); LukeForMaskedLM's EntityPredictionHead
    (transform dense hidden -> entity_emb_size + LayerNorm, decoder tied to the entity table, bias) and the
    word decoder's own bias beside lm_head.bias when the embeddings are untied (they are tied otherwise)."""
    ev, e = c.int("entity_vocab_size", 500000), c.int("entity_emb_size", 256)
    positions, types = c.int("max_position_embeddings", 512), c.int("type_vocab_size", 2, minimum=0)
    model = (ExtraTensor("entity.embed.weight", "embed", (ev, e)),)
    if e != d:
        model += _lin("entity.embed_proj", "embed_proj", d, e, False)
    model += (ExtraTensor("entity.pos_embed.weight", "pos_embed", (positions, d)),)
    model += (ExtraTensor("entity.type_embed.weight", "type_embed", (types, d)),) if types else ()
    model += _norm_x("entity.norm", "norm_embed", d)
    layer: tuple[ExtraTensor, ...] = ()
    if c.bool("use_entity_aware_attention", True):
        layer = sum((_lin(f"attn.{q}_query", "attn_q", d, d) for q in ("w2e", "e2w", "e2e")), ())
    return Extras(layer=layer, model=model)


def _luke_heads(c: Cfg, d: int, vocab: int) -> tuple[ExtraTensor, ...]:
    ev, e = c.int("entity_vocab_size", 500000), c.int("entity_emb_size", 256)
    tied = c.bool("tie_word_embeddings", True)
    out = _lin("entity_head.transform", "mlm_transform", e, d) + _norm_x("entity_head.norm", "mlm_transform", e)
    if not tied:
        out += (ExtraTensor("entity_head.decoder.weight", "lm_head", (ev, e)),
                ExtraTensor("mlm.decoder.bias", "mlm_bias", (vocab,)))
    return out + (ExtraTensor("entity_head.bias", "mlm_bias", (ev,)),)


def _roc_bert(c: Cfg, d: int, heads: int) -> Extras:
    """RoCBertEmbeddings: pronunciation and shape embedding tables (always built), and map_inputs_layer
    (with bias) from the concatenated word / pronunciation / shape embeddings when concat_input."""
    pd, sd = c.int("pronunciation_embed_dim", 768), c.int("shape_embed_dim", 512)
    model = (ExtraTensor("pronunciation_embed.weight", "embed", (c.int("pronunciation_vocab_size", 910), pd)),
             ExtraTensor("shape_embed.weight", "embed", (c.int("shape_vocab_size", 24858), sd)))
    if c.bool("concat_input", True):
        width = d + (pd if c.bool("enable_pronunciation", True) else 0) + (sd if c.bool("enable_shape", True) else 0)
        model += _lin("map_inputs", "embed_proj", d, width)
    else:
        c.touch("enable_pronunciation", "enable_shape")
    return Extras(model=model)


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
                             head_to_embed_width=True, base_pooler=False, decoder_bias_apart=False),
    # RemBertForMaskedLM declares no tied weights: its decoder is never the embedding matrix
    "rembert": EncoderTraits("rembert/modeling_rembert.py", embed_width_key="input_embedding_size",
                             embed_width_default=256, head_width_key="output_embedding_size", tied_default=False,
                             untied_word_head=True, decoder_bias_apart=False),
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
                                neutral=("sinusoidal_pos_embds", "qa_dropout", "seq_classif_dropout"),
                                decoder_bias_apart=False),
    "mpnet": EncoderTraits("mpnet/modeling_mpnet.py", token_types=False, rel_bias=True),
    # issue 10 (helper E)
    "layoutlm": EncoderTraits("layoutlm/modeling_layoutlm.py", lm_pooler=True, extras=_layoutlm),
    "ibert": EncoderTraits("ibert/modeling_ibert.py", neutral=("quant_mode", "force_dequant")),
    "tapas": EncoderTraits("tapas/modeling_tapas.py", extras=_tapas),
    "mra": EncoderTraits("mra/modeling_mra.py", position_offset=2, base_pooler=False, type_vocab_default=1,
                         neutral=("block_per_row", "approx_mode", "initial_prior_first_n_blocks",
                                  "initial_prior_diagonal_n_blocks")),
    "yoso": EncoderTraits("yoso/modeling_yoso.py", position_offset=2, base_pooler=False, type_vocab_default=1,
                          extras=_landmark_conv("conv_window", None),
                          neutral=("use_expectation", "hash_code_len", "num_hash", "use_fast_hash", "lsh_backward")),
    "nystromformer": EncoderTraits("nystromformer/modeling_nystromformer.py", position_offset=2, base_pooler=False,
                                   extras=_landmark_conv("conv_kernel_size", 65),
                                   neutral=("segment_means_seq_len", "num_landmarks", "inv_coeff_init_option")),
    "longformer": EncoderTraits("longformer/modeling_longformer.py", extras=_longformer),
    "xmod": EncoderTraits("xmod/modeling_xmod.py", pre_norm_key="pre_norm", extras=_xmod),
    "roc_bert": EncoderTraits("roc_bert/modeling_roc_bert.py", extras=_roc_bert),
    # LUKE (luke/modeling_luke.py): BERT's words plus entity embeddings and entity-aware attention; LukeForMaskedLM
    # keeps the pooler, its word decoder is its own matrix and its entity decoder is tied to the entity table
    "luke": EncoderTraits("luke/modeling_luke.py", lm_pooler=True, untied_word_head=True, extras=_luke,
                          head_extras=_luke_heads, decoder_bias_apart=False),
    # BertGeneration (bert_generation/modeling_bert_generation.py): BERT without token types or pooler;
    # BertGenerationDecoder's head is a decoder Linear tied to the embeddings plus a bias (no transform)
    "bert-generation": EncoderTraits("bert_generation/modeling_bert_generation.py", token_types=False,
                                     base_pooler=False, head_transform=False),
    # ESM (esm/modeling_esm.py): pre-LN layers (attention.LayerNorm, LayerNorm), emb_layer_norm_after as the final
    # norm, RoPE or a learned table by position_embedding_type, no token types; EsmModel always builds the
    # contact-prediction head (regression over layers x heads attention maps)
    "esm": EncoderTraits("esm/modeling_esm.py", pre_norm=True, embed_norm_key="emb_layer_norm_before",
                         token_types=False, rotary_key="position_embedding_type", extras=_esm,
                         neutral=("token_dropout", "is_folding_model", "esmfold_config", "vocab_list"),
                         decoder_bias_apart=False),
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
    kind = c.str(t.rotary_key, "absolute") if t.rotary_key else "absolute"
    position = "rotary" if t.sinusoidal_param or kind == "rotary" else ("learned" if kind == "absolute" else "none")
    c.touch("position_embedding_type", *t.neutral)
    qkv_bias = c.bool(t.qkv_bias_key, True) if t.qkv_bias_key else True
    pre_norm = c.bool(t.pre_norm_key, False) if t.pre_norm_key else t.pre_norm
    roles = ("norm_attn_in", "norm_mlp_in") if pre_norm else ("norm_attn_out", "norm_mlp_out")
    more = t.extras(c, d, heads) if t.extras is not None else Extras()
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=qkv_bias, o_bias=True),
                      ffn=MlpSpec(c.int(t.inner), gated=False, bias=True, activation=c.str(t.act, "gelu")),
                      norms=tuple(_ln(r, d) for r in roles), extra=more.layer)
    stack_extra: tuple[ExtraTensor, ...] = more.stack
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
    tied = c.bool("tie_word_embeddings", t.tied_default) and not t.untied_word_head
    if tied and head_width != e and head != "none":
        raise ConfigError(f"{c.origin}: tie_word_embeddings=true but the head width {head_width} differs from the "
                          f"embedding width {e}")
    if head == "none":
        head_spec = HeadSpec(kind="none", pooler=t.base_pooler)
    elif not t.head_transform:
        head_spec = HeadSpec(kind="lm", bias=True, pooler=t.lm_pooler)
    else:
        head_spec = HeadSpec(kind="mlm", bias=True, transform_width=head_width,
                             transform_norm=_ln("mlm_norm", head_width), pooler=t.lm_pooler)
    model_extra: tuple[ExtraTensor, ...] = more.model
    if t.task_types and c.bool("use_task_id", False):  # ErnieEmbeddings.task_type_embeddings
        model_extra += (ExtraTensor("task_type_embed.weight", "type_embed", (c.int("task_type_vocab_size", 3), e)),)
    elif t.task_types:
        c.touch("task_type_vocab_size")
    if t.decoder_bias_apart and head != "none" and not tied:  # the decoder's bias apart from the head's bias
        model_extra += (ExtraTensor("mlm.decoder.bias", "mlm_bias" if t.head_transform else "lm_head",
                                    (c.int("vocab_size"),)),)
    if t.head_extras is not None and head != "none":  # tensors of the LM classes' extra heads
        model_extra += t.head_extras(c, d, c.int("vocab_size"))
    token_types = c.int("type_vocab_size", t.type_vocab_default, minimum=0) if t.token_types and more.token_types else 0
    embed_norm = c.bool(t.embed_norm_key, False) if t.embed_norm_key else t.embed_norm
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type,
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), e, tied_head=tied and head != "none",
                                position=position,
                                max_positions=positions + t.position_offset if position == "learned" else 0,
                                token_types=token_types, norm=_ln("norm_embed", e) if embed_norm else None,
                                project_to=d if project else None),
        stacks=(StackSpec("encoder", d, (layer,) * n, final_norm=_ln("norm_final", d) if pre_norm else None,
                          extra=stack_extra, causal=head == "lm"),),
        head=head_spec,
        max_context=positions,
        extra=model_extra,
        warnings=more.warnings,
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"),
    )
