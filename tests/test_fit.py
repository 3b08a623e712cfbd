"""`paramscope fit`: the search answers must be the exact boundaries of the memory model it searches."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from paramscope.cli import main
from paramscope.fit import inference_fit, inference_layout, training_fit
from paramscope.hardware import get_hardware
from paramscope.memory.report import MemoryOptions, memory_report
from paramscope.memory.training import TrainingPlan, training_memory
from paramscope.model import load_model


def _per_gpu(model, opts, layout, **kw):
    return memory_report(model, replace(opts, tensor_parallel=layout.tensor_parallel,
                                        pipeline_parallel=layout.pipeline_parallel, **kw)).total_bytes


@pytest.mark.parametrize("model_id,gpu,engine,context_bound", [
    ("llama-3.1-8b", "a10", "vllm", "memory"),  # 131072 positions do not fit in 24 GB: memory decides
    ("qwen3-8b", "l4", "transformers", "limit"),  # the model's 40960 positions fit: the limit decides
    ("gemma-2-9b", "rtx-4090", "llama.cpp", "limit"),
])
def test_largest_context_and_batch_are_boundaries(model_id, gpu, engine, context_bound):
    model, hw = load_model(model_id), get_hardware(gpu)
    opts = MemoryOptions(engine=engine, weights="int8" if engine != "llama.cpp" else "Q8_0", context=2048,
                         gpu_memory_bytes=hw.memory_bytes, gpu_is_a100=False)
    r = inference_fit(model, hw, 1, opts)
    assert r.fits
    cap = r.capacity_bytes
    assert _per_gpu(model, opts, r.layout, context=r.max_context) <= cap
    # which bound applies is stated, not inferred: a memory boundary must be checked from both sides
    # (it used to be skipped whenever max_context happened to equal the limit)
    if context_bound == "memory":
        assert r.max_context < r.context_limit
        assert _per_gpu(model, opts, r.layout, context=r.max_context + 1) > cap
    else:
        assert r.max_context == r.context_limit == model.record["config"]["max_position_embeddings"]
    assert _per_gpu(model, opts, r.layout, batch=r.max_batch) <= cap
    assert _per_gpu(model, opts, r.layout, batch=r.max_batch + 1) > cap


def test_seed_70b_fp16_needs_two_80gb_gpus():
    """Seed 000: 70B in FP16 needs about 140 GB. One 80 GB H100 cannot hold it; two can (tp 2)."""
    model, hw = load_model("llama-2-70b"), get_hardware("h100-sxm")
    r = inference_fit(model, hw, 1, MemoryOptions(weights="fp16", context=4096))
    assert not r.fits
    assert r.fewest.gpus == 2 and r.fewest.tensor_parallel == 2
    one_less = inference_layout(model.spec, 1)
    assert _per_gpu(model, MemoryOptions(weights="fp16"), one_less) > r.capacity_bytes


def test_training_fewest_gpus_is_minimal():
    model, hw = load_model("llama-2-7b"), get_hardware("a100-80gb-sxm")
    plan = TrainingPlan(zero_stage=3, recompute="full", micro_batch=1, seq_len=4096)
    r = training_fit(model, hw, 8, plan)
    assert r.fits and r.fewest is not None
    n = r.fewest.gpus
    assert training_memory(model, replace(plan, data_parallel=n)).total_bytes <= hw.memory_bytes
    if n > 1:  # the previous candidate count does not fit
        assert training_memory(model, replace(plan, data_parallel=n - 1)).total_bytes > hw.memory_bytes


def test_fit_cli_json_and_exit_codes(capsys):
    assert main(["fit", "llama-3.1-8b", "--gpu", "h100-sxm", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["fits"] is True and d["fewest_gpus"] == 1 and d["max_batch"] >= 1
    assert main(["fit", "llama-3.1-70b", "--gpu", "rtx-4090"]) == 4
    err = capsys.readouterr().err
    assert "does not fit" in err and "Traceback" not in err


def test_fit_unknown_gpu_suggests(capsys):
    assert main(["fit", "llama-3.1-8b", "--gpu", "h10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "h100" in err


@pytest.mark.parametrize("ref,gpu,engine,weights", [
    ("llama-3.1-8b", "h100-sxm", "vllm", "native"), ("gemma-3-27b", "rtx-4090", "llama.cpp", "Q4_K_M"),
    ("gpt-oss-120b", "h100-sxm", "vllm", "native"), ("mistral-7b-v0.1", "a10", "transformers", "bf16"),
    ("qwen3-next-80b-a3b-thinking", "h200-sxm", "sglang", "fp8"), ("deepseek-v2-lite", "l4", "vllm", "fp8")])
def test_largest_context_and_batch_equal_plain_bisection(ref, gpu, engine, weights):
    """fit's interpolating search (_largest) returns what a plain bisection over the same memory_report returns,
    for engines with paging, padding, sliding windows, MLA and recurrent state (the memory curves with steps)."""
    from dataclasses import replace

    from paramscope.fit import _bisect, _largest
    from paramscope.memory.report import MemoryOptions, memory_report

    hw = get_hardware(gpu)
    m = load_model(ref)
    o = MemoryOptions(weights=weights, engine=engine, gpu_memory_bytes=hw.memory_bytes, gpu_id=hw.id, gpu_kind=hw.kind)
    cap = memory_report(m, o).capacity.usable_bytes
    for field, hi in (("context", m.spec.max_context or 1 << 20), ("batch", 1 << 16)):
        def total(x, field=field):
            return memory_report(m, replace(o, **{field: x})).total_bytes
        assert _largest(total, cap, 1, hi) == _bisect(lambda x: total(x) <= cap, 1, hi), field


def test_largest_equals_bisection_on_random_monotone_curves():
    """_largest against plain bisection on synthetic nondecreasing curves: linear stretches, plateaus (paging and
    padding), jumps (reservations), flat starts and caps anywhere, including at the ends of the range."""
    import random

    from paramscope.fit import _bisect, _largest

    rng = random.Random(7)
    for _ in range(400):
        hi = rng.choice([2, 3, 17, 1000, 131072, 1 << 20])
        pieces = sorted(rng.sample(range(1, hi + 1), k=min(hi, rng.randint(1, 6))))
        slopes = [rng.choice([0, 1, 7, 4096, 10**6]) for _ in pieces]
        steps = [rng.choice([0, 0, 1, 256, 10**9]) for _ in pieces]
        block = rng.choice([1, 1, 16, 256])

        def total(x, pieces=pieces, slopes=slopes, steps=steps, block=block):
            x = -(-x // block) * block  # paged / padded
            t = 10**6
            for start, s, j in zip(pieces, slopes, steps, strict=True):
                if x >= start:
                    t += s * (x - start) + j
            return t

        cap = rng.choice([total(1) - 1, total(1), total(hi), total(hi) + 5, total(rng.randint(1, hi)),
                          total(rng.randint(1, hi)) + rng.randint(0, 10**6)])
        assert _largest(total, cap, 1, hi) == _bisect(lambda x: total(x) <= cap, 1, hi), (pieces, slopes, steps, cap)
