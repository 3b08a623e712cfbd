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
- The input embedding is a gather (one row per token; ggml_get_rows in llama.cpp), so its table is not
  streamed; a tied head reads it.
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

from .compute import matmul_params_per_token
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


# Set by scripts/fit_speed.py while it fits: "engine/class/key", "engine/key" or "key" -> value.
_OVERRIDES: dict[str, float] = {}


# llama.cpp's original block formats (one scale, or scale + minimum, per 32 weights): their dequantizing kernels
# differ from the k- and i-quants', so their bandwidth factor is a separate constant (data/efficiency.toml)
LEGACY_GGUF = frozenset({"q4_0", "q4_1", "q5_0", "q5_1", "q8_0"})


def device_class(hw) -> str:
    """The device class speed constants are looked up by: ``apple`` (unified memory, Metal), ``cpu``,
    ``gpu-hbm`` (a GPU whose memory streams at >= 1.5 TB/s: data-center HBM parts) or ``gpu`` (GDDR cards:
    GeForce and workstation boards)."""
    kind = getattr(hw, "kind", "gpu")
    if kind != "gpu":
        return kind
    return "gpu-hbm" if hw.memory_bandwidth_bytes_per_s >= 1.5e12 else "gpu"


def speed_const(engine: str | None, cls: str, key: str) -> float:
    """A speed constant: [engine_speed.<engine>.<class>.<key>], else [engine_speed.<engine>.any.<key>], else the
    engine-independent default [<key>] of data/efficiency.toml."""
    for k in (f"{engine}/{cls}/{key}", f"{engine}/any/{key}", key):
        if k in _OVERRIDES:
            return float(_OVERRIDES[k])
    table = efficiency_constants().get("engine_speed", {}).get(engine or "", {})
    for c in (cls, "any"):
        rec = table.get(c, {}).get(key)
        if rec is not None:
            return float(rec["value"])
    return _const(key)


def speed_source(engine: str | None, cls: str, key: str) -> str:
    table = efficiency_constants().get("engine_speed", {}).get(engine or "", {})
    for c in (cls, "any"):
        rec = table.get(c, {}).get(key)
        if rec is not None:
            return f"engine_speed.{engine}.{c}.{key}: {rec.get('source', '')}"
    return f"{key}: {efficiency_constants()[key].get('source', '')}"


@functools.lru_cache(maxsize=1)
def _error_bands() -> dict:
    """data/speed_error_bands.toml (scripts/fit_speed.py: published per-phase measurements) merged with
    data/serving_error_bands.toml (scripts/fit_serving.py: published serving benchmarks), the former first."""
    out: dict = {"band": {}}
    for name in ("calibrated_error_bands.toml", "serving_error_bands.toml", "speed_error_bands.toml"):
        path = Path(__file__).resolve().parent / "data" / name
        if path.exists():
            with open(path, "rb") as f:
                for engine, phases in tomllib.load(f).get("band", {}).items():
                    out["band"].setdefault(engine, {}).update(phases)
    return out


# perf's phases -> the validation phase whose error describes them
_BAND_PHASE = {"decode": ("decode", "throughput"), "ttft": ("prefill", "throughput"),
               "throughput": ("throughput",)}


def error_bands(engine: str | None) -> dict:
    """Per perf phase (decode, ttft, throughput): the median and 90th-percentile |error| of this engine's
    predictions on the validation set of data/measurements.toml (data/speed_error_bands.toml, written by
    scripts/fit_speed.py), or None when no published measurement of the engine covers the phase."""
    table = _error_bands().get("band", {}).get(engine or "", {})
    out = {}
    for phase, sources in _BAND_PHASE.items():
        band = None
        for src in sources:
            rec = table.get(src)
            if rec:
                band = {"median_abs_error": rec["median_abs_error"], "p90_abs_error": rec["p90_abs_error"],
                        "records": rec["records"], "measured_phase": src,
                        "basis": rec["basis"] if "basis" in rec else
                                 f"median |error| of {engine} {src} on the validation set of "
                                 f"{rec.get('data', 'data/measurements.toml')}"
                                 + ("" if src == sources[0] or phase == "throughput" else
                                    f" (no direct {phase} measurement; the {src} error stands in)")}
                break
        out[phase] = band
    return out


def format_band(band: dict | None, engine: str | None = None) -> str:
    if not band:
        return f"(no validation data for {engine or 'this engine'})"
    return f"(+-{band['median_abs_error']:.0%}, {band['basis']})"


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
    error_band: dict = field(default_factory=dict)  # phase -> band from the validation set, or None

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
                "deployment": dep.to_dict(), "parts": self.parts, "assumptions": list(self.assumptions),
                "error_band": dict(self.error_band)}


def is_weight_only(scheme: str, description: str = "") -> bool:
    """Weight-only quantized formats (dequantized to the activation dtype inside the matmul kernels)."""
    s = scheme.lower()
    return any(s.startswith(p) for p in _WEIGHT_ONLY) or "gguf" in description.lower()


def _compute_dtype(hw, scheme: str, native_dtype: str | None) -> str:
    s = scheme.lower()
    if s in ("nvfp4", "mxfp4") and "fp4" in hw.peak_flops_per_s:
        return "fp4"  # W4A4 FP4 tensor-core GEMMs (Blackwell); elsewhere the scheme falls through to bf16
    if s.startswith("fp8") and "fp8" in hw.peak_flops_per_s:
        return "fp8"  # W8A8 FP8 GEMMs
    if s == "int8" and "int8" in hw.peak_flops_per_s:
        return "int8"
    for d in ("bf16", "fp16", "fp32"):
        if d in hw.peak_flops_per_s:
            return d
    raise InputError(f"{hw.id} has no usable dense peak")


def _prefill_chunk(engine: str | None) -> int | None:
    """Tokens per prefill step when the engine has no scheduler budget in its settings (llama.cpp: n_ubatch)."""
    if engine == "llama.cpp":
        from .engines import engine_const

        return int(engine_const("llama.cpp", "n_ubatch_default"))
    return None


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
    model.require_spec("performance")
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

    sm = step_model(dep, bandwidth_efficiency=o.bandwidth_efficiency, compute_efficiency=o.compute_efficiency,
                    mem=mem, per_seq_kv=per_seq_kv)
    quant_weight_only, bw_eff, dtype, peak = sm.weight_only, sm.bw_eff, sm.dtype, sm.peak
    c_eff_prefill, c_eff_decode, moe = sm.c_eff_prefill, sm.c_eff_decode, sm.moe

    # prefill
    p_attn = sm.attention_flops(0, o.prompt_tokens, o.batch)
    p_flops = sm.n_matmul * 2 * o.prompt_tokens * o.batch + p_attn
    ttft, p_compute, p_mem = sm.prefill_s(o.prompt_tokens * o.batch, p_attn)
    bound_prefill = "compute" if p_compute >= p_mem else "memory"
    mean_ctx = o.prompt_tokens + o.gen_tokens // 2

    def decode_step(b: int) -> tuple[float, float, float, float]:
        return sm.decode_s(b, mean_ctx)

    tpot, t_c, t_m, nbytes = decode_step(o.batch)
    knee = None
    b = 1
    while b <= 1 << 16:
        _, c, m, _ = decode_step(b)
        if c >= m:
            knee = b
            break
        b *= 2
    calibrated = bool(device_speed(hw, dep.engine)) and not (o.bandwidth_efficiency or o.compute_efficiency)
    peak_txt = f"{peak / 1e12:.0f} TFLOP/s" if peak >= 1e13 else f"{peak / 1e9:,.0f} GFLOP/s"
    assumptions = [
        f"bandwidth efficiency {bw_eff:.2f}" + (" (measured per weight format, see below)" if calibrated else
                                                " (weight-only dequantization factor applied)" if quant_weight_only
                                                else ""),
        f"compute: {dtype} dense peak {peak_txt} x {c_eff_prefill:.2f} (prefill), "
        f"x {c_eff_decode:.2f} (decode)",
        f"fixed costs per forward step ({sm.engine} on a {sm.device_class} device): "
        f"{sm.step_overhead_s * 1e3:.2f} ms + {sm.layers} layers x {sm.layer_overhead_s * 1e6:.1f} us"
        + (f" + {pp - 1} stage hand-offs x {sm.stage_hop_s * 1e3:.2f} ms (decode) / "
           f"{sm.prefill_stage_hop_s * 1e3:.1f} ms (prefill)" if pp > 1 else ""),
        "per phase time = max(compute, memory) + fixed costs; TP all-reduces added (data/efficiency.toml)",
    ]
    if calibrated:
        fmts = ", ".join(f for f, _ in sm.stream_bytes_by_format)
        measured_keys = device_speed(hw, dep.engine)
        unmeasured = [f for f, _ in sm.matmul_params_by_format if f"bandwidth_efficiency@{f}" not in measured_keys]
        if unmeasured:
            assumptions.append(f"not measured by the calibration: {', '.join(unmeasured)}; they take its median "
                               "format's rates")
        assumptions.append(
            f"speed constants measured on this device: {sm.constants_source}; each weight format ({fmts}) at its "
            "own measured rate for this width, mixed by its bytes (decode) and FLOPs (prefill); attention at "
            f"{sm.c_eff_attn_prefill or c_eff_prefill:.2f} (prefill) / {sm.c_eff_attn_decode or c_eff_decode:.2f} "
            "(decode) of the fp32 rate")
    if moe:
        assumptions.append(f"MoE: {expert_coverage(o.batch, *moe):.1%} of experts touched per decode step "
                           f"(uniform routing, top-{moe[0]} of {moe[1]})")
    parts = {"prefill_flops": p_flops, "decode_flops_per_step": sm.n_matmul * 2 * o.batch,
             "decode_bytes_per_step": nbytes, "weights_bytes_per_gpu": mem.weights_bytes,
             "kv_bytes_per_sequence": per_seq_kv, "decode_compute_s": t_c, "decode_memory_s": t_m,
             "memory_total_bytes_per_gpu": mem.total_bytes, "usable_bytes_per_gpu": cap, "tp": tp, "pp": pp,
             "compute_dtype": dtype, "device_class": sm.device_class, "fixed_decode_step_s": sm.fixed_s(),
             "prefill_steps": sm.prefill_steps(o.prompt_tokens * o.batch)}
    if dep.layout.data_parallel > 1:
        assumptions.append(f"figures are per replica; {dep.layout.data_parallel} data-parallel replicas serve "
                           f"{dep.layout.data_parallel}x the sequences")
    if dep.layout.split == "layer" and pp > 1:
        assumptions.append(f"{dep.engine} splits whole layers over the {pp} GPUs: they run one after another "
                           "for each token (no tensor parallelism)")
    return PerfReport(mem.model, hw.id, o, ttft, tpot, o.batch / tpot, o.batch * o.prompt_tokens / ttft,
                      "compute" if t_c >= t_m else "memory", bound_prefill, knee, int(max_seqs), parts,
                      assumptions, dep, mem.total_bytes, cap,
                      error_bands(f"{dep.engine}@calibrated" if calibrated else dep.engine))


def _is_array(*xs) -> bool:
    return any(type(x).__module__ == "numpy" for x in xs)


def _maximum(a, b):
    if _is_array(a, b):
        import numpy as np

        return np.maximum(a, b)
    return max(a, b)


def _full_attended(n, window, chunked):
    """sum over t = 1..n of the tokens query t attends (compute._attended_sum's ``full``), for numbers or
    numpy arrays (the planner's grid and simulator call it with arrays)."""
    if window is None:
        return n * (n + 1) / 2
    if _is_array(n):
        import numpy as np

        if chunked:
            q, r = np.floor_divide(n, window), np.mod(n, window)
            big = q * window * (window + 1) / 2 + r * (r + 1) / 2
        else:
            big = window * (window + 1) / 2 + (n - window) * window
        return np.where(n <= window, n * (n + 1) / 2, big)
    if n <= window:
        return n * (n + 1) / 2
    if chunked:
        q, r = divmod(n, window)
        return q * window * (window + 1) / 2 + r * (r + 1) / 2
    return window * (window + 1) / 2 + (n - window) * window


@dataclass(frozen=True)
class StepModel:
    """The per-step time model of one deployment (one replica), shared by ``perf`` (TTFT, TPOT), the
    planner's vectorized search and its continuous-batching simulator, so they cannot disagree about physics.

    All figures are per GPU of the most-loaded pipeline stage; times are seconds. Every method accepts plain
    numbers or numpy arrays (broadcast together)."""

    n_matmul: float  # parameters one token multiplies by (compute.matmul_params_per_token)
    attn_groups: tuple  # ((FLOPs per attended token per query, window or None, chunked), ...) summed per group
    weights_bytes: float  # weights on this GPU (memory_report.weights_bytes): what a prefill streams per stage
    dense_bytes: float  # streamed by every decode step (untied input embedding excluded)
    expert_bytes: float  # routed experts on this GPU: streamed in proportion to the experts a step touches
    kv_bytes_per_token: float  # KV read per cached token per sequence (per_seq_kv / context)
    moe: tuple | None  # (top_k, experts)
    bw: float  # bytes/s achieved (peak x bandwidth efficiency x dequantization factor)
    peak: float  # dense FLOP/s of the compute dtype
    c_eff_prefill: float
    c_eff_decode: float
    tp: int
    pp: int
    hidden: int
    layers: int
    link_bytes_per_s: float | None
    allreduce_latency_s: float
    p2p_latency_s: float
    act_bytes: int = 2
    scheme: str = "native"
    weight_only: bool = False
    bw_eff: float = 0.0
    dtype: str = "bf16"
    hardware_id: str = ""
    # fixed costs (the engine's speed profile, data/efficiency.toml): per forward step, per layer on the
    # token's path per step, per stage boundary per step (decode / prefill); prefill steps of this many tokens
    step_overhead_s: float = 0.0
    layer_overhead_s: float = 0.0
    request_overhead_s: float = 0.0  # per request, once: the server's front end (HTTP, tokenizer, scheduler)
    seq_overhead_s: float = 0.0  # per running sequence per decode step: the scheduler's and sampler's CPU work
    stage_hop_s: float = 0.0
    prefill_stage_hop_s: float = 0.0
    prefill_chunk_tokens: float | None = None
    device_class: str = "gpu"
    engine: str = ""
    # attention as its own roofline term (a per-op sum: the weight matmuls, then attention over the cache) at
    # these fractions of the peak, when the engine's profile for the device states them (a llama.cpp CPU
    # calibration does); None: attention FLOPs join the matmul FLOPs at the matmul efficiency, the KV read
    # joins the weight stream
    c_eff_attn_prefill: float | None = None
    c_eff_attn_decode: float | None = None
    kv_bw: float = 0.0  # bytes/s of the KV read when attention is its own term
    # prefill matmul efficiency vs the tokens of a step q: c_eff_prefill x q / (q + this) (0: flat)
    prefill_half_tokens: float = 0.0
    # what the constants were applied to, by weight format (lower-case ggml / scheme names): the bytes a decode
    # step streams and the matmul parameters a token multiplies by (per GPU of the stage); informational
    stream_bytes_by_format: tuple = ()
    matmul_params_by_format: tuple = ()
    constants_source: str = ""  # where the constants came from (the device's own calibration, or the data file)

    def fixed_s(self, prefill: bool = False):
        """The fixed cost of one forward step: CPU / launch overhead, the per-layer kernel overhead of every
        layer on the token's path, and the stage hand-offs (beyond p2p_latency_s, which comm_s adds)."""
        hop = self.prefill_stage_hop_s if prefill else self.stage_hop_s
        return self.step_overhead_s + self.layers * self.layer_overhead_s + (self.pp - 1) * hop

    def prefill_efficiency(self, step_tokens):
        """The prefill matmul efficiency for steps of ``step_tokens`` tokens (prefill_half_tokens' curve)."""
        if not self.prefill_half_tokens:
            return self.c_eff_prefill
        return self.c_eff_prefill * step_tokens / (step_tokens + self.prefill_half_tokens)

    def prefill_steps(self, tokens):
        """Forward steps a prefill of ``tokens`` tokens takes (the engine's chunk per step)."""
        if not self.prefill_chunk_tokens:
            return 1 if not _is_array(tokens) else tokens * 0 + 1
        if _is_array(tokens):
            import numpy as np

            return np.maximum(1, np.ceil(tokens / self.prefill_chunk_tokens))
        return max(1, math.ceil(tokens / self.prefill_chunk_tokens))

    def attention_flops(self, start, stop, batch=1):
        """compute.attention_flops for queries start+1..stop of ``batch`` sequences (same terms, grouped)."""
        total = 0.0
        for coef, window, chunked in self.attn_groups:
            total = total + coef * (_full_attended(stop, window, chunked) - _full_attended(start, window, chunked))
        return total * batch

    def comm_s(self, tokens):
        """TP all-reduces (two per layer, ring volume) and PP hops on the critical path of one step."""
        t = 0.0
        if self.tp > 1:
            if not self.link_bytes_per_s:
                raise InputError("this device has no interconnect bandwidth in its record; tensor parallelism "
                                 "needs one")
            vol = tokens * self.hidden * self.act_bytes * 2 * (self.tp - 1) / self.tp
            t = t + 2 * self.layers * (vol / self.link_bytes_per_s + self.allreduce_latency_s)
        if self.pp > 1:
            t = t + (self.pp - 1) * self.p2p_latency_s
        return t

    def prefill_s(self, tokens, attn_flops):
        """(time, compute s, memory s) of a prefill of ``tokens`` tokens with ``attn_flops`` attention FLOPs:
        every stage streams its weights once."""
        steps = self.prefill_steps(tokens)
        mem = self.weights_bytes * self.pp / self.bw * steps
        c_eff = self.prefill_efficiency(tokens / steps)
        if self.c_eff_attn_prefill is None:
            compute = (self.n_matmul * 2 * tokens + attn_flops) / self.tp / (self.peak * c_eff)
            busy = _maximum(compute, mem)
        else:
            mm = self.n_matmul * 2 * tokens / self.tp / (self.peak * c_eff)
            attn = attn_flops / self.tp / (self.peak * self.c_eff_attn_prefill)
            compute, busy = mm + attn, _maximum(mm, mem) + attn
        return busy + self.comm_s(tokens) + steps * self.fixed_s(True) + self.request_overhead_s, compute, mem

    def decode_s(self, batch, mean_ctx):
        """(time, compute s, memory s, bytes) of one decode step: ``batch`` sequences at context ``mean_ctx``."""
        mm_flops = self.n_matmul * 2 * batch
        attn_flops = self.attention_flops(mean_ctx, mean_ctx + 1, batch)
        cov = expert_coverage(batch, *self.moe) if self.moe else 1.0
        kv_read = self.kv_bytes_per_token * batch * mean_ctx
        w_bytes = (self.dense_bytes + self.expert_bytes * cov) * self.pp
        nbytes = w_bytes + kv_read * self.pp
        fixed = self.comm_s(batch) + self.fixed_s() + batch * self.seq_overhead_s
        if self.c_eff_attn_decode is None:
            t_c = (mm_flops + attn_flops) / self.tp / (self.peak * self.c_eff_decode)
            t_m = nbytes / self.bw
            return _maximum(t_c, t_m) + fixed, t_c, t_m, nbytes
        mm_c, mm_m = mm_flops / self.tp / (self.peak * self.c_eff_decode), w_bytes / self.bw
        at_c, at_m = attn_flops / self.tp / (self.peak * self.c_eff_attn_decode), kv_read * self.pp / self.kv_bw
        return _maximum(mm_c, mm_m) + _maximum(at_c, at_m) + fixed, mm_c + at_c, mm_m + at_m, nbytes

    def step_s(self, prefill_tokens, prefill_attn_flops, decode_seqs, decode_ctx_tokens):
        """One continuous-batching step (chunked prefill): ``prefill_tokens`` prompt tokens (their attention
        FLOPs given) and one token for each of ``decode_seqs`` sequences holding ``decode_ctx_tokens`` cached
        tokens in all. FLOPs add; the weights are streamed once (all of them when a prompt chunk is in the
        step, as in prefill_s); the KV read adds. With no prompt tokens this is decode_s at the mean context;
        with no decode sequences it is prefill_s."""
        n = decode_seqs
        tokens = prefill_tokens + n
        mean = decode_ctx_tokens / _maximum(n, 1)
        d_attn = self.attention_flops(mean, mean + 1, n)
        if self.c_eff_attn_decode is not None:
            return self._step_s_split(prefill_tokens, prefill_attn_flops, n, decode_ctx_tokens, d_attn)
        d_flops = self.n_matmul * 2 * n + d_attn
        c_pre = self.prefill_efficiency(_maximum(prefill_tokens, 1))
        compute = ((self.n_matmul * 2 * prefill_tokens + prefill_attn_flops) / (self.peak * c_pre)
                   + d_flops / (self.peak * self.c_eff_decode)) / self.tp
        w = self._step_weight_bytes(prefill_tokens, tokens)
        mem = (w + self.kv_bytes_per_token * decode_ctx_tokens) * self.pp / self.bw
        return _maximum(compute, mem) + self.comm_s(tokens) + self.fixed_s() + n * self.seq_overhead_s

    def _step_weight_bytes(self, prefill_tokens, tokens):
        """Weight bytes one continuous-batching step streams: all of them when a prompt chunk is in the step,
        else the dense weights and the experts ``tokens`` tokens touch."""
        cov = expert_coverage(tokens, *self.moe) if self.moe else 1.0
        w_dec = self.dense_bytes + self.expert_bytes * cov
        if _is_array(prefill_tokens):
            import numpy as np

            return np.where(prefill_tokens > 0, _maximum(self.weights_bytes, w_dec), w_dec)
        return max(self.weights_bytes, w_dec) if prefill_tokens > 0 else w_dec

    def _step_s_split(self, prefill_tokens, prefill_attn_flops, n, decode_ctx_tokens, d_attn):
        """step_s when attention is its own roofline term (c_eff_attn_* set): matmuls against the weight
        stream, then the prompt's attention and the decode attention against the KV read."""
        tokens = prefill_tokens + n
        mm = ((self.n_matmul * 2 * prefill_tokens) / (self.peak * self.prefill_efficiency(_maximum(prefill_tokens, 1)))
              + self.n_matmul * 2 * n / (self.peak * self.c_eff_decode)) / self.tp
        w = self._step_weight_bytes(prefill_tokens, tokens)
        attn = (prefill_attn_flops / (self.peak * self.c_eff_attn_prefill)
                + d_attn / (self.peak * self.c_eff_attn_decode)) / self.tp
        kv = self.kv_bytes_per_token * decode_ctx_tokens * self.pp / self.kv_bw
        return (_maximum(mm, w * self.pp / self.bw) + _maximum(attn, kv) + self.comm_s(tokens) + self.fixed_s()
                + n * self.seq_overhead_s)


def step_model(dep, *, bandwidth_efficiency: float | None = None, compute_efficiency: float | None = None,
               mem=None, per_seq_kv: int | None = None) -> StepModel:
    """The :class:`StepModel` of a Deployment (its hardware required); ``mem`` / ``per_seq_kv`` may be passed
    when the caller already has the deployment's memory_report and one sequence's KV bytes."""
    from .compute import attention_layers

    model, hw = dep.model, dep.hardware
    if hw is None:
        raise InputError("a speed estimate needs a device")
    spec = model.require_spec("performance")
    mo = dep.memory_options()
    if mem is None:
        mem = memory_report(model, mo)
    if per_seq_kv is None:
        per_seq_kv = memory_report(model, replace(mo, batch=1, n_ctx=None)).kv_cache_bytes
    tp, pp = dep.layout.tensor_parallel, dep.layout.pipeline_parallel
    # bytes one token streams on one TP rank: every stage's weights (the stages run one after another for a
    # token; uneven layer splits summed as placed), split into what every step reads and what depends on
    # expert coverage. weights_bytes / dense_bytes / expert_bytes are per stage (the path's mean).
    from .engines import get_engine

    w = mem.parts["weights"]
    whole = max(1, w["weights_bytes"])
    by_group = w["by_group"]
    per_stage = w.get("per_stage_bytes")
    path_bytes = float(sum(per_stage)) if (pp > 1 and per_stage) else float(mem.weights_bytes * pp)
    share = path_bytes / whole  # the fraction of the model's bytes one token streams on one TP rank
    embed_on_host = get_engine(dep.engine).input_embedding_on_host(hw.kind)
    expert_bytes = by_group.get("experts", 0) * share
    embed_bytes = 0 if (spec.embedding.tied_head or embed_on_host) else by_group.get("embedding", 0) * share
    dense_bytes = path_bytes - expert_bytes - embed_bytes
    scheme = w.get("scheme", dep.weights).lower()
    weight_only = is_weight_only(scheme, w.get("description", ""))
    eng, cls = dep.engine, device_class(hw)
    measured = device_speed(hw, eng)

    def C(key: str) -> float:
        return measured[key] if key in measured else speed_const(eng, cls, key)

    stream_by_fmt, params_by_fmt = _by_format(w, embed_bytes=embed_bytes, share=share)
    bw_eff = bandwidth_efficiency or C("bandwidth_efficiency")
    if weight_only:
        bw_eff *= C("dequant_bandwidth_factor_legacy" if scheme in LEGACY_GGUF else "dequant_bandwidth_factor")
    kv_bw = hw.memory_bandwidth_bytes_per_s * (bandwidth_efficiency or C("bandwidth_efficiency"))
    moe = _moe_shape(spec)
    c_pre = compute_efficiency or C("prefill_compute_efficiency")
    c_dec = compute_efficiency or C("decode_compute_efficiency")
    if weight_only:
        c_pre *= C("quant_prefill_factor")
    # per-format constants (a device calibrated with the engine itself: bandwidth_efficiency@q4_k, ...): the
    # streamed bytes / multiplied parameters of each format at that format's rate (a harmonic mix)
    if not (bandwidth_efficiency or compute_efficiency) and any("@" in k for k in measured):
        d = spec.hidden_size

        def per_format(key, half, default):
            """this format's measured rate at the model's width: rate_max x d / (d + d0) (calibrate_llamacpp)"""
            def eff(f):
                d0 = measured.get(f"{half}@{f}", measured.get(half, 0.0))
                return measured.get(f"{key}@{f}", default) * d / (d + d0)
            return eff

        bw_eff = _harmonic(stream_by_fmt, per_format("bandwidth_efficiency", "decode_half_width", bw_eff))
        c_pre = _harmonic(params_by_fmt, per_format("prefill_compute_efficiency", "prefill_half_width", c_pre))
        c_dec = _harmonic(params_by_fmt, per_format("decode_compute_efficiency", "prefill_half_width", c_dec))
        total = sum(params_by_fmt.values()) or 1.0
        half_tokens = sum(p * measured.get(f"prefill_half_tokens@{f}", measured.get("prefill_half_tokens", 0.0))
                          for f, p in params_by_fmt.items()) / total
    else:
        half_tokens = _maybe_const(eng, cls, measured, "prefill_half_tokens") or 0.0
    attn_pre, attn_dec = (None if compute_efficiency else _maybe_const(eng, cls, measured, k)
                          for k in ("attention_prefill_efficiency", "attention_decode_efficiency"))
    if moe:
        c_pre *= C("moe_compute_factor")
        c_dec *= C("moe_compute_factor")
    link = hw.interconnect_bytes_per_s or hw.pcie_bytes_per_s
    # ring all-reduce: each rank sends 2 (n - 1) / n of the data over ONE direction of its link (the catalog's
    # figure is bidirectional) at the bus efficiency NCCL reaches
    link_eff = link / 2 * C("allreduce_bus_efficiency") if link else None
    chunk = mem.settings.get("max_num_batched_tokens") or _prefill_chunk(eng)
    if any(layer.attention.compressors for s in spec.language_stacks for layer in s.layers if layer.attention):
        from .errors import UnsupportedArchitectureError
        raise UnsupportedArchitectureError(
            "speed: the attention over DeepSeek-V4's compressed KV entries and its indexer's scores are not in the "
            "step model (compute.attention_flops counts them); refusing rather than leaving them out")
    groups: dict = {}
    for a in attention_layers(spec):
        key = (a.window, a.chunked)
        groups[key] = groups.get(key, 0.0) + 2 * a.heads * (a.d_qk + a.d_v)
        if a.index_score:  # QSA scores one pooled key per block of index_block tokens: the mean share per token
            groups[(None, False)] = groups.get((None, False), 0.0) + a.index_score / (a.index_block or 1)
    dtype = _compute_dtype(hw, scheme, spec.dtype)
    return StepModel(
        n_matmul=float(matmul_params_per_token(model)),
        attn_groups=tuple((c, win, ch) for (win, ch), c in groups.items()),
        weights_bytes=path_bytes / pp, dense_bytes=dense_bytes / pp, expert_bytes=expert_bytes / pp,
        kv_bytes_per_token=per_seq_kv / dep.workload.context, moe=_moe_shape(spec),
        bw=hw.memory_bandwidth_bytes_per_s * bw_eff, peak=hw.peak_flops_per_s[dtype],
        c_eff_prefill=c_pre, c_eff_decode=c_dec, tp=tp, pp=pp,
        hidden=spec.hidden_size, layers=spec.num_layers, link_bytes_per_s=link_eff,
        allreduce_latency_s=C("allreduce_latency_s"), p2p_latency_s=_const("p2p_latency_s"),
        scheme=scheme, weight_only=weight_only, bw_eff=bw_eff, dtype=dtype, hardware_id=hw.id,
        step_overhead_s=C("step_overhead_s"), layer_overhead_s=C("layer_overhead_s"), stage_hop_s=C("stage_hop_s"),
        request_overhead_s=C("request_overhead_s"), seq_overhead_s=C("seq_overhead_s"),
        prefill_stage_hop_s=C("prefill_stage_hop_s"), prefill_chunk_tokens=chunk, device_class=cls, engine=eng,
        c_eff_attn_prefill=attn_pre, c_eff_attn_decode=attn_dec, kv_bw=kv_bw, prefill_half_tokens=half_tokens,
        stream_bytes_by_format=tuple(stream_by_fmt.items()), matmul_params_by_format=tuple(params_by_fmt.items()),
        constants_source=(f"{hw.id}'s own {eng} calibration ({hw.sources.get('engine_speed', '')})" if measured
                          else f"data/efficiency.toml ({eng or 'default'}, {cls})"))


def device_speed(hw, engine: str | None) -> dict:
    """Speed constants measured on this very device with this engine (a hardware record's ``engine_speed``
    table, written by ``paramscope calibrate --engine``); they take precedence over data/efficiency.toml."""
    return dict((getattr(hw, "engine_speed", None) or {}).get(engine or "", {}))


def _maybe_const(engine, cls, measured: dict, key: str) -> float | None:
    """An optional constant: the device's own, else the engine's in data/efficiency.toml, else None."""
    if key in measured:
        return float(measured[key])
    table = efficiency_constants().get("engine_speed", {}).get(engine or "", {})
    for c in (cls, "any"):
        rec = table.get(c, {}).get(key)
        if rec is not None:
            return float(rec["value"])
    return None


def _by_format(w: dict, *, embed_bytes: float, share: float) -> tuple[dict, dict]:
    """(bytes a decode step streams, matmul parameters a token multiplies by), per lower-case weight format, on
    one GPU's path (``share`` of the model's bytes); an untied input embedding is neither (a gather; ``embed_bytes``
    > 0 says so), a tied one is the head; norms count as streamed bytes only."""
    groups = w.get("by_group_format") or {}
    stream: dict = {}
    params: dict = {}
    for group, fmts in groups.items():
        for fmt, e in fmts.items():
            f = fmt.lower()
            if group == "embedding" and embed_bytes:
                continue  # an untied input embedding: gathered, not streamed
            stream[f] = stream.get(f, 0.0) + e["bytes"] * share
            if group != "norm":
                params[f] = params.get(f, 0.0) + e["params"] * share
    return stream, params


def _harmonic(amounts: dict, eff) -> float:
    """The efficiency at which ``amounts`` (bytes or FLOPs by format) go through together when each format runs
    at its own efficiency: sum / sum(amount_f / eff_f)."""
    total = sum(amounts.values())
    if total <= 0:
        return eff("")
    return total / sum(a / eff(f) for f, a in amounts.items())


def roofline_tokens_per_s(weight_bytes: float, bandwidth_bytes_per_s: float) -> float:
    """The batch-1 decode ceiling: every weight byte read once per token at full bandwidth."""
    return bandwidth_bytes_per_s / weight_bytes if weight_bytes > 0 else math.inf
