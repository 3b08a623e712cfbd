"""Vectorized grid speed: 10^5+ (hardware x count x scheme x batch x context) points.

    .venv/bin/python benchmarks/bench_perf_grid.py
"""

from __future__ import annotations

import time


def main() -> None:
    import numpy as np

    from paramscope.hardware import list_hardware
    from paramscope.model import load_model
    from paramscope.perf_grid import decode_grid, model_terms

    m = load_model("llama-3.1-70b")
    t0 = time.perf_counter()
    terms = [model_terms(m, s) for s in ("bf16", "fp8", "int8", "gptq-int4")]
    t_terms = time.perf_counter() - t0
    hws = [h for h in list_hardware() if "bf16" in h.peak_flops_per_s]
    bw = np.array([h.memory_bandwidth_bytes_per_s for h in hws])[:, None, None, None]
    peak = np.array([h.peak_flops_per_s["bf16"] for h in hws])[:, None, None, None]
    link = np.array([h.interconnect_bytes_per_s or h.pcie_bytes_per_s or 32e9 for h in hws])[:, None, None, None]
    tp = np.array([1, 2, 4, 8])[None, :, None, None]
    batch = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512])[None, None, :, None]
    ctx = np.geomspace(256, 131072, 40)[None, None, None, :]
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        out = [decode_grid(t, bandwidth=bw, peak=peak, link=link, tp=tp, batch=batch, context=ctx) for t in terms]
        best = min(best, time.perf_counter() - t0)
    n = sum(o.size for o in out)
    print(f"{n:,} points (hardware {len(hws)} x tp 4 x batch 10 x context 40 x schemes {len(terms)}) in "
          f"{best * 1e3:.1f} ms = {n / best:,.0f} points/s; per-model terms {t_terms * 1e3:.1f} ms once")


if __name__ == "__main__":
    main()
