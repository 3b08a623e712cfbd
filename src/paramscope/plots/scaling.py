"""Iso-FLOP curves: predicted loss against model size at fixed compute, for each Chinchilla fit."""

from __future__ import annotations

from pathlib import Path

from ._common import check_path, pyplot, save


def iso_flop_plot(compute_flops: float, path: str | Path) -> Path:
    from .. import scaling

    check_path(path)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for c in (compute_flops / 10, compute_flops, compute_flops * 10):
        n_min = c / 6 / 1e14
        ns = [n_min * (1e7 ** (i / 60)) for i in range(61)]
        ns = [n for n in ns if c / (6 * n) > 1e6]
        for fit in ("hoffmann", "epoch"):
            curve = scaling.iso_flop_curve(c, ns, fit)
            ax.plot(curve.n_params, curve.losses, label=f"{fit}, C={c:.2g}", linestyle="-" if fit == "epoch" else "--")
            opt = scaling.chinchilla_optimal(c, fit)
            ax.scatter([opt.n_params], [opt.loss], s=12)
    ax.set_xscale("log")
    ax.set_xlabel("parameters N (C = 6 N D fixed)")
    ax.set_ylabel("predicted loss (nats/token)")
    ax.legend(fontsize=7)
    ax.set_title("iso-FLOP curves (Chinchilla parametric fits)", fontsize=9)
    return save(fig, path)
