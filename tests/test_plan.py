"""paramscope plan: the contract, a plan checked by hand against perf/fit numbers, properties, bad input."""

from __future__ import annotations

import json
import math

import pytest

np = pytest.importorskip("numpy")

from paramscope import load_model  # noqa: E402
from paramscope.cli import main  # noqa: E402
from paramscope.errors import FileFormatError, InputError  # noqa: E402
from paramscope.hardware import get_hardware  # noqa: E402
from paramscope.plan.planner import PlanRequest, plan, usd_per_hour  # noqa: E402
from paramscope.plan.workload import fixed_lengths, parse_slo, read_trace  # noqa: E402


@pytest.fixture(scope="module")
def m8():
    return load_model("llama-3.1-8b")


def _req(model, gpus, rate=10.0, ttft="p90:500ms", tpot="p90:50ms", **kw):
    slos = tuple(s for s in (ttft and parse_slo("ttft", ttft), tpot and parse_slo("tpot", tpot)) if s)
    return PlanRequest(model, tuple(get_hardware(g) for g in gpus), fixed_lengths(1024, 256), slos, rate=rate, **kw)


def test_contract(capsys):
    rc = main(["plan", "llama-3.1-8b", "--rate", "10", "--prompt", "1024", "--gen", "256", "--ttft", "p90:500ms",
               "--tpot", "p90:50ms", "--gpu", "a10,l4,a100-80gb-sxm,h100-sxm", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    for k in ("hardware", "gpus_total", "usd_per_hour", "usd_per_million_output_tokens", "launch_command"):
        assert k in d["best"]
    assert isinstance(d["pareto"], list) and d["pareto"]
    assert isinstance(d["rejected"], list)
    assert any(r["hardware"] == "a10" and r["reason"] == "price" for r in d["rejected"])  # a10 has no price
    assert d["best"]["latency"] == "simulated" and d["best"]["meets_slos"]
    assert d["best"]["ttft_p90_s"] <= 0.5 and d["best"]["tpot_p90_s"] <= 0.05
    cmd = {"vllm": "vllm serve meta-llama/Llama-3.1-8B", "tensorrt-llm": "trtllm-serve meta-llama/Llama-3.1-8B"}
    assert d["best"]["launch_command"].startswith(cmd[d["best"]["engine"]])


def test_engine_restriction_and_launch_commands(capsys):
    rc = main(["plan", "llama-3.1-8b", "--rate", "4", "--gpu", "h100-sxm", "--ttft", "p90:1s", "--engine", "vllm",
               "--json", "--no-simulate"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0 and d["best"]["engine"] == "vllm" and d["best"]["launch_command"].startswith("vllm serve")
    rc = main(["plan", "llama-3.1-8b", "--rate", "4", "--gpu", "h100-sxm", "--ttft", "p90:1s", "--engine",
               "trtllm", "--json", "--no-simulate"])
    d = json.loads(capsys.readouterr().out)
    b = d["best"]
    assert b["engine"] == "tensorrt-llm" and b["launch_command"].startswith("trtllm-serve")
    assert f"--max_batch_size {b['max_num_seqs']}" in b["launch_command"]
    assert f"--max_num_tokens {b['max_num_batched_tokens']}" in b["launch_command"]
    # GGUF presets go to llama.cpp (llama-server with parallel slots = max_num_seqs, micro-batch 512)
    rc = main(["plan", "llama-3.1-8b", "--rate", "1", "--gpu", "l4", "--weights", "Q4_K_M", "--ttft", "p90:2s",
               "--json", "--no-simulate"])
    d = json.loads(capsys.readouterr().out)
    b = d["best"]
    assert b["engine"] == "llama.cpp" and b["launch_command"].startswith("llama-server -m ")
    assert f"-np {b['max_num_seqs']}" in b["launch_command"] and b["max_num_batched_tokens"] == 512


def test_default_search_covers_both_gpu_engines(m8):
    r = plan(_req(m8, ["h100-sxm"], rate=4.0, simulate=False))
    engines = {p["engine"] for p in r["pareto"]} | {x["engine"] for x in r["rejected"]}
    assert r["best"]["engine"] in ("vllm", "tensorrt-llm")
    assert r["search"]["families"] == 2 * len({(p["tensor_parallel"], p["pipeline_parallel"]) for p in []}) or \
        r["search"]["families"] > 1
    assert engines <= {"vllm", "tensorrt-llm"}
    amd = plan(_req(m8, ["mi300x"], rate=4.0, simulate=False, price_overrides={"mi300x": 2.0}))
    assert amd["best"]["engine"] == "vllm"  # TensorRT-LLM is NVIDIA-only


def test_min_quality(m8, capsys):
    from paramscope import quality

    sc = quality.score("llama-3.1-8b", "mmlu")
    assert sc is not None
    ok = plan(_req(m8, ["h100-sxm"], rate=2.0, simulate=False, min_quality=("mmlu", sc.value - 1)))
    assert ok["best"] is not None
    no = plan(_req(m8, ["h100-sxm"], rate=2.0, simulate=False, min_quality=("mmlu", sc.value + 1)))
    assert no["best"] is None and all(r["reason"] == "quality" for r in no["rejected"])
    # a scheme without a published MMLU delta is refused, not assumed lossless
    q = plan(_req(m8, ["h100-sxm"], rate=2.0, simulate=False, weights=("native", "Q4_K_M"),
                  min_quality=("mmlu", sc.value - 1)))
    assert any(r["weights"] == "Q4_K_M" and r["reason"] == "quality" for r in q["rejected"])
    assert q["best"]["weights"] == "native"
    rc = main(["plan", "llama-2-7b-chat-nosuch", "--rate", "1"])
    capsys.readouterr()
    rc = main(["plan", "qwen2.5-7b", "--rate", "1", "--gpu", "h100-sxm", "--min-quality", "mmlu:50"])
    err = capsys.readouterr().err
    assert rc != 0 and "no published MMLU score" in err


def test_disaggregated_pools(m8, capsys):
    from paramscope.perf import step_model

    rc = main(["plan", "llama-3.1-8b", "--rate", "20", "--prompt", "2048", "--gen", "256", "--ttft", "p90:300ms",
               "--tpot", "p90:30ms", "--gpu", "a100-80gb-sxm,h100-sxm", "--disaggregate", "--no-simulate", "--json"])
    d = json.loads(capsys.readouterr().out)
    assert rc == 0
    dis = d["disaggregated"]
    b = dis["best"]
    assert set(b["pools"]) == {"prefill", "decode"}
    pools = b["pools"]
    hw = {g: get_hardware(g) for g in ("a100-80gb-sxm", "h100-sxm")}
    cost = sum(p["replicas"] * p["gpus_per_replica"] * hw[p["hardware"]].price_per_hour_usd for p in pools.values())
    assert b["usd_per_hour"] == pytest.approx(cost)
    assert b["gpus_total"] == sum(p["replicas"] * p["gpus_per_replica"] for p in pools.values())
    # KV transfer = per-token KV x prompt length over the link
    x = b["kv_transfer"]
    assert x["seconds_per_request"] == pytest.approx(x["bytes_per_request_per_gpu"] / x["bytes_per_s"])
    same = pools["prefill"]["hardware"] == pools["decode"]["hardware"]
    h = hw[pools["prefill"]["hardware"]]
    assert x["bytes_per_s"] == (h.interconnect_bytes_per_s / 2 if same else
                                min(hw[p["hardware"]].pcie_bytes_per_s for p in pools.values()) / 2)
    assert b["ttft_p90_s"] <= 0.3 and b["tpot_s"] <= 0.03
    c = dis["comparison"]
    assert c["colocated_usd_per_hour"] == (d.get("colocated_best") or d["best"])["usd_per_hour"]
    assert d["best"]["usd_per_hour"] == min(c["colocated_usd_per_hour"], c["disaggregated_usd_per_hour"])
    assert isinstance(dis["rejected"], list)
    with pytest.raises(InputError):
        plan(_req(m8, ["h100-sxm"], rate=None, concurrency=4, disaggregate=True, simulate=False))
    _ = step_model


def test_best_by_hand_and_equal_to_perf_and_fit(m8):
    """One plan's GPUs and cost recomputed by hand; its Deployment gives the same numbers as perf and fit."""
    from paramscope.deployment import build_deployment
    from paramscope.fit import fit_deployment
    from paramscope.perf import perf_deployment, step_model

    r = plan(_req(m8, ["a100-80gb-sxm"], rate=4.0, engines=("vllm",)))
    b = r["best"]
    hw = get_hardware("a100-80gb-sxm")
    assert b["gpus_total"] == b["replicas"] * b["tensor_parallel"] * b["pipeline_parallel"]
    assert b["usd_per_hour"] == pytest.approx(b["gpus_total"] * hw.price_per_hour_usd)
    assert b["usd_per_month"] == pytest.approx(b["usd_per_hour"] * 730)
    out_tok_per_h = 4.0 * 256 * 3600
    in_tok_per_h = 4.0 * 1024 * 3600
    assert b["usd_per_million_tokens"] == pytest.approx(b["usd_per_hour"] / (in_tok_per_h + out_tok_per_h) * 1e6)
    # the split of the hour between input and output tokens adds back to the hour
    assert (b["usd_per_million_input_tokens"] * in_tok_per_h + b["usd_per_million_output_tokens"] * out_tok_per_h) \
        / 1e6 == pytest.approx(b["usd_per_hour"])
    # the replica count is the smallest the analytic tier accepts: one replica fewer misses (or is impossible)
    dep = r["_best_deployment"]
    d = dep.to_dict()
    again = build_deployment(m8, hw, tp=dep.layout.tensor_parallel, pp=dep.layout.pipeline_parallel,
                             context=d["workload"]["context"], prompt_tokens=1024, gen_tokens=256,
                             max_num_seqs=b["max_num_seqs"], max_num_batched_tokens=b["max_num_batched_tokens"])
    assert again.to_dict() == {**d, "engine": {**d["engine"], "reason": "default"}}
    p = perf_deployment(dep)
    sm = step_model(dep)
    assert p.tpot_s == sm.decode_s(1, 1024 + 128)[0]
    assert p.ttft_s == sm.prefill_s(1024, sm.attention_flops(0, 1024))[0]
    f = fit_deployment(dep)
    assert f.fits and f.per_gpu_bytes == p.per_gpu_bytes and f.capacity_bytes == p.capacity_bytes


def test_multi_gpu_multi_replica_by_hand():
    """A 70B plan needing several GPUs per replica and several replicas: GPUs, cost and throughput by hand."""
    m = load_model("llama-3.1-70b")
    r = plan(PlanRequest(m, (get_hardware("a100-80gb-sxm"),), fixed_lengths(1024, 256),
                         (parse_slo("ttft", "p90:1s"), parse_slo("tpot", "p90:40ms")), rate=12.0, engines=("vllm",),
                         simulate=False))
    b = r["best"]
    hw = get_hardware("a100-80gb-sxm")
    assert b["tensor_parallel"] * b["pipeline_parallel"] >= 2 and b["replicas"] >= 2
    assert b["gpus_per_replica"] == b["tensor_parallel"] * b["pipeline_parallel"]
    assert b["gpus_total"] == b["replicas"] * b["gpus_per_replica"]
    assert b["usd_per_hour"] == pytest.approx(b["gpus_total"] * hw.price_per_hour_usd)
    tok_h = 12.0 * (1024 + 256) * 3600
    assert b["usd_per_million_tokens"] == pytest.approx(b["usd_per_hour"] / tok_h * 1e6)
    assert b["tokens_per_s_per_gpu"] == pytest.approx(12.0 * 1280 / b["gpus_total"])
    assert b["launch_command"].startswith("vllm serve") and f"--tensor-parallel-size {b['tensor_parallel']}" in \
        b["launch_command"] and f"x {b['replicas']} replicas" in b["launch_command"]


def test_usd_per_hour_override():
    hw = get_hardware("a10")
    with pytest.raises(InputError):
        usd_per_hour(hw, 1)
    assert usd_per_hour(hw, 3, price_overrides={"a10": 0.5}) == 1.5


# ------------------------------------------------------------------------------------------------ properties

def _cost(res):
    return math.inf if res["best"] is None else res["best"]["usd_per_hour"]


@pytest.mark.parametrize("factor", [1.0, 1.5, 3.0])
def test_pricier_gpu_never_cheaper(m8, factor):
    gpus = ["l4", "a100-80gb-sxm", "h100-sxm"]
    base = plan(_req(m8, gpus, rate=6.0, simulate=False))
    hi = plan(_req(m8, gpus, rate=6.0, simulate=False,
                   price_overrides={"h100-sxm": 2.69 * factor, "a100-80gb-sxm": 1.49 * factor}))
    assert _cost(hi) >= _cost(base) - 1e-9


@pytest.mark.parametrize("gpu", ["l4", "a100-80gb-sxm", "h100-sxm"])
def test_higher_rate_never_fewer_gpus(m8, gpu):
    last = 0
    for rate in (0.5, 2, 5, 10, 20, 40):
        r = plan(_req(m8, [gpu], rate=rate, simulate=False))
        n = r["best"]["gpus_total"] if r["best"] else math.inf
        assert n >= last, (gpu, rate)
        last = n


@pytest.mark.parametrize("strict,relaxed", [(("p90:300ms", "p90:20ms"), ("p90:600ms", "p90:20ms")),
                                            (("p90:300ms", "p90:20ms"), ("p90:300ms", "p90:60ms")),
                                            (("p99:200ms", "p50:15ms"), ("p99:2s", "p50:100ms"))])
def test_relaxing_an_slo_never_removes_a_plan(m8, strict, relaxed):
    gpus = ["l4", "a100-80gb-sxm", "h100-sxm"]
    a = plan(_req(m8, gpus, rate=8.0, ttft=strict[0], tpot=strict[1], simulate=False))
    b = plan(_req(m8, gpus, rate=8.0, ttft=relaxed[0], tpot=relaxed[1], simulate=False))
    assert _cost(b) <= _cost(a)
    assert b["search"]["feasible_analytic"] >= a["search"]["feasible_analytic"]


def test_search_speed(m8):
    r = plan(_req(m8, ["l4", "a100-80gb-sxm", "h100-sxm", "h200-sxm"], simulate=False))
    assert r["search"]["candidates"] >= 100_000
    assert r["search"]["analytic_s"] < 2.0  # docs/benchmarks.md records the measured time (< 1 s here)


# ------------------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("argv,needle", [
    (["--rate", "0"], "rate"),
    (["--rate", "-3"], "rate"),
    (["--rate", "1", "--gpu", "nosuchgpu"], "nosuchgpu"),
    (["--rate", "1", "--concurrency", "4"], "one of them"),
    (["--rate", "1", "--min-quality", "60", "--gpu", "l4"], "BENCHMARK:SCORE"),
    (["--rate", "1", "--min-quality", "nosuch:60", "--gpu", "l4"], "unknown quality benchmark"),
    (["--rate", "1", "--ttft", "p90:100ms", "--tier", "batch"], "contradicts"),
    (["--rate", "1", "--ttft", "fast"], "duration"),
    (["--rate", "1", "--gpu", "h100-sxm", "--ttft", "p90:1ms"], "nothing meets"),
])
def test_bad_input_one_line(capsys, argv, needle):
    rc = main(["plan", "llama-3.1-8b", *argv])
    err = capsys.readouterr().err.strip()
    assert rc != 0 and "\n" not in err and needle in err


def test_trace_bounds(tmp_path, m8):
    good = tmp_path / "t.csv"
    good.write_text("prompt,output\n100,20\n300,40\n")
    lt = read_trace(good)
    assert lt.kind == "empirical" and len(lt.pairs) == 2
    bad = tmp_path / "b.csv"
    bad.write_text("100,20\nxx,yy\n")
    with pytest.raises(FileFormatError):
        read_trace(bad)
    huge = tmp_path / "h.csv"
    huge.write_text("1,1\n99999999,1\n")
    with pytest.raises(FileFormatError):
        read_trace(huge)
    r = plan(PlanRequest(m8, (get_hardware("h100-sxm"),), lt, (parse_slo("ttft", "p90:1s"),), rate=5.0))
    assert r["best"] is not None
