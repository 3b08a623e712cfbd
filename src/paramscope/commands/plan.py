"""paramscope plan MODEL --rate R | --concurrency N [lengths] [SLOs] [constraints] [--json] [--plot FILE]"""

from __future__ import annotations

from .. import render


def register(sub) -> None:
    from ..cli import _add_json, _add_model, _lazy

    p = sub.add_parser("plan", help="the cheapest deployment that meets latency objectives at a request rate "
                                    "(search + continuous-batching simulation)",
                       epilog="Lengths: --prompt/--gen as a fixed pair (k = 1,024), with --prompt-spread/"
                              "--gen-spread for a lognormal, or --trace FILE of (prompt, output) pairs. "
                              "Objectives: pNN:DURATION, e.g. --ttft p90:500ms --tpot p99:50ms. docs/planner.md")
    _add_model(p)
    g = p.add_argument_group("load")
    g.add_argument("--rate", default=None, help="requests per second (open loop)")
    g.add_argument("--concurrency", default=None, help="users each sending a request when the last one ends")
    g.add_argument("--prompt", default="1024", help="prompt tokens (median with --prompt-spread; default 1024)")
    g.add_argument("--gen", default="256", help="output tokens (median with --gen-spread; default 256)")
    g.add_argument("--prompt-spread", default=None, help="lognormal sigma of the prompt length (e.g. 0.8)")
    g.add_argument("--gen-spread", default=None, help="lognormal sigma of the output length")
    g.add_argument("--trace", default=None, metavar="FILE", help="request lengths: CSV prompt,output or JSON lines")
    g.add_argument("--prefix-hit", default="0", help="fraction of prompt tokens served from the prefix cache")
    g.add_argument("--arrival", default="poisson", choices=("poisson", "gamma"))
    g.add_argument("--arrival-cv", default="1", help="gamma arrivals: coefficient of variation of the gaps")
    s = p.add_argument_group("objectives")
    s.add_argument("--ttft", default=None, help="time to first token, e.g. p90:500ms")
    s.add_argument("--tpot", default=None, help="time per output token, e.g. p99:50ms")
    s.add_argument("--e2e", default=None, help="end-to-end latency, e.g. p90:10s")
    s.add_argument("--tier", default=None, help="realtime (TTFT p90 < 100 ms), near-realtime (< 1 s), batch (< 10 s)")
    c = p.add_argument_group("constraints")
    c.add_argument("--gpu", default=None, help="GPU types, comma-separated (default: every priced GPU)")
    c.add_argument("--hardware-file", action="append", default=[], metavar="TOML")
    c.add_argument("--max-gpus", default=None, help="most GPUs in all")
    c.add_argument("--budget", default=None, help="most dollars per hour")
    c.add_argument("--weights", default="native", help="weight schemes to consider, comma-separated")
    c.add_argument("--kv-dtype", default="auto", help="KV cache dtypes to consider, comma-separated")
    c.add_argument("--engine", default=None, help="engines to consider, comma-separated: vllm, tensorrt-llm, "
                                                  "llama.cpp (default: every engine that serves the GPU and scheme)")
    c.add_argument("--price-per-hour", action="append", default=[], metavar="GPU=USD",
                   help="override a GPU type's price per hour (repeatable)")
    c.add_argument("--min-quality", default=None, metavar="BENCH:SCORE",
                   help="quality floor, e.g. mmlu:60 (published model score + the scheme's published delta)")
    c.add_argument("--disaggregate", action="store_true",
                   help="also search separate prefill and decode pools (DistServe/Splitwise) and compare")
    x = p.add_argument_group("search")
    x.add_argument("--no-simulate", action="store_true", help="analytic tier only")
    x.add_argument("--sim-requests", default="4000", help="requests simulated per candidate (default 4000)")
    x.add_argument("--seed", default="0")
    p.add_argument("--plot", metavar="FILE", help="the Pareto fronts (PNG, SVG or PDF)")
    _add_json(p)
    p.set_defaults(func=_lazy("plan"))


def _list(text: str) -> tuple:
    return tuple(x.strip() for x in str(text).split(",") if x.strip())


def _engines(text):
    if text is None:
        return None
    from ..engines import resolve_engine_name

    return tuple(resolve_engine_name(e) for e in _list(text))


def _min_quality(text):
    from ..errors import InputError
    from ..units import parse_float

    if text is None:
        return None
    if ":" not in str(text):
        raise InputError(f"--min-quality: expected BENCHMARK:SCORE such as mmlu:60, got {text!r}")
    bench, v = str(text).split(":", 1)
    return bench.strip().lower(), parse_float(v, what="--min-quality")


def request_from_args(args, model):
    from ..errors import InputError
    from ..hardware import get_hardware, list_hardware
    from ..plan.planner import PlanRequest
    from ..plan.workload import fixed_lengths, lognormal_lengths, parse_slo, read_trace, tier_slo
    from ..units import parse_count, parse_float

    files = args.hardware_file or []
    if args.gpu:
        hws = tuple(get_hardware(n, files) for n in _list(args.gpu))
    else:
        hws = tuple(h for h in list_hardware(files) if h.kind == "gpu" and h.price_per_hour_usd is not None)
    prices = {}
    for item in args.price_per_hour:
        if "=" not in item:
            raise InputError(f"--price-per-hour: expected GPU=USD, got {item!r}")
        name, v = item.split("=", 1)
        prices[get_hardware(name.strip(), files).id] = parse_float(v, what="--price-per-hour")
    if args.trace:
        if args.prompt_spread or args.gen_spread:
            raise InputError("--trace gives the lengths; --prompt-spread/--gen-spread cannot be combined with it")
        lengths = read_trace(args.trace)
    else:
        pr = parse_count(args.prompt, what="--prompt", binary_k=True, minimum=1)
        gn = parse_count(args.gen, what="--gen", binary_k=True, minimum=1)
        if args.prompt_spread or args.gen_spread:
            lengths = lognormal_lengths(pr, gn, parse_float(args.prompt_spread or 0, what="--prompt-spread"),
                                        parse_float(args.gen_spread or 0, what="--gen-spread"),
                                        model.spec.max_context if model.spec else None)
        else:
            lengths = fixed_lengths(pr, gn)
    slos = []
    for metric in ("ttft", "tpot", "e2e"):
        v = getattr(args, metric)
        if v is not None:
            slos.append(parse_slo(metric, v))
    if args.tier:
        t = tier_slo(args.tier)
        if any(s.metric == t.metric and s.percentile == t.percentile and s.seconds != t.seconds for s in slos):
            raise InputError(f"--tier {args.tier} contradicts --ttft {args.ttft}")
        slos.append(t)
    if (args.rate is None) == (args.concurrency is None):
        raise InputError("give --rate (requests/s) or --concurrency (users), one of them")
    rate = conc = None
    if args.rate is not None:
        rate = parse_float(args.rate, what="--rate")
        if not rate > 0:
            raise InputError(f"--rate must be > 0 requests/s, got {args.rate}")
    else:
        conc = parse_count(args.concurrency, what="--concurrency", minimum=1)
    max_gpus = None if args.max_gpus is None else parse_count(args.max_gpus, what="--max-gpus", minimum=1)
    budget = None if args.budget is None else parse_float(str(args.budget).lstrip("$"), what="--budget")
    if budget is not None and budget <= 0:
        raise InputError(f"--budget must be > 0 $/hour, got {args.budget}")
    for h in hws:
        if h.kind != "gpu":
            raise InputError(f"{h.id} is a {h.kind}; the planner models GPU serving engines")
    return PlanRequest(
        model, hws, lengths, tuple(slos), rate=rate, concurrency=conc,
        prefix_hit=parse_float(args.prefix_hit, what="--prefix-hit"), weights=_list(args.weights),
        kv_dtypes=_list(args.kv_dtype), engines=_engines(args.engine), max_gpus=max_gpus,
        budget_usd_per_hour=budget, min_quality=_min_quality(args.min_quality),
        disaggregate=bool(getattr(args, "disaggregate", False)),
        price_overrides=prices, arrival=args.arrival, arrival_cv=parse_float(args.arrival_cv, what="--arrival-cv"),
        simulate=not args.no_simulate,
        sim_requests=parse_count(args.sim_requests, what="--sim-requests", minimum=10),
        seed=parse_count(args.seed, what="--seed", minimum=0))


def run(args) -> int:
    from ..errors import DependencyError, DoesNotFitError
    from . import load, wrap80

    try:
        import numpy  # noqa: F401
    except ImportError:  # pragma: no cover
        raise DependencyError("plan needs numpy: pip install 'paramscope[fast]'") from None
    from ..plan.planner import plan

    model = load(args.model)
    req = request_from_args(args, model)
    if req.sim_requests > 100_000:
        from ..errors import InputError

        raise InputError("--sim-requests: at most 100,000 requests per candidate")
    res = plan(req)
    res.pop("_best_deployment", None)
    if args.plot:
        import sys

        print(f"wrote {_plot(res, args.plot)}", file=sys.stderr)
    if args.json:
        render.emit_json(res)
    else:
        print(wrap80("\n".join(_text(res))))
    if res["best"] is None:
        raise DoesNotFitError(res["nothing_fits"])
    return 0


def _ms(s) -> str:
    return "-" if s is None else f"{s * 1e3:,.0f}"


def _text(res: dict) -> list[str]:
    w = res["workload"]
    load = (f"{w['rate_requests_per_s']:g} req/s" if "rate_requests_per_s" in w else
            f"{w['concurrency']} concurrent users")
    lines = [f"{res['model']}: {load}, prompt {w['mean_prompt_tokens']:,.0f} / output {w['mean_gen_tokens']:,.0f} "
             f"tokens (mean, {w['lengths']['kind']})"]
    if res["slos"]:
        lines.append("objectives: " + ", ".join(f"{s['metric'].upper()} p{s['percentile']:g} <= "
                                                f"{s['seconds'] * 1e3:,.0f} ms" for s in res["slos"]))
    b = res["best"]
    if b and b.get("pools"):
        lines += _pools_text(b)
    elif b:
        lines.append(f"best ({b['engine']}): {b['replicas']} x {b['gpus_per_replica']} {b['hardware']} ({b['gpus_total']} GPUs; "
                     f"tp {b['tensor_parallel']}, pp {b['pipeline_parallel']}), {b['weights']} weights, KV "
                     f"{b['kv_dtype']}, max_num_seqs {b['max_num_seqs']}, max_num_batched_tokens "
                     f"{b['max_num_batched_tokens']:,}")
        lines.append(f"  cost: ${b['usd_per_hour']:,.2f}/h, ${b['usd_per_month']:,.0f}/month; "
                     f"${b['usd_per_million_input_tokens']:,.3f} per M input, "
                     f"${b['usd_per_million_output_tokens']:,.3f} per M output tokens")
        e = b.get("energy_kwh_per_million_tokens")
        lines.append(f"  {b['tokens_per_s_per_gpu']:,.0f} tokens/s/GPU, {b['tokens_per_s_per_user']:,.0f} tokens/s "
                     f"per user, goodput {b['goodput_requests_per_s']:,.2f} req/s"
                     + (f", {e:,.3f} kWh per M tokens (at TDP)" if e is not None else ""))
        lat = ", ".join(f"{m.upper()} p{p} {_ms(b.get(f'{m}_p{p}_s'))} ms" for m in ("ttft", "tpot")
                        for p in (50, 90, 99) if b.get(f"{m}_p{p}_s") is not None)
        lines.append(f"  latency ({b['latency']}): {lat}")
        lines.append(f"  launch: {b['launch_command']}")
    else:
        lines.append(f"nothing fits: {res['nothing_fits']}")
    front = res["pareto"]
    if front:
        lines.append("Pareto front (cost per M tokens vs tokens/s per user):")
        rows = [[p["hardware"], f"{p['gpus_total']}", f"tp{p['tensor_parallel']} pp{p['pipeline_parallel']}",
                 f"{p['max_num_seqs']}", f"{p['usd_per_hour']:,.2f}", f"{p['usd_per_million_tokens']:,.3f}",
                 f"{p['tokens_per_s_per_user']:,.0f}", p["latency"]] for p in front[:12]]
        lines.append(render.table(rows, ["GPU", "GPUs", "layout", "seqs", "$/h", "$/M tok", "tok/s/user", "latency"],
                                  align="lrlrrrrl"))
    d = res.get("disaggregated")
    if d is not None:
        c = d["comparison"]
        lines.append(f"disaggregated vs co-located: ${_usd(c['disaggregated_usd_per_hour'])}/h "
                     f"({c['disaggregated_gpus'] or '-'} GPUs) vs ${_usd(c['colocated_usd_per_hour'])}/h "
                     f"({c['colocated_gpus'] or '-'} GPUs): {c['cheaper'] or 'neither fits'} is cheaper")
        if d["best"] is not None and not (b and b.get("pools")):
            lines += ["  " + x for x in _pools_text(d["best"])]
        for r in d["rejected"][:8]:
            lines.append(f"rejected pools {r['prefill'] or '-'} -> {r['decode']}: {r['reason']} ({r['detail']})")
    for r in res["rejected"]:
        lines.append(f"rejected {r['family']}: {r['reason']}" + (f" ({r['detail']})" if r["detail"] else ""))
    s = res["search"]
    lines.append(f"searched {s['candidates']:,} candidates in {s['analytic_s']:.2f} s; simulated {s['simulated']} "
                 f"({s['simulated_requests']:,} requests in {s['simulation_s']:.2f} s)")
    return lines


def _usd(v) -> str:
    return "-" if v is None else f"{v:,.2f}"


def _pools_text(b: dict) -> list[str]:
    out = [f"disaggregated: ${b['usd_per_hour']:,.2f}/h, {b['gpus_total']} GPUs; KV transfer "
           f"{b['kv_transfer']['seconds_per_request'] * 1e3:,.2f} ms per request over {b['kv_transfer']['link']}; "
           f"TTFT p90 {_ms(b.get('ttft_p90_s'))} ms, TPOT {_ms(b['tpot_s'])} ms (analytic)"]
    for role in ("prefill", "decode"):
        p = b["pools"][role]
        out.append(f"  {role} pool: {p['replicas']} x {p['gpus_per_replica']} {p['hardware']} ({p['engine']}, tp "
                   f"{p['tensor_parallel']}, pp {p['pipeline_parallel']}), ${p['usd_per_hour']:,.2f}/h")
        if p.get("launch_command"):
            out.append(f"    launch: {p['launch_command']}")
    return out


def _plot(res: dict, path: str):
    from ..plots._common import check_path, pyplot, save

    check_path(path)
    plt = pyplot()
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4.2))
    f1 = res["pareto"]
    f2 = res["pareto_latency"]
    a1.plot([p["tokens_per_s_per_user"] for p in f1], [p["usd_per_million_tokens"] for p in f1], "o-")
    a1.set_xlabel("tokens/s per user")
    a1.set_ylabel("$ per million tokens")
    key = next((k for k in (f2[0] if f2 else {}) if k.startswith("ttft_p") and k.endswith("_s")), None)
    if key:
        a2.plot([p[key] * 1e3 for p in f2], [p["usd_per_million_tokens"] for p in f2], "o-")
        a2.set_xlabel(key.replace("_s", "").replace("_", " ").upper() + " (ms)")
    a2.set_ylabel("$ per million tokens")
    b = res["best"]
    if b:
        a1.plot([b["tokens_per_s_per_user"]], [b["usd_per_million_tokens"]], "r*", ms=14, label="best")
        a1.legend()
    fig.suptitle(f"{res['model']}: plan Pareto fronts")
    return save(fig, path)
