"""The seed's batch optimizer done right: the largest batch a deployment holds under its memory and a TPOT
target, and the reason it stops (memory, the TPOT target, or the compute knee beyond which a larger batch adds
latency without adding throughput). Memory and speed are perf_deployment's (the same as ``perf``/``fit``)."""

from __future__ import annotations

from dataclasses import replace

from ..errors import DoesNotFitError

MAX_BATCH = 1 << 16


def _perf(dep, b):
    from ..perf import perf_deployment

    try:
        return perf_deployment(replace(dep, workload=replace(dep.workload, batch=b)))
    except DoesNotFitError:
        return None


def max_batch(dep, *, tpot_s: float | None = None) -> dict:
    def fits(b):
        return _perf(dep, b) is not None

    lo, hi = 1, 1
    if not fits(1):
        return {"model": dep.model.name, "hardware": dep.hardware.id, "gpus": dep.gpus, "engine": dep.engine,
                "batch": 0, "stops_at": "memory", "why": "one sequence does not fit in memory"}
    while hi < MAX_BATCH and fits(hi * 2):
        hi *= 2
    lo, top = hi, min(hi * 2, MAX_BATCH)
    while top - lo > 1:
        mid = (lo + top) // 2
        lo, top = (mid, top) if fits(mid) else (lo, mid)
    mem_b = lo
    r = _perf(dep, mem_b)
    knee = r.knee_batch
    batch, stop, why = mem_b, "memory", f"batch {mem_b + 1:,} exceeds the usable memory"
    if tpot_s is not None:
        if _perf(dep, 1).tpot_s > tpot_s:
            return {"model": r.model, "hardware": r.hardware, "gpus": dep.gpus, "engine": dep.engine, "batch": 0,
                    "stops_at": "TPOT target", "why": f"even batch 1 takes {_perf(dep, 1).tpot_s * 1e3:,.2f} ms per "
                                                      f"token > {tpot_s * 1e3:,.2f} ms",
                    "memory_batch": mem_b, "knee_batch": knee}
        if r.tpot_s > tpot_s:
            a, b = 1, mem_b
            while b - a > 1:
                m = (a + b) // 2
                a, b = (m, b) if _perf(dep, m).tpot_s <= tpot_s else (a, m)
            batch, stop = a, "TPOT target"
            why = f"batch {a + 1:,} takes more than {tpot_s * 1e3:,.2f} ms per token"
    if knee is not None and knee < batch and stop == "memory":
        why += (f"; beyond the compute knee (batch ~{knee:,}) a larger batch adds latency at nearly constant "
                "throughput")
        stop = "memory (past the compute knee)"
    rb = _perf(dep, batch)
    return {"model": r.model, "hardware": r.hardware, "gpus": dep.gpus, "engine": dep.engine, "batch": batch,
            "stops_at": stop, "why": why, "tpot_s": rb.tpot_s, "ttft_s": rb.ttft_s,
            "decode_tokens_per_s": rb.decode_tokens_per_s, "memory_batch": mem_b, "knee_batch": knee,
            "tpot_target_s": tpot_s, "deployment": rb.deployment.to_dict()}
