"""Adapters added for issue 10 (see hf_config.ADAPTERS). Each entry: model_type -> adapter(c, model_type, *, name,
architecture, head) -> ModelSpec."""

from __future__ import annotations

from . import blt, inkling, multimodal, seq2seq, t5gemma2, zaya

ADAPTERS: dict = {
    "led": seq2seq.led,
    "bigbird_pegasus": seq2seq.bigbird_pegasus,
    "pegasus_x": seq2seq.pegasus_x,
    "fsmt": seq2seq.fsmt,
    "nllb-moe": seq2seq.nllb_moe,
    "prophetnet": seq2seq.prophetnet,
    "t5gemma": seq2seq.t5gemma,
    "t5gemma2": t5gemma2.t5gemma2,
    "inkling_text": inkling.inkling_text,
    "inkling2_text": inkling.inkling2_text,
    "zaya": zaya.zaya,
    "blt": blt.blt,
    "seamless_m4t": seq2seq.seamless_text,
    "seamless_m4t_v2": seq2seq.seamless_text,
    "speecht5": seq2seq.speecht5,
    "speech_to_text": seq2seq.speech_to_text,
    "moonshine": seq2seq.moonshine,
    "trocr": seq2seq.trocr,
    "pop2piano": seq2seq.pop2piano,
    "cohere_asr": seq2seq.cohere_asr,
    "canary": seq2seq.canary,
    "dia": seq2seq.dia,
    "fuyu": multimodal.fuyu,
    "got_ocr2": multimodal.got_ocr2,
    "git": multimodal.git,
    "voxtral_realtime": multimodal.voxtral_realtime,
    "modernvbert": multimodal.modernvbert,
    "phi4_multimodal": multimodal.phi4_multimodal,
    "fun_asr_nano": multimodal.fun_asr_nano,
    "vibevoice_asr": multimodal.vibevoice_asr,
    "moss_transcribe_diarize": multimodal.moss_transcribe_diarize,
    "kyutai_speech_to_text": multimodal.kyutai_speech_to_text,
    "moshi": multimodal.moshi,
    "ultravbert": multimodal.ultravbert,
    "nemo_speechlm": multimodal.nemo_speechlm,
    "vibevoice": multimodal.vibevoice,
    "mllama": multimodal.mllama,
    "qwen2_audio": multimodal.qwen2_audio,
    "voxtral": multimodal.voxtral,
    "audioflamingo3": multimodal.audioflamingo3,
    "musicflamingo": multimodal.musicflamingo,
    "glmasr": multimodal.glmasr,
    "qwen3_asr": multimodal.qwen3_asr,
    "granite_speech": multimodal.granite_speech,
    "granite_speech_plus": multimodal.granite_speech,
}


# ------------------------------------------------------------------ EncoderDecoderModel

# decoders whose layers take BERT's cross-attention block (BertLayer.crossattention: query/key/value [hidden,
# hidden] and output.dense with bias, then output.LayerNorm) when add_cross_attention: bert/modeling_bert.py and
# its copies roberta/modeling_roberta.py, xlm_roberta/modeling_xlm_roberta.py
_BERT_DECODERS = ("bert", "roberta", "xlm-roberta")


def _class_of(model_type: str, suffixes: tuple[str, ...]) -> str:
    """The transformers class of ``model_type`` whose name ends with one of ``suffixes`` (auto mappings)."""
    from .config_keys import _registry

    for cls, types in sorted(_registry()["classes"].items()):
        if model_type in types and cls.endswith(suffixes) and not cls.endswith(("LMHeadModel",) if suffixes == ("Model",) else ()):
            return cls
    from ..errors import UnsupportedArchitectureError
    raise UnsupportedArchitectureError(f"model_type {model_type!r} has no {'/'.join(suffixes)} class")


def encoder_decoder(c, model_type: str, *, name: str, architecture: str, head: str, encoder_stack=None,
                    encoder_out: int | None = None):
    """EncoderDecoderModel (encoder_decoder/modeling_encoder_decoder.py): the bare model of the ``encoder``
    sub-config (AutoModel: BertModel keeps its pooler) and the causal LM of the ``decoder`` sub-config
    (AutoModelForCausalLM), each described by its own family's adapter; the decoder's layers add BERT's
    cross-attention block when its add_cross_attention is true (EncoderDecoderConfig sets it), and
    enc_to_dec_proj, a Linear [decoder hidden, encoder hidden] with bias, maps the encoder's states when the
    widths differ and the decoder states no cross_attention_hidden_size. The head is the decoder's own (tied to the
    decoder's embedding as its config says). Decoders other than BERT-shaped ones (_BERT_DECODERS) are refused."""
    from dataclasses import replace

    from ..errors import UnsupportedArchitectureError
    from ..inventory import build_inventory
    from ..spec import ExtraTensor, NormSpec
    from .common import common_fields
    from .hf_config import ADAPTERS

    dec_c = c.sub("decoder")
    dmt = dec_c.str("model_type")
    if dmt not in _BERT_DECODERS:
        raise UnsupportedArchitectureError(
            f"{c.origin}: decoder.model_type {dmt!r}: only BERT-shaped decoders ({', '.join(_BERT_DECODERS)}) are "
            "described inside an EncoderDecoderModel")
    if encoder_stack is None:
        enc_c = c.sub("encoder")
        emt = enc_c.str("model_type")
        if emt not in ADAPTERS:
            raise UnsupportedArchitectureError(f"{c.origin}: encoder.model_type {emt!r} is not a family paramscope describes")
        enc = ADAPTERS[emt](enc_c, emt, name=name, architecture=_class_of(emt, ("Model",)), head="none")
        if len(enc.stacks) != 1:
            raise UnsupportedArchitectureError(f"{c.origin}: encoder {emt!r} has {len(enc.stacks)} stacks; one expected")
        # the encoder's own embeddings and pooler become tensors of its stack
        own = tuple(ExtraTensor(t.name, t.role, t.shape) for t in build_inventory(enc)
                    if t.stack == "" and t.tied_to is None and not t.buffer)
        e = enc.stacks[0]
        encoder = replace(e, name="encoder", causal=False, extra=own + e.extra)
        enc_warnings = enc.warnings
    else:
        encoder, e, enc_warnings = encoder_stack, encoder_stack, ()
    # the composite class declares no tied weights: each sub-model ties its own by its own config
    c.touch("tie_word_embeddings")
    cross = dec_c.bool("add_cross_attention", False)
    dec_c.touch("is_decoder", "cross_attention_hidden_size")
    dec = ADAPTERS[dmt](dec_c.with_data(dict(dec_c.data, add_cross_attention=False)), dmt, name=name,
                        architecture=_class_of(dmt, ("ForCausalLM", "LMHeadModel")), head="lm")
    if len(dec.stacks) != 1:
        raise UnsupportedArchitectureError(f"{c.origin}: decoder {dmt!r} has {len(dec.stacks)} stacks; one expected")
    d = dec.stacks[0]
    done: dict[int, object] = {}
    layers = []
    for layer in d.layers:
        if id(layer) not in done:
            done[id(layer)] = layer if not cross else replace(
                layer, cross_attention=replace(layer.attention, cross=True, window=None),
                norms=layer.norms + (NormSpec("norm_cross_in", d.hidden_size, bias=True, kind="layernorm"),))
        layers.append(done[id(layer)])
    decoder = replace(d, name="decoder", causal=True, layers=tuple(layers))
    extra = dec.extra
    if (encoder_out or e.hidden_size) != d.hidden_size and dec_c.raw("cross_attention_hidden_size") is None:
        extra += (ExtraTensor("enc_to_dec_proj.weight", "other", (d.hidden_size, e.hidden_size)),
                  ExtraTensor("enc_to_dec_proj.bias", "other", (d.hidden_size,)))
    return replace(dec, stacks=(encoder, decoder), extra=extra, warnings=enc_warnings + dec.warnings,
                   **common_fields(c, model_type, name, architecture))


ADAPTERS["encoder-decoder"] = encoder_decoder


# ------------------------------------------------------------------ SpeechEncoderDecoderModel


def _wav2vec2_encoder(e):
    """Wav2Vec2Model (wav2vec2/modeling_wav2vec2.py) as an encoder stack: the convolutional feature encoder (one
    Conv1d [conv_dim[i], conv_dim[i-1] (1 for the first), conv_kernel[i]] per layer, biased by conv_bias; with
    feat_extract_norm "group" a GroupNorm on the first layer's output, with "layer" a LayerNorm after every layer),
    the feature projection (LayerNorm [conv_dim[-1]] and a Linear [hidden, conv_dim[-1]] with bias), masked_spec_embed
    [hidden] when mask_time_prob or mask_feature_prob is positive, the positional convolution (weight-normed:
    weight_g [1, 1, K] and weight_v [hidden, hidden / groups, K], a bias), a LayerNorm, and post-LN (or, with
    do_stable_layer_norm, pre-LN) layers of q/k/v/out and intermediate/output dense with biases. add_adapter and
    adapter_attn_dim (modules this description lacks) are refused."""
    from ..errors import ConfigError, UnsupportedArchitectureError
    from ..spec import AttentionSpec, ExtraTensor, LayerSpec, MlpSpec, StackSpec
    from .common import layernorm

    if e.bool("add_adapter", False) or e.raw("adapter_attn_dim") is not None:
        raise UnsupportedArchitectureError(f"{e.origin}: {e.prefix}add_adapter / adapter_attn_dim: wav2vec2 adapter "
                                           "modules are not described")
    d, heads = e.int("hidden_size"), e.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{e.origin}: {e.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    dims, kernels = e.int_list("conv_dim", minimum=1) or [], e.int_list("conv_kernel", minimum=1) or []
    n_conv = e.int("num_feat_extract_layers", len(dims))
    if not (len(dims) == len(kernels) == n_conv):
        raise ConfigError(f"{e.origin}: {e.prefix}conv_dim / conv_kernel / num_feat_extract_layers disagree")
    cb, norm = e.bool("conv_bias", False), e.str("feat_extract_norm", "group")
    if norm not in ("group", "layer"):
        raise ConfigError(f"{e.origin}: {e.prefix}feat_extract_norm: expected 'group' or 'layer', got {norm!r}")
    front = ()
    for i, (o, k) in enumerate(zip(dims, kernels, strict=True)):
        front += (ExtraTensor(f"conv{i}.weight", "patch_embed", (o, dims[i - 1] if i else 1, k)),)
        if cb:
            front += (ExtraTensor(f"conv{i}.bias", "patch_embed", (o,)),)
        if norm == "layer" or i == 0:
            front += (ExtraTensor(f"conv{i}.norm.weight", "norm_embed", (o,)), ExtraTensor(f"conv{i}.norm.bias", "norm_embed", (o,)))
    front += (ExtraTensor("proj.norm.weight", "norm_embed", (dims[-1],)), ExtraTensor("proj.norm.bias", "norm_embed", (dims[-1],)),
              ExtraTensor("proj.weight", "patch_embed", (d, dims[-1])), ExtraTensor("proj.bias", "patch_embed", (d,)))
    if (e.float("mask_time_prob", 0.05) or 0) > 0 or (e.float("mask_feature_prob", 0.0) or 0) > 0:
        front += (ExtraTensor("masked_spec_embed", "other", (d,)),)
    k, g = e.int("num_conv_pos_embeddings", 128), e.int("num_conv_pos_embedding_groups", 16)
    if d % g:
        raise ConfigError(f"{e.origin}: {e.prefix}num_conv_pos_embedding_groups {g} does not divide hidden_size {d}")
    front += (ExtraTensor("pos_conv.weight_g", "pos_embed", (1, 1, k)), ExtraTensor("pos_conv.weight_v", "pos_embed", (d, d // g, k)),
              ExtraTensor("pos_conv.bias", "pos_embed", (d,)),
              ExtraTensor("norm.weight", "norm_final", (d,)), ExtraTensor("norm.bias", "norm_final", (d,)))
    pre = e.bool("do_stable_layer_norm", False)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(e.int("intermediate_size"), gated=False, bias=True, activation=e.str("hidden_act", "gelu")),
                      norms=(layernorm("norm_attn_in" if pre else "norm_attn_out", d),
                             layernorm("norm_mlp_in" if pre else "norm_mlp_out", d)))
    e.touch("feat_proj_layer_norm", "conv_stride", "mask_time_length", "mask_time_min_masks", "mask_feature_length",
            "mask_feature_min_masks", "apply_spec_augment", "num_codevectors_per_group", "num_codevector_groups",
            "contrastive_logits_temperature", "num_negatives", "codevector_dim", "proj_codevector_dim",
            "diversity_loss_weight", "ctc_loss_reduction", "ctc_zero_infinity", "use_weighted_layer_sum",
            "classifier_proj_size", "tdnn_dim", "tdnn_kernel", "tdnn_dilation", "xvector_output_dim", "num_adapter_layers",
            "output_hidden_size", "adapter_stride", "adapter_kernel_size", "vocab_size", "do_stable_layer_norm",
            "feat_extract_activation", "layerdrop", "feat_quantizer_dropout", "mask_time_prob", "mask_feature_prob")
    return StackSpec("encoder", d, (layer,) * e.int("num_hidden_layers", minimum=0), extra=front, causal=False)


def speech_encoder_decoder(c, model_type: str, *, name: str, architecture: str, head: str):
    """SpeechEncoderDecoderModel (speech_encoder_decoder/modeling_speech_encoder_decoder.py): a Wav2Vec2 encoder
    (_wav2vec2_encoder; other speech encoders are refused) and the causal LM of the ``decoder`` sub-config with
    BERT's cross-attention as in encoder_decoder(); enc_to_dec_proj [decoder hidden, encoder hidden] with bias when
    the encoder's output_hidden_size (default hidden_size) differs from the decoder's and the decoder states no
    cross_attention_hidden_size."""
    from ..errors import UnsupportedArchitectureError

    enc_c = c.sub("encoder")
    if enc_c.str("model_type") != "wav2vec2":
        raise UnsupportedArchitectureError(f"{c.origin}: encoder.model_type {enc_c.str('model_type')!r}: only a wav2vec2 "
                                           "encoder is described inside a SpeechEncoderDecoderModel")
    out_dim = enc_c.int("output_hidden_size", enc_c.int("hidden_size"))
    return encoder_decoder(c, model_type, name=name, architecture=architecture, head=head,
                           encoder_stack=_wav2vec2_encoder(enc_c), encoder_out=out_dim)


ADAPTERS["speech-encoder-decoder"] = speech_encoder_decoder
