"""paramscope scale --compute C [--inference-tokens T] | --params N --tokens D  [--plot FILE] [--json]"""

from __future__ import annotations

import textwrap

from .. import render
from ..units import human_count, parse_float

_LABELS = {
    "chinchilla:approach-1": "Chinchilla approach 1 (Table 3, a=0.50)",
    "chinchilla:approach-2": "Chinchilla approach 2 (Table A3, a=0.49)",
    "chinchilla:approach-3": "Chinchilla approach 3 (Table A3, a=0.46)",
    "chinchilla:hoffmann": "Chinchilla fit, rounded eq. 10 constants",
    "chinchilla:hoffmann-tex": "Chinchilla fit, unrounded TeX constants",
    "chinchilla:epoch": "Epoch AI replication (Besiroglu 2024)",
    "tokens-per-param:20": "20 tokens per parameter rule",
    "kaplan": "Kaplan et al. 2020 (Table 6)",
}


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("scale", help="scaling laws: compute-optimal size and data (Chinchilla approaches 1-3 and "
                                     "fits, Epoch AI, Kaplan), predicted loss, inference-adjusted optimum")
    p.add_argument("--compute", default=None, help="training budget in FLOPs (e.g. 5.76e23)")
    p.add_argument("--params", default=None, help="with --tokens: predict the loss of this model size (e.g. 70B)")
    p.add_argument("--tokens", default=None, help="with --params: training tokens (e.g. 1.4T)")
    p.add_argument("--inference-tokens", default=None, help="with --compute: lifetime inference tokens the model "
                                                            "will serve (Sardana et al. 2023)")
    p.add_argument("--plot", metavar="FILE", help="iso-FLOP curves around --compute (PNG, SVG or PDF)")
    _add_json(p)
    p.set_defaults(func=_lazy("scale"))


def notes(n_params: float | None = None, n_tokens: float | None = None) -> list[str]:
    from .. import scaling

    out = [scaling.rounded_constants_note("hoffmann")]
    f = scaling.chinchilla_fit("epoch")
    if n_params is not None and n_tokens is not None:
        a, b = scaling.chinchilla_loss(n_params, n_tokens, "epoch"), scaling.chinchilla_loss(2 * n_params, n_tokens,
                                                                                                "epoch")
        out.append(f"more parameters is not linearly better: doubling N to {human_count(2 * n_params)} on the same "
                   f"tokens lowers the Epoch-fit loss only from {a:.4f} to {b:.4f} (the A/N^alpha term shrinks by "
                   f"2^-{f.alpha:.3f} = {2 ** -f.alpha:.3f}, and E = {f.E} is out of reach at any size)")
    else:
        out.append(f"more parameters is not linearly better: loss is a power law, L = E + A/N^alpha + B/D^beta; "
                   f"each doubling of N shrinks only the A/N^alpha term, by 2^-{f.alpha:.3f} = {2 ** -f.alpha:.3f} "
                   "(Epoch fit), and a bigger model on the same budget sees fewer tokens")
    return out


def compute(c: float, inference_tokens: float | None = None) -> dict:
    from .. import scaling

    # The recommended fit first (Besiroglu et al. 2024's replication); the paper's own projections next;
    # the rounded paper-body fit, whose note advises against it for allocation, last.
    fits = sorted(scaling.FITS, key=lambda f: f != "epoch")
    rows = [scaling.chinchilla_optimal(c, fits[0])]
    rows += [scaling.approach_optimal(c, a) for a in scaling.APPROACHES]
    rows.append(scaling.tokens_per_param_rule(c))
    rows += [scaling.chinchilla_optimal(c, fit) for fit in fits[1:]]
    out = {"compute_flops": c, "optimum": [r.to_dict() for r in rows], "kaplan": scaling.kaplan_optimal(c).to_dict()}
    if inference_tokens is not None:
        out["inference_adjusted"] = scaling.inference_adjusted_optimal(c, inference_tokens, "epoch").to_dict()
    return out


def run(args) -> int:
    from .. import scaling
    from ..errors import InputError

    if args.inference_tokens is not None and args.compute is None:
        raise InputError("--inference-tokens needs --compute")
    if args.plot and args.compute is None:
        raise InputError("--plot needs --compute")
    if (args.params is None) != (args.tokens is None):
        raise InputError("--params and --tokens go together")
    if args.compute is None and args.params is None:
        raise InputError("give --compute C (FLOPs), or --params N and --tokens D")
    out: dict = {}
    if args.compute is not None:
        t = None if args.inference_tokens is None else parse_float(args.inference_tokens, what="--inference-tokens")
        out.update(compute(parse_float(args.compute, what="--compute"), t))
    n = d = None
    if args.params is not None:
        n, d = parse_float(args.params, what="--params"), parse_float(args.tokens, what="--tokens")
        out["params"], out["tokens"] = n, d
        out["loss"] = {fit: scaling.chinchilla_loss(n, d, fit) for fit in scaling.FITS}
        out["loss"]["kaplan_joint"] = scaling.kaplan_loss_joint(n, d)
    out["notes"] = notes(n, d)
    if args.plot:
        from ..plots.scaling import iso_flop_plot

        out["plot"] = str(iso_flop_plot(out["compute_flops"], args.plot))
    if args.json:
        render.emit_json(out)
        return 0
    print(text(out))
    return 0


def text(out: dict) -> str:
    lines = []
    if "optimum" in out:
        lines.append(f"compute budget {out['compute_flops']:.3g} FLOPs; compute-optimal N and D with C = 6 N D")
        rows = [[_LABELS.get(o["method"], o["method"]), human_count(o["n_params"]), human_count(o["n_tokens"]),
                 f"{o['tokens_per_param']:.1f}", "-" if o["loss"] is None else f"{o['loss']:.3f}"]
                for o in out["optimum"]]
        k = out["kaplan"]
        kaplan_d = out["compute_flops"] / (6 * k["n_params"])  # the header's C = 6 N D, for Kaplan's N
        rows.append([_LABELS["kaplan"], human_count(k["n_params"]) + " non-emb.", human_count(kaplan_d),
                     f"{kaplan_d / k['n_params']:.1f}", "-"])
        lines.append(render.table(rows, ["law", "params N", "tokens D", "D/N", "loss"], align="lrrrr"))
        lines += textwrap.wrap(
            "The Epoch AI replication (Besiroglu et al. 2024) is the fit to use; approaches 1-3 are Hoffmann et "
            "al.'s own projections (their spread is the paper's uncertainty); fits give a loss in nats/token on "
            f"MassiveText. Kaplan's row takes N from Table 6 and D = C / 6N; Table 6's own D fit is "
            f"{human_count(k['n_tokens'])} tokens (its N and D fits do not multiply back to C).", 80)
        if "inference_adjusted" in out:
            ia = out["inference_adjusted"]
            lines.append(f"\ninference-adjusted (Sardana et al. 2023, Epoch fit), serving {ia['inference_tokens']:.3g} "
                         f"tokens: {human_count(ia['n_params'])} params on {human_count(ia['n_tokens'])} tokens "
                         f"(Chinchilla-optimal: {human_count(ia['chinchilla_n_params'])}) reach the same loss "
                         f"{ia['target_loss']:.4f} for {ia['savings_fraction']:.1%} fewer lifetime FLOPs "
                         f"({ia['total_flops']:.3g} vs {ia['chinchilla_total_flops']:.3g})")
    if "loss" in out:
        lines.append(f"\npredicted loss for {human_count(out['params'])} params on {human_count(out['tokens'])} tokens:")
        names = {"hoffmann": "Chinchilla fit, rounded", "hoffmann-tex": "Chinchilla fit, TeX",
                 "epoch": "Epoch AI replication", "kaplan_joint": "Kaplan L(N, D) (WebText2, non-emb. N)"}
        lines.append(render.table([[names.get(k, k), f"{v:.4f}"] for k, v in out["loss"].items()],
                                  ["law", "loss (nats/token)"], align="lr"))
    if "plot" in out:
        lines.append(f"\nwrote {out['plot']}")
    for n in out["notes"]:
        if n:
            lines += textwrap.wrap(f"note: {n}", 80, subsequent_indent="  ")
    return "\n".join(lines)
