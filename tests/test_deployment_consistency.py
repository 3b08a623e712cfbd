"""One deployment, one answer: ``memory``, ``fit`` and ``perf`` describe the same deployment (same per-GPU bytes,
same layout, same engine and settings) when given the same flags, over a grid of models (dense, MoE, MLA,
sliding window), engines, GPU counts, contexts and batches. Plus the properties a fit and a speed must have."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paramscope.cli import main
from paramscope.deployment import build_deployment
from paramscope.fit import fit_deployment
from paramscope.hardware import get_hardware
from paramscope.model import load_model
from paramscope.perf import perf_deployment

# model, gpu, extra flags (engine, layout, weights), batch, context
GRID = [
    ("llama-3.1-8b", "h100-sxm", [], 1, "4096"),
    ("llama-3.1-8b", "h100-sxm", ["--engine", "transformers"], 4, "8k"),
    ("llama-3.1-8b", "rtx-4090", ["--engine", "llama.cpp", "--weights", "Q4_K_M"], 2, "16k"),
    ("llama-3.1-8b", "a100-80gb-sxm", ["--tp", "2"], 8, "32k"),
    ("llama-3.1-70b", "h100-sxm", ["--count", "8", "--weights", "fp8"], 16, "128k"),
    ("llama-3.1-70b", "rtx-4090", ["--count", "2", "--weights", "Q4_K_M"], 1, "4096"),
    ("llama-3.1-70b", "rtx-4090", ["--count", "2", "--weights", "Q4_K_M", "--split-mode", "row"], 1, "4096"),
    ("llama-3.1-405b", "h100-sxm", ["--tp", "8", "--weights", "fp8"], 1, "128k"),
    ("qwen3-30b-a3b", "h100-sxm", ["--tp", "2"], 32, "8k"),
    ("qwen3-30b-a3b", "h100-sxm", ["--tp", "2", "--ep", "2"], 32, "8k"),
    ("mixtral-8x7b", "a100-80gb-sxm", ["--tp", "2", "--max-num-seqs", "64"], 8, "32k"),
    ("deepseek-v2-lite", "h100-sxm", [], 4, "16k"),
    ("deepseek-v2-lite", "h100-sxm", ["--engine", "llama.cpp"], 1, "8k"),
    ("gemma-2-9b", "l4", ["--weights", "int8", "--gpu-memory-utilization", "0.8"], 2, "8k"),
    ("gpt-oss-120b", "h100-sxm", [], 1, "4096"),
    ("gpt-oss-20b", "rtx-4090", ["--engine", "llama.cpp", "--n-gpu-layers", "12"], 1, "8k"),
]


def _json(capsys, argv):
    code = main(argv + ["--json"])
    out = capsys.readouterr().out
    return code, (json.loads(out) if out.strip() else None)


@pytest.mark.parametrize("case", GRID, ids=lambda c: f"{c[0]}-{c[1]}-{'_'.join(c[2]) or 'default'}-b{c[3]}-{c[4]}")
def test_memory_fit_perf_agree(capsys, case):
    model, gpu, flags, batch, context = case
    common = [model, "--gpu", gpu, *flags, "--batch", str(batch), "--context", context]
    code_m, mem = _json(capsys, ["memory", *common])
    code_f, fit = _json(capsys, ["fit", *common])
    assert code_m == 0 and code_f in (0, 4)
    # the same per-GPU bytes, capacity, layout and engine settings
    assert mem["total_bytes"] == mem["per_gpu_bytes"] == fit["per_gpu_bytes"]
    assert mem["capacity_bytes"] == fit["capacity_bytes"]
    assert mem["layout"] == fit["layout"] == mem["deployment"]["layout"]
    assert mem["deployment"] == fit["deployment"]
    assert mem["fits"] == fit["fits"]
    # gen must fit inside the context for perf; prompt = context - gen
    code_p, perf = _json(capsys, ["perf", *common])
    if not fit["fits"]:
        assert code_p == 4 and perf is None
        return
    assert code_p == 0
    assert perf["per_gpu_bytes"] == mem["total_bytes"]
    assert perf["capacity_bytes"] == mem["capacity_bytes"]
    assert perf["layout"] == mem["layout"]
    assert perf["deployment"] == mem["deployment"]
    assert perf["options"]["tp"] == perf["layout"]["tensor_parallel"] == perf["parts"]["tp"]
    assert perf["runs"][0]["ttft_s"] == perf["ttft_s"]


def test_grid_covers_what_it_claims(capsys):
    engines, tps, kinds = set(), set(), set()
    for model, gpu, flags, batch, context in GRID:
        _, mem = _json(capsys, ["memory", model, "--gpu", gpu, *flags, "--batch", str(batch), "--context", context])
        engines.add(mem["engine"])
        tps.add(mem["layout"]["tensor_parallel"])
        kinds |= {x["kind"] for x in mem["parts"]["kv_cache"]["layers"]}
    assert engines == {"vllm", "llama.cpp", "transformers"}
    assert {1, 2, 8} <= tps
    assert {"full", "mla", "sliding"} <= kinds


def test_one_default_engine_everywhere(capsys):
    outs = [_json(capsys, [c, "llama-3.1-8b", "--gpu", "h100-sxm"])[1] for c in ("memory", "fit", "perf")]
    assert {o["deployment"]["engine"]["name"] for o in outs} == {"vllm"}
    assert {o["deployment"]["engine"]["reason"] for o in outs} == {"default"}
    gguf = [_json(capsys, [c, "llama-3.1-8b", "--gpu", "rtx-4090", "--weights", "Q4_K_M"])[1]
            for c in ("memory", "fit", "perf")]
    assert {o["deployment"]["engine"]["name"] for o in gguf} == {"llama.cpp"}


def test_llamacpp_two_gpus_is_a_layer_split_in_fit_and_perf(capsys):
    argv = ["llama-3.1-70b", "--gpu", "rtx-4090", "--count", "2", "--weights", "Q4_K_M"]
    _, fit = _json(capsys, ["fit", *argv])
    _, perf = _json(capsys, ["perf", *argv])
    assert fit["layout"]["split"] == perf["layout"]["split"] == "layer"
    assert perf["layout"]["pipeline_parallel"] == 2 and perf["layout"]["tensor_parallel"] == 1


def test_engine_settings_of_another_engine_are_refused(capsys):
    assert main(["memory", "llama-3.1-8b", "--engine", "llama.cpp", "--max-num-seqs", "8"]) == 2
    err = capsys.readouterr().err
    assert "max_num_seqs" in err and "llama.cpp" in err


def test_vllm_settings_change_the_reservation(capsys):
    _, a = _json(capsys, ["memory", "llama-3.1-8b", "--gpu", "h100-sxm"])
    _, b = _json(capsys, ["memory", "llama-3.1-8b", "--gpu", "h100-sxm", "--max-num-seqs", "64",
                          "--max-num-batched-tokens", "2048"])
    assert b["activation_bytes"] < a["activation_bytes"]
    _, c = _json(capsys, ["memory", "llama-3.1-8b", "--gpu", "h100-sxm", "--gpu-memory-utilization", "0.5"])
    assert c["capacity_bytes"] == -(-get_hardware("h100-sxm").memory_bytes // 2)


def test_partial_offload_moves_layers_to_host(capsys):
    _, full = _json(capsys, ["memory", "llama-3.1-8b", "--weights", "Q4_K_M"])
    _, part = _json(capsys, ["memory", "llama-3.1-8b", "--weights", "Q4_K_M", "--n-gpu-layers", "16"])
    assert full["host_bytes"] == 0 and part["host_bytes"] > 0
    assert part["weights_bytes"] + part["kv_cache_bytes"] + part["host_bytes"] == pytest.approx(
        full["weights_bytes"] + full["kv_cache_bytes"], abs=2)


# ------------------------------------------------------------------------------------------- properties

_MODELS = ["llama-3.1-8b", "qwen3-30b-a3b", "deepseek-v2-lite"]


@settings(max_examples=15, deadline=None)
@given(model=st.sampled_from(_MODELS), engine=st.sampled_from(["vllm", "llama.cpp", "transformers"]),
       batch=st.integers(1, 64), context=st.integers(256, 65536), extra=st.integers(1, 64 * 2**30))
def test_more_memory_never_turns_a_fit_into_a_no_fit(model, engine, batch, context, extra):
    m = load_model(model)
    hw = get_hardware("l40s")
    dep = build_deployment(m, hw, engine=engine, batch=batch, context=context)
    bigger = build_deployment(m, replace(hw, memory_bytes=hw.memory_bytes + extra), engine=engine, batch=batch,
                              context=context, **{k: v for k, v in dep.knob.items()
                                                  if k in ("max_num_seqs", "max_num_batched_tokens")})
    if fit_deployment(dep).fits:
        assert fit_deployment(bigger).fits


@settings(max_examples=15, deadline=None)
@given(model=st.sampled_from(_MODELS), batch=st.integers(1, 32), factor=st.floats(1.0, 8.0))
def test_more_bandwidth_never_slows_decode(model, batch, factor):
    m = load_model(model)
    hw = get_hardware("h100-sxm")
    dep = build_deployment(m, hw, batch=batch, context=4096)
    fast = replace(dep, hardware=replace(hw, memory_bandwidth_bytes_per_s=hw.memory_bandwidth_bytes_per_s * factor))
    assert perf_deployment(fast).tpot_s <= perf_deployment(dep).tpot_s
