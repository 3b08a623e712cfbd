"""Vectorized decode/prefill estimates over grids (hardware x GPU count x weight scheme x batch x context).

The same roofline as perf.perf_report (max of compute and memory time per phase, plus tensor-parallel
all-reduces), evaluated with numpy broadcasting for design-space sweeps. What is per-model and exact
(matrix parameters, weight bytes per scheme, KV bytes per token, attention FLOPs per attended token) is
computed once by the scalar code and passed in; numpy is imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass

from .perf import is_weight_only, speed_const


@dataclass(frozen=True)
class ModelTerms:
    """Per-model constants for the grid (one weight scheme)."""
    matmul_params: float  # parameters one token multiplies by (MoE: active share)
    weight_bytes: float  # streamed per decode step at batch 1 (input embedding excluded)
    kv_bytes_per_token: float  # per sequence and cached token
    attn_flops_per_token: float  # 2 x heads x (d_qk + d_v) x layers: FLOPs per query per attended token
    hidden: int
    layers: int
    weight_only_quant: bool = False


def decode_grid(terms: ModelTerms, *, bandwidth, peak, link, tp, batch, context, engine: str | None = None,
                device_class: str = "gpu"):
    """Time per output token (seconds) for arrays that broadcast together.

    bandwidth, peak (dense FLOP/s of the compute dtype) and link (interconnect bytes/s) are per GPU;
    tp is the tensor-parallel size; batch and context are per step. The speed constants are the engine's for
    that device class (perf.speed_const, as perf and the planner use them), fixed costs included."""
    import numpy as np

    def C(key: str) -> float:
        return speed_const(engine, device_class, key)

    bw_eff = C("bandwidth_efficiency") * (C("dequant_bandwidth_factor") if terms.weight_only_quant else 1)
    c_eff = C("decode_compute_efficiency")
    bandwidth, peak, link, tp, batch, context = (np.asarray(x, dtype=float) for x in
                                                 (bandwidth, peak, link, tp, batch, context))
    flops = 2 * terms.matmul_params * batch + terms.attn_flops_per_token * context * batch
    nbytes = terms.weight_bytes / tp + terms.kv_bytes_per_token * context * batch / tp
    t = np.maximum(flops / tp / (peak * c_eff), nbytes / (bandwidth * bw_eff))
    vol = batch * terms.hidden * 2 * 2 * (tp - 1) / tp
    link_eff = link / 2 * C("allreduce_bus_efficiency")
    comm = np.where(tp > 1, 2 * terms.layers * (vol / link_eff + C("allreduce_latency_s")), 0.0)
    fixed = C("step_overhead_s") + terms.layers * C("layer_overhead_s") + batch * C("seq_overhead_s")
    return t + comm + fixed


def model_terms(model, weights: str = "native") -> ModelTerms:
    """The per-model constants the grid needs, from the exact scalar analyses."""
    from .compute import attention_layers, matmul_params_per_token
    from .memory.kv import KvOptions, kv_cache
    from .memory.weights import weight_report

    spec = model.require_spec("performance grid")
    w = weight_report(model, weights)
    embed = 0 if spec.embedding.tied_head else w.to_dict()["by_group"].get("embedding", 0)
    kv = kv_cache(spec, batch=1, context=4096, options=KvOptions(engine="vllm"))
    attn = sum(2 * a.heads * (a.d_qk + a.d_v) for a in attention_layers(spec))
    wq = is_weight_only(weights, w.to_dict().get("description") or "")
    return ModelTerms(matmul_params_per_token(model), w.total_bytes - embed, kv.total_bytes / 4096, attn,
                      spec.hidden_size, spec.num_layers, wq)
