"""paramscope train MODEL --tokens 2T --gpu NAME --count N [--mfu 0.4 | --gpu-hours H] [layout ...] [--json]"""

from __future__ import annotations

from .. import render
from ..units import human_count, human_flops, parse_count, parse_float

# The middle of published large-run MFUs, 38-46% (Llama 3 paper arXiv 2407.21783 Table 4; PaLM arXiv 2204.02311).
DEFAULT_MFU = 0.40


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from . import COUNT_RULE, add_deployment_args

    p = sub.add_parser("train", help="training FLOPs, days, GPU-hours, cost and energy (or the MFU reported GPU-hours "
                                     "imply), with the per-GPU memory plan of a parallel layout", epilog=COUNT_RULE)
    _add_model(p)
    p.add_argument("--tokens", required=True, help="training tokens (k = 1,000: 32k = 32,000; 2T = 2e12)")
    add_deployment_args(p, require_gpu=True, workload=False)  # the device part of the shared deployment options
    p.add_argument("--mfu", default=None, help=f"model FLOPs utilization in (0, 1] (default {DEFAULT_MFU} unless "
                                               "--gpu-hours is given)")
    p.add_argument("--gpu-hours", default=None, help="reported GPU-hours: back-solve the MFU they imply")
    p.add_argument("--dtype", default=None, help="whose dense peak MFU is measured against: bf16 (default; fp16 "
                                                 "where the GPU has no bf16), fp8, fp16, tf32, ...")
    p.add_argument("--seq-len", default="4096", help="training sequence length (attention FLOPs, activations)")
    p.add_argument("--price-per-hour", default=None, help="USD per GPU-hour (default: the hardware record's)")
    p.add_argument("--pue", default=None, help="data-centre power usage effectiveness (default 1.2)")
    g = p.add_argument_group("parallel layout for the memory plan (unset ones are chosen to fit)")
    g.add_argument("--tp", default=None, help="tensor-parallel size")
    g.add_argument("--pp", default=None, help="pipeline stages")
    g.add_argument("--dp", default=None, help="data-parallel size (count / (tp x pp x cp) when unset)")
    g.add_argument("--cp", default=None, help="context-parallel size (default 1)")
    g.add_argument("--ep", default=None, help="expert-parallel size (MoE)")
    g.add_argument("--zero", default=None, help="ZeRO stage 0-3")
    g.add_argument("--recompute", default=None, help="none | selective | full")
    g.add_argument("--micro-batch", default="1", help="sequences per GPU per micro-step (default 1)")
    g.add_argument("--precision", default="bf16-mixed", help="fp32 | bf16-mixed | fp16-mixed | bf16-pure")
    g.add_argument("--optimizer", default="adamw", help="adamw | adamw-8bit | sgd-momentum | sgd | adafactor")
    _add_json(p)
    p.set_defaults(func=_lazy("train"))


def run(args) -> int:
    from ..errors import InputError
    from ..hardware import get_hardware
    from ..training_cost import DEFAULT_PUE, choose_layout, default_dtype, train_report
    from . import load

    tokens = parse_float(args.tokens, what="--tokens")
    if not tokens > 0:
        raise InputError(f"tokens must be > 0, got {args.tokens}")
    if args.count is None:
        raise InputError("train: give the number of GPUs (--count)")
    count = parse_count(args.count, what="--count", minimum=1)
    seq = parse_count(args.seq_len, what="--seq-len", binary_k=True)
    if args.mfu is not None and args.gpu_hours is not None:
        raise InputError("give --mfu or --gpu-hours, not both")
    gpu_hours = None if args.gpu_hours is None else parse_float(args.gpu_hours, what="--gpu-hours")
    mfu = DEFAULT_MFU if args.mfu is None and gpu_hours is None else \
        (None if args.mfu is None else parse_float(args.mfu, what="--mfu"))
    hw = get_hardware(args.gpu, args.hardware_file)
    model = load(args.model)
    r = train_report(model, hw, tokens=tokens, gpus=count, mfu=mfu, gpu_hours=gpu_hours, seq_len=seq,
                     dtype=args.dtype or default_dtype(hw),
                     pue=DEFAULT_PUE if args.pue is None else parse_float(args.pue, what="--pue"),
                     price_per_hour_usd=None if args.price_per_hour is None
                     else parse_float(args.price_per_hour, what="--price-per-hour"))
    plan, mem, fits = choose_layout(model, hw, count, seq_len=seq, fixed=_fixed(args))
    d = r.to_dict()
    d["mfu_by_dtype"] = {k: r.flops / (r.gpu_hours * 3600 * v) for k, v in hw.peak_flops_per_s.items()
                         if k in ("bf16", "fp16", "fp8")}
    d["memory_per_gpu"] = {"fits": fits, "memory_bytes": hw.memory_bytes, "layout": _layout(plan),
                           **{k: v for k, v in mem.to_dict().items() if k.endswith("_bytes")}}
    if args.json:
        render.emit_json(d)
        return 0
    print(text(r, d, hw))
    return 0


def _fixed(args) -> dict:
    out = {"micro_batch": parse_count(args.micro_batch, what="--micro-batch", minimum=1), "precision": args.precision,
           "optimizer": args.optimizer}
    for flag, key in (("tp", "tensor_parallel"), ("pp", "pipeline_parallel"), ("dp", "data_parallel"),
                      ("cp", "context_parallel"), ("ep", "expert_parallel"), ("zero", "zero_stage")):
        if getattr(args, flag) is not None:
            out[key] = parse_count(getattr(args, flag), what=f"--{flag}", minimum=0 if flag == "zero" else 1)
    if args.recompute is not None:
        out["recompute"] = args.recompute
    return out


def _layout(plan) -> dict:
    keys = ("tensor_parallel", "pipeline_parallel", "data_parallel", "context_parallel", "expert_parallel",
            "zero_stage", "recompute", "sequence_parallel", "micro_batch", "seq_len", "precision", "optimizer")
    return {k: getattr(plan, k) for k in keys}


def text(r, d: dict, hw) -> str:
    m = d["memory_per_gpu"]
    lay = m["layout"]
    others = ", ".join(f"{k} {v:.1%}" for k, v in d["mfu_by_dtype"].items() if k != r.dtype)
    rows = [["FLOPs", human_flops(r.flops)],
            ["formula", r.formula],
            ["MFU", f"{r.mfu:.1%} ({r.mfu_source}) of the dense {r.dtype} peak, {r.peak_flops_per_s / 1e12:,.0f} "
                    f"TFLOP/s per GPU" + (f"; against other peaks: {others}" if others and r.mfu_source != "given"
                                          else "")],
            ["wall time", f"{r.days:,.1f} days on {r.gpus:,} GPUs"],
            ["GPU-hours", f"{r.gpu_hours:,.0f}"],
            ["cost", "- (no price: --price-per-hour)" if r.cost_usd is None
             else f"${r.cost_usd:,.0f} at ${r.price_per_hour_usd:.2f}/GPU-hour"],
            ["energy", "- (no TDP in the hardware record)" if r.energy_kwh is None
             else f"{r.energy_kwh / 1000:,.1f} MWh = GPU-hours x {r.tdp_w:,.0f} W TDP x PUE {r.pue} (GPUs only)"],
            ["layout", f"tp {lay['tensor_parallel']} x pp {lay['pipeline_parallel']} x dp {lay['data_parallel']}"
                       + (f" x cp {lay['context_parallel']}" if lay["context_parallel"] > 1 else "")
                       + (f", ep {lay['expert_parallel']}" if lay["expert_parallel"] > 1 else "")
                       + f", ZeRO-{lay['zero_stage']}, {lay['recompute']} recompute, micro-batch {lay['micro_batch']}"],
            ["memory per GPU", f"{m['total_bytes'] / 1e9:,.1f} GB of {hw.memory_bytes / 1e9:,.0f} GB: weights "
                               f"{m['weights_bytes'] / 1e9:.1f}, grads {m['gradients_bytes'] / 1e9:.1f}, optimizer "
                               f"{m['optimizer_bytes'] / 1e9:.1f}, master {m['master_weights_bytes'] / 1e9:.1f}, "
                               f"activations {(m['activations_bytes'] + m['recompute_bytes']) / 1e9:.1f}, buffers "
                               f"{m['buffers_bytes'] / 1e9:.1f}"
                               + ("" if m["fits"] else "  (does NOT fit: no layout searched fits; more GPUs?)")]]
    head = f"{r.model}: {human_count(r.tokens)} tokens at sequence {r.seq_len:,} on {r.gpus:,} x {r.hardware}"
    return head + "\n" + render.table(rows, align="ll")
