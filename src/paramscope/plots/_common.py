"""Shared plumbing for the chart modules: import matplotlib headless, save by file extension."""

from __future__ import annotations

from pathlib import Path

from ..errors import DependencyError, InputError

FORMATS = (".png", ".svg", ".pdf")


def pyplot():
    """matplotlib.pyplot with the non-interactive Agg backend, or a clear error when it is missing."""
    try:
        import matplotlib
    except ImportError:
        raise DependencyError("--plot needs matplotlib: pip install 'paramscope[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def check_path(path: str | Path) -> Path:
    p = Path(path)
    if p.suffix.lower() not in FORMATS:
        raise InputError(f"--plot {p}: expected a file name ending in {', '.join(FORMATS)}")
    if p.parent and not p.parent.exists():
        raise InputError(f"--plot {p}: directory {p.parent} does not exist")
    return p


def save(fig, path: str | Path) -> Path:
    p = check_path(path)
    fig.savefig(p, bbox_inches="tight", dpi=150 if p.suffix.lower() == ".png" else None)
    pyplot().close(fig)
    return p
