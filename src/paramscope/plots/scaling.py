"""Iso-FLOP curves: predicted loss against model size at fixed compute (Hoffmann et al. 2022 Figure 3 style),
for two Chinchilla fits (rounded Hoffmann constants dashed, Epoch AI refit solid) at C/10, C and 10 C, with
each fit's optimum dotted and Hoffmann's Approaches 1-3 marked as vertical lines at C."""

from __future__ import annotations

from pathlib import Path

from ._common import check_path, pyplot, save

_POINTS = 81
_SPAN = 30.0  # the curves run from N*/30 to 30 N* of the Epoch optimum at each budget


def iso_flop_plot(compute_flops: float, path: str | Path) -> Path:
    from .. import scaling

    check_path(path)
    scaling.chinchilla_optimal(compute_flops, "epoch")  # validates the budget before drawing
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    colors = ("tab:blue", "tab:red", "tab:green")
    for c, color in zip((compute_flops / 10, compute_flops, compute_flops * 10), colors, strict=True):
        center = scaling.chinchilla_optimal(c, "epoch").n_params
        ns = [center / _SPAN * (_SPAN * _SPAN) ** (i / (_POINTS - 1)) for i in range(_POINTS)]
        for fit, style in (("hoffmann", "--"), ("epoch", "-")):
            curve = scaling.iso_flop_curve(c, ns, fit)
            ax.plot(curve.n_params, curve.losses, linestyle=style, color=color, label=f"{fit} fit, C = {c:.2g}")
            opt = scaling.chinchilla_optimal(c, fit)
            ax.plot([opt.n_params], [opt.loss], marker="o", markersize=4, color=color)
    for approach, style in zip(scaling.APPROACHES, ((0, (1, 1)), (0, (3, 1)), (0, (5, 2, 1, 2))), strict=True):
        n_opt = scaling.approach_optimal(compute_flops, approach).n_params
        ax.axvline(n_opt, color="grey", linewidth=0.8, linestyle=style,
                   label=f"Hoffmann {approach.replace('-', ' ')}: N* = {n_opt / 1e9:.3g}B at C = {compute_flops:.2g}")
    ax.set_xscale("log")
    ax.set_xlabel("parameters N (tokens D = C / 6N)")
    ax.set_ylabel("predicted loss (nats/token, MassiveText)")
    ax.legend(fontsize=6.5)
    ax.set_title("iso-FLOP curves: dots = each fit's optimum", fontsize=9)
    return save(fig, path)
