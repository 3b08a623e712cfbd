"""config.json -> ModelSpec for vision-language models: Gemma 3 (SigLIP tower) and Qwen2-VL.

The vision encoder becomes a stack of component "vision" and the projector a set of "projector"
tensors, so both are counted in ``total`` (transformers builds them) but reported apart from the
language model. Layouts from transformers 5.x gemma3/modeling_gemma3.py, siglip/modeling_siglip.py and
qwen2_vl/modeling_qwen2_vl.py.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import ConfigError
from ..spec import (
    AttentionSpec,
    ExtraTensor,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    StackSpec,
)
from .common import layernorm as _ln
from .config_access import Cfg
from .decoders import decoder_spec


def _siglip_tower(v: Cfg) -> StackSpec:
    """SigLIP vision transformer (Zhai et al. 2023) as Gemma 3 uses it."""
    d = v.int("hidden_size")
    heads = v.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    inter = v.int("intermediate_size")
    patch, image = v.int("patch_size"), v.int("image_size")
    channels = v.int("num_channels", 3)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=v.str("hidden_act", "gelu_pytorch_tanh")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    extra = [
        ExtraTensor("patch_embed.weight", "patch_embed", (d, channels, patch, patch)),
        ExtraTensor("patch_embed.bias", "patch_embed", (d,)),
        ExtraTensor("pos_embed.weight", "pos_embed", ((image // patch) ** 2, d)),
    ]
    if v.bool("vision_use_head", True):  # attention-pooling head (SiglipMultiheadAttentionPoolingHead)
        extra += [
            ExtraTensor("head.probe", "other", (1, 1, d)),
            ExtraTensor("head.attn.in_proj.weight", "attn_qkv", (3 * d, d)),
            ExtraTensor("head.attn.in_proj.bias", "attn_qkv", (3 * d,)),
            ExtraTensor("head.attn.out_proj.weight", "attn_o", (d, d)),
            ExtraTensor("head.attn.out_proj.bias", "attn_o", (d,)),
            ExtraTensor("head.norm.weight", "norm_final", (d,)),
            ExtraTensor("head.norm.bias", "norm_final", (d,)),
            ExtraTensor("head.mlp.up.weight", "mlp_up", (inter, d)),
            ExtraTensor("head.mlp.up.bias", "mlp_up", (inter,)),
            ExtraTensor("head.mlp.down.weight", "mlp_down", (d, inter)),
            ExtraTensor("head.mlp.down.bias", "mlp_down", (d,)),
        ]
    n = v.int("num_hidden_layers", minimum=0)
    return StackSpec("vision", d, (layer,) * n, component="vision", final_norm=_ln("norm_final", d),
                     extra=tuple(extra), causal=False)


# Hub config.json files for Gemma 3 list only the keys that differ from the config classes' defaults;
# transformers fills the rest from Gemma3TextConfig / SiglipVisionConfig (transformers 5.23,
# models/gemma3/configuration_gemma3.py and models/siglip/configuration_siglip.py).
_GEMMA3_TEXT_DEFAULTS = {
    "vocab_size": 262208, "hidden_size": 2304, "intermediate_size": 9216, "num_hidden_layers": 26,
    "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
    "hidden_activation": "gelu_pytorch_tanh", "attention_bias": False, "sliding_window": 4096,
    "query_pre_attn_scalar": 256, "max_position_embeddings": 131072, "sliding_window_pattern": 6,
}
_SIGLIP_DEFAULTS = {
    "hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
    "num_channels": 3, "image_size": 224, "patch_size": 16, "hidden_act": "gelu_pytorch_tanh",
    "vision_use_head": True,
}


def _defaults(c: Cfg, defaults: dict) -> Cfg:
    """``c`` with the config class's defaults filled in for keys the file leaves out."""
    return c.with_data({**defaults, **c.data})


def gemma3(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Gemma 3 (Gemma Team 2025): a Gemma-3 text decoder, a SigLIP tower, and a projector made of an
    RMSNorm on the vision features and a [vision_hidden, text_hidden] matrix."""
    text = _defaults(c.sub("text_config"), _GEMMA3_TEXT_DEFAULTS)
    vision = _defaults(c.sub("vision_config"), _SIGLIP_DEFAULTS)
    lm = decoder_spec(_with_tie(text, c, True), "gemma3_text", name=name, architecture=architecture, head=head)
    tower = _siglip_tower(vision)
    dv = tower.hidden_size
    projector = (
        ExtraTensor("projector.input_projection", "other", (dv, lm.hidden_size)),
        ExtraTensor("projector.soft_emb_norm.weight", "norm_embed", (dv,)),
    )
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + projector)


def qwen2_vl(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Qwen2-VL (Wang et al. 2024): a Qwen2 text decoder, a ViT with a Conv3d patch embedding
    (temporal_patch_size x patch_size^2, no bias), fused-qkv blocks with LayerNorms, and a patch merger
    (LayerNorm, then a 2-layer MLP from embed_dim * spatial_merge_size^2 to the text hidden size)."""
    text = c.sub("text_config", required=False) or c
    v = c.sub("vision_config")
    lm = decoder_spec(_with_tie(text, c, False), "qwen2", name=name, architecture=architecture, head=head)
    e = v.int("embed_dim")
    heads = v.int("num_heads")
    if e % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}embed_dim {e} is not divisible by num_heads {heads}")
    ratio = v.float("mlp_ratio", 4.0)
    inter = int(e * ratio)
    p, tp, m = v.int("patch_size", 14), v.int("temporal_patch_size", 2), v.int("spatial_merge_size", 2)
    layer = LayerSpec(attention=AttentionSpec(heads, heads, e // heads, qkv_bias=True, o_bias=True, fused_qkv=True),
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=v.str("hidden_act", "quick_gelu")),
                      norms=(_ln("norm_attn_in", e), _ln("norm_mlp_in", e)))
    tower = StackSpec("vision", e, (layer,) * v.int("depth", minimum=0), component="vision", causal=False,
                      extra=(ExtraTensor("patch_embed.weight", "patch_embed", (e, v.int("in_channels", 3), tp, p, p)),))
    merged = e * m * m
    out_dim = v.int("hidden_size", lm.hidden_size)
    projector = (
        ExtraTensor("projector.norm.weight", "norm_embed", (e,)),
        ExtraTensor("projector.norm.bias", "norm_embed", (e,)),
        ExtraTensor("projector.fc1.weight", "other", (merged, merged)),
        ExtraTensor("projector.fc1.bias", "other", (merged,)),
        ExtraTensor("projector.fc2.weight", "other", (out_dim, merged)),
        ExtraTensor("projector.fc2.bias", "other", (out_dim,)),
    )
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + projector)


def _with_tie(text: Cfg, top: Cfg, default: bool) -> Cfg:
    """The text sub-config with tie_word_embeddings taken from the top-level config (where the
    composite class reads it) when the top level states it."""
    data = dict(text.data)
    data["tie_word_embeddings"] = top.bool("tie_word_embeddings", text.bool("tie_word_embeddings", default))
    for key in ("torch_dtype", "dtype", "quantization_config"):  # stated once, at the top level
        if key not in data and top.raw(key) is not None:
            data[key] = top.raw(key)
    return text.with_data(data)


def llama4(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Llama 4 (Scout, Maverick): a Llama 4 text decoder (decoders.py, llama4_text), a ViT with a class
    embedding, learned positions for (image/patch)^2 + 1 tokens, an unbiased patch projection, LayerNorms with
    bias before and after the blocks, blocks with biased q/k/v/o and a plain GELU MLP with biases, and a
    pixel-shuffle adapter MLP (fc1 [projector_input_dim, intermediate_size], fc2 [projector_output_dim,
    projector_output_dim], no bias); then a projector [text hidden, vision_output_dim]
    (transformers llama4/modeling_llama4.py: Llama4VisionModel, Llama4VisionMLP2, Llama4MultiModalProjector)."""
    text = c.sub("text_config")
    v = c.sub("vision_config", required=False)
    notes: tuple[str, ...] = ()
    if v is None:  # transformers then builds Llama4VisionConfig's defaults, which are not the released towers'
        v = Cfg(dict(_LLAMA4_VISION_DEFAULTS), c.origin, "vision_config.")
        notes = ("vision_config is absent: the vision tower is counted with transformers' Llama4VisionConfig "
                 "defaults, as transformers builds it, not necessarily the released model's tower",)
    lm = decoder_spec(_with_tie(text, c, False), "llama4_text", name=name, architecture=architecture, head=head)
    d, heads = v.int("hidden_size"), v.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    inter, patch, image = v.int("intermediate_size"), v.int("patch_size"), v.int("image_size")
    channels = v.int("num_channels", 3)
    p_in, p_out = v.int("projector_input_dim"), v.int("projector_output_dim")
    v.touch("vision_feature_select_strategy", "pixel_shuffle_ratio", "vision_feature_layer", "norm_eps",
            "rope_theta", "attention_dropout")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=v.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    extra = (
        ExtraTensor("class_embedding", "pos_embed", (d,)),
        ExtraTensor("positional_embedding_vlm", "pos_embed", ((image // patch) ** 2 + 1, d)),
        ExtraTensor("patch_embedding.linear.weight", "patch_embed", (d, channels * patch * patch)),
        ExtraTensor("layernorm_pre.weight", "norm_embed", (d,)), ExtraTensor("layernorm_pre.bias", "norm_embed", (d,)),
        ExtraTensor("layernorm_post.weight", "norm_final", (d,)), ExtraTensor("layernorm_post.bias", "norm_final", (d,)),
        ExtraTensor("vision_adapter.mlp.fc1.weight", "other", (p_in, inter)),
        ExtraTensor("vision_adapter.mlp.fc2.weight", "other", (p_out, p_out)),
    )
    tower = StackSpec("vision", d, (layer,) * v.int("num_hidden_layers", minimum=0), component="vision",
                      extra=extra, causal=False)
    out_dim = v.int("vision_output_dim")
    bias = v.bool("multi_modal_projector_bias", False)
    projector = (ExtraTensor("projector.linear_1.weight", "other", (lm.hidden_size, out_dim)),)
    if bias:
        projector += (ExtraTensor("projector.linear_1.bias", "other", (lm.hidden_size,)),)
    c.touch("boi_token_index", "eoi_token_index", "image_token_index")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + projector,
                   warnings=lm.warnings + notes)


# transformers 5.23 models/llama4/configuration_llama4.py, Llama4VisionConfig defaults
_LLAMA4_VISION_DEFAULTS = {
    "hidden_size": 768, "num_hidden_layers": 34, "num_attention_heads": 16, "intermediate_size": 5632,
    "vision_output_dim": 7680, "image_size": 448, "patch_size": 14, "num_channels": 3, "projector_input_dim": 4096,
    "projector_output_dim": 4096, "multi_modal_projector_bias": False, "hidden_act": "gelu",
}



# ------------------------------------------------------------------ issue 10: more vision / audio + LM composites

_MULTIMODAL_WARNING = ("the {tower} tower's parameters are counted exactly, but its compute and activations are "
                       "not modelled (FLOPs and memory figures cover the language model only)")


def _tower_warning(tower: str) -> str:
    return _MULTIMODAL_WARNING.format(tower=tower)


def _touch_all(c: Cfg | None) -> None:
    """Mark every key of a sub-config (and its nested sub-configs) read: a part the architecture does not build
    (the vision tower of a text-only class)."""
    if c is None:
        return
    c.touch(*c.data.keys())


def _sub_or_defaults(c: Cfg, key: str, defaults: dict) -> Cfg:
    """A sub-config with its config class's defaults filled in for the keys the file leaves out (an absent
    sub-config is built from the defaults alone, as transformers does)."""
    got = c.sub(key, required=False)
    if got is None:
        return Cfg(dict(defaults), c.origin, f"{key}.")
    return got.with_data({**defaults, **got.data})


# transformers 5.23 models/mllama/configuration_mllama.py defaults
_MLLAMA_TEXT_DEFAULTS = {
    "vocab_size": 128256, "hidden_size": 4096, "hidden_act": "silu", "num_hidden_layers": 40,
    "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
    "max_position_embeddings": 131072, "tie_word_embeddings": False,
    "cross_attention_layers": [3, 8, 13, 18, 23, 28, 33, 38],
}
_MLLAMA_VISION_DEFAULTS = {
    "hidden_size": 1280, "hidden_act": "gelu", "num_hidden_layers": 32, "num_global_layers": 8, "attention_heads": 16,
    "num_channels": 3, "intermediate_size": 5120, "vision_output_dim": 7680, "image_size": 448, "patch_size": 14,
    "max_num_tiles": 4, "intermediate_layers_indices": [3, 7, 15, 23, 30],
    "supported_aspect_ratios": [[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [3, 1], [4, 1]],
}


def _mllama_text(t: Cfg) -> tuple[StackSpec, int, int]:
    """MllamaTextModel: Llama self-attention layers, and at cross_attention_layers MllamaCrossAttentionDecoderLayer,
    whose cross_attn (q/k/v/o without bias, per-head RMSNorms q_norm/k_norm; k/v read the projected vision
    states, text hidden wide) replaces self-attention, each of the attention and MLP outputs scaled by a
    tanh gate (cross_attn_attn_gate, cross_attn_mlp_gate: one parameter each)."""
    from ..spec import NormSpec

    d = t.int("hidden_size")
    n = t.int("num_hidden_layers", minimum=0)
    heads = t.int("num_attention_heads")
    kv = t.int("num_key_value_heads", heads)
    if d % heads:
        raise ConfigError(f"{t.origin}: {t.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    hd = d // heads
    mlp = MlpSpec(t.int("intermediate_size"), gated=True, activation=t.str("hidden_act", "silu"))
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    self_layer = LayerSpec(attention=AttentionSpec(heads, kv, hd), ffn=mlp, norms=norms)
    cross_layer = LayerSpec(cross_attention=AttentionSpec(heads, kv, hd, cross=True, qk_norm="head"), ffn=mlp,
                            norms=norms, extra=(ExtraTensor("xattn.attn_gate", "xattn_gate", (1,)),
                                                ExtraTensor("xattn.mlp_gate", "xattn_gate", (1,))))
    cross = set(t.int_list("cross_attention_layers") or [])
    bad = sorted(i for i in cross if i >= n)
    if bad:
        raise ConfigError(f"{t.origin}: {t.prefix}cross_attention_layers: layer {bad[0]} does not exist ({n} layers)")
    layers = tuple(cross_layer if i in cross else self_layer for i in range(n))
    t.touch("tie_word_embeddings", "rope_parameters")  # MllamaForCausalLM / ...ForConditionalGeneration tie nothing
    return StackSpec("decoder", d, layers, final_norm=NormSpec("norm_final", d)), t.int("vocab_size"), d


def mllama(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Llama 3.2 Vision (mllama/modeling_mllama.py). Text: MllamaTextModel (see _mllama_text) with an embedding
    of vocab_size + 8 rows and an untied lm_head of vocab_size rows (neither class declares tied weights).
    Vision (MllamaVisionModel): an unbiased patch Conv2d, a class embedding, gated position embeddings
    (a [(image/patch)^2 + 1, hidden] table, a tile table [max_aspect_ratio_id + 1, max_num_tiles x patches x
    hidden] and a gate), pre- and post-tile aspect-ratio embeddings [max_aspect_ratio_id + 1, max_num_tiles x
    hidden] with gates, layernorm_pre/post (with bias), num_hidden_layers local layers and num_global_layers
    gated global layers (attention without bias, fc1/fc2 with bias, LayerNorms with bias; the global ones add
    gate_attn and gate_ffn). max_aspect_ratio_id = len(supported_aspect_ratios). The projector is a Linear
    [text hidden, vision_output_dim] with bias. MllamaForCausalLM builds the text model only."""
    from dataclasses import replace as _replace

    from ..spec import EmbeddingSpec, HeadSpec
    from .common import common_fields

    text = _sub_or_defaults(c, "text_config", _MLLAMA_TEXT_DEFAULTS)
    stack, vocab, d = _mllama_text(text)
    extra = (ExtraTensor("lm_head.weight", "lm_head", (vocab, d)),) if head == "lm" else ()
    spec = ModelSpec(hidden_size=d, embedding=EmbeddingSpec(vocab + 8, d, tied_head=False),
                     stacks=(stack,), head=HeadSpec(kind="none"), extra=extra,
                     max_context=text.opt_int("max_position_embeddings"),
                     **common_fields(c, model_type, name, architecture))
    c.touch("image_token_index")
    if architecture.endswith("ForCausalLM"):
        _touch_all(c.sub("vision_config", required=False))
        return spec
    v = _sub_or_defaults(c, "vision_config", _MLLAMA_VISION_DEFAULTS)
    dv, heads = v.int("hidden_size"), v.int("attention_heads")
    if dv % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}hidden_size {dv} is not divisible by attention_heads {heads}")
    patch, image, tiles = v.int("patch_size"), v.int("image_size"), v.int("max_num_tiles")
    ratios = v.raw("supported_aspect_ratios")
    if not isinstance(ratios, list) or not ratios:
        raise ConfigError(f"{v.origin}: {v.prefix}supported_aspect_ratios: expected a non-empty list")
    rows = len(ratios) + 1
    patches = (image // patch) ** 2 + 1
    v.touch("intermediate_layers_indices", "norm_eps")
    act = v.str("hidden_act", "gelu")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, dv // heads),
                      ffn=MlpSpec(v.int("intermediate_size"), gated=False, bias=True, activation=act),
                      norms=(_ln("norm_attn_in", dv), _ln("norm_mlp_in", dv)))
    gated = _replace(layer, extra=(ExtraTensor("gate_attn", "other", (1,)), ExtraTensor("gate_ffn", "other", (1,))))
    front = (
        ExtraTensor("class_embedding", "pos_embed", (dv,)),
        ExtraTensor("patch_embed.weight", "patch_embed", (dv, v.int("num_channels", 3), patch, patch)),
        ExtraTensor("pos_embed.gate", "other", (1,)),
        ExtraTensor("pos_embed.embedding", "pos_embed", (patches, dv)),
        ExtraTensor("pos_embed.tile_embedding.weight", "pos_embed", (rows, tiles * patches * dv)),
        ExtraTensor("pre_tile_pos_embed.gate", "other", (1,)),
        ExtraTensor("pre_tile_pos_embed.embedding.weight", "pos_embed", (rows, tiles * dv)),
        ExtraTensor("post_tile_pos_embed.gate", "other", (1,)),
        ExtraTensor("post_tile_pos_embed.embedding.weight", "pos_embed", (rows, tiles * dv)),
        ExtraTensor("layernorm_pre.weight", "norm_embed", (dv,)), ExtraTensor("layernorm_pre.bias", "norm_embed", (dv,)),
        ExtraTensor("layernorm_post.weight", "norm_final", (dv,)), ExtraTensor("layernorm_post.bias", "norm_final", (dv,)),
    )
    local = StackSpec("vision", dv, (layer,) * v.int("num_hidden_layers", minimum=0), component="vision",
                      extra=front, causal=False)
    glob = StackSpec("vision_global", dv, (gated,) * v.int("num_global_layers", minimum=0), component="vision",
                     causal=False)
    projector = (ExtraTensor("projector.weight", "other", (d, v.int("vision_output_dim"))),
                 ExtraTensor("projector.bias", "other", (d,)))
    return _replace(spec, stacks=spec.stacks + (local, glob), extra=spec.extra + projector,
                    warnings=spec.warnings + (_tower_warning("vision"),))


def _text_lm(c: Cfg, *, name: str, architecture: str, head: str, tied: bool, key: str = "text_config",
             defaults: dict | None = None) -> ModelSpec:
    """The language model of a composite, described by the adapter of its own model_type (text_config.model_type,
    a family paramscope already describes), with the composite class's head tying (``tied``: whether the class
    ties its lm_head to the embedding, which transformers decides from the class's _tied_weights_keys and the
    top-level tie_word_embeddings, not from the text sub-config)."""

    text = _sub_or_defaults(c, key, defaults or {})
    return _text_lm_of(c, text, name=name, architecture=architecture, head=head, tied=tied, key=key)


def _text_lm_of(c: Cfg, text: Cfg, *, name: str, architecture: str, head: str, tied: bool,
                key: str = "text_config", text_architecture: str | None = None) -> ModelSpec:
    from ..errors import UnsupportedArchitectureError
    from ..spec import EmbeddingSpec
    from .hf_config import ADAPTERS

    mt = text.str("model_type")
    adapter = ADAPTERS.get(mt) if mt else None
    if adapter is None:
        raise UnsupportedArchitectureError(
            f"{c.origin}: {key}.model_type {mt!r}: the language model of this composite is not a family paramscope "
            "describes")
    text.touch("tie_word_embeddings")
    data = dict(text.data)
    for k in ("torch_dtype", "dtype", "quantization_config"):  # stated once, at the top level
        if k not in data and c.raw(k) is not None:
            data[k] = c.raw(k)
    lm = adapter(text.with_data(data), mt, name=name, architecture=text_architecture or f"{mt}ForCausalLM", head=head)
    e = lm.embedding
    return replace(lm, embedding=EmbeddingSpec(e.vocab_size, e.width, tied_head=tied and lm.head.kind != "none",
                                               position=e.position, max_positions=e.max_positions,
                                               token_types=e.token_types, norm=e.norm, project_to=e.project_to),
                   architecture=architecture)


def _whisper_like_tower(a: Cfg, *, positions: bool = True, k_bias: bool = False) -> StackSpec:
    """A Whisper-style audio encoder (whisper/modeling_whisper.py WhisperEncoder, copied by Qwen2-Audio, Voxtral,
    Audio Flamingo 3): conv1 [d, num_mel_bins, 3] and conv2 [d, d, 3] with bias, a sinusoidal position table of
    max_source_positions rows kept as a parameter (``positions``), pre-LN layers whose q/v/out projections have
    a bias and k has none, fc1/fc2 with bias, LayerNorms with bias, a final layer_norm."""
    d = a.int(("d_model", "hidden_size"))
    heads = a.int(("encoder_attention_heads", "num_attention_heads"))
    kv = a.int("num_key_value_heads", heads)
    if d % heads:
        raise ConfigError(f"{a.origin}: {a.prefix}hidden_size {d} is not divisible by the attention heads {heads}")
    hd = d // heads
    attn = AttentionSpec(heads, kv, hd, o_bias=True, qkv_bias=k_bias)
    extra = () if k_bias else (ExtraTensor("attn.q.bias", "attn_q", (heads * hd,)),
                               ExtraTensor("attn.v.bias", "attn_v", (kv * hd,)))
    layer = LayerSpec(attention=attn,
                      ffn=MlpSpec(a.int(("encoder_ffn_dim", "intermediate_size")), gated=False, bias=True,
                                  activation=a.str("activation_function") or a.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)), extra=extra)
    mels = a.int("num_mel_bins", 128)
    front = (ExtraTensor("conv1.weight", "patch_embed", (d, mels, 3)), ExtraTensor("conv1.bias", "patch_embed", (d,)),
             ExtraTensor("conv2.weight", "patch_embed", (d, d, 3)), ExtraTensor("conv2.bias", "patch_embed", (d,)))
    if positions:
        front += (ExtraTensor("pos_embed.weight", "pos_embed", (a.int("max_source_positions", 1500), d)),)
    else:
        a.touch("max_source_positions", "max_position_embeddings")
    a.touch("scale_embedding", "encoder_layerdrop", "layerdrop", "rope_parameters", "vocab_size")
    return StackSpec("audio", d, (layer,) * a.int(("encoder_layers", "num_hidden_layers"), minimum=0),
                     component="audio", final_norm=_ln("norm_final", d), extra=front, causal=False)


def _linear(name: str, out_f: int, in_f: int, bias: bool) -> tuple[ExtraTensor, ...]:
    w = (ExtraTensor(f"{name}.weight", "other", (out_f, in_f)),)
    return w + ((ExtraTensor(f"{name}.bias", "other", (out_f,)),) if bias else ())


def _audio_lm(c: Cfg, model_type: str, *, name: str, architecture: str, head: str, tower: StackSpec,
              projector, tied: bool, text_defaults: dict | None = None) -> ModelSpec:
    lm = _text_lm(c, name=name, architecture=architecture, head=head, tied=tied, defaults=text_defaults)
    proj = projector(tower, lm.hidden_size)
    c.touch("audio_token_index", "audio_token_id", "projector_hidden_act", "tie_word_embeddings")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("audio"),))


def qwen2_audio(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Qwen2-Audio (Chu et al. 2024; qwen2_audio/modeling_qwen2_audio.py): a Whisper-style audio encoder
    (Qwen2AudioEncoder, with its position table as a parameter), a projector Linear [text hidden, d_model] with
    bias, and the text_config language model (Qwen2 by default) with an untied lm_head (no tied weights)."""
    tower = _whisper_like_tower(c.sub("audio_config"))
    return _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower, tied=False,
                     projector=lambda t, h: _linear("projector.linear", h, t.hidden_size, True))


def voxtral(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Voxtral (Mistral AI 2025; voxtral/modeling_voxtral.py): a Whisper-style encoder (VoxtralEncoder), whose
    states are regrouped 4 frames at a time, so the projector's linear_1 reads audio intermediate_size values:
    linear_1 [text hidden, audio intermediate_size] and linear_2 [text hidden, text hidden], no biases; the
    text_config language model (Llama by default); lm_head untied (the class declares no tied weights)."""
    a = c.sub("audio_config")
    tower = _whisper_like_tower(a)
    inter = a.int(("encoder_ffn_dim", "intermediate_size"))
    c.touch("hidden_size")  # VoxtralConfig copies text_config.hidden_size here
    return _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower, tied=False,
                     projector=lambda t, h: _linear("projector.linear_1", h, inter, False)
                     + _linear("projector.linear_2", h, h, False))


def audioflamingo3(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Audio Flamingo 3 and Music Flamingo (audioflamingo3/modeling_audioflamingo3.py,
    musicflamingo/modeling_musicflamingo.py): a Whisper-style encoder (AudioFlamingo3Encoder), a projector
    linear_1 [text hidden, audio hidden] and linear_2 [text hidden, text hidden], both with a bias iff
    projector_bias (default true), and the text_config language model (Qwen2 by default); lm_head untied
    (_tied_weights_keys = None)."""
    tower = _whisper_like_tower(c.sub("audio_config"))
    bias = c.bool("projector_bias", True)
    return _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower, tied=False,
                     projector=lambda t, h: _linear("projector.linear_1", h, t.hidden_size, bias)
                     + _linear("projector.linear_2", h, h, bias))


def musicflamingo(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Music Flamingo (musicflamingo/modeling_musicflamingo.py): Audio Flamingo 3's layout plus rotary time
    embeddings over the audio windows (MusicFlamingoRotaryEmbedding: buffers only). MusicFlamingoConfig derives
    max_position_embeddings (from rope_theta) and head_dim (the audio hidden size) for them and reads
    audio_frame_step: none of the three shapes a parameter."""
    c.touch("audio_frame_step", "max_position_embeddings", "head_dim", "rope_parameters")
    return audioflamingo3(c, model_type, name=name, architecture=architecture, head=head)


def glmasr(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GLM-ASR (glmasr/modeling_glmasr.py): an audio encoder with Whisper's two convolutions but rotary
    positions (no table), GQA attention (q/v/o with bias, k without; num_key_value_heads), fc1/fc2 with bias,
    LayerNorms with bias and a final norm; states regrouped so the projector's linear_1 reads audio
    intermediate_size values: linear_1 [2 x text hidden, intermediate_size] and linear_2 [text hidden,
    2 x text hidden], with biases. The lm_head is tied to the text embedding when tie_word_embeddings (default
    true; GlmAsrForConditionalGeneration._tied_weights_keys)."""
    a = c.sub("audio_config")
    tower = _whisper_like_tower(a, positions=False)
    inter = a.int(("encoder_ffn_dim", "intermediate_size"))
    return _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower,
                     tied=c.bool("tie_word_embeddings", True),
                     projector=lambda t, h: _linear("projector.linear_1", 2 * h, inter, True)
                     + _linear("projector.linear_2", h, 2 * h, True))


def qwen3_asr(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Qwen3-ASR (qwen3_asr/modeling_qwen3_asr.py): an audio encoder whose front end is three stride-2 Conv2d
    (1 -> downsample_hidden_size -> downsample_hidden_size -> downsample_hidden_size, kernel 3, with bias) and
    conv_out, a Linear [d_model, downsample_hidden_size x frequency bins after three halvings] without bias;
    sinusoidal positions (a buffer); pre-LN layers with q/k/v/out biases, fc1/fc2 with bias; ln_post. The
    projector is linear_1 [d_model, d_model] and linear_2 [output_dim, d_model], with biases. The text_config
    language model (Qwen3 by default) has its lm_head tied to the embedding when tie_word_embeddings (default
    true; Qwen3ASRForConditionalGeneration._tied_weights_keys)."""
    a = c.sub("audio_config")
    tower = _whisper_like_tower(a, positions=False, k_bias=True)
    ds, mels = a.int("downsample_hidden_size", 480), a.int("num_mel_bins", 128)
    freq = (((mels + 1) // 2 + 1) // 2 + 1) // 2
    d = tower.hidden_size
    front = (ExtraTensor("conv2d1.weight", "patch_embed", (ds, 1, 3, 3)), ExtraTensor("conv2d1.bias", "patch_embed", (ds,)),
             ExtraTensor("conv2d2.weight", "patch_embed", (ds, ds, 3, 3)), ExtraTensor("conv2d2.bias", "patch_embed", (ds,)),
             ExtraTensor("conv2d3.weight", "patch_embed", (ds, ds, 3, 3)), ExtraTensor("conv2d3.bias", "patch_embed", (ds,)),
             ExtraTensor("conv_out.weight", "patch_embed", (d, ds * freq)))
    tower = replace(tower, extra=front)
    out_dim = a.int("output_dim")
    a.touch("n_window", "n_window_infer")
    c.touch("token_classification_bias")  # the token-classification head of another class
    return _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower,
                     tied=c.bool("tie_word_embeddings", True),
                     projector=lambda t, h: _linear("projector.linear_1", d, d, True)
                     + _linear("projector.linear_2", out_dim, d, True))


def _lin(name: str, role: str, out_f: int, in_f: int, bias: bool = True) -> tuple[ExtraTensor, ...]:
    w = (ExtraTensor(f"{name}.weight", role, (out_f, in_f)),)
    return w + ((ExtraTensor(f"{name}.bias", role, (out_f,)),) if bias else ())


def _lnx(name: str, role: str, width: int) -> tuple[ExtraTensor, ...]:
    return (ExtraTensor(f"{name}.weight", role, (width,)), ExtraTensor(f"{name}.bias", role, (width,)))


def _conformer_tower(e: Cfg) -> StackSpec:
    """Granite Speech's Conformer encoder (granite_speech/modeling_granite_speech.py GraniteSpeechCTCEncoder):
    input_linear [hidden_dim, input_dim]; per block a macaron pair of feed-forwards (LayerNorm, up [hidden x
    feedforward_mult], down, with biases), attention (LayerNorm, to_q [heads x dim_head, hidden] and to_kv
    [2 x heads x dim_head, hidden] without bias, to_out with bias, a Shaw relative-position table
    [2 x max_pos_emb + 1, dim_head]), a convolution module (LayerNorm, pointwise up_conv [2 x inner, hidden, 1],
    a depthwise conv [inner, 1, conv_kernel_size] without bias, BatchNorm1d [inner] (its running statistics are
    buffers), pointwise down_conv [hidden, inner, 1]; inner = hidden x conv_expansion_factor) and a post_norm;
    then the CTC heads out [output_dim, hidden] and out_mid [hidden, output_dim], with biases."""
    d = e.int("hidden_dim")
    m = e.int("feedforward_mult", 4)
    heads, dh = e.int("num_heads"), e.int("dim_head")
    inner = heads * dh
    ci = d * e.int("conv_expansion_factor", 2)
    k = e.int("conv_kernel_size", 15)
    out_dim = e.int("output_dim")
    # context_size sizes a buffer of clamped distances only; Granite Speech Plus's cat_hidden_layers concatenates
    # hidden states for the projector, whose input width is its own encoder_hidden_size
    e.touch("context_size", "cat_hidden_layers")
    block = ()
    for ff in ("ff1", "ff2"):
        block += _lnx(f"{ff}.pre_norm", "norm_mlp_in", d) + _lin(f"{ff}.up", "mlp_up", d * m, d) + \
            _lin(f"{ff}.down", "mlp_down", d, d * m)
    block += (_lnx("attn.pre_norm", "norm_attn_in", d) + _lin("attn.to_q", "attn_q", inner, d, False)
              + _lin("attn.to_kv", "attn_qkv", 2 * inner, d, False) + _lin("attn.to_out", "attn_o", d, inner)
              + (ExtraTensor("attn.rel_pos_emb.weight", "pos_embed", (2 * e.int("max_pos_emb", 512) + 1, dh)),))
    block += (_lnx("conv.norm", "norm_attn_in", d)
              + (ExtraTensor("conv.up_conv.weight", "other", (2 * ci, d, 1)), ExtraTensor("conv.up_conv.bias", "other", (2 * ci,)),
                 ExtraTensor("conv.depth_conv.weight", "other", (ci, 1, k))) + _lnx("conv.batch_norm", "other", ci)
              + (ExtraTensor("conv.down_conv.weight", "other", (d, ci, 1)), ExtraTensor("conv.down_conv.bias", "other", (d,)))
              + _lnx("post_norm", "norm_mlp_out", d))
    layer = LayerSpec(extra=block)
    front = _lin("input_linear", "patch_embed", d, e.int("input_dim")) + _lin("out", "other", out_dim, d) + \
        _lin("out_mid", "other", d, out_dim)
    return StackSpec("audio", d, (layer,) * e.int("num_layers", minimum=0), component="audio", extra=front,
                     causal=False)


def _qformer(q: Cfg, queries: int) -> StackSpec:
    """BLIP-2's Q-Former (blip_2/modeling_blip_2.py Blip2QFormerModel) as a projector: an input LayerNorm and
    num_hidden_layers layers of self-attention (query/key/value and output dense with bias, a LayerNorm), in
    every cross_attention_frequency-th layer (i % frequency == 0) a cross-attention whose key/value read
    encoder_hidden_size values, and the query feed-forward (intermediate_query / output_query dense with bias,
    a LayerNorm); use_qformer_text_input adds the text feed-forward (intermediate / output). The learned
    queries [1, queries, hidden] belong to it."""
    h, heads = q.int("hidden_size"), q.int("num_attention_heads")
    if h % heads:
        raise ConfigError(f"{q.origin}: {q.prefix}hidden_size {h} is not divisible by num_attention_heads {heads}")
    inter, enc = q.int("intermediate_size"), q.int("encoder_hidden_size")
    freq = q.int("cross_attention_frequency", 2)
    q.touch("vocab_size", "max_position_embeddings", "position_embedding_type")
    mlp = MlpSpec(inter, gated=False, bias=True, activation=q.str("hidden_act", "gelu"))
    text = ()
    if q.bool("use_qformer_text_input", False):
        text = _lin("intermediate", "mlp_up", inter, h) + _lin("output", "mlp_down", h, inter) + \
            _lnx("output_norm", "norm_mlp_out", h)
    attn = AttentionSpec(heads, heads, h // heads, qkv_bias=True, o_bias=True)
    xattn = AttentionSpec(heads, heads, h // heads, qkv_bias=True, o_bias=True, cross=True, kv_input_width=enc)
    plain = LayerSpec(attention=attn, ffn=mlp, norms=(_ln("norm_attn_out", h), _ln("norm_mlp_out", h)), extra=text)
    crossed = replace(plain, cross_attention=xattn, norms=plain.norms + (_ln("norm_cross_in", h),))
    layers = tuple(crossed if i % freq == 0 else plain for i in range(q.int("num_hidden_layers", minimum=0)))
    return StackSpec("qformer", h, layers, component="projector", causal=False,
                     extra=(ExtraTensor("query", "other", (1, queries, h)),) + _lnx("layernorm", "norm_embed", h))


def granite_speech(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Granite Speech (granite_speech/modeling_granite_speech.py): a Conformer encoder (_conformer_tower), a
    Q-Former projector over windows of window_size frames with window_size // downsample_rate learned queries
    (_qformer), a Linear [text hidden, Q-Former hidden] with bias, and the text_config language model (Granite)
    whose lm_head is tied to its embedding when tie_word_embeddings (default true; _tied_weights_keys). The LoRA
    adapter of has_lora_adapter is a PEFT checkpoint loaded beside the model, not counted."""
    tower = _conformer_tower(c.sub("encoder_config"))
    qf = _qformer(c.sub("projector_config"), c.int("window_size", 15) // c.int("downsample_rate", 5))
    spec = _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower,
                     tied=c.bool("tie_word_embeddings", True),
                     projector=lambda t, h: _linear("projector.linear", h, qf.hidden_size, True))
    notes = ()
    if c.bool("has_lora_adapter", True):
        notes = ("has_lora_adapter: the checkpoint's LoRA adapter is loaded by PEFT beside the model and is not "
                 "counted",)
    return replace(spec, stacks=spec.stacks + (qf,), warnings=spec.warnings + notes)


# transformers 5.23 models/fuyu/configuration_fuyu.py: the text_config FuyuConfig builds when it has none
_FUYU_TEXT_DEFAULTS = {
    "model_type": "persimmon", "vocab_size": 262144, "max_position_embeddings": 16384, "hidden_size": 4096,
    "intermediate_size": 16384, "num_hidden_layers": 36, "num_attention_heads": 64, "hidden_act": "relu2",
    "qk_layernorm": True, "partial_rotary_factor": 0.5,
}


def fuyu(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Fuyu (Adept 2023; fuyu/modeling_fuyu.py): a Persimmon decoder (the text_config; hub configs are flat, the
    text keys at the top level, which FuyuConfig gathers into its text_config) and vision_embed_tokens, a Linear
    [text hidden, patch_size^2 x num_channels] with bias that embeds raw image patches (there is no vision
    tower). The lm_head is tied to the embedding when the top-level tie_word_embeddings says so (default false;
    FuyuForCausalLM._tied_weights_keys)."""
    text = c.sub("text_config", required=False)
    if text is None:
        flat = {k: v for k, v in c.data.items() if k in _FUYU_TEXT_DEFAULTS or k in ("rope_scaling", "rope_theta",
                                                                                     "layer_norm_eps")}
        text = c.with_data({**_FUYU_TEXT_DEFAULTS, **flat, "model_type": "persimmon"})
    else:
        text = text.with_data({**_FUYU_TEXT_DEFAULTS, **text.data})
    lm = _text_lm_of(c, text, name=name, architecture=architecture, head=head,
                     tied=c.bool("tie_word_embeddings", False))
    p, ch = c.int("patch_size", 30), c.int("num_channels", 3)
    c.touch("image_size", "image_token_id")
    proj = _linear("projector.vision_embed_tokens", lm.hidden_size, p * p * ch, True)
    return replace(lm, model_type=model_type, extra=lm.extra + proj)


def _sam_tower(v: Cfg) -> StackSpec:
    """The SAM ViT image encoder (Kirillov et al. 2023) as GOT-OCR 2 builds it (got_ocr2/modeling_got_ocr2.py):
    a patch Conv2d with bias, an absolute position table [1, image/patch, image/patch, hidden] (use_abs_pos), pre-LN
    blocks with a fused qkv (bias iff qkv_bias) and proj with bias, relative position tables rel_pos_h/rel_pos_w
    [2 x size - 1, head_dim] (use_rel_pos; size = image/patch in the global_attn_indexes layers, window_size in
    the windowed ones), an MLP lin1/lin2 [mlp_dim] with biases; then the neck: conv1 [output_channels, hidden, 1, 1]
    and conv2 [output_channels, output_channels, 3, 3] without bias, each followed by a channels-first LayerNorm
    with weight and bias."""
    d, heads = v.int("hidden_size"), v.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    hd = d // heads
    image, patch = v.int("image_size"), v.int("patch_size")
    grid = image // patch
    window = v.int("window_size", 14, minimum=0)
    glob = set(v.int_list("global_attn_indexes") or [])
    rel = v.bool("use_rel_pos", True)
    base = LayerSpec(attention=AttentionSpec(heads, heads, hd, fused_qkv=True, qkv_bias=v.bool("qkv_bias", True),
                                             o_bias=True),
                     ffn=MlpSpec(v.int("mlp_dim"), gated=False, bias=True, activation=v.str("hidden_act", "gelu")),
                     norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    kinds: dict[int, LayerSpec] = {}
    layers = []
    for i in range(v.int("num_hidden_layers", minimum=0)):
        size = grid if (i in glob or window == 0) else window
        if size not in kinds:
            extra = (ExtraTensor("attn.rel_pos_h", "pos_embed", (2 * size - 1, hd)),
                     ExtraTensor("attn.rel_pos_w", "pos_embed", (2 * size - 1, hd))) if rel else ()
            kinds[size] = replace(base, extra=extra)
        layers.append(kinds[size])
    out = v.int("output_channels")
    front = (ExtraTensor("patch_embed.weight", "patch_embed", (d, v.int("num_channels", 3), patch, patch)),
             ExtraTensor("patch_embed.bias", "patch_embed", (d,)))
    if v.bool("use_abs_pos", True):
        front += (ExtraTensor("pos_embed", "pos_embed", (1, grid, grid, d)),)
    neck = (ExtraTensor("neck.conv1.weight", "other", (out, d, 1, 1)), *_lnx("neck.norm1", "norm_final", out),
            ExtraTensor("neck.conv2.weight", "other", (out, out, 3, 3)), *_lnx("neck.norm2", "norm_final", out))
    return StackSpec("vision", d, tuple(layers), component="vision", extra=front + neck, causal=False)


def got_ocr2(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GOT-OCR 2.0 (Wei et al. 2024; got_ocr2/modeling_got_ocr2.py): a SAM ViT tower (_sam_tower), a projector of
    two stride-2 Conv2d without bias (output_channels -> 2 x output_channels -> text hidden) and a Linear [text
    hidden, text hidden] with bias, and the text_config language model (Qwen2 by default) whose lm_head is tied to
    the embedding when the top-level tie_word_embeddings (default true; _tied_weights_keys)."""
    v = c.sub("vision_config")
    tower = _sam_tower(v)
    out = v.int("output_channels")
    lm = _text_lm(c, name=name, architecture=architecture, head=head, tied=c.bool("tie_word_embeddings", True))
    h = lm.hidden_size
    proj = (ExtraTensor("projector.conv_upsampler1.weight", "other", (2 * out, out, 3, 3)),
            ExtraTensor("projector.conv_upsampler2.weight", "other", (h, 2 * out, 3, 3))) + \
        _linear("projector.multimodal_projector", h, h, True)
    c.touch("image_token_index", "image_seq_length")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("vision"),))


def _clip_tower(v: Cfg, *, post_norm: bool = True) -> StackSpec:
    """A CLIP vision transformer (Radford et al. 2021; clip/modeling_clip.py CLIPVisionTransformer): a class
    embedding, an unbiased patch Conv2d, learned positions for (image/patch)^2 + 1 tokens, pre_layrnorm, pre-LN
    layers with biased q/k/v/out and fc1/fc2, post_layernorm; LayerNorms with bias."""
    d, heads = v.int("hidden_size"), v.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}hidden_size {d} is not divisible by num_attention_heads {heads}")
    patch, image = v.int("patch_size"), v.int("image_size")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(v.int("intermediate_size"), gated=False, bias=True,
                                  activation=v.str("hidden_act", "quick_gelu")),
                      norms=(_ln("norm_attn_in", d), _ln("norm_mlp_in", d)))
    front = (ExtraTensor("class_embedding", "pos_embed", (d,)),
             ExtraTensor("patch_embed.weight", "patch_embed", (d, v.int("num_channels", 3), patch, patch)),
             ExtraTensor("pos_embed.weight", "pos_embed", ((image // patch) ** 2 + 1, d)),
             *_lnx("pre_layrnorm", "norm_embed", d))
    return StackSpec("vision", d, (layer,) * v.int("num_hidden_layers", minimum=0), component="vision", extra=front,
                     final_norm=_ln("norm_final", d) if post_norm else None, causal=False)


def git(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """GIT (Wang et al. 2022; git/modeling_git.py): a CLIP image encoder (GitVisionModel), a visual projection
    (Linear [hidden, vision hidden] with bias, then a LayerNorm), num_image_with_embedding temporal embeddings
    [1, 1, vision hidden] when set, and a BERT-style text decoder: word and learned position embeddings with a
    LayerNorm, post-LN layers (q/k/v/out, intermediate/output with biases), no final norm; the output head has a
    bias and is tied to the word embeddings when tie_word_embeddings (default false; _tied_weights_keys)."""
    from ..spec import EmbeddingSpec, HeadSpec
    from .common import common_fields

    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    if d % heads:
        raise ConfigError(f"{c.origin}: hidden_size {d} is not divisible by num_attention_heads {heads}")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True),
                      ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=True,
                                  activation=c.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_out", d), _ln("norm_mlp_out", d)))
    v = c.sub("vision_config", required=False) or Cfg(dict(_GIT_VISION_DEFAULTS), c.origin, "vision_config.")
    v = v.with_data({**_GIT_VISION_DEFAULTS, **v.data})
    tower = _clip_tower(v)
    dv = tower.hidden_size
    proj = _linear("projector.visual_projection", d, dv, True) + _lnx("projector.norm", "norm_embed", d)
    frames = c.int("num_image_with_embedding", 0, minimum=0)
    proj += tuple(ExtraTensor(f"projector.img_temporal_embedding.{i}", "pos_embed", (1, 1, dv)) for i in range(frames))
    positions = c.int("max_position_embeddings")
    c.touch("position_embedding_type", "num_hidden_layers")
    return ModelSpec(
        hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", False) and head == "lm",
                                position="learned", max_positions=positions, norm=_ln("norm_embed", d)),
        stacks=(StackSpec("decoder", d, (layer,) * c.int("num_hidden_layers", minimum=0)), tower),
        head=HeadSpec(kind=head, bias=head == "lm"), max_context=positions, extra=proj,
        warnings=(_tower_warning("vision"),), **common_fields(c, model_type, name, architecture))


# transformers 5.23 models/git/configuration_git.py GitVisionConfig defaults
_GIT_VISION_DEFAULTS = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12, "num_attention_heads": 12,
                        "num_channels": 3, "image_size": 224, "patch_size": 16, "hidden_act": "quick_gelu"}


def voxtral_realtime(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Voxtral Realtime (voxtral_realtime/modeling_voxtral_realtime.py). Audio encoder: two causal Conv1d with bias
    ([d, num_mel_bins, 3], [d, d, 3]), rotary layers with RMSNorms, attention of num_attention_heads x head_dim
    (q/v/o with bias, k without), a SwiGLU MLP whose down_proj alone has a bias, a final RMSNorm; it streams with
    its own sliding-window cache, which is not modelled. Projector: linear_1 [text hidden, audio hidden x
    downsample_factor] and linear_2 [text hidden, text hidden], no biases. Text model: Mistral's layout (sliding
    window on every layer) plus, per layer, ada_rms_norm (linear1 [32, hidden], linear2 [hidden, 32], no biases)
    that conditions the MLP input on the delay; lm_head tied to the embedding when tie_word_embeddings (default
    true; _tied_weights_keys)."""
    from ..spec import NormSpec
    from .decoders import decoder_spec

    a = c.sub("audio_config")
    d, heads = a.int("hidden_size"), a.int("num_attention_heads")
    hd = a.int("head_dim", d // heads)
    inter = a.int("intermediate_size")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, hd, o_bias=True),
                      ffn=MlpSpec(inter, gated=True, activation=a.str("hidden_act", "silu")),
                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)),
                      extra=(ExtraTensor("attn.q.bias", "attn_q", (heads * hd,)),
                             ExtraTensor("attn.v.bias", "attn_v", (heads * hd,)),
                             ExtraTensor("mlp.down.bias", "mlp_down", (d,))))
    mels = a.int("num_mel_bins", 128)
    front = (ExtraTensor("conv1.weight", "patch_embed", (d, mels, 3)), ExtraTensor("conv1.bias", "patch_embed", (d,)),
             ExtraTensor("conv2.weight", "patch_embed", (d, d, 3)), ExtraTensor("conv2.bias", "patch_embed", (d,)))
    a.touch("sliding_window", "max_position_embeddings", "activation_function", "vocab_size", "rope_parameters")
    tower = StackSpec("audio", d, (layer,) * a.int("num_hidden_layers", minimum=0), component="audio", extra=front,
                      final_norm=NormSpec("norm_final", d), causal=False)
    text = c.sub("text_config")
    text.touch("tie_word_embeddings")
    lm = decoder_spec(text, "mistral", name=name, architecture=architecture, head=head)
    h = lm.hidden_size
    ada = (ExtraTensor("ada_rms_norm.linear1.weight", "other", (32, h)),
           ExtraTensor("ada_rms_norm.linear2.weight", "other", (h, 32)))
    done: dict[int, LayerSpec] = {}
    layers = []
    for lay in lm.stacks[0].layers:
        done.setdefault(id(lay), replace(lay, extra=lay.extra + ada))
        layers.append(done[id(lay)])
    tied = c.bool("tie_word_embeddings", True)
    lm = replace(lm, stacks=(replace(lm.stacks[0], layers=tuple(layers)),) + lm.stacks[1:],
                 embedding=replace(lm.embedding, tied_head=tied and head == "lm"))
    factor = c.int("downsample_factor", 4)
    proj = _linear("projector.linear_1", h, d * factor, False) + _linear("projector.linear_2", h, h, False)
    c.touch("hidden_size", "audio_length_per_tok", "default_num_delay_tokens", "projector_hidden_act")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("audio"), "the streaming audio encoder's own sliding-window "
                                           "cache is not modelled; KV figures cover the language model"))


def modernvbert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """ModernVBERT (modernvbert/modeling_modernvbert.py): a ModernBERT text encoder (the text_config, described by
    the modernbert adapter with its prediction head: dense [hidden, hidden] with a bias by classifier_bias and a
    LayerNorm, then lm_head with a bias by decoder_bias), a SigLIP vision tower with its attention-pooling head,
    and a connector Linear [text hidden, vision hidden x pixel_shuffle_factor^2] without bias after a pixel
    shuffle. The lm_head is tied to the token embedding when the top-level tie_word_embeddings (default false;
    _tied_weights_keys)."""
    v = _defaults(c.sub("vision_config"), _SIGLIP_DEFAULTS)
    tower = _siglip_tower(v)
    v.touch("layer_norm_eps", "attention_dropout")
    lm = _text_lm_of(c, c.sub("text_config"), name=name, architecture=architecture, head=head,
                     tied=c.bool("tie_word_embeddings", False), text_architecture="ModernBertForMaskedLM")
    f = c.int("pixel_shuffle_factor", 4)
    proj = _linear("projector.modality_projection", lm.hidden_size, tower.hidden_size * f * f, False)
    c.touch("image_token_id", "classifier_pooling", "classifier_bias", "initializer_cutoff_factor")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("vision"),))


def _phi4_audio_tower(a: Cfg) -> StackSpec:
    """Phi-4-multimodal's Conformer audio encoder (phi4_multimodal/modeling_phi4_multimodal.py
    Phi4MultimodalAudioModel). Front end (NemoConvSubsampling): a Conv2d [nemo_conv_channels, 1, 3, 3], then per
    further halving of time_reduction a depthwise Conv2d [channels, 1, 3, 3] and a pointwise [channels, channels,
    1, 1], all with bias, and out, a Linear [hidden, channels x nemo_final_size] with bias; a relative attention
    bias table [bias_max_distance (x 2 unless bias_symmetric), heads]; the mean/variance normaliser holds
    buffers. Each block: feed_forward_in and feed_forward_out (LayerNorm, gate_up [2 x intermediate, hidden],
    down, with biases), attention (q/k/v/o with bias), a convolution module (LayerNorm; a GLU point-wise Conv1d
    [2 x ext_pw_out_channel, hidden, 1] with bias and its b1/b2 [1, ext_pw_out_channel, 1]; a depthwise Conv1d
    [hidden x depthwise_multiplier, 1, kernel_size] and a point-wise one [depthwise_separable_out_channel, hidden x
    depthwise_multiplier, 1]; ext_pw_conv_1d [ext_pw_out_channel, hidden, 1]; all with bias), layer_norm_att and
    layer_norm (with bias)."""
    d, heads = a.int("hidden_size"), a.int("num_attention_heads")
    inter, k = a.int("intermediate_size"), a.int("kernel_size", 3)
    ext, mult = a.int("ext_pw_out_channel"), a.int("depthwise_multiplier", 1)
    ds_out = a.int("depthwise_separable_out_channel")
    block = ()
    for ff in ("ff_in", "ff_out"):
        block += _lnx(f"{ff}.norm", "norm_mlp_in", d) + _lin(f"{ff}.gate_up", "mlp_gate_up", 2 * inter, d) + \
            _lin(f"{ff}.down", "mlp_down", d, inter)
    for x, role in (("q", "attn_q"), ("k", "attn_k"), ("v", "attn_v")):
        block += _lin(f"attn.{x}", role, d, d)
    block += _lin("attn.o", "attn_o", d, d)
    block += (_lnx("conv.norm", "norm_attn_in", d)
              + (ExtraTensor("conv.glu.b1", "other", (1, ext, 1)), ExtraTensor("conv.glu.b2", "other", (1, ext, 1)),
                 ExtraTensor("conv.glu.pw.weight", "other", (2 * ext, d, 1)), ExtraTensor("conv.glu.pw.bias", "other", (2 * ext,)),
                 ExtraTensor("conv.dw.weight", "other", (d * mult, 1, k)), ExtraTensor("conv.dw.bias", "other", (d * mult,)),
                 ExtraTensor("conv.pw.weight", "other", (ds_out, d * mult, 1)), ExtraTensor("conv.pw.bias", "other", (ds_out,)),
                 ExtraTensor("conv.ext_pw.weight", "other", (ext, d, 1)), ExtraTensor("conv.ext_pw.bias", "other", (ext,)))
              + _lnx("norm_att", "norm_attn_in", d) + _lnx("norm_out", "norm_mlp_out", d))
    cc = a.int("nemo_conv_channels")
    steps = max(int(math.log2(a.int("time_reduction", 8))), 1)
    front = (ExtraTensor("embed.conv0.weight", "patch_embed", (cc, 1, 3, 3)), ExtraTensor("embed.conv0.bias", "patch_embed", (cc,)))
    for i in range(steps - 1):
        front += (ExtraTensor(f"embed.dw{i}.weight", "patch_embed", (cc, 1, 3, 3)),
                  ExtraTensor(f"embed.dw{i}.bias", "patch_embed", (cc,)),
                  ExtraTensor(f"embed.pw{i}.weight", "patch_embed", (cc, cc, 1, 1)),
                  ExtraTensor(f"embed.pw{i}.bias", "patch_embed", (cc,)))
    front += _lin("embed.out", "patch_embed", d, cc * a.int("nemo_final_size"))
    buckets = a.int("bias_max_distance", 1000) * (1 if a.bool("bias_symmetric", False) else 2)
    front += (ExtraTensor("rel_bias.weight", "rel_bias", (buckets, heads)),)
    a.touch("activation", "chunk_size", "left_chunk", "conv_activation", "input_size", "conv_glu_type", "nemo_activation",
            "feature_layer", "audio_token_id")
    return StackSpec("audio", d, (LayerSpec(extra=block),) * a.int("num_blocks", minimum=0), component="audio",
                     extra=front, causal=False)


def phi4_multimodal(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Phi-4-multimodal (Microsoft 2025; phi4_multimodal/modeling_phi4_multimodal.py): a Phi-3 decoder from the
    top-level keys (fused qkv_proj and gate_up_proj), a SigLIP vision tower with its pooling head
    (Phi4MultimodalVisionModel) and the image embedding's global/sub-image separators [1, 1, vision hidden] and
    [1, 1, 1, vision hidden] and img_projection_up [hidden, vision hidden] / img_projection_down [hidden, hidden]
    with biases; a Conformer audio encoder (_phi4_audio_tower) and its speech and vision-speech projections (up
    [hidden, audio hidden x downsample_rate], down [hidden, hidden], with biases). The lm_head is tied to the
    embedding when tie_word_embeddings (default false; _tied_weights_keys)."""
    from .decoders import decoder_spec

    lm = decoder_spec(c, "phi3", name=name, architecture=architecture, head=head)
    h = lm.hidden_size
    v = c.sub("vision_config")
    vision = _siglip_tower(v.with_data({**_SIGLIP_DEFAULTS, **v.data, "vision_use_head": True}))
    v.touch("crop_size", "image_token_id", "feature_layer", "layer_norm_eps", "attention_dropout")
    dv = vision.hidden_size
    a = c.sub("audio_config")
    audio = _phi4_audio_tower(a)
    da = audio.hidden_size * a.int("downsample_rate", 1)
    proj = (ExtraTensor("projector.global_img_feature_extensor", "other", (1, 1, dv)),
            ExtraTensor("projector.sub_img_feature_extensor", "other", (1, 1, 1, dv)))
    proj += _linear("projector.img_projection_up", h, dv, True) + _linear("projector.img_projection_down", h, h, True)
    for x in ("speech", "vision_speech"):
        proj += _linear(f"projector.up_proj_for_{x}", h, da, True) + _linear(f"projector.down_proj_for_{x}", h, h, True)
    return replace(lm, model_type=model_type, stacks=lm.stacks + (vision, audio), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("vision and audio"),))


def fun_asr_nano(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Fun-ASR-Nano (fun_asr_nano/modeling_fun_asr_nano.py). Audio encoder (SenseVoice's SAN-M): sinusoidal positions
    (no table); num_hidden_layers layers of attention with q/k/v/o biases and an FSMN memory (a depthwise Conv1d
    [hidden, 1, fsmn_kernel_size] without bias), fc1/fc2 with bias and LayerNorms with bias; the first layer reads
    num_mel_bins x num_stacked_frames values (its q/k/v and input_layernorm are that wide); a final_layernorm only
    in the last transcription layer (num_hidden_layers - num_timestamp_prediction_layers - 1) and the last layer.
    Projector: linear_1 [projector_hidden_size, audio hidden] and linear_2 [adaptor hidden, projector_hidden_size]
    with biases, then the adaptor_config's layers (the same layer without FSMN). The text_config language model
    (Qwen3 by default) has its lm_head tied to the embedding when the top-level tie_word_embeddings (default true;
    _tied_weights_keys)."""
    a = c.sub("audio_config")
    d = a.int("hidden_size")
    a.touch("num_attention_heads")  # splits the hidden width into heads; no tensor's shape depends on it
    inter, k = a.int("intermediate_size"), a.int("fsmn_kernel_size", 11)
    n = a.int("num_hidden_layers", minimum=0)
    ts = a.int("num_timestamp_prediction_layers", 20, minimum=0)
    wide = a.int("num_mel_bins", 80) * a.int("num_stacked_frames", 7)
    normed = {n - ts - 1, n - 1}
    kinds: dict[tuple, LayerSpec] = {}
    layers = []
    for i in range(n):
        key = (i == 0, i in normed)
        if key not in kinds:
            w = wide if i == 0 else d
            ex = ()
            for x, role in (("q", "attn_q"), ("k", "attn_k"), ("v", "attn_v")):
                ex += _lin(f"attn.{x}", role, d, w)
            ex += _lin("attn.o", "attn_o", d, d) + (ExtraTensor("attn.fsmn.weight", "other", (d, 1, k)),)
            ex += _lin("mlp.up", "mlp_up", inter, d) + _lin("mlp.down", "mlp_down", d, inter)
            ex += _lnx("norm_attn_in", "norm_attn_in", w) + _lnx("norm_mlp_in", "norm_mlp_in", d)
            if i in normed:
                ex += _lnx("norm_final", "norm_final", d)
            kinds[key] = LayerSpec(extra=ex)
        layers.append(kinds[key])
    a.touch("max_position_embeddings", "hidden_act")
    tower = StackSpec("audio", d, tuple(layers), component="audio", causal=False)
    ad = c.sub("adaptor_config")
    h_a, a_heads = ad.int("hidden_size"), ad.int("num_attention_heads")
    if h_a % a_heads:
        raise ConfigError(f"{ad.origin}: {ad.prefix}hidden_size {h_a} is not divisible by num_attention_heads {a_heads}")
    adaptor_layer = LayerSpec(attention=AttentionSpec(a_heads, a_heads, h_a // a_heads, qkv_bias=True, o_bias=True),
                              ffn=MlpSpec(ad.int("intermediate_size"), gated=False, bias=True,
                                          activation=ad.str("hidden_act", "relu")),
                              norms=(_ln("norm_attn_in", h_a), _ln("norm_mlp_in", h_a)))
    ph = ad.int("projector_hidden_size")
    adaptor = StackSpec("adaptor", h_a, (adaptor_layer,) * ad.int("num_hidden_layers", minimum=0), component="projector",
                        causal=False, extra=_lin("linear_1", "other", ph, d) + _lin("linear_2", "other", h_a, ph))
    ad.touch("projector_hidden_act")
    lm = _text_lm(c, name=name, architecture=architecture, head=head, tied=c.bool("tie_word_embeddings", True))
    c.touch("audio_token_id")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower, adaptor),
                   warnings=lm.warnings + (_tower_warning("audio"),))


# transformers 5.23 models/vibevoice_acoustic_tokenizer/configuration_vibevoice_acoustic_tokenizer.py, encoder defaults
_VIBEVOICE_TOKENIZER_DEFAULTS = {"channels": 1, "hidden_size": 64, "kernel_size": 7, "num_filters": 32,
                                 "downsampling_ratios": [2, 2, 4, 5, 5, 8], "depths": [3, 3, 3, 3, 3, 3, 8],
                                 "ffn_expansion": 4}


def _vibevoice_tokenizer(t: Cfg, name: str) -> StackSpec:
    """VibeVoice's convolutional tokenizer encoder (vibevoice_acoustic_tokenizer/modeling_vibevoice_acoustic_tokenizer.py
    VibeVoiceAcousticTokenizerEncoderModel): a stem Conv1d [num_filters, channels, kernel_size] and depths[0] ConvNeXt
    layers of num_filters channels; per downsampling ratio r_i a Conv1d [num_filters x 2^(i+1), num_filters x 2^i,
    2 r_i] and depths[i + 1] ConvNeXt layers of num_filters x 2^(i+1) channels; a head Conv1d [hidden_size,
    num_filters x 2^len(ratios), kernel_size]. Every conv has a bias. A ConvNeXt layer: a depthwise Conv1d mixer
    [width, 1, kernel_size] with bias, two RMSNorms, layer scales gamma and ffn_gamma [width], an MLP linear1/linear2
    [ffn_expansion x width] with biases."""
    nf, k = t.int("num_filters"), t.int("kernel_size")
    ratios = t.int_list("downsampling_ratios", minimum=1) or []
    depths = t.int_list("depths") or []
    if len(depths) != len(ratios) + 1:
        raise ConfigError(f"{t.origin}: {t.prefix}depths: {len(depths)} entries for {len(ratios)} downsampling ratios "
                          "(expected one more)")
    x = t.int("ffn_expansion", 4)
    kinds: dict[int, LayerSpec] = {}

    def convnext(w: int) -> LayerSpec:
        if w not in kinds:
            kinds[w] = LayerSpec(extra=(ExtraTensor("mixer.weight", "other", (w, 1, k)), ExtraTensor("mixer.bias", "other", (w,)),
                                        ExtraTensor("norm.weight", "norm_attn_in", (w,)),
                                        ExtraTensor("ffn_norm.weight", "norm_mlp_in", (w,)),
                                        ExtraTensor("gamma", "other", (w,)), ExtraTensor("ffn_gamma", "other", (w,)))
                                 + _lin("ffn.up", "mlp_up", x * w, w) + _lin("ffn.down", "mlp_down", w, x * w))
        return kinds[w]

    def conv(cname: str, o: int, i: int, kk: int) -> tuple[ExtraTensor, ...]:
        return (ExtraTensor(f"{cname}.weight", "patch_embed", (o, i, kk)), ExtraTensor(f"{cname}.bias", "patch_embed", (o,)))

    layers = [convnext(nf)] * depths[0]
    extra = conv("stem", nf, t.int("channels", 1), k)
    for i, r in enumerate(ratios):
        extra += conv(f"down{i}", nf * 2 ** (i + 1), nf * 2 ** i, 2 * r)
        layers += [convnext(nf * 2 ** (i + 1))] * depths[i + 1]
    extra += conv("head", t.int("hidden_size"), nf * 2 ** len(ratios), k)
    t.touch("layer_scale_init_value", "hidden_act", "vae_std", "hop_length")
    return StackSpec(name, nf, tuple(layers), component="audio", extra=extra, causal=False)


def vibevoice_asr(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """VibeVoice-ASR (vibevoice_asr/modeling_vibevoice_asr.py): an acoustic and a semantic tokenizer encoder
    (_vibevoice_tokenizer; without a semantic sub-config transformers builds one of hidden_size 128), a projector per
    path (linear_1 [text hidden, tokenizer hidden] with bias, an RMSNorm, linear_2 [text hidden, text hidden] with
    bias), and the text_config language model (Qwen2 by default) with an untied lm_head (no tied weights)."""
    def tok(key: str, absent: dict) -> Cfg:
        got = c.sub(key, required=False)
        if got is None:
            return Cfg({**_VIBEVOICE_TOKENIZER_DEFAULTS, **absent}, c.origin, f"{key}.")
        return got.with_data({**_VIBEVOICE_TOKENIZER_DEFAULTS, **got.data})

    acoustic = _vibevoice_tokenizer(tok("acoustic_tokenizer_encoder_config", {}), "acoustic_tokenizer")
    semantic = _vibevoice_tokenizer(tok("semantic_tokenizer_encoder_config", {"hidden_size": 128}), "semantic_tokenizer")
    # each tokenizer's hidden size is its head conv's output channels
    da, ds = acoustic.extra[-2].shape[0], semantic.extra[-2].shape[0]
    lm = _text_lm(c, name=name, architecture=architecture, head=head, tied=False)
    h = lm.hidden_size
    proj = ()
    for path, width in (("acoustic", da), ("semantic", ds)):
        proj += (_linear(f"projector.{path}_linear_1", h, width, True)
                 + (ExtraTensor(f"projector.{path}_norm.weight", "norm_embed", (h,)),)
                 + _linear(f"projector.{path}_linear_2", h, h, True))
    c.touch("audio_token_id", "audio_bos_token_id", "audio_eos_token_id", "acoustic_tokenizer_chunk_size",
            "tie_word_embeddings", "max_position_embeddings")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (acoustic, semantic), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("audio"),))


def moss_transcribe_diarize(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """MOSS Transcribe-Diarize (moss_transcribe_diarize/modeling_moss_transcribe_diarize.py): a Whisper-style audio
    encoder (its position table a parameter), a projector over audio_merge_size merged frames (linear_1 [text
    hidden, audio hidden x audio_merge_size] and linear_2 [text hidden, text hidden], biases by projector_bias, then
    a LayerNorm with bias), and the text_config language model (Qwen3 by default) whose lm_head is tied to the
    embedding when the top-level tie_word_embeddings (default true; _tied_weights_keys)."""
    tower = _whisper_like_tower(c.sub("audio_config"))
    merge, bias = c.int("audio_merge_size", 4), c.bool("projector_bias", True)
    c.touch("audio_chunk_size")
    return _audio_lm(c, model_type, name=name, architecture=architecture, head=head, tower=tower,
                     tied=c.bool("tie_word_embeddings", True),
                     projector=lambda t, h: _linear("projector.linear_1", h, t.hidden_size * merge, bias)
                     + _linear("projector.linear_2", h, h, bias) + _lnx("projector.norm", "norm_embed", h))


# transformers 5.23 models/mimi/configuration_mimi.py MimiConfig defaults
_MIMI_DEFAULTS = {
    "sampling_rate": 24000, "audio_channels": 1, "hidden_size": 512, "num_filters": 64, "num_residual_layers": 1,
    "upsampling_ratios": [8, 6, 5, 4], "kernel_size": 7, "last_kernel_size": 3, "residual_kernel_size": 3,
    "compress": 2, "use_conv_shortcut": False, "vector_quantization_hidden_dimension": 256, "num_quantizers": 32,
    "num_semantic_quantizers": 1, "upsample_groups": 512, "num_hidden_layers": 8, "intermediate_size": 2048,
    "num_attention_heads": 8, "num_key_value_heads": 8, "attention_bias": False,
}


def _mimi_codec(m: Cfg) -> tuple[StackSpec, StackSpec]:
    """The Mimi neural audio codec (Défossez et al. 2024; mimi/modeling_mimi.py MimiModel) as two audio stacks.
    Encoder: SEANet (a Conv1d [num_filters, audio_channels, kernel_size]; per ratio of reversed(upsampling_ratios), at
    width w = num_filters x 2^i, num_residual_layers residual blocks (Conv1d [w / compress, w, residual_kernel_size]
    and [w, w / compress, 1], a shortcut [w, w, 1] when use_conv_shortcut) and a strided Conv1d [2w, w, 2 ratio];
    a last Conv1d [hidden, w_last, last_kernel_size]; all with bias), then num_hidden_layers transformer layers
    (q/k/v/o of num_attention_heads x head_dim with biases by attention_bias, LayerNorms with bias, fc1/fc2 without
    bias, a layer scale after attention and after the MLP), then a strided Conv1d [hidden, hidden, 2 x latent_stride]
    without bias when frame_rate differs from the SEANet rate. Decoder: a grouped ConvTranspose1d [hidden, hidden /
    upsample_groups, 2 x latent_stride] without bias, the same transformer, and SEANet mirrored (ConvTranspose1d
    [w, w / 2, 2 ratio]). Quantizer: per residual vector quantizer (semantic and acoustic) input_proj / output_proj
    Conv1d [vector_quantization_hidden_dimension, hidden, 1] and back, without bias, when the widths differ; the
    codebooks are buffers."""
    h = m.int("hidden_size")
    nf, k, lk, rk = m.int("num_filters"), m.int("kernel_size"), m.int("last_kernel_size"), m.int("residual_kernel_size")
    ratios = m.int_list("upsampling_ratios", minimum=1) or []
    compress, n_res, ch = m.int("compress"), m.int("num_residual_layers", minimum=0), m.int("audio_channels")
    shortcut = m.bool("use_conv_shortcut", False)

    def conv(name: str, o: int, i: int, kk: int, bias: bool = True) -> tuple[ExtraTensor, ...]:
        return (ExtraTensor(f"{name}.weight", "other", (o, i, kk)),) + \
            ((ExtraTensor(f"{name}.bias", "other", (o,)),) if bias else ())

    def resblock(name: str, w: int) -> tuple[ExtraTensor, ...]:
        out = conv(f"{name}.conv1", w // compress, w, rk) + conv(f"{name}.conv2", w, w // compress, 1)
        return out + (conv(f"{name}.shortcut", w, w, 1) if shortcut else ())

    enc = conv("seanet.in", nf, ch, k)
    scale = 1
    for i, r in enumerate(reversed(ratios)):
        w = scale * nf
        for j in range(n_res):
            enc += resblock(f"seanet.{i}.res{j}", w)
        enc += conv(f"seanet.{i}.down", 2 * w, w, 2 * r)
        scale *= 2
    enc += conv("seanet.out", h, scale * nf, lk)
    dec = conv("seanet.in", scale * nf, h, k)
    for i, r in enumerate(ratios):
        w = scale * nf
        dec += (ExtraTensor(f"seanet.{i}.up.weight", "other", (w, w // 2, 2 * r)),
                ExtraTensor(f"seanet.{i}.up.bias", "other", (w // 2,)))
        for j in range(n_res):
            dec += resblock(f"seanet.{i}.res{j}", w // 2)
        scale //= 2
    dec += conv("seanet.out", ch, nf, lk)
    # frame rates (MimiConfig.encodec_frame_rate / frame_rate / latent_stride): the SEANet rate, and the codec's
    # (a stated frame_rate, else sampling_rate / frame_size, frame_size = prod(strides) x 2)
    sr = m.int("sampling_rate")
    hop = math.prod(ratios)
    seanet_rate = math.ceil(sr / hop)
    stated = m.raw("_frame_rate") if m.raw("_frame_rate") is not None else m.raw("frame_rate")
    rate = float(stated) if stated is not None else sr / (hop * 2)
    stride = int(seanet_rate / rate)
    if rate != seanet_rate:
        enc += conv("downsample", h, h, 2 * stride, False)
        groups = m.int("upsample_groups")
        if h % groups:
            raise ConfigError(f"{m.origin}: {m.prefix}upsample_groups {groups} does not divide hidden_size {h}")
        dec = (ExtraTensor("upsample.weight", "other", (h, h // groups, 2 * stride)),) + dec
    heads = m.int("num_attention_heads")
    kv, hd = m.int("num_key_value_heads", heads), m.int("head_dim", h // heads)
    ab = m.bool("attention_bias", False)
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, qkv_bias=ab, o_bias=ab),
                      ffn=MlpSpec(m.int("intermediate_size"), gated=False, activation=m.str("hidden_act", "gelu")),
                      norms=(_ln("norm_attn_in", h), _ln("norm_mlp_in", h)),
                      extra=(ExtraTensor("attn_layer_scale", "other", (h,)), ExtraTensor("mlp_layer_scale", "other", (h,))))
    vq = m.int("vector_quantization_hidden_dimension")
    quant = ()
    if vq != h:
        for q in ("semantic", "acoustic"):
            quant += conv(f"quantizer.{q}.input_proj", vq, h, 1, False) + conv(f"quantizer.{q}.output_proj", h, vq, 1, False)
    n = m.int("num_hidden_layers", minimum=0)
    m.touch("codebook_size", "codebook_dim", "num_quantizers", "num_semantic_quantizers", "dilation_growth_rate",
            "use_causal_conv", "pad_mode", "trim_right_ratio", "max_position_embeddings", "sliding_window",
            "layer_scale_initial_scale", "use_streaming", "rope_parameters", "norm_eps", "tie_word_embeddings")
    return (StackSpec("codec_encoder", h, (layer,) * n, component="audio", extra=enc + quant, causal=False),
            StackSpec("codec_decoder", h, (layer,) * n, component="audio", extra=dec, causal=False))


def kyutai_speech_to_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Kyutai speech-to-text (kyutai_speech_to_text/modeling_kyutai_speech_to_text.py): a decoder over text and audio
    codes whose embedding has vocab_size + num_codebooks x codebook_vocab_size + 1 rows (KyutaiSpeechToTextEmbeddings),
    layers of rotary attention (q/k/v/o without bias, num_key_value_heads, head_dim) over a sliding window of
    sliding_window tokens, a gated MLP (fc1 [ffn_dim, hidden] giving value and gate, fc2 [hidden, ffn_dim / 2], no
    biases) and RMSNorms, a final RMSNorm; lm_head [vocab_size, hidden] (its tie to the larger embedding is refused);
    and the Mimi codec of codec_config (_mimi_codec), whose encoder turns audio into the codes."""
    from ..errors import UnsupportedArchitectureError
    from ..spec import EmbeddingSpec, HeadSpec, NormSpec
    from .common import common_fields

    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv, hd = c.int("num_key_value_heads", heads), c.int("head_dim", d // heads)
    ffn = c.int("ffn_dim")
    if ffn % 2:
        raise ConfigError(f"{c.origin}: ffn_dim {ffn} is odd; its gated MLP halves it")
    if c.bool("tie_word_embeddings", False):
        raise UnsupportedArchitectureError(f"{c.origin}: tie_word_embeddings=true: the lm_head [vocab_size, hidden] "
                                           "cannot share the larger audio+text embedding table")
    window = c.int("sliding_window", 375)
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, window=window),
                      ffn=MlpSpec(ffn // 2, gated=True, fused_gate_up=True, activation=c.str("hidden_act", "silu")),
                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)))
    vocab = c.int("vocab_size")
    rows = vocab + c.int("num_codebooks") * c.int("codebook_vocab_size") + 1
    codec = _mimi_codec(_sub_or_defaults(c, "codec_config", _MIMI_DEFAULTS))
    dec = StackSpec("decoder", d, (layer,) * c.int("num_hidden_layers", minimum=0), final_norm=NormSpec("norm_final", d))
    extra = (ExtraTensor("lm_head.weight", "lm_head", (vocab, d)),) if head == "lm" else ()
    c.touch("frame_size", "audio_bos_token_id", "audio_pad_token_id")
    return ModelSpec(hidden_size=d, embedding=EmbeddingSpec(rows, d, tied_head=False), stacks=(dec,) + codec,
                     head=HeadSpec(kind="none"), extra=extra, max_context=c.opt_int("max_position_embeddings"),
                     warnings=(_tower_warning("audio codec"),), **common_fields(c, model_type, name, architecture))


def moshi(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Moshi's text decoder (Défossez et al. 2024; moshi/modeling_moshi.py MoshiForCausalLM): an embedding of
    vocab_size + 1 rows, the layers Kyutai speech-to-text also uses (rotary attention q/k/v/o without bias over a
    sliding window, a gated MLP fc1 [ffn_dim, hidden] / fc2 [hidden, ffn_dim / 2], RMSNorms), a final RMSNorm and an
    untied lm_head [vocab_size, hidden]. MoshiForCausalLM builds neither the depth decoder nor the Mimi codec of the
    composite config; the speech-to-speech MoshiForConditionalGeneration is refused."""
    from ..errors import UnsupportedArchitectureError
    from ..spec import EmbeddingSpec, HeadSpec, NormSpec
    from .common import common_fields

    if not architecture.endswith("ForCausalLM"):
        raise UnsupportedArchitectureError(f"{c.origin}: {architecture}: only MoshiForCausalLM (the text decoder) is "
                                           "described; the depth decoder and audio embeddings are not")
    d, heads = c.int("hidden_size"), c.int("num_attention_heads")
    kv, hd = c.int("num_key_value_heads", heads), c.int("head_dim", d // heads)
    ffn = c.int("ffn_dim")
    if ffn % 2:
        raise ConfigError(f"{c.origin}: ffn_dim {ffn} is odd; its gated MLP halves it")
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, window=c.int("sliding_window", 3000)),
                      ffn=MlpSpec(ffn // 2, gated=True, fused_gate_up=True, activation=c.str("hidden_act", "silu")),
                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)))
    vocab = c.int("vocab_size")
    _touch_all(c.sub("audio_encoder_config", required=False))
    _touch_all(c.sub("depth_decoder_config", required=False))
    c.touch("audio_vocab_size", "num_codebooks", "tie_word_embeddings")  # used by the composite's other parts
    dec = StackSpec("decoder", d, (layer,) * c.int("num_hidden_layers", minimum=0), final_norm=NormSpec("norm_final", d))
    extra = (ExtraTensor("lm_head.weight", "lm_head", (vocab, d)),) if head == "lm" else ()
    return ModelSpec(hidden_size=d, embedding=EmbeddingSpec(vocab + 1, d, tied_head=False), stacks=(dec,),
                     head=HeadSpec(kind="none"), extra=extra, max_context=c.opt_int("max_position_embeddings"),
                     **common_fields(c, model_type, name, architecture))


def ultravbert(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """UltraVBERT (ultravbert/modeling_ultravbert.py): an UltraBERT text encoder (the text_config, described by the
    ultrabert adapter with its prediction head: linear1 [prediction_head_size, hidden] and linear2 back, no biases,
    then an unbiased lm_head), a SigLIP vision tower (UltraVBertConfig builds it without the pooling head when it
    has no vision_config; a stated vision_config keeps SigLIP's own default, with the head), and a connector
    Linear [text hidden, vision hidden x pixel_shuffle_factor^2] without bias followed by an RMSNorm [text hidden].
    The lm_head is tied to the token embedding when the top-level tie_word_embeddings (default false;
    _tied_weights_keys)."""
    got = c.sub("vision_config", required=False)
    v = Cfg({**_SIGLIP_DEFAULTS, "vision_use_head": False}, c.origin, "vision_config.") if got is None else \
        _defaults(got, _SIGLIP_DEFAULTS)
    tower = _siglip_tower(v)
    v.touch("layer_norm_eps", "attention_dropout")
    lm = _text_lm_of(c, c.sub("text_config"), name=name, architecture=architecture, head=head,
                     tied=c.bool("tie_word_embeddings", False), text_architecture="UltrabertForMaskedLM")
    f = c.int("pixel_shuffle_factor", 4)
    h = lm.hidden_size
    proj = _linear("projector.modality_projection", h, tower.hidden_size * f * f, False) + \
        (ExtraTensor("projector.norm.weight", "norm_embed", (h,)),)
    c.touch("image_token_id", "classifier_pooling", "initializer_cutoff_factor")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (tower,), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("vision"),))


def _nemotron_audio_stack(a: Cfg, name: str, *, qk_norm: bool, front: tuple[ExtraTensor, ...]) -> StackSpec:
    """The rotary audio encoder layers of Nemotron 3.5 Transcribe and its diarization model
    (nemotron3_5_transcribe/modeling_nemotron3_5_transcribe.py Nemotron3_5TranscribeAsrAudioLayer,
    nemotron3_diarization/modeling_nemotron3_diarization.py Nemotron3DiarizationAudioLayer): q_proj [heads x
    head_dim, hidden], k_proj [num_key_value_heads x head_dim, hidden] and v_proj [heads x head_dim, hidden] without
    bias, o_proj with bias, (ASR and word-timestamp layers) LayerNorm q_norm / k_norm over head_dim, layer_norm1 /
    layer_norm2 and fc1 / fc2 with biases; an input_layer_norm before the layers and a layer_norm after them."""
    d, heads = a.int("hidden_size"), a.int("num_attention_heads")
    kv, hd = a.int("num_key_value_heads", heads), a.int("head_dim", d // heads)
    inter = a.int("intermediate_size")
    ex = (_lin("attn.q", "attn_q", heads * hd, d, False) + _lin("attn.k", "attn_k", kv * hd, d, False)
          + _lin("attn.v", "attn_v", heads * hd, d, False) + _lin("attn.o", "attn_o", d, heads * hd))
    if qk_norm:
        ex += _lnx("attn.q_norm", "norm_q", hd) + _lnx("attn.k_norm", "norm_k", hd)
    ex += (_lnx("norm1", "norm_attn_in", d) + _lnx("norm2", "norm_mlp_in", d)
           + _lin("mlp.up", "mlp_up", inter, d) + _lin("mlp.down", "mlp_down", d, inter))
    a.touch("hidden_act", "max_position_embeddings", "rope_parameters")
    return StackSpec(name, d, (LayerSpec(extra=ex),) * a.int("num_hidden_layers", minimum=0), component="audio",
                     extra=front + _lnx("input_norm", "norm_embed", d) + _lnx("norm", "norm_final", d), causal=False)


def nemo_speechlm(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Nemotron 3.5 Transcribe (model_type nemo_speechlm; nemotron3_5_transcribe/modeling_nemotron3_5_transcribe.py).
    Audio tower: an ASR encoder (a feature-stacking Linear [hidden, subsampling_factor x num_mel_bins] without bias,
    then _nemotron_audio_stack with q/k norms) and a Sortformer diarization model run side by side
    (nemotron3_diarization: the same stacking and layers without q/k norms; proj [head hidden, audio_hidden_size]
    and a sub-pixel upsampler Conv1d [head hidden x subsampling_factor, head hidden, 3], with biases; a classifier
    dense [head hidden, head hidden] and out_proj [num_speakers, head hidden] with biases; silence_embeds [audio
    hidden]); asr_norm [ASR hidden] and speaker_norm [num_speakers] LayerNorms (the speaker embedding is a buffer).
    A projector Linear [text hidden, ASR hidden] with bias, the text_config language model (Nemotron-H) with an
    untied lm_head (_tied_weights_keys = None), and the word-timestamp branch: an upsampling ConvTranspose1d
    [hidden, hidden, upsampling_factor] with bias, _nemotron_audio_stack with q/k norms, and word_timestamp_head, a
    Conv1d [vocab_size, hidden, 1] with bias."""
    au = c.sub("audio_config")
    asr = au.sub("asr_config")
    ah = asr.int("hidden_size")
    stack_front = (ExtraTensor("embedder.weight", "patch_embed", (ah, asr.int("subsampling_factor", 8) * asr.int("num_mel_bins", 128))),)
    asr_stack = _nemotron_audio_stack(asr, "audio", qk_norm=True, front=stack_front)
    di = au.sub("diarization_config")
    da, hc = di.sub("audio_config"), di.sub("head_config")
    dh = da.int("hidden_size")
    dfront = (ExtraTensor("embedder.weight", "patch_embed", (dh, da.int("subsampling_factor", 8) * da.int("num_mel_bins", 128))),)
    hh, speakers = hc.int("hidden_size"), hc.int("num_speakers")
    sub = hc.int("subsampling_factor", 8)
    dfront += (_lin("proj", "other", hh, hc.int("audio_hidden_size"))
               + (ExtraTensor("upsampler.weight", "other", (hh * sub, hh, 3)), ExtraTensor("upsampler.bias", "other", (hh * sub,)))
               + _lin("classifier.dense", "other", hh, hh) + _lin("classifier.out_proj", "other", speakers, hh)
               + (ExtraTensor("silence_embeds", "other", (dh,)),))
    diar = _nemotron_audio_stack(da, "diarization", qk_norm=False, front=dfront)
    _touch_all(di.sub("streaming_config", required=False))
    di.touch("chunk_length", "chunk_right_context", "chunk_left_context", "fifo_length", "speaker_cache_update_period")
    au.touch("speaker_activity_threshold")
    wt = c.sub("word_timestamp_config")
    wh = wt.int("hidden_size")
    f = wt.int("upsampling_factor", 2)
    wfront = (ExtraTensor("upsampler.weight", "other", (wh, wh, f)), ExtraTensor("upsampler.bias", "other", (wh,)),
              ExtraTensor("head.weight", "other", (wt.int("vocab_size"), wh, 1)),
              ExtraTensor("head.bias", "other", (wt.int("vocab_size"),)))
    word = _nemotron_audio_stack(wt, "word_timestamps", qk_norm=True, front=wfront)
    wt.touch("blank_token_id", "residual_scale")
    text = c.sub("text_config")
    # Nemotron-H reads intermediate_size for its dense MLP blocks only; a pattern of Mamba, attention and MoE blocks
    # (this model's) leaves it unused, and when a dense block exists the adapter reads it itself
    text.touch("intermediate_size")
    lm = _text_lm_of(c, text, name=name, architecture=architecture, head=head, tied=False)
    h = lm.hidden_size
    proj = (_linear("projector.linear", h, ah, True) + _lnx("audio.asr_norm", "norm_final", ah)
            + _lnx("audio.speaker_norm", "norm_final", speakers))
    c.touch("audio_token_id", "tie_word_embeddings")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (asr_stack, diar, word), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("audio"),))


def _vibevoice_decoder(t: Cfg) -> StackSpec:
    """The acoustic tokenizer's decoder (VibeVoiceAcousticTokenizerDecoderModel; its config reverses depths and
    uses upsampling_ratios = reversed(downsampling_ratios)): with n = len(depths) and D = reversed(depths), a stem
    Conv1d [num_filters x 2^(n-1), hidden_size, kernel_size] and D[0] ConvNeXt layers of that width; per stage s a
    ConvTranspose1d [num_filters x 2^(n-1-s), num_filters x 2^(n-2-s), 2 x ratio] and D[s + 1] ConvNeXt layers of
    the smaller width; a head Conv1d [channels, num_filters, kernel_size]; all with bias."""
    nf, k = t.int("num_filters"), t.int("kernel_size")
    ratios = list(reversed(t.int_list("downsampling_ratios", minimum=1) or []))
    depths = list(reversed(t.int_list("depths") or []))
    n = len(depths)
    if n != len(ratios) + 1:
        raise ConfigError(f"{t.origin}: {t.prefix}depths: {n} entries for {len(ratios)} downsampling ratios")
    x = t.int("ffn_expansion", 4)
    kinds: dict[int, LayerSpec] = {}

    def convnext(w: int) -> LayerSpec:
        if w not in kinds:
            kinds[w] = LayerSpec(extra=(ExtraTensor("mixer.weight", "other", (w, 1, k)), ExtraTensor("mixer.bias", "other", (w,)),
                                        ExtraTensor("norm.weight", "norm_attn_in", (w,)),
                                        ExtraTensor("ffn_norm.weight", "norm_mlp_in", (w,)),
                                        ExtraTensor("gamma", "other", (w,)), ExtraTensor("ffn_gamma", "other", (w,)))
                                 + _lin("ffn.up", "mlp_up", x * w, w) + _lin("ffn.down", "mlp_down", w, x * w))
        return kinds[w]

    top = nf * 2 ** (n - 1)
    extra = (ExtraTensor("stem.weight", "patch_embed", (top, t.int("hidden_size"), k)),
             ExtraTensor("stem.bias", "patch_embed", (top,)))
    layers = [convnext(top)] * depths[0]
    for s_, r in enumerate(ratios):
        wi, wo = nf * 2 ** (n - 1 - s_), nf * 2 ** (n - 2 - s_)
        extra += (ExtraTensor(f"up{s_}.weight", "patch_embed", (wi, wo, 2 * r)), ExtraTensor(f"up{s_}.bias", "patch_embed", (wo,)))
        layers += [convnext(wo)] * depths[s_ + 1]
    ch = t.int("channels", 1)
    extra += (ExtraTensor("head.weight", "patch_embed", (ch, nf, k)), ExtraTensor("head.bias", "patch_embed", (ch,)))
    return StackSpec("acoustic_decoder", nf, tuple(layers), component="audio", extra=extra, causal=False)


def vibevoice(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """VibeVoice text-to-speech (vibevoice/modeling_vibevoice.py): the acoustic tokenizer's encoder and decoder
    (audio_config: _vibevoice_tokenizer, _vibevoice_decoder), the semantic tokenizer's encoder (semantic_model_config;
    hidden_size 128 when absent), two connectors (linear_1 [text hidden, tokenizer hidden] and linear_2 [text hidden,
    text hidden] with biases, an RMSNorm between), the text_config language model (Qwen2), a diffusion head
    (noisy_images_proj [hidden, latent], cond_proj, a timestep MLP fc1 [hidden, frequency_embedding_size] / fc2, per
    layer an adaptive RMSNorm's linear [3 x hidden, hidden] and a SwiGLU MLP of intermediate_size (biases by
    mlp_bias), a final layer linear_1 [2 x hidden, hidden] and linear_2 [latent, hidden], no other biases; hidden =
    text hidden and latent = acoustic hidden, as VibeVoiceConfig sets them) and two scalar latent factors. The lm_head
    is tied to the embedding when text_config.tie_word_embeddings (VibeVoiceConfig copies it; _tied_weights_keys)."""
    a = _defaults(c.sub("audio_config"), _VIBEVOICE_TOKENIZER_DEFAULTS)
    enc = replace(_vibevoice_tokenizer(a, "acoustic_tokenizer"), name="acoustic_encoder")
    dec = _vibevoice_decoder(a)
    got = c.sub("semantic_model_config", required=False)
    sem_c = Cfg({**_VIBEVOICE_TOKENIZER_DEFAULTS, "hidden_size": 128}, c.origin, "semantic_model_config.") \
        if got is None else got.with_data({**_VIBEVOICE_TOKENIZER_DEFAULTS, **got.data})
    sem = _vibevoice_tokenizer(sem_c, "semantic_tokenizer")
    da, ds = enc.extra[-2].shape[0], sem.extra[-2].shape[0]
    text = c.sub("text_config")
    lm = _text_lm_of(c, text, name=name, architecture=architecture, head=head,
                     tied=text.bool("tie_word_embeddings", False))
    h = lm.hidden_size
    dh = c.sub("diffusion_head_config", required=False)
    dh = Cfg({}, c.origin, "diffusion_head_config.") if dh is None else dh
    dh.touch("hidden_size", "latent_size")  # VibeVoiceConfig sets both from the text and acoustic widths
    inter, freq = dh.int("intermediate_size", 4608), dh.int("frequency_embedding_size", 256)
    mb = dh.bool("mlp_bias", False)
    block = (ExtraTensor("norm.weight", "norm_mlp_in", (h,)), ExtraTensor("ada.weight", "other", (3 * h, h)))
    diff = StackSpec("diffusion_head", h, (LayerSpec(ffn=MlpSpec(inter, gated=True, bias=mb,
                                                                activation=dh.str("hidden_act", "silu")),
                                                    extra=block),) * dh.int("num_hidden_layers", 4, minimum=0),
                     component="audio", causal=False,
                     extra=(ExtraTensor("noisy_images_proj.weight", "other", (h, da)),
                            ExtraTensor("cond_proj.weight", "other", (h, h)),
                            ExtraTensor("timestep.fc1.weight", "other", (h, freq)),
                            ExtraTensor("timestep.fc2.weight", "other", (h, h)),
                            ExtraTensor("final.linear_1.weight", "other", (2 * h, h)),
                            ExtraTensor("final.linear_2.weight", "other", (da, h))))
    dh.touch("diffusion_max_period")
    proj = ()
    for path, width in (("acoustic", da), ("semantic", ds)):
        proj += (_linear(f"projector.{path}_linear_1", h, width, True)
                 + (ExtraTensor(f"projector.{path}_norm.weight", "norm_embed", (h,)),)
                 + _linear(f"projector.{path}_linear_2", h, h, True))
    proj += (ExtraTensor("audio.latent_scaling_factor", "other", ()), ExtraTensor("audio.latent_bias_factor", "other", ()))
    c.touch("audio_bos_token_id", "audio_eos_token_id", "audio_token_id", "diffusion_loss_weight", "tie_word_embeddings",
            "vocab_size")
    return replace(lm, model_type=model_type, stacks=lm.stacks + (enc, dec, sem, diff), extra=lm.extra + proj,
                   warnings=lm.warnings + (_tower_warning("audio tokenizer and diffusion head"),))
