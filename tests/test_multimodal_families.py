"""Composite (vision + language) families against transformers' ForConditionalGeneration classes, built on
the meta device: the total and the split between language model, vision tower and projector."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.model import from_config  # noqa: E402
from paramscope.params import analyze, count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

LLAMA4_TINY = dict(
    model_type="llama4", architectures=["Llama4ForConditionalGeneration"],
    text_config=dict(model_type="llama4_text", hidden_size=64, intermediate_size=32, intermediate_size_mlp=96,
                     num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=300,
                     num_local_experts=4, num_experts_per_tok=1, interleave_moe_layer_step=2, attention_chunk_size=8,
                     no_rope_layer_interval=2),
    vision_config=dict(model_type="llama4_vision_model", hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                       num_attention_heads=4, image_size=56, patch_size=14, vision_output_dim=40,
                       projector_input_dim=40, projector_output_dim=40, pixel_shuffle_ratio=0.5))


def _hf(config: dict):
    kwargs = {k: v for k, v in config.items() if k not in ("architectures", "transformers_version")}
    cfg = transformers.CONFIG_MAPPING[config["model_type"]](**kwargs)
    with torch.device("meta"):
        model = getattr(transformers, config["architectures"][0])._from_config(cfg)
    by_part = {"language": 0, "vision": 0, "projector": 0}
    for name, p in model.named_parameters():
        part = "vision" if "vision_model" in name else "projector" if "multi_modal_projector" in name else "language"
        by_part[part] += p.numel()
    return by_part


def _catalog(rid: str) -> dict:
    from paramscope import catalog

    return catalog.get(rid)["config"]


@pytest.mark.parametrize("config", [LLAMA4_TINY, _catalog("llama-4-scout-17b-16e-instruct"),
                                    _catalog("llama-4-maverick-17b-128e-instruct")],
                         ids=["tiny", "scout", "maverick"])
def test_llama4_matches_transformers_by_component(config):
    hf = _hf(config)
    report = analyze(from_config(config))
    assert report.total == sum(hf.values())
    assert report.by_component["vision"] == hf["vision"]
    assert report.by_component["projector"] == hf["projector"]


def test_llama4_vision_defaults_are_transformers_when_the_file_has_none():
    config = {k: v for k, v in LLAMA4_TINY.items() if k != "vision_config"}
    spec = spec_from_config(config)
    assert any("vision_config is absent" in w for w in spec.warnings)
    assert count(build_inventory(spec)).total == sum(_hf(config).values())
