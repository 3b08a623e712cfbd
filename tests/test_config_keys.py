"""No silent wrong number from a config: every key is read, known not to change shapes, or refused.

The walk over transformers' model types is the independent truth (transformers builds each config on the
meta device); the unit cases below pin the behaviours the walk relies on.
"""

from __future__ import annotations

import json

import pytest

from paramscope.errors import ConfigError, ParamscopeError, UnsupportedArchitectureError
from paramscope.inventory import build_inventory
from paramscope.params import count
from paramscope.sources.hf_config import ADAPTERS, spec_from_config

LLAMA = dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64, intermediate_size=96,
             num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, vocab_size=300)
QWEN3_MOE = dict(model_type="qwen3_moe", architectures=["Qwen3MoeForCausalLM"], hidden_size=64,
                 intermediate_size=96, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                 head_dim=16, vocab_size=300, moe_intermediate_size=32, num_experts_per_tok=2)


def total(cfg: dict) -> int:
    return count(build_inventory(spec_from_config(cfg))).total


# ------------------------------------------------------------------ unknown keys and aliases


def test_a_key_the_adapter_does_not_read_is_refused_with_its_name_and_value():
    with pytest.raises(UnsupportedArchitectureError) as exc:
        spec_from_config(dict(LLAMA, num_local_experts=128))
    msg = str(exc.value)
    assert "num_local_experts=128" in msg and "llama" in msg


def test_keys_known_not_to_change_shapes_are_accepted():
    extra = dict(rope_theta=5e5, rms_norm_eps=1e-5, attention_dropout=0.0, bos_token_id=1, eos_token_id=[2, 3],
                 initializer_range=0.02, use_cache=True, pretraining_tp=1, rope_scaling={"type": "linear"},
                 torch_dtype="bfloat16", _name_or_path="x", id2label={"0": "a"})
    assert total(dict(LLAMA, **extra)) == total(LLAMA)


def test_old_and_new_names_of_the_expert_count_are_one_setting():
    old = total(dict(QWEN3_MOE, num_experts=4))  # the name checkpoints before transformers 5 wrote
    new = total(dict(QWEN3_MOE, num_local_experts=4))  # the name transformers 5.23 writes
    dense = total(dict(QWEN3_MOE, num_experts=0))
    assert old == new > dense


def test_both_names_with_different_values_are_refused():
    with pytest.raises(ConfigError, match="contradicts"):
        spec_from_config(dict(QWEN3_MOE, num_experts=4, num_local_experts=8))


def test_model_type_contradicting_the_architecture_is_refused():
    cfg = dict(LLAMA, model_type="gpt2", architectures=["MistralForCausalLM"])
    with pytest.raises(ConfigError, match="contradicts architectures"):
        spec_from_config(cfg)


def test_unknown_model_type_takes_the_family_of_a_known_architecture():
    cfg = dict(LLAMA, model_type="kimi_like_release")
    spec = spec_from_config(cfg)
    assert spec.model_type == "llama"
    assert any("kimi_like_release" in w for w in spec.warnings)
    assert total(cfg) == total(LLAMA)


def test_transformers_architecture_without_adapter_is_refused_not_guessed():
    """A transformers model_type paramscope has no adapter for is refused even with Llama's keys (OLMo-1,
    before its adapter, had exactly Llama's keys and LayerNorms without weights)."""
    from paramscope.sources.config_keys import _registry, transformers_model_types

    missing = sorted(t for t in transformers_model_types() if t not in ADAPTERS)
    assert missing, "every transformers model type has an adapter: pick another probe"
    model_type = missing[0]
    cls = next(k for k, v in _registry()["classes"].items() if v == [model_type])
    with pytest.raises(UnsupportedArchitectureError, match="no adapter"):
        spec_from_config(dict(LLAMA, model_type=model_type, architectures=[cls]))


def test_unknown_family_is_generic_only_when_every_key_is_understood():
    generic = dict(LLAMA, model_type="brand_new_lm", architectures=["BrandNewLMForCausalLM"])
    assert total(generic) == total(LLAMA)
    with pytest.raises(UnsupportedArchitectureError, match="moe_layer_period=2"):
        spec_from_config(dict(generic, moe_layer_period=2))


@pytest.mark.parametrize("layers", [2**31, 1e8, 100_000])
def test_layer_counts_are_bounded_before_anything_is_built(layers):
    with pytest.raises(ConfigError, match="absurdly large"):
        spec_from_config(dict(LLAMA, num_hidden_layers=layers))


def test_refusal_on_the_cli_is_one_line_exit_2(tmp_path, capsys):
    from paramscope.cli import main

    d = tmp_path / "m"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(dict(LLAMA, num_local_experts=8)))
    assert main(["params", str(d / "config.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "num_local_experts=8" in err[0]


def test_every_catalog_config_is_fully_understood():
    from paramscope import catalog

    for rec in catalog.all_records():
        if rec.get("kind") == "config":
            spec_from_config(rec["config"], name=rec["id"])  # raises on any unexplained key


# ------------------------------------------------------------------ transformers as the truth

tf = pytest.importorskip("transformers")
pytest.importorskip("torch")

from transformers_walk import VARIANTS, compare, transformers_lm_types  # noqa: E402


def test_registry_data_matches_installed_transformers():
    import importlib.util
    import pathlib

    path = pathlib.Path(__file__).resolve().parent.parent / "scripts" / "gen_transformers_registry.py"
    spec = importlib.util.spec_from_file_location("gen_registry", path)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    stored = json.loads(gen.OUT.read_text(encoding="utf-8"))
    fresh = gen.registry()
    assert stored["transformers_version"] == fresh["transformers_version"]
    assert stored["aliases"] == fresh["aliases"]
    assert stored["classes"] == fresh["classes"]


@pytest.mark.parametrize("kind,model_type,cls_name", transformers_lm_types(),
                         ids=[f"{k}:{m}" for k, m, _ in transformers_lm_types()])
def test_every_transformers_model_type_is_exact_or_refused(kind, model_type, cls_name):
    """Default config, save_pretrained's diff config, a small perturbed config and that config untied (or tied):
    never a wrong total. A family paramscope has an adapter for must be exact at its defaults, not refused."""
    outcomes = {v: compare(model_type, cls_name, v) for v in VARIANTS}
    wrong = {v: d for v, (o, d) in outcomes.items() if o == "wrong"}
    assert not wrong
    if model_type in ADAPTERS:  # an adapter never refuses a key of its own family's defaults
        assert not [d for o, d in outcomes.values() if o == "refused" and "not understood" in d], outcomes


def test_walk_keeps_its_coverage():
    """The exact count at default configs only grows (276 when this test was last raised; 275 without timm, which
    transformers needs to build gemma3n's vision tower and paramscope does not depend on). At 275 every remaining
    default pair is one transformers itself cannot build."""
    import importlib.util

    floor = 276 if importlib.util.find_spec("timm") is not None else 275
    exact = {(k, mt) for k, mt, cls in transformers_lm_types() if compare(mt, cls, "default")[0] == "exact"}
    assert len(exact) >= floor, sorted(exact)


def test_paramscope_error_is_the_only_way_to_refuse():
    assert issubclass(UnsupportedArchitectureError, ParamscopeError)
