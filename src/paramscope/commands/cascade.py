"""paramscope cascade M1,M2,M3 --gpu NAME (--escalate E1,E2 | --shares S1,S2,S3 | --thresholds T1,T2)
[--rate QPS] [--baseline MODEL] [deployment options] [--json]"""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _lazy
    from . import COUNT_RULE, add_deployment_args
    from .compare import add_economics_args

    p = sub.add_parser("cascade", help="cascade or router over models: expected cost and latency per query, GPUs "
                                       "per tier for a request rate, against one model", epilog=COUNT_RULE)
    p.add_argument("models", metavar="M1,M2,...", help="tiers, cheapest first (comma-separated model names)")
    add_deployment_args(p, require_gpu=True)
    add_economics_args(p)
    g = p.add_argument_group("routing (one of)")
    g.add_argument("--escalate", default=None, help="cascade: fraction of tier k's queries passed to tier k+1, "
                                                    "one per boundary (e.g. 0.3,0.1)")
    g.add_argument("--shares", default=None, help="router: fraction of all queries sent to each tier (sum 1)")
    g.add_argument("--thresholds", default=None, help="router with seed 001's complexity thresholds over a "
                                                      "uniform complexity (e.g. 0.3,0.7)")
    p.add_argument("--rate", default=None, help="queries per second to provision for")
    p.add_argument("--baseline", default=None, help="the single model to compare with (default: the last tier)")
    _add_json(p)
    p.set_defaults(func=_lazy("cascade"))


def _floats(text, what):
    from ..units import parse_float

    return [parse_float(x, what=what) for x in str(text).split(",") if x.strip()]


def run(args) -> int:
    from ..cascade import plan, shares_from_thresholds, tier_from_point
    from ..errors import InputError
    from ..units import parse_float
    from . import hardware_from_args, load, wrap80
    from .compare import point_for

    given = [x for x in (args.escalate, args.shares, args.thresholds) if x is not None]
    if len(given) != 1:
        raise InputError("give one of --escalate (cascade), --shares or --thresholds (router)")
    hw = hardware_from_args(args)
    refs = [r.strip() for r in args.models.split(",") if r.strip()]

    def tier(ref):
        sp = point_for(args, load(ref), hw, args.weights)
        if sp is None:
            raise InputError(f"{ref} does not fit on any number of {hw.id} GPUs at this batch and context")
        return tier_from_point(ref, sp)

    tiers = [tier(r) for r in refs]
    base = tier(args.baseline) if args.baseline else None
    shares = None
    if args.thresholds is not None:
        shares = shares_from_thresholds(_floats(args.thresholds, "--thresholds"))
    elif args.shares is not None:
        shares = _floats(args.shares, "--shares")
    rate = None if args.rate is None else parse_float(args.rate, what="--rate")
    r = plan(tiers, escalate=None if args.escalate is None else _floats(args.escalate, "--escalate"), shares=shares,
             rate_qps=rate, baseline=base)
    d = r.to_dict()
    if args.json:
        render.emit_json(d)
        return 0
    rows = []
    for i, (t, reach) in enumerate(zip(r.tiers, r.reach, strict=False)):
        f = r.fleet[i] if r.fleet else {}
        rows.append([t.name, f"{reach:.3f}", str(t.gpus_per_replica), f"{t.latency_s:,.2f}",
                     f"{t.usd_per_query * 1e3:,.4f}", f"{t.queries_per_s:,.2f}", str(f.get("replicas", "-")),
                     str(f.get("gpus", "-"))])
    print(render.table(rows, ["tier", "reach", "GPUs/rep", "latency s", "m$/query", "q/s/rep", "replicas", "GPUs"],
                       align="lrrrrrrr"))
    b = r.baseline
    lines = [f"{r.mode}: {r.usd_per_query * 1e3:,.4f} m$ per query, latency {r.latency_s:,.2f} s expected, "
             f"{r.worst_latency_s:,.2f} s worst",
             f"baseline {b['name']} alone: {b['usd_per_query'] * 1e3:,.4f} m$ per query, latency {b['latency_s']:,.2f} s; "
             f"saving {d['saving_vs_baseline']:.1%}"]
    if rate is not None:
        lines.append(f"at {rate:g} queries/s: {r.fleet_gpus} GPUs, ${r.fleet_usd_per_hour:,.2f}/h; baseline "
                     f"{b['gpus']} GPUs, ${b['usd_per_hour']:,.2f}/h")
    lines.append(f"on {hw.id}, {args.weights} weights, batch {args.batch}; m$ = thousandths of a dollar; cost at "
                 "full load; latency = TTFT + gen x TPOT; a cascade's escalated query pays every tier it passes")
    print(wrap80("\n".join(lines)))
    return 0
