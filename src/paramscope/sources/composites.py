"""Adapters added for issue 10 (see hf_config.ADAPTERS). Each entry: model_type -> adapter(c, model_type, *, name,
architecture, head) -> ModelSpec."""

from __future__ import annotations

from . import multimodal, seq2seq

ADAPTERS: dict = {
    "led": seq2seq.led,
    "bigbird_pegasus": seq2seq.bigbird_pegasus,
    "pegasus_x": seq2seq.pegasus_x,
    "fsmt": seq2seq.fsmt,
    "nllb-moe": seq2seq.nllb_moe,
    "prophetnet": seq2seq.prophetnet,
    "t5gemma": seq2seq.t5gemma,
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


def encoder_decoder(c, model_type: str, *, name: str, architecture: str, head: str):
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

    enc_c, dec_c = c.sub("encoder"), c.sub("decoder")
    emt, dmt = enc_c.str("model_type"), dec_c.str("model_type")
    if dmt not in _BERT_DECODERS:
        raise UnsupportedArchitectureError(
            f"{c.origin}: decoder.model_type {dmt!r}: only BERT-shaped decoders ({', '.join(_BERT_DECODERS)}) are "
            "described inside an EncoderDecoderModel")
    if emt not in ADAPTERS:
        raise UnsupportedArchitectureError(f"{c.origin}: encoder.model_type {emt!r} is not a family paramscope describes")
    enc = ADAPTERS[emt](enc_c, emt, name=name, architecture=_class_of(emt, ("Model",)), head="none")
    if len(enc.stacks) != 1:
        raise UnsupportedArchitectureError(f"{c.origin}: encoder {emt!r} has {len(enc.stacks)} stacks; one expected")
    cross = dec_c.bool("add_cross_attention", False)
    dec_c.touch("is_decoder", "cross_attention_hidden_size")
    dec = ADAPTERS[dmt](dec_c.with_data(dict(dec_c.data, add_cross_attention=False)), dmt, name=name,
                        architecture=_class_of(dmt, ("ForCausalLM", "LMHeadModel")), head="lm")
    if len(dec.stacks) != 1:
        raise UnsupportedArchitectureError(f"{c.origin}: decoder {dmt!r} has {len(dec.stacks)} stacks; one expected")
    # the encoder's own embeddings and pooler become tensors of its stack
    own = tuple(ExtraTensor(t.name, t.role, t.shape) for t in build_inventory(enc)
                if t.stack == "" and t.tied_to is None and not t.buffer)
    e = enc.stacks[0]
    encoder = replace(e, name="encoder", causal=False, extra=own + e.extra)
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
    if e.hidden_size != d.hidden_size and dec_c.raw("cross_attention_hidden_size") is None:
        extra += (ExtraTensor("enc_to_dec_proj.weight", "other", (d.hidden_size, e.hidden_size)),
                  ExtraTensor("enc_to_dec_proj.bias", "other", (d.hidden_size,)))
    return replace(dec, stacks=(encoder, decoder), extra=extra, warnings=enc.warnings + dec.warnings,
                   **common_fields(c, model_type, name, architecture))


ADAPTERS["encoder-decoder"] = encoder_decoder
