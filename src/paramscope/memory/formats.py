"""Weight storage formats and schemes (data/quant.toml), and the bytes each tensor takes under them.

A *format* is the storage of one tensor (bf16, fp8 with 128x128 block scales, GPTQ 4-bit g128 with
scales, zeros and g_idx, NF4 with double quantization, MXFP4, a GGUF block type...). A *scheme* says which
format each tensor of a model gets (GPTQ leaves embeddings, head, norms and routers in fp16; gpt-oss
stores only its experts in MXFP4). Schemes are data; this module only interprets them. GGUF presets
(Q4_K_M...) are per-tensor mixes from llama.cpp's rules (paramscope.quant.gguf_mix).
"""

from __future__ import annotations

import fnmatch
import functools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError, UnknownSchemeError
from ..inventory import Tensor
from ..roles import ROLE_GROUPS

DATA = Path(__file__).resolve().parent.parent / "data" / "quant.toml"


@dataclass(frozen=True, slots=True)
class Format:
    """Bits a tensor takes; see the header of data/quant.toml for the meaning of each term."""

    name: str
    bits: float
    group_size: int = 0
    group_bits: float = 0.0
    block_size: int = 0
    block_bits: float = 0.0
    superblock_size: int = 0
    superblock_bits: float = 0.0
    tile: tuple[int, int] | None = None
    tile_bits: float = 0.0
    row_bits: float = 0.0
    col_bits: float = 0.0
    tensor_bytes: int = 0
    gguf_block: tuple[int, int] | None = None  # (weights per block, bytes per block) for GGUF types
    source: str = ""

    def tensor_bits(self, shape: tuple[int, ...]) -> float:
        """Bits of ONE tensor of this logical shape (rows = all leading dims, cols = the last)."""
        numel = math.prod(shape)
        if self.gguf_block is not None:
            per, size = self.gguf_block
            if shape[-1] % per:
                raise InputError(f"{self.name}: row length {shape[-1]} is not a multiple of the block size {per}")
            return numel // per * size * 8
        cols = shape[-1] if shape else 1
        rows = numel // cols if cols else 0
        bits = numel * self.bits
        if self.group_size:
            bits += rows * math.ceil(cols / self.group_size) * self.group_bits
        if self.block_size:
            blocks = math.ceil(numel / self.block_size)
            bits += blocks * self.block_bits
            if self.superblock_size:
                bits += math.ceil(blocks / self.superblock_size) * self.superblock_bits
        if self.tile is not None:
            bits += math.ceil(rows / self.tile[0]) * math.ceil(cols / self.tile[1]) * self.tile_bits
        bits += rows * self.row_bits + cols * self.col_bits + self.tensor_bytes * 8
        return bits

    def tensor_bytes_of(self, shape: tuple[int, ...]) -> int:
        return math.ceil(self.tensor_bits(shape) / 8)


@functools.lru_cache(maxsize=1)
def _registry() -> dict:
    with open(DATA, "rb") as f:
        return tomllib.load(f)


@functools.cache
def get_format(name: str) -> Format:
    key = name.lower()
    reg = _registry()["formats"]
    if key in reg:
        rec = dict(reg[key])
        if "tile" in rec:
            rec["tile"] = tuple(rec["tile"])
        return Format(name=key, **rec)
    if key.startswith("gguf:"):
        from ..sources import ggml_types

        t = ggml_types.by_name(name[5:].upper())
        return Format(name=f"gguf:{t.name}", bits=t.type_size * 8 / t.block_size, gguf_block=(t.block_size, t.type_size),
                      source="ggml_types.toml")
    m = re.fullmatch(r"(gptq|awq|hqq)-(\d)-g(\d+)", key)
    if m:  # parametric families, same packing as the registry entries
        kind, bits, group = m.group(1), int(m.group(2)), int(m.group(3))
        meta = {"gptq": 16 + bits, "awq": 16 + bits, "hqq": 32}[kind]
        return Format(name=key, bits=bits, group_size=group, group_bits=meta, col_bits=32 if kind == "gptq" else 0,
                      source=f"{kind} {bits}-bit, group {group} (packing as in data/quant.toml)")
    raise UnknownSchemeError(f"unknown storage format {name!r}")


def dtype_bits(name: str) -> float:
    """Bits per element of an activation / KV-cache dtype (GGUF cache types include block metadata)."""
    table = _registry()["dtypes"]
    key = name.lower().replace("float", "fp").replace("bfp16", "bf16")
    key = {"fp32": "fp32", "fp16": "fp16", "half": "fp16", "float16": "fp16", "bfloat16": "bf16",
           "f32": "fp32", "f16": "fp16", "auto": "auto"}.get(key, key)
    if key not in table or key == "source":
        raise UnknownSchemeError(f"unknown dtype {name!r} (known: {', '.join(k for k in table if k != 'source')})")
    return float(table[key])


# --------------------------------------------------------------------------------------------------
# Schemes


@dataclass(frozen=True, slots=True)
class Rule:
    format: str
    roles: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    components: tuple[str, ...] = ()
    ndim: int | None = None
    layers: tuple[str, ...] = ()  # "first", "last"

    def matches(self, t: Tensor, layer: int | None, n_layers: int) -> bool:
        if self.ndim is not None and len(t.shape) != self.ndim:
            return False
        if self.roles and not any(fnmatch.fnmatchcase(t.role, p) for p in self.roles):
            return False
        if self.groups and ROLE_GROUPS[t.role] not in self.groups:
            return False
        if self.components and t.component not in self.components:
            return False
        if self.layers:
            if layer is None:
                return False
            ok = ("first" in self.layers and layer == 0) or ("last" in self.layers and layer == n_layers - 1)
            if not ok:
                return False
        return True


@dataclass(frozen=True, slots=True)
class Scheme:
    name: str
    description: str
    rules: tuple[Rule, ...]
    keep: str = "bf16"
    source: str = ""

    def format_for(self, t: Tensor, layer: int | None = None, n_layers: int = 0) -> Format:
        for r in self.rules:
            if r.matches(t, layer, n_layers):
                return get_format(self.keep if r.format == "keep" else r.format)
        return get_format(self.keep)

    @property
    def layer_dependent(self) -> bool:
        return any(r.layers for r in self.rules)


def _rule(d: dict) -> Rule:
    m = d.get("match", {})
    as_tuple = lambda v: tuple(v) if isinstance(v, list) else ((v,) if v else ())  # noqa: E731
    return Rule(format=d["format"], roles=as_tuple(m.get("roles")), groups=as_tuple(m.get("groups")),
                components=as_tuple(m.get("component")), ndim=m.get("ndim"), layers=as_tuple(m.get("layers")))


@functools.cache
def get_scheme(name: str) -> Scheme:
    key = name.lower()
    schemes = _registry()["schemes"]
    if key in schemes:
        rec = schemes[key]
        return Scheme(key, rec.get("description", ""), tuple(_rule(r) for r in rec["rules"]),
                      keep=rec.get("keep", "bf16"), source=rec.get("source", ""))
    raise UnknownSchemeError(f"unknown weight scheme {name!r}; known: {', '.join(scheme_names())}")


def scheme_names() -> list[str]:
    return sorted(_registry()["schemes"])


def exl2_scheme(bpw: float, head_bits: int | None = None) -> tuple[float, float]:
    """EXL2 (exllamav2 doc/convert.md): `bpw` is the average over the quantized layers, overhead included;
    the head is quantized to `head_bits` (default 6, about 6.3 effective); embeddings stay fp16.
    Returns (body bits per weight, head bits per weight)."""
    reg = _registry()["exl2"]
    hb = head_bits if head_bits is not None else reg["head_bits_default"]
    eff = reg["head_bits_effective"].get(str(hb))
    if eff is None:
        raise InputError(f"exl2 head bits must be one of {', '.join(reg['head_bits_effective'])}, got {hb}")
    if not 1.5 <= bpw <= 8.5:
        raise InputError(f"exl2 target bits per weight must be between 1.5 and 8.5, got {bpw}")
    return bpw, eff
