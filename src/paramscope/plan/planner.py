"""The deployment planner: the cheapest deployment that meets latency objectives at a request rate.

Two tiers share one physics, :class:`paramscope.perf.StepModel` (the per-step time model ``perf`` uses):

1. A vectorized analytic search over hardware x weight scheme x KV dtype x layout (TP/PP, EP for MoE) x
   token budget x max_num_seqs x replicas. Each family (hardware, scheme, KV dtype, layout) is one
   :class:`paramscope.deployment.Deployment`: its usable memory, fixed bytes and KV bytes per token come from
   memory_report (what ``memory`` and ``fit`` print), its step times from step_model. For each grid point the
   steady state of continuous batching is solved: the step time tau satisfies tau = step(prefill tokens
   lambda_r * P * tau, decode sequences lambda_r * G * tau) (Little's law: sequences in decode = rate x
   decode time); it has no solution (the fixed point diverges) when the replica cannot keep up. Latency
   estimates: TPOT = tau; TTFT = queueing wait (an M/M/1 wait at the step's utilization, its exponential
   tail for percentiles) + half a step + the prompt's chunks; E2E = TTFT + (G - 1) tau.
2. A discrete-event simulation (simulate.py) of the cheapest analytic candidates and of the Pareto front,
   for percentile latencies and goodput; the best plan is the cheapest candidate the simulation confirms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from ..errors import DependencyError, InputError
from .workload import Lengths

TOKEN_BUDGETS = (512, 1024, 2048, 4096, 8192, 16384)  # max_num_batched_tokens values searched
MAX_NUM_SEQS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)  # vLLM's default is 256 (1024 on H100-class)
TP_SIZES = (1, 2, 4, 8)
PP_SIZES = (1, 2, 4)
MAX_REPLICAS = 4096
FIXED_POINT_ITERATIONS = 60
HOURS_PER_MONTH = 730  # 8,760 h / 12: the usual cloud-billing month
SIM_REQUESTS = 4000  # requests simulated per candidate (the benchmark in docs/benchmarks.md uses 10^4)
SIM_CANDIDATES = 12  # cheapest analytic candidates simulated, in cost order, before giving up
FRONT_SIMULATED = 16  # Pareto points simulated (the rest keep analytic latencies, marked so)
ENGINES = ("vllm", "sglang", "tensorrt-llm", "llama.cpp")  # continuous-batching engines the planner models
LLAMACPP_BUDGETS = (512,)  # llama.cpp: one forward pass = one micro-batch (n_ubatch, default 512)


def usd_per_hour(hardware, gpus: int, *, price_overrides: dict | None = None) -> float:
    """Rental price of ``gpus`` devices of ``hardware`` per hour: the override for its id, else the
    record's ``price_per_hour_usd`` (one on-demand price per device-hour, data/hardware.toml). The one place
    the planner prices hardware (price classes and owned-hardware TCO can be read here later)."""
    price = (price_overrides or {}).get(hardware.id, hardware.price_per_hour_usd)
    if price is None:
        raise InputError(f"{hardware.id} has no price per hour in its hardware record; give one")
    if price < 0 or not math.isfinite(price):
        raise InputError(f"the price per hour of {hardware.id} must be >= 0, got {price}")
    return float(price) * gpus


@dataclass(frozen=True)
class PlanRequest:
    model: object
    hardware: tuple  # Hardware records
    lengths: Lengths
    slos: tuple = ()  # Slo
    rate: float | None = None  # requests/s (open loop) ...
    concurrency: int | None = None  # ... or closed-loop users
    prefix_hit: float = 0.0
    weights: tuple = ("native",)
    kv_dtypes: tuple = ("auto",)
    engines: tuple | None = None  # None: every engine whose profile supports the hardware and scheme
    max_gpus: int | None = None  # in all
    budget_usd_per_hour: float | None = None
    min_quality: tuple | None = None  # (benchmark, floor in points), e.g. ("mmlu", 60.0)
    price_overrides: dict = field(default_factory=dict)
    arrival: str = "poisson"
    arrival_cv: float = 1.0
    simulate: bool = True
    sim_requests: int = SIM_REQUESTS
    seed: int = 0
    max_batch_mode: bool = False
    disaggregate: bool = False


@dataclass
class Family:
    hardware: object
    weights: str
    kv_dtype: str
    engine: str
    layout: tuple  # (tp, pp, ep)
    dep: object | None = None
    sm: object | None = None
    kv_tokens: object | None = None  # per budget index: KV capacity in tokens per replica
    reason: str | None = None  # why nothing of it is feasible
    detail: str = ""
    price: float | None = None

    @property
    def gpus(self) -> int:
        return self.layout[0] * self.layout[1]

    def key(self) -> str:
        tp, pp, ep = self.layout
        return (f"{self.hardware.id}/{self.weights}/{self.kv_dtype}/tp{tp}pp{pp}" + (f"ep{ep}" if ep > 1 else "")
                + ("" if self.engine == "vllm" else f"/{self.engine}"))


def _check_request(req: PlanRequest) -> None:
    if (req.rate is None) == (req.concurrency is None):
        raise InputError("give either a request rate or a concurrency, not both and not neither")
    if req.rate is not None and not (req.rate > 0 and math.isfinite(req.rate)):
        raise InputError(f"the request rate must be > 0 requests/s, got {req.rate}")
    if req.concurrency is not None and req.concurrency < 1:
        raise InputError(f"the concurrency must be >= 1, got {req.concurrency}")
    if not 0 <= req.prefix_hit < 1:
        raise InputError(f"the prefix-cache hit ratio must be in [0, 1), got {req.prefix_hit}")
    if req.max_gpus is not None and req.max_gpus < 1:
        raise InputError(f"the most GPUs must be >= 1, got {req.max_gpus}")
    if req.budget_usd_per_hour is not None and req.budget_usd_per_hour <= 0:
        raise InputError(f"the budget must be > 0 $/hour, got {req.budget_usd_per_hour}")
    if not req.hardware:
        raise InputError("the plan needs at least one GPU type")
    for e in req.engines or ():
        if e not in ENGINES:
            raise InputError(f"the planner models continuous batching for {', '.join(ENGINES)}; not {e!r}")
    seen = {}
    for s in req.slos:
        k = (s.metric, s.percentile)
        if k in seen and seen[k] != s.seconds:
            raise InputError(f"two different bounds for {s.metric.upper()} p{s.percentile:g}")
        seen[k] = s.seconds
    if req.disaggregate and req.rate is None:
        raise InputError("--disaggregate sizes prefill and decode pools for a request rate; give --rate")
    if req.min_quality is not None:
        bench, floor = req.min_quality
        from ..quality import BENCHMARKS

        if bench not in BENCHMARKS:
            raise InputError(f"unknown quality benchmark {bench!r} (known: {', '.join(BENCHMARKS)})")
        if not 0 <= floor <= 100:
            raise InputError(f"a quality floor is a score in percent (0-100), got {floor:g}")


def engines_for(hw, weights: str, allowed: tuple | None = None) -> list[str]:
    """Engines whose profiles serve ``weights`` on ``hw``: vLLM (NVIDIA and AMD GPUs), TensorRT-LLM (NVIDIA
    only) and SGLang (when named) for non-GGUF schemes; llama.cpp for GGUF quantization presets (vLLM's and TensorRT-LLM's kernels
    do not load them; engines.default_engine's rule)."""
    from ..engines import is_gguf_preset

    if is_gguf_preset(weights):
        out = ["llama.cpp"]
    else:
        out = ["vllm"] + (["tensorrt-llm"] if getattr(hw, "vendor", "").lower() == "nvidia" else [])
        if allowed is not None and "sglang" in allowed:
            out.append("sglang")  # searched when asked for (its speed constants are the engine-independent ones)
    return [e for e in out if allowed is None or e in allowed]


def quality_of(req: PlanRequest, weights: str) -> dict:
    """The plan's quality check for one weight scheme: the model's published score adjusted by the scheme's
    published delta (quality.scheme_score, the rule compare and select use). Raises InputError when the model
    has no score; a scheme with no convertible published delta is refused (``ok`` False) rather than assumed
    lossless."""
    from .. import quality

    bench, floor = req.min_quality
    cid = quality.catalog_id(req.model)
    q = quality.scheme_score(cid, bench, weights) if cid else None
    if q is None:
        raise InputError(f"{req.model.name} has no published {bench.upper()} score in data/quality.toml; "
                         "a quality floor cannot be checked for it")
    if q["value"] is None:
        return {"benchmark": bench, "score": None, "floor": floor, "ok": False, "model_score": q["model_score"],
                "reason": q["reason"]}
    return {"benchmark": bench, "score": q["value"], "floor": floor, "ok": q["value"] >= floor,
            "model_score": q["model_score"], "scheme_delta": q["scheme_delta"], "score_source": q["score_source"],
            "delta_source": q["delta_source"], "assumption": q["assumption"]}


def _layouts(spec, max_gpus: int | None, engine: str = "vllm") -> list[tuple[int, int, int]]:
    from ..deployment import _heads, _is_moe

    heads = _heads(spec)
    out = []
    for tp in TP_SIZES:
        if engine == "llama.cpp" and tp > 1:
            continue  # llama.cpp splits whole layers over GPUs (its default split_mode layer): pp only
        if any(h % tp for h in heads):
            continue
        for pp in PP_SIZES:
            if pp > max(1, spec.num_layers) or (max_gpus and tp * pp > max_gpus):
                continue
            out.append((tp, pp, 1))
            if _is_moe(spec) and tp > 1:
                out.append((tp, pp, tp))
    return out


def _build_family(req: PlanRequest, fam: Family, ctx: int, p_mean: int, g_mean: int) -> None:
    """Resolve the family's Deployment, step model and KV capacity per token budget (memory from
    memory_report, exactly as ``fit``/``perf``); sets ``reason`` when it cannot run at all."""
    from ..deployment import build_deployment
    from ..errors import ParamscopeError
    from ..memory.report import memory_report
    from ..perf import step_model

    tp, pp, ep = fam.layout
    hw = fam.hardware
    try:
        fam.price = usd_per_hour(hw, 1, price_overrides=req.price_overrides)
    except InputError as exc:
        fam.reason, fam.detail = "price", str(exc)
        return
    if tp > 1 and not (hw.interconnect_bytes_per_s or hw.pcie_bytes_per_s):
        fam.reason, fam.detail = "interconnect", f"{hw.id} has no interconnect figure for tensor parallelism"
        return
    llama = fam.engine == "llama.cpp"
    try:
        knobs = {} if llama else dict(max_num_batched_tokens=max(TOKEN_BUDGETS), max_num_seqs=max(MAX_NUM_SEQS))
        dep = build_deployment(req.model, hw, engine=fam.engine, tp=tp, pp=pp, ep=ep if ep > 1 else None,
                               weights=fam.weights, kv_dtype=fam.kv_dtype, batch=1, context=ctx,
                               prompt_tokens=min(p_mean, ctx - 1), gen_tokens=max(1, min(g_mean, ctx - p_mean)),
                               **knobs)
        mo = dep.memory_options()
        one = memory_report(req.model, mo)
    except ParamscopeError as exc:
        fam.reason, fam.detail = "unsupported", str(exc)
        return
    cap = one.capacity_bytes
    per_token = one.kv_cache_bytes / ctx
    kv = []
    for c in TOKEN_BUDGETS:
        if llama:  # one micro-batch per forward pass; other budgets are not llama.cpp steps (KV 0 = excluded)
            fixed = one.total_bytes - one.kv_cache_bytes
            kv.append(max(0.0, (cap - fixed) / per_token) if c in LLAMACPP_BUDGETS and per_token > 0 else 0.0)
            continue
        r = memory_report(req.model, replace(mo, max_num_batched_tokens=c, max_num_seqs=min(c, max(MAX_NUM_SEQS))))
        fixed = r.total_bytes - r.kv_cache_bytes
        kv.append(max(0.0, (cap - fixed) / per_token) if per_token > 0 else 1e18)
    if max(kv) < ctx:
        need = one.total_bytes / 1e9
        fam.reason = "memory"
        fam.detail = (f"one {ctx:,}-token sequence needs {need:,.1f} GB per GPU; {hw.id} offers "
                      f"{cap / 1e9:,.1f} GB usable")
        return
    fam.dep = dep
    fam.sm = step_model(dep, mem=one, per_seq_kv=one.kv_cache_bytes)
    fam.kv_tokens = kv


@dataclass
class Grid:
    """Analytic results of one family over (budget, max_num_seqs, replicas), numpy arrays of that shape."""
    fam: Family
    C: object
    M: object
    R: object
    tau: object
    ttft: dict  # percentile -> array
    tpot: object
    e2e: dict
    stable: object
    reason: object  # int code per point: 0 ok, 1 memory, 2 throughput, 3 ttft, 4 tpot, 5 e2e, 6 gpus, 7 budget
    usd_per_hour: object
    rate_r: object
    feasible: object


REASONS = ("ok", "memory", "throughput", "TTFT", "TPOT", "end-to-end latency", "GPU limit", "budget")


def _replica_grid(max_r: int):
    import numpy as np

    r = set(range(1, 33)) | {int(x) for x in np.unique(np.rint(np.geomspace(1, max_r, 80)))}
    return np.array(sorted(x for x in r if 1 <= x <= max_r), dtype=float)


def analytic_grid(req: PlanRequest, fam: Family, stats: dict) -> Grid:
    """Tier 1 for one family: steady-state continuous batching at every (token budget, max_num_seqs,
    replicas) point, vectorized."""
    import numpy as np

    sm = fam.sm
    p_mean, g_mean = stats["p_mean"], stats["g_mean"]
    h = req.prefix_hit
    pe = p_mean * (1 - h)
    ctx_mean = p_mean + g_mean / 2
    attn_req = float(sm.attention_flops(p_mean * h, p_mean))  # attention FLOPs of one prompt's prefill
    C = np.array(TOKEN_BUDGETS, dtype=float)[:, None, None]
    M = np.array(MAX_NUM_SEQS, dtype=float)[None, :, None]
    max_r = MAX_REPLICAS
    if req.max_gpus:
        max_r = max(1, min(max_r, req.max_gpus // fam.gpus))
    R = _replica_grid(max_r)[None, None, :]
    KV = np.array(fam.kv_tokens, dtype=float)[:, None, None]
    if req.rate is not None:
        lam = req.rate / R
    else:
        lam = None
    shape = np.broadcast_shapes(C.shape, M.shape, R.shape)
    tau0 = float(sm.step_s(0, 0.0, 1, ctx_mean))
    tau = np.full(shape, tau0)
    if lam is None:
        # closed loop: n users per replica; each request spends TTFT + G tau; in decode ~ n G / (P/C' + G)
        n_users = np.maximum(1.0, req.concurrency / R)
        for _ in range(FIXED_POINT_ITERATIONS):
            b = np.minimum(n_users, M)
            # time per request ~ (G + prompt chunks) steps; prefill tokens per step ~ b * pe / G
            x = b * pe / g_mean
            tau = sm.step_s(x, attn_req * x / max(pe, 1.0), b, b * ctx_mean)
        lam = b / (tau * (g_mean + np.ceil(pe / np.maximum(1.0, C - b))))
        lam = np.broadcast_to(lam, shape)
    else:
        lam = np.broadcast_to(lam, shape)
        for _ in range(FIXED_POINT_ITERATIONS):
            x = lam * pe * tau
            b = lam * g_mean * tau
            new = sm.step_s(x, attn_req * lam * tau, b, b * ctx_mean)
            new = np.minimum(new, 1e6)
            tau = new
    x = lam * pe * tau
    b = np.maximum(lam * g_mean * tau, 1e-9)
    # utilization: the slope of the fixed-point map (work arriving per second of step), sequence slots,
    # token budget, KV cache
    eps = 1e-3
    t2 = tau * (1 + eps)
    f2 = sm.step_s(lam * pe * t2, attn_req * lam * t2, lam * g_mean * t2, lam * g_mean * t2 * ctx_mean)
    slope = (f2 - sm.step_s(x, attn_req * lam * tau, b, b * ctx_mean)) / (tau * eps)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):
        rho = np.maximum.reduce([slope, b / M, (x + b) / C, np.where(KV > 0, b * ctx_mean / np.maximum(KV, 1.0),
                                                                      np.inf)])
    converged = np.abs(sm.step_s(x, attn_req * lam * tau, b, b * ctx_mean) - tau) <= 1e-3 * tau
    stable = converged & (rho < 1) & (C >= M)
    rho_c = np.clip(rho, 0, 0.999)
    wait = tau * rho_c / (1 - rho_c)
    chunk = np.maximum(1.0, np.minimum(C - b, pe))
    ttft, e2e = {}, {}
    for s in req.slos:
        q = s.percentile / 100
        p_q = stats["quantiles"][s.percentile][0] * (1 - h)
        g_q = stats["quantiles"][s.percentile][1]
        n_chunks = np.ceil(p_q / chunk)
        t_chunk = sm.step_s(np.minimum(chunk, p_q), attn_req * np.minimum(chunk, p_q) / max(pe, 1.0), b,
                            b * ctx_mean)
        w_q = wait * (-math.log(max(1e-9, 1 - q))) if q < 1 else wait * 10
        ttft[s.percentile] = w_q + tau / 2 + n_chunks * t_chunk
        e2e[s.percentile] = ttft[s.percentile] + (g_q - 1) * tau
    if not ttft:
        t_chunk = sm.step_s(np.minimum(chunk, pe), attn_req * np.minimum(chunk, pe) / max(pe, 1.0), b, b * ctx_mean)
        ttft[50.0] = wait * math.log(2) + tau / 2 + np.ceil(pe / chunk) * t_chunk
        e2e[50.0] = ttft[50.0] + (g_mean - 1) * tau
    gpus = fam.gpus * R
    usd = fam.price * gpus
    reason = np.zeros(shape, dtype=np.int8)
    for s in reversed(req.slos):
        bad = {"ttft": ttft, "tpot": None, "e2e": e2e}[s.metric]
        v = tau if bad is None else bad[s.percentile]
        code = {"ttft": 3, "tpot": 4, "e2e": 5}[s.metric]
        reason = np.where(v > s.seconds, code, reason)
    reason = np.where(~stable, 2, reason)
    reason = np.where(KV < stats["longest"], 1, reason)
    if req.max_gpus:
        reason = np.where((reason == 0) & (gpus > req.max_gpus), 6, reason)
    if req.budget_usd_per_hour:
        reason = np.where((reason == 0) & (usd > req.budget_usd_per_hour), 7, reason)
    reason = np.broadcast_to(reason, shape)
    return Grid(fam, np.broadcast_to(C, shape), np.broadcast_to(M, shape), np.broadcast_to(R, shape), tau,
                ttft, np.broadcast_to(tau, shape), e2e, stable, reason, np.broadcast_to(usd, shape), lam,
                reason == 0)


def _stats(req: PlanRequest) -> dict:
    import numpy as np

    rng = np.random.default_rng(12345)
    p, g = req.lengths.sample(20000, rng)
    qs = {}
    for s in req.slos:
        qs[s.percentile] = (float(np.quantile(p, s.percentile / 100)), float(np.quantile(g, s.percentile / 100)))
    return {"p_mean": float(p.mean()), "g_mean": float(g.mean()), "quantiles": qs,
            "longest": req.lengths.longest()}


def _hub_id(model) -> str:
    rec = getattr(model, "record", None) or {}
    src = rec.get("source") or ""
    if src.startswith("https://huggingface.co/"):
        parts = src[len("https://huggingface.co/"):].split("/")
        if len(parts) >= 2:
            return f"{parts[0]}/{parts[1]}"
    for a in rec.get("aliases") or ():
        if "/" in a:
            return a
    origin = getattr(model, "origin", "") or ""
    return origin if origin.count("/") == 1 and not origin.startswith((".", "/")) else model.name


_VLLM_QUANT = {"fp8": "fp8", "fp8-block": "fp8", "awq-int4": "awq", "gptq-int4": "gptq", "mxfp4": "mxfp4",
               "nvfp4": "modelopt_fp4", "int8": "bitsandbytes", "nf4": "bitsandbytes"}


def launch_command(dep, replicas: int, max_num_seqs: int | None = None, token_budget: int | None = None) -> str:
    """The engine's command line for one of the plan's replicas (one per replica, behind a load balancer)."""
    if dep.engine == "tensorrt-llm":
        return _trtllm_command(dep, replicas)
    if dep.engine == "llama.cpp":
        return _llamacpp_command(dep, replicas, max_num_seqs or 1, token_budget or LLAMACPP_BUDGETS[0])
    if dep.engine == "sglang":
        return _sglang_command(dep, replicas)
    return _vllm_command(dep, replicas)


_SGLANG_FLAGS = {"max_num_seqs": "--max-running-requests", "max_num_batched_tokens": "--chunked-prefill-size",
                 "gpu_memory_utilization": "--mem-fraction-static"}


def _sglang_command(dep, replicas: int) -> str:
    """SGLang's launch command: --tp / --pp, the shared knobs under SGLang's names (engines/sglang.py),
    --context-length, --quantization, --kv-cache-dtype."""
    lay = dep.layout
    k = dict(dep.knobs)
    parts = ["python", "-m", "sglang.launch_server", "--model-path", _hub_id(dep.model)]
    if lay.tensor_parallel > 1:
        parts += ["--tp", str(lay.tensor_parallel)]
    if lay.pipeline_parallel > 1:
        parts += ["--pp-size", str(lay.pipeline_parallel)]
    if lay.expert_parallel > 1:
        parts += ["--ep-size", str(lay.expert_parallel)]
    for name, flag in _SGLANG_FLAGS.items():
        if k.get(name) is not None:
            parts += [flag, str(k[name])]
    parts += ["--context-length", str(dep.workload.context)]
    if dep.weights in _VLLM_QUANT:
        parts += ["--quantization", _VLLM_QUANT[dep.weights]]
    if dep.kv_dtype not in ("auto", None):
        parts += ["--kv-cache-dtype", {"fp8": "fp8_e5m2", "int8": "fp8_e5m2"}.get(dep.kv_dtype, dep.kv_dtype)]
    if replicas > 1:
        parts.append(f"  # x {replicas} replicas behind a load balancer")
    return " ".join(parts)


def _trtllm_command(dep, replicas: int) -> str:
    """trtllm-serve (PyTorch backend): --tp_size/--pp_size/--ep_size, --max_batch_size (= max_num_seqs),
    --max_num_tokens (= the token budget), --max_seq_len, --kv_cache_free_gpu_memory_fraction."""
    lay = dep.layout
    k = dict(dep.knobs)
    parts = ["trtllm-serve", _hub_id(dep.model), "--backend", "pytorch", "--tp_size", str(lay.tensor_parallel),
             "--pp_size", str(lay.pipeline_parallel)]
    if lay.expert_parallel > 1:
        parts += ["--ep_size", str(lay.expert_parallel)]
    if k.get("max_num_seqs") is not None:
        parts += ["--max_batch_size", str(k["max_num_seqs"])]
    if k.get("max_num_batched_tokens") is not None:
        parts += ["--max_num_tokens", str(k["max_num_batched_tokens"])]
    parts += ["--max_seq_len", str(dep.workload.context)]
    if k.get("gpu_memory_utilization") is not None:
        parts += ["--kv_cache_free_gpu_memory_fraction", str(k["gpu_memory_utilization"])]
    notes = []
    if dep.weights not in ("native", "auto", "bf16", "fp16"):
        notes.append(f"use a {dep.weights} checkpoint (TensorRT-LLM reads the quantization from it)")
    if dep.kv_dtype not in ("auto", None):
        notes.append(f"kv_cache_config.dtype: {dep.kv_dtype} in --extra_llm_api_options")
    if replicas > 1:
        notes.append(f"x {replicas} replicas behind a load balancer")
    return " ".join(parts) + ("  # " + "; ".join(notes) if notes else "")


def _llamacpp_command(dep, replicas: int, slots: int, ubatch: int) -> str:
    """llama-server: -np parallel slots (continuous batching), -c = slots x context (llama.cpp splits n_ctx
    over the slots), -b/-ub the micro-batch, -ngl 999 (every layer on the GPUs), -sm layer over several."""
    lay = dep.layout
    name = _hub_id(dep.model).split("/")[-1]
    parts = ["llama-server", "-m", f"{name}-{dep.weights}.gguf", "-c", str(dep.workload.context * slots),
             "-np", str(slots), "-b", str(ubatch), "-ub", str(ubatch), "-ngl", "999"]
    if lay.gpus > 1:
        parts += ["-sm", "layer"]
    if dep.kv_dtype not in ("auto", None, "f16"):
        parts += ["-ctk", dep.kv_dtype, "-ctv", dep.kv_dtype]
    if replicas > 1:
        parts.append(f"  # x {replicas} replicas behind a load balancer")
    return " ".join(parts)


def _vllm_command(dep, replicas: int) -> str:
    """vLLM's command line for the plan's replica (one per replica, behind a load balancer)."""
    lay = dep.layout
    k = dict(dep.knobs)
    parts = ["vllm", "serve", _hub_id(dep.model)]
    if lay.tensor_parallel > 1:
        parts += ["--tensor-parallel-size", str(lay.tensor_parallel)]
    if lay.pipeline_parallel > 1:
        parts += ["--pipeline-parallel-size", str(lay.pipeline_parallel)]
    if lay.expert_parallel > 1:
        parts += ["--enable-expert-parallel"]
    for name in ("max_num_seqs", "max_num_batched_tokens", "gpu_memory_utilization"):
        if k.get(name) is not None:
            parts += [f"--{name.replace('_', '-')}", str(k[name])]
    parts += ["--max-model-len", str(dep.workload.context)]
    if dep.weights in _VLLM_QUANT:
        parts += ["--quantization", _VLLM_QUANT[dep.weights]]
    if dep.kv_dtype not in ("auto", None):
        parts += ["--kv-cache-dtype", {"fp8": "fp8", "int8": "fp8"}.get(dep.kv_dtype, dep.kv_dtype)]
    parts += ["--enable-chunked-prefill"]
    if replicas > 1:
        parts.append(f"  # x {replicas} replicas behind a load balancer")
    return " ".join(parts)


def _deployment_for(req: PlanRequest, fam: Family, C: int, M: int, ctx: int, p_mean: int, g_mean: int):
    from ..deployment import build_deployment

    tp, pp, ep = fam.layout
    knobs = {} if fam.engine == "llama.cpp" else dict(max_num_batched_tokens=C, max_num_seqs=M)
    return build_deployment(req.model, fam.hardware, engine=fam.engine, tp=tp, pp=pp, ep=ep if ep > 1 else None,
                            weights=fam.weights, kv_dtype=fam.kv_dtype, batch=1, context=ctx,
                            prompt_tokens=min(p_mean, ctx - 1), gen_tokens=max(1, min(g_mean, ctx - p_mean)),
                            **knobs)


def simulate_candidate(req: PlanRequest, fam: Family, C: int, M: int, R: int, n: int | None = None) -> dict:
    """Tier 2: simulate one replica of the candidate at rate / R (or concurrency / R)."""
    import numpy as np

    from ..memory.report import memory_report
    from .simulate import arrival_times, simulate

    n = n or req.sim_requests
    rng = np.random.default_rng(req.seed)
    p, g = req.lengths.sample(n, rng)
    ctx = fam.dep.workload.context
    dep = _deployment_for(req, fam, C, M, ctx, fam.dep.workload.prompt_tokens, fam.dep.workload.gen_tokens)
    mem = memory_report(req.model, dep.memory_options())
    per_token = mem.kv_cache_bytes / ctx
    kv_tokens = int((mem.capacity_bytes - (mem.total_bytes - mem.kv_cache_bytes)) / per_token)
    block = dep.profile.kv_policy().paged_block or 16
    if req.rate is not None:
        arr = arrival_times(n, req.rate / R, rng=rng, process=req.arrival, cv=req.arrival_cv)
        res = simulate(fam.sm, prompts=p, gens=g, max_num_seqs=M, token_budget=C, kv_capacity_tokens=kv_tokens,
                       block_size=block, arrivals=arr, prefix_hit=req.prefix_hit)
    else:
        res = simulate(fam.sm, prompts=p, gens=g, max_num_seqs=M, token_budget=C, kv_capacity_tokens=kv_tokens,
                       block_size=block, concurrency=max(1, round(req.concurrency / R)), prefix_hit=req.prefix_hit)
    out = res.summary(req.slos)
    for s in req.slos:
        out[f"{s.metric}_p{s.percentile:g}_s"] = res.percentile(s.metric, s.percentile)
    ok = all(res.percentile(s.metric, s.percentile) <= s.seconds for s in req.slos)
    if req.rate is not None:  # a replica that cannot keep up finishes late: its throughput falls short
        ok = ok and out["requests_per_s"] >= 0.95 * req.rate / R
    out["meets_slos"] = bool(ok)
    out["deployment"] = dep
    return out


def _point(req, grid: Grid, i: tuple, stats: dict) -> dict:
    fam = grid.fam
    R = int(grid.R[i])
    usd = float(grid.usd_per_hour[i])
    lam_total = float(grid.rate_r[i]) * R
    out_tok = lam_total * stats["g_mean"]
    in_tok = lam_total * stats["p_mean"]
    d = {"family": fam.key(), "hardware": fam.hardware.id, "weights": fam.weights, "kv_dtype": fam.kv_dtype,
         "engine": fam.engine, "tensor_parallel": fam.layout[0], "pipeline_parallel": fam.layout[1],
         "expert_parallel": fam.layout[2], "gpus_per_replica": fam.gpus, "replicas": R,
         "gpus_total": fam.gpus * R, "max_num_batched_tokens": int(grid.C[i]), "max_num_seqs": int(grid.M[i]),
         "usd_per_hour": usd, "requests_per_s": lam_total, "output_tokens_per_s": out_tok,
         "tpot_s": float(grid.tpot[i]), "tokens_per_s_per_user": 1.0 / float(grid.tpot[i]),
         "latency": "analytic"}
    for p, arr in grid.ttft.items():
        d[f"ttft_p{p:g}_s"] = float(arr[i])
    for p, arr in grid.e2e.items():
        d[f"e2e_p{p:g}_s"] = float(arr[i])
    import numpy as np

    _economics(d, fam, usd, in_tok, out_tok, float(np.broadcast_to(grid.tau, grid.reason.shape)[i]), stats)
    return d


def _economics(d: dict, fam: Family, usd: float, in_tok: float, out_tok: float, tau: float, stats: dict) -> None:
    """$ per million tokens. The hour's cost is split between input and output tokens by GPU time: a
    prompt's share is its prefill time alone (step model), an output token's share is tau / batch."""
    sm = fam.sm
    p = stats["p_mean"]
    t_prefill = float(sm.prefill_s(p, float(sm.attention_flops(0, p)))[0])
    b = max(1e-9, d.get("requests_per_s", 0) / max(1, d["replicas"]) * stats["g_mean"] * tau)
    t_out = tau / max(b, 1.0) * stats["g_mean"]
    f_in = t_prefill / (t_prefill + t_out) if t_prefill + t_out > 0 else 0.5
    d["usd_per_month"] = usd * HOURS_PER_MONTH
    d["usd_per_million_tokens"] = usd / 3600 / max(in_tok + out_tok, 1e-12) * 1e6
    d["usd_per_million_input_tokens"] = usd * f_in / 3600 / max(in_tok, 1e-12) * 1e6
    d["usd_per_million_output_tokens"] = usd * (1 - f_in) / 3600 / max(out_tok, 1e-12) * 1e6
    d["tokens_per_s_per_gpu"] = (in_tok + out_tok) / d["gpus_total"]
    d["output_tokens_per_s_per_gpu"] = out_tok / d["gpus_total"]
    tdp = fam.hardware.tdp_w
    d["energy_kwh_per_million_tokens"] = (None if tdp is None else
                                          tdp * d["gpus_total"] / 1000 / 3600 / max(in_tok + out_tok, 1e-12) * 1e6)


def _pareto(points: list, x: str, y: str) -> list:
    """Points not dominated: lower x (cost) and higher y (speed) are better."""
    pts = sorted(points, key=lambda p: (p[x], -p[y]))
    out, best_y = [], -math.inf
    for p in pts:
        if p[y] > best_y:
            out.append(p)
            best_y = p[y]
    return out


def _pareto_min(points: list, x: str, y: str) -> list:
    pts = sorted(points, key=lambda p: (p[x], p[y]))
    out, best_y = [], math.inf
    for p in pts:
        if p[y] < best_y:
            out.append(p)
            best_y = p[y]
    return out


def plan(req: PlanRequest) -> dict:
    """The plan: ``best`` (or None with ``nothing_fits`` saying what would), ``pareto``, ``rejected``,
    ``search`` (candidates and timing). Raises DoesNotFitError only through the caller's choice; the dict is
    always returned."""
    import time

    try:
        import numpy as np
    except ImportError:  # pragma: no cover
        raise DependencyError("the planner needs numpy; install it with: pip install 'paramscope[fast]'") from None
    _check_request(req)
    spec = req.model.require_spec("planning")
    t0 = time.perf_counter()
    stats = _stats(req)
    ctx = stats["longest"]
    if spec.max_context and ctx > spec.max_context:
        raise InputError(f"requests of {ctx:,} tokens exceed the model's context of {spec.max_context:,}")
    p_mean_i = max(1, int(round(stats["p_mean"])))
    g_mean_i = max(1, int(round(stats["g_mean"])))
    quality = {}
    if req.min_quality is not None:
        quality = {w: quality_of(req, w) for w in req.weights}
    families = [Family(hw, w, kv, e, lay) for hw in req.hardware for w in req.weights for kv in req.kv_dtypes
                for e in engines_for(hw, w, req.engines) for lay in _layouts(spec, req.max_gpus, e)]
    if not families:
        raise InputError(f"no engine and layout of {spec.name} serves the given schemes on the given GPUs within "
                         f"{req.max_gpus or 'any number of'} GPUs")
    for f in families:
        q = quality.get(f.weights)
        if q is not None and not q["ok"]:
            f.reason = "quality"
            f.detail = (q.get("reason") or f"{q['benchmark'].upper()} {q['score']:.1f} (model {q['model_score']:.1f}"
                        f" {q['scheme_delta']:+.2f} for {f.weights}) < {q['floor']:g}")
            continue
        _build_family(req, f, ctx, p_mean_i, g_mean_i)
    t1 = time.perf_counter()
    grids = [analytic_grid(req, f, stats) for f in families if f.reason is None]
    t2 = time.perf_counter()
    n_candidates = sum(g.reason.size for g in grids)
    # per family: why its best point fails (the most advanced reason over its grid)
    rejected = []
    by_group: dict = {}
    for f in families:
        by_group.setdefault((f.hardware.id, f.weights, f.kv_dtype, f.engine), []).append(f)
    feasible_pts = []
    for g in grids:
        idx = np.argwhere(g.feasible)
        if len(idx):
            # cheapest feasible point per (budget, seqs): the smallest replica count
            usd = np.where(g.feasible, g.usd_per_hour, np.inf)
            for ci in range(usd.shape[0]):
                for mi in range(usd.shape[1]):
                    ri = int(np.argmin(usd[ci, mi]))
                    if np.isfinite(usd[ci, mi, ri]):
                        feasible_pts.append((g, (ci, mi, ri)))
    for key, fams in by_group.items():
        fg = [g for g in grids if g.fam in fams]
        if any(g.feasible.any() for g in fg):
            continue
        if not fg:
            f = fams[0]
            reasons = sorted({(x.reason, x.detail) for x in fams})
            rejected.append({"family": "/".join(key), "hardware": key[0], "weights": key[1], "kv_dtype": key[2],
                             "engine": key[3], "reason": reasons[0][0], "detail": reasons[0][1]})
            continue
        counts = np.zeros(len(REASONS), dtype=np.int64)
        for g in fg:
            counts += np.bincount(g.reason.ravel(), minlength=len(REASONS))
        # the reason that stops the points that get furthest: prefer budget/GPU limit, then latency, then
        # throughput, then memory (the order of the checks)
        order = (7, 6, 5, 4, 3, 2, 1)
        code = next(c for c in order if counts[c])
        best_detail = _best_miss(req, fg, code)
        rejected.append({"family": "/".join(key), "hardware": key[0], "weights": key[1], "kv_dtype": key[2],
                         "engine": key[3], "reason": REASONS[code], "detail": best_detail})
    points = [_point(req, g, i, stats) for g, i in feasible_pts]
    for p_, (g, i) in zip(points, feasible_pts, strict=False):
        p_["_ref"] = (g, i)
    points.sort(key=lambda p: (p["usd_per_hour"], -p["tokens_per_s_per_user"]))
    best = None
    sim_time = 0.0
    sim_reqs = 0
    sim_tried = []
    if points:
        if req.simulate:
            seen = set()
            for p_ in points:
                if len(sim_tried) >= SIM_CANDIDATES:
                    break
                g, i = p_["_ref"]
                key = (g.fam.key(), p_["max_num_batched_tokens"], p_["max_num_seqs"], p_["replicas"])
                if key in seen:
                    continue
                seen.add(key)
                ts = time.perf_counter()
                s = simulate_candidate(req, g.fam, p_["max_num_batched_tokens"], p_["max_num_seqs"],
                                       p_["replicas"])
                sim_time += time.perf_counter() - ts
                sim_reqs += s["requests"]
                _merge_sim(p_, s, req.slos)
                sim_tried.append(p_)
                if s["meets_slos"]:
                    best = p_
                    break
        else:
            best = points[0]
    front_cost = _pareto(points, "usd_per_million_tokens", "tokens_per_s_per_user")
    lat_key = f"ttft_p{req.slos[0].percentile:g}_s" if req.slos else "ttft_p50_s"
    front_lat = _pareto_min(points, "usd_per_million_tokens", lat_key)
    front = {id(p): p for p in front_cost + front_lat}
    if req.simulate:
        for p_ in list(front.values())[:FRONT_SIMULATED]:
            if p_.get("latency") == "simulated":
                continue
            g, i = p_["_ref"]
            ts = time.perf_counter()
            s = simulate_candidate(req, g.fam, p_["max_num_batched_tokens"], p_["max_num_seqs"], p_["replicas"],
                                   n=min(req.sim_requests, 2000))
            sim_time += time.perf_counter() - ts
            sim_reqs += s["requests"]
            _merge_sim(p_, s, req.slos)
    result = {"model": req.model.name, "workload": _workload_dict(req, stats),
              "slos": [s.to_dict() for s in req.slos],
              "best": None, "pareto": [_public(p) for p in front_cost],
              "pareto_latency": [_public(p) for p in front_lat],
              "rejected": rejected,
              "search": {"families": len(families), "candidates": int(n_candidates),
                         "feasible_analytic": len(points), "analytic_s": t2 - t1, "setup_s": t1 - t0,
                         "candidates_per_s": n_candidates / max(t2 - t1, 1e-9),
                         "simulated": len(sim_tried) + len(front), "simulated_requests": sim_reqs,
                         "simulation_s": sim_time,
                         "simulated_requests_per_s": sim_reqs / sim_time if sim_time else None},
              "assumptions": _assumptions(req)}
    if best is not None:
        dep = best.get("_dep") or _deployment_for(req, best["_ref"][0].fam, best["max_num_batched_tokens"],
                                                  best["max_num_seqs"], ctx, best["_ref"][0].fam.dep.workload
                                                  .prompt_tokens, best["_ref"][0].fam.dep.workload.gen_tokens)
        b = _public(best)
        b["layout"] = dep.layout.to_dict()
        b["deployment"] = dep.to_dict()
        b["launch_command"] = launch_command(dep, best["replicas"], best["max_num_seqs"],
                                             best["max_num_batched_tokens"])
        b["goodput_requests_per_s"] = best.get("goodput_requests_per_s", best["requests_per_s"])
        result["best"] = b
        result["_best_deployment"] = dep
    else:
        result["nothing_fits"] = _nothing_fits(req, grids, families, sim_tried, rejected)
    if req.disaggregate:
        _add_disaggregated(req, result, families, stats, ctx)
    return result


def _add_disaggregated(req, result: dict, families, stats, ctx: int) -> None:
    """--disaggregate: the cheapest prefill + decode pools (disagg.py), compared with the co-located best;
    ``best`` becomes the disaggregated plan (with ``pools``) when it is cheaper."""
    from .disagg import disaggregated_plan

    d = disaggregated_plan(req, families, stats)
    co = result["best"]
    db = d["best"]
    if db is not None:
        by_key = {f.key(): f for f in families}
        for role in ("prefill", "decode"):
            pool = db["pools"][role]
            fam = by_key[pool["family"]]
            M = pool.get("max_num_seqs", 1)
            dep = _deployment_for(req, fam, max(TOKEN_BUDGETS), M, ctx, fam.dep.workload.prompt_tokens,
                                  fam.dep.workload.gen_tokens)
            pool["deployment"] = dep.to_dict()
            pool["launch_command"] = launch_command(dep, pool["replicas"], M, max(TOKEN_BUDGETS)) + \
                f"  # {role} pool: connect the pools with the engine's KV-transfer connector"
    d["comparison"] = {
        "colocated_usd_per_hour": None if co is None else co["usd_per_hour"],
        "disaggregated_usd_per_hour": None if db is None else db["usd_per_hour"],
        "colocated_gpus": None if co is None else co["gpus_total"],
        "disaggregated_gpus": None if db is None else db["gpus_total"],
        "cheaper": ("disaggregated" if db is not None and (co is None or db["usd_per_hour"] < co["usd_per_hour"])
                    else "colocated" if co is not None else None)}
    result["disaggregated"] = d
    if d["comparison"]["cheaper"] == "disaggregated":
        result["colocated_best"] = co
        result["best"] = {**db, "disaggregated": True}
        result.pop("nothing_fits", None)


def _best_miss(req, grids, code) -> str:
    import numpy as np

    if code in (3, 4, 5):
        s = next((x for x in req.slos if {"ttft": 3, "tpot": 4, "e2e": 5}[x.metric] == code), None)
        if s is None:
            return ""
        best = math.inf
        for g in grids:
            v = g.tpot if s.metric == "tpot" else (g.ttft if s.metric == "ttft" else g.e2e)[s.percentile]
            v = np.where(g.stable & (g.reason != 1), v, np.inf)
            best = min(best, float(np.min(v)))
        return f"the fastest layout reaches {s.metric.upper()} p{s.percentile:g} {best * 1e3:,.0f} ms > " \
               f"{s.seconds * 1e3:,.0f} ms"
    if code == 2:
        return "no replica count within the limits keeps up with the request rate"
    if code == 1:
        return "the KV cache cannot hold the longest requests"
    if code == 6:
        return f"needs more than {req.max_gpus} GPUs"
    if code == 7:
        cheapest = math.inf
        for g in grids:
            ok = (g.reason == 0) | (g.reason == 7)
            cheapest = min(cheapest, float(np.min(np.where(ok, g.usd_per_hour, np.inf))))
        return f"the cheapest plan that meets the objectives costs ${cheapest:,.2f}/h > " \
               f"${req.budget_usd_per_hour:,.2f}/h"
    return ""


def _nothing_fits(req, grids, families, tried, rejected) -> str:
    import numpy as np

    if tried:
        t = tried[0]
        misses = [f"{s.metric.upper()} p{s.percentile:g} {t.get(f'{s.metric}_p{s.percentile:g}_s', 0) * 1e3:,.0f} ms"
                  for s in req.slos]
        return (f"the cheapest analytic candidates failed in simulation; the cheapest ({t['family']}, "
                f"{t['gpus_total']} GPUs) reached " + ", ".join(misses))
    parts = []
    for s in req.slos:
        best, where = math.inf, None
        for g in grids:
            v = g.tpot if s.metric == "tpot" else (g.ttft if s.metric == "ttft" else g.e2e)[s.percentile]
            v = np.where(g.stable & (g.reason != 1), v, np.inf)
            j = np.unravel_index(int(np.argmin(v)), v.shape)
            if float(v[j]) < best:
                best, where = float(v[j]), (g.fam, int(g.R[j]))
        if where and best > s.seconds:
            parts.append(f"{s.metric.upper()} p{s.percentile:g} can reach {best * 1e3:,.0f} ms at best "
                         f"({where[0].key()}, {where[1]} replicas)")
    if parts:
        return "nothing meets the objectives; the nearest relaxation: " + "; ".join(parts)
    reasons = sorted({r["reason"] for r in rejected})
    return "nothing fits: " + ", ".join(reasons) if reasons else "nothing fits"


def _merge_sim(p: dict, s: dict, slos) -> None:
    for k, v in s.items():
        if k == "deployment":
            p["_dep"] = v
        elif k in ("requests", "duration_s", "steps"):
            continue
        elif k.endswith("_s") and k.startswith(("ttft", "tpot", "e2e")):
            p[k] = v
    p["simulated_requests_per_s_per_replica"] = s["requests_per_s"]
    p["goodput_requests_per_s"] = s.get("goodput_requests_per_s", s["requests_per_s"]) * p["replicas"]
    p["slo_attainment"] = s.get("slo_attainment")
    p["preemptions"] = s["preemptions"]
    p["meets_slos"] = s["meets_slos"]
    p["latency"] = "simulated"
    if "tpot_p50_s" in s and s["tpot_p50_s"]:
        p["tokens_per_s_per_user"] = 1.0 / s["tpot_p50_s"]


def _public(p: dict) -> dict:
    return {k: v for k, v in p.items() if not k.startswith("_")}


def _workload_dict(req, stats) -> dict:
    d = {"lengths": req.lengths.to_dict(), "mean_prompt_tokens": stats["p_mean"], "mean_gen_tokens": stats["g_mean"],
         "context_tokens": stats["longest"], "prefix_hit": req.prefix_hit, "arrival": req.arrival}
    if req.rate is not None:
        d["rate_requests_per_s"] = req.rate
    else:
        d["concurrency"] = req.concurrency
    return d


def _assumptions(req) -> list[str]:
    return [
        "prices: one on-demand price per GPU-hour (hardware record or override); $/month = 730 h",
        "input/output token cost split by GPU time: a prompt's prefill time vs its outputs' share of decode steps",
        "energy: every GPU at its TDP for the whole hour (an upper bound)",
        "replicas are independent engines behind a load balancer; requests split evenly (each replica sees "
        "rate / replicas, Poisson)",
        "analytic tier: steady-state continuous batching on the step model; M/M/1-style queueing for TTFT",
        "simulation: vLLM-style scheduler (decode first, chunked prefill, FCFS admission, recompute preemption)",
    ]
