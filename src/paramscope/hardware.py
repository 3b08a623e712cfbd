"""The accelerator catalog (data/hardware.toml) and user-supplied hardware files.

Each record is one device: an NVIDIA/AMD GPU, a TPU chip, an Apple SoC or a CPU. Figures carry their
units in the field name (``memory_bytes``, ``memory_bandwidth_bytes_per_s``, ``peak_flops_per_s``,
``tdp_w``) and every figure has a source. Peaks are DENSE (never the "with sparsity" datasheet rows).
``memory_bytes`` is the total the DRIVER reports (nvidia-smi memory.total, rocm-smi VRAM total, Metal's
recommendedMaxWorkingSetSize), not the marketed "80 GB" (kept as ``memory_marketing_gb``); docs/hardware.md.

    >>> from paramscope.hardware import get_hardware, peak_flops
    >>> hw = get_hardware("H100")
    >>> hw.id, peak_flops(hw, "bf16")
    ('h100-sxm', 989400000000000.0)

User files use the same schema, in TOML (``[[hardware]]`` tables) or JSON (``{"hardware": [...]}`` or a
list of records); :func:`validate_record` checks both. Look-up is case-insensitive over ids and aliases,
with spaces and underscores read as hyphens ("RTX 4090" finds ``rtx-4090``); nothing is guessed beyond
that. This module imports only the standard library (it is on the CLI's start-up path).
"""

from __future__ import annotations

import difflib
import functools
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError, InputError, UnknownHardwareError, UnknownSchemeError

CATALOG_PATH = Path(__file__).resolve().parent / "data" / "hardware.toml"

#: Peak-throughput dtypes, a closed set. int8/int4 peaks are OP/s, the others FLOP/s.
DTYPES = ("fp32", "tf32", "bf16", "fp16", "fp8", "int8", "int4", "fp4")
_DTYPE_SPELLINGS = {
    "float32": "fp32",
    "f32": "fp32",
    "bfloat16": "bf16",
    "float16": "fp16",
    "f16": "fp16",
    "half": "fp16",
    "float8": "fp8",
    "f8": "fp8",
    "fp8_e4m3": "fp8",
    "fp8_e5m2": "fp8",
    "e4m3": "fp8",
    "e5m2": "fp8",
    "float4": "fp4",
    "nvfp4": "fp4",
    "mxfp4": "fp4",
}

VENDORS = ("nvidia", "amd", "google", "apple", "intel", "aws", "generic", "other")

#: Where a record's ``memory_bytes`` comes from (the tool or document that reports it). Driver-reported
#: figures first; "vendor-doc" and "estimate" are for devices without a public driver figure (such records
#: carry ``memory_uncertain = true``). "measured" is what `paramscope calibrate` writes.
MEMORY_SOURCES = ("nvidia-smi", "deviceQuery", "torch", "rocm-smi", "metal", "os", "vendor-doc", "estimate",
                  "measured")
KINDS = ("gpu", "tpu", "apple", "cpu", "accelerator")

# Sanity ranges: a value outside is almost always a unit mistake (GB/s typed as bytes/s, TFLOPS as FLOP/s).
MEMORY_RANGE_BYTES = (1e9, 1e13)
BANDWIDTH_RANGE_BYTES_PER_S = (1e10, 1e14)
PEAK_RANGE_FLOPS_PER_S = (1e11, 1e17)
LINK_RANGE_BYTES_PER_S = (1e9, 1e14)
TDP_RANGE_W = (1.0, 1e4)
PRICE_RANGE_USD = (0.0, 1e3)
YEAR_RANGE = (1990, 2100)

_ID_RE = re.compile(r"^[a-z0-9]+(?:[.-][a-z0-9]+)*$")

# field -> (required, the sources key its figure needs, or None)
_FIELDS: dict[str, tuple[bool, str | None]] = {
    "id": (True, None),
    "name": (True, None),
    "aliases": (False, None),
    "vendor": (True, None),
    "kind": (True, None),
    "memory_bytes": (True, "memory"),
    "memory_marketing_gb": (False, None),
    "memory_source": (False, None),
    "memory_uncertain": (False, None),
    "memory_bandwidth_bytes_per_s": (True, "bandwidth"),
    "peak_flops_per_s": (True, "flops"),
    "interconnect": (False, None),
    "interconnect_bytes_per_s": (False, "interconnect"),
    "pcie_bytes_per_s": (False, "pcie"),
    "tdp_w": (False, "tdp"),
    "price_per_hour_usd": (False, "price"),
    "year": (False, None),
    "measured": (False, None),
    "engine_speed": (False, "engine_speed"),
    "sources": (True, None),
}
SOURCE_KEYS = ("memory", "bandwidth", "flops", "interconnect", "pcie", "tdp", "price", "engine_speed", "notes")

#: Speed constants a record may carry for an engine (``engine_speed.<engine>.<key>``, optionally
#: ``<key>@<weight format>``): what `paramscope calibrate --engine` measures on the device itself; perf reads them
#: before data/efficiency.toml. Efficiencies are fractions of the record's own bandwidth / fp32 rate.
ENGINE_SPEED_KEYS = ("bandwidth_efficiency", "prefill_compute_efficiency", "decode_compute_efficiency",
                     "attention_prefill_efficiency", "attention_decode_efficiency", "dequant_bandwidth_factor",
                     "dequant_bandwidth_factor_legacy", "quant_prefill_factor", "step_overhead_s",
                     "layer_overhead_s", "prefill_half_width", "decode_half_width",
                     "prefill_half_tokens")


@dataclass(frozen=True, slots=True)
class Hardware:
    """One device. Units are in the field names; ``peak_flops_per_s`` maps dtype -> dense peak.

    ``origin`` says where the record came from (the catalog file or a user file). Instances compare by
    value; they are not hashable (two fields are dicts), so key dicts by ``hw.id``.
    """

    id: str
    name: str
    vendor: str
    kind: str
    memory_bytes: int
    memory_bandwidth_bytes_per_s: float
    peak_flops_per_s: dict[str, float]
    sources: dict[str, str]
    aliases: tuple[str, ...] = ()
    interconnect: str | None = None
    interconnect_bytes_per_s: float | None = None
    pcie_bytes_per_s: float | None = None
    tdp_w: float | None = None
    price_per_hour_usd: float | None = None
    year: int | None = None
    memory_marketing_gb: float | None = None
    memory_source: str | None = None
    memory_uncertain: bool = False
    measured: bool = False
    engine_speed: dict[str, dict[str, float]] | None = None
    origin: str = ""

    @property
    def notes(self) -> str:
        return self.sources.get("notes", "")

    def to_dict(self) -> dict:
        """A plain dict with the record's schema (what a user file would hold), without ``origin``."""
        out: dict = {
            "id": self.id,
            "name": self.name,
            "aliases": list(self.aliases),
            "vendor": self.vendor,
            "kind": self.kind,
            "memory_bytes": self.memory_bytes,
        }
        if self.memory_marketing_gb is not None:
            out["memory_marketing_gb"] = self.memory_marketing_gb
        if self.memory_source is not None:
            out["memory_source"] = self.memory_source
        if self.memory_uncertain:
            out["memory_uncertain"] = True
        out |= {
            "memory_bandwidth_bytes_per_s": self.memory_bandwidth_bytes_per_s,
            "peak_flops_per_s": dict(self.peak_flops_per_s),
        }
        for key in (
            "interconnect",
            "interconnect_bytes_per_s",
            "pcie_bytes_per_s",
            "tdp_w",
            "price_per_hour_usd",
            "year",
        ):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.measured:
            out["measured"] = True
        if self.engine_speed:
            out["engine_speed"] = {e: dict(v) for e, v in self.engine_speed.items()}
        out["sources"] = dict(self.sources)
        return out


# ---------------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------------


def _where(origin: str, rec: Mapping, index: int | None) -> str:
    ident = rec.get("id") if isinstance(rec, Mapping) else None
    if isinstance(ident, str) and ident:
        label = f"record {ident!r}"
    elif index is not None:
        label = f"record #{index + 1}"
    else:
        label = "record"
    return f"{origin}: {label}"


def _number(value, field: str, where: str, lo: float, hi: float, unit: str, check_range: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: field {field!r}: expected a number in {unit}, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise ConfigError(f"{where}: field {field!r}: expected a positive number in {unit}, got {value!r}")
    if check_range and not lo <= value <= hi:
        raise ConfigError(
            f"{where}: field {field!r}: {value:g} {unit} is outside the plausible range "
            f"[{lo:g}, {hi:g}]; check the unit"
        )
    return float(value)


def _text(value, field: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: field {field!r}: expected a non-empty string, got {value!r}")
    return value.strip()


def validate_record(rec: Mapping, origin: str, *, index: int | None = None) -> Hardware:
    """Check one raw record (a dict from TOML or JSON) and build its :class:`Hardware`.

    Raises ConfigError naming ``origin`` (a file), the record and the field: missing or unknown fields,
    wrong types, non-positive numbers, values outside the unit sanity ranges (memory 1e9-1e13 B,
    bandwidth 1e10-1e14 B/s, peaks 1e11-1e17 FLOP/s), unknown dtypes, and any figure without a source.

    The sanity ranges catch unit mistakes in figures a person typed. A record with ``measured = true``
    (what `paramscope calibrate` writes) is a measurement of a real machine, however slow or loaded: its
    numbers must still be positive and finite, but no range is applied to them (see
    :func:`range_warnings`, which the calibrate command prints instead).
    """
    where = _where(origin, rec, index)
    if not isinstance(rec, Mapping):
        raise ConfigError(f"{where}: expected a table of fields, got {type(rec).__name__}")
    measured = rec.get("measured", False)
    if not isinstance(measured, bool):
        raise ConfigError(f"{where}: field 'measured': expected true or false, got {measured!r}")
    ranged = not measured
    unknown = sorted(set(rec) - set(_FIELDS))
    if unknown:
        raise ConfigError(f"{where}: unknown field {unknown[0]!r} (known: {', '.join(_FIELDS)})")
    for field, (required, _) in _FIELDS.items():
        if required and field not in rec:
            raise ConfigError(f"{where}: field {field!r} is missing")

    ident = _text(rec["id"], "id", where)
    if not _ID_RE.match(ident):
        raise ConfigError(f"{where}: field 'id': {ident!r} is not lowercase kebab-case (e.g. 'h100-sxm')")
    name = _text(rec["name"], "name", where)

    aliases = rec.get("aliases", [])
    if not isinstance(aliases, list):
        raise ConfigError(f"{where}: field 'aliases': expected a list of strings, got {aliases!r}")
    aliases = tuple(_text(a, "aliases", where) for a in aliases)

    vendor = _text(rec["vendor"], "vendor", where)
    if vendor not in VENDORS:
        raise ConfigError(f"{where}: field 'vendor': {vendor!r} is not one of {', '.join(VENDORS)}")
    kind = _text(rec["kind"], "kind", where)
    if kind not in KINDS:
        raise ConfigError(f"{where}: field 'kind': {kind!r} is not one of {', '.join(KINDS)}")

    memory = rec["memory_bytes"]
    if isinstance(memory, float) and memory.is_integer():
        memory = int(memory)  # JSON writers may emit 8e10
    if isinstance(memory, bool) or not isinstance(memory, int):
        raise ConfigError(
            f"{where}: field 'memory_bytes': expected an integer number of bytes, got {memory!r}"
        )
    _number(memory, "memory_bytes", where, *MEMORY_RANGE_BYTES, "bytes", ranged)

    marketing = rec.get("memory_marketing_gb")
    if marketing is not None:
        marketing = _number(marketing, "memory_marketing_gb", where, 1.0, 1e4, "GB", ranged)
    memory_source = rec.get("memory_source")
    if memory_source is not None:
        memory_source = _text(memory_source, "memory_source", where)
        if memory_source not in MEMORY_SOURCES:
            raise ConfigError(f"{where}: field 'memory_source': {memory_source!r} is not one of "
                              f"{', '.join(MEMORY_SOURCES)}")
    memory_uncertain = rec.get("memory_uncertain", False)
    if not isinstance(memory_uncertain, bool):
        raise ConfigError(f"{where}: field 'memory_uncertain': expected true or false, got {memory_uncertain!r}")

    bandwidth = _number(
        rec["memory_bandwidth_bytes_per_s"],
        "memory_bandwidth_bytes_per_s",
        where,
        *BANDWIDTH_RANGE_BYTES_PER_S,
        "bytes/s",
        ranged,
    )

    peaks_raw = rec["peak_flops_per_s"]
    if not isinstance(peaks_raw, Mapping) or not peaks_raw:
        raise ConfigError(f"{where}: field 'peak_flops_per_s': expected a non-empty table dtype -> FLOP/s")
    peaks: dict[str, float] = {}
    for dtype, value in peaks_raw.items():
        if dtype not in DTYPES:
            raise ConfigError(
                f"{where}: field 'peak_flops_per_s': unknown dtype {dtype!r} (known: {', '.join(DTYPES)})"
            )
        peaks[dtype] = _number(value, f"peak_flops_per_s.{dtype}", where, *PEAK_RANGE_FLOPS_PER_S, "FLOP/s",
                                ranged)

    interconnect = rec.get("interconnect")
    if interconnect is not None:
        interconnect = _text(interconnect, "interconnect", where)
    optional: dict[str, float | None] = {}
    for field, lo_hi, unit in (
        ("interconnect_bytes_per_s", LINK_RANGE_BYTES_PER_S, "bytes/s"),
        ("pcie_bytes_per_s", LINK_RANGE_BYTES_PER_S, "bytes/s"),
        ("tdp_w", TDP_RANGE_W, "W"),
        ("price_per_hour_usd", PRICE_RANGE_USD, "USD/h"),
    ):
        value = rec.get(field)
        optional[field] = None if value is None else _number(value, field, where, *lo_hi, unit, ranged)

    year = rec.get("year")
    if year is not None and (
        isinstance(year, bool) or not isinstance(year, int) or not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]
    ):
        raise ConfigError(f"{where}: field 'year': expected a year such as 2024, got {year!r}")

    engine_speed = _engine_speed(rec.get("engine_speed"), where)

    sources_raw = rec["sources"]
    if not isinstance(sources_raw, Mapping):
        raise ConfigError(f"{where}: field 'sources': expected a table of source texts, got {sources_raw!r}")
    sources: dict[str, str] = {}
    for key, text in sources_raw.items():
        if key not in SOURCE_KEYS:
            raise ConfigError(
                f"{where}: field 'sources': unknown key {key!r} (known: {', '.join(SOURCE_KEYS)})"
            )
        sources[key] = _text(text, f"sources.{key}", where)
    for field, (_, source_key) in _FIELDS.items():
        if source_key is not None and rec.get(field) is not None and source_key not in sources:
            raise ConfigError(f"{where}: field 'sources': {field!r} has no source (add sources.{source_key})")

    return Hardware(
        id=ident,
        name=name,
        vendor=vendor,
        kind=kind,
        memory_bytes=memory,
        memory_bandwidth_bytes_per_s=bandwidth,
        peak_flops_per_s=peaks,
        sources=sources,
        aliases=aliases,
        interconnect=interconnect,
        interconnect_bytes_per_s=optional["interconnect_bytes_per_s"],
        pcie_bytes_per_s=optional["pcie_bytes_per_s"],
        tdp_w=optional["tdp_w"],
        price_per_hour_usd=optional["price_per_hour_usd"],
        year=year,
        memory_marketing_gb=marketing,
        memory_source=memory_source,
        memory_uncertain=memory_uncertain,
        measured=measured,
        engine_speed=engine_speed,
        origin=origin,
    )


def _engine_speed(raw, where: str) -> dict[str, dict[str, float]] | None:
    """The optional ``engine_speed`` table: engine -> {constant[@format]: positive number}."""
    if raw is None:
        return None
    if not isinstance(raw, Mapping) or not raw:
        raise ConfigError(f"{where}: field 'engine_speed': expected a table engine -> constants")
    from .engines import ENGINES

    out: dict[str, dict[str, float]] = {}
    for engine, consts in raw.items():
        if engine not in ENGINES:
            raise ConfigError(f"{where}: field 'engine_speed': unknown engine {engine!r} (known: "
                              f"{', '.join(ENGINES)})")
        if not isinstance(consts, Mapping) or not consts:
            raise ConfigError(f"{where}: field 'engine_speed.{engine}': expected a table of constants")
        table: dict[str, float] = {}
        for key, value in consts.items():
            base, _, fmt = str(key).partition("@")
            if base not in ENGINE_SPEED_KEYS or (fmt and not re.fullmatch(r"[a-z0-9_.-]+", fmt)):
                raise ConfigError(f"{where}: field 'engine_speed.{engine}': unknown constant {key!r} (known: "
                                  f"{', '.join(ENGINE_SPEED_KEYS)}, each optionally @<weight format>)")
            if base.endswith("_s") or "_half_" in base:
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
                        or value < 0:
                    raise ConfigError(f"{where}: field 'engine_speed.{engine}.{key}': expected a number >= 0, "
                                      f"got {value!r}")
                table[key] = float(value)
            else:
                table[key] = _number(value, f"engine_speed.{engine}.{key}", where, 0, 0, "fraction", False)
        out[engine] = table
    return out


def range_warnings(hw: Hardware) -> list[str]:
    """One line per figure of ``hw`` outside the unit sanity ranges. For measured profiles these are
    warnings (a slow or busy machine is still a real measurement), never errors."""
    out = []
    checks = [("memory_bytes", hw.memory_bytes, MEMORY_RANGE_BYTES, "bytes"),
              ("memory_bandwidth_bytes_per_s", hw.memory_bandwidth_bytes_per_s, BANDWIDTH_RANGE_BYTES_PER_S,
               "bytes/s")]
    checks += [(f"peak_flops_per_s.{d}", v, PEAK_RANGE_FLOPS_PER_S, "FLOP/s") for d, v in hw.peak_flops_per_s.items()]
    for field, value, (lo, hi), unit in checks:
        if not lo <= value <= hi:
            out.append(f"{hw.id}: {field} = {value:.3g} {unit} is outside the range typical of accelerators "
                       f"[{lo:g}, {hi:g}]")
    return out


def memory_label(hw: Hardware) -> str:
    """'80 GB marketed, 81,559 MiB = 79.65 GiB reported (nvidia-smi)' -- the capacity a record holds, said
    both ways. Records without a marketed size print only the reported figure."""
    b = hw.memory_bytes
    mib = f"{b // 2**20:,} MiB = " if b % 2**20 == 0 else f"{b:,} bytes = "
    reported = f"{mib}{b / 2**30:,.2f} GiB {'assumed' if hw.memory_uncertain else 'reported'}"
    if hw.memory_source:
        reported += f" ({hw.memory_source}{', uncertain' if hw.memory_uncertain else ''})"
    elif hw.memory_uncertain:
        reported += " (uncertain)"
    if hw.memory_marketing_gb is None:
        return reported
    return f"{hw.memory_marketing_gb:g} GB marketed, {reported}"


def _validate_all(records, origin: str) -> list[Hardware]:
    """Validate a file's records and check that ids and aliases are unique within it."""
    if not isinstance(records, list) or not records:
        raise ConfigError(f"{origin}: expected a non-empty list of hardware records")
    out = [validate_record(rec, origin, index=i) for i, rec in enumerate(records)]
    seen: dict[str, str] = {}
    for hw in out:
        for key in (hw.id, *hw.aliases):
            norm = _normalize(key)
            if norm in seen:
                raise ConfigError(
                    f"{origin}: record {hw.id!r}: name {key!r} is already used by record {seen[norm]!r}"
                )
            seen[norm] = hw.id
    return out


# ---------------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _catalog() -> tuple[Hardware, ...]:
    try:
        with open(CATALOG_PATH, "rb") as f:
            data = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as exc:  # pragma: no cover - a broken install
        raise ConfigError(f"{CATALOG_PATH}: cannot read the hardware catalog ({exc})") from None
    return tuple(_validate_all(data.get("hardware"), str(CATALOG_PATH)))


def load_catalog() -> dict[str, Hardware]:
    """The built-in catalog, id -> Hardware, in file order. Read and validated once, on first use."""
    return {hw.id: hw for hw in _catalog()}


MAX_HARDWARE_FILE_BYTES = 2**20  # a hardware file is a few records; TOML parsing is pure Python


def load_user_hardware(path: str | Path) -> list[Hardware]:
    """Records from a user's TOML (``[[hardware]]``) or JSON file, validated like the catalog's."""
    from .sources import jsonio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise InputError(f"{path}: a hardware file must end in .toml or .json")
    raw = jsonio.read_bytes(path, InputError, what="hardware file", max_bytes=MAX_HARDWARE_FILE_BYTES)
    if suffix == ".json":
        data = jsonio.loads(raw, str(path), ConfigError, what="JSON")
        records = data.get("hardware") if isinstance(data, dict) else data
    else:
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from None
        except RecursionError:
            raise ConfigError(f"{path}: not valid TOML (nested too deep)") from None
        records = data.get("hardware")
    if records is None:
        raise ConfigError(f"{path}: no hardware records (expected [[hardware]] tables or a 'hardware' list)")
    return _validate_all(records, str(path))


def _normalize(name: str) -> str:
    return re.sub(r"[\s_]+", "-", name.strip().lower())


def _index(extra_files: Iterable[str | Path] = ()) -> dict[str, Hardware]:
    """Normalized id/alias -> Hardware. A user record whose id is already known REPLACES that record
    (every name of the old one now finds the new one); a user alias that names another record takes
    that name over. Later files win over earlier ones. Kept per (file, size, mtime) list: a long-running
    process (the web app) reads the files again only when one changed."""
    stamps = []
    for path in extra_files:
        try:
            st = os.stat(path)
            stamps.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            stamps.append((str(path), None, None))  # load_user_hardware reports the missing file
    return _index_of(tuple(stamps))


@functools.lru_cache(maxsize=16)
def _index_of(stamps: tuple) -> dict[str, Hardware]:
    extra_files = [s[0] for s in stamps]
    index: dict[str, Hardware] = {}
    for hw in _catalog():
        for key in (hw.id, *hw.aliases):
            index[_normalize(key)] = hw
    for path in extra_files:
        for hw in load_user_hardware(path):
            for key, old in list(index.items()):
                if old.id == hw.id:
                    index[key] = hw
            for key in (hw.id, *hw.aliases):
                index[_normalize(key)] = hw
    return index


def user_dir() -> Path:
    """Where user hardware profiles live: $PARAMSCOPE_HOME/hardware, else ~/.config/paramscope/hardware.
    `paramscope calibrate` saves its measured profiles here; every command that takes --gpu reads them."""
    import os

    home = os.environ.get("PARAMSCOPE_HOME")
    base = Path(home) if home else Path.home() / ".config" / "paramscope"
    return base / "hardware"


def user_hardware_files() -> tuple[Path, ...]:
    d = user_dir()
    return tuple(sorted(d.glob("*.toml"))) if d.is_dir() else ()


def list_hardware(extra_files: Iterable[str | Path] = ()) -> list[Hardware]:
    """Every record: the catalog in file order, then user records (a user record with a catalog id
    replaces the catalog's)."""
    by_id = load_catalog()
    for path in (*user_hardware_files(), *extra_files):
        for hw in load_user_hardware(path):
            by_id[hw.id] = hw
    return list(by_id.values())


def get_hardware(name: str, extra_files: Iterable[str | Path] = ()) -> Hardware:
    """The record whose id or alias is ``name`` (case-insensitive; spaces and underscores = hyphens).

    Raises UnknownHardwareError with up to three close ids when nothing matches.
    """
    if isinstance(name, Hardware):
        return name
    if not isinstance(name, str) or not name.strip():
        raise UnknownHardwareError(f"unknown hardware {name!r}: expected a catalog id such as 'h100-sxm'")
    index = _index((*user_hardware_files(), *extra_files))
    hw = index.get(_normalize(name))
    if hw is None:
        raise UnknownHardwareError(unknown_message(name, index))
    return hw


def suggestions(name: str, index: Mapping[str, Hardware] | None = None, n: int = 3) -> list[str]:
    """Up to ``n`` ids to suggest for an unknown ``name``, no duplicates: first the records with an id
    or alias that starts with it (catalog order: "h10" -> h100-sxm, h100-pcie, ...), then difflib's
    closest ids and aliases. Suggestions only; nothing is ever picked for the caller."""
    index = _index() if index is None else index
    query = _normalize(name)
    keys = list(index)
    prefixed = [k for k in keys if query and k.startswith(query)]
    close = difflib.get_close_matches(query, keys, n=4 * n, cutoff=0.5)
    out: list[str] = []
    for key in (*prefixed, *close):
        ident = index[key].id
        if ident not in out:
            out.append(ident)
    return out[:n]


def unknown_message(name: str, index: Mapping[str, Hardware] | None = None) -> str:
    close = suggestions(name, index)
    if close:
        return f"unknown hardware {name!r}: did you mean {', '.join(close)}?"
    return f"unknown hardware {name!r}: not in the hardware catalog or the given hardware files"


def peak_flops(hw: Hardware | str, dtype: str) -> float:
    """The dense peak of ``hw`` for ``dtype`` (fp32, tf32, bf16, fp16, fp8, int8, int4, fp4), FLOP/s.

    Raises UnknownSchemeError for a dtype name outside that set and InputError when the device has no
    published dense peak for it (no fallback to another dtype: the caller decides).
    """
    hw = get_hardware(hw) if isinstance(hw, str) else hw
    key = dtype.strip().lower() if isinstance(dtype, str) else dtype
    key = _DTYPE_SPELLINGS.get(key, key)
    if key not in DTYPES:
        raise UnknownSchemeError(f"unknown dtype {dtype!r} for a peak (known: {', '.join(DTYPES)})")
    try:
        return hw.peak_flops_per_s[key]
    except KeyError:
        have = ", ".join(hw.peak_flops_per_s)
        raise InputError(f"{hw.id} has no dense {key} peak in its record (it has: {have})") from None
