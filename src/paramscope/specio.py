"""ModelSpec <-> JSON. A saved spec (``paramscope show MODEL --json``'s ``spec`` object, or a file with
``"paramscope_spec": 1``) is itself a model source: edit a field and re-run any analysis on it.

Identical layers are written once (``layer_kinds``) and referenced by index (``layers``), so the file
stays small and reading it back restores the shared objects the inventory groups by.
"""

from __future__ import annotations

import dataclasses
import types
import typing

from .errors import ConfigError
from .spec import (
    AttentionSpec,
    EmbeddingSpec,
    ExtraTensor,
    HeadSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    MoeSpec,
    NormSpec,
    RecurrentSpec,
    SsmSpec,
    StackSpec,
)

FORMAT_VERSION = 1


def to_dict(spec: ModelSpec) -> dict:
    stacks = []
    for s in spec.stacks:
        kinds: list[LayerSpec] = []
        ids: dict[int, int] = {}
        index = []
        for layer in s.layers:
            k = ids.get(id(layer))
            if k is None:
                k = ids[id(layer)] = len(kinds)
                kinds.append(layer)
            index.append(k)
        d = _plain(s, skip=("layers",))
        d["layer_kinds"] = [_plain(k) for k in kinds]
        d["layers"] = index
        stacks.append(d)
    out = {"paramscope_spec": FORMAT_VERSION}
    out.update(_plain(spec, skip=("stacks",)))
    out["stacks"] = stacks
    return out


def _plain(obj, skip=()) -> dict:
    out = {}
    for f in dataclasses.fields(obj):
        if f.name in skip:
            continue
        out[f.name] = _value(getattr(obj, f.name))
    return out


def _value(v):
    if dataclasses.is_dataclass(v):
        d = _plain(v)
        if isinstance(v, (MlpSpec, MoeSpec)):
            d["type"] = type(v).__name__
        return d
    if isinstance(v, tuple):
        return [_value(x) for x in v]
    return v


def from_dict(d: dict, origin: str = "spec") -> ModelSpec:
    if not isinstance(d, dict) or d.get("paramscope_spec") != FORMAT_VERSION:
        raise ConfigError(f"{origin}: paramscope_spec: expected {FORMAT_VERSION}")
    try:
        stacks = []
        for s in d["stacks"]:
            kinds = [_build(LayerSpec, k, origin) for k in s["layer_kinds"]]
            layers = tuple(kinds[i] for i in s["layers"])
            fields = {k: v for k, v in s.items() if k not in ("layer_kinds", "layers")}
            stacks.append(_build(StackSpec, {**fields, "layers": layers}, origin))
        fields = {k: v for k, v in d.items() if k not in ("paramscope_spec", "stacks")}
        return _build(ModelSpec, {**fields, "stacks": tuple(stacks)}, origin)
    except (KeyError, IndexError, TypeError) as exc:
        raise ConfigError(f"{origin}: malformed paramscope spec ({type(exc).__name__}: {exc})") from None


_CLASSES = {c.__name__: c for c in (AttentionSpec, EmbeddingSpec, ExtraTensor, HeadSpec, LayerSpec, MlpSpec,
                                    MoeSpec, NormSpec, RecurrentSpec, SsmSpec, StackSpec)}


def _build(cls, data, origin):
    if isinstance(data, cls):
        return data
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected an object for {cls.__name__}, got {data!r}")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    names = {f.name for f in dataclasses.fields(cls)}
    for k, v in data.items():
        if k == "type":
            continue
        if k not in names:
            raise ConfigError(f"{origin}: {cls.__name__}.{k}: unknown field")
        kwargs[k] = _convert(hints[k], v, origin)
    return cls(**kwargs)


def _convert(hint, v, origin):
    if v is None:
        return None
    origin_t = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin_t in (typing.Union, types.UnionType):
        if isinstance(v, dict) and "type" in v and v["type"] in _CLASSES:
            return _build(_CLASSES[v["type"]], v, origin)
        for a in args:
            if a is type(None):
                continue
            if dataclasses.is_dataclass(a) and isinstance(v, dict):
                return _build(a, v, origin)
            if a is dict and isinstance(v, dict):
                return v
        return _convert(next(a for a in args if a is not type(None)), v, origin)
    if origin_t is tuple:
        inner = args[0] if args else object
        return tuple(_convert(inner, x, origin) for x in v)
    if dataclasses.is_dataclass(hint):
        return _build(hint, v, origin)
    return v
