"""paramscope fit MODEL --gpu NAME [--count N] [inference or --train options] [--json]"""

from __future__ import annotations

import sys

from .. import render
from ..units import fmt_gb, fmt_gib, parse_count


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from .memory import add_inference_args, add_training_args

    p = sub.add_parser("fit", help="does it fit on these GPUs? fewest GPUs, largest context and batch "
                                   "(inference, or --train)")
    _add_model(p)
    p.add_argument("--gpu", required=True, metavar="NAME", help="accelerator from `paramscope hardware`")
    p.add_argument("--count", default="1", help="GPUs (default 1)")
    p.add_argument("--hardware-file", action="append", default=[], metavar="TOML",
                   help="extra hardware definitions (repeatable)")
    add_inference_args(p)
    p.add_argument("--tp", default="1", help="training: tensor-parallel size (inference picks its own layout)")
    p.add_argument("--pp", default="1", help="training: pipeline-parallel stages")
    add_training_args(p)
    _add_json(p)
    p.set_defaults(func=_lazy("fit"))


def run(args) -> int:
    from ..fit import inference_fit, training_fit
    from ..hardware import get_hardware
    from . import load

    hw = get_hardware(args.gpu, args.hardware_file)
    count = parse_count(args.count, what="--count", minimum=1)
    model = load(args.model)
    if args.train:
        from .memory import training_plan

        args.dp = str(count)  # replaced by the search; the plan's own dp is count / (tp pp cp)
        plan = training_plan(args)
        r = training_fit(model, hw, count, plan)
    else:
        from ..memory.report import MemoryOptions

        opts = MemoryOptions(weights=args.weights, engine=args.engine, batch=parse_count(args.batch, what="--batch"),
                             context=parse_count(args.context, what="--context", binary_k=True),
                             kv_dtype=args.kv_dtype)
        r = inference_fit(model, hw, count, opts)
    if args.json:
        render.emit_json(r.to_dict())
    else:
        print(text(r, args))
    if not r.fits:
        print(f"paramscope: {r.model} does not fit on {r.layout.gpus} x {r.hardware} (exit code 4)", file=sys.stderr)
    return 0 if r.fits else 4


def _gb(b: int | None) -> str:
    return "-" if b is None else f"{fmt_gb(b)} / {fmt_gib(b)}"


def text(r, args) -> str:
    lay = r.layout
    where = f"{lay.gpus} x {r.hardware}" + (f" (tp {lay.tensor_parallel}, pp {lay.pipeline_parallel}"
                                            + (f", dp {lay.data_parallel}" if r.mode == "training" else "") + ")"
                                            if lay.gpus > 1 else "")
    verdict = "fits" if r.fits else "does NOT fit"
    rows = [["per GPU needed", _gb(r.per_gpu_bytes)], ["per GPU usable", _gb(r.capacity_bytes)],
            ["headroom", _gb(r.capacity_bytes - r.per_gpu_bytes) if r.fits else
             f"short by {_gb(r.per_gpu_bytes - r.capacity_bytes)}"]]
    if r.fewest is not None:
        f = r.fewest
        rows.append(["fewest GPUs", f"{f.gpus} (tp {f.tensor_parallel}, pp {f.pipeline_parallel}"
                     + (f", dp {f.data_parallel}" if r.mode == "training" else "") + ")"])
    else:
        rows.append(["fewest GPUs", "none found"])
    ctx_name = "largest sequence length" if r.mode == "training" else "largest context"
    b_name = "largest micro-batch" if r.mode == "training" else "largest batch"
    rows.append([ctx_name, "-" if r.max_context is None else f"{r.max_context:,} tokens"
                 + (" (the model's limit)" if r.context_limit and r.max_context == r.context_limit else "")])
    rows.append([b_name, "-" if r.max_batch is None else f"{r.max_batch:,}"])
    head = f"{r.model} {r.mode} on {where}: {verdict}"
    out = [head, render.table(rows)]
    out += [f"note: {n}" for n in r.notes]
    return "\n".join(out)
