"""config.json -> ModelSpec for the BART-like encoder-decoders (BART, mBART, PLBART, MVP, Marian,
Pegasus, Blenderbot, Blenderbot-Small, M2M-100) and Whisper.

BART-likes share one layout (transformers bart/modeling_bart.py): a shared token embedding, per stack a
position table, q/k/v/out and fc1/fc2 with bias, a LayerNorm after (or before) self-attention, the
decoder's cross-attention (encoder_attn) and the MLP, and an output head tied to the shared embedding by
default. ``final_logits_bias`` is a buffer in transformers 5 (not a parameter) and ``scale_embedding``
only multiplies. The families differ in the traits of their :data:`FAMILIES` row, each naming its
modeling file. transformers builds each family's one layout whatever the older fairseq-style keys
(normalize_before, add_final_layer_norm, normalize_embedding, static_position_embeddings) say; such a
key is read, and a config whose value contradicts the layout transformers builds is refused.

The causal-LM classes of these families (BartForCausalLM...) are the decoder alone, its layers keeping
their cross-attention, with the head tied to the decoder's embedding.

Position tables: the model-level one (EmbeddingSpec) belongs to the first stack, the other stack's is an
ExtraTensor of that stack; sinusoidal tables that transformers keeps as (frozen) parameters (Marian,
Pegasus, Whisper's encoder) are ExtraTensors of their stacks; M2M-100's sinusoidal table is a buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

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


@dataclass(frozen=True, slots=True)
class Seq2SeqTraits:
    source: str  # the transformers modeling file the row was read from
    pre_norm: bool  # LayerNorms before each sub-block (normalize_before)
    embed_norm: bool  # layernorm_embedding after the embeddings of each stack
    final_norm: bool  # a final layer_norm per stack (add_final_layer_norm)
    positions: Literal["learned", "sinusoidal_param", "sinusoidal_buffer"]
    pos_offset: int = 0  # BartLearnedPositionalEmbedding: 2 extra rows
    prompts: bool = False  # MVP: use_prompt (refused when true)


FAMILIES: dict[str, Seq2SeqTraits] = {
    "bart": Seq2SeqTraits("bart/modeling_bart.py", False, True, False, "learned", 2),
    "mbart": Seq2SeqTraits("mbart/modeling_mbart.py", True, True, True, "learned", 2),
    "plbart": Seq2SeqTraits("plbart/modeling_plbart.py", False, True, False, "learned", 2),
    "mvp": Seq2SeqTraits("mvp/modeling_mvp.py", False, True, False, "learned", 2, prompts=True),
    "marian": Seq2SeqTraits("marian/modeling_marian.py", False, False, False, "sinusoidal_param"),
    "pegasus": Seq2SeqTraits("pegasus/modeling_pegasus.py", True, False, True, "sinusoidal_param"),
    "blenderbot": Seq2SeqTraits("blenderbot/modeling_blenderbot.py", True, False, True, "learned"),
    "blenderbot-small": Seq2SeqTraits("blenderbot_small/modeling_blenderbot_small.py", False, True, False, "learned"),
    "m2m_100": Seq2SeqTraits("m2m_100/modeling_m2m_100.py", True, False, True, "sinusoidal_buffer"),
}



def _ln_extra(name: str, role: str, width: int) -> tuple[ExtraTensor, ...]:
    return (ExtraTensor(f"{name}.weight", role, (width,)), ExtraTensor(f"{name}.bias", role, (width,)))



def _check_flag(c: Cfg, key: str, built: bool, what: str) -> None:
    stated = c.bool(key, built)
    if stated != built:
        raise UnsupportedArchitectureError(
            f"{c.origin}: {key}={str(stated).lower()}, but transformers' {c.data.get('model_type')} builds "
            f"{'with' if built else 'without'} {what}; refusing a checkpoint it would not load")


def _layer(c: Cfg, d: int, heads_key: str, ffn_key: str, *, decoder: bool, pre: bool,
           act: str) -> LayerSpec:
    heads = c.int(heads_key)
    if d % heads:
        raise ConfigError(f"{c.origin}: d_model {d} is not divisible by {heads_key} {heads}")
    attn = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True)
    cross = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, cross=True) if decoder else None
    roles = ["norm_attn_in", "norm_mlp_in"] if pre else ["norm_attn_out", "norm_mlp_out"]
    if decoder:
        roles.insert(1, "norm_cross_in")
    return LayerSpec(attention=attn, cross_attention=cross,
                     ffn=MlpSpec(c.int(ffn_key), gated=False, bias=True, activation=act),
                     norms=tuple(_ln(r, d) for r in roles))


def bart_like(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """A BART-like encoder-decoder (or its decoder alone for the ForCausalLM class) described by its
    family's row of :data:`FAMILIES`."""
    t = FAMILIES[model_type]
    d = c.int(("d_model", "hidden_size"))
    vocab = c.int("vocab_size")
    act = c.str("activation_function", "gelu")
    positions = c.int("max_position_embeddings")
    rows = positions + t.pos_offset
    c.touch("scale_embedding", "extra_pos_embeddings", "add_bias_logits", "num_hidden_layers", "encoder_layerdrop",
            "decoder_layerdrop")
    _check_flag(c, "normalize_before", t.pre_norm, "LayerNorms before each block")
    _check_flag(c, "add_final_layer_norm", t.final_norm, "a final LayerNorm per stack")
    _check_flag(c, "normalize_embedding", t.embed_norm, "a LayerNorm after the embeddings")
    _check_flag(c, "static_position_embeddings", t.positions != "learned", "sinusoidal positions")
    if t.prompts:
        if c.bool("use_prompt", False):
            raise UnsupportedArchitectureError(f"{c.origin}: use_prompt=true (MVP's prompt modules) is not described")
        c.touch("prompt_length", "prompt_mid_dim")
    if model_type == "marian" or c.present("share_encoder_decoder_embeddings"):
        shared = c.bool("share_encoder_decoder_embeddings", True)
        dec_vocab = c.int("decoder_vocab_size", vocab)
        if not shared or dec_vocab != vocab:
            raise UnsupportedArchitectureError(
                f"{c.origin}: separate encoder and decoder vocabularies (share_encoder_decoder_embeddings=false "
                f"or decoder_vocab_size {dec_vocab} != vocab_size {vocab}) are not described")
    decoder_only = architecture.endswith("ForCausalLM")

    def stack(which: str, decoder: bool, first: bool) -> StackSpec:
        n = c.int(f"{which}_layers", minimum=0)
        layer = _layer(c, d, f"{which}_attention_heads", f"{which}_ffn_dim", decoder=decoder, pre=t.pre_norm, act=act)
        extra: tuple[ExtraTensor, ...] = ()
        if t.positions == "sinusoidal_param" or (t.positions == "learned" and not first):
            extra += (ExtraTensor("pos_embed.weight", "pos_embed", (rows, d)),)
        if t.embed_norm:
            extra += _ln_extra("norm_embed", "norm_embed", d)
        return StackSpec(which, d, (layer,) * n, final_norm=_ln("norm_final", d) if t.final_norm else None,
                         extra=extra, causal=decoder)

    if decoder_only:
        stacks = (stack("decoder", True, True),)
        c.touch("encoder_layers", "encoder_attention_heads", "encoder_ffn_dim")
    else:
        stacks = (stack("encoder", False, True), stack("decoder", True, False))
    learned = t.positions == "learned"
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(vocab, d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="learned" if learned else "none", max_positions=rows if learned else 0),
        stacks=stacks,
        head=HeadSpec(kind=head),
        max_context=positions,
        **_common(c, model_type, name, architecture),
    )


def whisper(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Whisper (Radford et al. 2022; whisper/modeling_whisper.py). Encoder: conv1 (num_mel_bins -> d,
    kernel 3) and conv2 (d -> d, kernel 3, stride 2), both with bias, then a sinusoidal position table
    of max_source_positions rows kept as a frozen parameter (counted by transformers' parameters()).
    Both stacks: pre-LN, q/v/out with bias and k without (WhisperAttention: k_proj bias=False), fc1/fc2
    with bias, a final layer_norm. Decoder: token embedding, learned positions (max_target_positions),
    cross-attention (encoder_attn) in every layer; proj_out tied to the token embedding by default.
    WhisperForCausalLM is the decoder alone."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "gelu")
    c.touch("scale_embedding", "num_hidden_layers", "num_key_value_heads", "encoder_layerdrop", "decoder_layerdrop")

    def layer(which: str, decoder: bool) -> LayerSpec:
        heads = c.int(f"{which}_attention_heads")
        if d % heads:
            raise ConfigError(f"{c.origin}: d_model {d} is not divisible by {which}_attention_heads {heads}")
        # q and v carry a bias, k does not: the spec's q/k/v bias is all-or-nothing, so the two biases
        # are extra tensors of the layer
        attn = AttentionSpec(heads, heads, d // heads, o_bias=True)
        extra = (ExtraTensor("attn.q.bias", "attn_q", (d,)), ExtraTensor("attn.v.bias", "attn_v", (d,)))
        cross = None
        roles = ["norm_attn_in", "norm_mlp_in"]
        if decoder:
            cross = AttentionSpec(heads, heads, d // heads, o_bias=True, cross=True)
            extra += (ExtraTensor("xattn.q.bias", "xattn_q", (d,)), ExtraTensor("xattn.v.bias", "xattn_v", (d,)))
            roles.insert(1, "norm_cross_in")
        return LayerSpec(attention=attn, cross_attention=cross,
                         ffn=MlpSpec(c.int(f"{which}_ffn_dim"), gated=False, bias=True, activation=act),
                         norms=tuple(_ln(r, d) for r in roles), extra=extra)

    stacks = []
    if not architecture.endswith("ForCausalLM"):
        mels = c.int("num_mel_bins", 80)
        front = (ExtraTensor("conv1.weight", "patch_embed", (d, mels, 3)), ExtraTensor("conv1.bias", "patch_embed", (d,)),
                 ExtraTensor("conv2.weight", "patch_embed", (d, d, 3)), ExtraTensor("conv2.bias", "patch_embed", (d,)),
                 ExtraTensor("pos_embed.weight", "pos_embed", (c.int("max_source_positions", 1500), d)))
        stacks.append(StackSpec("encoder", d, (layer("encoder", False),) * c.int("encoder_layers", minimum=0),
                                final_norm=_ln("norm_final", d), extra=front, causal=False))
    else:
        c.touch("encoder_layers", "encoder_attention_heads", "encoder_ffn_dim", "num_mel_bins", "max_source_positions")
    positions = c.int("max_target_positions", 448)
    stacks.append(StackSpec("decoder", d, (layer("decoder", True),) * c.int("decoder_layers", minimum=0),
                            final_norm=_ln("norm_final", d)))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="learned", max_positions=positions),
        stacks=tuple(stacks),
        head=HeadSpec(kind=head),
        max_context=positions,
        **_common(c, model_type, name, architecture),
    )


# ------------------------------------------------------------------ T5 relatives


@dataclass(frozen=True, slots=True)
class T5Traits:
    source: str  # the transformers modeling file the row was read from
    ffn_default: str  # the config class's default feed_forward_proj (a diff config leaves it out)
    rel_bias_every_layer: bool = False  # UMT5: every self-attention owns a relative bias table
    long: bool = False  # LongT5: encoder_attention_type local / transient-global


T5_FAMILIES: dict[str, T5Traits] = {
    "mt5": T5Traits("mt5/modeling_mt5.py", "gated-gelu"),
    "umt5": T5Traits("umt5/modeling_umt5.py", "gated-gelu", rel_bias_every_layer=True),
    "longt5": T5Traits("longt5/modeling_longt5.py", "relu", long=True),
}


def t5_like(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """mT5, UMT5 and LongT5: T5's layout (t5/modeling_t5.py; see seq2seq_ssm.t5) with the family's own
    defaults. No biases; RMS-style LayerNorms without bias; a relative-position bias table [buckets,
    heads] in the first self-attention of each stack (UMT5: in every one); decoder layers add
    cross-attention (EncDecAttention). LongT5's transient-global encoder attention adds a
    global_relative_attention_bias table in the first layer and a global_input_layer_norm in every layer
    (longt5/modeling_longt5.py LongT5TransientGlobalAttention). The feed-forward is gated when
    feed_forward_proj starts with "gated-" (is_gated_act is derived from it). MT5Config and UMT5Config
    force tie_word_embeddings to true; a checkpoint that says false stores its own lm_head, which is
    counted, with a warning."""
    t = T5_FAMILIES[model_type]
    d = c.int(("d_model", "hidden_size"))
    d_kv = c.int(("d_kv", "head_dim"))
    heads = c.int(("num_heads", "num_attention_heads"))
    n_enc = c.int(("num_layers", "num_hidden_layers"), minimum=0)
    n_dec = c.int("num_decoder_layers", n_enc, minimum=0)
    buckets = c.int("relative_attention_num_buckets", 32)
    proj = c.str("feed_forward_proj", t.ffn_default)
    c.touch("is_gated_act", "add_cross_attention")
    mlp = MlpSpec(c.int("d_ff"), gated=proj.startswith("gated-"), activation=proj.split("-")[-1])
    tglobal = False
    if t.long:
        kind = c.str("encoder_attention_type", "local")
        if kind not in ("local", "transient-global"):
            raise ConfigError(f"{c.origin}: encoder_attention_type: expected 'local' or 'transient-global', got {kind!r}")
        tglobal = kind == "transient-global"
        c.touch("local_radius", "global_block_size")

    def stack(which: str, n: int, decoder: bool) -> StackSpec:
        cache: dict[bool, LayerSpec] = {}
        layers = []
        for i in range(n):
            first = i == 0 or t.rel_bias_every_layer
            if first not in cache:
                attn = AttentionSpec(heads, heads, d_kv, rel_bias_buckets=buckets if first else 0)
                extra: tuple[ExtraTensor, ...] = ()
                if tglobal and not decoder:
                    if first:
                        extra += (ExtraTensor("attn.global_rel_bias.weight", "rel_bias", (buckets, heads)),)
                    extra += (ExtraTensor("attn.global_input_norm.weight", "norm_attn_in", (d,)),)
                cross = AttentionSpec(heads, heads, d_kv, cross=True) if decoder else None
                roles = ("norm_attn_in", "norm_cross_in", "norm_mlp_in") if decoder else ("norm_attn_in", "norm_mlp_in")
                cache[first] = LayerSpec(attention=attn, cross_attention=cross, ffn=mlp,
                                         norms=tuple(NormSpec(r, d) for r in roles), extra=extra)
            layers.append(cache[first])
        return StackSpec(which, d, tuple(layers), final_norm=NormSpec("norm_final", d), causal=decoder)

    stacks = [stack("encoder", n_enc, False)]
    if not architecture.endswith("EncoderModel"):
        stacks.append(stack("decoder", n_dec, True))
    tied = c.bool("tie_word_embeddings", True)
    warnings = ()
    if not tied and head == "lm":
        warnings = (f"transformers 5 ties {model_type}'s output head to the shared embedding whatever "
                    "tie_word_embeddings says; the checkpoint (tie_word_embeddings: false) stores a separate head, "
                    "which is counted here",)
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=tied and head == "lm", position="relative"),
        stacks=tuple(stacks),
        head=HeadSpec(kind=head),
        max_context=c.opt_int("n_positions"),
        warnings=warnings,
        **_common(c, model_type, name, architecture),
    )
