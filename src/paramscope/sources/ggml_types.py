"""The ggml tensor types (data/ggml_types.toml): weights per block and bytes per block.

One record per value of ``enum ggml_type`` (ggml include/ggml.h); the block sizes are the
``static_assert(sizeof(block_*) == ...)`` lines of ggml src/ggml-common.h. A GGUF tensor of type T with
``numel`` elements takes ``numel / T.block_size * T.type_size`` bytes, and its row length (ne0) must be a
multiple of ``T.block_size``.

    >>> from paramscope.sources.ggml_types import by_name
    >>> t = by_name("Q4_K")
    >>> t.id, t.block_size, t.type_size, t.bits_per_weight
    (12, 256, 144, 4.5)

The table is read lazily (``GGML_TYPES`` and :func:`by_name` load it on first use); standard library only.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError, UnknownSchemeError

DATA_PATH = Path(__file__).resolve().parent.parent / "data" / "ggml_types.toml"

__all__ = ["GgmlType", "by_name", "by_id", "load", "GGML_TYPES"]

GGML_TYPES: dict[int, GgmlType]  # type id -> type; a bare annotation: the value comes from __getattr__


@dataclass(frozen=True)
class GgmlType:
    name: str  # enum name without GGML_TYPE_, e.g. "Q4_K"
    id: int  # enum ggml_type value, as stored in GGUF tensor infos
    block_size: int  # weights per block
    type_size: int  # bytes per block
    bits_per_weight: float  # type_size * 8 / block_size
    source: str
    layout: str = ""
    note: str = ""

    def nbytes(self, numel: int) -> int:
        """Bytes of ``numel`` weights; ``numel`` must be a whole number of blocks."""
        blocks, rest = divmod(numel, self.block_size)
        if rest:
            raise ValueError(f"{numel} elements is not a multiple of {self.name}'s block size {self.block_size}")
        return blocks * self.type_size


def _record(rec: dict, where: str) -> GgmlType:
    try:
        t = GgmlType(**rec)
    except TypeError as exc:
        raise ConfigError(f"{where}: bad record {rec.get('name')!r}: {exc}") from None
    if not (isinstance(t.id, int) and isinstance(t.block_size, int) and isinstance(t.type_size, int)):
        raise ConfigError(f"{where}: {t.name}: id, block_size and type_size must be integers")
    if t.block_size < 1 or t.type_size < 1 or t.id < 0:
        raise ConfigError(f"{where}: {t.name}: id must be >= 0, block_size and type_size >= 1")
    if t.bits_per_weight != t.type_size * 8 / t.block_size:
        raise ConfigError(f"{where}: {t.name}: bits_per_weight must equal type_size * 8 / block_size "
                          f"({t.type_size * 8 / t.block_size}), got {t.bits_per_weight}")
    if not t.source:
        raise ConfigError(f"{where}: {t.name}: a source is required")
    return t


@functools.cache
def load(path: Path = DATA_PATH) -> dict[int, GgmlType]:
    """The table keyed by type id, in file order; validated (unique ids and names, consistent bits)."""
    with open(path, "rb") as f:
        records = tomllib.load(f).get("type", [])
    table: dict[int, GgmlType] = {}
    names: set[str] = set()
    for rec in records:
        t = _record(rec, path.name)
        if t.id in table or t.name in names:
            raise ConfigError(f"{path.name}: duplicate ggml type {t.name} (id {t.id})")
        table[t.id] = t
        names.add(t.name)
    return table


@functools.cache
def _by_upper_name() -> dict[str, GgmlType]:
    return {t.name.upper(): t for t in load().values()}


def by_name(name: str) -> GgmlType:
    """The type called ``name`` (case-insensitive: "q4_k" and "Q4_K" are the same); unknown names raise."""
    t = _by_upper_name().get(name.strip().upper())
    if t is None:
        raise UnknownSchemeError(f"unknown ggml type {name!r}; known: {', '.join(t.name for t in load().values())}")
    return t


def by_id(type_id: int) -> GgmlType | None:
    """The type with enum value ``type_id``, or None (removed or unknown ids)."""
    return load().get(type_id)


def __getattr__(name: str):  # PEP 562: GGML_TYPES is built on first access
    if name == "GGML_TYPES":
        return load()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
