"""Serving economics from dated, sourced prices (data/prices.toml): GPU-hour prices by price class, the total
cost of owning a GPU, and cost per million tokens.

    seed formula    usd_per_month = price per GPU-hour x GPUs x hours x utilization      (seed 001, section 3)
    rented          billed = price x GPUs x hours (an always-on rental bills idle hours too)
    owned, per GPU  depreciation = purchase / (years x 12) per month
                    energy       = TDP (kW) x utilization x PUE x USD/kWh x hours
                    hosting      = colocation USD per kW-month x TDP (kW)
    per Mtok        = cost per month / (tokens/s x 3600 x hours x utilization) x 1e6

``tokens_per_s`` is what the whole deployment (all its GPUs) produces at full load, e.g. perf_deployment's
``decode_tokens_per_s``; ``utilization`` is the fraction of the hours it runs at that load. Board power (TDP)
covers the GPU only: host CPUs, network and storage are outside it, as in training_cost.

The one entry point other modules use: :func:`price_per_hour` (USD per GPU-hour for a hardware id and a price
class, or ``"owned"`` for the owned-hardware cost at a utilization) and :func:`tco`.
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import ConfigError, InputError, UnknownHardwareError

PRICES_PATH = Path(__file__).resolve().parent / "data" / "prices.toml"
HOURS_PER_MONTH = 720.0  # the seed's month (30 days); pass hours= for another
HOURS_PER_YEAR = 8760.0
DEFAULT_PRICE_CLASS = "on-demand-specialised"
OWNED = "owned"
CATALOG_CLASS = "catalog"  # the single price in data/hardware.toml (price_per_hour_usd), with its own source
OWNED_PARAMETERS = ("depreciation_years", "pue", "usd_per_kwh", "hosting_usd_per_kw_month")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
MAX_PRICES_FILE_BYTES = 2**20


@dataclass(frozen=True)
class PriceRecord:
    hardware: str
    price_class: str
    provider: str
    usd_per_gpu_hour: float
    date: str
    source: str
    note: str = ""
    origin: str = ""

    def to_dict(self) -> dict:
        return {"hardware": self.hardware, "class": self.price_class, "provider": self.provider,
                "usd_per_gpu_hour": self.usd_per_gpu_hour, "date": self.date, "source": self.source,
                "note": self.note, "origin": self.origin}


@dataclass(frozen=True)
class Sourced:
    """A number with its date and source (an owned-hardware parameter or a purchase price)."""

    name: str
    value: float
    date: str
    source: str
    note: str = ""
    origin: str = ""

    def to_dict(self) -> dict:
        return {"name": self.name, "value": self.value, "date": self.date, "source": self.source,
                "note": self.note, "origin": self.origin}


@dataclass(frozen=True)
class PriceBook:
    classes: dict  # id -> description
    rentals: tuple  # PriceRecord
    purchases: dict  # hardware id -> Sourced
    owned: dict  # parameter name -> Sourced


# --------------------------------------------------------------------------------------------- loading


def _positive(v, what: str, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise ConfigError(f"{where}: {what} must be a positive number, got {v!r}")
    return float(v)


def _text(rec: dict, key: str, where: str, required: bool = True) -> str:
    v = rec.get(key, "" if not required else None)
    if not isinstance(v, str) or (required and not v.strip()):
        raise ConfigError(f"{where}: {key!r} must be a non-empty string")
    return v


def _date(rec: dict, where: str) -> str:
    d = _text(rec, "date", where)
    if not _DATE.match(d):
        raise ConfigError(f"{where}: date must be YYYY, YYYY-MM or YYYY-MM-DD, got {d!r}")
    return d


def _source(rec: dict, where: str) -> str:
    s = _text(rec, "source", where)
    if not s.startswith(("https://", "http://")):
        raise ConfigError(f"{where}: source must be an http(s) URL, got {s!r}")
    return s


def _known_hardware(hw_id: str, where: str) -> str:
    from .hardware import load_catalog, load_user_hardware, user_hardware_files

    known = set(load_catalog())
    for path in user_hardware_files():
        known |= {h.id for h in load_user_hardware(path)}
    if hw_id not in known:
        raise ConfigError(f"{where}: unknown hardware id {hw_id!r} (see `paramscope hardware`)")
    return hw_id


def _parse(data: dict, origin: str, classes: dict) -> tuple[dict, list, dict, dict]:
    if not isinstance(data, dict):
        raise ConfigError(f"{origin}: expected TOML tables")
    new_classes = {}
    for i, rec in enumerate(data.get("price_class", []) or []):
        where = f"{origin}: price_class #{i + 1}"
        if not isinstance(rec, dict):
            raise ConfigError(f"{where}: expected a table")
        cid = _text(rec, "id", where)
        if cid in (OWNED, CATALOG_CLASS):
            raise ConfigError(f"{where}: {cid!r} is reserved")
        new_classes[cid] = _text(rec, "description", where)
    all_classes = {**classes, **new_classes}
    rentals = []
    for i, rec in enumerate(data.get("rental", []) or []):
        where = f"{origin}: rental #{i + 1}"
        if not isinstance(rec, dict):
            raise ConfigError(f"{where}: expected a table")
        hw = _known_hardware(_text(rec, "hardware", where), where)
        cls = _text(rec, "class", where)
        if cls not in all_classes:
            raise ConfigError(f"{where}: unknown price class {cls!r} (known: {', '.join(all_classes)})")
        rentals.append(PriceRecord(hw, cls, _text(rec, "provider", where),
                                   _positive(rec.get("usd_per_gpu_hour"), "usd_per_gpu_hour", where),
                                   _date(rec, where), _source(rec, where), _text(rec, "note", where, False),
                                   origin))
    purchases = {}
    for i, rec in enumerate(data.get("purchase", []) or []):
        where = f"{origin}: purchase #{i + 1}"
        if not isinstance(rec, dict):
            raise ConfigError(f"{where}: expected a table")
        hw = _known_hardware(_text(rec, "hardware", where), where)
        purchases[hw] = Sourced(hw, _positive(rec.get("usd"), "usd", where), _date(rec, where),
                                _source(rec, where), _text(rec, "note", where, False), origin)
    owned = {}
    for i, rec in enumerate(data.get("owned_parameter", []) or []):
        where = f"{origin}: owned_parameter #{i + 1}"
        if not isinstance(rec, dict):
            raise ConfigError(f"{where}: expected a table")
        name = _text(rec, "name", where)
        if name not in OWNED_PARAMETERS:
            raise ConfigError(f"{where}: unknown parameter {name!r} (known: {', '.join(OWNED_PARAMETERS)})")
        v = _positive(rec.get("value"), "value", where)
        if name == "pue" and v < 1:
            raise ConfigError(f"{where}: a PUE is >= 1 (facility power / IT power), got {v}")
        owned[name] = Sourced(name, v, _date(rec, where), _source(rec, where), _text(rec, "note", where, False),
                              origin)
    return new_classes, rentals, purchases, owned


def _load_toml(path: Path) -> dict:
    from .sources import jsonio

    raw = jsonio.read_bytes(path, InputError, what="prices file", max_bytes=MAX_PRICES_FILE_BYTES)
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML (nested too deep)") from None


@functools.lru_cache(maxsize=1)
def _builtin() -> PriceBook:
    with open(PRICES_PATH, "rb") as f:
        data = tomllib.load(f)
    classes, rentals, purchases, owned = _parse(data, str(PRICES_PATH), {})
    return PriceBook(classes, tuple(rentals), purchases, owned)


def user_prices_file() -> Path:
    """$PARAMSCOPE_HOME/prices.toml, else ~/.config/paramscope/prices.toml (the same home as user hardware)."""
    from .hardware import user_dir

    return user_dir().parent / "prices.toml"


def load_prices(extra_files=()) -> PriceBook:
    """The built-in price book plus the user's file (if present) and ``extra_files``, each validated."""
    book = _builtin()
    paths = [p for p in (user_prices_file(),) if p.is_file()] + [Path(p) for p in extra_files]
    if not paths:
        return book
    classes, rentals, purchases, owned = dict(book.classes), list(book.rentals), dict(book.purchases), dict(book.owned)
    for path in paths:
        c, r, p, o = _parse(_load_toml(path), str(path), classes)
        classes.update(c)
        rentals += r
        purchases.update(p)
        owned.update(o)
    return PriceBook(classes, tuple(rentals), purchases, owned)


def price_classes(extra_files=()) -> dict:
    """id -> description, plus ``owned`` (the cost of owning the GPU) and ``catalog`` (hardware.toml's price)."""
    return {**load_prices(extra_files).classes,
            OWNED: "cost of owning the GPU: depreciation + energy + hosting (prices.toml owned_parameter)",
            CATALOG_CLASS: "the typical price stored with the device in data/hardware.toml (its own source)"}


def price_records(hardware: str | None = None, price_class: str | None = None, extra_files=()) -> list[PriceRecord]:
    """Rental records, optionally for one hardware id and/or class (hardware.toml's price as class ``catalog``)."""
    from .hardware import get_hardware

    out = [r for r in load_prices(extra_files).rentals
           if (hardware is None or r.hardware == hardware) and (price_class is None or r.price_class == price_class)]
    if hardware is not None and price_class in (None, CATALOG_CLASS):
        hw = get_hardware(hardware)
        if hw.price_per_hour_usd:
            out.append(PriceRecord(hw.id, CATALOG_CLASS, "data/hardware.toml", hw.price_per_hour_usd, str(hw.year or ""),
                                   hw.sources.get("price", ""), "", hw.origin))
    return out


def _date_key(d: str) -> tuple:
    parts = [int(x) for x in d.split("-")] if d else [0]
    return tuple(parts + [0] * (3 - len(parts)))


def _check_class(price_class: str, extra_files=()) -> None:
    classes = price_classes(extra_files)
    if price_class not in classes:
        raise InputError(f"unknown price class {price_class!r} (known: {', '.join(classes)})")


def price_quote(hardware, price_class: str = DEFAULT_PRICE_CLASS, extra_files=()) -> PriceRecord:
    """The record used for a hardware id in a class: the user's newest record if any, else the newest built-in
    one (ties: the lowest price). Raises InputError naming the classes that do have a price for it."""
    from .hardware import get_hardware

    hw = get_hardware(hardware)
    _check_class(price_class, extra_files)
    if price_class == OWNED:
        raise InputError("the owned class has no list price; use owned_tco() or price_per_hour(..., 'owned')")
    recs = price_records(hw.id, price_class, extra_files)
    if not recs:
        have = sorted({r.price_class for r in price_records(hw.id, None, extra_files)})
        if hw.id in load_prices(extra_files).purchases:
            have.append(OWNED)
        hint = f"; it has prices in: {', '.join(have)}" if have else "; no price class has a record for it"
        raise InputError(f"no {price_class} price for {hw.id} in data/prices.toml{hint} (or give a price per "
                         "GPU-hour, or add a record to your prices.toml)")
    user = [r for r in recs if r.origin != str(PRICES_PATH) and r.price_class != CATALOG_CLASS]
    pool = user or recs
    return sorted(pool, key=lambda r: (tuple(-x for x in _date_key(r.date)), r.usd_per_gpu_hour))[0]


def price_per_hour(hardware, price_class: str = DEFAULT_PRICE_CLASS, *, utilization: float = 1.0,
                   extra_files=()) -> float:
    """USD per GPU-hour of ``hardware`` in ``price_class``. For ``owned`` it is the owned cost per hour the GPU
    exists (depreciation + energy at ``utilization`` + hosting), from prices.toml's owned parameters."""
    if price_class == OWNED:
        return owned_tco(hardware, utilization=utilization, extra_files=extra_files).usd_per_gpu_hour
    return price_quote(hardware, price_class, extra_files).usd_per_gpu_hour


# ------------------------------------------------------------------------------------------- arithmetic


def _check_positive(v, what: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise InputError(f"{what} must be a positive number, got {v!r}")
    return float(v)


def check_utilization(u) -> float:
    if isinstance(u, bool) or not isinstance(u, (int, float)) or not math.isfinite(u) or not 0 < u <= 1:
        raise InputError(f"utilization must be in (0, 1], got {u!r}")
    return float(u)


def _check_gpus(g) -> int:
    if isinstance(g, bool) or not isinstance(g, int) or g < 1:
        raise InputError(f"GPU count must be an integer >= 1, got {g!r}")
    return g


def seed_monthly_cost(price_per_gpu_hour: float, gpus: int, hours: float = HOURS_PER_MONTH,
                      utilization: float = 1.0) -> float:
    """Seed 001's TCO: price x GPUs x hours x utilization (it bills only the utilized hours)."""
    return (_check_positive(price_per_gpu_hour, "price per GPU-hour") * _check_gpus(gpus)
            * _check_positive(hours, "hours") * check_utilization(utilization))


def usd_per_mtok(usd_per_hour_total: float, tokens_per_s: float, utilization: float = 1.0) -> float:
    """USD per million tokens for a deployment costing ``usd_per_hour_total`` (all its GPUs) per hour it exists,
    producing ``tokens_per_s`` at full load for a ``utilization`` fraction of the time."""
    return (_check_positive(usd_per_hour_total, "cost per hour") * 1e6
            / (_check_positive(tokens_per_s, "tokens per second") * 3600.0 * check_utilization(utilization)))


@dataclass(frozen=True)
class TcoReport:
    mode: str  # "rented" or "owned"
    hardware: str | None
    price_class: str | None
    gpus: int
    hours: float
    utilization: float
    usd_per_gpu_hour: float  # per hour the GPU is rented / owned (idle hours included)
    usd_per_month: float  # the seed formula (rented) or the full owned cost (owned), all GPUs
    billed_usd_per_month: float  # what is paid for the month, idle hours included, all GPUs
    usd_per_useful_gpu_hour: float  # billed / (GPUs x hours x utilization)
    parts: dict = field(default_factory=dict)  # USD per month, all GPUs
    tokens_per_s: float | None = None
    tokens_per_month: float | None = None
    usd_per_mtok: float | None = None
    price: dict | None = None  # the record used (rented) or None
    inputs: dict = field(default_factory=dict)  # owned parameters with their sources
    formula: str = ""
    assumptions: list = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "hardware": self.hardware, "price_class": self.price_class, "gpus": self.gpus,
                "hours": self.hours, "utilization": self.utilization, "usd_per_gpu_hour": self.usd_per_gpu_hour,
                "usd_per_month": self.usd_per_month, "billed_usd_per_month": self.billed_usd_per_month,
                "usd_per_useful_gpu_hour": self.usd_per_useful_gpu_hour, "parts": dict(self.parts),
                "tokens_per_s": self.tokens_per_s, "tokens_per_month": self.tokens_per_month,
                "usd_per_mtok": self.usd_per_mtok, "price": self.price, "inputs": dict(self.inputs),
                "formula": self.formula, "assumptions": list(self.assumptions)}


def _tokens(billed: float, tokens_per_s, hours: float, utilization: float):
    if tokens_per_s is None:
        return None, None
    tps = _check_positive(tokens_per_s, "tokens per second")
    toks = tps * 3600.0 * hours * utilization
    return toks, billed / toks * 1e6


def rental_tco(price_per_gpu_hour: float, *, gpus: int = 1, hours: float = HOURS_PER_MONTH,
               utilization: float = 1.0, tokens_per_s: float | None = None, hardware: str | None = None,
               price_class: str | None = None, price: PriceRecord | None = None) -> TcoReport:
    """A rented deployment: the seed's formula (usd_per_month) beside what is billed for an always-on rental."""
    p = _check_positive(price_per_gpu_hour, "price per GPU-hour")
    g, h, u = _check_gpus(gpus), _check_positive(hours, "hours"), check_utilization(utilization)
    seed = p * g * h * u
    billed = p * g * h
    toks, mtok = _tokens(billed, tokens_per_s, h, u)
    return TcoReport("rented", hardware, price_class, g, h, u, p, seed, billed, billed / (g * h * u),
                     {"rental": billed}, tokens_per_s, toks, mtok, None if price is None else price.to_dict(), {},
                     "usd_per_month = price x GPUs x hours x utilization (seed 001); billed = price x GPUs x hours",
                     ["usd_per_month follows the seed: only utilized hours are paid (per-second, scale-to-zero "
                      "billing); an always-on rental pays billed_usd_per_month",
                      "USD per Mtok uses the billed cost over the tokens produced in the utilized hours"])


def owned_tco(hardware, *, gpus: int = 1, hours: float = HOURS_PER_MONTH, utilization: float = 1.0,
              tokens_per_s: float | None = None, purchase_usd: float | None = None,
              depreciation_years: float | None = None, pue: float | None = None, usd_per_kwh: float | None = None,
              hosting_usd_per_kw_month: float | None = None, power_w: float | None = None,
              extra_files=()) -> TcoReport:
    """Owned GPUs: straight-line depreciation + energy (TDP x utilization x PUE x USD/kWh) + hosting (USD per
    kW-month of TDP), per month and per GPU-hour; each input from prices.toml unless given."""
    from .hardware import get_hardware

    hw = get_hardware(hardware)
    book = load_prices(extra_files)
    g, h, u = _check_gpus(gpus), _check_positive(hours, "hours"), check_utilization(utilization)
    inputs: dict = {}

    def pick(name: str, given, rec: Sourced | None, what: str):
        if given is not None:
            inputs[name] = {"value": _check_positive(given, what), "source": "given"}
            return float(given)
        if rec is None:
            return None
        inputs[name] = rec.to_dict()
        return rec.value

    purchase = pick("purchase_usd", purchase_usd, book.purchases.get(hw.id), "purchase price")
    if purchase is None:
        raise InputError(f"no purchase price for {hw.id} in data/prices.toml (give one, or add a [[purchase]] "
                         "record to your prices.toml)")
    years = pick("depreciation_years", depreciation_years, book.owned.get("depreciation_years"), "depreciation years")
    pue_v = pick("pue", pue, book.owned.get("pue"), "PUE")
    if pue_v is not None and pue_v < 1:
        raise InputError(f"PUE must be >= 1 (facility power / IT power), got {pue_v}")
    kwh = pick("usd_per_kwh", usd_per_kwh, book.owned.get("usd_per_kwh"), "USD per kWh")
    host = pick("hosting_usd_per_kw_month", hosting_usd_per_kw_month, book.owned.get("hosting_usd_per_kw_month"),
                "hosting USD per kW-month")
    if power_w is not None:
        watts = _check_positive(power_w, "power")
        inputs["power_w"] = {"value": watts, "source": "given"}
    elif hw.tdp_w:
        watts = float(hw.tdp_w)
        inputs["power_w"] = {"value": watts, "source": hw.sources.get("tdp", "data/hardware.toml")}
    else:
        raise InputError(f"{hw.id} has no TDP in data/hardware.toml; give its power at load")
    missing = [n for n, v in (("depreciation_years", years), ("pue", pue_v), ("usd_per_kwh", kwh),
                              ("hosting_usd_per_kw_month", host)) if v is None]
    if missing:
        raise InputError(f"missing owned-hardware parameter(s): {', '.join(missing)}")
    kw = watts / 1000.0
    dep_m = purchase / (years * 12.0) * g
    energy_m = kw * u * pue_v * kwh * h * g
    host_m = host * kw * g
    total = dep_m + energy_m + host_m
    toks, mtok = _tokens(total, tokens_per_s, h, u)
    return TcoReport("owned", hw.id, OWNED, g, h, u, total / (g * h), total, total, total / (g * h * u),
                     {"depreciation": dep_m, "energy": energy_m, "hosting": host_m}, tokens_per_s, toks, mtok, None,
                     inputs,
                     "per month = purchase / (years x 12) + TDP x utilization x PUE x USD/kWh x hours + "
                     "USD per kW-month x TDP",
                     ["power is the board TDP at load scaled by utilization (host CPUs, network, storage excluded)",
                      "hosting is charged per kW of IT capacity (the GPU's TDP), energy billed apart",
                      "straight-line depreciation to zero residual value; no cost of capital"])


def tco(hardware=None, *, price_class: str = DEFAULT_PRICE_CLASS, price_per_gpu_hour: float | None = None,
        gpus: int = 1, hours: float = HOURS_PER_MONTH, utilization: float = 1.0, tokens_per_s: float | None = None,
        extra_files=(), **owned) -> TcoReport:
    """One entry point: a given price per GPU-hour, a rental class's price for ``hardware``, or ``owned``."""
    if price_per_gpu_hour is not None:
        if owned:
            raise InputError("owned-hardware parameters and a price per GPU-hour contradict each other")
        return rental_tco(price_per_gpu_hour, gpus=gpus, hours=hours, utilization=utilization,
                          tokens_per_s=tokens_per_s, hardware=None if hardware is None else str(hardware),
                          price_class="given")
    if hardware is None:
        raise InputError("a TCO needs a device or a price per GPU-hour")
    if price_class == OWNED:
        return owned_tco(hardware, gpus=gpus, hours=hours, utilization=utilization, tokens_per_s=tokens_per_s,
                         extra_files=extra_files, **owned)
    if owned:
        raise InputError(f"owned-hardware parameters apply to the owned class, not {price_class}")
    rec = price_quote(hardware, price_class, extra_files)
    return rental_tco(rec.usd_per_gpu_hour, gpus=gpus, hours=hours, utilization=utilization,
                      tokens_per_s=tokens_per_s, hardware=rec.hardware, price_class=price_class, price=rec)


__all__ = ["CATALOG_CLASS", "DEFAULT_PRICE_CLASS", "HOURS_PER_MONTH", "OWNED", "PriceRecord", "TcoReport",
           "UnknownHardwareError", "check_utilization", "load_prices", "owned_tco", "price_classes",
           "price_per_hour", "price_quote", "price_records", "rental_tco", "seed_monthly_cost", "tco",
           "usd_per_mtok", "user_prices_file"]


# ------------------------------------------------------------------------- one deployment's economics


def efficiency_index(accuracy_pct: float, tokens_per_s: float, usd_per_hour: float) -> float:
    """Seed 001's efficiency index: (task accuracy as a fraction x throughput) / hourly cost.

    The seed's own inputs give 0.85 x 100 / 1.2 = 70.8 (7B) and 0.92 x 25 / 8.0 = 2.9 (70B)."""
    if isinstance(accuracy_pct, bool) or not 0 <= accuracy_pct <= 100:
        raise InputError(f"accuracy must be a percentage in [0, 100], got {accuracy_pct!r}")
    return accuracy_pct / 100.0 * _check_positive(tokens_per_s, "tokens per second") / _check_positive(
        usd_per_hour, "cost per hour")


def fewest_gpus(dep) -> int | None:
    """The fewest GPUs of the deployment's device that hold it (fit_deployment's search), or None."""
    from .fit import fit_deployment

    rep = fit_deployment(dep)
    return None if rep.fewest is None else rep.fewest.gpus


@dataclass(frozen=True)
class ServingPoint:
    """One deployment's memory (fit_deployment), speed (perf_deployment) and price, nothing recomputed."""

    model: str
    hardware: str
    gpus: int
    weights: str
    engine: str
    batch: int
    prompt_tokens: int
    gen_tokens: int
    per_gpu_bytes: int
    capacity_bytes: int
    fits: bool
    ttft_s: float | None
    tpot_s: float | None
    e2e_s: float | None  # ttft + gen x tpot: one request, start to last token
    decode_tokens_per_s: float | None  # all sequences together
    requests_per_s: float | None  # batch / e2e (a full batch served start to end)
    usd_per_hour: float | None  # all GPUs of the replica
    usd_per_mtok: float | None  # at full load (utilization 1), decode tokens
    usd_per_request: float | None
    price: dict | None

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def serving_point(dep, *, price_class: str = DEFAULT_PRICE_CLASS, price_per_gpu_hour: float | None = None,
                  utilization: float = 1.0, extra_files=()) -> ServingPoint:
    """Memory from fit_deployment, speed from perf_deployment (only when it fits), cost from the price book."""
    from .fit import fit_deployment
    from .perf import perf_deployment

    fit = fit_deployment(dep)
    w = dep.workload
    price = None
    usd_h = None
    if price_per_gpu_hour is not None:
        usd_h = _check_positive(price_per_gpu_hour, "price per GPU-hour") * dep.gpus
    elif price_class == OWNED:
        usd_h = price_per_hour(dep.hardware, OWNED, utilization=utilization, extra_files=extra_files) * dep.gpus
    else:
        rec = price_quote(dep.hardware, price_class, extra_files)
        price = rec.to_dict()
        usd_h = rec.usd_per_gpu_hour * dep.gpus
    if not fit.fits:
        return ServingPoint(fit.model, dep.hardware.id, dep.gpus, dep.weights, dep.engine, w.batch, w.prompt_tokens,
                            w.gen_tokens, fit.per_gpu_bytes or 0, fit.capacity_bytes, False, None, None, None, None,
                            None, usd_h, None, None, price)
    perf = perf_deployment(dep)
    e2e = perf.ttft_s + w.gen_tokens * perf.tpot_s
    rps = w.batch / e2e
    mtok = usd_per_mtok(usd_h, perf.decode_tokens_per_s, utilization)
    return ServingPoint(fit.model, dep.hardware.id, dep.gpus, dep.weights, dep.engine, w.batch, w.prompt_tokens,
                        w.gen_tokens, fit.per_gpu_bytes, fit.capacity_bytes, True, perf.ttft_s, perf.tpot_s, e2e,
                        perf.decode_tokens_per_s, rps, usd_h, mtok, usd_h / 3600.0 / (rps * utilization), price)
