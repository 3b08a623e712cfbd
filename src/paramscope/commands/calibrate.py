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

    from ..calibrate import measure, profile_record, save
    from ..errors import InputError

    if not re.fullmatch(r"[a-z0-9]+(?:[.-][a-z0-9]+)*", args.name):
        raise InputError(f"--name {args.name!r}: use lower-case letters, digits, '-' and '.'")
    m = measure(args.device, parse_float(args.seconds, what="--seconds"))
    rec = profile_record(m, args.name)
    path = save(rec, args.out)
    if args.json:
        render.emit_json({"profile": rec, "path": str(path), "measured": m})
        return 0
    print(f"{args.name}: {m['bandwidth_bytes_per_s'] / 1e9:.1f} GB/s copy bandwidth, "
          f"{m['fp32_flops_per_s'] / 1e9:.1f} GFLOP/s fp32 matmul, {m['memory_bytes'] / 1e9:.1f} GB memory "
          f"({m['library']}, {m['device']})")
    print(f"saved {path}; use it with --gpu {args.name} (achieved rates: add --bandwidth-efficiency 1 "
          "--compute-efficiency 1 to perf)")
    return 0
