"""The serving simulator against published serving benchmarks (tests/data/serving_benchmarks.toml).

Each record is run through the same path as a plan's candidate: a Deployment (build_deployment with the
engine's default settings, as the benchmark's server ran), its KV capacity from memory_report, its step model
(perf.step_model), and simulate.simulate with the benchmark's arrival process (closed loop at the record's
concurrency, or Poisson at its rate) and lengths. Predicted vs measured, with relative errors.

A record with ``prefix_cached = true`` re-sent a prompt sample its server had already run with prefix
caching on: every prompt's full KV blocks but the one holding its last token are served from the cache
(vLLM recomputes at least the last prompt token), as one hit ratio over the sample (simulate's prefix_hit).
"""

from __future__ import annotations

import math
import statistics
import tomllib
from pathlib import Path

PERCENTILES = (50, 90, 95, 99)
METRICS = ("requests_per_s", "output_tokens_per_s", "ttft_mean_ms", "e2e_p50_ms",
           *(f"{m}_p{p}_ms" for m in ("ttft", "tpot", "itl") for p in PERCENTILES))
KNOBS = ("max_num_seqs", "max_num_batched_tokens", "gpu_memory_utilization")  # a record's engine settings
MAX_TOTAL_TOKENS = 2048  # bench_serving's ShareGPT filter: prompt + output <= 2048 tokens
MAX_PROMPT_TOKENS = 1024  # and prompt <= 1024 tokens


def load_benchmarks(path: str | Path) -> list[dict]:
    """The records, each with its dataset's table (``[datasets.NAME]``) attached as ``_dataset``."""
    with open(path, "rb") as f:
        data = tomllib.load(f)
    sets = data.get("datasets", {})
    out = []
    for rec in data["benchmark"]:
        if "dataset" in rec:
            rec = dict(rec, _dataset=sets[rec["dataset"]])
        out.append(rec)
    return out


def dataset_lengths(rec: dict, n: int, rng) -> tuple[list[int], list[int]]:
    """Prompt and output lengths for a record run on a dataset: prompts drawn from the dataset's published
    cumulative histogram (log-uniform within a bucket), scaled to the record's ``prompt_mean`` where the
    source prints its own sample's mean (at most MAX_PROMPT_TOKENS); outputs from the same shape scaled to
    the record's ``gen_mean`` (the dataset's ``gen_rule``: an assumption), at least 4 tokens and prompt +
    output within MAX_TOTAL_TOKENS."""
    import numpy as np

    cum = rec["_dataset"]["prompt_cumulative"]
    edges = np.array([c[0] for c in cum], dtype=float)
    counts = np.array([c[1] for c in cum], dtype=float)
    u = rng.random(n) * counts[-1]
    i = np.clip(np.searchsorted(counts, u, side="right"), 1, len(counts) - 1)
    frac = (u - counts[i - 1]) / np.maximum(counts[i] - counts[i - 1], 1e-9)
    lo, hi = edges[i - 1], edges[i]
    prompts = np.exp(np.log(lo) + frac * (np.log(hi) - np.log(lo)))
    shape = np.exp(np.log(lo) + rng.random(n) * (np.log(hi) - np.log(lo)))  # an independent draw, same shape
    gens = shape * float(rec["gen_mean"]) / float(np.mean(shape))
    if rec.get("prompt_mean"):  # the run's own sample of the dataset: the histogram's shape at its mean
        prompts = np.minimum(prompts * float(rec["prompt_mean"]) / float(np.mean(prompts)), MAX_PROMPT_TOKENS)
    p = np.maximum(np.round(prompts), 4).astype(int)
    g = np.clip(np.round(gens), 4, None).astype(int)
    g = np.minimum(g, MAX_TOTAL_TOKENS - p)
    return p.tolist(), g.tolist()


def observed_gen_mean(rec: dict) -> float | None:
    """Output tokens per request the run produced: measured output tokens/s / requests/s (None without both)."""
    m = rec["measured"]
    if m.get("output_tokens_per_s") and m.get("requests_per_s"):
        return float(m["output_tokens_per_s"]) / float(m["requests_per_s"])
    return None


def gen_lengths(rec: dict, n: int, rng) -> list[int]:
    """Output lengths: ``gen_tokens`` for every request when the run produced that many (--ignore-eos), else
    (requests ended at EOS: the observed mean below the cap) uniform on [2 x mean - cap, cap], which has the
    observed mean and the requested cap. The spread is an ASSUMPTION (the sources print no length
    distribution); it matters because identical lengths keep a closed loop's users in lock-step."""
    cap = int(rec["gen_tokens"])
    mean = observed_gen_mean(rec)
    if mean is None or mean >= cap - 0.5:
        return [cap] * n
    lo = max(1, int(round(2 * mean - cap)))
    return [int(x) for x in rng.integers(lo, cap + 1, n)]


def predict(rec: dict, n: int | None = None, seed: int = 0) -> dict:
    """Simulate one benchmark record; returns the predicted metrics (same names as ``measured``)."""
    import numpy as np

    from .. import load_model
    from ..deployment import build_deployment
    from ..hardware import get_hardware
    from ..memory.report import memory_report
    from ..perf import step_model
    from .simulate import arrival_times, simulate

    model = load_model(rec["model"])
    hw = get_hardware(rec["hardware"])
    spec = model.require_spec("validation")
    n = int(n or rec.get("requests") or 2000)
    rng = np.random.default_rng(seed)
    if "dataset" in rec:
        prompts, gens = dataset_lengths(rec, n, rng)
        p_len, g_len = int(np.mean(prompts)), int(np.mean(gens))
        ctx = int(rec.get("context") or MAX_TOTAL_TOKENS)
    else:
        p_len, g_len = int(rec["prompt_tokens"]), int(rec["gen_tokens"])
        prompts, gens = [p_len] * n, gen_lengths(rec, n, rng)
        ctx = int(rec.get("context") or spec.max_context or (p_len + g_len))
    dep = build_deployment(model, hw, engine=rec.get("engine", "vllm"), tp=rec.get("tp", 1), pp=rec.get("pp", 1),
                           weights=rec.get("weights", "native"), kv_dtype=rec.get("kv_dtype", "auto"), batch=1,
                           context=ctx, prompt_tokens=min(p_len, ctx - 1), gen_tokens=min(g_len, ctx - p_len),
                           **{k: rec[k] for k in KNOBS if k in rec})
    mem = memory_report(model, dep.memory_options())
    per_token = mem.kv_cache_bytes / ctx
    kv_tokens = int((mem.capacity_bytes - (mem.total_bytes - mem.kv_cache_bytes)) / per_token)
    sm = step_model(dep, mem=mem, per_seq_kv=mem.kv_cache_bytes)
    knobs = dict(dep.knobs)
    block = dep.profile.kv_policy().paged_block or 1
    hit = 0.0
    if rec.get("prefix_cached"):  # the same prompts ran before on this server: their full blocks are cached
        hit = float(sum((q - 1) // block * block for q in prompts)) / float(sum(prompts))
    common = dict(prompts=prompts, gens=gens, max_num_seqs=int(knobs["max_num_seqs"]),
                  token_budget=int(knobs["max_num_batched_tokens"]), kv_capacity_tokens=kv_tokens,
                  block_size=block, prefix_hit=min(hit, 0.999))
    if "concurrency" in rec:
        res = simulate(sm, concurrency=int(rec["concurrency"]), **common)
    elif rec["rate"] == "inf":  # offline: every request at once
        res = simulate(sm, arrivals=[0.0] * n, **common)
    else:
        res = simulate(sm, arrivals=arrival_times(n, float(rec["rate"]), rng=rng), **common)
    s = res.summary()
    out = {"requests_per_s": s["requests_per_s"], "output_tokens_per_s": s["output_tokens_per_s"],
           "ttft_mean_ms": float(np.nanmean(res.ttft_s)) * 1e3}
    for p in PERCENTILES:
        out[f"ttft_p{p}_ms"] = res.percentile("ttft", p) * 1e3
        out[f"tpot_p{p}_ms"] = res.percentile("tpot", p) * 1e3  # per request: its mean gap between tokens
        out[f"itl_p{p}_ms"] = res.percentile("itl", p) * 1e3  # per token: every gap between two tokens
    out["e2e_p50_ms"] = res.percentile("e2e", 50) * 1e3
    return out


def compare(records: list[dict], n: int | None = None) -> list[dict]:
    """Per record and measured metric: predicted, measured, relative error (predicted / measured - 1)."""
    rows = []
    for rec in records:
        pred = predict(rec, n=n)
        for k, v in rec["measured"].items():
            if k not in pred or k in rec.get("not_compared", ()):
                continue
            rows.append({"id": rec["id"], "set": rec["set"], "metric": k, "measured": float(v),
                         "predicted": pred[k], "error": pred[k] / float(v) - 1 if v else math.nan})
    return rows


def median_abs_errors(rows: list[dict], set_name: str | None = None) -> dict:
    """Median |error| per metric (over one set, or all rows)."""
    by: dict = {}
    for r in rows:
        if set_name is None or r["set"] == set_name:
            by.setdefault(r["metric"], []).append(abs(r["error"]))
    return {k: statistics.median(v) for k, v in by.items()}
