"""Disaggregated prefill/decode pools (``paramscope plan --disaggregate``).

The model follows DistServe (Zhong et al., OSDI 2024, "DistServe: Disaggregating Prefill and Decoding for
Goodput-optimized Large Language Model Serving", arXiv 2401.09670) and Splitwise (Patel et al., ISCA 2024,
arXiv 2311.18677): prompts run on a prefill pool, their KV cache is sent to a decode pool, and each pool is
sized (GPU type x TP/PP x replicas) for its own objective.

- Prefill pool: each replica serves one prompt at a time (DistServe's M/D/1 model of a prefill instance:
  service time D = the step model's prefill of the prompt, ``perf.StepModel.prefill_s``); mean wait
  rho D / (2 (1 - rho)), rho = (rate / replicas) D; its percentiles use the same exponential tail as the
  co-located analytic tier.
- KV transfer per request: the prompt's KV bytes (per-token KV of the deployment x prompt length) over the link
  between the pools: NVLink (the hardware record's interconnect figure, one direction) when both pools are the
  same GPU type in one node, else PCIe (the smaller of the two records' PCIe figures, one direction). Each
  tensor-parallel rank sends its own shard in parallel.
- Decode pool: continuous batching of decode steps only: tau = step(0 prompt tokens, b sequences) with
  b = (rate / replicas) x G x tau (Little's law), within max_num_seqs and the KV capacity; TPOT = tau.
- TTFT = prefill wait + prefill + KV transfer; E2E = TTFT + (G - 1) TPOT. Cost = both pools' GPUs at
  ``planner.usd_per_hour``.

Not simulated: the disaggregated plan's latencies are analytic (the simulator models one co-located engine).
"""

from __future__ import annotations

import math


def _link(hw_p, hw_d) -> tuple[float | None, str]:
    if hw_p.id == hw_d.id and hw_p.interconnect_bytes_per_s:
        return hw_p.interconnect_bytes_per_s / 2, f"{hw_p.id} interconnect (one direction)"
    pcie = [x for x in (hw_p.pcie_bytes_per_s, hw_d.pcie_bytes_per_s) if x]
    if not pcie:
        return None, "no PCIe figure"
    return min(pcie) / 2, "PCIe (one direction, the slower record)"


def disaggregated_plan(req, families, stats) -> dict:
    """The cheapest (prefill family x prefill replicas, decode family x decode replicas) meeting the SLOs, the
    rejected pairs with reasons, and the search size."""
    import numpy as np

    from .planner import MAX_NUM_SEQS, MAX_REPLICAS, _replica_grid

    if req.rate is None:
        from ..errors import InputError

        raise InputError("--disaggregate sizes pools for a request rate; give --rate")
    usable = [f for f in families if f.reason is None and f.engine != "llama.cpp"]
    lam = req.rate
    g = stats["g_mean"]
    p_mean = stats["p_mean"]
    ctx_mean = p_mean + g / 2
    h = req.prefix_hit
    slo = {(s.metric, s.percentile): s.seconds for s in req.slos}
    pcts = sorted({s.percentile for s in req.slos} | {50.0, 90.0, 99.0})
    max_r = MAX_REPLICAS
    # --- decode options per family: smallest replicas and its TPOT for each max_num_seqs
    decode = []
    for f in usable:
        sm = f.sm
        kv = max(f.kv_tokens)  # decode steps hold no prompt chunk: the largest KV pool of the family
        R = _replica_grid(max_r if not req.max_gpus else max(1, req.max_gpus // f.gpus))[None, :]
        M = np.array(MAX_NUM_SEQS, dtype=float)[:, None]
        lr = lam / R
        tau = np.full(np.broadcast_shapes(R.shape, M.shape), float(sm.step_s(0, 0.0, 1, ctx_mean)))
        for _ in range(60):
            b = lr * g * tau
            tau = np.minimum(sm.step_s(0, 0.0, b, b * ctx_mean), 1e6)
        b = lr * g * tau
        ok = (np.abs(sm.step_s(0, 0.0, b, b * ctx_mean) - tau) <= 1e-3 * tau) & (b < M) & (b * ctx_mean < kv) \
            & (kv >= stats["longest"])
        for (metric, _p), bound in slo.items():
            if metric == "tpot":
                ok &= tau <= bound
        usd = f.price * f.gpus * R
        cost = np.where(ok, np.broadcast_to(usd, ok.shape), np.inf)
        i = np.unravel_index(int(np.argmin(cost)), cost.shape)
        if np.isfinite(cost[i]):
            decode.append({"fam": f, "replicas": int(R[0, i[1]]), "max_num_seqs": int(M[i[0], 0]),
                           "tpot_s": float(tau[i]), "usd_per_hour": float(cost[i]), "batch": float(b[i])})
    # --- prefill options x decode options
    best, rejected, pairs = None, [], 0
    for fp in usable:
        sm = fp.sm
        attn = float(sm.attention_flops(p_mean * h, p_mean))
        pe = p_mean * (1 - h)
        D = float(sm.prefill_s(pe, attn)[0])
        Rp = _replica_grid(MAX_REPLICAS if not req.max_gpus else max(1, req.max_gpus // fp.gpus))
        rho = lam * D / Rp
        stable = rho < 1
        wait = np.where(stable, rho * D / (2 * (1 - np.clip(rho, 0, 0.999))), np.inf)
        q_len = {p: stats["quantiles"].get(p, (p_mean, g))[0] if p in stats["quantiles"] else p_mean for p in pcts}
        kv_tok_gpu = sm.kv_bytes_per_token  # per GPU (one TP rank of the most-loaded stage)
        for fd in decode:
            if fd["fam"].weights != fp.weights or fd["fam"].kv_dtype != fp.kv_dtype:
                continue
            pairs += 1
            bw, link_name = _link(fp.hardware, fd["fam"].hardware)
            if bw is None:
                rejected.append({"prefill": fp.key(), "decode": fd["fam"].key(), "reason": "interconnect",
                                 "detail": link_name})
                continue
            ttft, e2e = {}, {}
            for p in pcts:
                P = q_len[p]
                t_pre = float(sm.prefill_s(P * (1 - h), float(sm.attention_flops(P * h, P)))[0])
                xfer = kv_tok_gpu * P / bw
                w = wait * (-math.log(max(1e-9, 1 - p / 100))) if p < 100 else wait * 10
                ttft[p] = w + t_pre + xfer
                G_q = stats["quantiles"].get(p, (p_mean, g))[1] if p in stats["quantiles"] else g
                e2e[p] = ttft[p] + (G_q - 1) * fd["tpot_s"]
            ok = stable.copy()
            for (metric, _p), bound in slo.items():
                if metric == "ttft":
                    ok &= ttft[p] <= bound
                elif metric == "e2e":
                    ok &= e2e[p] <= bound
            usd_p = fp.price * fp.gpus * Rp
            total = usd_p + fd["usd_per_hour"]
            gpus = fp.gpus * Rp + fd["fam"].gpus * fd["replicas"]
            if req.max_gpus:
                ok &= gpus <= req.max_gpus
            if req.budget_usd_per_hour:
                ok &= total <= req.budget_usd_per_hour
            if not ok.any():
                reason = "throughput" if not stable.any() else (
                    "TTFT" if any(np.all(ttft[p][stable] > s) for (m, p), s in slo.items() if m == "ttft")
                    else "end-to-end latency" if any(m == "e2e" for m, _ in slo) else "GPU limit or budget")
                rejected.append({"prefill": fp.key(), "decode": fd["fam"].key(), "reason": reason,
                                 "detail": f"fastest TTFT p{pcts[-1]:g} "
                                           f"{float(np.min(ttft[pcts[-1]][stable])) * 1e3 if stable.any() else math.inf:,.0f} ms"
                                           f" incl. KV transfer {kv_tok_gpu * p_mean / bw * 1e3:,.2f} ms over {link_name}"
                                           if stable.any() else "no replica count keeps up"})
                continue
            k = int(np.argmin(np.where(ok, total, np.inf)))
            cand = {"usd_per_hour": float(total[k]), "gpus_total": int(gpus[k]),
                    "prefill": {"family": fp.key(), "hardware": fp.hardware.id, "engine": fp.engine,
                                "weights": fp.weights, "kv_dtype": fp.kv_dtype, "tensor_parallel": fp.layout[0],
                                "pipeline_parallel": fp.layout[1], "gpus_per_replica": fp.gpus,
                                "replicas": int(Rp[k]), "usd_per_hour": float(usd_p[k]),
                                "prefill_s": D, "utilization": float(rho[k])},
                    "decode": {"family": fd["fam"].key(), "hardware": fd["fam"].hardware.id,
                               "engine": fd["fam"].engine, "tensor_parallel": fd["fam"].layout[0],
                               "pipeline_parallel": fd["fam"].layout[1], "gpus_per_replica": fd["fam"].gpus,
                               "replicas": fd["replicas"], "max_num_seqs": fd["max_num_seqs"],
                               "usd_per_hour": fd["usd_per_hour"], "mean_batch": fd["batch"]},
                    "kv_transfer": {"link": link_name, "bytes_per_s": bw,
                                    "bytes_per_request_per_gpu": kv_tok_gpu * p_mean,
                                    "bytes_per_request": kv_tok_gpu * p_mean * fp.layout[0] * fp.layout[1],
                                    "seconds_per_request": kv_tok_gpu * p_mean / bw},
                    "tpot_s": fd["tpot_s"], "latency": "analytic"}
            for p in pcts:
                cand[f"ttft_p{p:g}_s"] = float(ttft[p][k])
                cand[f"e2e_p{p:g}_s"] = float(e2e[p][k])
            if best is None or cand["usd_per_hour"] < best["usd_per_hour"]:
                best = cand
    for fd in usable:
        if not any(d["fam"] is fd for d in decode):
            rejected.append({"prefill": None, "decode": fd.key(), "reason": "TPOT or memory",
                             "detail": "no decode replica count meets the TPOT objective within the KV cache"})
    seen, short = set(), []
    for r in rejected:  # one line per prefill family and reason (the pairs share them)
        k = (r["prefill"], r["reason"]) if r["prefill"] else (r["decode"], r["reason"])
        if k not in seen:
            seen.add(k)
            short.append(r)
    out = {"best": None, "rejected": short, "rejected_pairs": len(rejected), "pairs": pairs, "model": "DistServe (Zhong et al. 2024) / "
           "Splitwise (Patel et al. 2024): M/D/1 prefill pool, decode-only continuous batching, KV over the link"}
    if best is not None:
        tok = lam * (p_mean + g)
        best["usd_per_month"] = best["usd_per_hour"] * 730
        best["usd_per_million_tokens"] = best["usd_per_hour"] / 3600 / tok * 1e6
        best["pools"] = {"prefill": best.pop("prefill"), "decode": best.pop("decode")}
        out["best"] = best
    return out
