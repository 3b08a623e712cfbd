"""Speed predictions against published measurements (data/measurements.toml).

For every record the harness builds what ``paramscope perf MODEL --gpu HW --count N --tp T --pp P --weights W
--kv-dtype K --engine E --batch B --prompt P --gen G`` computes, through the same library call the CLI makes
(``perf.perf_report`` with a ``PerfOptions``), and compares the published number with the prediction:
``error = predicted / measured - 1`` (signed; the summaries use its absolute value).

What each phase is predicted from (one perf report per record):

- ``decode``: ``decode_tokens_per_s`` (= batch / TPOT) at the record's batch, prompt and output lengths.
  llama-bench ``tg N`` runs from an empty context: prompt 0 is passed as 1 token (perf needs >= 1).
- ``prefill``: ``prefill_tokens_per_s`` (= batch x prompt / TTFT) with 1 generated token (``pp N`` generates
  none; perf needs >= 1, and the prefill time does not depend on it).
- ``ttft`` / ``tpot``: ``ttft_s`` / ``tpot_s``.
- ``throughput`` (total output tokens/s of an offline, maximum-load run, prefill included): with B concurrent
  sequences of P prompt and G output tokens, ``B x G / (TTFT(B) + G x TPOT(B))``. A record with batch 0
  ("maximum load": the engine runs as many as fit) uses B = paramscope's KV capacity at P + G tokens
  (``max_concurrent_sequences``), capped at MAX_LOAD_BATCH; if that batch does not fit with its activations,
  B is halved until it does. A record with ``replicas = R`` ran R identical copies of the deployment side by
  side (data parallel, e.g. an 8-GPU MLPerf system as 4 x TP2 or 8 x TP1): ``count`` / ``tp`` / ``pp``
  describe one copy and the throughput is R times one copy's.

Engines paramscope has no memory profile for are run with the closest one (ENGINE_FOR_MEMORY: TensorRT-LLM
and SGLang page their KV cache like vLLM). A record paramscope refuses (does not fit, unknown scheme, no
interconnect, ...) is never dropped: it is an outcome with ``refused`` set to the reason and counts as a
failure in the summaries ("never refuse a setup that was really run").

``python -m paramscope.validation`` prints the per-record table and the median / 90th-percentile absolute
error per set, engine and phase. Pure Python (no numpy): the CLI import path stays light.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "measurements.toml"

PHASES = ("decode", "prefill", "ttft", "tpot", "throughput")
UNITS = {"decode": "tokens_per_s", "prefill": "tokens_per_s", "throughput": "tokens_per_s", "ttft": "s", "tpot": "s"}
SETS = ("calibration", "validation")
REQUIRED = ("id", "set", "engine", "engine_version", "hardware", "count", "tp", "pp", "model", "weights", "kv_dtype",
            "batch", "prompt_tokens", "output_tokens", "phase", "value", "unit", "source", "date")
# paramscope's memory conventions per engine (engines/): the engines it has no profile for take the closest one
ENGINE_FOR_MEMORY = {"llama.cpp": "llama.cpp", "vllm": "vllm", "transformers": "transformers",
                     "tensorrt-llm": "tensorrt-llm", "sglang": "vllm"}
MAX_LOAD_BATCH = 2048  # cap on the running batch assumed for "maximum load" records (batch 0)


def load_measurements(path: str | Path | None = None) -> list[dict]:
    with open(path or DATA, "rb") as f:
        return list(tomllib.load(f).get("measurement", []))


def split_rule(records: list[dict]) -> dict[str, str]:
    """The set each record must have under the file's rule: per engine, in file order, index % 3 == 0 is
    calibration; a ``held_out`` record is always validation and takes no index (adding held-out records
    never moves another record between sets)."""
    seen: dict[str, int] = {}
    out = {}
    for r in records:
        if r.get("held_out"):
            out[r["id"]] = "validation"
            continue
        i = seen.get(r["engine"], 0)
        seen[r["engine"]] = i + 1
        out[r["id"]] = "calibration" if i % 3 == 0 else "validation"
    return out


@dataclass(frozen=True)
class Outcome:
    record: dict
    measured: float
    predicted: float | None = None
    refused: str | None = None  # the reason paramscope gave, when it refused the configuration
    batch: int | None = None  # the batch the prediction used

    @property
    def error(self) -> float | None:
        """predicted / measured - 1 (None when refused)."""
        if self.predicted is None:
            return None
        return self.predicted / self.measured - 1

    def to_dict(self) -> dict:
        r = self.record
        return {"id": r["id"], "set": r["set"], "engine": r["engine"], "phase": r["phase"], "model": r["model"],
                "hardware": r["hardware"], "count": r["count"], "weights": r["weights"], "unit": r["unit"],
                "measured": self.measured, "predicted": self.predicted, "error": self.error, "batch": self.batch,
                "refused": self.refused, "source": r["source"]}


def _options(r: dict, batch: int):
    from .perf import PerfOptions

    # perf needs >= 1 prompt and >= 1 generated token: llama-bench tg N (prompt 0) and pp N (output 0) map to 1
    return PerfOptions(batch=batch, prompt_tokens=max(1, int(r["prompt_tokens"])),
                       gen_tokens=max(1, int(r["output_tokens"])),
                       count=int(r["count"]), tp=int(r["tp"]), pp=int(r["pp"]), weights=r["weights"],
                       kv_dtype=r.get("kv_dtype", "auto"), engine=ENGINE_FOR_MEMORY.get(r["engine"], "vllm"))


def predict(record: dict, *, model=None, hardware=None) -> tuple[float, int]:
    """paramscope's prediction for ``record`` in the record's unit, and the batch it used. Raises the
    ParamscopeError paramscope raises for a configuration it refuses."""
    from .errors import DoesNotFitError, InputError
    from .hardware import get_hardware
    from .model import load_model
    from .perf import perf_report

    m = model if model is not None else load_model(record["model"])
    hw = hardware if hardware is not None else get_hardware(record["hardware"])
    phase = record["phase"]
    if phase not in PHASES:
        raise InputError(f"{record['id']}: unknown phase {phase!r}")
    batch = int(record["batch"])
    if phase == "throughput":
        if batch == 0:
            probe = perf_report(m, hw, _options(record, 1))
            batch = min(MAX_LOAD_BATCH, probe.max_concurrent_sequences)
            if batch < 1:
                raise DoesNotFitError(f"no room for one sequence of {record['prompt_tokens']} + "
                                      f"{record['output_tokens']} tokens beside the weights")
        while True:
            try:
                rep = perf_report(m, hw, _options(record, batch))
                break
            except DoesNotFitError:
                if batch == 1 or int(record["batch"]) != 0:
                    raise
                batch //= 2
        gen = int(record["output_tokens"])
        return int(record.get("replicas", 1)) * batch * gen / (rep.ttft_s + gen * rep.tpot_s), batch
    rep = perf_report(m, hw, _options(record, max(1, batch)))
    value = {"decode": rep.decode_tokens_per_s, "prefill": rep.prefill_tokens_per_s, "ttft": rep.ttft_s,
             "tpot": rep.tpot_s}[phase]
    return value, max(1, batch)


def evaluate(records: list[dict] | None = None) -> list[Outcome]:
    from .errors import ParamscopeError

    records = load_measurements() if records is None else records
    out = []
    for r in records:
        try:
            value, batch = predict(r)
            out.append(Outcome(r, float(r["value"]), predicted=value, batch=batch))
        except ParamscopeError as e:
            out.append(Outcome(r, float(r["value"]), refused=f"{type(e).__name__}: {e}"))
    return out


def _p90(xs: list[float]) -> float:
    if len(xs) == 1:
        return xs[0]
    return statistics.quantiles(xs, n=10, method="inclusive")[8]


def engine_group(r: dict) -> str:
    """The engine column of the summaries: the engine, with the record's ``suite`` (e.g. MLPerf Inference
    results, held out from any fit) in parentheses, so a suite's errors are reported apart."""
    return f"{r['engine']} ({r['suite']})" if r.get("suite") else r["engine"]


def summarize(outcomes: list[Outcome]) -> list[dict]:
    """Per (set, engine, phase), then per set over all engines and phases: records, refused, median and p90 of
    |error|, median signed error. Refused records are failures: counted, never in the error statistics."""
    groups: dict[tuple, list[Outcome]] = {}
    for o in outcomes:
        r = o.record
        groups.setdefault((r["set"], engine_group(r), r["phase"]), []).append(o)
        groups.setdefault((r["set"], "all", "all"), []).append(o)
    rows = []
    for key in sorted(groups, key=lambda k: (SETS.index(k[0]) if k[0] in SETS else 9, k[1] == "all", k[1], k[2])):
        os_ = groups[key]
        errs = [o.error for o in os_ if o.error is not None]
        a = [abs(e) for e in errs]
        rows.append({"set": key[0], "engine": key[1], "phase": key[2], "records": len(os_),
                     "refused": sum(o.refused is not None for o in os_),
                     "median_abs_error": statistics.median(a) if a else math.nan,
                     "p90_abs_error": _p90(a) if a else math.nan,
                     "median_error": statistics.median(errs) if errs else math.nan})
    return rows


def _fmt(v: float, unit: str) -> str:
    if unit == "s":
        return f"{v * 1e3:,.2f} ms"
    return f"{v:,.2f}"


def format_outcomes(outcomes: list[Outcome]) -> str:
    from . import render

    rows = []
    for o in outcomes:
        r = o.record
        cfg = (f"{r['replicas']}x " if r.get("replicas", 1) > 1 else "") + \
            f"{r['count']}x {r['hardware']}" + (f" tp{r['tp']}" if r["tp"] > 1 else "") + \
            (f" pp{r['pp']}" if r["pp"] > 1 else "")
        rows.append([r["id"], r["set"][:5], r["phase"], r["model"], cfg, r["weights"],
                     f"{r['prompt_tokens']}/{r['output_tokens']}", str(o.batch or r["batch"]),
                     _fmt(o.measured, r["unit"]),
                     "refused" if o.predicted is None else _fmt(o.predicted, r["unit"]),
                     "-" if o.error is None else f"{o.error:+.0%}"])
    return render.table(rows, ["id", "set", "phase", "model", "devices", "weights", "in/out", "batch", "measured",
                               "paramscope", "error"], align="llllllrrrrr")


def format_summary(rows: list[dict]) -> str:
    from . import render

    def pct(x):
        return "-" if math.isnan(x) else f"{x:.0%}"

    body = [[r["set"], r["engine"], r["phase"], str(r["records"]), str(r["refused"]), pct(r["median_abs_error"]),
             pct(r["p90_abs_error"]), "-" if math.isnan(r["median_error"]) else f"{r['median_error']:+.0%}"]
            for r in rows]
    return render.table(body, ["set", "engine", "phase", "records", "refused", "median |err|", "p90 |err|",
                               "median err"], align="lllrrrrr")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m paramscope.validation",
                                description="paramscope perf against published speed measurements")
    p.add_argument("--set", choices=SETS, help="only this set")
    p.add_argument("--engine", help="only this engine")
    p.add_argument("--file", help="another measurements TOML")
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    recs = [r for r in load_measurements(a.file) if (not a.set or r["set"] == a.set)
            and (not a.engine or r["engine"] == a.engine)]
    outcomes = evaluate(recs)
    summary = summarize(outcomes)
    if a.json:
        print(json.dumps({"outcomes": [o.to_dict() for o in outcomes], "summary": summary}, indent=1,
                         default=lambda x: None))
        return 0
    print(format_outcomes(outcomes))
    print()
    print(format_summary(summary))
    refused = [o for o in outcomes if o.refused]
    if refused:
        print(f"\nrefused by paramscope ({len(refused)}; counted as failures):")
        for o in refused:
            print(f"  {o.record['id']}: {o.refused}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
