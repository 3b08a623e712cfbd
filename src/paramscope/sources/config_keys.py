"""What paramscope knows about config.json keys besides what its adapters read.

- :func:`alias_map`: old and new names of one setting, from transformers' config classes (data file
  ``data/transformers_registry.json``, written by scripts/gen_transformers_registry.py).
- :func:`family_of_class`: the model_types a model class name belongs to, from transformers' auto-model
  mappings (same file).
- :func:`check_consumed`: after an adapter has run, every key nobody read must be on the list of keys
  known not to change any tensor's shape (``data/config_keys.toml``, one reason per group); any other key
  refuses the config with the key and its value named. This is what turns "a key the adapter does not
  understand" from a silently wrong count into a one-line refusal.
"""

from __future__ import annotations

import functools
import json
import tomllib
from pathlib import Path

from ..errors import UnsupportedArchitectureError

_DATA = Path(__file__).resolve().parent.parent / "data"


@functools.cache
def _registry() -> dict:
    return json.loads((_DATA / "transformers_registry.json").read_text(encoding="utf-8"))


@functools.cache
def alias_map(model_type: str) -> dict[str, tuple[str, ...]]:
    """name -> (name, its other spellings) for one model_type; empty when the class declares none."""
    classes: dict[str, set[str]] = {}
    for old, new in _registry()["aliases"].get(model_type, {}).items():
        group = classes.get(old, set()) | classes.get(new, set()) | {old, new}
        for name in group:
            classes[name] = group
    return {k: tuple(sorted(v, key=lambda n: (n != k, n))) for k, v in classes.items()}


def family_of_class(class_name: str) -> tuple[str, ...]:
    """The model_types whose auto-model mappings list ``class_name`` (empty when none does)."""
    return tuple(_registry()["classes"].get(class_name, ()))


@functools.cache
def transformers_model_types() -> frozenset[str]:
    """Every model_type with a class in the auto-model mappings paramscope describes."""
    return frozenset(t for types in _registry()["classes"].values() for t in types)


@functools.cache
def classes_folded() -> dict[str, tuple[str, ...]]:
    """family_of_class keyed by the lower-cased class name (for spellings that differ in case only)."""
    return {k.lower(): tuple(v) for k, v in _registry()["classes"].items()}


def transformers_version() -> str:
    return _registry()["transformers_version"]


@functools.cache
def _ignorable() -> tuple[frozenset, tuple[str, ...], tuple[str, ...], dict[str, frozenset]]:
    data = tomllib.loads((_DATA / "config_keys.toml").read_text(encoding="utf-8"))
    common = data["common"]
    keys = frozenset(k for group in common["keys"].values() for k in group)
    family = {mt: frozenset(v["keys"]) for mt, v in data.get("family", {}).items()}
    return keys, tuple(common["suffixes"]), tuple(common["prefixes"]), family


def shape_neutral(key: str, model_type: str) -> bool:
    """Whether ``key`` is known never to change a tensor's shape (for this model_type)."""
    keys, suffixes, prefixes, family = _ignorable()
    return (key in keys or key.endswith(suffixes) or key.startswith(prefixes)
            or key in family.get(model_type, frozenset()))


def unexplained(cfg, model_type: str) -> list[tuple[str, object]]:
    """Keys of ``cfg`` (a Cfg the adapter read through) that nobody read and that may change shapes."""
    out = []
    for dotted, value, own_type in cfg.unread():
        key = dotted.rsplit(".", 1)[-1]
        if value == {} or value == []:  # an empty object or list states nothing
            continue
        # a sub-config (text_config of a composite) is judged by its own family's list too
        if not shape_neutral(key, model_type) and not (own_type and shape_neutral(key, own_type)):
            out.append((dotted, value))
    return out


def check_consumed(cfg, model_type: str) -> None:
    """Refuse a config that states a key its adapter did not read and that may change shapes."""
    left = unexplained(cfg, model_type)
    if not left:
        return
    key, value = left[0]
    text = json.dumps(value, ensure_ascii=True)
    if len(text) > 60:
        text = text[:57] + "..."
    more = f" (and {len(left) - 1} more: {', '.join(k for k, _ in left[1:4])}{'...' if len(left) > 4 else ''})" \
        if len(left) > 1 else ""
    raise UnsupportedArchitectureError(
        f"{cfg.origin}: {key}={text} may change the architecture and is not understood for {model_type}{more}; "
        "refusing rather than counting without it")
