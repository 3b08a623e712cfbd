"""`paramscope memory`: the JSON contract, the table's units, and the pictures."""

from __future__ import annotations

import json

import pytest

from paramscope.cli import main

KEYS = ("weights_bytes", "kv_cache_bytes", "activation_bytes", "overhead_bytes", "total_bytes")


@pytest.mark.parametrize("engine", ["transformers", "vllm", "llama.cpp"])
def test_json_has_integer_fields_that_add_up(capsys, engine):
    assert main(["memory", "qwen3-8b", "--engine", engine, "--batch", "4", "--context", "8k", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert all(isinstance(d[k], int) and d[k] >= 0 for k in KEYS)
    assert d["total_bytes"] == sum(d[k] for k in KEYS[:4])


def test_table_labels_gb_and_gib(capsys):
    assert main(["memory", "llama-2-7b", "--weights", "fp16"]) == 0
    out = capsys.readouterr().out
    assert "GB (1e9)" in out and "GiB (2^30)" in out
    assert "13.48 GB" in out  # 2 x 6,738,415,616 bytes of fp16 weights


def test_training_json(capsys):
    assert main(["memory", "llama-2-7b", "--train", "--zero", "2", "--dp", "4", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    parts = ("weights_bytes", "gradients_bytes", "optimizer_bytes", "master_weights_bytes", "activations_bytes",
             "recompute_bytes", "buffers_bytes")
    assert d["total_bytes"] == sum(d[k] for k in parts)


@pytest.mark.parametrize("suffix,magic", [(".png", b"\x89PNG"), (".svg", b"<?xml")])
def test_plot_files(tmp_path, capsys, suffix, magic):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"m{suffix}"
    assert main(["memory", "mixtral-8x7b", "--plot", str(out)]) == 0
    assert out.read_bytes().startswith(magic)
    t = tmp_path / f"t{suffix}"
    assert main(["memory", "llama-2-7b", "--train", "--plot", str(t)]) == 0
    assert t.read_bytes().startswith(magic)


def test_plot_bad_extension(tmp_path, capsys):
    assert main(["memory", "llama-2-7b", "--plot", str(tmp_path / "x.jpg")]) == 2
    assert "expected a file name ending" in capsys.readouterr().err
