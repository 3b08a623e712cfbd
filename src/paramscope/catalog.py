"""The built-in model catalog: one JSON record per model in data/models/, each holding the model's real
config.json (or, for models without a public checkpoint, a config written from the paper's table) and
its source. Look-up is case-insensitive over ids and aliases; nothing here touches the network.
"""

from __future__ import annotations

import difflib
import functools
from pathlib import Path

from .errors import ConfigError, UnknownModelError

MODELS_DIR = Path(__file__).parent / "data" / "models"


@functools.lru_cache(maxsize=256)
def _read(path: Path) -> dict:
    """One record (cached: the catalog is read-only package data; callers never modify a record)."""
    from .sources.jsonio import read_json

    rec = read_json(path, ConfigError, what="catalog record")
    if not isinstance(rec, dict) or "id" not in rec:
        raise ConfigError(f"{path}: id: a catalog record needs an id")
    return rec


@functools.lru_cache(maxsize=1)
def all_records() -> tuple[dict, ...]:
    return tuple(_read(p) for p in sorted(MODELS_DIR.glob("*.json")))


@functools.lru_cache(maxsize=1)
def _index() -> dict[str, dict]:
    index: dict[str, dict] = {}
    for rec in all_records():
        for key in (rec["id"], *rec.get("aliases", ())):
            index[key.lower()] = rec
    return index


def _normalize(name: str) -> str:
    name = name.strip().lower()
    if name.startswith("hf://"):
        name = name[5:]
    return name


def find(name: str) -> dict | None:
    """The catalog record for an id or alias (case-insensitive), or None."""
    key = _normalize(name)
    # Fast path: the id is the file name; avoids reading the whole catalog on the CLI's hot path.
    if "/" not in key and key and all(ch.isalnum() or ch in "-._" for ch in key):
        path = MODELS_DIR / f"{key}.json"
        try:
            found = len(key) < 200 and path.is_file()
        except OSError:
            found = False
        if found:
            return _read(path)
    return _index().get(key)


def get(name: str) -> dict:
    rec = find(name)
    if rec is None:
        raise UnknownModelError(unknown_message(name))
    return rec


def unknown_message(name: str) -> str:
    keys = list(_index())
    close = difflib.get_close_matches(_normalize(name), keys, n=3, cutoff=0.6)
    hint = f": did you mean {', '.join(close)}?" if close else " (see `paramscope models`)"
    return f"unknown model {name!r}: not a catalog name, a file or directory, or a hub id{hint}"


def search(text: str = "") -> list[dict]:
    """Records whose id, name, aliases or organisation contain every word of ``text``."""
    words = text.lower().split()
    out = []
    for rec in all_records():
        hay = " ".join([rec["id"], rec.get("name", ""), rec.get("org", ""), *rec.get("aliases", ())]).lower()
        if all(w in hay for w in words):
            out.append(rec)
    return out
