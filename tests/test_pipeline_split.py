"""paramscope split: the seed's 70B over 4 GPUs, reproduced with LLaMA-65B and Llama-2-70B."""

from __future__ import annotations

import json

import pytest

from paramscope import load_model
from paramscope.cli import main
from paramscope.deployment import build_deployment
from paramscope.hardware import get_hardware
from paramscope.memory.report import memory_report
from paramscope.params import analyze
from paramscope.pipeline import split_report


@pytest.mark.parametrize("name,mean_b", [("llama-65b", 16.32), ("llama-2-70b", 17.24)])
def test_seed_70b_over_4(name, mean_b):
    m = load_model(name)
    dep = build_deployment(m, get_hardware("a100-80gb-sxm"), tp=1, pp=4, prompt_tokens=512, gen_tokens=128)
    r = split_report(dep)
    st = r["stages"]
    assert [s["layers"] for s in st] == [[0, 19], [20, 39], [40, 59], [60, 79]]
    assert "embedding" in st[0]["holds"] and "head" in st[3]["holds"]
    assert r["params_total"] == analyze(m).total
    assert r["params_per_gpu_mean"] / 1e9 == pytest.approx(mean_b, abs=0.01)  # the seed's "16.3B per GPU"
    mem = memory_report(m, dep.memory_options())
    assert [s["weight_bytes"] for s in st] == mem.parts["weights"]["per_stage_bytes"]
    sp = r["speedup"]
    assert sp["decode_latency"] <= 1.0  # a pipeline never shortens one token's path
    assert 3.5 < sp["throughput"] <= 4.0
    assert sp["prefill_chunked"] < sp["throughput"]


def test_split_cli_json(capsys):
    rc = main(["split", "llama-3.1-8b", "--gpu", "a100-80gb-sxm", "--count", "4", "--pp", "4", "--tp", "1", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and len(d["stages"]) == 4 and d["bytes_between_stages_per_token"] == 4096 * 2


def test_batch_cli(capsys):
    rc = main(["batch", "llama-3.1-8b", "--gpu", "a100-80gb-sxm", "--tpot", "30ms", "--context", "2048", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["stops_at"] == "TPOT target" and d["tpot_s"] <= 0.03 < d["memory_batch"] and d["batch"] > 1
    rc = main(["batch", "llama-3.1-8b", "--gpu", "a100-80gb-sxm", "--context", "2048", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert d["stops_at"].startswith("memory") and d["batch"] == d["memory_batch"]
