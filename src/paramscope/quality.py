"""Published quality figures (data/quality.toml): benchmark scores of catalog models and measured quality
deltas of weight schemes, each with its source, date and evaluation setting. Nothing here is estimated: a
model or scheme without a published figure has none (``None``), and every answer names its source.

Seed 001 claims Llama 7B scores 62.5% on MMLU in FP16, 61.8% in INT8 and 59.2% in INT4; :func:`seed_claims`
checks those numbers against the records (docs/examples/seed-economics.md).
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InputError

QUALITY_PATH = Path(__file__).resolve().parent / "data" / "quality.toml"
BENCHMARKS = ("mmlu", "mmlu-pro", "gpqa", "humaneval")
METRICS = ("ppl_increase", "mmlu_points", "recovery_pct")
VARIANTS = ("base", "instruct")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


@dataclass(frozen=True)
class Score:
    model: str
    variant: str
    benchmark: str
    value: float  # percent
    setting: str
    date: str
    source: str

    def to_dict(self) -> dict:
        return {"model": self.model, "variant": self.variant, "benchmark": self.benchmark, "value": self.value,
                "setting": self.setting, "date": self.date, "source": self.source}


@dataclass(frozen=True)
class QuantDelta:
    scheme: str
    model: str
    metric: str
    value: float
    setting: str
    date: str
    source: str
    variant: str = "base"
    method: str = ""
    baseline: float | None = None

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "model": self.model, "variant": self.variant, "metric": self.metric,
                "value": self.value, "baseline": self.baseline, "method": self.method, "setting": self.setting,
                "date": self.date, "source": self.source}


def _common(rec, where: str) -> tuple[str, str, str]:
    from . import catalog

    for key in ("model", "setting", "date", "source"):
        if not isinstance(rec.get(key), str) or not rec[key].strip():
            raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    if catalog.find(rec["model"]) is None or catalog.find(rec["model"])["id"] != rec["model"]:
        raise ConfigError(f"{where}: {rec['model']!r} is not a catalog model id")
    if not _DATE.match(rec["date"]):
        raise ConfigError(f"{where}: date must be YYYY, YYYY-MM or YYYY-MM-DD")
    if not rec["source"].startswith(("https://", "http://")):
        raise ConfigError(f"{where}: source must be an http(s) URL")
    variant = rec.get("variant", "base")
    if variant not in VARIANTS:
        raise ConfigError(f"{where}: variant must be one of {', '.join(VARIANTS)}")
    return rec["model"], variant, rec["date"]


def _number(v, where: str, lo: float | None = None, hi: float | None = None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        raise ConfigError(f"{where}: value must be a finite number")
    if (lo is not None and v < lo) or (hi is not None and v > hi):
        raise ConfigError(f"{where}: value {v} outside [{lo}, {hi}]")
    return float(v)


def parse(data: dict, origin: str) -> tuple[list[Score], list[QuantDelta]]:
    scores, deltas = [], []
    for i, rec in enumerate(data.get("score", []) or []):
        where = f"{origin}: score #{i + 1}"
        model, variant, date = _common(rec, where)
        if rec.get("benchmark") not in BENCHMARKS:
            raise ConfigError(f"{where}: benchmark must be one of {', '.join(BENCHMARKS)}")
        scores.append(Score(model, variant, rec["benchmark"], _number(rec.get("value"), where, 0, 100),
                            rec["setting"], date, rec["source"]))
    for i, rec in enumerate(data.get("quant_delta", []) or []):
        where = f"{origin}: quant_delta #{i + 1}"
        model, variant, date = _common(rec, where)
        if not isinstance(rec.get("scheme"), str) or not rec["scheme"]:
            raise ConfigError(f"{where}: scheme must be a non-empty string")
        metric = rec.get("metric")
        if metric not in METRICS:
            raise ConfigError(f"{where}: metric must be one of {', '.join(METRICS)}")
        lo, hi = {"ppl_increase": (-1, None), "mmlu_points": (-100, 100), "recovery_pct": (0, 200)}[metric]
        base = rec.get("baseline")
        deltas.append(QuantDelta(rec["scheme"], model, metric, _number(rec.get("value"), where, lo, hi),
                                 rec["setting"], date, rec["source"], variant, rec.get("method", ""),
                                 None if base is None else _number(base, where, 0, 100)))
    return scores, deltas


@functools.lru_cache(maxsize=1)
def load() -> tuple[tuple[Score, ...], tuple[QuantDelta, ...]]:
    with open(QUALITY_PATH, "rb") as f:
        s, d = parse(tomllib.load(f), str(QUALITY_PATH))
    return tuple(s), tuple(d)


def scores(model: str | None = None, benchmark: str | None = None, variant: str | None = None) -> list[Score]:
    return [s for s in load()[0] if (model is None or s.model == model) and
            (benchmark is None or s.benchmark == benchmark) and (variant is None or s.variant == variant)]


def score(model: str, benchmark: str = "mmlu", variant: str | None = None) -> Score | None:
    """The published score of a catalog model id on a benchmark (base variant preferred unless given)."""
    if benchmark not in BENCHMARKS:
        raise InputError(f"unknown benchmark {benchmark!r} (known: {', '.join(BENCHMARKS)})")
    if variant is not None and variant not in VARIANTS:
        raise InputError(f"unknown variant {variant!r} (known: {', '.join(VARIANTS)})")
    found = scores(model, benchmark, variant)
    found.sort(key=lambda s: (s.variant != "base", s.date))
    return found[0] if found else None


def deltas(scheme: str | None = None) -> list[QuantDelta]:
    return [d for d in load()[1] if scheme is None or d.scheme.lower() == scheme.lower()]


NATIVE_SCHEMES = ("native", "auto", "bf16", "fp16", "f16")  # the 16-bit checkpoints the scores were measured on


def scheme_score(model_id: str, benchmark: str = "mmlu", scheme: str = "native", variant: str | None = None) -> dict | None:
    """The model's published score on ``benchmark`` adjusted for a weight scheme by that scheme's published delta
    -- one rule for plan, compare and select. None when the model has no published score. ``value`` is None (with
    ``reason``) when the scheme has no published delta convertible to the benchmark: a MMLU-point delta is added
    (the same model's first, else the mean over models); a recovery percentage is applied as a factor (an average
    over several benchmarks applied to this one: stated in ``assumption``); a perplexity delta does not convert."""
    sc = score(model_id, benchmark, variant)
    if sc is None:
        return None
    out = sc.to_dict() | {"model_score": sc.value, "scheme": scheme, "scheme_delta": 0.0, "delta_metric": None,
                          "delta_source": None, "score_source": sc.source, "reason": None, "assumption": None}
    if scheme.strip().lower() in NATIVE_SCHEMES:
        return out
    found = deltas(scheme)
    pts = [d for d in found if d.metric == "mmlu_points" and benchmark == "mmlu"]
    pts = [d for d in pts if d.model == model_id] or pts
    if pts:
        delta = sum(d.value for d in pts) / len(pts)
        return out | {"value": sc.value + delta, "scheme_delta": delta, "delta_metric": "mmlu_points",
                      "delta_source": pts[0].source}
    rec = [d for d in found if d.metric == "recovery_pct"]
    rec = [d for d in rec if d.model == model_id] or rec
    if rec:
        pct = sum(d.value for d in rec) / len(rec)
        value = sc.value * pct / 100
        return out | {"value": value, "scheme_delta": value - sc.value, "delta_metric": "recovery_pct",
                      "delta_source": rec[0].source,
                      "assumption": f"{scheme}'s published recovery ({pct:g}% of the 16-bit score: {rec[0].setting}) "
                                    f"applied to {benchmark}"}
    what = ", ".join(sorted({d.metric for d in found}))
    return out | {"value": None, "reason": f"no published {benchmark} delta for {scheme}"
                  + (f" (only {what}, which does not convert to {benchmark} points)" if what else "")}


def catalog_id(model) -> str | None:
    """The catalog id of a loaded model (or of a name), or None for models outside the catalog."""
    from . import catalog

    rec = getattr(model, "record", None)
    if isinstance(rec, dict) and isinstance(rec.get("id"), str):
        return rec["id"]
    for name in (model if isinstance(model, str) else None,):
        if isinstance(name, str):
            rec = catalog.find(name)
            if rec is not None:
                return rec["id"]
    return None


# The seed's claims (001, section 2): Llama 7B MMLU FP16 62.5 -> INT8 61.8 -> INT4 59.2
SEED_MMLU = {"fp16": 62.5, "int8": 61.8, "int4": 59.2}


def seed_claims() -> dict:
    """The seed's Llama 7B MMLU figures set against the published records; each verdict names its evidence."""
    llama7 = {m: score(m, "mmlu") for m in ("llama-7b", "llama-2-7b")}
    int8 = [d for d in deltas("int8") if d.metric == "mmlu_points"]
    int4 = [d for d in deltas("gptq-int4") if d.metric == "recovery_pct"]
    q8 = [d for d in deltas("Q8_0") if d.metric == "ppl_increase"]
    seed_int8_loss_pct = (SEED_MMLU["fp16"] - SEED_MMLU["int8"]) / SEED_MMLU["fp16"] * 100
    seed_int4_loss_pct = (SEED_MMLU["fp16"] - SEED_MMLU["int4"]) / SEED_MMLU["fp16"] * 100
    return {
        "seed": dict(SEED_MMLU),
        "seed_int8_loss_pct": seed_int8_loss_pct,
        "seed_int4_loss_pct": seed_int4_loss_pct,
        "published_fp16": {m: None if s is None else s.to_dict() for m, s in llama7.items()},
        "fp16_matches": any(s is not None and abs(s.value - SEED_MMLU["fp16"]) < 1.0 for s in llama7.values()),
        "published_int8": [d.to_dict() for d in int8] + [d.to_dict() for d in q8],
        "published_int4": [d.to_dict() for d in int4],
        "int4_published_loss_pct": [100 - d.value for d in int4],
    }
