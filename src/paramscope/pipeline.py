"""The pipeline split made concrete: which layers (and the embedding / final norm / head) sit on which stage,
parameters and bytes per stage, the most-loaded stage, the activations sent between stages per token, and the
speed-up a pipeline gives for prefill, decode and throughput.

Placement is memory.report's (contiguous layers; the first stages take one extra layer when the count does not
divide; the embedding on the first stage, the final norm and head on the last; a tied head needs the matrix on
the last stage too), so the bytes per stage are the ones ``memory``/``fit`` report. Stage times come from the
deployment's :class:`paramscope.perf.StepModel` scaled by each stage's share of the bytes (decode, memory-bound)
and of the matrix parameters (prefill, compute-bound).

Speed-ups are against one GPU holding the whole model with the same efficiencies (it may not fit: the
comparison is of time, not memory):

- decode of one sequence: its token visits the stages one after another: sum of stage times + hops, so the
  speed-up is <= 1 (pipelining adds latency, it never removes it);
- throughput with the pipeline full (micro-batches in flight, vLLM's virtual engines): one step per
  most-loaded-stage time: sum / (max + hop);
- prefill of one prompt in chunks pipelined across stages: the throughput speed-up x n / (n + pp - 1)
  (the fill-and-drain bubble for n chunks).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError

ACT_BYTES = 2  # bf16/fp16 hidden states sent between stages


@dataclass(frozen=True)
class Stage:
    index: int
    layers: tuple[int, int] | None  # first and last global layer index (inclusive), None when empty
    holds: tuple[str, ...]  # "embedding", "final norm", "head"
    params: int
    weight_bytes: int  # on one GPU of the stage (tensor parallelism divides)
    decode_s: float
    prefill_s: float

    def to_dict(self) -> dict:
        return {"stage": self.index, "layers": None if self.layers is None else list(self.layers),
                "holds": list(self.holds), "params": self.params, "weight_bytes": self.weight_bytes,
                "decode_s": self.decode_s, "prefill_s": self.prefill_s}


def split_report(dep, *, prompt_chunks: int = 8) -> dict:
    """The split of a Deployment (its layout's pipeline stages; hardware required)."""
    from .memory.report import _global_index, _stage_of_layers, memory_report
    from .perf import step_model

    if dep.hardware is None:
        raise InputError("a pipeline split needs a device")
    model, spec = dep.model, dep.model.require_spec("pipeline split")
    pp, tp = dep.layout.pipeline_parallel, dep.layout.tensor_parallel
    n = spec.num_layers
    stages_layers = _stage_of_layers(n, pp)
    index = _global_index(spec)
    stage_of = {g: s for s, ls in enumerate(stages_layers) for g in ls}
    params = [0] * pp
    matmul = [0.0] * pp
    holds: list[set] = [set() for _ in range(pp)]
    tied = spec.embedding.tied_head
    for t in model.inventory:
        if t.buffer or t.tied_to:
            continue
        if t.layers:
            for i in t.layers:
                g = index.get((t.stack, i))
                s = stage_of.get(g, 0) if g is not None else 0
                params[s] += t.numel
                if len(t.shape) >= 2:
                    matmul[s] += t.numel * ((t.active or t.experts) / t.experts)
        elif t.role in ("lm_head", "norm_final") and t.stack in ("", "decoder"):
            params[pp - 1] += t.numel
            holds[pp - 1].add("head" if t.role == "lm_head" else "final norm")
            if t.role == "lm_head":
                matmul[pp - 1] += t.numel
        else:
            params[0] += t.numel
            if t.role == "embed":
                holds[0].add("embedding")
                if tied:
                    holds[pp - 1].add("head (tied to the embedding)")
                    matmul[pp - 1] += t.numel
    mem = memory_report(model, dep.memory_options())
    per_stage = mem.parts["weights"].get("per_stage_bytes") or [mem.weights_bytes]
    sm = step_model(dep)
    # one GPU holding everything, same efficiencies: the stage times are shares of it
    w = dep.workload
    mean_ctx = w.prompt_tokens + w.gen_tokens // 2
    total_bytes = float(sum(per_stage))
    t_dec_all = sm.decode_s(w.batch, mean_ctx)[0] - sm.comm_s(w.batch) - sm.fixed_s() if hasattr(sm, "fixed_s") \
        else sm.decode_s(w.batch, mean_ctx)[0] - sm.comm_s(w.batch)
    t_dec_all = max(t_dec_all, 0.0)
    attn = sm.attention_flops(0, w.prompt_tokens, w.batch)
    t_pre_all = float((sm.n_matmul * 2 * w.prompt_tokens * w.batch + attn) / tp / (sm.peak * sm.c_eff_prefill))
    m_total = max(1.0, sum(matmul))
    stages = []
    for s in range(pp):
        ls = stages_layers[s]
        dec = t_dec_all * per_stage[s] / max(1.0, total_bytes) if pp > 1 else t_dec_all
        pre = t_pre_all * (matmul[s] / m_total) if pp > 1 else t_pre_all
        # the stage's prefill also has to stream its weights once
        pre = max(pre, per_stage[s] / sm.bw)
        stages.append(Stage(s, (ls[0], ls[-1]) if ls else None, tuple(sorted(holds[s])), params[s],
                            int(per_stage[s]), float(dec), float(pre)))
    hop_tokens = w.batch
    hop_bytes_per_token = spec.hidden_size * ACT_BYTES
    link = dep.hardware.interconnect_bytes_per_s or dep.hardware.pcie_bytes_per_s or 0
    hop_s = (hop_bytes_per_token * hop_tokens / link if link else 0.0) + sm.p2p_latency_s
    hop_s += getattr(sm, "stage_hop_s", 0.0)
    dec_sum = sum(x.decode_s for x in stages)
    dec_max = max(x.decode_s for x in stages)
    pre_sum = sum(x.prefill_s for x in stages)
    pre_max = max(x.prefill_s for x in stages)
    comm_dec = (pp - 1) * hop_s
    worst = max(range(pp), key=lambda i: stages[i].weight_bytes)
    k = prompt_chunks
    out = {
        "model": mem.model, "hardware": dep.hardware.id, "layout": dep.layout.to_dict(),
        "stages": [x.to_dict() for x in stages], "most_loaded_stage": worst,
        "params_total": sum(params), "params_per_gpu_mean": sum(params) / pp,
        "params_most_loaded": params[worst],
        "imbalance": params[worst] / (sum(params) / pp) if sum(params) else 1.0,
        "bytes_between_stages_per_token": hop_bytes_per_token,
        "bytes_between_stages_per_token_all_hops": hop_bytes_per_token * (pp - 1),
        "hop_s": hop_s,
        "communication_overhead_decode": comm_dec / dec_sum if dec_sum else 0.0,
        "speedup": {
            "decode_latency": dec_sum / (dec_sum + comm_dec) if dec_sum else 1.0,
            "throughput": dec_sum / (dec_max + hop_s) if pp > 1 else 1.0,
            "prefill_chunked": (pre_sum / (pre_max + hop_s)) * k / (k + pp - 1) if pp > 1 else 1.0,
            "prefill_chunks": k,
        },
        "workload": w.to_dict(),
    }
    return out
