"""Training time, GPU-hours, cost and energy from FLOPs, and the MFU a reported run implies.

    wall seconds = FLOPs / (GPUs x dense peak x MFU)        (MFU: Chowdhery et al. 2022, PaLM App. B)
    GPU-hours    = GPUs x wall seconds / 3600
    cost         = GPU-hours x price per GPU-hour
    energy       = GPU-hours x TDP x PUE                   (GPU board power only: CPUs, network and
                                                            storage are outside TDP; PUE covers the facility)

FLOPs come from compute.training_flops (6 x active matrix parameters x tokens + causal attention). Peaks
are DENSE (hardware.toml never stores sparse peaks).
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .compute import training_flops
from .errors import InputError
from .hardware import peak_flops

# Uptime Institute Global Data Center Survey 2023: average PUE 1.58; hyperscale AI facilities report 1.1-1.2
# (Google 2023 environmental report: 1.10 fleet average). A stated default, overridable (--pue).
DEFAULT_PUE = 1.2
_RUNS = Path(__file__).resolve().parent / "data" / "runs.toml"


@dataclass(frozen=True)
class TrainReport:
    model: str
    hardware: str
    gpus: int
    tokens: float
    flops: float
    formula: str
    mfu: float
    seconds: float
    gpu_hours: float
    price_per_hour_usd: float | None
    cost_usd: float | None
    energy_kwh: float | None
    pue: float
    dtype: str
    peak_flops_per_s: float

    @property
    def days(self) -> float:
        return self.seconds / 86400

    def to_dict(self) -> dict:
        return {"model": self.model, "hardware": self.hardware, "gpus": self.gpus, "tokens": self.tokens,
                "flops": self.flops, "formula": self.formula, "mfu": self.mfu, "seconds": self.seconds,
                "days": self.days, "gpu_hours": self.gpu_hours, "price_per_hour_usd": self.price_per_hour_usd,
                "cost_usd": self.cost_usd, "energy_kwh": self.energy_kwh, "pue": self.pue, "dtype": self.dtype,
                "peak_flops_per_s": self.peak_flops_per_s}


def _check(tokens: float, gpus: int, mfu: float | None, gpu_hours: float | None, pue: float) -> None:
    if not tokens > 0:
        raise InputError(f"tokens must be > 0, got {tokens}")
    if gpus < 1:
        raise InputError(f"GPU count must be >= 1, got {gpus}")
    if (mfu is None) == (gpu_hours is None):
        raise InputError("give exactly one of --mfu and --gpu-hours")
    if mfu is not None and not 0 < mfu <= 1:
        raise InputError(f"MFU must be in (0, 1], got {mfu}")
    if gpu_hours is not None and not gpu_hours > 0:
        raise InputError(f"GPU-hours must be > 0, got {gpu_hours}")
    if not 1 <= pue <= 3:
        raise InputError(f"PUE must be between 1 and 3, got {pue}")


def train_report(model, hw, *, tokens: float, gpus: int, mfu: float | None = None, gpu_hours: float | None = None,
                 seq_len: int = 4096, dtype: str = "bf16", price_per_hour_usd: float | None = None,
                 pue: float = DEFAULT_PUE, flops: float | None = None) -> TrainReport:
    """Given an MFU: time, GPU-hours, cost. Given GPU-hours: the MFU they imply (a back-solve)."""
    _check(tokens, gpus, mfu, gpu_hours, pue)
    if flops is None:
        f = training_flops(model, tokens, seq_len)
        flops, formula = f["flops"], f["formula"]
    else:
        formula = "given"
    peak = peak_flops(hw, dtype)
    if mfu is not None:
        seconds = flops / (gpus * peak * mfu)
        gpu_hours = gpus * seconds / 3600
    else:
        seconds = gpu_hours * 3600 / gpus
        mfu = flops / (gpu_hours * 3600 * peak)
    price = price_per_hour_usd if price_per_hour_usd is not None else hw.price_per_hour_usd
    cost = None if price is None else gpu_hours * price
    energy = None if hw.tdp_w is None else gpu_hours * hw.tdp_w * pue / 1000
    return TrainReport(getattr(model, "name", str(model)), hw.id, gpus, tokens, flops, formula, mfu, seconds,
                       gpu_hours, price, cost, energy, pue, dtype, peak)


@functools.lru_cache(maxsize=1)
def load_runs() -> tuple[dict, ...]:
    with open(_RUNS, "rb") as f:
        return tuple(tomllib.load(f)["run"])


def run_row(run: dict) -> dict:
    """A published run next to paramscope's FLOPs and the MFU they imply."""
    from .hardware import get_hardware
    from .model import load_model

    row = {k: run.get(k) for k in ("id", "name", "model", "tokens", "hardware", "gpu_hours", "reported_flops",
                                    "reported_mfu", "reported_cost_usd", "price_per_hour_usd")}
    if run.get("model"):
        f = training_flops(load_model(run["model"]), run["tokens"], int(run.get("seq_len", 2048)))
        row["flops"] = f["flops"]
        row["flops_basis"] = "paramscope (catalog architecture)"
    else:
        n = run.get("active_params") or run["params"]
        row["flops"] = 6 * n * run["tokens"]
        row["flops_basis"] = "6 x reported params x tokens (no catalog architecture)"
    row["implied_mfu"] = None
    if run.get("gpu_hours") and run.get("hardware"):
        hw = get_hardware(run["hardware"])
        dtype = "bf16" if "bf16" in hw.peak_flops_per_s else "fp16"
        row["implied_mfu"] = row["flops"] / (run["gpu_hours"] * 3600 * hw.peak_flops_per_s[dtype])
        row["peak_dtype"] = dtype
    return row
