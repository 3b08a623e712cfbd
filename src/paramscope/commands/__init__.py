"""One module per CLI command (``register(sub)`` adds its arguments, ``run(args)`` runs it)."""

from __future__ import annotations


def load(ref: str):
    """Load a model and print its warnings on stderr: the one place every command that loads a model goes
    through, so no command drops a warning (e.g. config.json and the checkpoint disagree)."""
    from ..model import load_model
    from ..render import warn

    model = load_model(ref)
    warn(model.warnings)
    return model


# ------------------------------------------------------------------------------ one deployment, one set of flags

COUNT_RULE = ("Numbers take suffixes: k = 1,000, M = 1e6, B = 1e9, T = 1e12, except on flags that size a "
              "context window (--context, --prompt, --gen, --prefill-chunk, --n-ctx, --max-num-batched-tokens, "
              "--seq, --seq-len), where k = 1,024 (32k = 32,768).")


def add_deployment_args(p, *, require_gpu: bool, batch_list: bool = False, workload: bool = True) -> None:
    """The options every deployment question shares (memory, fit, perf; train uses the device part):
    device, GPU count and layout, engine and its settings, weights, KV dtype and workload."""
    g = p.add_argument_group("deployment (shared by memory, fit and perf)")
    g.add_argument("--gpu", required=require_gpu, default=None, metavar="NAME",
                   help="accelerator from `paramscope hardware` (sets the usable memory and the engine's defaults "
                        "for it)")
    g.add_argument("--count", default=None, help="GPUs (default: tp x pp x dp, else 1)")
    g.add_argument("--hardware-file", action="append", default=[], metavar="TOML",
                   help="extra hardware definitions (repeatable)")
    if not workload:
        return
    g.add_argument("--tp", default=None, help="tensor-parallel size (default: the engine's layout for --count)")
    g.add_argument("--pp", default=None, help="pipeline-parallel stages (default: the engine's layout)")
    g.add_argument("--dp", default=None, help="data-parallel replicas (default 1)")
    g.add_argument("--ep", default=None, help="expert-parallel size (vLLM, MoE: tp x dp)")
    g.add_argument("--engine", default=None,
                   help="vllm | sglang | tensorrt-llm | llama.cpp | transformers (default: vllm on GPUs; llama.cpp for "
                        "GGUF weights or on Apple/CPU devices; see docs/engines.md)")
    g.add_argument("--weights", default="native", metavar="SCHEME",
                   help="native (the checkpoint's own storage), fp32, bf16, fp16, fp8, fp8-block, int8, gptq-int4, "
                        "awq-int4, nf4, nf4-dq, mxfp4, nvfp4, hqq-int4, exl2:BPW[:HB], or a GGUF preset such as "
                        "Q4_K_M, Q8_0, IQ2_XXS (see `memory --list-schemes`)")
    g.add_argument("--kv-dtype", default="auto", help="KV cache dtype: auto (model dtype; f16 in llama.cpp), bf16, "
                                                      "fp16, fp8, int8, int4, q8_0, q4_0, ...")
    g.add_argument("--batch", default="1", help="sequences held at once (default 1)"
                   + ("; a comma list compares several" if batch_list else ""))
    g.add_argument("--context", default=None, help="tokens held in the cache per sequence (default: prompt + gen "
                                                   "when given, else 4096; 32k = 32,768)")
    g.add_argument("--prompt", default=None, help="prompt tokens per sequence (default: context - gen)")
    g.add_argument("--gen", default=None, help="generated tokens per sequence (default 128)")
    g.add_argument("--prefill-chunk", default=None, help="tokens per sequence processed at once (default: the "
                                                         "engine's)")
    e = p.add_argument_group("engine settings (defaults: the engine's own for the device, printed with the answer)")
    e.add_argument("--gpu-memory-utilization", default=None, help="vLLM: fraction of total memory it may use "
                                                                  "(default 0.92, vLLM's); SGLang: "
                                                                  "--mem-fraction-static (default by device)")
    e.add_argument("--max-num-seqs", default=None, help="vLLM: most sequences per step (default: vLLM's for the "
                                                        "GPU); SGLang: --max-running-requests")
    e.add_argument("--max-num-batched-tokens", default=None, help="vLLM: most tokens per step (default: vLLM's "
                                                                  "for the GPU); SGLang: --chunked-prefill-size")
    e.add_argument("--n-ctx", default=None, help="llama.cpp: KV cells for all sequences (default batch x context)")
    e.add_argument("--n-gpu-layers", default=None, help="llama.cpp: layers offloaded to the GPUs (default all); "
                                                        "the rest stay in host memory")
    e.add_argument("--split-mode", default=None, choices=("layer", "row"),
                   help="llama.cpp: layer (default; whole layers per GPU) or row (matrices split by rows)")


def _opt_count(args, name: str, flag: str, *, binary_k: bool = False, minimum: int = 1):
    from ..units import parse_count

    v = getattr(args, name, None)
    return None if v is None else parse_count(v, what=flag, binary_k=binary_k, minimum=minimum)


def hardware_from_args(args):
    if getattr(args, "gpu", None) is None:
        return None
    from ..hardware import get_hardware

    return get_hardware(args.gpu, getattr(args, "hardware_file", []) or [])


def deployment_from_args(args, model, hw=None, *, batch: int | None = None):
    """The one place parsed flags become a :class:`paramscope.deployment.Deployment`."""
    from ..deployment import build_deployment
    from ..units import parse_count, parse_float

    util = None
    if args.gpu_memory_utilization is not None:
        util = parse_float(args.gpu_memory_utilization, what="--gpu-memory-utilization")
    if batch is None:
        batch = parse_count(args.batch, what="--batch", minimum=1)
    return build_deployment(
        model, hw, engine=args.engine, gpus=_opt_count(args, "count", "--count"),
        tp=_opt_count(args, "tp", "--tp"), pp=_opt_count(args, "pp", "--pp"), dp=_opt_count(args, "dp", "--dp"),
        ep=_opt_count(args, "ep", "--ep"), weights=args.weights, kv_dtype=args.kv_dtype, batch=batch,
        context=_opt_count(args, "context", "--context", binary_k=True),
        prompt_tokens=_opt_count(args, "prompt", "--prompt", binary_k=True),
        gen_tokens=_opt_count(args, "gen", "--gen", binary_k=True),
        prefill_chunk=_opt_count(args, "prefill_chunk", "--prefill-chunk", binary_k=True),
        gpu_memory_utilization=util, max_num_seqs=_opt_count(args, "max_num_seqs", "--max-num-seqs"),
        max_num_batched_tokens=_opt_count(args, "max_num_batched_tokens", "--max-num-batched-tokens",
                                          binary_k=True),
        n_ctx=_opt_count(args, "n_ctx", "--n-ctx", binary_k=True),
        n_gpu_layers=_opt_count(args, "n_gpu_layers", "--n-gpu-layers", minimum=0), split_mode=args.split_mode)


def deployment_lines(dep, capacity=None) -> list[str]:
    """The lines every deployment answer prints: layout, engine and its settings, usable memory."""
    import textwrap

    lines = [f"layout: {dep.layout.describe()}", dep.describe_engine()]
    if capacity is not None:
        lines.append(f"usable per GPU: {capacity.usable_bytes / 1e9:,.2f} GB of {capacity.total_bytes / 1e9:,.2f} GB"
                     f"; {capacity.rule}")
    return [w for line in lines for w in textwrap.wrap(line, 79, subsequent_indent="  ", break_on_hyphens=False)]


def wrap80(text: str) -> str:
    """Wrap prose lines to 80 columns (continuations indented); tables are already narrower."""
    import textwrap

    out = []
    for line in text.splitlines():
        if len(line) <= 80:
            out.append(line)
        else:
            lead = len(line) - len(line.lstrip(" "))
            out += textwrap.wrap(line, 80, subsequent_indent=" " * (lead + 2), break_on_hyphens=False)
    return "\n".join(out)
