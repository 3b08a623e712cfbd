"""Memory charts: a stacked bar of the inference breakdown, and of the training breakdown per GPU."""

from __future__ import annotations

from pathlib import Path

from ._common import check_path, pyplot, save

_GIB = 2**30


def _stacked(title: str, parts: list[tuple[str, int]], path: str | Path, capacity_bytes: int | None = None) -> Path:
    check_path(path)
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(4.5, 5))
    bottom = 0.0
    for label, nbytes in parts:
        gib = nbytes / _GIB
        ax.bar([0], [gib], bottom=[bottom], label=f"{label}: {nbytes / 1e9:.2f} GB / {gib:.2f} GiB")
        bottom += gib
    if capacity_bytes:
        ax.axhline(capacity_bytes / _GIB, color="black", linestyle="--", label=f"capacity {capacity_bytes / _GIB:.1f} GiB")
    ax.set_xticks([])
    ax.set_ylabel("GiB (2^30 bytes)")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.02))
    return save(fig, path)


def memory_bar(report: dict, path: str | Path, capacity_bytes: int | None = None) -> Path:
    """``report`` is MemoryReport.to_dict()."""
    o = report["options"]
    title = (f"{report['model']}\n{o['weights']} weights, {o['engine']}, batch {o['batch']}, "
             f"context {o['context']:,}" + (" (per GPU)" if report.get("per_gpu") else ""))
    parts = [("weights", report["weights_bytes"]), ("KV cache", report["kv_cache_bytes"]),
             ("activations", report["activation_bytes"]), ("overheads", report["overhead_bytes"])]
    return _stacked(title, parts, path, capacity_bytes)


def training_bar(model: str, d: dict, path: str | Path) -> Path:
    """``d`` is TrainingMemory.to_dict()."""
    keys = ("weights_bytes", "gradients_bytes", "optimizer_bytes", "master_weights_bytes", "activations_bytes",
            "buffers_bytes")
    parts = [(k.removesuffix("_bytes").replace("_", " "), d[k]) for k in keys if d.get(k)]
    return _stacked(f"{model}: training memory per GPU", parts, path)
