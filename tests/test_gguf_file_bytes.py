"""A GGUF file's bytes on disk, reported apart from its tensor data: checked against os.stat and the gguf
package's own tensor sizes for files the gguf package writes (with a tokenizer in the metadata)."""

from __future__ import annotations

import json
import os

import pytest

gguf = pytest.importorskip("gguf")
np = pytest.importorskip("numpy")

from paramscope.cli import main  # noqa: E402
from paramscope.model import load_model  # noqa: E402

SHAPES = [("token_embd.weight", (100, 32)), ("output_norm.weight", (32,)), ("output.weight", (100, 32)),
          ("blk.0.attn_norm.weight", (32,)), ("blk.0.attn_q.weight", (32, 32)), ("blk.0.attn_k.weight", (16, 32)),
          ("blk.0.attn_v.weight", (16, 32)), ("blk.0.attn_output.weight", (32, 32)), ("blk.0.ffn_norm.weight", (32,)),
          ("blk.0.ffn_gate.weight", (64, 32)), ("blk.0.ffn_up.weight", (64, 32)), ("blk.0.ffn_down.weight", (32, 64))]


def _write(path, vocab_words: int) -> int:
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(32)
    w.add_feed_forward_length(64)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(100)
    w.add_tokenizer_model("llama")
    w.add_token_list([f"token-{i:06d}" for i in range(vocab_words)])
    data = 0
    for name, shape in SHAPES:
        arr = np.zeros(shape, dtype=np.float16)
        w.add_tensor(name, arr)
        data += arr.nbytes
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return data


@pytest.mark.parametrize("vocab_words", [100, 5000])
def test_file_bytes_equal_the_file_on_disk(tmp_path, vocab_words):
    path = tmp_path / "m" / "x.gguf"
    path.parent.mkdir()
    data = _write(path, vocab_words)
    files = load_model(str(path)).files
    assert files["file_bytes"] == os.path.getsize(path)
    assert files["tensor_bytes"] == data
    assert files["header_bytes"] == os.path.getsize(path) - data > 0


def test_a_bigger_tokenizer_grows_only_the_header(tmp_path):
    small, big = tmp_path / "a.gguf", tmp_path / "b.gguf"
    _write(small, 100)
    _write(big, 5000)
    a, b = load_model(str(small)).files, load_model(str(big)).files
    assert a["tensor_bytes"] == b["tensor_bytes"]
    assert b["header_bytes"] - a["header_bytes"] >= 4900 * len("token-000000")


def test_params_json_reports_file_and_tensor_bytes(tmp_path, capsys):
    path = tmp_path / "x.gguf"
    _write(path, 300)
    assert main(["params", str(path), "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["file_bytes"] == os.path.getsize(path)
    assert d["file_bytes"] == d["tensor_bytes"] + d["header_bytes"]
