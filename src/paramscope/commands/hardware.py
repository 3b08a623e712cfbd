"""paramscope hardware [SEARCH...] [--show NAME] [--json] [--hardware-file F]"""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("hardware", help="list accelerators (dense peaks, memory, bandwidth, price) or --show one")
    p.add_argument("search", nargs="*", help="words that must appear in id, name, vendor or aliases")
    p.add_argument("--show", metavar="NAME", help="every field of one record, with its sources")
    p.add_argument("--hardware-file", action="append", default=[], metavar="TOML", help="extra hardware definitions")
    _add_json(p)
    p.set_defaults(func=_lazy("hardware"))


def _tf(hw, d):
    v = hw.peak_flops_per_s.get(d)
    return "-" if v is None else f"{v / 1e12:,.0f}"


def run(args) -> int:
    from ..hardware import get_hardware, list_hardware

    if args.show:
        hw = get_hardware(args.show, args.hardware_file)
        d = hw.to_dict()
        if args.json:
            render.emit_json(d)
            return 0
        for k, v in d.items():
            if k == "sources":
                continue
            print(f"{k}: {v}")
        for k, v in d["sources"].items():
            print(f"source[{k}]: {v}")
        return 0
    words = [w.lower() for w in args.search]
    items = [h for h in list_hardware(args.hardware_file)
             if all(w in " ".join((h.id, h.name, h.vendor, *h.aliases)).lower() for w in words)]
    if args.json:
        render.emit_json({"hardware": [h.to_dict() for h in items]})
        return 0
    rows = [[h.id, f"{h.memory_bytes / 1e9:,.0f}", f"{h.memory_bytes / 2**30:,.1f}",
             f"{h.memory_bandwidth_bytes_per_s / 1e12:.2f}", _tf(h, "bf16") if "bf16" in h.peak_flops_per_s
             else _tf(h, "fp16"), _tf(h, "fp8"), _tf(h, "int8"),
             "-" if h.tdp_w is None else f"{h.tdp_w:,.0f}",
             "-" if h.price_per_hour_usd is None else f"{h.price_per_hour_usd:.2f}"] for h in items]
    print(render.table(rows, ["id", "GB", "GiB", "TB/s", "bf16 TF", "fp8 TF", "int8 TOPS", "TDP W", "$/h"],
                       align="lrrrrrrrr"))
    print("\ndense peaks (sparse-only figures are never used); `paramscope hardware --show NAME` for sources")
    return 0
