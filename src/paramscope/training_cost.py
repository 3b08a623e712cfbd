"""Training time, GPU-hours, cost and energy from FLOPs; the MFU reported GPU-hours imply; a parallel layout.

    FLOPs        = compute.training_flops: 6 x active matrix parameters x tokens + 3 x causal attention
                   (Kaplan et al. 2020 s2.1; Narayanan et al. 2021 eq. 3 without recomputation)
    wall seconds = FLOPs / (GPUs x dense peak x MFU)     (MFU: Chowdhery et al. 2022, PaLM App. B)
    GPU-hours    = GPUs x wall seconds / 3600
    MFU back-solved from reported GPU-hours = FLOPs / (GPU-hours x 3600 x dense peak)
    cost         = GPU-hours x USD per GPU-hour
    energy (kWh) = GPU-hours x TDP (W) x PUE / 1000      (board power only: host CPUs, network and storage
                                                           are outside TDP; PUE adds the facility overhead)

Peaks are DENSE (data/hardware.toml never stores sparse peaks). Model FLOPs count no recomputation, so
activation checkpointing lowers the MFU a run achieves, never raises the FLOPs.
"""

from __future__ import annotations

import functools
import math
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .compute import training_flops
from .errors import InputError
from .hardware import peak_flops

#: Power usage effectiveness (facility power / IT power). Uptime Institute Global Data Center Survey 2023:
#: industry average 1.58; Google's 2023 Environmental Report: fleet average 1.10; Meta's LLaMA papers use
#: 1.1 (Touvron et al. 2023a s6.1). 1.2 is a stated middle for a modern AI facility; pass pue= to override.
DEFAULT_PUE = 1.2

#: Fraction of device memory the layout search lets the training plan fill. memory/training.py counts no
#: allocator fragmentation, CUDA context or NCCL buffers (its first assumption); 10% is left for them.
USABLE_MEMORY_FRACTION = 0.90

_RUNS = Path(__file__).resolve().parent / "data" / "runs.toml"

#: Sequence length assumed for a published run whose record states none (GPT-3 and most 2020-2023 runs: 2048).
DEFAULT_RUN_SEQ_LEN = 2048


@dataclass(frozen=True)
class TrainReport:
    model: str
    hardware: str
    gpus: int
    tokens: float
    seq_len: int
    flops: float
    dense_flops: float
    attention_flops: float
    formula: str
    mfu: float
    mfu_source: str  # "given" or "implied by the GPU-hours"
    seconds: float
    gpu_hours: float
    price_per_hour_usd: float | None
    cost_usd: float | None
    tdp_w: float | None
    energy_kwh: float | None
    pue: float
    dtype: str
    peak_flops_per_s: float

    @property
    def days(self) -> float:
        return self.seconds / 86400

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__}
        d["days"] = self.days
        d["energy_formula"] = "GPU-hours x TDP x PUE (accelerator boards only)"
        return d


def default_dtype(hw) -> str:
    """bf16 where the accelerator has a dense bf16 peak, else fp16 (V100 and older)."""
    return "bf16" if "bf16" in hw.peak_flops_per_s else "fp16"


def gpu_hours_for(flops: float, mfu: float, peak_flops_per_s: float) -> float:
    """GPU-hours to run ``flops`` at ``mfu`` of a dense peak (per GPU): FLOPs / (peak x MFU) / 3600."""
    _check_mfu(mfu)
    return flops / (peak_flops_per_s * mfu) / 3600


def implied_mfu(flops: float, gpu_hours: float, peak_flops_per_s: float) -> float:
    """The MFU that ``gpu_hours`` imply for ``flops``: FLOPs / (GPU-hours x 3600 x dense peak)."""
    if not gpu_hours > 0:
        raise InputError(f"GPU-hours must be > 0, got {gpu_hours}")
    return flops / (gpu_hours * 3600 * peak_flops_per_s)


def _check_mfu(mfu: float) -> None:
    if not (isinstance(mfu, (int, float)) and 0 < mfu <= 1):
        raise InputError(f"MFU must be in (0, 1], got {mfu}")


def _check(tokens, gpus, mfu, gpu_hours, pue, price) -> None:
    if not (isinstance(tokens, (int, float)) and math.isfinite(tokens) and tokens > 0):
        raise InputError(f"tokens must be > 0, got {tokens}")
    if not (isinstance(gpus, int) and gpus >= 1):
        raise InputError(f"GPU count must be a whole number >= 1, got {gpus}")
    if (mfu is None) == (gpu_hours is None):
        raise InputError("give exactly one of an MFU and reported GPU-hours")
    if mfu is not None:
        _check_mfu(mfu)
    if gpu_hours is not None and not gpu_hours > 0:
        raise InputError(f"GPU-hours must be > 0, got {gpu_hours}")
    if not 1 <= pue <= 3:
        raise InputError(f"PUE must be between 1 and 3, got {pue}")
    if price is not None and not price >= 0:
        raise InputError(f"price per GPU-hour must be >= 0, got {price}")


def train_report(model, hw, *, tokens: float, gpus: int, mfu: float | None = None, gpu_hours: float | None = None,
                 seq_len: int = 4096, dtype: str | None = None, price_per_hour_usd: float | None = None,
                 pue: float = DEFAULT_PUE) -> TrainReport:
    """Given an MFU: wall time, GPU-hours, cost, energy. Given GPU-hours instead: the MFU they imply."""
    _check(tokens, gpus, mfu, gpu_hours, pue, price_per_hour_usd)
    f = training_flops(model, tokens, seq_len)
    dtype = dtype or default_dtype(hw)
    peak = peak_flops(hw, dtype)
    if mfu is not None:
        gpu_hours, source = gpu_hours_for(f["flops"], mfu, peak), "given"
    else:
        mfu, source = implied_mfu(f["flops"], gpu_hours, peak), "implied by the GPU-hours"
    price = price_per_hour_usd if price_per_hour_usd is not None else hw.price_per_hour_usd
    return TrainReport(
        model=model.name if hasattr(model, "name") else str(model), hardware=hw.id, gpus=gpus, tokens=float(tokens), seq_len=seq_len,
        flops=f["flops"], dense_flops=f["dense_flops"], attention_flops=f["attention_flops"], formula=f["formula"],
        mfu=mfu, mfu_source=source, seconds=gpu_hours * 3600 / gpus, gpu_hours=gpu_hours,
        price_per_hour_usd=price, cost_usd=None if price is None else gpu_hours * price, tdp_w=hw.tdp_w,
        energy_kwh=None if hw.tdp_w is None else gpu_hours * hw.tdp_w * pue / 1000, pue=pue, dtype=dtype,
        peak_flops_per_s=peak)


# ------------------------------------------------------------------------------------------ layout


def _num_experts(spec) -> int:
    return max((layer.ffn.num_experts for s in spec.language_stacks for layer in s.layers
                if getattr(layer.ffn, "num_experts", None)), default=1)


def _split(n_layers: int, pp: int) -> tuple[int, ...] | None:
    """Even split, or the remainder layers on the last stages (the first holds the embedding)."""
    if n_layers % pp == 0:
        return None
    base, extra = divmod(n_layers, pp)
    return tuple(base + (1 if s >= pp - extra else 0) for s in range(pp))


def choose_layout(model, hw, gpus: int, *, seq_len: int, fixed: dict | None = None):
    """The first parallel layout, in order of preference, whose per-GPU training memory fits ``hw``.

    Preference (Megatron-LM practice, Narayanan et al. 2021 s3): selective recomputation before full; the
    fewest model-parallel GPUs (tensor x pipeline); ZeRO-1 before ZeRO-3; tensor parallelism within a node
    (<= 8). Data parallelism takes the remaining GPUs; a mixture of experts spreads its experts over as many
    data-parallel ranks as divide the expert count. ``fixed``: TrainingPlan fields the caller set (these are
    not searched). Returns (plan, TrainingMemory, fits); when nothing fits, the smallest plan found.
    """
    from .memory.training import TrainingPlan, training_memory

    fixed = dict(fixed or {})
    spec = model.require_spec("a training layout")
    n_layers, experts = spec.num_layers, _num_experts(spec)
    tps = [fixed.pop("tensor_parallel")] if "tensor_parallel" in fixed else [t for t in (1, 2, 4, 8) if t <= gpus]
    pps = [fixed.pop("pipeline_parallel")] if "pipeline_parallel" in fixed else \
        [p for p in (1, 2, 4, 8, 16, 32, 64) if p <= min(n_layers, gpus)]
    zeros = [fixed.pop("zero_stage")] if "zero_stage" in fixed else [1, 3]
    recomputes = [fixed.pop("recompute")] if "recompute" in fixed else ["selective", "full"]
    cp = fixed.pop("context_parallel", 1)
    dp_given = fixed.pop("data_parallel", None)
    ep_given = fixed.pop("expert_parallel", None)
    cands = sorted(((r, tp, pp, z) for r in recomputes for tp in tps for pp in pps for z in zeros),
                   key=lambda c: (c[0] == "full", c[1] * c[2], c[3], c[1]))
    limit = hw.memory_bytes * USABLE_MEMORY_FRACTION
    best, first_error = None, None
    for recompute, tp, pp, zero in cands:
        if gpus % (tp * pp * cp):
            first_error = first_error or InputError(f"{gpus} GPUs are not a multiple of tensor x pipeline x "
                                                    f"context parallel = {tp * pp * cp}")
            continue
        dp = gpus // (tp * pp * cp)
        if dp_given is not None and dp_given != dp:
            first_error = first_error or InputError(f"data parallel {dp_given} x tensor {tp} x pipeline {pp} x "
                                                    f"context {cp} = {dp_given * tp * pp * cp}, not {gpus} GPUs")
            continue
        ep = ep_given if ep_given is not None else math.gcd(experts, dp * cp)
        try:
            plan = TrainingPlan(**{"sequence_parallel": tp > 1, **fixed}, tensor_parallel=tp, pipeline_parallel=pp,
                                pp_layers=_split(n_layers, pp), data_parallel=dp, context_parallel=cp,
                                expert_parallel=ep, zero_stage=zero, recompute=recompute, seq_len=seq_len)
            mem = training_memory(model, plan)
        except InputError as exc:
            first_error = first_error or exc
            continue
        if mem.total_bytes <= limit:
            return plan, mem, True
        if best is None or mem.total_bytes < best[1].total_bytes:
            best = (plan, mem, False)
    if best is None:
        raise first_error or InputError("no parallel layout to evaluate")
    return best


# -------------------------------------------------------------------------------------- published runs


@functools.lru_cache(maxsize=1)
def load_runs() -> tuple[dict, ...]:
    with open(_RUNS, "rb") as f:
        return tuple(tomllib.load(f)["run"])


def run_row(run: dict) -> dict:
    """A published run next to paramscope's FLOPs and the MFU the reported GPU-hours imply."""
    from .hardware import get_hardware
    from .model import load_model

    row = {k: run.get(k) for k in ("id", "name", "model", "params", "active_params", "tokens", "hardware",
                                    "gpu_count", "gpu_hours", "reported_flops", "reported_mfu", "reported_mfu_range",
                                    "price_per_hour_usd", "reported_cost_usd")}
    seq = int(run.get("seq_len", DEFAULT_RUN_SEQ_LEN))
    row["seq_len"], row["seq_len_assumed"] = seq, "seq_len" not in run
    row["six_nd_flops"] = 6 * (run.get("active_params") or run["params"]) * run["tokens"]
    if run.get("model"):
        f = training_flops(load_model(run["model"]), run["tokens"], seq)
        row["flops"], row["matmul_params"] = f["flops"], f["matmul_params"]
        row["flops_basis"] = "catalog architecture: 6 x active matrix params x tokens + causal attention"
    else:
        row["flops"], row["matmul_params"] = row["six_nd_flops"], None
        row["flops_basis"] = "6 x reported params x tokens (no catalog architecture)"
    row["implied_mfu"] = row["peak_dtype"] = row["pretraining_implied_mfu"] = None
    if run.get("gpu_hours") and run.get("hardware"):
        hw = get_hardware(run["hardware"])
        row["peak_dtype"] = default_dtype(hw)
        peak = hw.peak_flops_per_s[row["peak_dtype"]]
        row["implied_mfu"] = implied_mfu(row["flops"], run["gpu_hours"], peak)
        pre = [p["gpu_hours"] for p in run.get("phases", ()) if p["name"] == "pre-training"]
        if pre:
            row["pretraining_gpu_hours"] = pre[0]
            row["pretraining_implied_mfu"] = implied_mfu(row["flops"], pre[0], peak)
    return row
