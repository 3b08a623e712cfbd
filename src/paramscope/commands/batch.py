"""paramscope batch MODEL --gpu NAME [--tpot 50ms] [deployment options] [--json]: the largest batch under memory
and a latency target, and what stops it (memory, the TPOT target, or the compute knee)."""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy
    from . import COUNT_RULE, add_deployment_args

    p = sub.add_parser("batch", help="largest batch under memory and a TPOT target, with the reason it stops",
                       epilog=COUNT_RULE)
    _add_model(p)
    add_deployment_args(p, require_gpu=True)
    p.add_argument("--tpot", default=None, help="time-per-output-token target, e.g. 50ms")
    _add_json(p)
    p.set_defaults(func=_lazy("batch"))


def run(args) -> int:
    from ..plan.batch import max_batch
    from ..plan.workload import parse_duration
    from . import deployment_from_args, hardware_from_args, load, wrap80

    hw = hardware_from_args(args)
    model = load(args.model)
    dep = deployment_from_args(args, model, hw, batch=1)
    tpot = None if args.tpot is None else parse_duration(args.tpot, "TPOT target")
    r = max_batch(dep, tpot_s=tpot)
    if args.json:
        render.emit_json(r)
        return 0 if r["batch"] else 4
    if not r["batch"]:
        from ..errors import DoesNotFitError

        raise DoesNotFitError(r["why"])
    print(wrap80(f"{r['model']} on {r['gpus']} x {r['hardware']} ({r['engine']}): largest batch {r['batch']:,} "
                 f"(stops at: {r['stops_at']}; {r['why']})\n"
                 f"at that batch: TPOT {r['tpot_s'] * 1e3:,.2f} ms, {r['decode_tokens_per_s']:,.0f} tokens/s; "
                 f"memory allows {r['memory_batch']:,}; compute knee {r['knee_batch'] or '-'}"))
    return 0
