"""paramscope fit MODEL --gpu NAME [--count N] [inference or --train options] [--json]"""

from __future__ import annotations

import sys

from .. import render
from ..units import fmt_gb, fmt_gib, parse_count


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from . import COUNT_RULE, add_deployment_args
    from .memory import add_training_args

    p = sub.add_parser("fit", help="does it fit on these GPUs? fewest GPUs, largest context and batch "
                                   "(inference, or --train)", epilog=COUNT_RULE)
    _add_model(p)
    add_deployment_args(p, require_gpu=True)
    add_training_args(p)
    _add_json(p)
    p.set_defaults(func=_lazy("fit"))


def run(args) -> int:
    from ..fit import fit_deployment, training_fit
    from . import deployment_from_args, hardware_from_args, load

    hw = hardware_from_args(args)
    model = load(args.model)
    dep = None
    if args.train:
        from .memory import training_plan

        count = parse_count(args.count or 1, what="--count", minimum=1)
        args.dp = str(count)  # replaced by the search; the plan's own dp is count / (tp pp cp)
        plan = training_plan(args)
        r = training_fit(model, hw, count, plan)
    else:
        dep = deployment_from_args(args, model, hw)
        r = fit_deployment(dep)
    if args.json:
        d = r.to_dict()
        if dep is not None:
            d["deployment"] = dep.to_dict()
        render.emit_json(d)
    else:
        from . import wrap80

        print(wrap80(text(r, dep)))
    if not r.fits:
        print(f"paramscope: {r.model} does not fit on {r.layout.gpus} x {r.hardware} (exit code 4)", file=sys.stderr)
    return 0 if r.fits else 4


def _gb(b: int | None) -> str:
    return "-" if b is None else f"{fmt_gb(b)} / {fmt_gib(b)}"


def text(r, dep=None) -> str:
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
    rows.append([ctx_name, "none (not even 1 token)" if r.max_context is None else f"{r.max_context:,} tokens"
                 + (" (the model's limit)" if r.context_limit and r.max_context == r.context_limit else "")])
    rows.append([b_name, "none (not even 1)" if r.max_batch is None else f"{r.max_batch:,}"])
    head = f"{r.model} {r.mode} on {where}: {verdict}"
    out = [head, render.table(rows)]
    if dep is not None:
        from . import deployment_lines

        w = dep.workload
        out.append(f"workload: batch {w.batch:,}, context {w.context:,}; {dep.weights} weights, KV {dep.kv_dtype}")
        out += deployment_lines(dep, r.capacity)
        out += [f"note: {n}" for n in r.notes if n != r.capacity.rule]
    else:
        out += [f"note: {n}" for n in r.notes]
    return "\n".join(out)
