"""T5Gemma 2 (transformers 5.23, models/t5gemma2/{configuration,modeling}_t5gemma2.py; Google's T5Gemma 2 release,
https://huggingface.co/google/t5gemma-2-270m-270m): an encoder-decoder adapted from Gemma 3.

- Encoder (T5Gemma2Encoder): a Gemma 3 text stack run bidirectionally (encoder.text_config: q/k norms per head,
  sandwich RMSNorms, a gated GeGLU MLP, a final norm), a SigLIP vision tower (encoder.vision_config, with its
  attention-pooling head when vision_use_head) and Gemma 3's projector (an RMSNorm on the vision features and a
  [vision_hidden, text_hidden] matrix).
- Decoder (T5Gemma2Decoder): Gemma 3 text layers whose attention is T5Gemma2MergedAttention: the encoder's states go
  through the decoder layer's own k/v projections and k norm and the queries attend to [own keys, encoder keys] in
  one softmax, so there is no cross-attention weight, but each layer caches the encoder tokens' keys and values
  (EncoderDecoderCache.cross_attention_cache) beside its own (sliding layers keep sliding_window - 1 of their own).
- Token tables (T5Gemma2TextScaledWordEmbedding): vocab_size x hidden plus an `eoi_embedding` vector (hidden) that
  replaces the end-of-image token's row. With the top-level tie_word_embeddings (default true) the decoder's table,
  its eoi vector and lm_head.out_proj are the encoder's (T5Gemma2Model / T5Gemma2ForConditionalGeneration
  _tied_weights_keys); untied, each is stored. The sub-configs' own tie_word_embeddings are not read by the model.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError
from ..spec import ExtraTensor, ModelSpec
from .config_access import Cfg

# T5Gemma2TextConfig / T5Gemma2DecoderConfig defaults (configuration_t5gemma2.py): a config.json written by
# save_pretrained leaves out the keys equal to them
_TEXT_DEFAULTS = {
    "vocab_size": 262_208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
    "max_position_embeddings": 131_072, "attention_bias": False, "query_pre_attn_scalar": 256, "sliding_window": 4096,
}
# SiglipVisionConfig defaults (siglip/configuration_siglip.py)
_SIGLIP_DEFAULTS = {
    "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
    "num_channels": 3, "image_size": 224, "patch_size": 16, "hidden_act": "gelu_pytorch_tanh", "vision_use_head": True,
}


def _text(c: Cfg | None, origin: str, prefix: str) -> Cfg:
    data = dict(_TEXT_DEFAULTS)
    if c is not None:
        data.update(c.data)
        return c.with_data(data)
    return Cfg(data, origin, prefix)


def t5gemma2(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    from .decoders import decoder_spec
    from .multimodal import _siglip_tower
    from .seq2seq import _common

    enc_top = c.sub("encoder", required=False)
    enc_top = enc_top if enc_top is not None else Cfg({}, c.origin, "encoder.")
    enc_c = _text(enc_top.sub("text_config", required=False), c.origin, "encoder.text_config.")
    vis = enc_top.sub("vision_config", required=False)
    vis_c = (vis.with_data({**_SIGLIP_DEFAULTS, **vis.data}) if vis is not None
             else Cfg(dict(_SIGLIP_DEFAULTS), c.origin, "encoder.vision_config."))
    dec_c = _text(c.sub("decoder", required=False), c.origin, "decoder.")
    tied = c.bool("tie_word_embeddings", True)
    # the model reads the top-level tie only; a sub-config's own key is shape-neutral
    for sub in (enc_top, enc_c, dec_c):
        sub.touch("tie_word_embeddings")
    enc_top.touch("mm_tokens_per_image", "boi_token_index", "eoi_token_index", "image_token_index", "is_decoder")
    dec_c.touch("is_decoder", "cross_attention_hidden_size")
    c.touch("vocab_size", "dropout_rate", "classifier_dropout_rate", "image_token_index", "eoi_token_index")
    d = dec_c.int("hidden_size")
    if enc_c.int("hidden_size") != d or enc_c.int("vocab_size") != dec_c.int("vocab_size"):
        raise ConfigError(f"{c.origin}: T5Gemma 2 needs the encoder's and the decoder's hidden_size and vocab_size "
                          "equal (T5Gemma2Config.validate_architecture)")

    enc = decoder_spec(enc_c.with_data({**enc_c.data, "tie_word_embeddings": True}), "gemma3_text", name=name,
                       architecture=architecture, head="none", stack_name="encoder")
    dec = decoder_spec(dec_c.with_data({**dec_c.data, "tie_word_embeddings": tied}), "gemma3_text", name=name,
                       architecture=architecture, head=head)
    eoi = (ExtraTensor("embed.eoi_embedding", "embed", (d,)),)
    e = enc.stacks[0]
    enc_extra = eoi if tied else (ExtraTensor("embed.weight", "embed", (enc.embedding.vocab_size, d)),) + eoi
    encoder = replace(e, causal=False, extra=enc_extra + e.extra)
    layers, done = [], {}
    for layer in dec.stacks[0].layers:
        if id(layer) not in done:
            a = layer.attention
            done[id(layer)] = replace(layer, cross_attention=replace(a, cross=True, merged=True, window=None))
        layers.append(done[id(layer)])
    decoder = replace(dec.stacks[0], layers=tuple(layers), extra=dec.stacks[0].extra + (() if tied else eoi))
    tower = _siglip_tower(vis_c)
    projector = (ExtraTensor("projector.input_projection", "other", (tower.hidden_size, d)),
                 ExtraTensor("projector.soft_emb_norm.weight", "norm_embed", (tower.hidden_size,)))
    return replace(dec, stacks=(encoder, decoder, tower), extra=dec.extra + projector,
                   **_common(c, model_type, name, architecture))
