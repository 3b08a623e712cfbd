"""Throughput vs batch and a roofline chart for one model on one device (paramscope perf --plot)."""

from __future__ import annotations

from pathlib import Path

from ._common import check_path, pyplot, save


def perf_plot(model, hw, options, path: str | Path, deployment=None, batches=()) -> Path:
    """Throughput at batch 1, 2, 4, ... (and at every requested batch, marked) for ``deployment`` (or
    ``options`` when no deployment is given)."""
    from dataclasses import replace

    from ..errors import DoesNotFitError
    from ..perf import perf_deployment, perf_report

    check_path(path)
    points = []
    wanted = sorted(set(batches))
    sizes = sorted({2 ** i for i in range(13)} | set(wanted))
    for b in sizes:
        try:
            if deployment is not None:
                points.append(perf_deployment(replace(deployment, workload=replace(deployment.workload, batch=b)),
                                              bandwidth_efficiency=options.bandwidth_efficiency,
                                              compute_efficiency=options.compute_efficiency))
            else:
                points.append(perf_report(model, hw, replace(options, batch=b)))
        except DoesNotFitError:
            break
    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot([p.options.batch for p in points], [p.decode_tokens_per_s for p in points], marker="o")
    marked = [p for p in points if p.options.batch in wanted]
    if marked:
        ax1.scatter([p.options.batch for p in marked], [p.decode_tokens_per_s for p in marked], s=60,
                    color="red", zorder=3, label="--batch")
        ax1.legend(fontsize=7)
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
