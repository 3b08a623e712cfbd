"""paramscope tco (--price-per-hour USD | --gpu NAME [--price-class CLASS]) [--gpus N] [--hours H]
[--utilization U] [--tokens-per-s T | --model M] [--json]"""

from __future__ import annotations

from .. import render
from ..units import parse_count, parse_float


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("tco", help="monthly cost of a deployment: the seed's formula, rented or owned GPUs, "
                                   "USD per GPU-hour and per million tokens (dated, sourced prices)")
    p.add_argument("--price-per-hour", default=None, metavar="USD", help="price per GPU-hour (instead of a "
                                                                         "recorded price)")
    p.add_argument("--gpu", default=None, metavar="NAME", help="device; its price comes from data/prices.toml")
    p.add_argument("--price-class", default=None, metavar="CLASS",
                   help="on-demand-hyperscaler, on-demand-specialised (default), capacity-block, reserved-1y, "
                        "reserved-3y, spot, catalog, or owned (depreciation + energy + hosting)")
    p.add_argument("--gpus", default="1", help="GPUs (default 1)")
    p.add_argument("--hours", default="720", help="hours in the month (default 720, the seed's)")
    p.add_argument("--utilization", default="1", help="fraction of the hours the GPUs are busy, (0, 1] "
                                                      "(default 1)")
    p.add_argument("--tokens-per-s", default=None, help="tokens/s the whole deployment produces at full load")
    p.add_argument("--model", default=None, help="take tokens/s from `paramscope perf MODEL --gpu NAME --count "
                                                 "GPUS` (decode tokens/s at --batch)")
    p.add_argument("--batch", default="1", help="with --model: sequences decoded at once (default 1)")
    p.add_argument("--weights", default="native", help="with --model: weight scheme (default native)")
    p.add_argument("--engine", default=None, help="with --model: engine (default: as perf)")
    o = p.add_argument_group("owned hardware (with --price-class owned; defaults from data/prices.toml)")
    o.add_argument("--purchase-usd", default=None, help="purchase price per GPU")
    o.add_argument("--depreciation-years", default=None, help="straight-line depreciation period")
    o.add_argument("--pue", default=None, help="power usage effectiveness (>= 1)")
    o.add_argument("--usd-per-kwh", default=None, help="electricity price")
    o.add_argument("--hosting-usd-per-kw-month", default=None, help="colocation price per kW of GPU power")
    o.add_argument("--power-w", default=None, help="GPU power at load (default: its TDP)")
    p.add_argument("--list-prices", action="store_true", help="list the price records (with --gpu: its records)")
    _add_json(p)
    p.set_defaults(func=_lazy("tco"))


def _f(text, what):
    return None if text is None else parse_float(text, what=what)


def _list(args) -> int:
    from ..economics import load_prices, price_classes, price_records
    from ..hardware import get_hardware

    hw = None if args.gpu is None else get_hardware(args.gpu).id
    recs = price_records(hw, args.price_class) if hw else [
        r for r in load_prices().rentals if args.price_class in (None, r.price_class)]
    book = load_prices()
    if args.json:
        render.emit_json({"classes": price_classes(), "rentals": [r.to_dict() for r in recs],
                          "purchases": {k: v.to_dict() for k, v in book.purchases.items()},
                          "owned_parameters": {k: v.to_dict() for k, v in book.owned.items()}})
        return 0
    rows = [[r.hardware, r.price_class, f"{r.usd_per_gpu_hour:,.3f}", r.date, r.provider[:44]] for r in recs]
    print(render.table(rows, ["hardware", "class", "USD/GPU-h", "date", "provider"], align="llrll"))
    for k, v in book.purchases.items():
        print(f"purchase {k}: ${v.value:,.0f} ({v.date}) {v.source}")
    for k, v in book.owned.items():
        print(f"{k}: {v.value:g} ({v.date}) {v.source}")
    return 0


def run(args) -> int:
    from ..economics import DEFAULT_PRICE_CLASS, OWNED, tco
    from ..errors import InputError

    if args.list_prices:
        return _list(args)
    gpus = parse_count(args.gpus, what="--gpus", minimum=1)
    hours = parse_float(args.hours, what="--hours")
    util = parse_float(args.utilization, what="--utilization")
    owned = {k: v for k, v in (
        ("purchase_usd", _f(args.purchase_usd, "--purchase-usd")),
        ("depreciation_years", _f(args.depreciation_years, "--depreciation-years")),
        ("pue", _f(args.pue, "--pue")), ("usd_per_kwh", _f(args.usd_per_kwh, "--usd-per-kwh")),
        ("hosting_usd_per_kw_month", _f(args.hosting_usd_per_kw_month, "--hosting-usd-per-kw-month")),
        ("power_w", _f(args.power_w, "--power-w"))) if v is not None}
    price = _f(args.price_per_hour, "--price-per-hour")
    if price is not None and args.price_class is not None:
        raise InputError("--price-per-hour and --price-class contradict each other: give one")
    if owned and (args.price_class or DEFAULT_PRICE_CLASS) != OWNED:
        raise InputError("owned-hardware options need --price-class owned")
    tps = _f(args.tokens_per_s, "--tokens-per-s")
    perf = None
    if args.model is not None:
        if tps is not None:
            raise InputError("--model and --tokens-per-s contradict each other: give one")
        if args.gpu is None:
            raise InputError("--model needs --gpu to compute tokens/s")
        from ..deployment import build_deployment
        from ..hardware import get_hardware
        from ..perf import perf_deployment
        from . import load

        dep = build_deployment(load(args.model), get_hardware(args.gpu), engine=args.engine, gpus=gpus,
                               weights=args.weights, batch=parse_count(args.batch, what="--batch", minimum=1))
        perf = perf_deployment(dep)
        tps = perf.decode_tokens_per_s
    if price is None and args.gpu is None:
        raise InputError("give --price-per-hour, or --gpu for a recorded price")
    r = tco(args.gpu, price_class=args.price_class or DEFAULT_PRICE_CLASS, price_per_gpu_hour=price, gpus=gpus,
            hours=hours, utilization=util, tokens_per_s=tps, **owned)
    d = r.to_dict()
    if perf is not None:
        d["perf"] = {"model": perf.model, "decode_tokens_per_s": perf.decode_tokens_per_s, "ttft_s": perf.ttft_s,
                     "tpot_s": perf.tpot_s, "batch": perf.options.batch, "weights": perf.deployment.weights,
                     "engine": perf.deployment.engine}
    if args.json:
        render.emit_json(d)
        return 0
    lines = []
    what = r.hardware or "GPU"
    if r.mode == "rented":
        src = r.price
        lines.append(f"{r.gpus} x {what} at ${r.usd_per_gpu_hour:,.4g}/GPU-h ({r.price_class}), {r.hours:g} h, "
                     f"utilization {r.utilization:g}")
        lines.append(f"seed formula (price x GPUs x hours x utilization): ${r.usd_per_month:,.2f} per month")
        lines.append(f"billed for an always-on rental:                  ${r.billed_usd_per_month:,.2f} per month")
        if src:
            lines.append(f"price: {src['provider']}, {src['date']}; {src['source']}")
    else:
        lines.append(f"{r.gpus} x {what} owned, {r.hours:g} h, utilization {r.utilization:g}")
        for k, v in r.parts.items():
            lines.append(f"  {k:<13} ${v:,.2f} per month")
        lines.append(f"  {'total':<13} ${r.usd_per_month:,.2f} per month; ${r.usd_per_gpu_hour:,.4f} per GPU-hour")
        for k, v in r.inputs.items():
            lines.append(f"  {k} = {v['value']:g} ({v.get('date', '')}) {v['source']}")
    lines.append(f"per useful GPU-hour: ${r.usd_per_useful_gpu_hour:,.4f}")
    if r.usd_per_mtok is not None:
        via = f" ({perf.model}, batch {perf.options.batch}, from perf)" if perf else ""
        lines.append(f"throughput {r.tokens_per_s:,.1f} tokens/s{via}: {r.tokens_per_month:,.0f} tokens per month, "
                     f"${r.usd_per_mtok:,.4f} per million tokens")
    for a in r.assumptions:
        lines.append(f"assumption: {a}")
    from . import wrap80

    print(wrap80("\n".join(lines)))
    return 0
