"""data/engines.toml: every engine constant as ``[engine.key] value = ..., source = ...``."""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

_DATA = Path(__file__).resolve().parent.parent / "data" / "engines.toml"


@functools.lru_cache(maxsize=1)
def engine_data() -> dict:
    with open(_DATA, "rb") as f:
        return tomllib.load(f)


def _record(engine: str, key: str):
    table = engine_data().get(engine.replace(".", "_"), {})
    rec = table.get(key)
    if rec is None:
        raise KeyError(f"engines.toml: [{engine}.{key}] is missing")
    return rec


def engine_const(engine: str, key: str):
    """A named engine constant from data/engines.toml (``[engine.key] value = ..., source = ...``)."""
    rec = _record(engine, key)
    return rec["value"] if isinstance(rec, dict) else rec


def engine_source(engine: str, key: str) -> str:
    rec = _record(engine, key)
    return rec.get("source", "") if isinstance(rec, dict) else ""
