"""One entry point for every source: ``load_model(ref)`` -> :class:`Model`.

``ref`` may be a catalog name or alias, a config.json, a model directory, a safetensors file or
sharded index, a GGUF file, or a Hugging Face Hub id. Every source yields the same description: a
:class:`~paramscope.spec.ModelSpec` (the architecture; ``None`` only when a file carries no
architecture metadata) and an :class:`~paramscope.inventory.Inventory` (the tensors). Analyses read
only these two.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from . import catalog
from .errors import ConfigError, InputError, ParamscopeError, UnknownModelError
from .inventory import Inventory, build_inventory
from .spec import ModelSpec


@dataclass(frozen=True)
class Model:
    name: str
    source: str  # catalog | config | safetensors | gguf | hub | rumour
    spec: ModelSpec | None
    inventory: Inventory
    record: dict | None = field(default=None, repr=False)  # catalog record (id, source, published...)
    origin: str = ""  # file path, hub id or catalog id
    warnings: tuple[str, ...] = ()
    # for a file source: file_bytes (on disk, every part), tensor_bytes (tensor data) and header_bytes (the
    # rest: metadata incl. the tokenizer, tensor index, alignment padding)
    files: dict | None = field(default=None, compare=False)

    @property
    def kind(self) -> str:
        return (self.record or {}).get("kind", "config" if self.source != "rumour" else "rumour")

    def require_spec(self, what: str) -> ModelSpec:
        if self.spec is None:
            raise InputError(f"{self.name}: {what} needs the architecture (attention heads, layers), which "
                             f"this {self.source} source does not describe; give a config.json or a catalog name")
        return self.spec


def from_config(config: dict, *, name: str = "", origin: str = "config.json", source: str = "config",
                record: dict | None = None) -> Model:
    from .sources.hf_config import spec_from_config
    from .sources.quant_config import validate

    validate(config, origin)
    try:
        spec = spec_from_config(config, name=name, origin=origin)
    except ParamscopeError as exc:  # every refusal names the file
        if str(exc).startswith(origin):
            raise
        raise type(exc)(f"{origin}: {exc}") from None
    return Model(spec.name, source, spec, build_inventory(spec), record=record, origin=origin,
                 warnings=spec.warnings)


def from_spec_dict(data: dict, *, origin: str) -> Model:
    """A saved paramscope spec (``paramscope show MODEL --json``); its ``source`` block is ignored."""
    from .specio import from_dict

    spec = from_dict({k: v for k, v in data.items() if k != "source"}, origin)
    return Model(spec.name, "spec", spec, build_inventory(spec), origin=origin, warnings=spec.warnings)


def from_record(rec: dict) -> Model:
    if rec.get("kind") == "rumour":
        return Model(rec.get("name", rec["id"]), "rumour", None, Inventory(()), record=rec, origin=rec["id"])
    cfg = rec.get("config")
    if not isinstance(cfg, dict):
        raise ConfigError(f"catalog record {rec['id']}: config: expected an object")
    return from_config(cfg, name=rec.get("name", rec["id"]), origin=f"catalog:{rec['id']}", source="catalog",
                       record=rec)


MAX_CONFIG_BYTES = 16 * 2**20  # real config.json files are kilobytes


def read_config(path: Path) -> dict:
    """A config.json (or saved spec) through the safe JSON reader: a regular file, bounded size and nesting,
    no duplicate keys, no NaN or overflowing numbers."""
    from .sources.jsonio import read_json

    data = read_json(path, ConfigError, what="JSON", max_bytes=MAX_CONFIG_BYTES)
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a JSON object, got {type(data).__name__}")
    return data


def config_name(cfg: dict, default: str) -> str:
    """The model's display name: ``_name_or_path`` when it is a non-empty string (control characters escaped)."""
    from .render import clean

    name = cfg.get("_name_or_path")
    return clean(name) if isinstance(name, str) and name.strip() else clean(default)


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def load_model(ref: str) -> Model:
    """Resolve a model reference (see module docstring)."""
    if not isinstance(ref, str) or not ref.strip():
        raise InputError("model: expected a catalog name, a path or a hub id")
    if "\x00" in ref:
        raise InputError(f"model: {ref!r}: a name or path cannot contain a NUL character")
    path = Path(os.path.expanduser(ref))
    try:
        exists = os.path.lexists(path)
    except (OSError, ValueError) as exc:
        raise InputError(f"{ref!r:.200}: not a usable path ({exc})") from None
    if exists:
        return _from_path(path)
    rec = catalog.find(ref)
    if rec is not None:
        return _catalog_model(rec["id"], rec)
    if _HUB_ID.match(ref) and not ref.endswith((".json", ".gguf", ".safetensors")):
        from .sources.hub import load_hub

        return load_hub(ref)
    if any(ref.endswith(s) for s in (".json", ".gguf", ".safetensors")) or os.sep in ref:
        raise InputError(f"{ref}: no such file or directory")
    raise UnknownModelError(catalog.unknown_message(ref))


_CATALOG_MODELS: dict[str, Model] = {}


def _catalog_model(model_id: str, rec: dict) -> Model:
    """A catalog model, built once per process: the catalog is read-only package data and a Model is
    immutable, so a long-running process (the web app) answers the next question without rebuilding it."""
    m = _CATALOG_MODELS.get(model_id)
    if m is None:
        m = _CATALOG_MODELS[model_id] = from_record(rec)
    return m


def _from_path(path: Path) -> Model:
    if path.is_dir():
        return _from_dir(path)
    name = path.name
    if name.endswith(".gguf"):
        from .sources.gguf import load_gguf

        return load_gguf(path)
    if name.endswith(".safetensors") or name.endswith(".safetensors.index.json"):
        from .sources.safetensors import load_safetensors

        return load_safetensors(path, config=_config_beside(path))
    if name.endswith(".json"):
        cfg = read_config(path)
        if "paramscope_spec" in cfg:
            return from_spec_dict(cfg, origin=str(path))
        if "weight_map" in cfg:
            from .sources.safetensors import load_safetensors

            return load_safetensors(path, config=_config_beside(path))
        default = path.parent.resolve().name if path.name == "config.json" else path.stem
        return from_config(cfg, name=config_name(cfg, default), origin=str(path))
    raise InputError(f"{path}: expected a config.json, a .safetensors file or index, a .gguf file or a model directory")


def _config_beside(path: Path) -> tuple[dict, Path] | None:
    cfg = path.parent / "config.json"
    return (read_config(cfg), cfg) if os.path.lexists(cfg) else None


def _from_dir(path: Path) -> Model:
    index = path / "model.safetensors.index.json"
    single = path / "model.safetensors"
    cfg = path / "config.json"
    shards = sorted(path.glob("*.safetensors"))
    if index.is_file() or single.is_file() or shards:
        from .sources.safetensors import load_safetensors

        target = index if index.is_file() else (single if single.is_file() else path)
        return load_safetensors(target, config=(read_config(cfg), cfg) if os.path.lexists(cfg) else None)
    if os.path.lexists(cfg):
        data = read_config(cfg)
        return from_config(data, name=config_name(data, path.name), origin=str(cfg))
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        from .sources.gguf import load_gguf

        return load_gguf(ggufs[0])
    raise InputError(f"{path}: a model directory needs config.json, *.safetensors or exactly one *.gguf")
