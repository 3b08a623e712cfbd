"""Cascades and routers: expected cost and latency by hand, fleet sizing, the seed's thresholds, bad input."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramscope.cascade import Tier, plan, shares_from_thresholds
from paramscope.cli import main
from paramscope.errors import InputError

T = [Tier("small", 0.001, 0.2, 50.0, 1, 2.0), Tier("mid", 0.004, 1.0, 10.0, 1, 2.5),
     Tier("big", 0.05, 5.0, 1.0, 4, 12.0)]


def test_cascade_by_hand():
    r = plan(T, escalate=[0.3, 0.1], rate_qps=100)
    assert r.reach == pytest.approx([1, 0.3, 0.03])
    assert r.usd_per_query == pytest.approx(0.001 + 0.3 * 0.004 + 0.03 * 0.05)
    assert r.latency_s == pytest.approx(0.2 + 0.3 * 1.0 + 0.03 * 5.0)
    assert r.worst_latency_s == pytest.approx(6.2)
    assert [f["replicas"] for f in r.fleet] == [2, 3, 3]  # 100/50, 30/10, 3/1
    assert r.fleet_gpus == 2 + 3 + 12
    assert r.baseline["gpus"] == 400 and r.to_dict()["saving_vs_baseline"] == pytest.approx(1 - 0.0037 / 0.05)


def test_seed_thresholds_router():
    # seed 001's dynamic_model_selection: complexity < 0.3 -> 1B, < 0.7 -> 7B, else 70B
    s = shares_from_thresholds([0.3, 0.7])
    assert s == pytest.approx([0.3, 0.4, 0.3])
    r = plan(T, shares=s)
    assert r.usd_per_query == pytest.approx(0.3 * 0.001 + 0.4 * 0.004 + 0.3 * 0.05)
    assert r.worst_latency_s == 5.0  # a routed query runs one tier


@pytest.mark.parametrize("kw", [
    {"escalate": [0.3]}, {"escalate": [0.3, 1.2]}, {"escalate": [0.3, -0.1]}, {"shares": [0.5, 0.5, 0.5]},
    {"shares": [0.5, 0.5]}, {}, {"escalate": [0.1, 0.1], "shares": [0.2, 0.3, 0.5]},
    {"escalate": [0.1, 0.1], "rate_qps": 0}, {"escalate": [0.1, 0.1], "rate_qps": -5},
])
def test_bad_routing(kw):
    with pytest.raises(InputError) as exc:
        plan(T, **kw)
    assert "--" not in str(exc.value)


@pytest.mark.parametrize("ts", [[0.7, 0.3], [0, 0.5], [0.5, 1.0], [0.4, 0.4], []])
def test_bad_thresholds(ts):
    with pytest.raises(InputError):
        shares_from_thresholds(ts)


@given(e1=st.floats(0, 1), e2=st.floats(0, 1), rate=st.floats(0.1, 1e4), k=st.integers(2, 8))
def test_cascade_never_beyond_all_tiers_and_fleet_scales(e1, e2, rate, k):
    r = plan(T, escalate=[e1, e2], rate_qps=rate)
    assert T[0].usd_per_query <= r.usd_per_query <= sum(t.usd_per_query for t in T) + 1e-15
    rk = plan(T, escalate=[e1, e2], rate_qps=rate * k)
    assert rk.fleet_gpus >= r.fleet_gpus
    assert all(f["replicas"] >= math.ceil(f["load_qps"] / t.queries_per_s - 1e-9) for f, t in zip(r.fleet, T, strict=False))


def test_cli_cascade_uses_perf_numbers(capsys):
    argv = ["cascade", "llama-3.2-1b-instruct,llama-3.1-8b", "--gpu", "h100-sxm", "--escalate", "0.2",
            "--rate", "5", "--batch", "8", "--prompt", "512", "--gen", "128", "--json"]
    assert main(argv) == 0
    d = json.loads(capsys.readouterr().out)
    assert main(["perf", "llama-3.1-8b", "--gpu", "h100-sxm", "--batch", "8", "--prompt", "512", "--gen", "128",
                 "--count", str(d["tiers"][1]["gpus_per_replica"]), "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert d["tiers"][1]["latency_s"] == pytest.approx(p["ttft_s"] + 128 * p["tpot_s"])
    assert d["usd_per_query"] == pytest.approx(d["tiers"][0]["usd_per_query"] + 0.2 * d["tiers"][1]["usd_per_query"])


@pytest.mark.parametrize("extra,msg", [([], "one of"), (["--escalate", "0.2", "--shares", "0.5,0.5"], "one of"),
                                       (["--escalate", "1.5"], "escalation"), (["--shares", "0.2,0.2"], "sum")])
def test_cli_bad_input(capsys, extra, msg):
    assert main(["cascade", "llama-3.2-1b-instruct,llama-3.1-8b", "--gpu", "h100-sxm", *extra]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and msg in err
