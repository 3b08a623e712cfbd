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
    "fuyu": multimodal.fuyu,
    "got_ocr2": multimodal.got_ocr2,
    "git": multimodal.git,
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
