"""Bad input gets one line on stderr naming what was wrong, a non-zero exit code, and no traceback."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paramscope.cli import main

LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
         "max_position_embeddings": 256, "torch_dtype": "bfloat16"}


def _err(capsys, argv, code):
    assert main(argv) == code
    cap = capsys.readouterr()
    err = cap.err.strip()
    assert "Traceback" not in err
    return err


def _write(tmp_path, data, name="config.json"):
    p = tmp_path / name
    p.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(p)


@pytest.mark.parametrize("content,needle", [
    ("{not json", "malformed JSON"),
    ("[1, 2]", "expected a JSON object"),
    (dict(LLAMA, hidden_size=-64), "hidden_size"),
    (dict(LLAMA, num_attention_heads=0), "num_attention_heads"),
    (dict(LLAMA, hidden_size="big"), "hidden_size"),
    (dict(LLAMA, num_hidden_layers=10**12), "num_hidden_layers"),
    ({k: v for k, v in LLAMA.items() if k != "vocab_size"}, "vocab_size"),
    ({"model_type": "no_such_arch", "architectures": ["NoSuchForCausalLM"]}, "no_such_arch"),
    (dict(LLAMA, architectures=["LlamaForSequenceClassification"]), "architectures[0]"),
])
def test_bad_config_is_one_line(tmp_path, capsys, content, needle):
    err = _err(capsys, ["params", _write(tmp_path, content)], 2)
    assert err.count("\n") == 0 and needle in err and "config.json" in err


def test_unknown_model_suggests_close_names(capsys):
    err = _err(capsys, ["params", "llama-2-7"], 2)
    assert err.count("\n") == 0 and "llama-2-7b" in err


def test_missing_file(capsys):
    err = _err(capsys, ["params", "/nonexistent/config.json"], 2)
    assert "no such file" in err


def test_huge_config_is_refused_without_reading(tmp_path, capsys):
    p = tmp_path / "config.json"
    with open(p, "wb") as f:
        f.truncate(100 * 2**20)  # sparse 100 MiB
    err = _err(capsys, ["params", str(p)], 2)
    assert "too large" in err


@pytest.mark.parametrize("extra,needle", [
    (["--batch", "0"], "batch"),
    (["--context", "-5"], "context"),
    (["--tp", "3"], "does not divide"),
    (["--weights", "int3.5"], "int3.5"),
    (["--engine", "tensorrt"], "engine"),
    (["--kv-dtype", "int13"], "int13"),
    (["--pp", "99"], "pipeline"),
])
def test_memory_bad_options(capsys, extra, needle):
    err = _err(capsys, ["memory", "llama-3.1-8b", *extra], 2)
    assert err.count("\n") == 0 and needle in err


def test_context_beyond_model_limit_warns(capsys):
    assert main(["memory", "llama-2-7b", "--context", "16k", "--json"]) == 0
    cap = capsys.readouterr()
    assert "exceeds the model's max_position_embeddings 4096" in cap.err
    assert json.loads(cap.out)["kv_cache_bytes"] > 0


def test_rumour_has_no_memory(capsys):
    err = _err(capsys, ["memory", "gpt-4-rumour-semianalysis"], 2)
    assert "architecture" in err


def test_console_script_error_path_has_no_traceback(tmp_path):
    bad = _write(tmp_path, "{oops")
    r = subprocess.run([sys.executable, "-m", "paramscope", "params", bad], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
