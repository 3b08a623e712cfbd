"""A config.json's ``quantization_config``, validated once (every reader of it goes through here).

GPTQ (auto-gptq / GPTQModel) and AWQ (AutoAWQ) pack ``bits``-bit integers into int32 words: 32 values in
``bits`` words, so a packed dimension holds exactly ``32 / bits`` times fewer rows (bits 2, 4, 8: 16, 8, 4
values per word; bits 3: 32 values in 3 words, auto-gptq ``QuantLinear.pack``). Other widths are refused.
"""

from __future__ import annotations

from ..errors import ConfigError

PACKED_BITS = (2, 3, 4, 8)
_PACKED_METHODS = ("gptq", "gptqmodel", "awq", "")


def quantization(config: dict | None, origin: str) -> dict:
    """The quantization_config object ({} when absent or null); refuses a value that is not an object."""
    q = (config or {}).get("quantization_config") if isinstance(config, dict) else None
    if q is None:
        return {}
    if not isinstance(q, dict):
        raise ConfigError(f"{origin}: quantization_config: expected an object, got {type(q).__name__} {q!r:.60}")
    method = q.get("quant_method", "")
    if method is not None and not isinstance(method, str):
        raise ConfigError(f"{origin}: quantization_config.quant_method: expected a string, got {method!r:.60}")
    return q


def method(q: dict) -> str:
    return str(q.get("quant_method") or "").lower()


def packed_bits(q: dict, origin: str) -> int:
    """Bits per packed GPTQ / AWQ weight (``bits``, AutoAWQ's ``w_bit``; 4 when unstated)."""
    key = "bits" if q.get("bits") is not None else "w_bit"
    bits = q.get(key)
    if bits is None:
        return 4
    if isinstance(bits, bool) or not isinstance(bits, int) or bits not in PACKED_BITS:
        raise ConfigError(f"{origin}: quantization_config.{key}: expected one of 2, 3, 4, 8 (bits per packed "
                          f"weight), got {bits!r:.60}")
    return bits


def group_size(q: dict, origin: str) -> int:
    g = q.get("group_size", q.get("q_group_size", 128))
    if g is None:
        return 128
    if isinstance(g, bool) or not isinstance(g, int) or not (g == -1 or 1 <= g <= 2**31):
        raise ConfigError(f"{origin}: quantization_config.group_size: expected -1 or a positive integer, "
                          f"got {g!r:.60}")
    return g


def validate(config: dict | None, origin: str) -> dict:
    """Check every field paramscope reads; returns the quantization_config ({} when absent)."""
    q = quantization(config, origin)
    if q and method(q) in _PACKED_METHODS:
        packed_bits(q, origin)
        group_size(q, origin)
    return q
