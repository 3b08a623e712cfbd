"""paramscope perf MODEL --gpu NAME [--count N] [--weights S] [--batch B] [--prompt P] [--gen G] [--json]"""

from __future__ import annotations

from .. import render
from ..units import parse_count, parse_float


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy

    p = sub.add_parser("perf", help="time to first token, time per output token, tokens/s on given hardware "
                                    "(roofline over exact FLOPs and bytes)")
    _add_model(p)
    p.add_argument("--gpu", required=True, metavar="NAME", help="accelerator from `paramscope hardware`")
    p.add_argument("--count", default="1", help="GPUs (default 1)")
    p.add_argument("--tp", default=None, help="tensor-parallel size (default: count / pp)")
    p.add_argument("--pp", default="1", help="pipeline stages (default 1)")
    p.add_argument("--hardware-file", action="append", default=[], metavar="TOML", help="extra hardware definitions")
    p.add_argument("--weights", default="native", metavar="SCHEME", help="weight scheme (see `memory --list-schemes`)")
    p.add_argument("--kv-dtype", default="auto", help="KV cache dtype")
    p.add_argument("--engine", default="vllm", help="vllm | transformers | llama.cpp (memory conventions)")
    p.add_argument("--batch", default="1", help="concurrent sequences; a comma list compares several")
    p.add_argument("--prompt", default="512", help="prompt tokens (default 512)")
    p.add_argument("--gen", default="128", help="generated tokens (default 128)")
    p.add_argument("--bandwidth-efficiency", default=None, help="override data/efficiency.toml (0-1]")
    p.add_argument("--compute-efficiency", default=None, help="override data/efficiency.toml (0-1]")
    p.add_argument("--plot", metavar="FILE", help="throughput vs batch and a roofline chart (PNG or SVG)")
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
    from ..hardware import get_hardware
    from ..perf import PerfOptions, perf_report
    from . import load

    hw = get_hardware(args.gpu, args.hardware_file)
    model = load(args.model)
    batches = [parse_count(b, what="--batch") for b in str(args.batch).split(",")]
    reports = []
    for b in batches:
        o = PerfOptions(batch=b, prompt_tokens=parse_count(args.prompt, what="--prompt", binary_k=True),
                        gen_tokens=parse_count(args.gen, what="--gen", binary_k=True),
                        count=parse_count(args.count, what="--count", minimum=1),
                        tp=parse_count(args.tp, what="--tp", minimum=1) if args.tp is not None else None, pp=parse_count(args.pp, what="--pp", minimum=1),
                        weights=args.weights, kv_dtype=args.kv_dtype, engine=args.engine,
                        bandwidth_efficiency=_eff(args.bandwidth_efficiency, "--bandwidth-efficiency"),
                        compute_efficiency=_eff(args.compute_efficiency, "--compute-efficiency"))
        reports.append(perf_report(model, hw, o))
    if args.plot:
        import sys

        from ..plots.perf import perf_plot

        print(f"wrote {perf_plot(model, hw, reports[0].options, args.plot)}", file=sys.stderr)
    if args.json:
        render.emit_json(reports[0].to_dict() if len(reports) == 1 else {"runs": [r.to_dict() for r in reports]})
        return 0
    r0 = reports[0]
    o = r0.options
    print(f"{r0.model} on {o.count} x {hw.id} ({args.weights} weights, prompt {o.prompt_tokens}, gen {o.gen_tokens}, "
          f"tp {r0.parts['tp']}, pp {r0.parts['pp']})")
    rows = [[str(r.options.batch), f"{r.ttft_s * 1e3:,.1f}", f"{r.tpot_s * 1e3:,.2f}",
             f"{r.decode_tokens_per_s:,.1f}", f"{r.prefill_tokens_per_s:,.0f}", r.bound] for r in reports]
    print(render.table(rows, ["batch", "TTFT ms", "TPOT ms", "decode tok/s (all seqs)", "prefill tok/s", "decode bound"],
                       align="rrrrrl"))
    print(f"\nKV capacity: {r0.max_concurrent_sequences:,} sequences of {o.prompt_tokens + o.gen_tokens:,} tokens; "
          + (f"decode turns compute-bound at batch ~{r0.knee_batch:,}" if r0.knee_batch else
             "decode stays memory-bound at every batch (the KV read grows with the batch)"))
    for a in r0.assumptions:
        print(f"assumption: {a}")
    return 0
