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

import math
from dataclasses import dataclass, replace
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
    MoeSpec,
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


def _own_token_embeddings(stacks, vocab: int, d: int) -> tuple:
    """Untied encoder-decoders (tie_word_embeddings false): transformers 5 ties the encoder's and the decoder's
    embed_tokens to model.shared only when tie_word_embeddings is true (the same flag as the head), so untied each
    stack stores its own [vocab, d] table beside shared (bart/modeling_bart.py BartModel._tied_weights_keys)."""
    from dataclasses import replace

    return tuple(replace(s, extra=(ExtraTensor("embed_tokens.weight", "embed", (vocab, d)), *s.extra)) for s in stacks)


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
    shared, dec_vocab = True, vocab
    if model_type == "marian" or c.present("share_encoder_decoder_embeddings"):
        # Marian (marian/modeling_marian.py): the decoder's table always has decoder_vocab_size rows (default
        # vocab_size); with share_encoder_decoder_embeddings (default) both stacks and the head tie to `shared`
        # [vocab_size, d] when tie_word_embeddings, else each stores its own; without it there is no `shared`, the
        # encoder's table has vocab_size rows and lm_head decoder_vocab_size rows, tied to the decoder's table
        shared = c.bool("share_encoder_decoder_embeddings", True)
        dec_vocab = c.int("decoder_vocab_size", vocab)
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

    tied = c.bool("tie_word_embeddings", True)
    table, model_extra = vocab, ()  # the model-level token table's rows; a head of other rows, stored apart
    if decoder_only:
        stacks = (stack("decoder", True, True),)
        c.touch("encoder_layers", "encoder_attention_heads", "encoder_ffn_dim")
        if dec_vocab != vocab:  # MarianForCausalLM: the decoder's table, lm_head [vocab_size, d] (tied: the table's)
            table = dec_vocab
            if not tied and head == "lm":
                model_extra, head = (ExtraTensor("lm_head.weight", "lm_head", (vocab, d)),), "none"
    else:
        stacks = (stack("encoder", False, True), stack("decoder", True, False))
        if not shared:  # no `shared`: the encoder's own table; the decoder's is the model's (the head ties to it)
            table = dec_vocab
            stacks = (replace(stacks[0], extra=(ExtraTensor("embed_tokens.weight", "embed", (vocab, d)),
                                                *stacks[0].extra)), stacks[1])
        elif not tied:
            stacks = _own_token_embeddings(stacks, vocab, d)
            if dec_vocab != vocab:
                dec = stacks[1]
                stacks = (stacks[0], replace(dec, extra=(ExtraTensor("embed_tokens.weight", "embed", (dec_vocab, d)),
                                                         *dec.extra[1:])))
    learned = t.positions == "learned"
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(table, d, tied_head=tied and head == "lm",
                                position="learned" if learned else "none", max_positions=rows if learned else 0),
        stacks=stacks,
        head=HeadSpec(kind=head),
        max_context=positions,
        extra=model_extra,
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
    # Pop2Piano: T5's layout (gated from feed_forward_proj; dense_act_fn only names the activation); see pop2piano()
    "pop2piano": T5Traits("pop2piano/modeling_pop2piano.py", "gated-gelu"),
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


# ------------------------------------------------------------------ more BART-shaped encoder-decoders (issue 10)
#
# LED, BigBird-Pegasus, Pegasus-X, FSMT, NLLB-MoE and ProphetNet keep BART's block (attention, optional
# cross-attention, fc1/fc2 MLP, LayerNorms) but differ in biases, norm placement, position tables and
# extra tensors; each adapter below states its family's layout and cites its modeling file.


def _ln_nb(role: str, width: int) -> NormSpec:
    return NormSpec(role, width, bias=False, kind="layernorm")


def _block(d: int, heads: int, ffn: int, act: str, *, cross: bool, pre: bool, qkv_bias: bool = True,
           o_bias: bool = True, fc_bias: bool = True, extra: tuple[ExtraTensor, ...] = (), moe=None,
           heads_key: str = "attention_heads", origin: str = "config.json") -> LayerSpec:
    """One BART-shaped layer: self-attention (+ cross-attention), a plain fc1/fc2 MLP (or ``moe``), and a
    LayerNorm with bias per sub-block, before (``pre``) or after it."""
    if d % heads:
        raise ConfigError(f"{origin}: d_model {d} is not divisible by {heads_key} {heads}")
    attn = AttentionSpec(heads, heads, d // heads, qkv_bias=qkv_bias, o_bias=o_bias)
    xattn = AttentionSpec(heads, heads, d // heads, qkv_bias=qkv_bias, o_bias=o_bias, cross=True) if cross else None
    roles = ["norm_attn_in", "norm_mlp_in"] if pre else ["norm_attn_out", "norm_mlp_out"]
    if cross:
        roles.insert(1, "norm_cross_in")
    return LayerSpec(attention=attn, cross_attention=xattn,
                     ffn=moe if moe is not None else MlpSpec(ffn, gated=False, bias=fc_bias, activation=act),
                     norms=tuple(_ln(r, d) for r in roles), extra=extra)


def _pos(rows: int, d: int) -> tuple[ExtraTensor, ...]:
    return (ExtraTensor("pos_embed.weight", "pos_embed", (rows, d)),)


def _s2s_spec(c: Cfg, model_type: str, name: str, architecture: str, head: str, *, d: int, vocab: int,
              stacks: list[StackSpec], tied: bool, positions: int = 0, max_context: int | None = None,
              warnings: tuple[str, ...] = (), stack_tables: bool = False) -> ModelSpec:
    """``stack_tables``: the family's stacks hold their own token tables, tied to the model's shared one only when
    tie_word_embeddings is true (_own_token_embeddings)."""
    if stack_tables and not tied:
        stacks = list(_own_token_embeddings(stacks, vocab, d))
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(vocab, d, tied_head=tied and head == "lm",
                                position="learned" if positions else "none", max_positions=positions),
        stacks=tuple(stacks), head=HeadSpec(kind=head), max_context=max_context, warnings=warnings,
        **_common(c, model_type, name, architecture),
    )


def led(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """LED (Beltagy et al. 2020; led/modeling_led.py). BART's post-LN layout with learned positions of
    their own length per stack (max_encoder_position_embeddings, max_decoder_position_embeddings; no
    offset rows) and a layernorm_embedding per stack. The encoder's self-attention is Longformer's
    (LEDEncoderSelfAttention): query/key/value and query_global/key_global/value_global, all with bias,
    then an output projection with bias. attention_window (one per layer) sizes the local window only.
    The head is tied to the shared embedding (LEDForConditionalGeneration._tied_weights_keys)."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "gelu")
    c.touch("attention_window", "num_hidden_layers", "encoder_layerdrop", "decoder_layerdrop")
    enc_rows = c.int("max_encoder_position_embeddings", 16384)
    dec_rows = c.int("max_decoder_position_embeddings", 1024)
    norm = _ln_extra("norm_embed", "norm_embed", d)
    glob = tuple(ExtraTensor(f"attn.{x}_global.{wb}", f"attn_{x}", (d,) if wb == "bias" else (d, d))
                 for x in "qkv" for wb in ("weight", "bias"))
    enc = StackSpec("encoder", d, (_block(d, c.int("encoder_attention_heads"), c.int("encoder_ffn_dim"), act,
                                          cross=False, pre=False, extra=glob, origin=c.origin),)
                    * c.int("encoder_layers", minimum=0), extra=norm, causal=False)
    dec = StackSpec("decoder", d, (_block(d, c.int("decoder_attention_heads"), c.int("decoder_ffn_dim"), act,
                                          cross=True, pre=False, origin=c.origin),) * c.int("decoder_layers", minimum=0),
                    extra=_pos(dec_rows, d) + norm)
    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=[enc, dec],
                     tied=c.bool("tie_word_embeddings", True), stack_tables=True, positions=enc_rows, max_context=dec_rows)


def bigbird_pegasus(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """BigBird-Pegasus (Zaheer et al. 2020; bigbird_pegasus/modeling_bigbird_pegasus.py). Pre-LN layers;
    every attention projection (the encoder's query/key/value/output, the decoder's q/k/v/out of self- and
    cross-attention) has a bias iff use_bias; fc1/fc2 and the LayerNorms always have one; learned
    positions of max_position_embeddings rows per stack (no offset); a LayerNorm after the last layer of
    each stack (named layernorm_embedding). attention_type / block_size / num_random_blocks choose the
    encoder's sparse pattern only. BigBirdPegasusForCausalLM is the decoder alone with an untied head
    (the class declares no tied weights); the seq2seq head is tied to the shared embedding."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "gelu_new")
    bias = c.bool("use_bias", False)
    rows = c.int("max_position_embeddings")
    kind = c.str("attention_type", "block_sparse")
    if kind not in ("block_sparse", "original_full"):
        raise ConfigError(f"{c.origin}: attention_type: expected 'block_sparse' or 'original_full', got {kind!r}")
    c.touch("block_size", "num_random_blocks", "scale_embedding", "num_hidden_layers", "encoder_layerdrop",
            "decoder_layerdrop")

    def stack(which: str, decoder: bool, first: bool) -> StackSpec:
        layer = _block(d, c.int(f"{which}_attention_heads"), c.int(f"{which}_ffn_dim"), act, cross=decoder,
                       pre=True, qkv_bias=bias, o_bias=bias, origin=c.origin)
        return StackSpec(which, d, (layer,) * c.int(f"{which}_layers", minimum=0), final_norm=_ln("norm_final", d),
                         extra=() if first else _pos(rows, d), causal=decoder)

    if architecture.endswith("ForCausalLM"):
        # the class declares no tied weights: its head is its own whatever tie_word_embeddings says
        c.touch("encoder_layers", "encoder_attention_heads", "encoder_ffn_dim", "tie_word_embeddings")
        return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"),
                         stacks=[stack("decoder", True, True)], tied=False, positions=rows, max_context=rows)
    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"),
                     stacks=[stack("encoder", False, True), stack("decoder", True, False)],
                     tied=c.bool("tie_word_embeddings", True), stack_tables=True, positions=rows, max_context=rows)


def pegasus_x(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Pegasus-X (Phang et al. 2022; pegasus_x/modeling_pegasus_x.py). Pre-LN layers whose attention
    projections have no bias (PegasusXAttention: bias=False) while fc1/fc2 and the LayerNorms have one;
    sinusoidal positions computed on the fly (no parameters); a final layer_norm per stack. The encoder
    adds embed_global (num_global_tokens learned global-token embeddings) and, in every layer, a
    global_self_attn_layer_norm for its global tokens' attention (same q/k/v/out). The head is tied to the
    shared embedding."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "gelu")
    c.touch("block_size", "stagger_local_blocks", "scale_embedding", "num_hidden_layers", "encoder_layerdrop",
            "decoder_layerdrop")
    glob = _ln_extra("global_norm_attn_in", "norm_attn_in", d)
    enc = StackSpec("encoder", d, (_block(d, c.int("encoder_attention_heads"), c.int("encoder_ffn_dim"), act,
                                          cross=False, pre=True, qkv_bias=False, o_bias=False, extra=glob,
                                          origin=c.origin),) * c.int("encoder_layers", minimum=0),
                    final_norm=_ln("norm_final", d), causal=False,
                    extra=(ExtraTensor("embed_global.weight", "embed", (c.int("num_global_tokens", 32), d)),))
    dec = StackSpec("decoder", d, (_block(d, c.int("decoder_attention_heads"), c.int("decoder_ffn_dim"), act,
                                          cross=True, pre=True, qkv_bias=False, o_bias=False, origin=c.origin),)
                    * c.int("decoder_layers", minimum=0), final_norm=_ln("norm_final", d))
    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=[enc, dec],
                     tied=c.bool("tie_word_embeddings", True), stack_tables=True, max_context=c.opt_int("max_position_embeddings"))


def fsmt(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """FSMT, fairseq's WMT19 translation models (fsmt/modeling_fsmt.py). Separate source and target
    vocabularies: the encoder's embed_tokens [src_vocab_size, d], the decoder's [tgt_vocab_size, d] and the
    decoder's own output_projection [tgt_vocab_size, d] (FSMTModel's decoder builds it too). With
    tie_word_embeddings (default false) the head and the encoder's table are both the decoder's table. Post-LN BART layers with
    biases; per stack a sinusoidal position table of max_position_embeddings + pad_token_id + 1 rows kept
    as an nn.Parameter (SinusoidalPositionalEmbedding), no embedding or final LayerNorm."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "relu")
    rows = c.int("max_position_embeddings") + c.int("pad_token_id", 1, minimum=0) + 1
    c.touch("langs", "scale_embedding", "num_hidden_layers", "encoder_layerdrop", "decoder_layerdrop")

    def stack(which: str, decoder: bool, extra: tuple[ExtraTensor, ...]) -> StackSpec:
        layer = _block(d, c.int(f"{which}_attention_heads"), c.int(f"{which}_ffn_dim"), act, cross=decoder,
                       pre=False, origin=c.origin)
        return StackSpec(which, d, (layer,) * c.int(f"{which}_layers", minimum=0), extra=extra + _pos(rows, d),
                         causal=decoder)

    tied = c.bool("tie_word_embeddings", False)
    src_vocab, tgt_vocab = c.int("src_vocab_size"), c.int("tgt_vocab_size")
    warnings: tuple[str, ...] = ()
    if tied:  # FSMTModel._tied_weights_keys: the encoder's table and the head both become the decoder's table
        src = ()
        if src_vocab != tgt_vocab:
            warnings = (f"tie_word_embeddings: transformers replaces the encoder's [{src_vocab}, {d}] table by the "
                        f"decoder's [{tgt_vocab}, {d}] one; counted as transformers builds it",)
    else:
        src = (ExtraTensor("embed.weight", "embed", (src_vocab, d)),)
    stacks = [stack("encoder", False, src), stack("decoder", True, ())]
    return _s2s_spec(c, model_type, name, architecture, "lm", d=d, vocab=tgt_vocab, stacks=stacks, tied=tied,
                     max_context=c.opt_int("max_position_embeddings"), warnings=warnings)


def nllb_moe(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """NLLB-MoE (NLLB Team 2022; nllb_moe/modeling_nllb_moe.py). M2M-100's layout (pre-LN layers with
    biases, a sinusoidal position buffer, a final layer_norm per stack, the head tied to the shared
    embedding) where every <stack>_sparse_step-th layer ((i + 1) % step == 0; none when the step is 0)
    replaces its fc1/fc2 MLP by a top-2 router (classifier, bias iff router_bias) over num_experts experts,
    each an fc1/fc2 MLP with biases (NllbMoeSparseMLP; one module per expert)."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "relu")
    n_exp = c.int("num_experts")
    c.touch("expert_capacity", "router_dtype", "router_ignore_padding_tokens", "second_expert_policy",
            "normalize_router_prob_before_dropping", "batch_prioritized_routing", "moe_eval_capacity_token_fraction",
            "moe_token_dropout", "scale_embedding", "num_hidden_layers", "encoder_layerdrop", "decoder_layerdrop")
    router_bias = c.bool("router_bias", False)

    def stack(which: str, decoder: bool) -> StackSpec:
        n = c.int(f"{which}_layers", minimum=0)
        step = c.int(f"{which}_sparse_step", 4, minimum=0)
        heads, ffn = c.int(f"{which}_attention_heads"), c.int(f"{which}_ffn_dim")
        moe = MoeSpec(num_experts=n_exp, top_k=min(2, n_exp), router_bias=router_bias,
                      expert=MlpSpec(ffn, gated=False, bias=True, activation=act))
        dense = _block(d, heads, ffn, act, cross=decoder, pre=True, origin=c.origin)
        sparse = _block(d, heads, ffn, act, cross=decoder, pre=True, moe=moe, origin=c.origin)
        layers = tuple(sparse if step > 0 and (i + 1) % step == 0 else dense for i in range(n))
        return StackSpec(which, d, layers, final_norm=_ln("norm_final", d), causal=decoder)

    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"),
                     stacks=[stack("encoder", False), stack("decoder", True)],
                     tied=c.bool("tie_word_embeddings", True), stack_tables=True, max_context=c.opt_int("max_position_embeddings"))


def prophetnet(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """ProphetNet (Qi et al. 2020; prophetnet/modeling_prophetnet.py). Post-LN layers with biases
    (ProphetNetAttention: key/value/query/out_proj; feed_forward intermediate/output), learned positions
    of max_position_embeddings rows per stack, an embeddings_layer_norm per stack. The decoder's
    self-attention is ProphetNetNgramSelfAttention: the same four projections plus relative_pos_embeddings,
    a Linear [num_buckets x heads, hidden] with bias; the decoder adds ngram_embeddings [ngram, hidden] and
    cross-attention when add_cross_attention. The head is tied to word_embeddings. The decoder also runs
    ngram predict streams beside the main stream: their compute is not modelled (the main stream's K/V
    is what the cache keeps)."""
    d = c.int("hidden_size")
    act = c.str("activation_function", "gelu")
    rows = c.int("max_position_embeddings")
    c.touch("relative_max_distance", "disable_ngram_loss", "eps", "num_hidden_layers")
    norm = _ln_extra("norm_embed", "norm_embed", d)
    cross = c.bool("add_cross_attention", True)
    dec_heads = c.int("num_decoder_attention_heads")
    rel = (ExtraTensor("attn.rel_pos.weight", "rel_bias", (c.int("num_buckets", 32) * dec_heads, d)),
           ExtraTensor("attn.rel_pos.bias", "rel_bias", (c.int("num_buckets", 32) * dec_heads,)))
    dec_layer = _block(d, dec_heads, c.int("decoder_ffn_dim"), act, cross=cross, pre=False, extra=rel,
                       heads_key="num_decoder_attention_heads", origin=c.origin)
    dec = StackSpec("decoder", d, (dec_layer,) * c.int("num_decoder_layers", minimum=0),
                    extra=_pos(rows, d) + (ExtraTensor("ngram_embed.weight", "pos_embed", (c.int("ngram", 2), d)),) + norm)
    stacks = [dec]
    if not architecture.endswith("ForCausalLM"):
        enc_layer = _block(d, c.int("num_encoder_attention_heads"), c.int("encoder_ffn_dim"), act, cross=False,
                           pre=False, heads_key="num_encoder_attention_heads", origin=c.origin)
        stacks.insert(0, StackSpec("encoder", d, (enc_layer,) * c.int("num_encoder_layers", minimum=0),
                                   extra=_pos(rows, d) + norm, causal=False))
    else:
        c.touch("num_encoder_layers", "num_encoder_attention_heads", "encoder_ffn_dim")
    warn = (f"the decoder also runs {c.int('ngram', 2)} ngram predict stream(s) beside the main stream; their "
            "compute is not modelled",)
    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=stacks,
                     tied=c.bool("tie_word_embeddings", True), stack_tables=True, max_context=rows, warnings=warn)


# transformers 5.23 models/t5gemma/configuration_t5gemma.py, T5GemmaModuleConfig defaults (a T5GemmaConfig
# without an encoder or decoder sub-config builds them from these)
_T5GEMMA_MODULE_DEFAULTS = {
    "vocab_size": 256000, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
    "max_position_embeddings": 8192, "attention_bias": False, "sliding_window": 4096,
    "layer_types": ["sliding_attention", "full_attention"] * 13,
}


def t5gemma(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """T5Gemma (Zhang et al. 2025; t5gemma/modeling_t5gemma.py): an encoder and a decoder, each a Gemma 2
    stack of its own sub-config (encoder / decoder: T5GemmaModuleConfig) with its own token embedding:
    sandwich RMSNorms (pre/post self-attention, pre/post feed-forward), GQA without q/k norms, a gated
    GeGLU MLP, a final norm. Each decoder layer adds cross-attention (T5GemmaCrossAttention: q from the
    decoder, k/v from the encoder's hidden states, cross_attention_hidden_size = encoder hidden_size, set by
    T5GemmaConfig) between pre_cross_attn_layernorm and post_cross_attn_layernorm. Decoder self-attention
    follows layer_types (sliding or full). The head (lm_head.out_proj) is tied to the decoder's embedding
    when the top-level tie_word_embeddings says so; the top-level vocab_size is not used by the model."""
    from dataclasses import replace

    from .decoders import decoder_spec
    from .multimodal import _with_tie

    def sub(key: str) -> Cfg:
        got = c.sub(key, required=False)
        if got is None:
            return Cfg(dict(_T5GEMMA_MODULE_DEFAULTS), c.origin, f"{key}.")
        return got

    enc_c, dec_c = sub("encoder"), sub("decoder")
    c.touch("vocab_size", "dropout_rate", "classifier_dropout_rate")
    enc = decoder_spec(enc_c, "gemma2", name=name, architecture=architecture, head="none", stack_name="encoder")
    enc_c.touch("cross_attention_hidden_size", "is_decoder", "tie_word_embeddings")
    dec = decoder_spec(_with_tie(dec_c, c, True), "gemma2", name=name, architecture=architecture, head=head)
    dec_c.touch("cross_attention_hidden_size", "is_decoder")
    e = enc.stacks[0]
    encoder = replace(e, causal=False,
                      extra=(ExtraTensor("embed.weight", "embed", (enc.embedding.vocab_size, e.hidden_size)),) + e.extra)
    d = dec.stacks[0]
    done: dict[int, LayerSpec] = {}
    layers = []
    for layer in d.layers:
        if id(layer) not in done:
            a = layer.attention
            xattn = replace(a, window=None, cross=True, kv_input_width=e.hidden_size, qk_norm="none")
            done[id(layer)] = replace(layer, cross_attention=xattn,
                                      norms=layer.norms + (NormSpec("norm_cross_in", d.hidden_size),),
                                      extra=layer.extra + (ExtraTensor("xattn.norm_out.weight", "norm_attn_out",
                                                                       (d.hidden_size,)),))
        layers.append(done[id(layer)])
    decoder = replace(d, layers=tuple(layers))
    return replace(dec, stacks=(encoder, decoder), **_common(c, model_type, name, architecture))


# ------------------------------------------------------------------ speech encoder-decoders (issue 10)


def speech_to_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Speech2Text (Wang et al. 2020; speech_to_text/modeling_speech_to_text.py). The encoder's Conv1dSubsampler:
    one Conv1d (with bias) per conv_kernel_sizes entry, from input_feat_per_channel x input_channels to
    conv_channels, then conv_channels // 2 in and conv_channels out, the last one producing 2 x d_model (a GLU
    halves it). Then BART-shaped pre-LN layers with biases, sinusoidal positions (a buffer), a final layer_norm
    per stack; the decoder's token embedding is tied to lm_head (_tied_weights_keys) when tie_word_embeddings."""
    d = c.int(("d_model", "hidden_size"))
    act = c.str("activation_function", "relu")
    kernels = c.int_list("conv_kernel_sizes", minimum=1) or [5, 5]
    n_conv = c.int("num_conv_layers", len(kernels))
    c_in = c.int("input_feat_per_channel", 80) * c.int("input_channels", 1)
    mid = c.int("conv_channels", 1024)
    convs: tuple[ExtraTensor, ...] = ()
    for i, k in enumerate(kernels):
        i_ch = c_in if i == 0 else mid // 2
        o_ch = mid if i < n_conv - 1 else 2 * d
        convs += (ExtraTensor(f"conv.{i}.weight", "patch_embed", (o_ch, i_ch, k)),
                  ExtraTensor(f"conv.{i}.bias", "patch_embed", (o_ch,)))
    c.touch("scale_embedding", "max_source_positions", "num_hidden_layers", "encoder_layerdrop", "decoder_layerdrop")

    def stack(which: str, decoder: bool, extra: tuple[ExtraTensor, ...]) -> StackSpec:
        layer = _block(d, c.int(f"{which}_attention_heads"), c.int(f"{which}_ffn_dim"), act, cross=decoder, pre=True,
                       origin=c.origin)
        return StackSpec(which, d, (layer,) * c.int(f"{which}_layers", minimum=0), final_norm=_ln("norm_final", d),
                         extra=extra, causal=decoder)

    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"),
                     stacks=[stack("encoder", False, convs), stack("decoder", True, ())],
                     tied=c.bool("tie_word_embeddings", True), max_context=c.opt_int("max_target_positions"),
                     warnings=())


def moonshine(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Moonshine (Jeffries et al. 2024; moonshine/modeling_moonshine.py). Encoder front end: conv1 [d, 1, 127]
    without bias, conv2 [2d, d, 7] and conv3 [d, 2d, 3] with bias, a GroupNorm(1, d) with weight and bias.
    Both stacks: rotary attention (q/k/v with a bias iff attention_bias, o_proj never; GQA through
    <stack>_num_key_value_heads; head_dim = hidden / heads, padded only at run time by
    pad_head_dim_to_multiple_of), LayerNorms without bias, a final LayerNorm without bias. Encoder MLP: fc1/fc2
    with bias (encoder_hidden_act); decoder MLP: fc1 [2 x intermediate, d] producing value and gate, fc2, with
    biases (decoder_hidden_act), and cross-attention (encoder_attn) between input_layernorm,
    post_attention_layernorm and final_layernorm. The decoder's token embedding is tied to proj_out when
    tie_word_embeddings (default true)."""
    d = c.int("hidden_size")
    inter = c.int("intermediate_size")
    bias = c.bool("attention_bias", False)
    c.touch("pad_head_dim_to_multiple_of")

    def attn(which: str, cross: bool = False) -> AttentionSpec:
        heads = c.int(f"{which}_num_attention_heads")
        kv = c.int(f"{which}_num_key_value_heads", heads)
        return AttentionSpec(heads, kv, c.int("head_dim", d // heads), qkv_bias=bias, cross=cross)

    enc_layer = LayerSpec(attention=attn("encoder"),
                          ffn=MlpSpec(inter, gated=False, bias=True, activation=c.str("encoder_hidden_act", "gelu")),
                          norms=(_ln_nb("norm_attn_in", d), _ln_nb("norm_mlp_in", d)))
    dec_layer = LayerSpec(attention=attn("decoder"), cross_attention=attn("decoder", True),
                          ffn=MlpSpec(inter, gated=True, fused_gate_up=True, bias=True,
                                      activation=c.str("decoder_hidden_act", "silu")),
                          norms=(_ln_nb("norm_attn_in", d), _ln_nb("norm_cross_in", d), _ln_nb("norm_mlp_in", d)))
    front = (ExtraTensor("conv1.weight", "patch_embed", (d, 1, 127)),
             ExtraTensor("conv2.weight", "patch_embed", (2 * d, d, 7)), ExtraTensor("conv2.bias", "patch_embed", (2 * d,)),
             ExtraTensor("conv3.weight", "patch_embed", (d, 2 * d, 3)), ExtraTensor("conv3.bias", "patch_embed", (d,)),
             ExtraTensor("groupnorm.weight", "norm_embed", (d,)), ExtraTensor("groupnorm.bias", "norm_embed", (d,)))
    enc = StackSpec("encoder", d, (enc_layer,) * c.int("encoder_num_hidden_layers", minimum=0),
                    final_norm=_ln_nb("norm_final", d), extra=front, causal=False)
    dec = StackSpec("decoder", d, (dec_layer,) * c.int("decoder_num_hidden_layers", minimum=0),
                    final_norm=_ln_nb("norm_final", d))
    spec = _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=[enc, dec],
                     tied=c.bool("tie_word_embeddings", True), max_context=c.opt_int("max_position_embeddings"))
    from dataclasses import replace

    return replace(spec, embedding=replace(spec.embedding, position="rotary"))


def trocr(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """TrOCR's text decoder (Li et al. 2021; trocr/modeling_trocr.py), TrOCRForCausalLM: BART's post-LN decoder
    layers with biases, whose cross-attention (encoder_attn; TrOCRForCausalLM forces is_decoder) reads
    cross_attention_hidden_size values (the image encoder's width; null: d_model); learned positions of
    max_position_embeddings + 2 rows when use_learned_position_embeddings, else sinusoidal weights that are not
    parameters; a layernorm_embedding when layernorm_embedding; no final norm; output_projection tied to the
    token embedding when tie_word_embeddings (default true)."""
    d = c.int(("d_model", "hidden_size"))
    heads = c.int(("decoder_attention_heads", "num_attention_heads"))
    if d % heads:
        raise ConfigError(f"{c.origin}: d_model {d} is not divisible by decoder_attention_heads {heads}")
    cross_in = c.opt_int("cross_attention_hidden_size")
    # TrOCRForCausalLM sets config.is_decoder = True before building, so every layer has encoder_attn
    c.touch("is_decoder")
    xattn = AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, cross=True, kv_input_width=cross_in)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      cross_attention=xattn,
                      ffn=MlpSpec(c.int(("decoder_ffn_dim", "intermediate_size")), gated=False, bias=True,
                                  activation=c.str("activation_function", "gelu")),
                      norms=tuple(_ln(r, d) for r in (("norm_attn_out", "norm_cross_in", "norm_mlp_out") if xattn
                                                      else ("norm_attn_out", "norm_mlp_out"))))
    positions = c.int("max_position_embeddings")
    learned = c.bool("use_learned_position_embeddings", True)
    extra = _ln_extra("norm_embed", "norm_embed", d) if c.bool("layernorm_embedding", True) else ()
    c.touch("scale_embedding", "decoder_layerdrop", "num_hidden_layers")
    dec = StackSpec("decoder", d, (layer,) * c.int(("decoder_layers", "num_hidden_layers"), minimum=0), extra=extra)
    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=[dec],
                     tied=c.bool("tie_word_embeddings", True), positions=positions + 2 if learned else 0,
                     max_context=positions)


def pop2piano(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Pop2Piano (Choi & Lee 2023; pop2piano/modeling_pop2piano.py): T5's encoder-decoder (t5_like, with
    is_gated_act derived from feed_forward_proj) plus mel_conditioner, an embedding [composer_vocab_size, d_model]
    of the composer token added to the mel features; the lm_head is its own (the class ties only the encoder and
    decoder token embeddings to the shared one), whatever tie_word_embeddings says."""
    from dataclasses import replace

    c.touch("dense_act_fn", "scale_decoder_outputs", "tie_word_embeddings")
    spec = t5_like(c, model_type, name=name, architecture=architecture, head=head)
    d = spec.hidden_size
    return replace(spec, embedding=replace(spec.embedding, tied_head=False), warnings=(),
                   extra=spec.extra + (ExtraTensor("mel_conditioner.weight", "embed", (c.int("composer_vocab_size"), d)),))


# transformers 5.23 models/cohere_asr/configuration_cohere_asr.py: the encoder_config init_kwargs, merged under the
# file's own encoder_config (CohereAsrConfig.__post_init__)
_COHERE_ASR_ENCODER = {
    "model_type": "parakeet_encoder", "hidden_size": 1280, "num_hidden_layers": 48, "num_attention_heads": 8,
    "intermediate_size": 5120, "hidden_act": "silu", "attention_bias": True, "convolution_bias": True,
    "conv_kernel_size": 9, "subsampling_factor": 8, "subsampling_conv_channels": 256, "num_mel_bins": 128,
    "subsampling_conv_kernel_size": 3, "subsampling_conv_stride": 2, "max_position_embeddings": 5000,
    "scale_input": False,
}


def _parakeet_tower(e: Cfg, name: str = "encoder", component: str = "language") -> StackSpec:
    """The FastConformer encoder of NeMo's Parakeet / Canary / Cohere ASR (parakeet/modeling_parakeet.py
    ParakeetEncoder). Subsampling: a Conv2d [channels, 1, k, k], then per further halving of subsampling_factor a
    depthwise Conv2d [channels, 1, k, k] and a pointwise [channels, channels, 1, 1], all with bias, and a Linear
    [hidden, channels x num_mel_bins // stride^halvings] with bias. Each block: two feed-forwards (linear1/linear2,
    biases by attention_bias), relative-position attention (q/k/v/o with biases by attention_bias,
    relative_k_proj without bias, bias_u and bias_v [heads, head_dim]), a convolution module (pointwise_conv1
    [2 x hidden, hidden, 1], depthwise_conv [hidden, 1, conv_kernel_size], BatchNorm1d (weight and bias; running
    statistics are buffers), pointwise_conv2 [hidden, hidden, 1]; conv biases by convolution_bias) and five
    LayerNorms with bias. No final norm; the relative positions are computed (no table)."""
    d, heads = e.int("hidden_size"), e.int("num_attention_heads")
    kv = e.int("num_key_value_heads", heads)
    hd = e.int("head_dim", d // heads)
    inter = e.int("intermediate_size")
    ab, cb = e.bool("attention_bias", True), e.bool("convolution_bias", True)
    k = e.int("conv_kernel_size", 9)

    def lin(name_: str, role: str, o: int, i: int, bias: bool) -> tuple[ExtraTensor, ...]:
        return (ExtraTensor(f"{name_}.weight", role, (o, i)),) + ((ExtraTensor(f"{name_}.bias", role, (o,)),) if bias else ())

    def conv(name_: str, shape: tuple[int, ...], bias: bool) -> tuple[ExtraTensor, ...]:
        return (ExtraTensor(f"{name_}.weight", "other", shape),) + ((ExtraTensor(f"{name_}.bias", "other", (shape[0],)),)
                                                                     if bias else ())

    block = lin("ff1.up", "mlp_up", inter, d, ab) + lin("ff1.down", "mlp_down", d, inter, ab)
    block += lin("ff2.up", "mlp_up", inter, d, ab) + lin("ff2.down", "mlp_down", d, inter, ab)
    block += (lin("attn.rel_k", "attn_k", heads * hd, d, False)
              + (ExtraTensor("attn.bias_u", "attn_q", (heads, hd)), ExtraTensor("attn.bias_v", "attn_q", (heads, hd))))
    block += (conv("conv.pw1", (2 * d, d, 1), cb) + conv("conv.dw", (d, 1, k), cb)
              + (ExtraTensor("conv.bn.weight", "other", (d,)), ExtraTensor("conv.bn.bias", "other", (d,)))
              + conv("conv.pw2", (d, d, 1), cb))
    for n in ("ff1", "attn", "conv", "ff2", "out"):
        block += _ln_extra(f"norm_{n}", "norm_attn_in" if n in ("attn", "conv") else "norm_mlp_in", d)
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, qkv_bias=ab, o_bias=ab), extra=block)
    ch, ks, stride = e.int("subsampling_conv_channels"), e.int("subsampling_conv_kernel_size", 3), \
        e.int("subsampling_conv_stride", 2)
    halvings = int(math.log2(e.int("subsampling_factor", 8)))
    front = conv("sub.conv0", (ch, 1, ks, ks), True)
    for i in range(halvings - 1):
        front += conv(f"sub.dw{i}", (ch, 1, ks, ks), True) + conv(f"sub.pw{i}", (ch, ch, 1, 1), True)
    front += lin("sub.linear", "patch_embed", d, ch * (e.int("num_mel_bins", 80) // stride ** halvings), True)
    e.touch("scale_input", "max_position_embeddings", "hidden_act", "dropout_positions", "layerdrop")
    return StackSpec(name, d, (layer,) * e.int("num_hidden_layers", minimum=0), component=component, extra=front,
                     causal=False)


def cohere_asr(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Cohere ASR (cohere_asr/modeling_cohere_asr.py): a FastConformer encoder (the encoder_config, a Parakeet
    encoder: _parakeet_tower) and a transformer decoder: token embedding, learned positions pos_emb
    [max_position_embeddings, hidden] and an embedding_layernorm, proj [hidden, encoder hidden] with bias mapping the
    encoder states, pre-LN layers (self-attention and cross-attention with GQA by num_key_value_heads and head_dim,
    biases by attention_bias; fc1/fc2 with bias; three LayerNorms with bias), a final LayerNorm; proj_out [vocab,
    hidden] with bias, tied to the embedding when tie_word_embeddings (default false; _tied_weights_keys)."""
    from dataclasses import replace

    enc = c.sub("encoder_config", required=False)
    enc = Cfg(dict(_COHERE_ASR_ENCODER), c.origin, "encoder_config.") if enc is None else \
        enc.with_data({**_COHERE_ASR_ENCODER, **enc.data})
    encoder = _parakeet_tower(enc)
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    hd = c.int("head_dim", d // heads)
    ab = c.bool("attention_bias", True)
    attn = AttentionSpec(heads, kv, hd, qkv_bias=ab, o_bias=ab)
    layer = LayerSpec(attention=attn, cross_attention=replace(attn, cross=True),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True, activation=c.str("hidden_act", "relu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_cross_in", d), _ln("norm_mlp_in", d)))
    positions = c.int("max_position_embeddings", 1024)
    dec = StackSpec("decoder", d, (layer,) * c.int("num_hidden_layers", minimum=0), final_norm=_ln("norm_final", d),
                    extra=_ln_extra("norm_embed", "norm_embed", d)
                    + (ExtraTensor("proj.weight", "other", (d, encoder.hidden_size)), ExtraTensor("proj.bias", "other", (d,))))
    spec = _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=[encoder, dec],
                     tied=c.bool("tie_word_embeddings", False), positions=positions, max_context=positions)
    return replace(spec, head=replace(spec.head, bias=head == "lm"))


def canary(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Canary (NVIDIA 2024; canary/modeling_canary.py): a FastConformer encoder (encoder_config: _parakeet_tower)
    and the decoder of decoder_config: token embedding, sinusoidal positions (a buffer) and an embedding_layernorm,
    pre-LN layers (self- and cross-attention of num_attention_heads x head_dim with GQA, biases by attention_bias;
    k/v of the cross-attention read the decoder width; fc1/fc2 with bias; three LayerNorms with bias), a final
    LayerNorm; proj_out [vocab, hidden] with bias, tied to the embedding when tie_word_embeddings (default true;
    _tied_weights_keys)."""
    from dataclasses import replace

    encoder = _parakeet_tower(c.sub("encoder_config"))
    dc = c.sub("decoder_config")
    d, heads = dc.int("hidden_size"), dc.int("num_attention_heads")
    kv = dc.int("num_key_value_heads", heads)
    hd = dc.int("head_dim", d // heads)
    ab = dc.bool("attention_bias", True)
    attn = AttentionSpec(heads, kv, hd, qkv_bias=ab, o_bias=ab)
    layer = LayerSpec(attention=attn, cross_attention=replace(attn, cross=True),
                      ffn=MlpSpec(dc.int("intermediate_size"), gated=False, bias=True,
                                  activation=dc.str("hidden_act", "relu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_cross_in", d), _ln("norm_mlp_in", d)))
    dec = StackSpec("decoder", d, (layer,) * dc.int("num_hidden_layers", minimum=0), final_norm=_ln("norm_final", d),
                    extra=_ln_extra("norm_embed", "norm_embed", d))
    c.touch("vocab_size")  # CanaryConfig checks it equals decoder_config.vocab_size
    spec = _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=dc.int("vocab_size"), stacks=[encoder, dec],
                     tied=c.bool("tie_word_embeddings", True), max_context=dc.opt_int("max_position_embeddings"))
    return replace(spec, head=replace(spec.head, bias=head == "lm"))


def dia(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Dia (Nari Labs 2025; dia/modeling_dia.py), a text-to-speech encoder-decoder. Encoder (encoder_config): a byte
    embedding [vocab_size, hidden], rotary layers with pre_sa_norm / post_sa_norm RMSNorms, attention of
    num_attention_heads x head_dim (GQA by num_key_value_heads, no biases), a SwiGLU MLP with a fused gate_up_proj,
    a final RMSNorm. Decoder (decoder_config): one embedding [vocab_size x num_channels, hidden] for the audio
    codebooks (DiaMultiChannelEmbedding), layers of GQA self-attention, cross-attention of cross_num_attention_heads
    x cross_head_dim (cross_num_key_value_heads; k/v read cross_hidden_size values), the same MLP and three
    RMSNorms, a final RMSNorm. The head logits_dense [num_channels x vocab_size, hidden] is not tied."""
    from dataclasses import replace

    e, dc = c.sub("encoder_config"), c.sub("decoder_config")

    def attn(x: Cfg, prefix: str = "", cross: bool = False, kv_in: int | None = None) -> AttentionSpec:
        heads = x.int(f"{prefix}num_attention_heads")
        return AttentionSpec(heads, x.int(f"{prefix}num_key_value_heads", heads),
                             x.int(f"{prefix}head_dim", x.int("hidden_size") // heads), cross=cross,
                             kv_input_width=kv_in)

    def mlp(x: Cfg) -> MlpSpec:
        return MlpSpec(x.int("intermediate_size"), gated=True, fused_gate_up=True, activation=x.str("hidden_act", "silu"))

    de = e.int("hidden_size")
    enc = StackSpec("encoder", de, (LayerSpec(attention=attn(e), ffn=mlp(e), norms=(NormSpec("norm_attn_in", de),
                                                                                  NormSpec("norm_mlp_in", de))),)
                    * e.int("num_hidden_layers", minimum=0), final_norm=NormSpec("norm_final", de), causal=False,
                    extra=(ExtraTensor("embed.weight", "embed", (e.int("vocab_size"), de)),))
    d = dc.int("hidden_size")
    layer = LayerSpec(attention=attn(dc), cross_attention=attn(dc, "cross_", True, dc.int("cross_hidden_size", de)),
                      ffn=mlp(dc), norms=tuple(NormSpec(r, d) for r in ("norm_attn_in", "norm_cross_in", "norm_mlp_in")))
    dec = StackSpec("decoder", d, (layer,) * dc.int("num_hidden_layers", minimum=0), final_norm=NormSpec("norm_final", d))
    codes = dc.int("vocab_size") * dc.int("num_channels", 9)
    e.touch("max_position_embeddings", "rope_parameters")
    c.touch("delay_pattern", "tie_word_embeddings")
    spec = _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=codes, stacks=[enc, dec], tied=False,
                     max_context=dc.opt_int("max_position_embeddings"))
    return replace(spec, embedding=replace(spec.embedding, position="rotary"))


def seamless_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str,
                  _decoder_as: str | None = None) -> ModelSpec:
    """SeamlessM4T / SeamlessM4T v2 text-to-text (Seamless Communication 2023, arXiv 2308.11596; transformers
    seamless_m4t/modeling_seamless_m4t.py SeamlessM4TForTextToText, seamless_m4t_v2/...). Only the text encoder and
    the text decoder are built: M2M-100's layout (pre-LN layers with biases, a final LayerNorm per stack, sinusoidal
    positions in a buffer) on hidden_size, with the shared token table the stacks and lm_head tie to
    (_tied_weights_keys; untied, each stack and the head store their own). The speech encoder, the text-to-unit model
    and the vocoder are not part of this class: their keys change none of its shapes."""
    from dataclasses import replace

    if architecture.endswith("ForSpeechToText") and _decoder_as is None:
        return seamless_speech(c, model_type, name=name, architecture=architecture, head=head)
    if not architecture.endswith("ForTextToText") and _decoder_as is None:
        raise UnsupportedArchitectureError(
            f"{c.origin}: architecture {architecture!r}: only SeamlessM4T's text-to-text class is described (the "
            "speech encoder, text-to-unit model and vocoder of the other classes are not)")
    used = {"hidden_size", "vocab_size", "activation_function", "max_position_embeddings", "tie_word_embeddings",
            "torch_dtype", "dtype", "quantization_config"}
    used |= {f"{w}_{k}" for w in ("encoder", "decoder") for k in ("layers", "attention_heads", "ffn_dim")}
    flags = dict(normalize_before=True, add_final_layer_norm=True, normalize_embedding=False,
                 static_position_embeddings=True)
    text = c.with_data({**{k: v for k, v in c.data.items() if k in used}, **flags,
                        "model_type": "m2m_100"})
    c.touch(*[k for k in c.data if k not in used])  # the speech, text-to-unit and vocoder towers' keys
    spec = bart_like(text, "m2m_100", name=name, architecture=_decoder_as or architecture, head=head)
    text.touch(*flags)
    return replace(spec, **_common(c, model_type, name, architecture))


def _seamless_conformer(c: Cfg, v2: bool) -> StackSpec:
    """SeamlessM4T's speech encoder (SeamlessM4TSpeechEncoder / SeamlessM4Tv2SpeechEncoder, a w2v-BERT 2.0 conformer):
    feature_projection (LayerNorm on feature_projection_input_dim, a Linear to hidden), speech_encoder_layers
    conformer layers (macaron feed-forwards ffn1 / ffn2 of speech_encoder_intermediate_size with biases, self-attention
    with biases and its position terms -- v1 "relative": linear_pos and pos_bias_u / pos_bias_v, v2 "relative_key": a
    distance_embedding of left + right + 1 rows, "rotary" or none: nothing --, a convolution module of pointwise
    [2 x hidden, hidden, 1], depthwise [hidden, 1, conv_depthwise_kernel_size] and pointwise [hidden, hidden, 1]
    without biases with a BatchNorm (v1) or a LayerNorm (v2) after the depthwise one, LayerNorms with biases around
    each block), a final LayerNorm, intermediate_ffn, num_adapter_layers adapter layers with add_adapter (strided
    residual and attention convolutions [2 x hidden, hidden, adaptor_kernel_size] with biases, attention without
    position terms, a feed-forward) and inner_layer_norm."""
    d, heads = c.int("hidden_size"), c.int("speech_encoder_attention_heads")
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by speech_encoder_attention_heads {heads}")
    from .multimodal import _lin as lin  # a Linear's weight and bias

    hd, inter, k = d // heads, c.int("speech_encoder_intermediate_size"), c.int("conv_depthwise_kernel_size")
    act = c.str("speech_encoder_hidden_act", "swish")

    pos_type = c.str("position_embeddings_type", "relative_key" if v2 else "relative")
    if pos_type == ("relative_key" if v2 else "relative"):
        pos = ((ExtraTensor("attn.distance_embedding.weight", "rel_bias",
                            (c.int("left_max_position_embeddings") + c.int("right_max_position_embeddings") + 1, hd)),)
               if v2 else (ExtraTensor("attn.linear_pos.weight", "attn_q", (d, d)),
                           ExtraTensor("attn.pos_bias_u", "rel_bias", (heads, hd)),
                           ExtraTensor("attn.pos_bias_v", "rel_bias", (heads, hd))))
    elif pos_type in (None, "rotary") and not v2:
        pos = ()
    elif pos_type is None and v2:
        pos = ()
    else:
        raise UnsupportedArchitectureError(f"{c.origin}: position_embeddings_type={pos_type!r} is not described")
    c.touch("left_max_position_embeddings", "right_max_position_embeddings", "rotary_embedding_base")
    conv = (ExtraTensor("conv.pointwise_conv1.weight", "other", (2 * d, d, 1)),
            ExtraTensor("conv.depthwise_conv.weight", "other", (d, 1, k)),
            ExtraTensor("conv.pointwise_conv2.weight", "other", (d, d, 1)),
            *_ln_extra("conv.layer_norm", "norm_mlp_in", d),
            *_ln_extra("conv.depthwise_layer_norm" if v2 else "conv.batch_norm", "norm_mlp_out", d))
    layer = LayerSpec(attention=AttentionSpec(heads, heads, hd, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=act),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)),
                      extra=(*lin("ffn1.up", "mlp_up", inter, d), *lin("ffn1.down", "mlp_down", d, inter),
                             *_ln_extra("ffn1_layer_norm", "norm_mlp_in", d), *_ln_extra("final_layer_norm", "norm_mlp_out", d),
                             *pos, *conv))
    f_in = c.int("feature_projection_input_dim")
    extra = (*_ln_extra("feature_projection.layer_norm", "norm_embed", f_in),
             *lin("feature_projection.projection", "patch_embed", d, f_in),
             *lin("intermediate_ffn.up", "mlp_up", inter, d), *lin("intermediate_ffn.down", "mlp_down", d, inter),
             *_ln_extra("inner_layer_norm", "norm_final", d))
    if c.bool("add_adapter", True):
        ka = c.int("adaptor_kernel_size")
        adapter = (*_ln_extra("residual_layer_norm", "norm_attn_in", d), *lin("residual_conv", "other", 2 * d, d),
                   *_ln_extra("self_attn_layer_norm", "norm_attn_in", d), *lin("self_attn_conv", "other", 2 * d, d),
                   *lin("attn.q", "attn_q", d, d), *lin("attn.k", "attn_k", d, d), *lin("attn.v", "attn_v", d, d),
                   *lin("attn.o", "attn_o", d, d), *_ln_extra("ffn_layer_norm", "norm_mlp_in", d),
                   *lin("ffn.up", "mlp_up", inter, d), *lin("ffn.down", "mlp_down", d, inter))
        # the strided convolutions keep their kernel: [2 x hidden, hidden, adaptor_kernel_size]
        adapter = tuple(ExtraTensor(t.name, t.role, (2 * d, d, ka)) if t.name.endswith("conv.weight") else t
                        for t in adapter)
        n_ad = c.int("num_adapter_layers", minimum=0)
        extra += tuple(ExtraTensor(f"adapter.{i}.{t.name}", t.role, t.shape) for i in range(n_ad) for t in adapter)
    else:
        c.touch("adaptor_kernel_size", "num_adapter_layers")
    c.touch("adaptor_stride", "speech_encoder_chunk_size", "speech_encoder_left_chunk_num")
    return StackSpec("encoder", d, (layer,) * c.int("speech_encoder_layers", minimum=0), final_norm=_ln("norm_final", d),
                     extra=extra, causal=False)


def seamless_speech(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """SeamlessM4T / v2 speech-to-text (SeamlessM4TForSpeechToText): the conformer speech encoder
    (:func:`_seamless_conformer`) and the text decoder (M2M-100's layout, as for text-to-text), the decoder's table and
    lm_head tied to `shared` (_tied_weights_keys; untied, each stores its own)."""
    from dataclasses import replace

    speech = {k for k in c.data if k.startswith(("speech_encoder_", "adaptor_", "left_max", "right_max"))}
    speech |= {"position_embeddings_type", "conv_depthwise_kernel_size", "feature_projection_input_dim",
               "add_adapter", "num_adapter_layers", "rotary_embedding_base"}
    enc = _seamless_conformer(c.with_data({k: v for k, v in c.data.items() if k in speech | {"hidden_size"}}),
                              model_type.endswith("_v2"))
    text_arch = architecture[: -len("ForSpeechToText")] + "ForCausalLM"
    c.touch(*speech)
    spec = seamless_text(c, model_type, name=name, architecture=architecture, head=head, _decoder_as=text_arch)
    dec = spec.stacks[0]
    tied = c.bool("tie_word_embeddings", True)
    if not tied:
        dec = replace(dec, extra=(ExtraTensor("embed_tokens.weight", "embed", (c.int("vocab_size"), dec.hidden_size)),
                                  *dec.extra))
    return replace(spec, stacks=(enc, dec))


def speecht5(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """SpeechT5 speech-to-text (Ao et al. 2022, arXiv 2110.07205; transformers speecht5/modeling_speecht5.py
    SpeechT5ForSpeechToText). Speech encoder prenet, as wav2vec 2.0's: num_feat_extract_layers Conv1d [conv_dim[i],
    conv_dim[i-1] (1 for the first), conv_kernel[i]] with a bias when conv_bias, normed by a GroupNorm on the first
    layer only (feat_extract_norm "group") or a LayerNorm on each (feat_extract_norm "layer"); feature_projection
    (LayerNorm, Linear to hidden); a weight-normed grouped positional Conv1d (g [1, 1, K], v [hidden, hidden /
    groups, K], a bias); masked_spec_embed [hidden] when mask_time_prob or mask_feature_prob > 0. Encoder: a
    LayerNorm, post-LN layers with biases, a relative position table pe_k [2 x encoder_max_relative_position,
    hidden / encoder heads]. Text decoder: embed_tokens (sinusoidal positions in a buffer), post-LN layers with
    self- and cross-attention (biases), no final LayerNorm; lm_head tied to embed_tokens with tie_word_embeddings.
    Only the speech-to-text class is described (the text-to-speech and speech-to-speech classes' speech decoder
    pre/postnets and vocoder are not)."""
    if not architecture.endswith("ForSpeechToText"):
        raise UnsupportedArchitectureError(f"{c.origin}: architecture {architecture!r}: only SpeechT5's speech-to-text "
                                           "class is described")
    d, act = c.int("hidden_size"), c.str("hidden_act", "gelu")
    dims, kernels = c.int_list("conv_dim", minimum=1), c.int_list("conv_kernel", minimum=1)
    n_conv = c.int("num_feat_extract_layers")
    if dims is None or kernels is None or len(dims) < n_conv or len(kernels) < n_conv:
        raise ConfigError(f"{c.origin}: conv_dim and conv_kernel need num_feat_extract_layers ({n_conv}) entries")
    norm, bias = c.str("feat_extract_norm", "group"), c.bool("conv_bias", False)
    if norm not in ("group", "layer"):
        raise ConfigError(f"{c.origin}: feat_extract_norm must be 'group' or 'layer', got {norm!r}")
    prenet: list[ExtraTensor] = []
    for i in range(n_conv):
        prenet.append(ExtraTensor(f"conv.{i}.weight", "patch_embed", (dims[i], dims[i - 1] if i else 1, kernels[i])))
        if bias:
            prenet.append(ExtraTensor(f"conv.{i}.bias", "patch_embed", (dims[i],)))
        if norm == "layer" or i == 0:
            prenet += _ln_extra(f"conv.{i}.norm", "norm_embed", dims[i])
    k, groups = c.int("num_conv_pos_embeddings"), c.int("num_conv_pos_embedding_groups")
    if d % groups:
        raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by num_conv_pos_embedding_groups {groups}")
    prenet += [*_ln_extra("feature_projection.norm", "norm_embed", dims[n_conv - 1]),
               ExtraTensor("feature_projection.weight", "patch_embed", (d, dims[n_conv - 1])),
               ExtraTensor("feature_projection.bias", "patch_embed", (d,)),
               ExtraTensor("pos_conv.weight_g", "pos_embed", (1, 1, k)),
               ExtraTensor("pos_conv.weight_v", "pos_embed", (d, d // groups, k)),
               ExtraTensor("pos_conv.bias", "pos_embed", (d,))]
    masks = (c.float("mask_time_prob", 0.05) or 0, c.float("mask_feature_prob", 0.0) or 0)
    if max(masks) > 0:
        prenet.append(ExtraTensor("masked_spec_embed", "other", (d,)))
    enc_heads, dec_heads = c.int("encoder_attention_heads"), c.int("decoder_attention_heads")
    for h in (enc_heads, dec_heads):
        if d % h:
            raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by {h} attention heads")
    prenet += [*_ln_extra("norm_in", "norm_embed", d),
               ExtraTensor("rel_pos.pe_k.weight", "rel_bias", (2 * c.int("encoder_max_relative_position"), d // enc_heads))]
    enc_layer = LayerSpec(attention=AttentionSpec(enc_heads, enc_heads, d // enc_heads, qkv_bias=True, o_bias=True),
                          ffn=MlpSpec(c.int("encoder_ffn_dim"), gated=False, bias=True, activation=act),
                          norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    dec_attn = AttentionSpec(dec_heads, dec_heads, d // dec_heads, qkv_bias=True, o_bias=True)
    dec_layer = LayerSpec(attention=dec_attn, cross_attention=AttentionSpec(dec_heads, dec_heads, d // dec_heads,
                                                                            qkv_bias=True, o_bias=True, cross=True),
                          ffn=MlpSpec(c.int("decoder_ffn_dim"), gated=False, bias=True, activation=act),
                          norms=(_ln("norm_attn_out", d), _ln("norm_cross_in", d), _ln("norm_mlp_out", d)))
    # the text-to-speech decoder's and the vocoder's settings, masking and guided-attention knobs: no shape here
    c.touch("conv_stride", "num_mel_bins", "speech_decoder_prenet_layers", "speech_decoder_prenet_units",
            "speaker_embedding_dim", "speech_decoder_postnet_layers", "speech_decoder_postnet_units",
            "speech_decoder_postnet_kernel", "reduction_factor", "max_speech_positions", "max_text_positions",
            "use_guided_attention_loss", "guided_attention_loss_num_heads", "guided_attention_loss_sigma",
            "guided_attention_loss_scale", "scale_embedding", "feat_extract_activation", "apply_spec_augment",
            "mask_time_length", "mask_time_min_masks", "mask_feature_length", "mask_feature_min_masks",
            "encoder_layerdrop", "decoder_layerdrop", "positional_dropout", "speech_decoder_prenet_dropout",
            "speech_decoder_postnet_dropout", "decoder_start_token_id")
    stacks = [StackSpec("encoder", d, (enc_layer,) * c.int("encoder_layers", minimum=0), extra=tuple(prenet),
                        causal=False),
              StackSpec("decoder", d, (dec_layer,) * c.int("decoder_layers", minimum=0))]
    return _s2s_spec(c, model_type, name, architecture, head, d=d, vocab=c.int("vocab_size"), stacks=stacks,
                     tied=c.bool("tie_word_embeddings", True), max_context=c.opt_int("max_text_positions"))
