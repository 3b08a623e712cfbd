"""paramscope runs [--json]: published training runs next to paramscope's FLOPs and implied MFU."""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("runs", help="published training runs (data/runs.toml) with computed FLOPs and implied MFU")
    _add_json(p)
    p.set_defaults(func=_lazy("runs"))


def _f(x, fmt):
    return "-" if x is None else format(x, fmt)


def run(args) -> int:
    from ..training_cost import load_runs, run_row

    rows = [run_row(r) for r in load_runs()]
    if args.json:
        render.emit_json({"runs": rows})
        return 0
    table = [[r["id"], _f(r["tokens"], ".3g"), _f(r["reported_flops"], ".3g"), _f(r["flops"], ".3g"),
              _f(r["gpu_hours"], ",.0f"), r["hardware"] or "-", _f(r["implied_mfu"], ".1%"), _f(r["reported_mfu"], ".1%")]
             for r in rows]
    print(render.table(table, ["run", "tokens", "FLOPs reported", "FLOPs paramscope", "GPU-hours", "hardware",
                               "implied MFU", "reported MFU"], align="lrrrrlrr"))
    print("\nFLOPs paramscope: 6 x active matrix parameters x tokens + causal attention at 2048 tokens, from the catalog "
          "architecture (6 x reported parameters where the catalog has none). Implied MFU: those FLOPs over "
          "GPU-hours x dense bf16 (fp16 on V100/TPU v3) peak; GPU-hours usually cover the final run only. "
          "See docs/runs.md.")
    return 0
