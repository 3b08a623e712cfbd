"""paramscope perf MODEL --gpu NAME [deployment options, shared with memory and fit] [--json]"""

from __future__ import annotations

from .. import render
from ..units import parse_count, parse_float


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from . import COUNT_RULE, add_deployment_args

    p = sub.add_parser("perf", help="time to first token, time per output token, tokens/s on given hardware "
                                    "(roofline over exact FLOPs and bytes)", epilog=COUNT_RULE)
    _add_model(p)
    add_deployment_args(p, require_gpu=True, batch_list=True)
    p.add_argument("--bandwidth-efficiency", default=None, help="override data/efficiency.toml (0-1]")
    p.add_argument("--compute-efficiency", default=None, help="override data/efficiency.toml (0-1]")
    p.add_argument("--plot", metavar="FILE", help="throughput vs batch (the --batch values marked) and a roofline "
                                                  "chart (PNG or SVG)")
    _add_json(p)
    p.set_defaults(func=_lazy("perf"))


def _eff(text, what):
    if text is None:
        return None
    v = parse_float(text, what=what)
    if not 0 < v <= 1:
        from ..errors import InputError

        raise InputError(f"{what}: expected a number in (0, 1], got {v}")
    return v


def run(args) -> int:
    from ..perf import perf_deployment
    from . import deployment_from_args, deployment_lines, hardware_from_args, load

    hw = hardware_from_args(args)
    model = load(args.model)
    batches = [parse_count(b, what="--batch", minimum=1) for b in str(args.batch).split(",")]
    bw = _eff(args.bandwidth_efficiency, "--bandwidth-efficiency")
    ce = _eff(args.compute_efficiency, "--compute-efficiency")
    reports = [perf_deployment(deployment_from_args(args, model, hw, batch=b), bandwidth_efficiency=bw,
                               compute_efficiency=ce) for b in batches]
    r0 = reports[0]
    if args.plot:
        import sys

        from ..plots.perf import perf_plot

        print(f"wrote {perf_plot(model, hw, r0.options, args.plot, deployment=r0.deployment, batches=batches)}",
              file=sys.stderr)
    if args.json:
        d = r0.to_dict()
        d["runs"] = [r.to_dict() for r in reports]
        render.emit_json(d)
        return 0
    from . import wrap80

    dep = r0.deployment
    lines: list[str] = []
    w = dep.workload
    lines.append(f"{r0.model} on {dep.gpus} x {hw.id}: {dep.weights} weights, prompt {w.prompt_tokens:,}, gen "
          f"{w.gen_tokens:,}, context {w.context:,}")
    rows = [[f"{r.options.batch:,}", f"{r.ttft_s * 1e3:,.1f}", f"{r.tpot_s * 1e3:,.2f}",
             f"{r.decode_tokens_per_s:,.1f}", f"{r.prefill_tokens_per_s:,.0f}", r.bound] for r in reports]
    lines.append(render.table(rows, ["batch", "TTFT ms", "TPOT ms", "decode tok/s", "prefill tok/s", "bound"],
                       align="rrrrrl"))
    lines.append("(decode tok/s: all sequences together; bound: what limits decode)")
    from ..perf import format_band

    b = r0.error_band or {}
    lines.append(f"error band: decode {r0.decode_tokens_per_s:,.1f} tok/s {format_band(b.get('decode'), dep.engine)}")
    lines.append(f"error band: TTFT {r0.ttft_s * 1e3:,.1f} ms {format_band(b.get('ttft'), dep.engine)}")
    lines += deployment_lines(dep, None)
    lines.append(f"memory per GPU: {r0.per_gpu_bytes / 1e9:,.2f} GB of {r0.capacity_bytes / 1e9:,.2f} GB usable")
    lines.append(f"KV capacity: {r0.max_concurrent_sequences:,} sequences of {w.context:,} tokens; "
          + (f"decode turns compute-bound at batch ~{r0.knee_batch:,}" if r0.knee_batch else
             "decode stays memory-bound at every batch (the KV read grows with the batch)"))
    for a in r0.assumptions:
        lines.append(f"assumption: {a}")
    print(wrap80("\n".join(lines)))
    return 0
