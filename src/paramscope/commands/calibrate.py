"""paramscope calibrate [--name NAME] [--device cpu|cuda] [--seconds S] [--out FILE] [--json]"""

from __future__ import annotations

from .. import render
from ..units import parse_float


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("calibrate", help="measure this machine's memory bandwidth and matmul rate; save a hardware "
                                         "profile that --gpu can name")
    p.add_argument("--name", default="this-machine", help="profile id (default this-machine)")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--seconds", default="2", help="time budget (default 2 s)")
    p.add_argument("--out", default=None, help="file to write (default: the user hardware directory)")
    _add_json(p)
    p.set_defaults(func=_lazy("calibrate"))


def run(args) -> int:
    import re
    import sys

    from ..calibrate import measure, measurement_warnings, profile_record, save
    from ..errors import InputError

    if not re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", args.name):
        raise InputError(f"--name {args.name!r}: use lower-case letters, digits, '-' and '.'")
    m = measure(args.device, parse_float(args.seconds, what="--seconds"))
    rec = profile_record(m, args.name)
    path = save(rec, args.out)
    warnings = list(m.get("warnings") or measurement_warnings(m))
    if args.json:
        render.emit_json({"profile": rec, "path": str(path), "measured": m, "warnings": warnings})
        return 0
    print(f"{args.name}: {m['library']}, {m['device']} ({m['machine']}), {render.n(int(m['memory_bytes']))} bytes "
          f"memory = {m['memory_bytes'] / 2**30:,.2f} GiB")
    rows = []
    for what, key, stats_key, scale, unit in (("copy bandwidth", "bandwidth_bytes_per_s", "bandwidth_stats_bytes_per_s",
                                               1e9, "GB/s"),
                                              ("fp32 matmul", "fp32_flops_per_s", "fp32_stats_flops_per_s", 1e9,
                                               "GFLOP/s")):
        st = m.get(stats_key)
        if st:
            rows.append([what, unit, f"{st['median'] / scale:,.1f}", f"{st['min'] / scale:,.1f}",
                         f"{st['q1'] / scale:,.1f}", f"{st['q3'] / scale:,.1f}", f"{st['max'] / scale:,.1f}",
                         f"{st['relative_iqr']:.0%}", str(st["runs"])])
        else:
            rows.append([what, unit, f"{m[key] / scale:,.1f}", "-", "-", "-", "-", "-", "-"])
    print(render.table(rows, ["measured", "unit", "median", "min", "q1", "q3", "max", "IQR", "runs"],
                       align="llrrrrrrr"))
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    print(f"saved {path} (medians); use it with --gpu {args.name} (achieved rates: add --bandwidth-efficiency 1 "
          "--compute-efficiency 1 to perf)")
    return 0
