"""In-process speed of paramscope against transformers building the same model on the meta device.

For each catalog model, best and median of N runs (time.perf_counter) of:

  load      paramscope.model.load_model(id): catalog record -> Model (spec + tensor inventory)
  analysis  paramscope.params.analyze(model): exact counts by role, layer, active, effective
  memory    paramscope.memory.report.memory_report(model, MemoryOptions()): inference memory
  meta      transformers: config class from the catalog config, architectures[0]._from_config under
            torch.device("meta"), sum of parameter numel (the fastest way transformers gives the count;
            the exactness tests build models this way)
  accel     what `accelerate estimate-memory` does once it has the config: init_empty_weights() +
            AutoModel.from_config(config, torch_dtype=float32) + calculate_maximum_sizes(model)

and prints a markdown table. The target (issue 2) is analysing one model in well under 1 ms.

    .venv/bin/python benchmarks/bench_params.py [--n 50] [--n-hf 3] [--no-transformers]

torch, transformers and accelerate are optional here: without them only the paramscope columns are filled.
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import time

MODELS = ["llama-3.1-70b", "deepseek-v3", "mixtral-8x7b", "gpt-oss-120b", "qwen3-235b-a22b", "gemma-3-27b"]
TARGET_ANALYSIS_S = 1e-3


def timeit(fn, n: int) -> tuple[float, float]:
    """(best, median) seconds over n calls."""
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def ms(t: tuple[float, float], digits: int = 3) -> str:
    return f"{t[0] * 1e3:.{digits}f} / {t[1] * 1e3:.{digits}f}"


def _hf_config(tf, cfg: dict):
    kwargs = {k: v for k, v in cfg.items() if k not in ("transformers_version", "architectures", "auto_map")}
    return tf.CONFIG_MAPPING[cfg["model_type"]](**kwargs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=50, help="runs per paramscope measurement (default 50)")
    ap.add_argument("--n-hf", type=int, default=3, help="runs per transformers measurement (default 3)")
    ap.add_argument("--no-transformers", action="store_true", help="skip the transformers/accelerate columns")
    args = ap.parse_args(argv)

    from paramscope.memory.report import MemoryOptions, memory_report
    from paramscope.model import load_model
    from paramscope.params import analyze

    tf = torch = None
    import_s = None
    if not args.no_transformers:
        try:
            t0 = time.perf_counter()
            import torch
            import transformers as tf
            from accelerate import init_empty_weights
            from accelerate.utils import calculate_maximum_sizes
            import_s = time.perf_counter() - t0
            tf.logging.set_verbosity_error()
        except ImportError:
            tf = None

    print(f"Python {platform.python_version()}, {platform.machine()}; best / median of {args.n} runs "
          f"(paramscope), {args.n_hf} runs (transformers); times in ms.")
    if tf is not None:
        import accelerate

        print(f"torch {torch.__version__}, transformers {tf.__version__}, accelerate {accelerate.__version__}; "
              f"importing them took {import_s * 1e3:.0f} ms (not in the table).")
    print()
    print("| model | load | params analysis | load + analysis | memory report | transformers meta build "
          "| = total? | accelerate path | meta / (load+analysis) | accelerate / (load+analysis) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    worst = 0.0
    for mid in MODELS:
        load_model(mid)  # warm: first call reads the record and imports the family adapter
        load = timeit(lambda mid=mid: load_model(mid), args.n)
        m = load_model(mid)
        ana = timeit(lambda m=m: analyze(m), args.n)
        both = timeit(lambda mid=mid: analyze(load_model(mid)), args.n)
        mem = timeit(lambda m=m: memory_report(m, MemoryOptions()), args.n)
        worst = max(worst, ana[0])
        meta = same = accel = r_meta = r_accel = "-"
        if tf is not None:
            cfg = m.record["config"]
            conf = _hf_config(tf, cfg)
            cls = getattr(tf, cfg["architectures"][0])
            counted: list[int] = []

            def build(conf=conf, cls=cls, counted=counted):
                with torch.device("meta"):
                    model = cls._from_config(conf)
                counted.append(sum(p.numel() for p in model.parameters()))

            t_meta = timeit(build, args.n_hf)
            meta = ms(t_meta, 0)
            same = "yes" if counted[-1] == analyze(m).total else f"no ({counted[-1]:,})"
            r_meta = f"{t_meta[0] / both[0]:.0f}x"

            def accelerate_path(conf=conf):
                with init_empty_weights():
                    model = tf.AutoModel.from_config(conf, torch_dtype=torch.float32)
                return calculate_maximum_sizes(model)

            try:
                t_acc = timeit(accelerate_path, args.n_hf)
                accel = ms(t_acc, 0)
                r_accel = f"{t_acc[0] / both[0]:.0f}x"
            except (RuntimeError, MemoryError) as exc:
                # init_empty_weights() moves parameters to meta only after they are created on the CPU:
                # a fused expert stack larger than the machine's memory fails to allocate.
                msg = str(exc).splitlines()[0]
                size = re.search(r"allocate (\d+) bytes", str(exc))
                accel = (f"fails: CPU allocation of {int(size.group(1)) / 1e9:.1f} GB refused" if size
                         else "fails: " + msg[:60])
        print(f"| {mid} | {ms(load)} | {ms(ana)} | {ms(both)} | {ms(mem)} | {meta} | {same} | {accel} "
              f"| {r_meta} | {r_accel} |")
    print()
    verdict = "met" if worst < TARGET_ANALYSIS_S else "NOT met"
    print(f"Target: params analysis well under 1 ms: slowest best {worst * 1e3:.3f} ms -> {verdict}")
    return 0 if worst < TARGET_ANALYSIS_S else 1


if __name__ == "__main__":
    raise SystemExit(main())
