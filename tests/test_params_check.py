"""`paramscope params MODEL --check`: transformers' own module on the meta device as a second opinion."""

from __future__ import annotations

import dataclasses
import json

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from paramscope.check import compare  # noqa: E402
from paramscope.cli import main  # noqa: E402
from paramscope.errors import InputError  # noqa: E402
from paramscope.inventory import Inventory  # noqa: E402
from paramscope.model import load_model  # noqa: E402

LLAMA = dict(model_type="llama", architectures=["LlamaForCausalLM"], hidden_size=64, intermediate_size=96,
             num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, vocab_size=300)


def test_catalog_model_checks_equal(capsys):
    assert main(["params", "llama-2-7b", "--check", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["check"]["equal"] and d["check"]["transformers_total"] == d["total"] == 6_738_415_616


def test_a_config_directory_is_checked(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    (d / "config.json").write_text(json.dumps(LLAMA))
    assert main(["params", str(d), "--check"]) == 0
    out = capsys.readouterr().out
    assert "check: transformers" in out and ": equal" in out


def test_a_wrong_native_count_is_reported_group_by_group():
    model = load_model("llama-2-7b")
    dropped = [t for t in model.inventory.tensors if t.role == "attn_k"][0]
    broken = dataclasses.replace(model, inventory=Inventory(tuple(t for t in model.inventory.tensors if t is not dropped)))
    report = compare(broken)
    assert not report.equal
    assert report.transformers_total - report.paramscope_total == dropped.stored
    assert report.differences and all("attention" in d for d in report.differences)


def test_no_transformers_class_means_no_check(tmp_path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps(dict(LLAMA, model_type="brand_new_lm", architectures=["BrandNewLMForCausalLM"])))
    with pytest.raises(InputError, match="nothing to check against"):
        compare(load_model(str(path)))
