"""Gemma 3n's vision tower: timm's MobileNetV5 encoder, described block by block from its architecture definition.

transformers builds the tower as ``AutoModel.from_config(vision_config)`` -> TimmWrapperModel
(timm_wrapper/modeling_timm_wrapper.py), which calls ``timm.create_model(architecture, num_classes=0,
**model_args)``. The shapes below follow timm 1.0.31:

- models/mobilenetv5.py ``_gen_mobilenet_v5`` (the architecture definitions, stem_size 64, RmsNorm2d, layer scale),
  ``MobileNetV5Encoder`` (stem ConvNormAct with a bias, the blocks, the multi-scale fusion adapter ``msfa`` fed by
  the last two feature levels and writing num_features = 2048 channels) and ``MobileNetV5MultiScaleFusionAdapter``
  (a UniversalInvertedResidual of expansion 2 without mid conv and without layer scale, then an RmsNorm2d);
- models/_efficientnet_builder.py ``_decode_block_str`` (the block strings), ``EfficientNetBuilder`` (channel
  rounding, which blocks get a layer scale, which stage ends are feature levels);
- models/_efficientnet_blocks.py ``EdgeResidual`` (a full conv_exp k x k and a 1x1 conv_pwl, each with a norm, no
  layer scale), ``UniversalInvertedResidual`` (optional depthwise start conv, 1x1 expansion, optional depthwise mid
  conv, 1x1 projection, optional depthwise end conv, each with a norm; a layer scale) and ``MobileAttention`` (a norm,
  MultiQueryAttention2d of layers/attention2d.py: query [heads x key_dim, in], one key and one value head
  [key_dim, in], each behind a depthwise down_conv and norm when kv_stride > 1, output [out, heads x value_dim]; no
  biases; a layer scale).

RmsNorm2d has a weight and no bias; no convolution has a bias except the stem's. Roles: the stem is the patch
embedding, the attention blocks' projections are q/k/v/o, the block norms before them norm_attn_in, every other norm
norm_mlp_in (the convolution blocks are the tower's feed-forward), the fusion adapter's last norm norm_final.
"""

from __future__ import annotations

import re

from ..errors import UnsupportedArchitectureError
from ..spec import ExtraTensor, LayerSpec, StackSpec
from .config_access import Cfg

# timm 1.0.31 models/mobilenetv5.py _gen_mobilenet_v5 (the branch every variant but mobilenetv5_base takes): one
# list of block strings per stage
_MNV5_300M = (
    ("er_r1_k3_s2_e4_c128",) + ("er_r1_k3_s1_e4_c128",) * 2,
    ("uir_r1_a3_k5_s2_e6_c256", "uir_r1_a5_k0_s1_e4_c256", "uir_r1_a3_k0_s1_e4_c256", "uir_r1_a5_k0_s1_e4_c256",
     "uir_r1_a3_k0_s1_e4_c256"),
    ("uir_r1_a5_k5_s2_e6_c640",) + ("uir_r1_a5_k0_s1_e4_c640",) * 7 + ("uir_r1_a0_k0_s1_e1_c640",)
    + ("mqa_r1_k3_h12_v2_s1_d64_c640", "uir_r1_a0_k0_s1_e2_c640") * 14,
    ("uir_r1_a5_k5_s2_e6_c1280",) + ("mqa_r1_k3_h16_s1_d96_c1280", "uir_r1_a0_k0_s1_e2_c1280") * 19,
)
#: the timm architectures whose encoder is described (TimmWrapperModel builds them with num_classes=0)
ARCHITECTURES = {"mobilenetv5_300m_enc": _MNV5_300M}
_STEM, _MSFA_OUT = 64, 2048  # MobileNetV5Encoder: stem_size=64, num_features = msfa out_chs = 2048


def _make_divisible(v: float, divisor: int = 8) -> int:
    """timm layers/helpers.py make_divisible (round_limit 0.9)."""
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _decode(block: str, origin: str) -> tuple[str, int, dict[str, int | float]]:
    """(block type, repeats, numeric options) of one timm block string (_decode_block_str)."""
    kind, *ops = block.split("_")
    opts: dict[str, int | float] = {}
    for op in ops:
        m = re.fullmatch(r"([a-z]+)(\d+(?:\.\d+)?)", op)
        if m is None:
            raise UnsupportedArchitectureError(f"{origin}: block {block!r}: option {op!r} is not described")
        opts[m.group(1)] = float(m.group(2)) if "." in m.group(2) else int(m.group(2))
    return kind, int(opts.pop("r")), opts


def _conv(name: str, out_c: int, in_c: int, k: int, role: str = "other", *, depthwise: bool = False) -> ExtraTensor:
    return ExtraTensor(f"{name}.weight", role, (out_c, 1 if depthwise else in_c, k, k))


def _norm(name: str, width: int, role: str = "norm_mlp_in") -> ExtraTensor:
    return ExtraTensor(f"{name}.weight", role, (width,))


def _uir(in_c: int, out_c: int, start: int, mid: int, end: int, exp: float, *, scale: bool) -> tuple[ExtraTensor, ...]:
    """UniversalInvertedResidual's tensors (_efficientnet_blocks.py)."""
    m = _make_divisible(in_c * exp)
    out: tuple[ExtraTensor, ...] = ()
    if start:
        out += (_conv("dw_start.conv", in_c, in_c, start, depthwise=True), _norm("dw_start.bn", in_c))
    out += (_conv("pw_exp.conv", m, in_c, 1), _norm("pw_exp.bn", m))
    if mid:
        out += (_conv("dw_mid.conv", m, m, mid, depthwise=True), _norm("dw_mid.bn", m))
    out += (_conv("pw_proj.conv", out_c, m, 1), _norm("pw_proj.bn", out_c))
    if end:
        out += (_conv("dw_end.conv", out_c, out_c, end, depthwise=True), _norm("dw_end.bn", out_c))
    return out + ((ExtraTensor("layer_scale.gamma", "other", (out_c,)),) if scale else ())


def _block(kind: str, o: dict, in_c: int, out_c: int, block: str, origin: str) -> tuple[ExtraTensor, ...]:
    if kind == "er":  # EdgeResidual: no layer scale (the builder passes none)
        m = _make_divisible((o.get("fc") or in_c) * o["e"])
        return (_conv("conv_exp", m, in_c, o["k"]), _norm("bn1", m), _conv("conv_pwl", out_c, m, o.get("p", 1)),
                _norm("bn2", out_c))
    if kind == "uir":
        return _uir(in_c, out_c, o.get("a", 0), o["k"], o.get("p", 0), o["e"], scale=True)
    if kind == "mqa":  # MobileAttention(use_multi_query=True) around MultiQueryAttention2d
        heads, dk = o["h"], o["d"]
        out: tuple[ExtraTensor, ...] = (_norm("norm", in_c, "norm_attn_in"),
                                        _conv("attn.query.proj", heads * dk, in_c, 1, "attn_q"))
        for part, role in (("key", "attn_k"), ("value", "attn_v")):
            if o.get("v", 1) > 1:  # the key / value path downsamples first: a depthwise conv and its norm
                out += (_conv(f"attn.{part}.down_conv", in_c, in_c, o["k"], depthwise=True),
                        _norm(f"attn.{part}.norm", in_c, "other"))
            out += (_conv(f"attn.{part}.proj", dk, in_c, 1, role),)
        return out + (_conv("attn.output.proj", out_c, heads * dk, 1, "attn_o"),
                      ExtraTensor("layer_scale.gamma", "other", (out_c,)))
    raise UnsupportedArchitectureError(f"{origin}: block {block!r}: block type {kind!r} is not described")


def mobilenetv5_tower(v: Cfg) -> StackSpec:
    """The vision tower of a gemma3n vision_config: one layer per stage, the stem and fusion adapter as extras."""
    arch = v.str("architecture", "mobilenetv5_300m_enc")
    stages = ARCHITECTURES.get(arch)
    if stages is None:
        raise UnsupportedArchitectureError(
            f"{v.origin}: {v.prefix}architecture {arch!r}: only the timm encoder(s) {', '.join(sorted(ARCHITECTURES))} "
            "are described")
    args = v.raw("model_args")
    if args:  # keyword arguments to timm.create_model (depth, channel multiplier...): not described
        raise UnsupportedArchitectureError(f"{v.origin}: {v.prefix}model_args={args!r}: timm overrides are not described")
    # do_pooling and the timm label bookkeeping shape nothing; hidden_size sizes Gemma3nMultimodalEmbedder
    v.touch("do_pooling", "num_classes", "label_names", "initializer_range")
    extra = [ExtraTensor("conv_stem.conv.weight", "patch_embed", (_STEM, 3, 3, 3)),
             ExtraTensor("conv_stem.conv.bias", "patch_embed", (_STEM,)), _norm("conv_stem.bn", _STEM, "norm_embed")]
    layers: list[LayerSpec] = []  # one per stage (timm's blocks.<stage>), its blocks' tensors named <block>.<tensor>
    in_c = _STEM
    decoded = [[_decode(b, v.origin) + (b,) for b in stage] for stage in stages]
    # feature levels (EfficientNetBuilder.__call__): the stem when the first block strides, then every stage end
    # followed by a striding stage (or the last stage)
    features = [_STEM] if decoded[0][0][2]["s"] > 1 else []
    for si, stage in enumerate(decoded):
        tensors: list[ExtraTensor] = []
        blocks = [(kind, o, b) for kind, repeats, o, b in stage for _ in range(repeats)]
        for i, (kind, o, b) in enumerate(blocks):
            out_c = _make_divisible(o["c"])
            tensors += [ExtraTensor(f"{i}.{t.name}", t.role, t.shape) for t in _block(kind, o, in_c, out_c, b, v.origin)]
            in_c = out_c
        layers.append(LayerSpec(extra=tuple(tensors)))
        if si + 1 == len(decoded) or decoded[si + 1][0][2]["s"] > 1:
            features.append(in_c)
    fused = sum(features[-2:])  # msfa_indices (-2, -1)
    extra += [ExtraTensor(f"msfa.ffn.{t.name}", t.role, t.shape) for t in _uir(fused, _MSFA_OUT, 0, 0, 0, 2.0, scale=False)]
    extra.append(_norm("msfa.norm", _MSFA_OUT, "norm_final"))
    return StackSpec("vision", _MSFA_OUT, tuple(layers), component="vision", extra=tuple(extra), causal=False)
