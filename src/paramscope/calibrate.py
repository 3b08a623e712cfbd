"""Measure this machine: achieved memory bandwidth and matmul rate, saved as a hardware profile.

Bandwidth: copies of a large array (bytes read + bytes written over the time; the STREAM "copy"
convention, McCalpin 1995). Matmul: square fp32 GEMMs, 2 n^3 FLOPs each. Each kernel is run twice
untimed (warm-up: allocation, page faults, library start-up, clocks ramping), then repeated for its
share of the time budget (at least 5 runs); the profile records the MEDIAN rate and the measurement
reports its spread (min, quartiles, max, runs), so a busy machine shows up as noise instead of
silently skewing a best-of figure. torch is used when installed (and CUDA when asked for and present),
numpy otherwise. The profile records ACHIEVED rates, so with it paramscope perf should be run with
efficiencies of 1.0 (its notes say so). A measurement is never rejected for being slow: the hardware
sanity ranges are for typed-in figures; here they only produce warnings.
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import time
from pathlib import Path

from .errors import DependencyError, InputError

WARMUP_RUNS = 2
MIN_RUNS = 5
MAX_RUNS = 1000
NOISY_IQR = 0.2  # interquartile range above 20% of the median: the machine was busy


def _timings(fn, seconds: float, min_runs: int = MIN_RUNS, warmup: int = WARMUP_RUNS) -> list[float]:
    """Seconds per call of ``fn``: ``warmup`` untimed calls, then at least ``min_runs`` timed calls and
    more until ``seconds`` have passed (at most MAX_RUNS)."""
    for _ in range(warmup):
        fn()
    times: list[float] = []
    end = time.perf_counter() + seconds
    while len(times) < min_runs or (time.perf_counter() < end and len(times) < MAX_RUNS):
        t0 = time.perf_counter()
        fn()
        times.append(max(time.perf_counter() - t0, 1e-9))
    return times


def rate_stats(work: float, times: list[float]) -> dict:
    """Rates (work / seconds) of the timed runs: min, q1, median, q3, max, runs, and the relative
    interquartile range (q3 - q1) / median as the noise figure."""
    rates = sorted(work / t for t in times)
    if len(rates) >= 2:
        q1, _, q3 = statistics.quantiles(rates, n=4, method="inclusive")
    else:
        q1 = q3 = rates[0]
    med = statistics.median(rates)
    return {"runs": len(rates), "min": rates[0], "q1": q1, "median": med, "q3": q3, "max": rates[-1],
            "relative_iqr": (q3 - q1) / med}


def _memory_bytes(device: str, torch) -> int:
    if device == "cuda":
        return int(torch.cuda.mem_get_info()[1])
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def measure(device: str = "cpu", seconds: float = 2.0, array_bytes: int = 256 * 2**20, n: int = 1024,
            threads: int | None = None) -> dict:
    """Copy bandwidth and fp32 GEMM rate of ``device`` (torch, else numpy); ``threads``: torch's CPU threads
    for the measurement (default: torch's own, all cores)."""
    if threads is not None:
        try:
            import torch
        except ImportError:
            torch = None
        if torch is not None and device == "cpu":
            old = torch.get_num_threads()
            torch.set_num_threads(threads)
            try:
                return measure(device, seconds, array_bytes, n)
            finally:
                torch.set_num_threads(old)
    if seconds <= 0:
        raise InputError(f"--seconds must be > 0, got {seconds}")
    if device not in ("cpu", "cuda"):
        raise InputError(f"--device must be cpu or cuda, got {device!r}")
    try:
        import torch
    except ImportError:
        torch = None
    if device == "cuda" and (torch is None or not torch.cuda.is_available()):
        raise InputError("--device cuda: no CUDA device (or torch) on this machine")
    if torch is not None:
        dev = torch.device(device)
        sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
        a = torch.empty(array_bytes // 4, dtype=torch.float32, device=dev).fill_(1.0)
        b = torch.empty_like(a)

        def copy():
            b.copy_(a)
            sync()
        x = torch.randn(n, n, device=dev)

        def mm():
            x @ x
            sync()
        lib = f"torch {torch.__version__}"
    else:
        try:
            import numpy as np
        except ImportError:
            raise DependencyError("calibrate needs numpy or torch: pip install 'paramscope[fast]'") from None
        a = np.ones(array_bytes // 4, dtype=np.float32)
        b = np.empty_like(a)

        def copy():
            np.copyto(b, a)
        x = np.random.default_rng(0).standard_normal((n, n)).astype(np.float32)

        def mm():
            x @ x
        lib = f"numpy {np.__version__}"
    half = seconds / 2
    bw = rate_stats(2 * (array_bytes // 4) * 4, _timings(copy, half))
    fl = rate_stats(2 * n**3, _timings(mm, half))
    out = {"device": device, "library": lib, "bandwidth_bytes_per_s": bw["median"],
           "fp32_flops_per_s": fl["median"], "memory_bytes": _memory_bytes(device, torch),
           "machine": platform.processor() or platform.machine(),
           "bandwidth_stats_bytes_per_s": bw, "fp32_stats_flops_per_s": fl,
           "method": f"{WARMUP_RUNS} warm-up runs, then >= {MIN_RUNS} timed runs per kernel; median reported"}
    out["warnings"] = measurement_warnings(out)
    return out


def measurement_warnings(m: dict) -> list[str]:
    """Noise and out-of-range notes about a measurement. Warnings only: a measurement is never refused."""
    out = []
    for key, what in (("bandwidth_stats_bytes_per_s", "copy bandwidth"), ("fp32_stats_flops_per_s", "fp32 matmul")):
        st = m.get(key)
        if st and st["relative_iqr"] > NOISY_IQR:
            out.append(f"{what} is noisy (interquartile range {st['relative_iqr']:.0%} of the median over "
                       f"{st['runs']} runs): the machine may be busy; rerun with a longer --seconds")
    from .hardware import BANDWIDTH_RANGE_BYTES_PER_S, PEAK_RANGE_FLOPS_PER_S

    for value, (lo, hi), what, unit in ((m["bandwidth_bytes_per_s"], BANDWIDTH_RANGE_BYTES_PER_S, "copy bandwidth",
                                         "B/s"),
                                        (m["fp32_flops_per_s"], PEAK_RANGE_FLOPS_PER_S, "fp32 matmul", "FLOP/s")):
        if not lo <= value <= hi:
            out.append(f"{what} {value:.3g} {unit} is outside the range typical of accelerators "
                       f"[{lo:g}, {hi:g}]; kept, since it was measured on this machine")
    return out


def _spread(st: dict | None, scale: float, unit: str) -> str:
    if not st:
        return "median run"
    return (f"median of {st['runs']} runs after warm-up; min {st['min'] / scale:.3g}, q1 {st['q1'] / scale:.3g}, "
            f"median {st['median'] / scale:.3g}, q3 {st['q3'] / scale:.3g}, max {st['max'] / scale:.3g} {unit}")


def profile_record(m: dict, name: str) -> dict:
    date = datetime.date.today().isoformat()
    src = f"measured by paramscope calibrate on {date}, {m['device']} ({m['machine']}), {m['library']}"
    mem_src = ("torch.cuda.mem_get_info total" if m["device"] == "cuda" else "os physical pages (sysconf)")
    return {"id": name, "name": f"{name} (measured)", "vendor": "generic", "kind": "cpu" if m["device"] == "cpu"
            else "gpu", "memory_bytes": int(m["memory_bytes"]), "memory_source": "measured",
            "memory_bandwidth_bytes_per_s": float(m["bandwidth_bytes_per_s"]),
            "peak_flops_per_s": {"fp32": float(m["fp32_flops_per_s"])},
            "measured": True,
            "sources": {"memory": f"{src} ({mem_src})",
                        "bandwidth": src + " (array copy, " + _spread(m.get("bandwidth_stats_bytes_per_s"), 1e9,
                                                                       "GB/s") + ")",
                        "flops": src + " (square fp32 GEMM, " + _spread(m.get("fp32_stats_flops_per_s"), 1e9,
                                                                         "GFLOP/s") + ")",
                        "notes": "achieved rates, not vendor peaks: run perf with --bandwidth-efficiency 1 "
                                 "--compute-efficiency 1"}}


def to_toml(rec: dict) -> str:
    lines = ["[[hardware]]"]
    for k, v in rec.items():
        if isinstance(v, dict):
            continue
        if isinstance(v, bool):
            lines.append(f"{k} = {'true' if v else 'false'}")
        else:
            lines.append(f"{k} = {json.dumps(v) if isinstance(v, str) else repr(v)}")
    for k in ("peak_flops_per_s", "sources"):
        lines.append(f"[hardware.{k}]")
        for kk, vv in rec[k].items():
            lines.append(f"{kk} = {json.dumps(vv) if isinstance(vv, str) else repr(vv)}")
    for engine, consts in (rec.get("engine_speed") or {}).items():
        lines.append(f"[hardware.engine_speed.{json.dumps(engine)}]")
        for kk, vv in consts.items():
            lines.append(f"{json.dumps(kk)} = {float(vv)!r}")
    return "\n".join(lines) + "\n"


def save(rec: dict, out: str | Path | None = None) -> Path:
    from .hardware import user_dir, validate_record

    validate_record(rec, "calibrate")  # a measured record: types and positivity checked, no sanity range
    path = Path(out) if out else user_dir() / f"{rec['id']}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(rec))
    return path
