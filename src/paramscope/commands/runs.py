"""paramscope runs [--json]: published training runs next to paramscope's FLOPs and implied MFU."""

from __future__ import annotations

import textwrap

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
    # two tables of at most 80 columns: compute, then hardware and cost
    out = [render.table([t[:6] for t in table], ["run", "tokens", "seq", "FLOPs paper", "6ND paper N",
                                                 "FLOPs ours"], align="lrrrrr"), "",
           render.table([t[:1] + t[6:] for t in table], ["run", "GPU-hours", "hardware", "implied MFU",
                                                         "reported MFU", "cost USD"], align="lrlrrr"), ""]
    for r in rows:
        if r.get("pretraining_implied_mfu") is not None:
            out += textwrap.wrap(f"{r['id']}: the pre-training phase alone ({r['pretraining_gpu_hours']:,.0f} of "
                       f"{r['gpu_hours']:,.0f} GPU-hours) implies {r['pretraining_implied_mfu']:.1%} MFU"
                       + (f"; ${r['reported_cost_usd']:,.0f} = {r['gpu_hours']:,.0f} GPU-hours x "
                          f"${r['price_per_hour_usd']:g}" if r["reported_cost_usd"] else ""), 80, subsequent_indent="  ")
    notes = ["FLOPs ours: 6 x active matrix parameters x tokens + 3 x causal attention at the run's "
             "sequence length, from the catalog architecture.",
             "FLOPs paper: as the paper reports them; 6ND paper N: 6 x the paper's parameter count x tokens.",
             "+: no catalog architecture (6 x reported parameters).",
             "*: sequence length not stated (2048 assumed).",
             "Implied MFU: those FLOPs / (GPU-hours x 3600 x dense bf16 peak; fp16 where there is no bf16). "
             "Reported GPU-hours usually include restarts, evaluation and later phases, so it is a whole-run "
             "average below the steady-state figure. See docs/runs.md."]
    for n in notes:
        out += textwrap.wrap(n, 80, subsequent_indent="  ")
    return "\n".join(out)
