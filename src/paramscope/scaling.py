"""Scaling laws: Chinchilla (three published fits), Kaplan 2020, and inference-adjusted allocation.

Pure functions over floats, standard library only. The constants are data (data/scaling_laws.toml,
one table per published fit, each with its source); this module holds the formulas, each citing the
paper and equation it implements.

    >>> from paramscope.scaling import chinchilla_optimal
    >>> opt = chinchilla_optimal(5.76e23, fit="epoch")
    >>> round(opt.n_params / 1e9, 1), round(opt.tokens_per_param, 1)
    (72.2, 18.4)

Conventions:
  * ``n_params`` N, ``n_tokens`` D, ``compute_flops`` C (FLOP, not FLOP/s). Chinchilla fits use all
    parameters; Kaplan's laws use NON-embedding parameters and non-embedding compute.
  * Training compute C = 6 N D (Kaplan et al. 2020 s2.1; Hoffmann et al. 2022 s3): 2 FLOPs per
    parameter per token for the forward pass (one multiply + one add) times 3 (the backward pass
    costs about twice the forward). Inference costs 2 N per token (forward only; Sardana et al.).
  * Losses are in nats per token on the corpus each paper measured (MassiveText for Chinchilla,
    WebText2 for Kaplan); they are not comparable across the two families.

Which Chinchilla fit: ``"hoffmann"`` (the paper body's rounded constants, the default because it is
what most tools quote), ``"hoffmann-tex"`` (the unrounded TeX-source constants) and ``"epoch"``
(Besiroglu et al. 2024's refit, the one consistent with Hoffmann's Approaches 1 and 2 and with the
"20 tokens per parameter" of Chinchilla itself). :func:`rounded_constants_note` returns the warning to
show next to results from the first two.
"""

from __future__ import annotations

import copy
import functools
import math
import tomllib
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import ConfigError, InputError

LAWS_PATH = Path(__file__).resolve().parent / "data" / "scaling_laws.toml"

#: FLOPs per parameter per training token: 2 (multiply + add, forward) x 3 (forward + backward ~ 2x forward).
TRAINING_FLOPS_PER_PARAM_TOKEN = 6.0
#: FLOPs per parameter per inference token: the forward pass only (Sardana et al. 2023, arXiv 2401.00448).
INFERENCE_FLOPS_PER_PARAM_TOKEN = 2.0

#: Smallest training budget the optimizers accept. At 1e15 FLOPs even the 20-tokens-per-parameter rule
#: gives N = sqrt(1e15 / 120) ~ 2.9M parameters on ~58M tokens: 25x smaller than the smallest model
#: behind the Chinchilla fits (Hoffmann et al. 2022 trained 70M..16B-parameter models; their IsoFLOP
#: budgets start at 6e18 FLOPs, 6,000x more) and smaller than any language model worth planning.
MIN_COMPUTE_FLOPS = 1e15

#: Chinchilla's (and Gopher's) training budget, Hoffmann et al. 2022 Table 3 ("Gopher unit").
CHINCHILLA_BUDGET_FLOPS = 5.76e23

FITS = ("hoffmann", "hoffmann-tex", "epoch")


# ----------------------------------------------------------------------------------------------- data


def _positive_finite(value: object) -> bool:
    return (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0
    )


@functools.lru_cache(maxsize=1)
def _laws() -> dict:
    try:
        with LAWS_PATH.open("rb") as fh:
            laws = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{LAWS_PATH}: not a readable scaling-law table ({exc})") from None
    fits = laws.get("chinchilla")
    if not isinstance(fits, dict) or set(fits) != set(FITS):
        raise ConfigError(f"{LAWS_PATH}: chinchilla: expected exactly the fits {', '.join(FITS)}")
    for name, rec in fits.items():
        for key in ("E", "A", "B", "alpha", "beta"):
            if not _positive_finite(rec.get(key)):
                raise ConfigError(f"{LAWS_PATH}: chinchilla.{name}.{key}: must be a positive number")
        if not rec.get("source"):
            raise ConfigError(f"{LAWS_PATH}: chinchilla.{name}.source: every fit needs a source")
    kaplan = laws.get("kaplan", {})
    for part in ("loss_n", "loss_d", "loss_joint", "loss_compute_min", "allocation"):
        rec = kaplan.get(part)
        if not isinstance(rec, dict) or not rec.get("source"):
            raise ConfigError(f"{LAWS_PATH}: kaplan.{part}: missing, or without a source")
        for key, value in rec.items():
            if key != "source" and not _positive_finite(value):
                raise ConfigError(f"{LAWS_PATH}: kaplan.{part}.{key}: must be a positive number")
    if not _positive_finite(kaplan.get("flops_per_pf_day")):
        raise ConfigError(f"{LAWS_PATH}: kaplan.flops_per_pf_day: must be a positive number")
    return laws


def load_laws() -> dict:
    """All scaling-law constants as a plain dict (a copy of data/scaling_laws.toml, validated)."""
    return copy.deepcopy(_laws())


@dataclass(frozen=True)
class ChinchillaFit:
    """One published set of constants for L(N, D) = E + A / N^alpha + B / D^beta."""

    fit: str
    name: str
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str
    caveat: str = ""

    @property
    def n_exponent(self) -> float:
        """a in N* ~ C^a: beta / (alpha + beta) (Hoffmann et al. 2022, eq. (4))."""
        return self.beta / (self.alpha + self.beta)

    def to_dict(self) -> dict:
        return asdict(self)


def chinchilla_fit(fit: str = "hoffmann") -> ChinchillaFit:
    """The constants of one Chinchilla fit: ``"hoffmann"``, ``"hoffmann-tex"`` or ``"epoch"``."""
    if not isinstance(fit, str) or fit not in FITS:
        raise InputError(f"fit: unknown scaling-law fit {fit!r}; choose one of {', '.join(FITS)}")
    rec = _laws()["chinchilla"][fit]
    return ChinchillaFit(
        fit=fit,
        name=rec.get("name", fit),
        E=float(rec["E"]),
        A=float(rec["A"]),
        B=float(rec["B"]),
        alpha=float(rec["alpha"]),
        beta=float(rec["beta"]),
        source=rec["source"],
        caveat=rec.get("caveat", ""),
    )


# ------------------------------------------------------------------------------------------ checking


def _check_positive(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name}: must be a number, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise InputError(f"{name}: must be a positive finite number, got {value!r}")
    return float(value)


def _check_non_negative(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{name}: must be a number, got {value!r}")
    if not math.isfinite(value) or value < 0:
        raise InputError(f"{name}: must be a finite number >= 0, got {value!r}")
    return float(value)


def _check_budget(compute_flops: object) -> float:
    c = _check_positive("compute_flops", compute_flops)
    if c < MIN_COMPUTE_FLOPS:
        raise InputError(
            f"compute_flops: {c:.3g} FLOPs is below {MIN_COMPUTE_FLOPS:.0e}, too small for any model these "
            "scaling laws describe (it buys ~3M parameters on ~60M tokens)"
        )
    return c


# ------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ComputeOptimum:
    """A compute-optimal (N, D) for a training budget; ``loss`` is None for rules without a loss model."""

    method: str
    compute_flops: float
    n_params: float
    n_tokens: float
    loss: float | None

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tokens_per_param"] = self.tokens_per_param
        return d


@dataclass(frozen=True)
class KaplanOptimum:
    """Kaplan et al. 2020 Table 6 allocation. N is NON-embedding parameters; D is Table 6's D_opt."""

    compute_flops: float
    compute_pf_days: float
    n_params: float
    n_tokens: float
    n_tokens_at_6nd: float

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    def to_dict(self) -> dict:
        d = asdict(self)
        d["tokens_per_param"] = self.tokens_per_param
        return d


@dataclass(frozen=True)
class InferenceAdjustedOptimum:
    """Sardana et al. 2023: the (N, D) reaching ``target_loss`` at least total (training + inference) FLOPs.

    ``chinchilla_*`` describe the Chinchilla-optimal model for ``compute_flops`` (which sets the target
    loss) serving the same ``inference_tokens``; ``savings_flops`` = its total minus ours (>= 0).
    """

    fit: str
    compute_flops: float
    inference_tokens: float
    target_loss: float
    n_params: float
    n_tokens: float
    training_flops: float
    inference_flops: float
    total_flops: float
    chinchilla_n_params: float
    chinchilla_n_tokens: float
    chinchilla_total_flops: float
    savings_flops: float

    @property
    def savings_fraction(self) -> float:
        return self.savings_flops / self.chinchilla_total_flops

    @property
    def tokens_per_param(self) -> float:
        return self.n_tokens / self.n_params

    def to_dict(self) -> dict:
        d = asdict(self)
        d["savings_fraction"] = self.savings_fraction
        d["tokens_per_param"] = self.tokens_per_param
        return d


@dataclass(frozen=True)
class IsoFlopCurve:
    """Loss along one IsoFLOP profile: for each N, D = C / (6 N) (Hoffmann et al. 2022, Approach 2)."""

    fit: str
    compute_flops: float
    n_params: tuple[float, ...]
    n_tokens: tuple[float, ...]
    losses: tuple[float, ...]

    def to_dict(self) -> dict:
        return {
            "fit": self.fit,
            "compute_flops": self.compute_flops,
            "n_params": list(self.n_params),
            "n_tokens": list(self.n_tokens),
            "losses": list(self.losses),
        }


# ----------------------------------------------------------------------------------------- Chinchilla


def training_flops(n_params: float, n_tokens: float) -> float:
    """Training compute C = 6 N D (Kaplan et al. 2020 s2.1, 'C ~ 6NBS'; Hoffmann et al. 2022 s3).

    Dense models; for a mixture of experts pass the ACTIVE parameters. Attention-score FLOPs are not
    included (they matter once n_ctx >~ 12 d_model, Kaplan et al. 2020 s2.1).
    """
    n = _check_positive("n_params", n_params)
    d = _check_positive("n_tokens", n_tokens)
    return TRAINING_FLOPS_PER_PARAM_TOKEN * n * d


def chinchilla_loss(n_params: float, n_tokens: float, fit: str = "hoffmann") -> float:
    """L(N, D) = E + A / N^alpha + B / D^beta (Hoffmann et al. 2022 eq. (2); constants per ``fit``)."""
    f = chinchilla_fit(fit)
    n = _check_positive("n_params", n_params)
    d = _check_positive("n_tokens", n_tokens)
    return f.E + f.A / n**f.alpha + f.B / d**f.beta


def _optimal_n(f: ChinchillaFit, compute_flops: float) -> float:
    # Hoffmann et al. 2022 eq. (4): N_opt(C) = G (C/6)^a, G = (alpha A / (beta B))^(1/(alpha+beta)),
    # a = beta / (alpha + beta). Minimizing L on the curve N D = C/6 gives alpha A N^-alpha = beta B D^-beta.
    g = (f.alpha * f.A / (f.beta * f.B)) ** (1.0 / (f.alpha + f.beta))
    return g * (compute_flops / TRAINING_FLOPS_PER_PARAM_TOKEN) ** f.n_exponent


def chinchilla_optimal(compute_flops: float, fit: str = "hoffmann") -> ComputeOptimum:
    """The loss-minimizing (N, D) for ``compute_flops`` under C = 6 N D, in closed form.

    Hoffmann et al. 2022 eq. (4) and Appendix D.2: N*(C) = G (C/6)^(beta/(alpha+beta)) with
    G = (alpha A / (beta B))^(1/(alpha+beta)), D*(C) = (C/6) / N*. E does not move the optimum.
    """
    f = chinchilla_fit(fit)
    c = _check_budget(compute_flops)
    n = _optimal_n(f, c)
    d = c / TRAINING_FLOPS_PER_PARAM_TOKEN / n
    loss = f.E + f.A / n**f.alpha + f.B / d**f.beta
    return ComputeOptimum(method=f"chinchilla:{fit}", compute_flops=c, n_params=n, n_tokens=d, loss=loss)


def tokens_per_param_rule(compute_flops: float, ratio: float = 20.0) -> ComputeOptimum:
    """The "D = ratio x N" rule of thumb under C = 6 N D: N = sqrt(C / (6 ratio)), D = ratio N.

    ratio = 20 is what Chinchilla (70B on 1.4T tokens) and Hoffmann et al. 2022 Table 3 (Approach 1,
    ~20 tokens per parameter at every size) imply. No loss model, so ``loss`` is None.
    """
    c = _check_budget(compute_flops)
    r = _check_positive("ratio", ratio)
    n = math.sqrt(c / (TRAINING_FLOPS_PER_PARAM_TOKEN * r))
    return ComputeOptimum(
        method=f"tokens-per-param:{r:g}", compute_flops=c, n_params=n, n_tokens=r * n, loss=None
    )


APPROACHES = ("approach-1", "approach-2", "approach-3")


def approach_optimal(compute_flops: float, approach: str = "approach-1") -> ComputeOptimum:
    """Hoffmann et al. 2022's own projection of the compute-optimal N for ``compute_flops`` by one approach.

    Read from the approach's table (data/scaling_laws.toml: Table 3 for Approach 1, Table A3 for 2 and 3) by
    log-log interpolation between rows, the end segments extended beyond them; each approach is a power
    law N_opt = k C^a, so this reproduces it to the tables' printing precision. D = C / (6 N). No loss model.
    """
    c = _check_budget(compute_flops)
    rec = _laws().get("approaches", {}).get(approach)
    if rec is None:
        raise InputError(f"approach: unknown {approach!r}; choose one of {', '.join(APPROACHES)}")
    rows = sorted(zip(rec["flops"], rec["n_params"], strict=True))
    i = next((k for k in range(1, len(rows) - 1) if c <= rows[k][0]), len(rows) - 1)
    (c0, n0), (c1, n1) = rows[i - 1], rows[i]
    n = n0 * (c / c0) ** (math.log(n1 / n0) / math.log(c1 / c0))
    return ComputeOptimum(method=f"chinchilla:{approach}", compute_flops=c, n_params=n,
                          n_tokens=c / TRAINING_FLOPS_PER_PARAM_TOKEN / n, loss=None)


def iso_flop_curve(compute_flops: float, n_values: Iterable[float], fit: str = "hoffmann") -> IsoFlopCurve:
    """Loss of each model size N trained with the whole budget: D = C / (6 N), L = L(N, D).

    The IsoFLOP profiles of Hoffmann et al. 2022 s3.2 (Approach 2, Figure 3), drawn from a fit.
    """
    f = chinchilla_fit(fit)
    c = _check_budget(compute_flops)
    ns = tuple(_check_positive("n_values", n) for n in n_values)
    if not ns:
        raise InputError("n_values: give at least one model size")
    ds = tuple(c / TRAINING_FLOPS_PER_PARAM_TOKEN / n for n in ns)
    losses = tuple(f.E + f.A / n**f.alpha + f.B / d**f.beta for n, d in zip(ns, ds, strict=True))
    return IsoFlopCurve(fit=fit, compute_flops=c, n_params=ns, n_tokens=ds, losses=losses)


def rounded_constants_note(fit: str = "hoffmann") -> str:
    """A warning for fits whose optimum strays from Chinchilla's ~20 tokens per parameter, or "".

    Computed live at Chinchilla's own budget (C = 5.76e23 FLOPs, Hoffmann et al. 2022 Table 3): the
    rounded "hoffmann" constants give N* = 32.2B on D* = 2.98T (93 tokens per parameter), the
    "hoffmann-tex" constants ~59, the "epoch" refit ~18 (no warning). The note is returned when the
    fit's ratio is off 20 by more than a factor 1.5.
    """
    f = chinchilla_fit(fit)
    opt = chinchilla_optimal(CHINCHILLA_BUDGET_FLOPS, fit=fit)
    ratio = opt.tokens_per_param
    if 20.0 / 1.5 <= ratio <= 20.0 * 1.5:
        return ""
    text = (
        f"{f.name}: at C = {CHINCHILLA_BUDGET_FLOPS:.3g} FLOPs (Chinchilla's budget) this fit's "
        f"compute-optimal model is N* = {opt.n_params / 1e9:.1f}B parameters on D* = {opt.n_tokens / 1e12:.2f}T tokens, "
        f"{ratio:.0f} tokens per parameter, not the ~20 of Chinchilla (70B on 1.4T) and Hoffmann et al. "
        "Table 3."
    )
    return f"{text} {f.caveat}".strip()


# ---------------------------------------------------------------------------------- inference-adjusted


def _tokens_for_loss(f: ChinchillaFit, n: float, loss: float) -> float:
    # Invert L(N, D) = loss for D: D = (B / (loss - E - A N^-alpha))^(1/beta); inf when N cannot reach it.
    excess = loss - f.E - f.A / n**f.alpha
    if excess <= 0:
        return math.inf
    return (f.B / excess) ** (1.0 / f.beta)


def _total_flops_slope(f: ChinchillaFit, n: float, loss: float, inference_tokens: float) -> float:
    # d/dN [6 N D(N) + 2 N T] along L(N, D(N)) = loss. With
    # u = alpha A N^-alpha / (beta (loss - E - A N^-alpha)), dD/dN = -u D / N, so the slope is 6 D (1 - u) + 2 T: increasing in N, zero at the optimum.
    a_term = f.A / n**f.alpha
    excess = loss - f.E - a_term
    if excess <= 0:
        return -math.inf
    d = (f.B / excess) ** (1.0 / f.beta)
    u = f.alpha * a_term / (f.beta * excess)
    return TRAINING_FLOPS_PER_PARAM_TOKEN * d * (1.0 - u) + INFERENCE_FLOPS_PER_PARAM_TOKEN * inference_tokens


def inference_adjusted_optimal(
    compute_flops: float, inference_tokens: float, fit: str = "hoffmann"
) -> InferenceAdjustedOptimum:
    """The cheapest model over its lifetime that matches the Chinchilla-optimal model's loss.

    Sardana, Portes, Doubov, Frankle, 'Beyond Chinchilla-Optimal: Accounting for Inference in Language
    Model Scaling Laws' (arXiv 2401.00448, ICML 2024), compute-optimal analysis: fix the quality
    ell = L(N0, D0) of the Chinchilla-optimal model for ``compute_flops`` and the lifetime inference
    demand T (``inference_tokens``), then minimize 6 N D_tr + 2 N T subject to L(N, D_tr) = ell. The
    paper solves it numerically (Newton's method); here the first-order condition, whose left side
    increases in N on (N_min, N0] (N_min: where N alone reaches ell), is bisected in log N. With T = 0
    the answer is the Chinchilla point itself; any T > 0 gives a smaller N trained on more tokens, as
    the paper reports (its Figure 1: a 13B model with 2T inference tokens -> a 7B model, 17% less
    compute; tests/test_scaling.py reproduces it with fit="hoffmann-tex").
    """
    f = chinchilla_fit(fit)
    c = _check_budget(compute_flops)
    t = _check_non_negative("inference_tokens", inference_tokens)
    n0 = _optimal_n(f, c)
    d0 = c / TRAINING_FLOPS_PER_PARAM_TOKEN / n0
    ell = f.E + f.A / n0**f.alpha + f.B / d0**f.beta
    n, d = n0, d0
    if t > 0:
        # Smallest N that can reach ell with infinite data: A N^-alpha = ell - E.
        lo = (f.A / (ell - f.E)) ** (1.0 / f.alpha)
        hi = n0
        for _ in range(200):
            mid = math.sqrt(lo * hi)
            if _total_flops_slope(f, mid, ell, t) < 0:
                lo = mid
            else:
                hi = mid
            if hi / lo - 1.0 < 1e-15:
                break
        if hi < n0:
            n = hi
            d = _tokens_for_loss(f, n, ell)
    train = TRAINING_FLOPS_PER_PARAM_TOKEN * n * d
    infer = INFERENCE_FLOPS_PER_PARAM_TOKEN * n * t
    chin_total = c + INFERENCE_FLOPS_PER_PARAM_TOKEN * n0 * t
    return InferenceAdjustedOptimum(
        fit=fit,
        compute_flops=c,
        inference_tokens=t,
        target_loss=ell,
        n_params=n,
        n_tokens=d,
        training_flops=train,
        inference_flops=infer,
        total_flops=train + infer,
        chinchilla_n_params=n0,
        chinchilla_n_tokens=d0,
        chinchilla_total_flops=chin_total,
        savings_flops=chin_total - (train + infer),
    )


# --------------------------------------------------------------------------------------------- Kaplan


def _kaplan(part: str) -> dict:
    return _laws()["kaplan"][part]


def _pf_days(compute_flops: float) -> float:
    return compute_flops / float(_laws()["kaplan"]["flops_per_pf_day"])


def kaplan_loss_n(n_params: float) -> float:
    """L(N) = (N_c / N)^alpha_N, N non-embedding (Kaplan et al. 2020 eq. (1.1), Table 5)."""
    k = _kaplan("loss_n")
    n = _check_positive("n_params", n_params)
    return (k["n_c_params"] / n) ** k["alpha_n"]


def kaplan_loss_d(n_tokens: float) -> float:
    """L(D) = (D_c / D)^alpha_D (Kaplan et al. 2020 eq. (1.2), Table 5)."""
    k = _kaplan("loss_d")
    d = _check_positive("n_tokens", n_tokens)
    return (k["d_c_tokens"] / d) ** k["alpha_d"]


def kaplan_loss_joint(n_params: float, n_tokens: float) -> float:
    """L(N, D) = [(N_c / N)^(alpha_N / alpha_D) + D_c / D]^alpha_D (Kaplan et al. 2020 eq. (1.5)).

    Uses the joint fit's own constants (Table 2: alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13),
    not those of the single-variable laws.
    """
    k = _kaplan("loss_joint")
    n = _check_positive("n_params", n_params)
    d = _check_positive("n_tokens", n_tokens)
    return ((k["n_c_params"] / n) ** (k["alpha_n"] / k["alpha_d"]) + k["d_c_tokens"] / d) ** k["alpha_d"]


def kaplan_loss_compute(compute_flops: float) -> float:
    """L(C_min) = (C_c^min / C_min)^alpha_C^min with C_min in PF-days (Kaplan et al. 2020 eq. (1.3)).

    ``compute_flops`` is converted with 1 PF-day = 8.64e19 FLOP. Compute-efficient training only.
    """
    k = _kaplan("loss_compute_min")
    c = _check_positive("compute_flops", compute_flops)
    return (k["c_c_min_pf_days"] / _pf_days(c)) ** k["alpha_c_min"]


def kaplan_optimal(compute_flops: float) -> KaplanOptimum:
    """Kaplan et al. 2020 Table 6: N_opt = 1.3e9 C^0.73, D_opt = 2e10 C^0.27, C in PF-days.

    N is non-embedding parameters. Table 6's D_opt is its own fit, so 6 N D differs from C by a constant
    factor (~1.8); ``n_tokens_at_6nd`` = C / (6 N_opt) is given beside it.
    """
    k = _kaplan("allocation")
    c = _check_budget(compute_flops)
    pf = _pf_days(c)
    n = k["n_coefficient_params"] * pf ** k["n_exponent"]
    d = k["d_coefficient_tokens"] * pf ** k["d_exponent"]
    return KaplanOptimum(
        compute_flops=c,
        compute_pf_days=pf,
        n_params=n,
        n_tokens=d,
        n_tokens_at_6nd=c / TRAINING_FLOPS_PER_PARAM_TOKEN / n,
    )


__all__ = [
    "APPROACHES",
    "CHINCHILLA_BUDGET_FLOPS",
    "FITS",
    "INFERENCE_FLOPS_PER_PARAM_TOKEN",
    "MIN_COMPUTE_FLOPS",
    "TRAINING_FLOPS_PER_PARAM_TOKEN",
    "ChinchillaFit",
    "ComputeOptimum",
    "InferenceAdjustedOptimum",
    "IsoFlopCurve",
    "KaplanOptimum",
    "approach_optimal",
    "chinchilla_fit",
    "chinchilla_loss",
    "chinchilla_optimal",
    "inference_adjusted_optimal",
    "iso_flop_curve",
    "kaplan_loss_compute",
    "kaplan_loss_d",
    "kaplan_loss_joint",
    "kaplan_loss_n",
    "kaplan_optimal",
    "load_laws",
    "rounded_constants_note",
    "tokens_per_param_rule",
    "training_flops",
]
