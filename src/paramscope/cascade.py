"""Cascades and routers over self-hosted models: expected cost and latency per query, and GPUs per tier for a
request rate, against a single-model baseline.

    cascade  every query starts at tier 1; a fraction e_k of the queries tier k handles is escalated to k+1.
             reach_1 = 1, reach_(k+1) = reach_k x e_k; an escalated query pays every tier it passed through:
             E[cost] = sum reach_k x cost_k,  E[latency] = sum reach_k x latency_k
    router   a router sends each query straight to one tier with share s_k (sum 1):
             E[cost] = sum s_k x cost_k,  E[latency] = sum s_k x latency_k
             seed 001's complexity thresholds (t_1 < t_2 < ...) over a uniform complexity in [0, 1] give
             s = (t_1, t_2 - t_1, ..., 1 - t_last)
    fleet    at R queries/s, tier k serves R x reach_k (or R x s_k); replicas_k = ceil(load / capacity_k),
             capacity_k = batch / end-to-end latency (requests one replica completes per second at its batch)

Per-tier latency, capacity and price come from perf_deployment and the price book (economics.serving_point).
The router's own cost (a classifier) and the escalation decision's cost are not counted: give them as a tier.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .errors import InputError


@dataclass(frozen=True)
class Tier:
    name: str
    usd_per_query: float  # at full load
    latency_s: float  # end-to-end for one query
    queries_per_s: float  # one replica's capacity
    gpus_per_replica: int
    usd_per_hour: float  # one replica

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CascadeReport:
    mode: str  # "cascade" | "router"
    tiers: list
    reach: list  # fraction of all queries each tier runs
    usd_per_query: float
    latency_s: float
    worst_latency_s: float
    baseline: dict
    rate_qps: float | None = None
    fleet: list = field(default_factory=list)  # per tier: load, replicas, gpus, usd_per_hour
    fleet_gpus: int | None = None
    fleet_usd_per_hour: float | None = None

    def to_dict(self) -> dict:
        return {"mode": self.mode, "tiers": [t.to_dict() for t in self.tiers], "reach": list(self.reach),
                "usd_per_query": self.usd_per_query, "latency_s": self.latency_s,
                "worst_latency_s": self.worst_latency_s, "baseline": dict(self.baseline), "rate_qps": self.rate_qps,
                "fleet": list(self.fleet), "fleet_gpus": self.fleet_gpus, "fleet_usd_per_hour": self.fleet_usd_per_hour,
                "saving_vs_baseline": 1 - self.usd_per_query / self.baseline["usd_per_query"]}


def _fraction(v, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1:
        raise InputError(f"{what} must be in [0, 1], got {v!r}")
    return float(v)


def shares_from_thresholds(thresholds) -> list[float]:
    """Seed 001's router thresholds over a uniform query complexity in [0, 1] -> the share of each tier."""
    ts = [_fraction(t, "a complexity threshold") for t in thresholds]
    if not ts or any(not 0 < t < 1 for t in ts) or any(b <= a for a, b in zip(ts, ts[1:], strict=False)):
        raise InputError(f"complexity thresholds must be strictly increasing inside (0, 1), got {list(thresholds)}")
    edges = [0.0, *ts, 1.0]
    return [b - a for a, b in zip(edges, edges[1:], strict=False)]


def reach_of(n: int, *, escalate=None, shares=None) -> tuple[str, list[float]]:
    if (escalate is None) == (shares is None):
        raise InputError("give either escalation rates (a cascade) or shares (a router), not both or neither")
    if escalate is not None:
        es = [_fraction(e, "an escalation rate") for e in escalate]
        if len(es) != n - 1:
            raise InputError(f"{n} tiers need {n - 1} escalation rates, got {len(es)}")
        reach = [1.0]
        for e in es:
            reach.append(reach[-1] * e)
        return "cascade", reach
    ss = [_fraction(s, "a share") for s in shares]
    if len(ss) != n:
        raise InputError(f"{n} tiers need {n} shares, got {len(ss)}")
    if abs(sum(ss) - 1) > 1e-9:
        raise InputError(f"router shares must sum to 1, got {sum(ss):g}")
    return "router", ss


def plan(tiers: list[Tier], *, escalate=None, shares=None, rate_qps: float | None = None,
         baseline: Tier | None = None) -> CascadeReport:
    """Expected cost and latency per query of a cascade (``escalate``) or router (``shares``) over ``tiers``;
    the fleet for ``rate_qps``; the baseline is ``baseline`` or the last tier serving every query."""
    if not tiers:
        raise InputError("a cascade needs at least one tier")
    mode, reach = reach_of(len(tiers), escalate=escalate, shares=shares)
    cost = sum(r * t.usd_per_query for r, t in zip(reach, tiers, strict=False))
    lat = sum(r * t.latency_s for r, t in zip(reach, tiers, strict=False))
    worst = sum(t.latency_s for t, r in zip(tiers, reach, strict=False) if r > 0) if mode == "cascade" else max(
        t.latency_s for t, r in zip(tiers, reach, strict=False) if r > 0)
    base = baseline or tiers[-1]
    bd = {"name": base.name, "usd_per_query": base.usd_per_query, "latency_s": base.latency_s}
    fleet, gpus, usd_h = [], None, None
    if rate_qps is not None:
        if isinstance(rate_qps, bool) or not isinstance(rate_qps, (int, float)) or not math.isfinite(rate_qps) \
                or rate_qps <= 0:
            raise InputError(f"request rate must be a positive number, got {rate_qps!r}")
        for r, t in zip(reach, tiers, strict=False):
            load = rate_qps * r
            replicas = math.ceil(load / t.queries_per_s - 1e-12) if load > 0 else 0
            fleet.append({"tier": t.name, "load_qps": load, "replicas": replicas,
                          "gpus": replicas * t.gpus_per_replica, "usd_per_hour": replicas * t.usd_per_hour})
        gpus = sum(f["gpus"] for f in fleet)
        usd_h = sum(f["usd_per_hour"] for f in fleet)
        b_rep = math.ceil(rate_qps / base.queries_per_s - 1e-12)
        bd |= {"replicas": b_rep, "gpus": b_rep * base.gpus_per_replica, "usd_per_hour": b_rep * base.usd_per_hour}
    return CascadeReport(mode, list(tiers), reach, cost, lat, worst, bd, rate_qps, fleet, gpus, usd_h)


def tier_from_point(name: str, sp) -> Tier:
    """A tier from an economics.ServingPoint (a deployment that fits)."""
    if not sp.fits or not sp.requests_per_s:
        raise InputError(f"{name} does not fit on {sp.gpus} x {sp.hardware}")
    return Tier(name, sp.usd_per_request, sp.e2e_s, sp.requests_per_s, sp.gpus, sp.usd_per_hour)
