"""paramscope runs [--json]: published training runs next to paramscope's FLOPs and implied MFU."""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("runs", help="published training runs (data/runs.toml, with sources) next to paramscope's "
                                    "FLOPs and the MFU their GPU-hours imply")
    _add_json(p)
    p.set_defaults(func=_lazy("runs"))


def _f(x, fmt: str) -> str:
    return "-" if x is None else format(x, fmt)


def _reported_mfu(r: dict) -> str:
    if r["reported_mfu"] is not None:
        return f"{r['reported_mfu']:.1%}"
    if r["reported_mfu_range"]:
        lo, hi = r["reported_mfu_range"]
        return f"{lo:.0%}-{hi:.0%}"
    return "-"


def run(args) -> int:
    from ..training_cost import load_runs, run_row

    rows = [run_row(r) for r in load_runs()]
    if args.json:
        render.emit_json({"runs": rows})
        return 0
    print(text(rows))
    return 0


def text(rows: list[dict]) -> str:
    table = [[r["id"], _f(r["tokens"], ".3g"), f"{r['seq_len']}" + ("*" if r["seq_len_assumed"] else ""),
              _f(r["reported_flops"], ".3g"), _f(r["six_nd_flops"], ".3g"),
              f"{r['flops']:.3g}" + ("" if r["matmul_params"] else "+"),
              _f(r["gpu_hours"], ",.0f"), r["hardware"] or "-", _f(r["implied_mfu"], ".1%"), _reported_mfu(r),
              _f(r["reported_cost_usd"], ",.0f")] for r in rows]
    out = [render.table(table, ["run", "tokens", "seq", "FLOPs reported", "6ND reported N", "FLOPs paramscope",
                                "GPU-hours", "hardware", "implied MFU", "reported MFU", "cost USD"],
                        align="lrrrrrrlrrr")]
    for r in rows:
        if r.get("pretraining_implied_mfu") is not None:
            out.append(f"{r['id']}: the pre-training phase alone ({r['pretraining_gpu_hours']:,.0f} of "
                       f"{r['gpu_hours']:,.0f} GPU-hours) implies {r['pretraining_implied_mfu']:.1%} MFU"
                       + (f"; ${r['reported_cost_usd']:,.0f} = {r['gpu_hours']:,.0f} GPU-hours x "
                          f"${r['price_per_hour_usd']:g}" if r["reported_cost_usd"] else ""))
    out.append("FLOPs paramscope: 6 x active matrix parameters x tokens + 3 x causal attention at the run's sequence "
               "length, from the catalog architecture ('+': no catalog architecture, 6 x reported parameters; '*': "
               "sequence length not stated, 2048 assumed). Implied MFU: those FLOPs / (GPU-hours x 3600 x dense bf16 "
               "peak), fp16 where the accelerator has no bf16. Reported GPU-hours usually include restarts, "
               "evaluation and later phases, so the implied MFU is a whole-run average below the steady-state "
               "figure. See docs/runs.md.")
    return "\n".join(out)
