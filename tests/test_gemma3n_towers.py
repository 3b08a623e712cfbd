"""Gemma 3n's towers tensor by tensor against transformers 5.23 on the meta device: the audio encoder
(Gemma3nAudioEncoder), the multimodal embedders, and the MobileNetV5 vision encoder (timm, through TimmWrapperModel;
compared when timm is importable, else its total is pinned to the figure measured with timm 1.0.31)."""

from __future__ import annotations

import re

import pytest

from paramscope.errors import UnsupportedArchitectureError
from paramscope.inventory import build_inventory
from paramscope.params import count
from paramscope.sources.config_access import Cfg
from paramscope.sources.gemma3n_mm import audio_tower
from paramscope.sources.hf_config import spec_from_config
from paramscope.sources.mobilenetv5 import mobilenetv5_tower

torch = pytest.importorskip("torch")
tf = pytest.importorskip("transformers")
tf.logging.set_verbosity_error()

SMALL_AUDIO = dict(hidden_size=64, conf_num_attention_heads=4, conf_num_hidden_layers=2, conf_conv_kernel_size=7,
                   input_feat_size=40, sscp_conv_channel_size=[8, 4], sscp_conv_kernel_size=[[3, 5], [3, 3]],
                   sscp_conv_stride_size=[[2, 3], [2, 2]])
# MobileNetV5-300M encoder as timm 1.0.31 builds it (mobilenetv5_300m_enc, num_classes=0)
MNV5_300M_TOTAL = 294_126_912


def _meta(build):
    with torch.device("meta"):
        return build()


def _by_block(named, block_re: str) -> dict:
    """{block key: sorted (name within the block, shape)} and the rest under key None."""
    out: dict = {}
    for name, shape in named:
        m = re.match(block_re, name)
        key, rest = (m.group(1), m.group(2)) if m else (None, name)
        out.setdefault(key, []).append((rest, tuple(shape)))
    return {k: sorted(v) for k, v in out.items()}


def _stack_named(stack) -> list:
    named = [(e.name, e.shape) for e in stack.extra]
    for i, layer in enumerate(stack.layers):
        named += [(f"{stack.name}.{i}.{e.name}", e.shape) for e in layer.extra]
    return named


@pytest.mark.parametrize("overrides", [{}, SMALL_AUDIO], ids=["default", "small"])
def test_audio_encoder_tensor_by_tensor(overrides):
    cfg = tf.Gemma3nAudioConfig(**overrides)
    model = _meta(lambda: tf.AutoModel.from_config(cfg))
    hf = _by_block([(n, p.shape) for n, p in model.named_parameters()], r"conformer\.(\d+)\.(.*)")
    ours = _by_block(_stack_named(audio_tower(Cfg(cfg.to_dict(), "config.json"))), r"audio\.(\d+)\.(.*)")
    assert ours == hf


def test_audio_encoder_refuses_a_third_subsampling_conv():
    with pytest.raises(Exception, match="sscp_conv_channel_size"):
        audio_tower(Cfg(dict(tf.Gemma3nAudioConfig().to_dict(), sscp_conv_channel_size=[8, 8, 8]), "config.json"))


def test_composite_without_the_vision_tower_matches_transformers_parts():
    """Text model + audio tower + both embedders, each built by transformers (no timm needed)."""
    from transformers.models.gemma3n.modeling_gemma3n import Gemma3nMultimodalEmbedder

    cfg = tf.Gemma3nConfig()
    parts = [lambda: tf.AutoModel.from_config(cfg.text_config), lambda: tf.AutoModel.from_config(cfg.audio_config),
             lambda: Gemma3nMultimodalEmbedder(cfg.vision_config, cfg.text_config),
             lambda: Gemma3nMultimodalEmbedder(cfg.audio_config, cfg.text_config)]
    hf = sum(p.numel() for build in parts for p in _meta(build).parameters())
    d = dict(cfg.to_dict(), architectures=["Gemma3nModel"])
    inv = build_inventory(spec_from_config(d))
    ours = count(inv)
    assert ours.by_component["vision"] == MNV5_300M_TOTAL
    assert ours.total - MNV5_300M_TOTAL == hf


def test_vision_tower_total_is_the_timm_figure():
    tower = mobilenetv5_tower(Cfg({"architecture": "mobilenetv5_300m_enc"}, "config.json"))
    n = sum(_numel(e.shape) for e in tower.extra) + sum(_numel(e.shape) for layer in tower.layers for e in layer.extra)
    assert n == MNV5_300M_TOTAL


def _numel(shape) -> int:
    out = 1
    for d in shape:
        out *= d
    return out


def vision_tower_tensor_by_tensor_with_timm() -> None:
    """MobileNetV5-300M tensor by tensor against timm, through transformers' TimmWrapperModel. Not a test: timm needs
    torchvision, whose wheels for torch 2.13 are CUDA builds (gigabytes), so this runs by hand where timm is
    installed (scripts/check_gemma3n_timm.py); everywhere else test_vision_tower_total_is_the_timm_figure pins the
    total measured with timm 1.0.31."""
    cfg = tf.Gemma3nConfig().vision_config
    model = _meta(lambda: tf.AutoModel.from_config(cfg))
    # timm names blocks.<stage>.<block>; paramscope's tower has one layer per stage
    hf_named = [(re.sub(r"^timm_model\.blocks\.", "vision.", n).removeprefix("timm_model."), p.shape)
                for n, p in model.named_parameters()]
    tower = mobilenetv5_tower(Cfg(cfg.to_dict(), "config.json"))
    assert _by_block(_stack_named(tower), r"vision\.(\d+)\.(.*)") == _by_block(hf_named, r"vision\.(\d+)\.(.*)")


@pytest.mark.parametrize("change", [{"architecture": "mobilenetv5_base"}, {"model_args": {"depth": 3}}])
def test_vision_tower_refuses_what_it_does_not_describe(change):
    with pytest.raises(UnsupportedArchitectureError):
        mobilenetv5_tower(Cfg(dict(tf.Gemma3nConfig().vision_config.to_dict(), **change), "config.json"))
