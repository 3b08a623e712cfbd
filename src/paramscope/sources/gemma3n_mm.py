"""config.json -> ModelSpec for Gemma 3n's composite classes (transformers 5.23 gemma3n/modeling_gemma3n.py
Gemma3nModel and Gemma3nForConditionalGeneration): the Gemma 3n text decoder (gemma3n.gemma3n_text), timm's
MobileNetV5 vision encoder (mobilenetv5.mobilenetv5_tower), the audio encoder (Gemma3nAudioEncoder, a Universal Speech
Model conformer) and one Gemma3nMultimodalEmbedder per tower.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError
from ..spec import ExtraTensor, LayerSpec, ModelSpec, StackSpec
from .config_access import Cfg
from .gemma3n import gemma3n_text
from .mobilenetv5 import mobilenetv5_tower

# transformers 5.23 models/gemma3n/configuration_gemma3n.py: what Gemma3nConfig fills in for keys a file leaves out
_TEXT_DEFAULTS = {
    "vocab_size": 262400, "hidden_size": 2048, "intermediate_size": 16384, "num_hidden_layers": 35,
    "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256, "hidden_activation": "gelu_pytorch_tanh",
    "max_position_embeddings": 32768, "attention_bias": False, "sliding_window": 512,
    "vocab_size_per_layer_input": 262144, "hidden_size_per_layer_input": 256, "altup_num_inputs": 4,
    "num_kv_shared_layers": 15, "laurel_rank": 64,
}
_AUDIO_DEFAULTS = {
    "vocab_size": 128, "input_feat_size": 128, "hidden_size": 1536, "conf_num_attention_heads": 8,
    "conf_num_hidden_layers": 12, "conf_conv_kernel_size": 5, "sscp_conv_channel_size": [128, 32],
    "sscp_conv_kernel_size": [[3, 3], [3, 3]], "sscp_conv_stride_size": [[2, 2], [2, 2]],
}
_TOWERS_WARNING = ("the vision and audio towers' parameters are counted exactly, but their compute and activations are "
                   "not modelled (FLOPs and memory figures cover the language model only)")
_VISION_DEFAULTS = {"architecture": "mobilenetv5_300m_enc", "hidden_size": 2048, "vocab_size": 128}


def _sub(c: Cfg, key: str, defaults: dict) -> Cfg:
    got = c.sub(key, required=False)
    if got is None:
        return Cfg(dict(defaults), c.origin, f"{key}.")
    return got.with_data({**defaults, **got.data})


def _lin(name: str, role: str, out_f: int, in_f: int) -> ExtraTensor:
    return ExtraTensor(f"{name}.weight", role, (out_f, in_f))


def _pairs(a: Cfg, key: str) -> list[tuple[int, int]]:
    raw = a.raw(key)
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(p, list) and len(p) == 2 for p in raw)
            and all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for p in raw for x in p)):
        raise ConfigError(f"{a.origin}: {a.prefix}{key}: expected two [time, frequency] pairs of integers >= 1, "
                          f"got {raw!r}")
    return [(p[0], p[1]) for p in raw]


def audio_tower(a: Cfg) -> StackSpec:
    """Gemma3nAudioEncoder. Gemma3nAudioSubSampleConvProjection: two Conv2d without bias (1 -> c0 -> c1 channels,
    kernels sscp_conv_kernel_size) each with a cumulative group norm [c], the frequency axis padded by 1 on each
    side (f' = (f + 2 - kw) // sw + 1), then input_proj_linear [hidden, c1 x f'']. Per conformer block
    (Gemma3nAudioConformerBlock): two feed-forwards (RMSNorm, [4 hidden, hidden], [hidden, 4 hidden], RMSNorm), an
    attention (RMSNorm, per_dim_scale [head_dim], a relative-position pos_proj and q/k/v [heads x head_dim, hidden], a
    post projection [hidden, hidden], RMSNorm), a light conv (RMSNorm, linear_start [2 hidden, hidden], a depthwise
    Conv1d [hidden, 1, conf_conv_kernel_size] without bias, RMSNorm, linear_end [hidden, hidden]) and an RMSNorm.
    No Linear has a bias."""
    h = a.int("hidden_size")
    heads = a.int("conf_num_attention_heads")
    hd = h // heads
    channels = a.int_list("sscp_conv_channel_size", minimum=1) or []
    if len(channels) != 2:
        raise ConfigError(f"{a.origin}: {a.prefix}sscp_conv_channel_size: expected 2 entries, got {channels!r}")
    kernels, strides = _pairs(a, "sscp_conv_kernel_size"), _pairs(a, "sscp_conv_stride_size")
    f = a.int("input_feat_size")
    front: tuple[ExtraTensor, ...] = ()
    for i, (c_out, (kh, kw), (_sh, sw)) in enumerate(zip(channels, kernels, strides)):
        c_in = 1 if i == 0 else channels[i - 1]
        front += (ExtraTensor(f"subsample_conv_projection.conv_{i}.conv.weight", "patch_embed", (c_out, c_in, kh, kw)),
                  ExtraTensor(f"subsample_conv_projection.conv_{i}.norm.weight", "norm_embed", (c_out,)))
        f = (f + 2 - kw) // sw + 1
        if f < 1:
            raise ConfigError(f"{a.origin}: {a.prefix}input_feat_size: no frequency bins are left after conv_{i}")
    front += (_lin("subsample_conv_projection.input_proj_linear", "patch_embed", h, channels[-1] * f),)
    block: tuple[ExtraTensor, ...] = ()
    for ff in ("ffw_layer_start", "ffw_layer_end"):
        block += (ExtraTensor(f"{ff}.pre_layer_norm.weight", "norm_mlp_in", (h,)), _lin(f"{ff}.ffw_layer_1", "mlp_up", 4 * h, h),
                  _lin(f"{ff}.ffw_layer_2", "mlp_down", h, 4 * h), ExtraTensor(f"{ff}.post_layer_norm.weight", "norm_mlp_out", (h,)))
    block += (ExtraTensor("attention.pre_attn_norm.weight", "norm_attn_in", (h,)),
              ExtraTensor("attention.attn.per_dim_scale", "other", (hd,)),
              _lin("attention.attn.relative_position_embedding.pos_proj", "pos_embed", heads * hd, h),
              _lin("attention.attn.q_proj", "attn_q", heads * hd, h), _lin("attention.attn.k_proj", "attn_k", heads * hd, h),
              _lin("attention.attn.v_proj", "attn_v", heads * hd, h), _lin("attention.post", "attn_o", h, h),
              ExtraTensor("attention.post_norm.weight", "norm_attn_out", (h,)),
              ExtraTensor("lconv1d.pre_layer_norm.weight", "norm_mlp_in", (h,)), _lin("lconv1d.linear_start", "other", 2 * h, h),
              ExtraTensor("lconv1d.depthwise_conv1d.weight", "other", (h, 1, a.int("conf_conv_kernel_size"))),
              ExtraTensor("lconv1d.conv_norm.weight", "norm_mlp_in", (h,)), _lin("lconv1d.linear_end", "other", h, h),
              ExtraTensor("norm.weight", "norm_mlp_out", (h,)))
    # attention chunking / context, logit cap, residual weight, gradient clipping, reduction factor, eps: no tensors
    a.touch("conf_attention_chunk_size", "conf_attention_context_left", "conf_attention_context_right",
            "conf_attention_logit_cap", "conf_reduction_factor", "conf_residual_weight", "gradient_clipping",
            "sscp_conv_group_norm_eps", "rms_norm_eps")
    layer = LayerSpec(extra=block)
    return StackSpec("audio", h, (layer,) * a.int("conf_num_hidden_layers", minimum=0), component="audio", extra=front,
                     causal=False)


def _embedder(tower: str, m: Cfg, text_hidden: int) -> tuple[ExtraTensor, ...]:
    """Gemma3nMultimodalEmbedder: an embedding [vocab_size, hidden] of the tower's hard tokens, hard and soft
    RMSNorms [hidden], embedding_projection [text hidden, hidden] without bias; its post-projection RMSNorm has no
    scale."""
    d = m.int("hidden_size")
    m.touch("vocab_offset", "rms_norm_eps")
    p = f"projector.embed_{tower}"
    return (ExtraTensor(f"{p}.embedding.weight", "other", (m.int("vocab_size"), d)),
            ExtraTensor(f"{p}.hard_embedding_norm.weight", "norm_embed", (d,)),
            ExtraTensor(f"{p}.soft_embedding_norm.weight", "norm_embed", (d,)),
            _lin(f"{p}.embedding_projection", "other", text_hidden, d))


def gemma3n(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Gemma 3n (Gemma3nForConditionalGeneration / Gemma3nModel): the lm_head is tied to the text embedding when
    tie_word_embeddings (the top level's, where the composite reads it)."""
    from .multimodal import _with_tie

    text = _sub(c, "text_config", _TEXT_DEFAULTS)
    lm = gemma3n_text(_with_tie(text, c, True), "gemma3n_text", name=name, architecture=architecture, head=head)
    text.touch("model_type")
    vision_cfg, audio_cfg = _sub(c, "vision_config", _VISION_DEFAULTS), _sub(c, "audio_config", _AUDIO_DEFAULTS)
    vision, audio = mobilenetv5_tower(vision_cfg), audio_tower(audio_cfg)
    embedders = _embedder("vision", vision_cfg, lm.hidden_size) + _embedder("audio", audio_cfg, lm.hidden_size)
    # soft-token counts and the special token ids are prompt layout, not tensors
    c.touch("audio_soft_tokens_per_image", "vision_soft_tokens_per_image")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (vision, audio), extra=lm.extra + embedders,
                   warnings=lm.warnings + (_TOWERS_WARNING,))
