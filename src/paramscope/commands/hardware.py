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


def _show(hw) -> None:
    import textwrap

    from ..hardware import memory_label

    print(f"{hw.id}: {hw.name} ({hw.vendor} {hw.kind})" + (f", {hw.year}" if hw.year else ""))
    if hw.aliases:
        print(f"  aliases: {', '.join(hw.aliases)}")
    print(f"  memory: {memory_label(hw)}")
    print(f"    = {render.n(hw.memory_bytes)} bytes")
    print(f"  bandwidth: {hw.memory_bandwidth_bytes_per_s / 1e9:,.1f} GB/s")
    peaks = ", ".join(f"{d} {v / 1e12:,.1f}" for d, v in hw.peak_flops_per_s.items())
    print(textwrap.fill(f"dense peaks (TFLOPS; int8/int4 TOPS): {peaks}", 78, initial_indent="  ",
                        subsequent_indent="    "))
    if hw.interconnect or hw.interconnect_bytes_per_s:
        bw = "" if hw.interconnect_bytes_per_s is None else f", {hw.interconnect_bytes_per_s / 1e9:,.1f} GB/s"
        print(f"  interconnect: {hw.interconnect or '-'}{bw} (bidirectional per device)")
    if hw.pcie_bytes_per_s:
        print(f"  host link: {hw.pcie_bytes_per_s / 1e9:,.0f} GB/s (bidirectional)")
    if hw.tdp_w:
        print(f"  power: {hw.tdp_w:,.0f} W")
    if hw.price_per_hour_usd is not None:
        print(f"  price: ${hw.price_per_hour_usd:.2f} per device-hour")
    if hw.measured:
        print("  measured profile (paramscope calibrate): achieved rates, not vendor peaks")
    for k, v in hw.sources.items():
        print(textwrap.fill(f"source[{k}]: {v}", 78, initial_indent="  ", subsequent_indent="    ",
                            break_on_hyphens=False))
    if hw.origin:
        print(f"  from: {hw.origin}")


def run(args) -> int:
    from ..hardware import get_hardware, list_hardware

    if args.show:
        hw = get_hardware(args.show, args.hardware_file)
        if args.json:
            render.emit_json(hw.to_dict())
            return 0
        _show(hw)
        return 0
    words = [w.lower() for w in args.search]
    items = [h for h in list_hardware(args.hardware_file)
             if all(w in " ".join((h.id, h.name, h.vendor, *h.aliases)).lower() for w in words)]
    if args.json:
        render.emit_json({"hardware": [h.to_dict() for h in items]})
        return 0
    rows = [[h.id + ("*" if h.memory_uncertain else ""),
             "-" if h.memory_marketing_gb is None else f"{h.memory_marketing_gb:g}",
             f"{h.memory_bytes / 2**30:,.1f}",
             f"{h.memory_bandwidth_bytes_per_s / 1e12:.2f}",
             _tf(h, "bf16") if "bf16" in h.peak_flops_per_s else _tf(h, "fp16"), _tf(h, "fp8"), _tf(h, "int8"),
             "-" if h.interconnect_bytes_per_s is None else f"{h.interconnect_bytes_per_s / 1e9:,.0f}",
             "-" if h.tdp_w is None else f"{h.tdp_w:,.0f}",
             "-" if h.price_per_hour_usd is None else f"{h.price_per_hour_usd:.2f}"] for h in items]
    print(render.table(rows, ["id", "GB", "GiB", "TB/s", "bf16", "fp8", "int8", "link", "W", "$/h"], align="lrrrrrrrrr"))
    print("\nGB = marketed capacity; GiB = total the driver reports (nvidia-smi, rocm-smi,\n"
          "Metal); * = assumed, no sourced driver figure. TB/s = memory bandwidth;\n"
          "bf16/fp8 = dense TFLOPS, int8 = dense TOPS (sparse figures never used);\n"
          "link = device link GB/s, bidirectional; W = board power.\n"
          "`paramscope hardware --show NAME` for every figure with its source.")
    return 0
