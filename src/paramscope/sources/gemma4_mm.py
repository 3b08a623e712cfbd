"""config.json -> ModelSpec for Gemma 4's composite classes (transformers 5.23):

- ``gemma4``: gemma4/modeling_gemma4.py Gemma4Model / Gemma4ForConditionalGeneration: the Gemma 4 text decoder
  (gemma3n.gemma4_text), an optional vision encoder (Gemma4VisionModel), an optional audio encoder
  (Gemma4AudioModel, a Universal Speech Model conformer, https://huggingface.co/papers/2303.01037) and one
  Gemma4MultimodalEmbedder per tower present.
- ``gemma4_unified``: gemma4_unified/modeling_gemma4_unified.py Gemma4UnifiedModel /
  Gemma4UnifiedForConditionalGeneration: "encoder-free": no vision or audio tower; raw merged pixel patches go
  through Gemma4UnifiedVisionEmbedder (LayerNorm, a dense patch projection, LayerNorm, a factorised 2-D position
  table, LayerNorm, then a Gemma4UnifiedMultimodalEmbedder) and raw waveform frames through a
  Gemma4UnifiedMultimodalEmbedder alone.
- ``gemma4_unified_assistant``: gemma4_unified_assistant/modeling_gemma4_unified_assistant.py
  Gemma4UnifiedAssistantForCausalLM: a drafter for multi-token-prediction assisted decoding. A small text
  decoder whose layers read the target model's keys and values (shared_kv_states) instead of computing their
  own, between a pre_projection [hidden, 2 x backbone_hidden_size] (the target's embedding and last hidden
  state, concatenated) and a post_projection [backbone_hidden_size, hidden] back to the target's width, with its
  own lm_head (tied to its token embedding by default).

A vision or audio sub-config that is absent or null builds no tower and no embedder (the composite configs
declare both optional: SubConfigSpec(optional=True)); a stated one is filled with its config class's defaults.
The towers and multimodal embedders run once per image patch / audio frame, not per generated token: they are
components "vision", "audio" and "projector", counted in the parameters and the weights' memory, left out of
the per-token FLOPs, activations and KV cache (as Gemma 3n's towers, sources/gemma3n_mm.py).

Not parameters, so not counted (transformers' named_parameters() leaves them out too): the four scalar clip
bounds of every Gemma4ClippableLinear with use_clipped_linears, the vision tower's std_bias / std_scale with
standardize, the decoder's layer_scalar, the assistant's token_ordering.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError, UnsupportedArchitectureError
from ..spec import ExtraTensor, LayerSpec, ModelSpec, StackSpec
from .config_access import Cfg
from .multimodal import _sub_or_defaults, _text_lm_of, _tower_warning

# transformers 5.23 gemma4/configuration_gemma4.py Gemma4VisionConfig / Gemma4AudioConfig defaults
_VISION_DEFAULTS = {
    "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 16, "num_attention_heads": 12,
    "num_key_value_heads": 12, "head_dim": 64, "patch_size": 16, "position_embedding_size": 10 * 1024,
}
_AUDIO_DEFAULTS = {
    "hidden_size": 1024, "num_hidden_layers": 12, "num_attention_heads": 8, "subsampling_conv_channels": [128, 32],
    "conv_kernel_size": 5, "output_proj_dims": 1536,
}
# gemma4_unified/configuration_gemma4_unified.py Gemma4UnifiedVisionConfig / Gemma4UnifiedAudioConfig defaults
_UNIFIED_VISION_DEFAULTS = {"patch_size": 16, "pooling_kernel_size": 3, "mm_embed_dim": 3840, "mm_posemb_size": 1120,
                            "output_proj_dims": 3840}
# Gemma4UnifiedAudioConfig: hidden_size, output_proj_dims and audio_samples_per_token are properties whose setters
# write audio_embed_dim, so a file may state the width under any of the four names
_UNIFIED_AUDIO_WIDTH = ("audio_embed_dim", "hidden_size", "output_proj_dims", "audio_samples_per_token")


def _w(name: str, role: str, *shape: int) -> ExtraTensor:
    return ExtraTensor(name, role, tuple(shape))


def _clippable(name: str, role: str, out_f: int, in_f: int) -> ExtraTensor:
    """Gemma4ClippableLinear: an nn.Linear without bias under ``.linear`` (its clip bounds are buffers)."""
    return _w(f"{name}.linear.weight", role, out_f, in_f)


def vision_tower(v: Cfg) -> StackSpec:
    """Gemma4VisionModel. Gemma4VisionPatchEmbedder: input_proj [hidden, 3 x patch_size^2] without bias and a
    position_embedding_table [2, position_embedding_size, hidden] (one table per image axis). Per
    Gemma4VisionEncoderLayer: q/k/v/o Gemma4ClippableLinear without bias (num_attention_heads and
    num_key_value_heads of head_dim; attention_bias is not read by them), q_norm / k_norm [head_dim] (the v norm
    has no scale), a gated MLP (gate/up [intermediate, hidden], down [hidden, intermediate], no bias) and four
    RMSNorms [hidden]. The encoder has no final norm; Gemma4VisionPooler and the axial rotary embedding have
    no tensors."""
    d = v.int("hidden_size")
    heads, kv, hd = v.int("num_attention_heads"), v.int("num_key_value_heads"), v.int("head_dim")
    inter, patch = v.int("intermediate_size"), v.int("patch_size")
    front = (_w("patch_embedder.input_proj.weight", "patch_embed", d, 3 * patch * patch),
             _w("patch_embedder.position_embedding_table", "pos_embed", 2, v.int("position_embedding_size"), d))
    block = (_clippable("self_attn.q_proj", "attn_q", heads * hd, d),
             _clippable("self_attn.k_proj", "attn_k", kv * hd, d),
             _clippable("self_attn.v_proj", "attn_v", kv * hd, d),
             _clippable("self_attn.o_proj", "attn_o", d, heads * hd),
             _w("self_attn.q_norm.weight", "norm_q", hd), _w("self_attn.k_norm.weight", "norm_k", hd),
             _clippable("mlp.gate_proj", "mlp_gate", inter, d), _clippable("mlp.up_proj", "mlp_up", inter, d),
             _clippable("mlp.down_proj", "mlp_down", d, inter),
             _w("input_layernorm.weight", "norm_attn_in", d), _w("post_attention_layernorm.weight", "norm_attn_out", d),
             _w("pre_feedforward_layernorm.weight", "norm_mlp_in", d),
             _w("post_feedforward_layernorm.weight", "norm_mlp_out", d))
    # attention_bias: Gemma4ClippableLinear never has a bias; use_clipped_linears / standardize: buffers only;
    # pooling_kernel_size: the pooler averages patches (no tensors); global_head_dim / default_output_length:
    # stated by released files, read by no vision module; the rest: activation, positions, eps
    v.touch("attention_bias", "use_clipped_linears", "standardize", "pooling_kernel_size", "hidden_activation",
            "max_position_embeddings", "global_head_dim", "default_output_length")
    layer = LayerSpec(extra=block)
    return StackSpec("vision", d, (layer,) * v.int("num_hidden_layers", minimum=0), component="vision", extra=front,
                     causal=False)


def audio_tower(a: Cfg) -> StackSpec:
    """Gemma4AudioModel. Gemma4AudioSubSampleConvProjection: two Conv2d 3x3 stride 2 without bias (1 -> c0 -> c1
    channels, subsampling_conv_channels), each with a LayerNorm [c] without bias, then input_proj_linear
    [hidden, (c0 // 4) x c1] without bias (transformers sizes it from c0, as stored). Per Gemma4AudioLayer: two
    Gemma4AudioFeedForward (pre/post RMSNorm [hidden], ffw_layer_1 [4 hidden, hidden], ffw_layer_2 [hidden,
    4 hidden]); Gemma4AudioAttention (q/k/v [heads x head_dim, hidden], post [hidden, hidden], relative_k_proj
    [heads x head_dim, hidden], per_dim_scale [head_dim], head_dim = hidden // heads); Gemma4AudioLightConv1d
    (linear_start [2 hidden, hidden], a depthwise causal Conv1d [hidden, 1, conv_kernel_size] without bias,
    linear_end [hidden, hidden], pre_layer_norm and conv_norm [hidden]); norm_pre_attn, norm_post_attn and
    norm_out [hidden]. Every linear but relative_k_proj is a Gemma4ClippableLinear; none has a bias. Then
    output_proj [output_proj_dims, hidden] with bias. The relative position encoding is a buffer."""
    h, heads = a.int("hidden_size"), a.int("num_attention_heads")
    hd = h // heads
    if hd < 1:
        raise ConfigError(f"{a.origin}: {a.prefix}num_attention_heads {heads} exceeds hidden_size {h}")
    channels = a.int_list("subsampling_conv_channels", minimum=1) or []
    if len(channels) != 2:
        raise ConfigError(f"{a.origin}: {a.prefix}subsampling_conv_channels: expected 2 entries, got {channels!r}")
    c0, c1 = channels
    out_dim = a.int("output_proj_dims")
    front = (_w("subsample_conv_projection.layer0.conv.weight", "patch_embed", c0, 1, 3, 3),
             _w("subsample_conv_projection.layer0.norm.weight", "norm_embed", c0),
             _w("subsample_conv_projection.layer1.conv.weight", "patch_embed", c1, c0, 3, 3),
             _w("subsample_conv_projection.layer1.norm.weight", "norm_embed", c1),
             _w("subsample_conv_projection.input_proj_linear.weight", "patch_embed", h, (c0 // 4) * c1),
             _w("output_proj.weight", "other", out_dim, h), _w("output_proj.bias", "other", out_dim))
    block: tuple[ExtraTensor, ...] = ()
    for ff in ("feed_forward1", "feed_forward2"):
        block += (_clippable(f"{ff}.ffw_layer_1", "mlp_up", 4 * h, h),
                  _clippable(f"{ff}.ffw_layer_2", "mlp_down", h, 4 * h),
                  _w(f"{ff}.pre_layer_norm.weight", "norm_mlp_in", h),
                  _w(f"{ff}.post_layer_norm.weight", "norm_mlp_out", h))
    block += (_clippable("self_attn.q_proj", "attn_q", heads * hd, h),
              _clippable("self_attn.k_proj", "attn_k", heads * hd, h),
              _clippable("self_attn.v_proj", "attn_v", heads * hd, h), _clippable("self_attn.post", "attn_o", h, h),
              _w("self_attn.relative_k_proj.weight", "pos_embed", heads * hd, h),
              _w("self_attn.per_dim_scale", "other", hd),
              _clippable("lconv1d.linear_start", "other", 2 * h, h), _clippable("lconv1d.linear_end", "other", h, h),
              _w("lconv1d.depthwise_conv1d.weight", "other", h, 1, a.int("conv_kernel_size")),
              _w("lconv1d.pre_layer_norm.weight", "norm_mlp_in", h), _w("lconv1d.conv_norm.weight", "norm_mlp_in", h),
              _w("norm_pre_attn.weight", "norm_attn_in", h), _w("norm_post_attn.weight", "norm_attn_out", h),
              _w("norm_out.weight", "norm_mlp_out", h))
    # chunked local attention (chunk, context, logit cap, invalid-logit value), residual scale, gradient clipping,
    # activation, clip buffers: no tensors; num_mel_bins: stated by some converted files, read by no audio module
    # (input_proj_linear is sized from the channels)
    a.touch("attention_chunk_size", "attention_context_left", "attention_context_right", "attention_logit_cap",
            "attention_invalid_logits_value", "residual_weight", "gradient_clipping", "use_clipped_linears",
            "hidden_act", "num_mel_bins")
    layer = LayerSpec(extra=block)
    return StackSpec("audio", h, (layer,) * a.int("num_hidden_layers", minimum=0), component="audio", extra=front,
                     causal=False)


def _embedder(prefix: str, width: int, text_hidden: int) -> tuple[ExtraTensor, ...]:
    """Gemma4MultimodalEmbedder / Gemma4UnifiedMultimodalEmbedder: an RMSNorm without scale, then
    embedding_projection [text hidden, width] without bias."""
    return (_w(f"{prefix}.embedding_projection.weight", "other", text_hidden, width),)


def _text(c: Cfg, text_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """The composite's language model: text_config is always ``text_type``'s config class (the composite's
    sub_configs_defaults name the class, whatever model_type the sub-config states); the lm_head is tied to the
    text embedding when the top level's tie_word_embeddings (default True) says so."""
    text = _sub_or_defaults(c, "text_config", {})
    text = text.with_data(dict(text.data, model_type=text_type))
    return _text_lm_of(c, text, name=name, architecture=architecture, head=head,
                       tied=c.bool("tie_word_embeddings", True))


def gemma4(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    lm = _text(c, "gemma4_text", name=name, architecture=architecture, head=head)
    # soft tokens per image / clip: prompt layout for the processor, read by no module
    c.touch("vision_soft_tokens_per_image", "audio_soft_tokens_per_image")
    stacks, extra, warnings = (), (), ()
    v = c.sub("vision_config", required=False)
    if v is not None:
        v = v.with_data({**_VISION_DEFAULTS, **v.data})
        tower = vision_tower(v)
        # Gemma4MultimodalEmbedder reads getattr(config, "output_proj_dims", hidden_size): the vision config
        # class has no such field, but a file may add it
        stacks += (tower,)
        extra += _embedder("projector.embed_vision", v.int("output_proj_dims", tower.hidden_size), lm.hidden_size)
        warnings += (_tower_warning("vision"),)
    a = c.sub("audio_config", required=False)
    if a is not None:
        a = a.with_data({**_AUDIO_DEFAULTS, **a.data})
        stacks += (audio_tower(a),)
        extra += _embedder("projector.embed_audio", a.int("output_proj_dims"), lm.hidden_size)
        warnings += (_tower_warning("audio"),)
    return replace(lm, model_type=model_type, stacks=lm.stacks + stacks, extra=lm.extra + extra,
                   warnings=lm.warnings + warnings)


def _unified_audio_width(a: Cfg) -> int:
    stated = {k: a.int(k) for k in _UNIFIED_AUDIO_WIDTH if a.has(k)}
    if len(set(stated.values())) > 1:
        raise ConfigError(f"{a.origin}: {a.prefix}{' / '.join(stated)}: one width (audio_embed_dim) under several "
                          f"names with different values {stated}")
    return next(iter(stated.values()), 640)


def unified_vision_embedder(v: Cfg, text_hidden: int) -> tuple[ExtraTensor, ...]:
    """Gemma4UnifiedVisionEmbedder: patch_ln1 (LayerNorm with bias) over a merged patch of
    (patch_size x pooling_kernel_size)^2 x 3 raw pixels, patch_dense [mm_embed_dim, that] with bias, patch_ln2
    [mm_embed_dim], pos_embedding [mm_posemb_size, 2, mm_embed_dim], pos_norm [mm_embed_dim], then its
    multimodal_embedder: embedding_projection [text hidden, output_proj_dims] (output_proj_dims as stored, 3840 by
    default: transformers does not set it from the text width)."""
    patch_dim = (v.int("patch_size") * v.int("pooling_kernel_size")) ** 2 * 3
    mm = v.int("mm_embed_dim")
    p = "vision.embed_vision"
    return (_w(f"{p}.patch_ln1.weight", "norm_embed", patch_dim), _w(f"{p}.patch_ln1.bias", "norm_embed", patch_dim),
            _w(f"{p}.patch_dense.weight", "patch_embed", mm, patch_dim), _w(f"{p}.patch_dense.bias", "patch_embed", mm),
            _w(f"{p}.patch_ln2.weight", "norm_embed", mm), _w(f"{p}.patch_ln2.bias", "norm_embed", mm),
            _w(f"{p}.pos_embedding", "pos_embed", v.int("mm_posemb_size"), 2, mm),
            _w(f"{p}.pos_norm.weight", "norm_embed", mm), _w(f"{p}.pos_norm.bias", "norm_embed", mm),
            *_embedder("projector.embed_vision.multimodal_embedder", v.int("output_proj_dims"), text_hidden))


def gemma4_unified(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    lm = _text(c, "gemma4_unified_text", name=name, architecture=architecture, head=head)
    extra: tuple[ExtraTensor, ...] = ()
    warnings: tuple[str, ...] = ()
    v = c.sub("vision_config", required=False)
    if v is not None:
        extra += unified_vision_embedder(v.with_data({**_UNIFIED_VISION_DEFAULTS, **v.data}), lm.hidden_size)
        warnings += (_tower_warning("vision"),)
    a = c.sub("audio_config", required=False)
    if a is not None:
        extra += _embedder("projector.embed_audio", _unified_audio_width(a), lm.hidden_size)
        warnings += (_tower_warning("audio"),)
    return replace(lm, model_type=model_type, extra=lm.extra + extra, warnings=lm.warnings + warnings)


_ASSISTANT_TEXT_TYPES = ("gemma4_unified_text", "gemma4_text")
_ASSISTANT_NOTE = ("an assisted-decoding drafter: every layer reads the target model's keys and values "
                   "(shared_kv_states), so its own KV cache is empty and its speed figures leave out the reads of "
                   "the target's cache; its attention FLOPs are a decoder step's at the same context (the drafted "
                   "token attends the target's cached keys, not itself: one token fewer per layer); transformers "
                   "5.23 cannot build it (Gemma4UnifiedTextConfig.kv_sharing_modes finds no layer producing a "
                   "cache and raises), so it is described from the modules as the config states them")


def gemma4_unified_assistant(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Gemma4UnifiedAssistantForCausalLM. Gemma4UnifiedAssistantConfig.__post_init__ makes every layer KV-shared
    when text_config.num_kv_shared_layers is 0 or unset (the drafter attends to the target's cache); a drafter
    with layers of its own keys and values (1 <= num_kv_shared_layers < num_hidden_layers) runs them with
    use_cache=False over the drafted tokens and overwrites the target's shared states with them: not described.
    use_ordered_embeddings (Gemma4UnifiedAssistantMaskedEmbedder) scores only centroid_intermediate_top_k
    centroids' tokens, so the per-token cost of its head is not the lm_head's: not described."""
    text = _sub_or_defaults(c, "text_config", {})
    text_type = text.str("model_type", "gemma4_unified_text")
    if text_type not in _ASSISTANT_TEXT_TYPES:
        raise UnsupportedArchitectureError(f"{c.origin}: text_config.model_type {text_type!r}: a Gemma 4 assistant "
                                           f"drafter over a {'/'.join(_ASSISTANT_TEXT_TYPES)} decoder is described")
    if c.bool("use_ordered_embeddings", False):
        raise UnsupportedArchitectureError(
            f"{c.origin}: use_ordered_embeddings: the centroid-masked head (Gemma4UnifiedAssistantMaskedEmbedder) "
            "computes logits for centroid_intermediate_top_k clusters only; its per-token cost is not described")
    n = text.int("num_hidden_layers", 30, minimum=0)
    shared = text.int("num_kv_shared_layers", 0, minimum=0) or n
    if shared != n:
        raise UnsupportedArchitectureError(
            f"{c.origin}: text_config.num_kv_shared_layers {shared} of num_hidden_layers {n}: only a drafter whose "
            "every layer reads the target's keys and values is described (layers with keys and values of their "
            "own run without a cache, over the drafted tokens)")
    text = text.with_data(dict(text.data, model_type=text_type, num_kv_shared_layers=n))
    lm = _text_lm_of(c, text, name=name, architecture=architecture, head=head,
                     tied=c.bool("tie_word_embeddings", True))
    backbone = c.int("backbone_hidden_size", 3840)
    # num_centroids / centroid_intermediate_top_k size the masked embedder only (refused above)
    c.touch("num_centroids", "centroid_intermediate_top_k")
    extra = (_w("pre_projection.weight", "other", lm.hidden_size, 2 * backbone),
             _w("post_projection.weight", "other", backbone, lm.hidden_size))
    return replace(lm, model_type=model_type, extra=lm.extra + extra, warnings=lm.warnings + (_ASSISTANT_NOTE,))


ADAPTERS = {
    "gemma4": gemma4,
    "gemma4_unified": gemma4_unified,
    "gemma4_unified_assistant": gemma4_unified_assistant,
}
