"""config.json -> ModelSpec for vision-language models: Gemma 3 (SigLIP tower) and Qwen2-VL.

The vision encoder becomes a stack of component "vision" and the projector a set of "projector"
tensors, so both are counted in ``total`` (transformers builds them) but reported apart from the
language model. Layouts from transformers 5.x gemma3/modeling_gemma3.py, siglip/modeling_siglip.py and
qwen2_vl/modeling_qwen2_vl.py.
"""

from __future__ import annotations

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

