"""Typed, validated access to a config.json dictionary, recording what an adapter read.

Every getter names the file and the field in its error, so a malformed config produces one clear line
("config.json: num_attention_heads: expected an integer >= 1, got -4").

Every getter also records the key it looked at. After an adapter has built its description,
:func:`paramscope.sources.config_keys.check_consumed` walks the keys nobody read: each one is either on
the list of keys known not to change shapes (ids, dropout, initialisation, rope scaling, ...) or the
config is refused with the key and its value named. A key an adapter does not understand therefore
stops the command instead of being silently dropped.

Old and new spellings of a key (transformers config classes' ``attribute_map``, e.g. qwen3_moe's
``num_experts`` -> ``num_local_experts``) are one key here: asking for either finds whichever the file
wrote, and a file that writes both with different values is refused.
"""

from __future__ import annotations

import math

from ..errors import ConfigError
from ..spec import MAX_DIM

_MISSING = object()

#: Keys that count layers: bounded before any per-layer list is built (the deepest released models have
#: about 130 layers; 4096 leaves room for anything real and refuses 2**31 before it allocates).
LAYER_KEYS = frozenset({
    "num_hidden_layers", "n_layer", "n_layers", "num_layers", "num_decoder_layers", "num_encoder_layers",
    "encoder_layers", "decoder_layers", "depth", "block_count", "num_nextn_predict_layers", "num_mtp_layers",
})
MAX_LAYERS = 4096


class Cfg:
    """A read-only view of one config dict (or a nested sub-config such as ``text_config``)."""

    __slots__ = ("data", "origin", "prefix", "aliases", "read", "children")

    def __init__(self, data: dict, origin: str, prefix: str = "", *, aliases: dict | None = None,
                 read: set | None = None):
        if not isinstance(data, dict):
            raise ConfigError(f"{origin}: {prefix.rstrip('.') or 'config'}: expected a JSON object, got {type(data).__name__}")
        self.data = data
        self.origin = origin
        self.prefix = prefix
        self.aliases = aliases if aliases is not None else _aliases_for(data.get("model_type"))
        self.read: set[str] = read if read is not None else set()
        self.children: list[Cfg] = []

    def _err(self, key: str, what: str) -> ConfigError:
        return ConfigError(f"{self.origin}: {self.prefix}{key}: {what}")

    # ------------------------------------------------------------------ lookup (records what is read)

    def _names(self, key: str) -> tuple[str, ...]:
        return self.aliases.get(key, (key,))

    def _get(self, key: str):
        """(the name the file used, value) for ``key`` or any of its aliases; (None, None) when unset."""
        names = self._names(key)
        self.read.update(names)
        found = [(n, self.data[n]) for n in names if self.data.get(n) is not None]
        if not found:
            return None, None
        for n, v in found[1:]:
            if v != found[0][1]:
                raise self._err(found[0][0], f"{found[0][1]!r} contradicts {n}={v!r} (two names for one setting)")
        return found[0]

    def touch(self, *keys: str) -> None:
        """Mark keys as read by an adapter that decided they do not change the description."""
        for k in keys:
            self.read.update(self._names(k))

    def has(self, key: str) -> bool:
        return self._get(key)[0] is not None

    def present(self, key: str) -> bool:
        """Whether the file states ``key`` at all (null included), e.g. to tell null from absent."""
        self.read.update(self._names(key))
        return any(n in self.data for n in self._names(key))

    def raw(self, key: str, default=None):
        v = self._get(key)[1]
        return default if v is None else v

    def first(self, *keys: str):
        """One setting under several names, e.g. ('n_embd', 'hidden_size'): (the first name present, its
        value) or (None, None). Every name counts as read; two names with different values are refused."""
        found = [(name, v) for name, v in (self._get(k) for k in keys) if name is not None]
        for name, v in found[1:]:
            if v != found[0][1]:
                raise self._err(found[0][0], f"{found[0][1]!r} contradicts {name}={v!r} (two names for one setting)")
        return found[0] if found else (None, None)

    # ------------------------------------------------------------------ typed getters

    def int(self, key: str | tuple[str, ...], default=_MISSING, *, minimum: int = 1) -> int:
        keys = (key,) if isinstance(key, str) else key
        k, v = self.first(*keys)
        if k is None:
            if default is _MISSING:
                raise self._err(" or ".join(keys), "required field is missing")
            return default
        return self._as_int(k, v, minimum)

    def opt_int(self, key: str | tuple[str, ...], *, minimum: int = 1) -> int | None:
        return self.int(key, None, minimum=minimum)

    def _as_int(self, key: str, v, minimum: int) -> int:
        if isinstance(v, bool):
            raise self._err(key, f"expected an integer, got {v!r}")
        if isinstance(v, float):
            if not math.isfinite(v) or not v.is_integer():
                raise self._err(key, f"expected an integer, got {v!r}")
            if abs(v) > 2**63:
                raise self._err(key, f"{v!r} is absurdly large (limit {MAX_DIM})")
            v = int(v)
        if not isinstance(v, int):
            raise self._err(key, f"expected an integer, got {v!r}")
        if v < minimum:
            raise self._err(key, f"expected an integer >= {minimum}, got {v}")
        limit = MAX_LAYERS if key.split("[")[0] in LAYER_KEYS else MAX_DIM
        if v > limit:
            raise self._err(key, f"{v} is absurdly large (limit {limit})")
        return v

    def float(self, key: str, default: float | None = None) -> float | None:
        k, v = self._get(key)
        if k is None:
            return default
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise self._err(k, f"expected a number, got {v!r}")
        return float(v)

    def bool(self, key: str, default: bool) -> bool:
        k, v = self._get(key)
        if k is None:
            return default
        if not isinstance(v, bool):
            raise self._err(k, f"expected true or false, got {v!r}")
        return v

    def str(self, key: str, default: str | None = None) -> str | None:
        k, v = self._get(key)
        if k is None:
            return default
        if not isinstance(v, str):
            raise self._err(k, f"expected a string, got {v!r}")
        return v

    def int_list(self, key: str, *, minimum: int = 0) -> list[int] | None:
        k, v = self._get(key)
        if k is None:
            return None
        if not isinstance(v, list):
            raise self._err(k, f"expected a list of integers, got {v!r}")
        if len(v) > MAX_LAYERS * 4:
            raise self._err(k, f"{len(v)} entries is absurdly many")
        return [self._as_int(f"{k}[{i}]", x, minimum) for i, x in enumerate(v)]

    def str_list(self, key: str) -> list[str] | None:
        k, v = self._get(key)
        if k is None:
            return None
        if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
            raise self._err(k, f"expected a list of strings, got {v!r}")
        if len(v) > MAX_LAYERS * 4:
            raise self._err(k, f"{len(v)} entries is absurdly many")
        return v

    # ------------------------------------------------------------------ nested and derived views

    def sub(self, key: str, *, required: bool = True) -> Cfg | None:
        k, v = self._get(key)
        if k is None:
            if required:
                raise self._err(key, "required sub-config is missing")
            return None
        child = Cfg(v, self.origin, f"{self.prefix}{k}.")
        self.children.append(child)
        return child

    def with_data(self, data: dict) -> Cfg:
        """A view of ``data`` (this config with defaults filled in, or keys carried over from a parent)
        that records its reads here, so that keys read through it count as read in this config."""
        view = Cfg(data, self.origin, self.prefix, aliases=self.aliases, read=self.read)
        view.children = self.children
        return view

    def unread(self) -> list[tuple[str, object, str | None]]:
        """(dotted key, value, the sub-config's own model_type) of every non-null key of this config and its
        sub-configs nobody read."""
        own = self.data.get("model_type") if isinstance(self.data.get("model_type"), str) else None
        out = [(self.prefix + k, v, own) for k, v in self.data.items() if k not in self.read and v is not None]
        for child in self.children:
            out.extend(child.unread())
        return out


def _aliases_for(model_type) -> dict[str, tuple[str, ...]]:
    """name -> every name of the same setting, from the config class's attribute_map (data file)."""
    if not isinstance(model_type, str):
        return {}
    from .config_keys import alias_map

    return alias_map(model_type)
