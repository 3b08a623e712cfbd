"""Measure this machine: achieved memory bandwidth and matmul rate, saved as a hardware profile.

Bandwidth: the best of several copies of a large array (bytes read + bytes written over the time;
the STREAM "copy" convention, McCalpin 1995). Matmul: the best of several square GEMMs, 2 n^3 FLOPs each.
torch is used when installed (and CUDA when asked for and present), numpy otherwise. The profile records
ACHIEVED rates, so with it paramscope perf should be run with efficiencies of 1.0 (its notes say so).
"""

from __future__ import annotations

import datetime
import os
import platform
import time
from pathlib import Path

from .errors import DependencyError, InputError


def _best(fn, seconds: float, min_runs: int = 3) -> float:
    best = float("inf")
    end = time.perf_counter() + seconds
    runs = 0
    while runs < min_runs or time.perf_counter() < end:
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return best


def _memory_bytes(device: str, torch) -> int:
    if device == "cuda":
        return int(torch.cuda.mem_get_info()[1])
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def measure(device: str = "cpu", seconds: float = 2.0, array_bytes: int = 256 * 2**20, n: int = 1024) -> dict:
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
    t_copy = _best(copy, half)
    t_mm = _best(mm, half)
    return {"device": device, "library": lib, "bandwidth_bytes_per_s": 2 * (array_bytes // 4) * 4 / t_copy,
            "fp32_flops_per_s": 2 * n**3 / t_mm, "memory_bytes": _memory_bytes(device, torch),
            "machine": platform.processor() or platform.machine()}


def profile_record(m: dict, name: str) -> dict:
    date = datetime.date.today().isoformat()
    src = f"measured by paramscope calibrate on {date}, {m['device']} ({m['machine']}), {m['library']}"
    return {"id": name, "name": f"{name} (measured)", "vendor": "generic", "kind": "cpu" if m["device"] == "cpu"
            else "gpu", "memory_bytes": int(m["memory_bytes"]),
            "memory_bandwidth_bytes_per_s": float(m["bandwidth_bytes_per_s"]),
            "peak_flops_per_s": {"fp32": float(m["fp32_flops_per_s"])},
            "sources": {"memory": src, "bandwidth": src + " (array copy, best run)",
                        "flops": src + " (square fp32 GEMM, best run)",
                        "notes": "achieved rates, not vendor peaks: run perf with --bandwidth-efficiency 1 "
                                 "--compute-efficiency 1"}}


def to_toml(rec: dict) -> str:
    lines = ["[[hardware]]"]
    for k, v in rec.items():
        if isinstance(v, dict):
            continue
        lines.append(f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"')
    for k in ("peak_flops_per_s", "sources"):
        lines.append(f"[hardware.{k}]")
        for kk, vv in rec[k].items():
            lines.append(f'{kk} = "{vv}"' if isinstance(vv, str) else f"{kk} = {vv!r}")
    return "\n".join(lines) + "\n"


def save(rec: dict, out: str | Path | None = None) -> Path:
    from .hardware import user_dir, validate_record

    validate_record(rec, "calibrate")
    path = Path(out) if out else user_dir() / f"{rec['id']}.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_toml(rec))
    return path
