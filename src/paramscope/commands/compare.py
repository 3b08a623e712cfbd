"""paramscope compare MODEL [MODEL ...] --gpu NAME [--weights A,B] [deployment options] [--price-class C] [--json]

Models side by side: parameters, memory per weight scheme (fit), speed (perf), USD per million tokens (the price
book), published quality, and seed 001's efficiency index. Each row is one deployment; its numbers are what
`paramscope fit` and `paramscope perf` print for the same flags (and --count = the row's GPUs)."""

from __future__ import annotations

import argparse

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _lazy
    from . import COUNT_RULE, add_deployment_args

    p = sub.add_parser("compare", help="models side by side: parameters, memory per scheme, fit, speed, USD per "
                                       "million tokens, published quality, efficiency index", epilog=COUNT_RULE)
    p.add_argument("models", nargs="+", metavar="MODEL", help="catalog names, files or hub ids")
    add_deployment_args(p, require_gpu=True)
    add_economics_args(p)
    _add_json(p)
    p.set_defaults(func=_lazy("compare"))


def add_economics_args(p) -> None:
    g = p.add_argument_group("economics and quality")
    g.add_argument("--price-class", default=None, help="price class (default on-demand-specialised; `paramscope "
                                                       "tco --list-prices`), or owned")
    g.add_argument("--price-per-hour", default=None, metavar="USD", help="price per GPU-hour instead of the book")
    g.add_argument("--benchmark", default="mmlu", help="mmlu (default), mmlu-pro, gpqa, humaneval")
    g.add_argument("--variant", default=None, choices=("base", "instruct"),
                   help="published score of the base or instruct checkpoint (default: base, else instruct)")


def price_args(args):
    from ..economics import DEFAULT_PRICE_CLASS
    from ..errors import InputError
    from ..units import parse_float

    if args.price_per_hour is not None and args.price_class is not None:
        raise InputError("--price-per-hour and --price-class contradict each other: give one")
    price = None if args.price_per_hour is None else parse_float(args.price_per_hour, what="--price-per-hour")
    return args.price_class or DEFAULT_PRICE_CLASS, price


def point_for(args, model, hw, scheme: str, gpus: int | None = None):
    """The deployment for ``scheme`` on the fewest GPUs that hold it (or --count), and its serving point."""
    from ..economics import fewest_gpus, serving_point
    from . import deployment_from_args

    a = argparse.Namespace(**vars(args))
    a.weights = scheme
    if gpus is not None:
        a.count = str(gpus)
    elif a.count is None and a.tp is None and a.pp is None:
        n = fewest_gpus(deployment_from_args(a, model, hw))
        if n is None:
            return None
        a.count = str(n)
    cls, price = price_args(args)
    return serving_point(deployment_from_args(a, model, hw), price_class=cls, price_per_gpu_hour=price)


def quality_of(model, args, scheme: str = "native") -> dict | None:
    """The published score adjusted for the weight scheme (quality.scheme_score: the planner's rule)."""
    from ..quality import catalog_id, scheme_score

    cid = catalog_id(model)
    return None if cid is None else scheme_score(cid, args.benchmark, scheme, args.variant)


def run(args) -> int:
    from ..economics import efficiency_index
    from ..params import analyze
    from . import hardware_from_args, load, wrap80

    hw = hardware_from_args(args)
    schemes = [s.strip() for s in str(args.weights).split(",") if s.strip()] or ["native"]
    rows = []
    for ref in args.models:
        model = load(ref)
        pr = analyze(model)
        for scheme in schemes:
            q = quality_of(model, args, scheme)
            sp = point_for(args, model, hw, scheme)
            eff = None
            if sp is not None and q is not None and q["value"] is not None and sp.decode_tokens_per_s \
                    and sp.usd_per_hour:
                eff = efficiency_index(q["value"], sp.decode_tokens_per_s, sp.usd_per_hour)
            rows.append({"model": pr.name, "ref": ref, "total_params": pr.total, "active_params": pr.active,
                         "weights": scheme, "serving": None if sp is None else sp.to_dict(),
                         "quality": q, "efficiency_index": eff})
    if args.json:
        render.emit_json({"hardware": hw.id, "benchmark": args.benchmark, "rows": rows,
                          "efficiency_index": "accuracy (fraction) x decode tokens/s / USD per hour (seed 001)"})
        return 0
    table = []
    for r in rows:
        s = r["serving"]
        q = r["quality"]
        cells = [r["model"][:22], f"{r['total_params'] / 1e9:,.2f}B",
                 f"{r['active_params'] / 1e9:,.2f}B", r["weights"]]
        if s is None:
            cells += ["-", "does not fit", "-", "-", "-", "-"]
        else:
            cells += [str(s["gpus"]), f"{s['per_gpu_bytes'] / 1e9:,.1f}",
                      f"{s['ttft_s'] * 1e3:,.0f}" if s["ttft_s"] else "-",
                      f"{s['decode_tokens_per_s']:,.1f}" if s["decode_tokens_per_s"] else "-",
                      f"{s['usd_per_mtok']:,.2f}" if s["usd_per_mtok"] else "-"]
        cells.append(f"{q['value']:.4g}" if q and q["value"] is not None else "-")
        cells.append(f"{r['efficiency_index']:,.1f}" if r["efficiency_index"] is not None else "-")
        table.append(cells)
    print(render.table(table, ["model", "total", "active", "weights", "GPUs", "GB/GPU", "TTFT ms", "tok/s",
                               "$/Mtok", args.benchmark, "eff."], align="lrrlrrrrrrr"))
    first = next((r["serving"] for r in rows if r["serving"]), None)
    notes = [f"on {hw.id}; GPUs: the fewest that hold each deployment (or --count); tok/s: decode, all sequences, "
             f"batch {args.batch}; $/Mtok at full load"]
    if first and first.get("price"):
        p = first["price"]
        notes.append(f"price: {p['class']} {p['provider']} ${p['usd_per_gpu_hour']:g}/GPU-h ({p['date']}) {p['source']}")
    notes.append(f"{args.benchmark}: published score of the 16-bit checkpoint (data/quality.toml), adjusted by the "
                 "scheme's published delta where one exists (- where none converts); eff. = score/100 x tok/s / USD "
                 "per hour (seed 001's index)")
    for r in rows:
        q = r["quality"]
        if q and (q.get("reason") or q.get("assumption")):
            notes.append(f"{r['ref']} {r['weights']}: {q.get('reason') or q.get('assumption')}")
    print(wrap80("\n".join(notes)))
    return 0
