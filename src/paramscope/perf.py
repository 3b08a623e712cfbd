"""Inference latency and throughput: a roofline per phase over exact FLOPs and bytes moved.

For each phase the time on one GPU is max(compute time, memory time) (Williams et al. 2009, "Roofline"):
compute = FLOPs / (dense peak x compute efficiency), memory = bytes moved / (peak bandwidth x bandwidth
efficiency). Taking the max assumes the two overlap fully within a phase; nothing else is assumed to
overlap: tensor-parallel all-reduces and pipeline hops are ADDED (they sit on the critical path of
decode). Efficiencies are named constants in data/efficiency.toml, overridable.

- Prefill (TTFT): FLOPs of the prompt (causal attention) for the whole batch; bytes = the weights once.
- Decode (TPOT): one token for every sequence at the mean context of the generation; bytes = dense
  weights + the experts the batch touches + the KV cache read. MoE expert coverage: with b tokens each
  picking k of E experts uniformly, the expected distinct experts are E (1 - (1 - k/E)^b) (the standard
  occupancy expectation; routing is not uniform in practice, so this is a lower bound on coverage skew).
- The input embedding is a gather (one row per token), so its table is not streamed (facts.md 6a); a tied
  head reads it.
- Weight-only quantized formats stream at ``dequant_bandwidth_factor`` of the bandwidth efficiency.
- Tensor parallelism: 2 all-reduces per layer of batch x tokens x hidden activations, ring volume
  2 (n - 1) / n over the interconnect, plus a latency each. Pipeline parallelism: stages run in sequence
  for one token (latency = sum of stages = one GPU's worth of weights) plus a hop per stage boundary.

Never reports a speed for a configuration that does not fit: memory is checked first (memory.report).
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

from .compute import attention_flops, matmul_params_per_token
from .errors import DoesNotFitError, InputError
from .memory.report import memory_report

_DATA = Path(__file__).resolve().parent / "data" / "efficiency.toml"
_WEIGHT_ONLY = ("gguf", "gptq", "awq", "nf4", "hqq", "exl2", "int4", "q2", "q3", "q4", "q5", "q6", "iq", "tq")


@functools.lru_cache(maxsize=1)
def efficiency_constants() -> dict:
    with open(_DATA, "rb") as f:
        return tomllib.load(f)


def _const(key: str) -> float:
    return float(efficiency_constants()[key]["value"])


@dataclass(frozen=True)
class PerfOptions:
    batch: int = 1
    prompt_tokens: int = 512
    gen_tokens: int = 128
    count: int | None = None  # GPUs; None = tp x pp x dp, or 1
    tp: int | None = None  # None (with pp None): the engine's own layout for ``count`` GPUs
    pp: int | None = None
    weights: str = "native"
    kv_dtype: str = "auto"
    engine: str | None = None  # None = engines.default_engine's rule
    bandwidth_efficiency: float | None = None
    compute_efficiency: float | None = None
    context: int | None = None  # tokens the cache holds per sequence (None = prompt + gen)
    dp: int | None = None
    ep: int | None = None
    settings: tuple = ()  # ((name, value), ...) engine settings, e.g. (("max_num_seqs", 256),)

    def deployment(self, model, hw):
        from .deployment import build_deployment

        return build_deployment(model, hw, engine=self.engine, gpus=self.count, tp=self.tp, pp=self.pp,
                                dp=self.dp, ep=self.ep, weights=self.weights, kv_dtype=self.kv_dtype,
                                batch=self.batch, context=self.context, prompt_tokens=self.prompt_tokens,
                                gen_tokens=self.gen_tokens, **dict(self.settings))


@dataclass(frozen=True)
class PerfReport:
    model: str
    hardware: str
    options: PerfOptions
    ttft_s: float
    tpot_s: float
    decode_tokens_per_s: float
    prefill_tokens_per_s: float
    bound: str
    bound_prefill: str
    knee_batch: int | None
    max_concurrent_sequences: int
    parts: dict = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    deployment: object | None = field(default=None, repr=False, compare=False)
    per_gpu_bytes: int = 0
    capacity_bytes: int = 0

    def to_dict(self) -> dict:
        dep = self.deployment
        lay = dep.layout
        w = dep.workload
        return {"model": self.model, "hardware": self.hardware, "ttft_s": self.ttft_s, "tpot_s": self.tpot_s,
                "decode_tokens_per_s": self.decode_tokens_per_s, "prefill_tokens_per_s": self.prefill_tokens_per_s,
                "bound": self.bound, "bound_prefill": self.bound_prefill, "knee_batch": self.knee_batch,
                "max_concurrent_sequences": self.max_concurrent_sequences,
                "per_gpu_bytes": self.per_gpu_bytes, "capacity_bytes": self.capacity_bytes,
                "layout": lay.to_dict(), "engine": dep.engine,
                "options": {"batch": w.batch, "prompt_tokens": w.prompt_tokens, "gen_tokens": w.gen_tokens,
                            "context": w.context, "count": lay.gpus, "tp": lay.tensor_parallel,
                            "pp": lay.pipeline_parallel, "weights": dep.weights, "engine": dep.engine},
                "deployment": dep.to_dict(), "parts": self.parts, "assumptions": list(self.assumptions)}


def is_weight_only(scheme: str, description: str = "") -> bool:
    """Weight-only quantized formats (dequantized to the activation dtype inside the matmul kernels)."""
    s = scheme.lower()
    return any(s.startswith(p) for p in _WEIGHT_ONLY) or "gguf" in description.lower()


def _compute_dtype(hw, scheme: str, native_dtype: str | None) -> str:
    s = scheme.lower()
    if s.startswith("fp8") and "fp8" in hw.peak_flops_per_s:
        return "fp8"  # W8A8 FP8 GEMMs
    if s == "int8" and "int8" in hw.peak_flops_per_s:
        return "int8"
    for d in ("bf16", "fp16", "fp32"):
        if d in hw.peak_flops_per_s:
            return d
    raise InputError(f"{hw.id} has no usable dense peak")


def expert_coverage(batch_tokens: float, top_k: int, experts: int) -> float:
    """Expected fraction of experts touched by ``batch_tokens`` tokens choosing ``top_k`` of ``experts``."""
    if experts <= 0:
        return 1.0
    return 1.0 - (1.0 - top_k / experts) ** batch_tokens


def _moe_shape(spec) -> tuple[int, int] | None:
    for stack in spec.language_stacks:
        for layer in stack.layers:
            f = layer.ffn
            if getattr(f, "num_experts", None):
                return f.top_k, f.num_experts
    return None


def perf_report(model, hw, options: PerfOptions | None = None) -> PerfReport:
    o = options or PerfOptions()
    for name, v in (("batch", o.batch), ("prompt", o.prompt_tokens)):
        if v < 1:
            raise InputError(f"{name} must be >= 1, got {v}")
    if o.gen_tokens < 1:
        raise InputError(f"gen must be >= 1 token, got {o.gen_tokens}")
    return perf_deployment(o.deployment(model, hw), bandwidth_efficiency=o.bandwidth_efficiency,
                           compute_efficiency=o.compute_efficiency, options=o)


def perf_deployment(dep, *, bandwidth_efficiency: float | None = None, compute_efficiency: float | None = None,
                    options: PerfOptions | None = None) -> PerfReport:
    """Roofline speed of a :class:`paramscope.deployment.Deployment` (its hardware is required); the memory
    check is the same memory_report that ``memory`` and ``fit`` print."""
    model, hw = dep.model, dep.hardware
    if hw is None:
        raise InputError("a speed estimate needs a device")
    spec = model.require_spec("performance")
    wl = dep.workload
    o = replace(options or PerfOptions(), batch=wl.batch, prompt_tokens=wl.prompt_tokens, gen_tokens=wl.gen_tokens,
                bandwidth_efficiency=bandwidth_efficiency, compute_efficiency=compute_efficiency)
    tp, pp = dep.layout.tensor_parallel, dep.layout.pipeline_parallel
    context = wl.context
    mo = dep.memory_options()
    mem = memory_report(model, mo)
    cap = mem.capacity_bytes
    if mem.total_bytes > cap:
        raise DoesNotFitError(f"{mem.model} needs {mem.total_bytes / 1e9:.2f} GB per GPU at batch {o.batch}, context "
                              f"{context:,} ({dep.engine}), but {hw.id} offers {cap / 1e9:.2f} GB usable (short by "
                              f"{(mem.total_bytes - cap) / 1e9:.2f} GB); try more GPUs or a smaller scheme")
    per_seq_kv = memory_report(model, replace(mo, batch=1, n_ctx=None)).kv_cache_bytes
    fixed = mem.total_bytes - mem.kv_cache_bytes
    max_seqs = max(0, (cap - fixed) // max(1, per_seq_kv))

    # bytes: weights per GPU split into what every token streams and what depends on expert coverage
    w = mem.parts["weights"]
    whole = max(1, w["weights_bytes"])
    by_group = w["by_group"]
    share = mem.weights_bytes / whole  # this GPU's fraction of the model's bytes
    expert_bytes = by_group.get("experts", 0) * share
    embed_bytes = 0 if spec.embedding.tied_head else by_group.get("embedding", 0) * share
    dense_bytes = mem.weights_bytes - expert_bytes - embed_bytes
    scheme = w.get("scheme", o.weights).lower()
    quant_weight_only = is_weight_only(scheme, w.get("description", ""))
    bw_eff = o.bandwidth_efficiency or _const("bandwidth_efficiency")
    if quant_weight_only:
        bw_eff *= _const("dequant_bandwidth_factor")
    bw = hw.memory_bandwidth_bytes_per_s * bw_eff
    dtype = _compute_dtype(hw, scheme, spec.dtype)
    peak = hw.peak_flops_per_s[dtype]
    c_eff_prefill = o.compute_efficiency or _const("prefill_compute_efficiency")
    c_eff_decode = o.compute_efficiency or _const("decode_compute_efficiency")
    n_matmul = matmul_params_per_token(model)
    gpus_per_token = tp  # stages run in sequence; TP ranks split each matmul
    moe = _moe_shape(spec)
    hidden = spec.hidden_size
    layers = spec.num_layers
    act_bytes = 2

    def comm_s(tokens: float) -> float:
        t = 0.0
        if tp > 1:
            link = hw.interconnect_bytes_per_s or hw.pcie_bytes_per_s
            if not link:
                raise InputError(f"{hw.id} has no interconnect bandwidth in its record; tensor parallelism needs one")
            vol = tokens * hidden * act_bytes * 2 * (tp - 1) / tp
            t += 2 * layers * (vol / link + _const("allreduce_latency_s"))
        if pp > 1:
            t += (pp - 1) * _const("p2p_latency_s")
        return t

    # prefill
    p_flops = n_matmul * 2 * o.prompt_tokens * o.batch + attention_flops(spec, start=0, stop=o.prompt_tokens,
                                                                         batch=o.batch)
    p_compute = p_flops / gpus_per_token / (peak * c_eff_prefill)
    p_mem = mem.weights_bytes * pp / bw  # every stage streams its weights once
    ttft = max(p_compute, p_mem) + comm_s(o.batch * o.prompt_tokens)
    bound_prefill = "compute" if p_compute >= p_mem else "memory"

    def decode_step(b: int) -> tuple[float, float, float, float]:
        mean_ctx = o.prompt_tokens + o.gen_tokens // 2
        flops = n_matmul * 2 * b + attention_flops(spec, start=mean_ctx, stop=mean_ctx + 1, batch=b)
        cov = expert_coverage(b, *moe) if moe else 1.0
        kv_read = per_seq_kv * b * mean_ctx / context
        nbytes = (dense_bytes + expert_bytes * cov) * pp + kv_read * pp
        t_c = flops / gpus_per_token / (peak * c_eff_decode)
        t_m = nbytes / bw
        return max(t_c, t_m) + comm_s(b), t_c, t_m, nbytes

    tpot, t_c, t_m, nbytes = decode_step(o.batch)
    knee = None
    b = 1
    while b <= 1 << 16:
        _, c, m, _ = decode_step(b)
        if c >= m:
            knee = b
            break
        b *= 2
    assumptions = [
        f"bandwidth efficiency {bw_eff:.2f}" + (" (weight-only dequantization factor applied)" if quant_weight_only
                                                else ""),
        f"compute: {dtype} dense peak {peak / 1e12:.0f} TFLOP/s x {c_eff_prefill:.2f} (prefill), "
        f"x {c_eff_decode:.2f} (decode)",
        "per phase time = max(compute, memory); TP all-reduces and PP hops added (data/efficiency.toml)",
    ]
    if moe:
        assumptions.append(f"MoE: {expert_coverage(o.batch, *moe):.1%} of experts touched per decode step "
                           f"(uniform routing, top-{moe[0]} of {moe[1]})")
    parts = {"prefill_flops": p_flops, "decode_flops_per_step": n_matmul * 2 * o.batch,
             "decode_bytes_per_step": nbytes, "weights_bytes_per_gpu": mem.weights_bytes,
             "kv_bytes_per_sequence": per_seq_kv, "decode_compute_s": t_c, "decode_memory_s": t_m,
             "memory_total_bytes_per_gpu": mem.total_bytes, "usable_bytes_per_gpu": cap, "tp": tp, "pp": pp,
             "compute_dtype": dtype}
    if dep.layout.data_parallel > 1:
        assumptions.append(f"figures are per replica; {dep.layout.data_parallel} data-parallel replicas serve "
                           f"{dep.layout.data_parallel}x the sequences")
    if dep.layout.split == "layer" and pp > 1:
        assumptions.append(f"{dep.engine} splits whole layers over the {pp} GPUs: they run one after another "
                           "for each token (no tensor parallelism)")
    return PerfReport(mem.model, hw.id, o, ttft, tpot, o.batch / tpot, o.batch * o.prompt_tokens / ttft,
                      "compute" if t_c >= t_m else "memory", bound_prefill, knee, int(max_seqs), parts,
                      assumptions, dep, mem.total_bytes, cap)


def roofline_tokens_per_s(weight_bytes: float, bandwidth_bytes_per_s: float) -> float:
    """The batch-1 decode ceiling: every weight byte read once per token at full bandwidth."""
    return bandwidth_bytes_per_s / weight_bytes if weight_bytes > 0 else math.inf
