"""paramscope train MODEL --tokens 2T --gpu NAME --count N [--mfu 0.4 | --gpu-hours H] [--json]"""

from __future__ import annotations

from .. import render
from ..units import human_count, human_flops, parse_count, parse_float


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from .memory import add_training_args

    p = sub.add_parser("train", help="training FLOPs, days, GPU-hours, cost, energy (or the MFU reported "
                                     "GPU-hours imply) and the per-GPU memory plan")
    _add_model(p)
    p.add_argument("--tokens", required=True, help="training tokens (2T = 2e12)")
    p.add_argument("--gpu", required=True, metavar="NAME", help="accelerator from `paramscope hardware`")
    p.add_argument("--count", default="1", help="GPUs")
    p.add_argument("--mfu", default=None, help="model FLOPs utilization in (0, 1] (default 0.4 unless --gpu-hours)")
    p.add_argument("--gpu-hours", default=None, help="reported GPU-hours: back-solve the implied MFU")
    p.add_argument("--dtype", default="bf16", help="peak used for MFU (bf16, fp16, fp8, ...)")
    p.add_argument("--seq-len", default="4096", help="training sequence length (attention FLOPs and memory)")
    p.add_argument("--price-per-hour", default=None, help="USD per GPU-hour (default: the hardware record's)")
    p.add_argument("--pue", default=None, help="data-centre power usage effectiveness (default 1.2)")
    p.add_argument("--tp", default="1", help="tensor-parallel size for the memory plan")
    p.add_argument("--pp", default="1", help="pipeline stages for the memory plan")
    p.add_argument("--batch", default="1", help=argparse_suppress())
    p.add_argument("--context", default=None, help=argparse_suppress())
    add_training_args(p)
    _add_json(p)
    p.set_defaults(func=_lazy("train"))


def argparse_suppress():
    import argparse

    return argparse.SUPPRESS


def run(args) -> int:
    from ..hardware import get_hardware
    from ..model import load_model
    from ..training_cost import DEFAULT_PUE, train_report

    hw = get_hardware(args.gpu)
    model = load_model(args.model)
    count = parse_count(args.count, what="count")
    tokens = parse_count(args.tokens, what="tokens")
    seq = parse_count(args.seq_len, what="sequence length", binary_k=True)
    gpu_hours = parse_float(args.gpu_hours, what="GPU-hours") if args.gpu_hours else None
    mfu = parse_float(args.mfu, what="MFU") if args.mfu else (None if gpu_hours else 0.4)
    r = train_report(model, hw, tokens=tokens, gpus=count, mfu=mfu, gpu_hours=gpu_hours, seq_len=seq,
                     dtype=args.dtype, pue=parse_float(args.pue, what="PUE") if args.pue else DEFAULT_PUE,
                     price_per_hour_usd=parse_float(args.price_per_hour, what="price") if args.price_per_hour
                     else None)
    plan = _memory_plan(model, args, count, seq)
    d = r.to_dict()
    d["memory_per_gpu"] = plan
    if args.json:
        render.emit_json(d)
        return 0
    print(f"{r.model}: {human_count(tokens)} tokens on {count} x {hw.id}")
    rows = [["FLOPs", human_flops(r.flops)], ["formula", r.formula],
            ["MFU", f"{r.mfu:.1%}" + (" (implied by the GPU-hours)" if gpu_hours else " (given)")],
            ["peak", f"{r.dtype} dense {r.peak_flops_per_s / 1e12:,.0f} TFLOP/s per GPU"],
            ["wall time", f"{r.days:,.1f} days"], ["GPU-hours", f"{r.gpu_hours:,.0f}"],
            ["cost", "-" if r.cost_usd is None else f"${r.cost_usd:,.0f} at ${r.price_per_hour_usd:.2f}/GPU-hour"],
            ["energy", "-" if r.energy_kwh is None else f"{r.energy_kwh / 1000:,.1f} MWh (TDP x GPU-hours x PUE "
                                                        f"{r.pue}; GPUs only)"]]
    if plan is not None:
        rows.append(["memory per GPU", f"{plan['total_bytes'] / 1e9:.1f} GB of {hw.memory_bytes / 1e9:.0f} GB"
                     + ("" if plan["total_bytes"] <= hw.memory_bytes else "  (does NOT fit: see paramscope fit --train)")])
    print(render.table(rows, align="ll"))
    return 0


def _memory_plan(model, args, count: int, seq: int) -> dict | None:
    from ..errors import InputError
    from .memory import training_plan

    tp, pp = parse_count(args.tp, what="tp"), parse_count(args.pp, what="pp")
    if count % (tp * pp):
        raise InputError(f"--count {count} is not a multiple of tp x pp = {tp * pp}")
    args.dp = str(count // (tp * pp))
    args.seq = str(seq)
    from ..memory.training import training_memory

    d = training_memory(model, training_plan(args)).to_dict()
    return {k: d[k] for k in ("total_bytes", "weights_bytes", "gradients_bytes", "optimizer_bytes",
                              "master_weights_bytes", "activations_bytes", "buffers_bytes")}
