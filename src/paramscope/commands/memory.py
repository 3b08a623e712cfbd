"""paramscope memory MODEL [deployment options: --gpu, --count, --tp, --pp, --engine, engine settings, --weights,
--kv-dtype, --batch, --context, ...] [--train ...] [--plot FILE] [--json]"""

from __future__ import annotations

import sys

from .. import render
from ..units import fmt_gb, fmt_gib, parse_count


def register(sub) -> None:
    from ..cli import _add_json, _lazy
    from . import COUNT_RULE, add_deployment_args

    p = sub.add_parser("memory", help="memory to run (or --train: to train) a model: weights, KV cache, activations, "
                                      "overheads per GPU; GB and GiB", epilog=COUNT_RULE)
    p.add_argument("model", nargs="?", help="catalog name, config.json, model directory, .safetensors file or index, "
                                            ".gguf file, or Hugging Face Hub id")
    p.add_argument("--list-schemes", action="store_true", help="list the weight schemes with bits per weight and exit")
    add_deployment_args(p, require_gpu=False)
    p.add_argument("--plot", metavar="FILE", help="draw a stacked bar of the breakdown (PNG or SVG)")
    add_training_args(p)
    _add_json(p)
    p.set_defaults(func=_lazy("memory"))


def add_training_args(p) -> None:
    """Training-memory options (memory --train, fit --train); --tp, --pp, --dp, --ep come from the shared
    deployment options."""
    train = p.add_argument_group("training (--train)")
    train.add_argument("--train", action="store_true", help="training memory per GPU instead of inference")
    train.add_argument("--precision", default="bf16-mixed", help="fp32 | bf16-mixed | fp16-mixed | bf16-pure")
    train.add_argument("--optimizer", default="adamw", help="adamw | adamw-8bit | sgd-momentum | sgd | adafactor")
    train.add_argument("--zero", default="0", help="ZeRO stage 0-3 (3 = FSDP full shard)")
    train.add_argument("--cp", default="1", help="context-parallel GPUs")
    train.add_argument("--sp", action="store_true", help="sequence parallelism (with --tp)")
    train.add_argument("--recompute", default="none", help="none | selective | full")
    train.add_argument("--micro-batch", default=None, help="micro-batch size (default: --batch)")
    train.add_argument("--seq", default=None, help="training sequence length (default: --context)")
    train.add_argument("--lora-rank", default=None, help="LoRA rank (freezes the base model)")
    train.add_argument("--qlora", action="store_true", help="QLoRA: NF4 double-quantized frozen base")


def list_schemes() -> str:
    """Every weight scheme with the bits per weight of its main format (on a 4096 x 4096 matrix, scales
    included) and what it is."""
    from ..memory.formats import get_format, get_scheme, scheme_names
    from ..quant import gguf_mix

    rows = [["native", "-", "the checkpoint's own storage"]]
    for name in scheme_names():
        try:
            sch = get_scheme(name)
            fmt = sch.rules[0].format if sch.rules else sch.keep
            bits = f"{get_format(fmt).tensor_bits((4096, 4096)) / 4096**2:.2f}"
        except Exception:  # a scheme whose main format is shape-dependent
            bits, sch = "-", None
        rows.append([name, bits, (sch.description if sch else "")[:52]])
    try:
        ftypes = gguf_mix.ftype_names()
    except Exception:
        ftypes = []
    for f in ftypes:
        info = gguf_mix.ftype_info(f)
        try:
            bits = f"{get_format('gguf:' + info['default']).bits:.2f}"
        except Exception:
            bits = "-"
        rows.append([f, bits, f"GGUF mix, mostly {info['default']}"[:52]])
    rows.append(["exl2:<bpw>[:<hb>]", "bpw", "EXL2 at a target bits per weight"])
    return render.table(rows, ["scheme", "bits/w", "what"], align="lrl")


def run(args) -> int:
    if args.list_schemes:
        print(list_schemes())
        return 0
    if not args.model:
        from ..errors import InputError

        raise InputError("memory: give a model (or --list-schemes)")
    from . import deployment_from_args, hardware_from_args, load

    hw = hardware_from_args(args)
    model = load(args.model)
    if args.train:
        return _train(model, args)
    from ..memory.report import memory_report

    dep = deployment_from_args(args, model, hw)
    r = memory_report(model, dep.memory_options())
    for w in r.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.plot:
        from ..plots.memory import memory_bar

        print(f"wrote {memory_bar(r.to_dict(), args.plot)}", file=sys.stderr)
    if args.json:
        render.emit_json(memory_json(r, dep))
        return 0
    from . import wrap80

    print(wrap80(text(r, dep)))
    return 0


def memory_json(r, dep) -> dict:
    d = r.to_dict()
    d["layout"] = dep.layout.to_dict()
    d["gpus"] = dep.layout.gpus
    d["deployment"] = dep.to_dict()
    return d


def _row(label: str, b: int, total: int) -> list[str]:
    return [label, render.n(b), fmt_gb(b), fmt_gib(b), render.pct(b, total)]


def text(r, dep=None) -> str:
    from . import deployment_lines

    o = r.options
    head = (f"{r.model}: {o.weights} weights, {r.engine}, batch {o.batch}, context {o.context:,}, "
            f"KV {r.parts['kv_cache']['dtype']}")
    total = r.total_bytes
    per = " per GPU" if r.gpus > 1 else ""
    rows = [_row("weights", r.weights_bytes, total), _row("KV cache + states", r.kv_cache_bytes, total),
            _row("activations (peak)", r.activation_bytes, total), _row("overheads", r.overhead_bytes, total),
            _row("total" + per, total, total)]
    out = [head, render.table(rows, ["", "bytes", "GB (1e9)", "GiB (2^30)", "share"])]
    if dep is not None:
        out += deployment_lines(dep, r.capacity)
    if r.capacity is not None:
        cap = r.capacity.usable_bytes
        out.append(("fits: " if total <= cap else "does NOT fit: ") + f"{total / 1e9:,.2f} GB needed of "
                   f"{cap / 1e9:,.2f} GB usable per GPU")
    if r.host_bytes:
        out.append(f"host memory: {r.host_bytes:,} B ({fmt_gb(r.host_bytes)}) of weights and KV not offloaded")
    w = r.parts["weights"]
    out.append("")
    out.append(f"weights: {w['bits_per_param']:.3f} bits/param; " + ", ".join(
        f"{k} {v['params'] / max(1, w['params']):.1%}" for k, v in w["by_format"].items()))
    kv = r.parts["kv_cache"]
    out.append(f"KV cache: {kv['per_sequence_bytes']:,} bytes per sequence, {kv['bytes_per_token']:,.0f} bytes per "
               f"token at this context")
    kinds = {}
    for x in kv["layers"]:
        kinds.setdefault(x["kind"], []).append(x)
    for kind, xs in kinds.items():
        n = sum(len(x["layers"]) for x in xs)
        shown = sorted({(f"{x['tokens']:,} tokens x {x['bytes_per_token']:,.0f} B" if x["kind"] != "ssm"
                         else f"{x['state_bytes']:,} B state")
                        + (f" + {x['state_bytes']:,} B compressed entries and window buffers"  # DeepSeek-V4
                           if x["kind"] != "ssm" and x["state_bytes"] else "") for x in xs})
        out.append(f"  {n} {kind} layer(s): " + "; ".join(shown[:3]))
    a = r.parts["activations"]
    out.append(f"activations: {a['tokens']:,}-token prefill chunk, peak in {a['dominant']}; "
               f"logits {a['logits_bytes']:,} B")
    out.append("overheads: " + (", ".join(f"{k} {v:,} B" for k, v in r.parts["overhead"].items()) or "none"))
    seen = set()
    for prefix, items in (("assumption", r.assumptions), ("note", r.parts["kv_cache"].get("notes", []))):
        for s in items:
            if s not in seen:
                seen.add(s)
                out.append(f"{prefix}: {s}")
    return "\n".join(out)


def training_plan(args):
    from ..memory.training import TrainingPlan

    return TrainingPlan(
        precision=args.precision, optimizer=args.optimizer, zero_stage=parse_count(args.zero, what="--zero", minimum=0),
        data_parallel=parse_count(args.dp or 1, what="--dp", minimum=1),
        tensor_parallel=parse_count(args.tp or 1, what="--tp", minimum=1),
        pipeline_parallel=parse_count(args.pp or 1, what="--pp", minimum=1),
        expert_parallel=parse_count(args.ep or 1, what="--ep", minimum=1),
        context_parallel=parse_count(args.cp, what="--cp", minimum=1), sequence_parallel=args.sp, recompute=args.recompute,
        micro_batch=parse_count(args.micro_batch or args.batch, what="--micro-batch", minimum=1),
        seq_len=parse_count(args.seq or args.context or 4096, what="--seq", binary_k=True),
        **_lora(args))


def _train(model, args) -> int:
    from ..memory.training import training_memory

    r = training_memory(model, training_plan(args))
    d = r.to_dict()
    if args.plot:
        from ..plots.memory import training_bar

        print(f"wrote {training_bar(model.name, d, args.plot)}", file=sys.stderr)
    if args.json:
        render.emit_json(d)
        return 0
    total = d["total_bytes"]
    rows = [_row(k.removesuffix("_bytes").replace("_", " "), v, total) for k, v in d.items()
            if k.endswith("_bytes") and k not in ("total_bytes", "model_states_bytes") and isinstance(v, int)]
    rows.append(_row("total per GPU", total, total))
    rows.append(_row("(of which model states)", d["model_states_bytes"], total))
    print(f"{model.name}: training memory per GPU")
    print(render.table(rows, ["", "bytes", "GB (1e9)", "GiB (2^30)", "share"]))
    for s in d.get("assumptions", []):
        print(f"assumption: {s}")
    return 0


def _lora(args) -> dict:
    if not args.lora_rank and not args.qlora:
        return {}
    from ..memory.training import LoraPlan

    rank = parse_count(args.lora_rank or 16, what="--lora-rank", minimum=1)
    if args.qlora:  # Dettmers et al. 2023: NF4 double-quantized base, bf16 adapters (qlora.py)
        return {"lora": LoraPlan(rank=rank, base="nf4-dq", adapter_dtype="bf16", targets=("all-linear",))}
    return {"lora": LoraPlan(rank=rank)}
