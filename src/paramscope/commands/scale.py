"""paramscope scale --compute C | --params N --tokens D [--inference-tokens T] [--plot FILE] [--json]"""

from __future__ import annotations

from .. import render
from ..units import human_count, parse_float


def register(sub) -> None:
    from ..cli import _add_json, _lazy

    p = sub.add_parser("scale", help="scaling laws: compute-optimal size and data (Chinchilla, Epoch AI, Kaplan), "
                                     "predicted loss, inference-adjusted optimum")
    p.add_argument("--compute", default=None, help="training budget in FLOPs (e.g. 5.76e23)")
    p.add_argument("--params", default=None, help="with --tokens: predict the loss of this model size")
    p.add_argument("--tokens", default=None, help="with --params: training tokens")
    p.add_argument("--inference-tokens", default=None, help="with --compute: lifetime inference tokens "
                                                            "(Sardana et al. 2023)")
    p.add_argument("--plot", metavar="FILE", help="iso-FLOP curves (PNG or SVG); needs --compute")
    _add_json(p)
    p.set_defaults(func=_lazy("scale"))


def run(args) -> int:
    from .. import scaling
    from ..errors import InputError

    out: dict = {"notes": [scaling.rounded_constants_note("hoffmann"),
                           "loss falls as a power law in N and D (L = E + A/N^alpha + B/D^beta): each doubling of "
                           "parameters buys less, so 'more parameters is always linearly better' is false"]}
    if args.compute is None and (args.params is None or args.tokens is None):
        raise InputError("give --compute C, or --params N and --tokens D")
    if args.compute is not None:
        c = parse_float(args.compute, what="compute")
        out["compute_flops"] = c
        out["optimum"] = [vars(scaling.chinchilla_optimal(c, fit)) for fit in scaling.FITS]
        out["optimum"].append(vars(scaling.tokens_per_param_rule(c)))
        out["kaplan"] = vars(scaling.kaplan_optimal(c))
        if args.inference_tokens is not None:
            t = parse_float(args.inference_tokens, what="inference tokens")
            out["inference_adjusted"] = vars(scaling.inference_adjusted_optimal(c, t, "epoch"))
    if args.params is not None or args.tokens is not None:
        if args.params is None or args.tokens is None:
            raise InputError("--params and --tokens go together")
        n, d = parse_float(args.params, what="params"), parse_float(args.tokens, what="tokens")
        out["loss"] = {fit: scaling.chinchilla_loss(n, d, fit) for fit in scaling.FITS}
        out["loss"]["kaplan_joint"] = scaling.kaplan_loss_joint(n, d)
        out["params"], out["tokens"] = n, d
    if args.plot:
        if args.compute is None:
            raise InputError("--plot needs --compute")
        from ..plots.scaling import iso_flop_plot

        out["plot"] = str(iso_flop_plot(out["compute_flops"], args.plot))
    if args.json:
        render.emit_json(out)
        return 0
    if "optimum" in out:
        print(f"compute budget {out['compute_flops']:.3g} FLOPs (C = 6 N D)")
        rows = [[o.get("method", ""), human_count(o["n_params"]), human_count(o["n_tokens"]),
                 f"{o['n_tokens'] / o['n_params']:.1f}", "-" if o.get("loss") is None else f"{o['loss']:.3f}"]
                for o in out["optimum"]]
        k = out["kaplan"]
        rows.append(["kaplan (2020)", human_count(k["n_params"]), human_count(k["n_tokens"]),
                     f"{k['n_tokens'] / k['n_params']:.1f}", "-"])
        print(render.table(rows, ["law", "params", "tokens", "tokens/param", "loss"], align="lrrrr"))
        if "inference_adjusted" in out:
            ia = out["inference_adjusted"]
            print(f"\ninference-adjusted (Sardana et al. 2023, Epoch fit), {ia['inference_tokens']:.3g} inference "
                  f"tokens: {human_count(ia['n_params'])} params on {human_count(ia['n_tokens'])} tokens "
                  f"(vs {human_count(ia['chinchilla_n_params'])}), saving {ia['savings_flops']:.3g} FLOPs over "
                  "the lifetime")
    if "loss" in out:
        print(f"\npredicted loss for {human_count(out['params'])} params on {human_count(out['tokens'])} tokens:")
        print(render.table([[k, f"{v:.4f}"] for k, v in out["loss"].items()], ["law", "loss (nats/token)"]))
    if "plot" in out:
        print(f"\nwrote {out['plot']}")
    for note in out["notes"]:
        print(f"note: {note}")
    return 0
