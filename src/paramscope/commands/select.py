"""paramscope select [MODEL ...] --gpu NAME[,NAME] [--weights A,B] --min-score S [--tier TIER] [--json]

The cheapest model + deployment (USD per million tokens at full load) that meets a published-quality floor and
a latency tier. Tiers (seed 001's three, with the latency each bounds):

    realtime        TTFT < 100 ms   (time to the first streamed token)
    near-real-time  TTFT < 1 s
    batch           end-to-end < 10 s  (TTFT + gen x TPOT: a batch result is used when complete)
"""

from __future__ import annotations

import argparse

from .. import render

TIERS = {"realtime": ("ttft_s", 0.1), "near-real-time": ("ttft_s", 1.0), "batch": ("e2e_s", 10.0)}


def register(sub) -> None:
    from ..cli import _add_json, _lazy
    from . import COUNT_RULE, add_deployment_args
    from .compare import add_economics_args

    p = sub.add_parser("select", help="cheapest model and deployment meeting a quality floor and a latency tier",
                       epilog=COUNT_RULE + " Tiers: realtime = TTFT < 100 ms, near-real-time = TTFT < 1 s, "
                                           "batch = end-to-end < 10 s.")
    p.add_argument("models", nargs="*", metavar="MODEL",
                   help="candidates (default: every catalog model with a published score on --benchmark)")
    add_deployment_args(p, require_gpu=True)
    add_economics_args(p)
    p.add_argument("--min-score", default="0", help="published score floor on --benchmark, percent (default 0)")
    p.add_argument("--tier", default=None, help="realtime | near-real-time | batch (default: no latency bound)")
    _add_json(p)
    p.set_defaults(func=_lazy("select"))


def run(args) -> int:
    from ..errors import InputError
    from ..hardware import get_hardware
    from ..quality import scores
    from ..units import parse_float
    from . import load, wrap80
    from .compare import point_for, quality_of

    floor = parse_float(args.min_score, what="--min-score")
    if not 0 <= floor <= 100:
        raise InputError(f"--min-score: a score is a percentage in [0, 100], got {floor:g}")
    if args.tier is not None and args.tier not in TIERS:
        raise InputError(f"--tier: unknown tier {args.tier!r} (known: {', '.join(TIERS)})")
    key, bound = TIERS.get(args.tier, (None, None))
    gpus = [g.strip() for g in str(args.gpu).split(",") if g.strip()]
    hws = [get_hardware(g, args.hardware_file) for g in gpus]
    schemes = [s.strip() for s in str(args.weights).split(",") if s.strip()] or ["native"]
    refs = args.models or sorted({s.model for s in scores(benchmark=args.benchmark, variant=args.variant)})
    cands = []
    for ref in refs:
        model = load(ref)
        for hw in hws:
            for scheme in schemes:
                q = quality_of(model, args, scheme)
                a = argparse.Namespace(**vars(args))
                a.gpu = hw.id
                sp = point_for(a, model, hw, scheme)
                s = None if sp is None else sp.to_dict()
                why = []
                if q is None:
                    why.append(f"no published {args.benchmark} score")
                elif q["value"] is None:
                    why.append(q["reason"])
                elif q["value"] < floor:
                    why.append(f"{args.benchmark} {q['value']:.4g} < {floor:g}")
                if s is None or not s["fits"]:
                    why.append("does not fit")
                elif key is not None and not s[key] < bound:
                    why.append(f"{key} {s[key]:.3g} s >= {bound:g} s")
                cands.append({"ref": ref, "model": model.name, "hardware": hw.id, "weights": scheme, "serving": s,
                              "quality": q, "meets": not why, "why_not": why})
    ok = [c for c in cands if c["meets"]]
    tier = None if args.tier is None else {"name": args.tier, "bounds": key, "limit_s": bound}
    if not ok:
        raise InputError(f"no candidate meets {args.benchmark} >= {floor:g}"
                         + (f" and {args.tier} ({key} < {bound:g} s)" if key else "")
                         + f" on {', '.join(gpus)} with {', '.join(schemes)} weights; closest: "
                         + "; ".join(f"{c['ref']} {c['weights']} on {c['hardware']}: {', '.join(c['why_not'])}"
                                     for c in cands[:3]))
    best = min(ok, key=lambda c: c["serving"]["usd_per_mtok"])
    if args.json:
        render.emit_json({"choice": best, "candidates": cands, "tier": tier, "min_score": floor,
                          "benchmark": args.benchmark,
                          "cost": "usd_per_mtok: USD per million decode tokens at full load"})
        return 0
    rows = []
    for c in sorted(cands, key=lambda c: (not c["meets"], (c["serving"] or {}).get("usd_per_mtok") or 1e99)):
        s = c["serving"] or {}
        rows.append([("* " if c is best else "  ") + c["ref"][:20], c["weights"], c["hardware"],
                     str(s.get("gpus", "-")), f"{s['ttft_s'] * 1e3:,.0f}" if s.get("ttft_s") else "-",
                     f"{s['e2e_s']:,.2f}" if s.get("e2e_s") else "-",
                     f"{s['usd_per_mtok']:,.2f}" if s.get("usd_per_mtok") else "-",
                     f"{c['quality']['value']:.4g}" if c["quality"] and c["quality"]["value"] is not None else "-",
                     "ok" if c["meets"] else "; ".join(c["why_not"])])
    print(render.table(rows, ["model", "weights", "GPU", "GPUs", "TTFT ms", "e2e s", "$/Mtok", args.benchmark,
                              "meets"], align="lllrrrrrl"))
    b = best["serving"]
    print(wrap80(f"choice: {best['ref']} ({best['weights']}) on {b['gpus']} x {b['hardware']}: "
                 f"${b['usd_per_mtok']:,.2f} per million tokens, TTFT {b['ttft_s'] * 1e3:,.0f} ms, end-to-end "
                 f"{b['e2e_s']:,.2f} s at batch {b['batch']}"
                 + (f"; tier {args.tier} bounds {'TTFT' if key == 'ttft_s' else 'end-to-end latency'} < {bound:g} s"
                    if key else "")))
    return 0
