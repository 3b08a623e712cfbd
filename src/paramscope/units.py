"""Parsing and formatting of counts, bytes, FLOPs and durations.

Internally everything is an int or float in base units (parameters, bytes, FLOPs, seconds).
Units appear only at the edge: GB (1e9) and GiB (2**30) are always both shown and labelled.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal

from .errors import InputError

# Decimal multipliers for counts ("7B" parameters, "2T" tokens, "32k" context).
_COUNT_SUFFIX = {
    "": 1,
    "k": 10**3,
    "m": 10**6,
    "b": 10**9,
    "g": 10**9,
    "t": 10**12,
    "p": 10**15,
}
# Binary context sizes are common ("32k" context is usually 32768); callers choose via `binary_k`.
_BYTES_SUFFIX = {
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}

_NUM_RE = re.compile(r"^\s*([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)\s*([A-Za-z]*)\s*$")

GB = 10**9
GIB = 2**30


MAX_COUNT = 10**18  # larger counts mean nothing here and only make later arithmetic slow or overflow


def _exact(number: str, mult: int, what: str, text: object) -> Decimal:
    try:
        value = Decimal(number) * mult
    except (ArithmeticError, ValueError):
        raise InputError(f"{what}: expected a number, got {text!r}") from None
    if value > MAX_COUNT:
        raise InputError(f"{what}: {text!r} is absurdly large (limit {MAX_COUNT:.0e})")
    return value


def _int(value: Decimal, what: str, text: object, minimum: int | None) -> int:
    if value != value.to_integral_value():
        raise InputError(f"{what}: expected a whole number, got {text!r}")
    out = int(value)
    if minimum is not None and out < minimum:
        raise InputError(f"{what}: expected an integer >= {minimum}, got {text!r}")
    return out


def parse_count(text: str | int | float, *, what: str = "value", binary_k: bool = False,
                minimum: int | None = None) -> int:
    """Parse '7B', '2T', '1.5e12', '32k' (decimal; 32768 when binary_k and the suffix is k) into an int.

    The result must be a whole number (``2.5`` is refused, never rounded), finite and at most MAX_COUNT;
    with ``minimum`` it must also be at least that.
    """
    if isinstance(text, bool):
        raise InputError(f"{what}: expected a number, got {text!r}")
    if isinstance(text, int):
        return _int(_exact(str(text), 1, what, text), what, text, minimum)
    if isinstance(text, float):
        if not math.isfinite(text):
            raise InputError(f"{what}: expected a finite number, got {text!r}")
        return _int(_exact(repr(text), 1, what, text), what, text, minimum)
    m = _NUM_RE.match(str(text))
    if not m:
        raise InputError(f"{what}: expected a number such as 7B, 2T, 32k or 1.5e12, got {text!r}")
    number, suffix = m.groups()
    key = suffix.lower()
    if key not in _COUNT_SUFFIX:
        raise InputError(f"{what}: unknown suffix {suffix!r} in {text!r} (use k, M, B, T)")
    mult = 1024 if (binary_k and key == "k") else _COUNT_SUFFIX[key]
    return _int(_exact(number, mult, what, text), what, text, minimum)


def parse_float(text: str | int | float, *, what: str = "value") -> float:
    """Parse a plain float (no suffix), or a suffixed count like '3e23' / '1.2T'."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        try:
            value = float(text)
        except OverflowError:
            raise InputError(f"{what}: expected a finite number, got {text!r}") from None
    else:
        m = _NUM_RE.match(str(text))
        if not m:
            raise InputError(f"{what}: expected a number, got {text!r}")
        number, suffix = m.groups()
        key = suffix.lower()
        if key not in _COUNT_SUFFIX:
            raise InputError(f"{what}: unknown suffix {suffix!r} in {text!r}")
        value = float(number) * _COUNT_SUFFIX[key]
    if not math.isfinite(value):
        raise InputError(f"{what}: expected a finite number, got {text!r}")
    return value


def parse_bytes(text: str | int, *, what: str = "size") -> int:
    """Parse '80GB' (1e9), '80GiB' (2**30), '24G' (treated as GB) or a plain byte count (a whole number)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return _int(_exact(str(text), 1, what, text), what, text, 0)
    m = _NUM_RE.match(str(text))
    if not m:
        raise InputError(f"{what}: expected a size such as 80GB or 24GiB, got {text!r}")
    number, suffix = m.groups()
    key = suffix.lower()
    if key in ("", "b"):
        mult = 1
    elif key in _BYTES_SUFFIX:
        mult = _BYTES_SUFFIX[key]
    elif key in ("k", "m", "g", "t"):
        mult = _BYTES_SUFFIX[key + "b"]
    else:
        raise InputError(f"{what}: unknown unit {suffix!r} in {text!r} (use GB or GiB)")
    value = _exact(number, mult, what, text)
    return int(value) if value == value.to_integral_value() else round(value)


def human_count(n: float, digits: int = 3) -> str:
    """6738415616 -> '6.74B'; 124439808 -> '124M'. Decimal (1e3) steps."""
    n = float(n)
    sign = "-" if n < 0 else ""
    n = abs(n)
    units = ((1e15, "P"), (1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K"))
    for i, (div, suffix) in enumerate(units):
        if n >= div:
            text = _sig(n / div, digits)
            if float(text) >= 1000 and i > 0:  # 999.7M rounds to "1000M": say 1.00B
                div, suffix = units[i - 1]
                text = _sig(n / div, digits)
            return f"{sign}{text}{suffix}"
    return f"{sign}{int(n)}" if n == int(n) else f"{sign}{_sig(n, digits)}"


def _sig(value: float, digits: int) -> str:
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.{max(digits - 2, 0)}f}"
    return f"{value:.{max(digits - 1, 0)}f}"


def human_bytes(n: float) -> str:
    """Both units, labelled: '14.0 GB / 13.0 GiB'."""
    return f"{fmt_gb(n)} / {fmt_gib(n)}"


def fmt_gb(n: float) -> str:
    return f"{n / GB:,.2f} GB"


def fmt_gib(n: float) -> str:
    return f"{n / GIB:,.2f} GiB"


def human_flops(n: float) -> str:
    for div, suffix in ((1e24, "YFLOP"), (1e21, "ZFLOP"), (1e18, "EFLOP"), (1e15, "PFLOP"),
                        (1e12, "TFLOP"), (1e9, "GFLOP"), (1e6, "MFLOP")):
        if abs(n) >= div:
            return f"{n / div:.3g} {suffix} ({n:.3e})"
    return f"{n:.3g} FLOP"


def human_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.1f} µs"
    if s < 1:
        return f"{s * 1e3:.1f} ms"
    if s < 120:
        return f"{s:.2f} s"
    if s < 7200:
        return f"{s / 60:.1f} min"
    if s < 3 * 86400:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"
