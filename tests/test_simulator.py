"""The continuous-batching simulator against the step model it shares with perf, and its speed."""

from __future__ import annotations

import time

import pytest

np = pytest.importorskip("numpy")

from paramscope import load_model  # noqa: E402
from paramscope.deployment import build_deployment  # noqa: E402
from paramscope.hardware import get_hardware  # noqa: E402
from paramscope.perf import perf_deployment, step_model  # noqa: E402
from paramscope.plan.simulate import arrival_times, simulate  # noqa: E402


@pytest.fixture(scope="module")
def setup():
    m = load_model("llama-3.1-8b")
    dep = build_deployment(m, get_hardware("a100-80gb-sxm"), batch=1, prompt_tokens=1024, gen_tokens=256)
    return dep, step_model(dep), perf_deployment(dep)


def _run(sm, rate, n=2000, kv=400_000, seqs=256, budget=8192, seed=0):
    rng = np.random.default_rng(seed)
    a = arrival_times(n, rate, rng=rng)
    return simulate(sm, prompts=[1024] * n, gens=[256] * n, max_num_seqs=seqs, token_budget=budget,
                    kv_capacity_tokens=kv, arrivals=a)


def test_one_request_alone_equals_perf(setup):
    """A lone request: TTFT = perf's TTFT at batch 1 (prompt within one chunk); TPOT = decode steps at batch 1."""
    dep, sm, p = setup
    r = simulate(sm, prompts=[1024], gens=[256], max_num_seqs=8, token_budget=8192, kv_capacity_tokens=100_000,
                 arrivals=[0.0])
    assert r.ttft_s[0] == pytest.approx(p.ttft_s, rel=1e-9)
    # decode contexts run 1025..1279; perf evaluates at the mean context 1152: linear in context
    assert r.tpot_s[0] == pytest.approx(p.tpot_s, rel=2e-3)


def test_low_load_throughput_equals_rate_and_overload_is_seen(setup):
    _, sm, _ = setup
    low = _run(sm, 1.0)
    assert low.summary()["requests_per_s"] == pytest.approx(1.0, rel=0.08)
    hi = _run(sm, 50.0)
    assert hi.summary()["requests_per_s"] < 20 and hi.percentile("ttft", 50) > 10 * low.percentile("ttft", 50)


def test_latency_grows_with_load(setup):
    _, sm, _ = setup
    t = [_run(sm, r).percentile("ttft", 90) for r in (0.5, 2, 4, 6)]
    assert t == sorted(t)


def test_preemption_when_kv_is_short(setup):
    _, sm, _ = setup
    r = _run(sm, 8.0, n=500, kv=6 * 1280)
    assert r.preemptions > 0 and np.all(np.isfinite(r.e2e_s))


def test_closed_loop(setup):
    _, sm, _ = setup
    r = simulate(sm, prompts=[1024] * 400, gens=[256] * 400, max_num_seqs=64, token_budget=8192,
                 kv_capacity_tokens=400_000, concurrency=16)
    assert len(r.e2e_s) == 400 and np.all(r.e2e_s > 0)


def test_speed_10k_requests(setup):
    _, sm, _ = setup
    t = time.perf_counter()
    r = _run(sm, 5.0, n=10_000)
    dt = time.perf_counter() - t
    assert len(r.ttft_s) == 10_000
    assert dt < 2.0  # measured ~0.3 s (docs/benchmarks.md); slack for loaded CI machines


def test_pure_decode_runs_use_the_mean_context(setup):
    """Runs of decode steps are timed at their mean context: a lone request's TPOT equals the sum of its decode
    steps one by one (each at its own context) to 1e-4 -- a run timed at its first or last context misses."""
    _, sm, _ = setup
    r = simulate(sm, prompts=[4096], gens=[2048], max_num_seqs=8, token_budget=8192, kv_capacity_tokens=100_000,
                 arrivals=[0.0])
    exact = sum(sm.step_s(0, 0.0, 1, 4097 + k) for k in range(2047)) / 2047
    assert r.tpot_s[0] == pytest.approx(exact, rel=1e-4)


def test_itl_is_over_tokens_and_sees_prefill_steps(setup):
    """ITL (validate.py compares it with benchmark_serving's): one gap per decode token, none for a first
    token (that is TTFT); a lone request's gaps are its decode steps, and a prefill landing in the middle of
    another request's decode shows in the ITL tail, not in its median."""
    _, sm, _ = setup
    lone = simulate(sm, prompts=[1024], gens=[256], max_num_seqs=8, token_budget=8192,
                    kv_capacity_tokens=100_000, arrivals=[0.0])
    assert float(np.sum(lone.itl_weight)) == 255
    assert lone.percentile("itl", 50) == pytest.approx(lone.tpot_s[0], rel=2e-3)
    r = _run(sm, 2.0, n=400)
    assert r.preemptions == 0 and float(np.sum(r.itl_weight)) == float(np.sum(r.gen_tokens - 1))
    p50, p90, p99 = (r.percentile("itl", p) for p in (50, 90, 99))
    assert p50 <= p90 <= p99 and p99 > 1.5 * p50  # a 1,024-token prefill step is several decode steps long


def test_itl_percentile_is_token_weighted():
    from paramscope.plan.simulate import SimResult

    e = np.array([])
    r = SimResult(e, e, e, e, e, 1.0, 0, 0, 0, itl_step_s=np.array([0.03, 0.01, 0.02]),
                  itl_weight=np.array([1, 90, 9]))
    assert r.percentile("itl", 50) == 0.01 and r.percentile("itl", 90) == 0.01
    assert r.percentile("itl", 95) == 0.02 and r.percentile("itl", 99) == 0.02 and r.percentile("itl", 100) == 0.03
