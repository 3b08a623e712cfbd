"""In-process speed: load a catalog model, analyse its parameters, compute its memory; against transformers
building the same model on the meta device (what accelerate estimate-memory does). Prints a markdown table.

    .venv/bin/python benchmarks/bench_params.py
"""

from __future__ import annotations

import statistics
import time

MODELS = ["llama-3.1-70b", "deepseek-v3", "mixtral-8x7b", "gpt-oss-120b", "qwen3-235b-a22b", "gemma-3-27b"]


def timeit(fn, n=20):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def main() -> None:
    from paramscope import catalog
    from paramscope.memory.report import MemoryOptions, memory_report
    from paramscope.model import from_record, load_model
    from paramscope.params import analyze

    try:
        import torch
        import transformers
        transformers.logging.set_verbosity_error()
    except ImportError:
        transformers = None
    print("| model | load ms | params analysis ms | memory report ms | transformers meta build ms | ratio |")
    print("|---|---|---|---|---|---|")
    for mid in MODELS:
        rec = catalog.get(mid)
        load = timeit(lambda rec=rec: from_record(rec))
        m = load_model(mid)
        ana = timeit(lambda m=m: analyze(m))
        mem = timeit(lambda m=m: memory_report(m, MemoryOptions()))
        meta = "-"
        ratio = "-"
        if transformers is not None:
            cfg = dict(rec["config"])
            arch = cfg["architectures"][0]
            conf = transformers.CONFIG_MAPPING[cfg["model_type"]](**{k: v for k, v in cfg.items()
                                                                      if k != "architectures"})

            def build(conf=conf, arch=arch):
                with torch.device("meta"):
                    model = getattr(transformers, arch)._from_config(conf)
                return sum(p.numel() for p in model.parameters())
            t = timeit(build, n=3)
            meta = f"{t[0] * 1e3:.0f}"
            ratio = f"{t[0] / (load[0] + ana[0]):.0f}x"
        print(f"| {mid} | {load[0] * 1e3:.2f} | {ana[0] * 1e3:.3f} | {mem[0] * 1e3:.2f} | {meta} | {ratio} |")


if __name__ == "__main__":
    main()
