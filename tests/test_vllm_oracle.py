"""vLLM's KV bytes per token against published vLLM start-up logs (tests/data/vllm_logs.toml).

vLLM cannot be imported here (its wheels pin another torch), so the truth is what real vLLM servers printed:
the KV memory they had and the tokens they made of it. vLLM packs that memory with whole blocks, so
tokens x bytes_per_token <= memory < (tokens + one block) x bytes_per_token; with the memory printed to
0.01 GiB this pins the bytes per token to about 0.1 %, independent of weights, activations, CUDA graphs and
gpu_memory_utilization. paramscope's figure is the sum over the model's attention layers of its vLLM
bytes per token per layer (the page of one block / block_size: vllm/v1/kv_cache_interface.py
AttentionSpec.page_size_bytes), for the logged KV dtype and tensor-parallel size.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from paramscope.memory.kv import KvOptions, kv_cache
from paramscope.model import load_model

GiB = 2**30
LOGS = tomllib.loads((Path(__file__).parent / "data" / "vllm_logs.toml").read_text())["log"]


def vllm_bytes_per_token(model: str, kv_dtype: str, tp: int) -> float:
    """Bytes one token costs in vLLM's pool: every attention layer's page share (sliding layers pay full
    pages in the shared pool: one block id holds a page for every layer of its group)."""
    spec = load_model(model).spec
    kv = kv_cache(spec, batch=1, context=16, options=KvOptions(engine="vllm", dtype=kv_dtype, tensor_parallel=tp))
    return sum(x.bytes_per_token * len(x.layers) for x in kv.layers)


def _bounds(log: dict) -> tuple[float, float]:
    """Bytes per token consistent with the log: memory in [Z - 0.005, Z + 0.005] GiB holds N tokens and not
    N + slack."""
    lo_mem, hi_mem = (log["kv_gib"] - 0.005) * GiB, (log["kv_gib"] + 0.005) * GiB
    return lo_mem / (log["tokens"] + log["slack_tokens"]), hi_mem / log["tokens"]


def test_log_file_is_complete():
    assert len(LOGS) >= 4
    for log in LOGS:
        assert log["url"].startswith("https://github.com/"), log["id"]
        assert {"model", "kv_dtype", "tp", "kv_gib", "tokens", "slack_tokens", "lines", "setup"} <= log.keys()
        assert log["exact"] or log.get("reason")


@pytest.mark.parametrize("log", [x for x in LOGS if x["exact"]], ids=lambda x: x["id"])
def test_bytes_per_token_inside_the_logged_bounds(log):
    ours = vllm_bytes_per_token(log["model"], log["kv_dtype"], log["tp"])
    lo, hi = _bounds(log)
    assert lo < ours <= hi, f"{log['id']}: paramscope {ours:.0f} B/token, vLLM log implies {lo:.0f}..{hi:.0f} ({log['url']})"


@pytest.mark.parametrize("log", [x for x in LOGS if not x["exact"]], ids=lambda x: x["id"])
def test_inexact_logs_still_rule_out_other_layouts(log):
    """Logs that only bound the figure (see their reason): within 1.5 %, and the alternatives are far off."""
    ours = vllm_bytes_per_token(log["model"], log["kv_dtype"], log["tp"])
    implied = log["kv_gib"] * GiB / log["tokens"]
    assert ours == pytest.approx(implied, rel=0.015)
    no_tp = vllm_bytes_per_token(log["model"], log["kv_dtype"], 1)
    fp8 = vllm_bytes_per_token(log["model"], "fp8", log["tp"])
    for other in (no_tp, fp8):
        assert abs(other / implied - 1) > 0.4


def test_mutations_are_caught():
    """The bounds are sharp: dropping the sliding layers, the V half, or one layer leaves them."""
    import paramscope.memory.kv as kvmod

    gpt = next(x for x in LOGS if x["id"] == "gpt-oss-120b-hybrid")
    llama = next(x for x in LOGS if x["id"] == "llama-3.1-8b-rtx3090-20k")
    full = vllm_bytes_per_token(gpt["model"], "bf16", 1)
    lo, hi = _bounds(gpt)
    assert not lo < full / 2 <= hi  # full-attention layers only (hf-mem's bug in that issue)
    per_layer = full / 36
    assert not lo < full - per_layer <= hi  # one layer fewer (35 of 36: 2.8 %)
    ll = vllm_bytes_per_token(llama["model"], "bf16", 1)
    lo, hi = _bounds(llama)
    assert not lo < ll / 2 <= hi and not lo < ll * 33 / 32 <= hi
    assert kvmod.ENGINES  # the layouts above are paramscope's, not re-derived here
