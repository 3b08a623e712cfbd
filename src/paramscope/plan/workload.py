"""What the planner serves: request lengths (fixed, lognormal, or an empirical trace), the arrival process,
and the service-level objectives (SLOs) a plan must meet."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError, InputError

MAX_TRACE_BYTES = 64 * 1024 * 1024  # a trace file larger than this is refused (bounded memory)
MAX_TRACE_ROWS = 1_000_000
MAX_TOKENS = 10_000_000  # one request's prompt or output above this is a unit mistake

# The seed's latency tiers (seed 001: "real time < 100 ms, near real time < 1 s, batch < 10 s"), read as
# bounds on the 90th-percentile time to first token -- the latency a streaming user perceives.
TIERS = {"realtime": 0.1, "real-time": 0.1, "near-realtime": 1.0, "near-real-time": 1.0, "batch": 10.0}
TIER_PERCENTILE = 90.0


@dataclass(frozen=True)
class Slo:
    metric: str  # ttft | tpot | e2e
    percentile: float  # 0 < p <= 100
    seconds: float

    def to_dict(self) -> dict:
        return {"metric": self.metric, "percentile": self.percentile, "seconds": self.seconds}

    def describe(self) -> str:
        return f"{self.metric.upper()} p{self.percentile:g} <= {_ms(self.seconds)}"


def _ms(s: float) -> str:
    return f"{s * 1e3:,.0f} ms" if s < 10 else f"{s:,.1f} s"


_DUR = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*(ms|s|us|µs|m|min)?\s*$", re.I)


def parse_duration(text: str, what: str) -> float:
    m = _DUR.match(str(text))
    if not m:
        raise InputError(f"{what}: expected a duration such as 500ms or 1.5s, got {text!r}")
    v = float(m.group(1))
    unit = (m.group(2) or "s").lower()
    v *= {"ms": 1e-3, "s": 1.0, "us": 1e-6, "µs": 1e-6, "m": 60.0, "min": 60.0}[unit]
    if not (v > 0 and math.isfinite(v)):
        raise InputError(f"{what}: a latency bound must be > 0, got {text!r}")
    return v


def parse_slo(metric: str, text: str) -> Slo:
    """``p90:500ms`` (percentile, bound) or ``500ms`` (the median)."""
    t = str(text).strip()
    p = 50.0
    if ":" in t:
        head, t = t.split(":", 1)
        head = head.strip().lower()
        if not head.startswith("p"):
            raise InputError(f"{metric} objective: expected pNN:DURATION such as p90:500ms, got {text!r}")
        try:
            p = float(head[1:])
        except ValueError:
            raise InputError(f"{metric} objective: bad percentile {head!r} in {text!r}") from None
        if not 0 < p <= 100:
            raise InputError(f"{metric} objective: the percentile must be in (0, 100], got {p:g}")
    return Slo(metric, p, parse_duration(t, f"{metric} objective"))


def tier_slo(name: str) -> Slo:
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key not in TIERS:
        raise InputError(f"unknown latency tier {name!r} (realtime < 100 ms, near-realtime < 1 s, batch < 10 s)")
    return Slo("ttft", TIER_PERCENTILE, TIERS[key])


@dataclass(frozen=True)
class Lengths:
    """Request lengths. ``kind``: fixed (prompt, gen), lognormal (medians prompt, gen with a spread sigma of
    log-length), or empirical (the pairs of a trace)."""

    kind: str
    prompt: int
    gen: int
    prompt_sigma: float = 0.0
    gen_sigma: float = 0.0
    pairs: tuple = ()  # empirical (prompt, gen) pairs
    max_context: int | None = None  # lognormal draws are clipped to this many tokens in all

    def sample(self, n: int, rng):
        import numpy as np

        if self.kind == "fixed":
            return np.full(n, self.prompt), np.full(n, self.gen)
        if self.kind == "empirical":
            idx = rng.integers(0, len(self.pairs), n)
            arr = np.asarray(self.pairs, dtype=np.int64)
            return arr[idx, 0], arr[idx, 1]
        p = np.maximum(1, np.rint(self.prompt * np.exp(rng.normal(0, self.prompt_sigma, n)))).astype(np.int64)
        g = np.maximum(1, np.rint(self.gen * np.exp(rng.normal(0, self.gen_sigma, n)))).astype(np.int64)
        if self.max_context:
            p = np.minimum(p, self.max_context - 1)
            g = np.minimum(g, self.max_context - p)
        return p, g

    def quantiles(self, q: float, rng=None) -> tuple[float, float, float, float]:
        """(mean prompt, mean gen, prompt at quantile q, gen at quantile q), from a fixed sample."""
        import numpy as np

        rng = rng or np.random.default_rng(12345)
        p, g = self.sample(20000, rng)
        return float(p.mean()), float(g.mean()), float(np.quantile(p, q)), float(np.quantile(g, q))

    def longest(self) -> int:
        """Tokens per sequence the KV cache must hold for (nearly) every request: the 99.9th percentile of
        prompt + output, or the largest pair of a trace / the fixed pair."""
        if self.kind == "fixed":
            return self.prompt + self.gen
        if self.kind == "empirical":
            return max(p + g for p, g in self.pairs)
        import numpy as np

        p, g = self.sample(20000, np.random.default_rng(12345))
        return int(np.quantile(p + g, 0.999)) + 1

    def to_dict(self) -> dict:
        d = {"kind": self.kind, "prompt_tokens": self.prompt, "gen_tokens": self.gen}
        if self.kind == "lognormal":
            d |= {"prompt_sigma": self.prompt_sigma, "gen_sigma": self.gen_sigma}
        if self.kind == "empirical":
            d["pairs"] = len(self.pairs)
        return d


def fixed_lengths(prompt: int, gen: int) -> Lengths:
    for name, v in (("prompt", prompt), ("generation", gen)):
        if not 1 <= v <= MAX_TOKENS:
            raise InputError(f"{name} length must be between 1 and {MAX_TOKENS:,} tokens, got {v}")
    return Lengths("fixed", prompt, gen)


def lognormal_lengths(prompt: int, gen: int, prompt_sigma: float, gen_sigma: float,
                      max_context: int | None = None) -> Lengths:
    fixed_lengths(prompt, gen)
    for name, s in (("prompt spread", prompt_sigma), ("output spread", gen_sigma)):
        if not 0 <= s <= 3:
            raise InputError(f"{name} (sigma of log-length) must be between 0 and 3, got {s}")
    return Lengths("lognormal", prompt, gen, prompt_sigma, gen_sigma, (), max_context)


def read_trace(path: str | Path) -> Lengths:
    """A trace of request lengths: CSV/TSV/whitespace lines ``prompt,output`` (a header line allowed) or JSON
    lines with ``prompt_tokens``/``output_tokens`` (or ``input_length``/``output_length``). Bounded: at most
    MAX_TRACE_BYTES and MAX_TRACE_ROWS rows."""
    import json

    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read trace file {str(path)!r}: {exc.strerror}") from None
    if size > MAX_TRACE_BYTES:
        raise FileFormatError(f"trace file {p.name} is {size:,} bytes; at most {MAX_TRACE_BYTES:,} are read")
    pairs = []
    with open(p, "rb") as f:
        raw = f.read(MAX_TRACE_BYTES + 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise FileFormatError(f"trace file {p.name} is not UTF-8 text") from None
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if len(pairs) >= MAX_TRACE_ROWS:
            raise FileFormatError(f"trace file {p.name} has more than {MAX_TRACE_ROWS:,} rows")
        if line.startswith("{"):
            try:
                d = json.loads(line)
                a = d.get("prompt_tokens", d.get("input_length", d.get("prompt_len")))
                b = d.get("output_tokens", d.get("output_length", d.get("output_len")))
            except (ValueError, AttributeError):
                raise FileFormatError(f"{p.name} line {n}: not a JSON object") from None
            vals = [a, b]
        else:
            vals = re.split(r"[,\t ;]+", line)[:2]
        try:
            a, b = (int(float(v)) for v in vals)
            if any(not float(v).is_integer() for v in vals):
                raise ValueError
        except (TypeError, ValueError):
            if n == 1 and not pairs:
                continue  # a header line
            raise FileFormatError(f"{p.name} line {n}: expected two token counts (prompt, output)") from None
        if not (1 <= a <= MAX_TOKENS and 1 <= b <= MAX_TOKENS):
            raise FileFormatError(f"{p.name} line {n}: token counts must be between 1 and {MAX_TOKENS:,}")
        pairs.append((a, b))
    if not pairs:
        raise FileFormatError(f"trace file {p.name} holds no (prompt, output) pairs")
    import statistics

    return Lengths("empirical", int(statistics.median(a for a, _ in pairs)),
                   int(statistics.median(b for _, b in pairs)), pairs=tuple(pairs))
