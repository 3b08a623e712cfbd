"""paramscope split MODEL --gpu NAME --count N --pp P [deployment options] [--json]: the pipeline split."""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from . import COUNT_RULE, add_deployment_args

    p = sub.add_parser("split", help="the pipeline split: layers, embedding and head per stage, parameters and "
                                     "bytes per stage, communication per token, speed-ups", epilog=COUNT_RULE)
    _add_model(p)
    add_deployment_args(p, require_gpu=True)
    p.add_argument("--chunks", default="8", help="prompt chunks pipelined for the prefill speed-up (default 8)")
    _add_json(p)
    p.set_defaults(func=_lazy("split"))


def run(args) -> int:
    from ..pipeline import split_report
    from ..units import parse_count
    from . import deployment_from_args, hardware_from_args, load, wrap80

    hw = hardware_from_args(args)
    model = load(args.model)
    dep = deployment_from_args(args, model, hw)
    r = split_report(dep, prompt_chunks=parse_count(args.chunks, what="--chunks", minimum=1))
    if args.json:
        render.emit_json(r)
        return 0
    lay = dep.layout
    lines = [f"{r['model']} on {lay.gpus} x {hw.id}: {lay.describe()}"]
    rows = [[str(s["stage"]), "-" if s["layers"] is None else f"{s['layers'][0]}-{s['layers'][1]}",
             ", ".join(s["holds"]) or "-", f"{s['params'] / 1e9:,.3f}B", f"{s['weight_bytes'] / 1e9:,.2f}",
             f"{s['decode_s'] * 1e3:,.2f}"] for s in r["stages"]]
    lines.append(render.table(rows, ["stage", "layers", "also holds", "params", "GB/GPU", "decode ms"],
                              align="rllrrr"))
    sp = r["speedup"]
    lines.append(f"most-loaded stage: {r['most_loaded_stage']} ({r['params_most_loaded'] / 1e9:,.3f}B; "
                 f"{r['imbalance']:.3f}x the mean {r['params_per_gpu_mean'] / 1e9:,.3f}B)")
    lines.append(f"between stages: {r['bytes_between_stages_per_token']:,} bytes per token per hop; hop "
                 f"{r['hop_s'] * 1e6:,.1f} us; communication {r['communication_overhead_decode']:.2%} of decode")
    lines.append(f"speed-up vs one GPU holding everything: decode latency {sp['decode_latency']:.2f}x, "
                 f"throughput (pipeline full) {sp['throughput']:.2f}x, prefill in {sp['prefill_chunks']} chunks "
                 f"{sp['prefill_chunked']:.2f}x")
    print(wrap80("\n".join(lines)))
    return 0
