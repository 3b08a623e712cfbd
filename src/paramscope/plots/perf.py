"""Throughput vs batch and a roofline chart for one model on one device (paramscope perf --plot)."""

from __future__ import annotations

from pathlib import Path

from ._common import check_path, pyplot, save


def perf_plot(model, hw, options, path: str | Path) -> Path:
    from dataclasses import replace

    from ..errors import DoesNotFitError
    from ..perf import perf_report

    check_path(path)
    points = []
    b = 1
    while b <= 4096:
        try:
            points.append(perf_report(model, hw, replace(options, batch=b)))
        except DoesNotFitError:
            break
        b *= 2
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot([p.options.batch for p in points], [p.decode_tokens_per_s for p in points], marker="o")
    ax1.set_xscale("log", base=2)
    ax1.set_xlabel("batch (concurrent sequences)")
    ax1.set_ylabel("decode tokens/s (all sequences)")
    ax1.set_title(f"{points[0].model if points else model.name} on {hw.id}", fontsize=9)
    bw = hw.memory_bandwidth_bytes_per_s
    peak = max(hw.peak_flops_per_s.get(d, 0) for d in ("bf16", "fp16", "fp32"))
    xs = [2 ** (i / 4) for i in range(-8, 60)]
    ax2.plot(xs, [min(peak, bw * x) / 1e12 for x in xs], color="black", label="roofline (peak, bandwidth)")
    for p in points:
        intensity = p.parts["decode_flops_per_step"] / p.parts["decode_bytes_per_step"]
        achieved = p.parts["decode_flops_per_step"] / p.tpot_s
        ax2.scatter([intensity], [achieved / 1e12], s=14)
        ax2.annotate(str(p.options.batch), (intensity, achieved / 1e12), fontsize=6)
    ax2.set_xscale("log")
    ax2.set_yscale("log")
    ax2.set_xlabel("arithmetic intensity (FLOPs / byte moved)")
    ax2.set_ylabel("TFLOP/s")
    ax2.set_title("decode steps by batch (predicted)", fontsize=9)
    ax2.legend(fontsize=7)
    return save(fig, path)
