"""paramscope calibrate [--name NAME] [--device cpu|cuda] [--seconds S] [--engine llama.cpp [--threads N]]
[--out FILE] [--json]"""

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
    p.add_argument("--engine", default=None, choices=["llama.cpp"],
                   help="also run this engine on small generated models and fit its speed constants on this "
                        "machine (llama.cpp: needs llama-cpp-python, numpy and gguf; about a minute; CPU only)")
    p.add_argument("--threads", default=None, help="threads for the engine and the torch kernels (default: all "
                                                   "cores this process may use)")
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
    threads = None
    if args.threads is not None:
        from ..units import parse_count

        threads = parse_count(args.threads, what="--threads", minimum=1)
    if args.engine and args.device != "cpu":
        raise InputError(f"--engine {args.engine}: the engine calibration runs on the CPU only (--device cpu)")
    if args.engine and threads is None:
        from ..calibrate_llamacpp import default_threads

        threads = default_threads()  # the torch kernels and llama.cpp on the same cores
    m = measure(args.device, parse_float(args.seconds, what="--seconds"), threads=threads)
    rec = profile_record(m, args.name)
    engine = None
    if args.engine:
        from ..calibrate_llamacpp import calibrate as calibrate_engine, engine_record

        engine = calibrate_engine(_hardware(rec), threads=threads)
        rec = engine_record(rec, engine)
    path = save(rec, args.out)
    warnings = list(m.get("warnings") or measurement_warnings(m))
    if args.json:
        render.emit_json({"profile": rec, "path": str(path), "measured": m, "warnings": warnings,
                          "engine": engine})
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
    if engine:
        _print_engine(engine)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if engine:
        print(f"saved {path}; `perf --gpu {args.name} --engine llama.cpp` uses the measured llama.cpp constants")
    else:
        print(f"saved {path} (medians); use it with --gpu {args.name} (achieved rates: add --bandwidth-efficiency 1 "
              "--compute-efficiency 1 to perf)")
    return 0


def _hardware(rec: dict):
    from ..hardware import validate_record

    return validate_record(rec, "calibrate")


def _print_engine(engine: dict) -> None:
    c = engine["constants"]
    n = engine["threads"]
    print(f"llama.cpp on this CPU ({n} thread{'s' if n > 1 else ''}), fitted on {len(engine['measured'])} generated "
          "models (relative to the rates above):")
    rows = [[t, f"{c[f'bandwidth_efficiency@{t}']:.3f}", f"{c[f'decode_half_width@{t}']:,.0f}",
             f"{c[f'prefill_compute_efficiency@{t}']:.3f}", f"{c[f'prefill_half_width@{t}']:,.0f}"]
            for t in engine["types"]]
    print(render.table(rows, ["type", "decode x bandwidth", "half width", "prefill x fp32 rate", "half width"],
                       align="lrrrr"))
    print(f"fixed costs: {c['step_overhead_s'] * 1e6:,.1f} us per step + {c['layer_overhead_s'] * 1e6:,.1f} us per "
          f"layer; attention: decode x {c['attention_decode_efficiency']:.3f}, prefill x "
          f"{c['attention_prefill_efficiency']:.3f} of the fp32 rate")
