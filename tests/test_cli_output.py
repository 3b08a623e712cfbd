"""What a user reads: one k rule, schemes without a model, clean no-match, no repeated lines, 80 columns, the
largest context shown even when the asked one does not fit, fast offline failure."""

from __future__ import annotations

import json
import time

import pytest

from paramscope.cli import main


def _out(capsys, argv, code=0):
    assert main(argv) == code
    return capsys.readouterr()


def test_k_is_1024_for_context_flags_and_1000_elsewhere(capsys):
    d = json.loads(_out(capsys, ["memory", "llama-3.1-8b", "--context", "32k", "--batch", "2", "--json"]).out)
    assert d["options"]["context"] == 32768
    t = json.loads(_out(capsys, ["train", "llama-2-7b", "--tokens", "32k", "--gpu", "h100-sxm", "--count", "8",
                                 "--json"]).out)
    assert t["tokens"] == 32000
    assert "k = 1,024" in _out(capsys, ["memory", "--help"]).out.replace("\n", " ")


def test_list_schemes_needs_no_model_and_shows_bits(capsys):
    out = _out(capsys, ["memory", "--list-schemes"]).out
    assert "bits/w" in out and "Q4_K_M" in out
    assert max(len(line) for line in out.splitlines()) <= 80


def test_models_without_match_is_a_clean_message(capsys):
    r = _out(capsys, ["models", "zzzz-no-such-model"])
    assert r.out == "" and "no catalog model matches" in r.err and r.err.count("\n") == 1


def test_params_origin_and_published_active(capsys):
    out = _out(capsys, ["params", "gpt-oss-120b"]).out
    assert "catalog: catalog:" not in out
    assert "published active = active per token excluding the input embedding" in out


@pytest.mark.parametrize("argv", [
    ["memory", "gemma-2-9b", "--engine", "llama.cpp", "--gpu", "rtx-4090", "--weights", "Q8_0"],
    ["memory", "llama-3.1-70b", "--gpu", "h100-sxm", "--count", "4"],
    ["fit", "llama-3.1-70b", "--gpu", "h100-sxm", "--count", "2"],
    ["perf", "qwen3-30b-a3b", "--gpu", "h100-sxm", "--batch", "1,8"],
])
def test_text_fits_80_columns_and_says_things_once(capsys, argv):
    out = _out(capsys, argv).out
    lines = out.splitlines()
    assert max(len(x) for x in lines) <= 80, [x for x in lines if len(x) > 80]
    said = [x.split(": ", 1)[1] for x in lines if x.startswith(("assumption: ", "note: "))]
    assert len(said) == len(set(said))
    kv = [x for x in lines if x.startswith("  ") and "layer(s)" in x]
    assert all(len(set(x.split(": ", 1)[1].split("; "))) == len(x.split(": ", 1)[1].split("; ")) for x in kv)
    assert "engine: " in out


def test_fit_shows_the_largest_context_when_the_asked_one_does_not_fit(capsys):
    r = _out(capsys, ["fit", "llama-3.1-8b", "--gpu", "rtx-4090", "--context", "128k", "--json"], code=4)
    d = json.loads(r.out)
    assert d["fits"] is False and d["max_context"] is not None and 0 < d["max_context"] < 131072


def test_gpt_oss_catalog_record_does_not_warn_about_dtype(capsys):
    assert "torch_dtype" not in _out(capsys, ["memory", "gpt-oss-20b"]).err


def test_uncached_hub_id_fails_fast_in_one_line(capsys, monkeypatch, tmp_path):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path))
    t0 = time.monotonic()
    r = _out(capsys, ["params", "no-such-org/no-such-model-123"], code=2)
    assert time.monotonic() - t0 < 5
    assert r.err.count("\n") == 1 and "not in the local Hugging Face cache" in r.err
