"""paramscope memory MODEL [--weights SCHEME] [--batch B] [--context N] [--kv-dtype D] [--engine E]
[--tp T] [--pp P] [--train ...] [--plot FILE] [--json]"""

from __future__ import annotations

import sys

from .. import render
from ..units import fmt_gb, fmt_gib, parse_count


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy

    p = sub.add_parser("memory", help="memory to run (or --train: to train) a model: weights, KV cache, activations, "
                                      "overheads; GB and GiB")
    _add_model(p)
    add_inference_args(p)
    p.add_argument("--list-schemes", action="store_true", help="list the weight schemes and exit")
    p.add_argument("--prefill-chunk", default=None, help="tokens per sequence processed at once (default: engine's)")
    p.add_argument("--tp", default="1", help="tensor-parallel GPUs (figures are per GPU)")
    p.add_argument("--pp", default="1", help="pipeline-parallel stages (figures are for the most-loaded GPU)")
    p.add_argument("--plot", metavar="FILE", help="draw a stacked bar of the breakdown (PNG or SVG)")
    add_training_args(p)
    _add_json(p)
    p.set_defaults(func=_lazy("memory"))


def add_inference_args(p) -> None:
    """The options every inference-memory question shares (memory, fit)."""
    p.add_argument("--weights", default="native", metavar="SCHEME",
                   help="native (the checkpoint's own storage), fp32, bf16, fp16, fp8, fp8-block, int8, gptq-int4, "
                        "awq-int4, nf4, nf4-dq, mxfp4, nvfp4, hqq-int4, exl2:BPW[:HB], or a GGUF preset such as "
                        "Q4_K_M, Q8_0, IQ2_XXS (see --list-schemes)")
    p.add_argument("--batch", default="1", help="sequences held at once (default 1)")
    p.add_argument("--context", default="4096", help="tokens held in the cache per sequence (default 4096; 32k = 32768)")
    p.add_argument("--kv-dtype", default="auto", help="KV cache dtype: auto (model dtype; f16 in llama.cpp), bf16, fp16, "
                                                      "fp8, int8, int4, q8_0, q4_0, ...")
    p.add_argument("--engine", default="transformers", help="transformers | vllm | llama.cpp (layouts, policies and "
                                                             "overheads differ; see docs/engines.md)")


def add_training_args(p) -> None:
    train = p.add_argument_group("training (--train)")
    train.add_argument("--train", action="store_true", help="training memory per GPU instead of inference")
    train.add_argument("--precision", default="bf16-mixed", help="fp32 | bf16-mixed | fp16-mixed | bf16-pure")
    train.add_argument("--optimizer", default="adamw", help="adamw | adamw-8bit | sgd-momentum | sgd | adafactor")
    train.add_argument("--zero", default="0", help="ZeRO stage 0-3 (3 = FSDP full shard)")
    train.add_argument("--dp", default="1", help="data-parallel GPUs")
    train.add_argument("--ep", default="1", help="expert-parallel GPUs")
    train.add_argument("--cp", default="1", help="context-parallel GPUs")
    train.add_argument("--sp", action="store_true", help="sequence parallelism (with --tp)")
    train.add_argument("--recompute", default="none", help="none | selective | full")
    train.add_argument("--micro-batch", default=None, help="micro-batch size (default: --batch)")
    train.add_argument("--seq", default=None, help="training sequence length (default: --context)")
    train.add_argument("--lora-rank", default=None, help="LoRA rank (freezes the base model)")
    train.add_argument("--qlora", action="store_true", help="QLoRA: NF4 double-quantized frozen base")


def run(args) -> int:
    if args.list_schemes:
        from ..memory.weights import known_schemes

        print("\n".join(known_schemes()))
        return 0
    from . import load

    model = load(args.model)
    if args.train:
        return _train(model, args)
    from ..memory.report import MemoryOptions, memory_report

    opts = MemoryOptions(
        weights=args.weights, engine=args.engine, batch=parse_count(args.batch, what="--batch"),
        context=parse_count(args.context, what="--context", binary_k=True), kv_dtype=args.kv_dtype,
        prefill_chunk=None if args.prefill_chunk is None else
        parse_count(args.prefill_chunk, what="--prefill-chunk", binary_k=True, minimum=1),
        tensor_parallel=parse_count(args.tp, what="--tp", minimum=1), pipeline_parallel=parse_count(args.pp, what="--pp", minimum=1))
    r = memory_report(model, opts)
    for w in r.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if args.plot:
        from ..plots.memory import memory_bar

        print(f"wrote {memory_bar(r.to_dict(), args.plot)}", file=sys.stderr)
    if args.json:
        render.emit_json(r.to_dict())
        return 0
    print(text(r))
    return 0


def _row(label: str, b: int, total: int) -> list[str]:
    return [label, render.n(b), fmt_gb(b), fmt_gib(b), render.pct(b, total)]


def text(r) -> str:
    o = r.options
    head = (f"{r.model}: {o.weights} weights, {o.engine}, batch {o.batch}, context {o.context:,}, KV {r.parts['kv_cache']['dtype']}"
            + (f", tp {o.tensor_parallel}" if o.tensor_parallel > 1 else "")
            + (f", pp {o.pipeline_parallel}" if o.pipeline_parallel > 1 else ""))
    total = r.total_bytes
    rows = [_row("weights", r.weights_bytes, total), _row("KV cache + states", r.kv_cache_bytes, total),
            _row("activations (peak)", r.activation_bytes, total), _row("overheads", r.overhead_bytes, total),
            _row("total" + (" per GPU" if r.gpus > 1 else ""), total, total)]
    out = [head, render.table(rows, ["", "bytes", "GB (1e9)", "GiB (2^30)", "share"])]
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
        out.append(f"  {n} {kind} layer(s): " + "; ".join(
            (f"{x['tokens']:,} tokens x {x['bytes_per_token']:,.0f} B" if x["kind"] != "ssm"
             else f"{x['state_bytes']:,} B state") for x in xs[:3]))
    a = r.parts["activations"]
    out.append(f"activations: {a['tokens']:,}-token prefill chunk, peak in {a['dominant']}; "
               f"logits {a['logits_bytes']:,} B")
    out.append("overheads: " + ", ".join(f"{k} {v:,} B" for k, v in r.parts["overhead"].items()))
    for s in r.assumptions:
        out.append(f"assumption: {s}")
    for s in r.parts["kv_cache"].get("notes", []):
        out.append(f"note: {s}")
    return "\n".join(out)


def training_plan(args):
    from ..memory.training import TrainingPlan

    return TrainingPlan(
        precision=args.precision, optimizer=args.optimizer, zero_stage=parse_count(args.zero, what="--zero", minimum=0),
        data_parallel=parse_count(args.dp, what="--dp", minimum=1), tensor_parallel=parse_count(args.tp, what="--tp", minimum=1),
        pipeline_parallel=parse_count(args.pp, what="--pp", minimum=1), expert_parallel=parse_count(args.ep, what="--ep", minimum=1),
        context_parallel=parse_count(args.cp, what="--cp", minimum=1), sequence_parallel=args.sp, recompute=args.recompute,
        micro_batch=parse_count(args.micro_batch or args.batch, what="--micro-batch", minimum=1),
        seq_len=parse_count(args.seq or args.context, what="--seq", binary_k=True),
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
