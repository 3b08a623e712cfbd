"""Small pieces every family adapter shares."""

from __future__ import annotations

from ..spec import NormSpec
from .config_access import Cfg


def layernorm(role: str, width: int, bias: bool = True) -> NormSpec:
    """A LayerNorm (weight, and bias unless ``bias`` is false)."""
    return NormSpec(role, width, bias=bias, kind="layernorm")


def common_fields(c: Cfg, model_type: str, name: str, architecture: str) -> dict:
    """The ModelSpec fields every adapter fills the same way: names, checkpoint dtype, quantization."""
    return dict(name=name, architecture=architecture, model_type=model_type,
                dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))
