"""Fit paramscope's per-engine speed constants on the CALIBRATION set of data/measurements.toml.

Usage: .venv/bin/python scripts/fit_speed.py [--write]

For each group of constants (below) a Nelder-Mead search (numpy; log-parameters, so every constant stays
positive) minimizes the sum over the group's calibration records of log(predicted / measured)^2, where
"predicted" is exactly what ``python -m paramscope.validation`` computes (validation.predict -> perf), with
the candidate constants set through perf._OVERRIDES. Validation records are never read. Prints the constants
(TOML for data/efficiency.toml [engine_speed.*]) and, with --write, writes them into data/efficiency.toml and
the validation set's error bands into data/speed_error_bands.toml (what perf prints next to each speed).
"""

from __future__ import annotations

import argparse
import functools
import math
import sys
from pathlib import Path

import numpy as np

from paramscope import perf, validation
from paramscope.hardware import get_hardware
from paramscope.model import load_model

ROOT = Path(__file__).resolve().parent.parent
EFF = ROOT / "src" / "paramscope" / "data" / "efficiency.toml"
BANDS = ROOT / "src" / "paramscope" / "data" / "speed_error_bands.toml"

# (group name, engine, phases, [(override key, start value, lower, upper)]). Bandwidth efficiencies are capped at
# 0.92: a GPU copy kernel rarely streams more than ~90% of the datasheet bandwidth (an assumption, not fitted).
GROUPS = [
    ("llama.cpp decode", "llama.cpp", ("decode",), [
        ("llama.cpp/gpu/bandwidth_efficiency", 0.8, 0.3, 0.92),
        ("llama.cpp/gpu-hbm/bandwidth_efficiency", 0.7, 0.3, 0.92),
        ("llama.cpp/apple/bandwidth_efficiency", 0.8, 0.3, 0.92),
        ("llama.cpp/any/dequant_bandwidth_factor", 0.9, 0.4, 1.3),
        ("llama.cpp/any/dequant_bandwidth_factor_legacy", 0.9, 0.4, 1.3),
        ("llama.cpp/any/step_overhead_s", 1e-3, 1e-5, 2e-2),
        ("llama.cpp/any/layer_overhead_s", 2e-5, 1e-7, 5e-4),
        ("llama.cpp/any/stage_hop_s", 5e-4, 1e-6, 2e-2),
    ]),
    ("llama.cpp prefill", "llama.cpp", ("prefill",), [
        ("llama.cpp/gpu/prefill_compute_efficiency", 0.7, 0.1, 2.0),
        ("llama.cpp/apple/prefill_compute_efficiency", 0.7, 0.1, 2.0),
        ("llama.cpp/any/quant_prefill_factor", 0.85, 0.3, 1.5),
        ("llama.cpp/any/prefill_stage_hop_s", 0.02, 1e-5, 0.5),
    ]),
    ("tensorrt-llm throughput", "tensorrt-llm", ("throughput",), [
        ("tensorrt-llm/any/bandwidth_efficiency", 0.75, 0.3, 0.92),
        ("tensorrt-llm/any/prefill_compute_efficiency", 0.5, 0.1, 1.0),
        ("tensorrt-llm/any/decode_compute_efficiency", 0.5, 0.1, 1.0),
        ("tensorrt-llm/any/step_overhead_s", 1e-3, 1e-6, 5e-2),
        ("tensorrt-llm/any/moe_compute_factor", 0.8, 0.1, 1.5),
    ]),
]


@functools.cache
def _model(mid):
    return load_model(mid)


@functools.cache
def _hw(hid):
    return get_hardware(hid)


def _cache_memory_reports():
    """memory_report does not depend on the speed constants: cache it while fitting (hundreds of evaluations)."""
    orig = perf.memory_report

    memo: dict = {}

    def cached(model, options=None):
        key = (id(model), repr(options))
        if key not in memo:
            memo[key] = orig(model, options) if options is not None else orig(model)
        return memo[key]

    perf.memory_report = cached
    return orig


def loss(records, keys, x) -> float:
    perf._OVERRIDES.clear()
    perf._OVERRIDES.update(dict(zip(keys, np.exp(x), strict=True)))
    total = 0.0
    for r in records:
        try:
            v, _ = validation.predict(r, model=_model(r["model"]), hardware=_hw(r["hardware"]))
        except Exception:  # a refusal is a failure: a large, finite penalty
            total += 25.0
            continue
        total += math.log(v / float(r["value"])) ** 2
    return total


def nelder_mead(f, x0, lo, hi, iters=400, tol=1e-7):
    n = len(x0)
    clip = lambda x: np.clip(x, lo, hi)  # noqa: E731
    pts = [clip(np.array(x0, float))]
    for i in range(n):
        p = pts[0].copy()
        p[i] += 0.3
        pts.append(clip(p))
    vals = [f(p) for p in pts]
    for _ in range(iters):
        order = np.argsort(vals)
        pts = [pts[i] for i in order]
        vals = [vals[i] for i in order]
        if abs(vals[-1] - vals[0]) < tol:
            break
        c = np.mean(pts[:-1], axis=0)
        xr = clip(c + (c - pts[-1]))
        fr = f(xr)
        if fr < vals[0]:
            xe = clip(c + 2 * (c - pts[-1]))
            fe = f(xe)
            pts[-1], vals[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < vals[-2]:
            pts[-1], vals[-1] = xr, fr
        else:
            xc = clip(c + 0.5 * (pts[-1] - c))
            fc = f(xc)
            if fc < vals[-1]:
                pts[-1], vals[-1] = xc, fc
            else:
                pts = [pts[0]] + [clip(pts[0] + 0.5 * (p - pts[0])) for p in pts[1:]]
                vals = [vals[0]] + [f(p) for p in pts[1:]]
    i = int(np.argmin(vals))
    return pts[i], vals[i]


def fit() -> dict[str, float]:
    orig = _cache_memory_reports()
    calib = [r for r in validation.load_measurements() if r["set"] == "calibration"]
    fitted: dict[str, float] = {}
    for name, engine, phases, params in GROUPS:
        recs = [r for r in calib if r["engine"] == engine and r["phase"] in phases]
        keys = [p[0] for p in params]
        x0 = np.log([p[1] for p in params])
        lo, hi = np.log([p[2] for p in params]), np.log([p[3] for p in params])

        def f(x, recs=recs, keys=keys):
            perf._OVERRIDES.clear()
            perf._OVERRIDES.update(fitted)
            base = dict(fitted)
            perf._OVERRIDES.update(dict(zip(keys, np.exp(x), strict=True)))
            out = 0.0
            for r in recs:
                try:
                    v, _ = validation.predict(r, model=_model(r["model"]), hardware=_hw(r["hardware"]))
                    out += math.log(v / float(r["value"])) ** 2
                except Exception as e:  # a refusal is a failure: a large, finite penalty
                    print(f"# {r['id']} refused: {e}", file=sys.stderr)
                    out += 25.0
            perf._OVERRIDES.clear()
            perf._OVERRIDES.update(base)
            return out

        x, v = nelder_mead(f, x0, lo, hi)
        x, v = nelder_mead(f, x, lo, hi)  # restart once from the best point
        for k, val in zip(keys, np.exp(x), strict=True):
            fitted[k] = float(val)
        print(f"# {name}: {len(recs)} calibration records, rms log error {math.sqrt(v / max(1, len(recs))):.3f}",
              file=sys.stderr)
    perf._OVERRIDES.clear()
    perf.memory_report = orig
    return fitted


def toml_block(fitted: dict[str, float]) -> str:
    lines = []
    for k, v in fitted.items():
        engine, cls, key = k.split("/")
        c = f'"{cls}"' if "-" in cls else cls
        lines.append(f'[engine_speed."{engine}".{c}.{key}]')
        lines.append(f"value = {v:.4g}")
        lines.append('source = "fitted on the calibration set of data/measurements.toml (scripts/fit_speed.py)"')
        lines.append("")
    return "\n".join(lines)


MARK = "# ---- fitted by scripts/fit_speed.py (do not edit below by hand) ----"


def write(fitted: dict[str, float]) -> None:
    text = EFF.read_text()
    if MARK in text:
        text = text[: text.index(MARK)]
    EFF.write_text(text.rstrip("\n") + "\n\n" + MARK + "\n" + toml_block(fitted))
    perf.efficiency_constants.cache_clear()
    outcomes = validation.evaluate([r for r in validation.load_measurements() if r["set"] == "validation"])
    rows = [r for r in validation.summarize(outcomes) if r["engine"] != "all"]
    out = ["# Error bands per engine and phase: |predicted / measured - 1| on the VALIDATION set of",
           "# data/measurements.toml with the constants of data/efficiency.toml. Written by scripts/fit_speed.py",
           "# --write; perf prints the median next to each speed (perf.error_bands).", ""]
    for r in rows:
        out += [f'[band."{r["engine"]}".{r["phase"]}]', f"records = {r['records']}", f"refused = {r['refused']}",
                f"median_abs_error = {r['median_abs_error']:.4f}", f"p90_abs_error = {r['p90_abs_error']:.4f}",
                f"median_error = {r['median_error']:.4f}", ""]
    BANDS.write_text("\n".join(out))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--write", action="store_true", help="write the constants and the error bands")
    a = p.parse_args(argv)
    fitted = fit()
    print(toml_block(fitted))
    if a.write:
        write(fitted)
    return 0


if __name__ == "__main__":
    sys.exit(main())
