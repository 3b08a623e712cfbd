"""Fit vLLM's and SGLang's speed constants on the CALIBRATION records of tests/data/serving_benchmarks.toml.

Usage: .venv/bin/python scripts/fit_serving.py [--write]

The serving benchmarks (request rate -> median TTFT, TPOT, ITL, end-to-end latency; offline throughput) are
what the continuous-batching simulator is validated against (src/paramscope/plan/validate.py). For each engine a
Nelder-Mead search (scripts/fit_speed.py's, on log-parameters) minimizes the sum over that engine's
calibration records and their compared metrics of log(predicted / measured)^2, where "predicted" is exactly
validate.predict (a Deployment, memory_report's KV capacity, perf.step_model, simulate) with the candidate
constants set through perf._OVERRIDES. Validation records are never read. With --write the constants go into
data/efficiency.toml between this script's markers (before scripts/fit_speed.py's section).
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fit_speed import EFF, nelder_mead  # noqa: E402

from paramscope import perf  # noqa: E402
from paramscope.hardware import get_hardware  # noqa: E402
from paramscope.plan import validate  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "serving_benchmarks.toml"
HELD_OUT_PREFIX = "do-"
N_REQUESTS = 800  # requests simulated per record while fitting (the validation uses the record's own count)

# (engine, [(override key, start, lower, upper)]): the data-center GPUs of the records are device class gpu-hbm.
# Only the device class the records ran on is fitted (the vLLM records on a GeForce card keep the defaults).
GROUPS = [
    ("vllm", "gpu-hbm", [
        ("vllm/gpu-hbm/bandwidth_efficiency", 0.75, 0.3, 0.92),
        ("vllm/gpu-hbm/step_overhead_s", 1e-3, 1e-5, 3e-2),
        ("vllm/gpu-hbm/seq_overhead_s", 5e-5, 1e-7, 2e-3),
        ("vllm/gpu-hbm/allreduce_latency_s", 2e-5, 1e-6, 2e-4),
    ]),
    ("sglang", "gpu-hbm", [
        ("sglang/gpu-hbm/bandwidth_efficiency", 0.75, 0.3, 0.92),
        ("sglang/gpu-hbm/step_overhead_s", 1e-3, 1e-5, 3e-2),
        ("sglang/gpu-hbm/seq_overhead_s", 5e-5, 1e-7, 2e-3),
        ("sglang/gpu-hbm/allreduce_latency_s", 2e-5, 1e-6, 2e-4),
        ("sglang/gpu-hbm/request_overhead_s", 5e-3, 1e-4, 0.2),
    ]),
]
# Then, with the constants above fixed: vLLM's per-request front-end time (HTTP, tokenization, scheduling) on the
# CALIBRATION rows of the vLLM 0.14.1 H200 sweep (the "do-" ids; the 0.6.0 runs have no TTFT to pin it); its
# validation rows stay held out.
TAIL_GROUPS = [
    ("vllm", "gpu-hbm", [("vllm/gpu-hbm/request_overhead_s", 5e-3, 1e-4, 0.2)]),
]
TAIL_KEYS = {p[0] for _, _, params in TAIL_GROUPS for p in params}
BEGIN = "# ---- fitted by scripts/fit_serving.py (do not edit by hand) ----"
END = "# ---- end of scripts/fit_serving.py ----"


def fit() -> dict[str, float]:
    # the vLLM 0.14.1 H200 sweep ("do-" ids, the one source with tail percentiles) is held out whole: its p95 / p99
    # rows validate the simulator's tails with constants fitted on the other sources
    calibration = [r for r in validate.load_benchmarks(DATA) if r["set"] == "calibration"]
    first = [r for r in calibration if not r["id"].startswith(HELD_OUT_PREFIX)]
    tail = [r for r in calibration if r["id"].startswith(HELD_OUT_PREFIX)]
    fitted: dict[str, float] = {}
    for engine, cls, params, records in [g + (first,) for g in GROUPS] + [g + (tail,) for g in TAIL_GROUPS]:
        recs = [r for r in records if r.get("engine") == engine
                and perf.device_class(get_hardware(r["hardware"])) == cls]
        keys = [p[0] for p in params]
        x0 = np.log([p[1] for p in params])
        lo, hi = np.log([p[2] for p in params]), np.log([p[3] for p in params])

        def f(x, recs=recs, keys=keys):
            perf._OVERRIDES.clear()
            perf._OVERRIDES.update(fitted)  # the constants fitted before this group stay fixed
            perf._OVERRIDES.update(dict(zip(keys, np.exp(x), strict=True)))
            out = 0.0
            for r in recs:
                try:
                    pred = validate.predict(r, n=N_REQUESTS)
                except Exception as e:  # noqa: BLE001 - a refusal is a failure: a large, finite penalty
                    print(f"# {r['id']} refused: {e}", file=sys.stderr)
                    out += 25.0
                    continue
                for k, v in r["measured"].items():
                    if k in pred and k not in r.get("not_compared", ()):
                        out += math.log(pred[k] / float(v)) ** 2
            perf._OVERRIDES.clear()
            return out

        x, v = nelder_mead(f, x0, lo, hi, iters=150)
        x, v = nelder_mead(f, x, lo, hi, iters=100)  # restart once from the best point
        for k, val in zip(keys, np.exp(x), strict=True):
            fitted[k] = float(val)
        n = sum(len([k for k in r["measured"] if k not in r.get("not_compared", ())]) for r in recs)
        print(f"# {engine}: {len(recs)} calibration records ({n} metrics), rms log error "
              f"{math.sqrt(v / max(1, n)):.3f}", file=sys.stderr)
    return fitted


def toml_block(fitted: dict[str, float]) -> str:
    lines = [BEGIN]
    for k, v in fitted.items():
        engine, cls, key = k.split("/")
        c = f'"{cls}"' if "-" in cls else cls
        lines += [f'[engine_speed."{engine}".{c}.{key}]', f"value = {v:.4g}",
                  'source = "fitted on the calibration records of tests/data/serving_benchmarks.toml '
                  + ('(scripts/fit_serving.py; the vLLM 0.14.1 H200 sweep of Llama-3.1-70B FP8, its calibration '
                     'rows only, the other vLLM constants fixed)"' if k in TAIL_KEYS else
                     '(scripts/fit_serving.py; vLLM 0.6.0 / SGLang 0.3.0 runs of Llama-3.1-8B on A100 and 70B on '
                     '4 x H100)"'),
                  ""]
    return "\n".join(lines + [END])


def write(fitted: dict[str, float]) -> None:
    text = EFF.read_text()
    if BEGIN in text:
        text = text[: text.index(BEGIN)] + text[text.index(END) + len(END):].lstrip("\n")
    mark = "# ---- fitted by scripts/fit_speed.py"
    block = toml_block(fitted) + "\n\n"
    text = text.replace(mark, block + mark, 1) if mark in text else text.rstrip("\n") + "\n\n" + block
    EFF.write_text(text)
    perf.efficiency_constants.cache_clear()


BANDS = ROOT / "src" / "paramscope" / "data" / "serving_error_bands.toml"
# perf's band phases -> the serving metric whose validation error describes them
BAND_METRICS = {"decode": "tpot_p50_ms", "prefill": "ttft_p50_ms", "throughput": "requests_per_s"}


def write_bands() -> None:
    """Per engine and phase, the median and 90th-percentile |error| over the VALIDATION rows (perf prints them
    next to its speeds; engines with published per-phase measurements keep those, perf._error_bands)."""
    rows = validate.compare([r for r in validate.load_benchmarks(DATA) if r["set"] == "validation"])
    engine_of = {r["id"]: r["engine"] for r in validate.load_benchmarks(DATA)}
    out = ["# Error bands per engine and phase from the published serving benchmarks: |predicted / measured - 1|",
           "# over the VALIDATION rows (median TPOT for decode, median TTFT for prefill, requests/s for throughput).",
           "# Written by scripts/fit_serving.py --write; read by perf.error_bands.", ""]
    for engine in sorted({engine_of[r["id"]] for r in rows}):
        for phase, metric in BAND_METRICS.items():
            errs = sorted(abs(r["error"]) for r in rows if engine_of[r["id"]] == engine and r["metric"] == metric)
            if not errs:
                continue
            signed = sorted(r["error"] for r in rows if engine_of[r["id"]] == engine and r["metric"] == metric)
            out += [f'[band."{engine}".{phase}]', f"records = {len(errs)}", "refused = 0",
                    f"median_abs_error = {float(np.median(errs)):.4f}",
                    f"p90_abs_error = {float(np.percentile(errs, 90)):.4f}",
                    f"median_error = {float(np.median(signed)):.4f}",
                    'data = "published serving benchmarks (docs/validation.md, Serving simulator vs published benchmarks)"',
                    ""]
    BANDS.write_text("\n".join(out))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="write the constants into data/efficiency.toml")
    a = p.parse_args(argv)
    fitted = fit()
    print(toml_block(fitted))
    if a.write:
        write(fitted)
        write_bands()
    return 0


if __name__ == "__main__":
    sys.exit(main())
