"""Predicted vs measured on a CUDA machine: TTFT, TPOT, tokens/s, peak memory and KV-cache bytes.

Builds real architectures from catalog configs with random weights in transformers (bf16, SDPA), runs
prefill and decode with CUDA events, and prints a markdown table next to paramscope's predictions
(`perf_report`, `memory_report` with --engine transformers). Paste the table into docs/validation.md with
the date, device and versions it prints.

    .venv/bin/python scripts/validate_gpu.py [--models qwen3-0.6b,llama-3.2-1b-instruct,qwen3-8b]
        [--gpu h100-sxm] [--prompt 512] [--gen 64] [--batches 1,8]

Without CUDA it prints a message and exits 0 (``--dry-run`` shows the predictions only).
"""

from __future__ import annotations

import argparse
import sys


def _detect_gpu(torch) -> str:
    name = torch.cuda.get_device_name().lower()
    for key, hw in (("h200", "h200-sxm"), ("h100 pcie", "h100-pcie"), ("h100 nvl", "h100-nvl"), ("h100", "h100-sxm"),
                    ("a100-sxm4-80", "a100-80gb-sxm"), ("a100 80gb pcie", "a100-80gb-pcie"), ("a100", "a100-40gb-sxm"),
                    ("l40s", "l40s"), ("l4", "l4"), ("a10g", "a10g"), ("a10", "a10"), ("4090", "rtx-4090"),
                    ("b200", "b200")):
        if key in name:
            return hw
    raise SystemExit(f"unknown GPU {name!r}: pass --gpu, or run `paramscope calibrate --device cuda` and name it")


def _measure(model_id: str, batch: int, prompt: int, gen: int, torch, transformers) -> dict:
    from paramscope import catalog

    cfg = dict(catalog.get(model_id)["config"])
    conf = transformers.AutoConfig.for_model(**{k: v for k, v in cfg.items() if k != "architectures"})
    cls = getattr(transformers, cfg["architectures"][0])
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    with torch.device("cuda"):
        model = cls._from_config(conf, dtype=torch.bfloat16, attn_implementation="sdpa").eval()
    weights = torch.cuda.memory_allocated()
    ids = torch.randint(0, cfg.get("vocab_size", 32000), (batch, prompt), device="cuda")
    start, mid, end = (torch.cuda.Event(enable_timing=True) for _ in range(3))
    with torch.no_grad():
        model(ids[:, :8], use_cache=True)  # warm-up
        torch.cuda.synchronize()
        start.record()
        out = model(ids, use_cache=True)
        mid.record()
        cache = out.past_key_values
        nxt = out.logits[:, -1:].argmax(-1)
        for _ in range(gen - 1):
            out = model(nxt, past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            nxt = out.logits[:, -1:].argmax(-1)
        end.record()
        torch.cuda.synchronize()
    kv = 0
    for layer in getattr(cache, "layers", []):
        for name in ("keys", "values"):
            t = getattr(layer, name, None)
            if t is not None and hasattr(t, "numel"):
                kv += t.numel() * t.element_size()
    res = {"ttft_s": start.elapsed_time(mid) / 1e3, "tpot_s": mid.elapsed_time(end) / 1e3 / max(1, gen - 1),
           "peak_bytes": torch.cuda.max_memory_allocated(), "weights_bytes": weights, "kv_bytes": kv}
    del model, cache, out
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default="qwen3-0.6b,llama-3.2-1b-instruct,qwen3-8b")
    ap.add_argument("--gpu", default=None)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--gen", type=int, default=64)
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--dry-run", action="store_true", help="predictions only, no GPU needed")
    a = ap.parse_args()
    from paramscope.hardware import get_hardware
    from paramscope.memory.report import MemoryOptions, memory_report
    from paramscope.model import load_model
    from paramscope.perf import PerfOptions, perf_report

    torch = transformers = None
    if not a.dry_run:
        try:
            import torch
            import transformers
        except ImportError:
            print("validate_gpu: torch and transformers are needed (pip install -e '.[test]')")
            return 0
        if not torch.cuda.is_available():
            print("validate_gpu: no CUDA device here; nothing measured (use --dry-run for predictions only)")
            return 0
        print(f"device: {torch.cuda.get_device_name()}, torch {torch.__version__}, "
              f"transformers {transformers.__version__}, CUDA {torch.version.cuda}")
    gpu = a.gpu or (_detect_gpu(torch) if torch is not None else "h100-sxm")
    hw = get_hardware(gpu)
    print(f"paramscope hardware record: {hw.id}\n")
    print("| model | batch | TTFT pred ms | TTFT meas ms | TPOT pred ms | TPOT meas ms | err TPOT | "
          "peak pred GiB | peak meas GiB | KV pred MiB | KV meas MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for mid in a.models.split(","):
        m = load_model(mid)
        for b in (int(x) for x in a.batches.split(",")):
            p = perf_report(m, hw, PerfOptions(batch=b, prompt_tokens=a.prompt, gen_tokens=a.gen, weights="bf16",
                                               engine="transformers"))
            # torch.cuda.max_memory_allocated excludes the CUDA context: compare without it
            mem = memory_report(m, MemoryOptions(weights="bf16", engine="transformers", batch=b, context=a.prompt + a.gen,
                                                 cuda_context_bytes=0))
            meas = _measure(mid, b, a.prompt, a.gen, torch, transformers) if torch is not None else None

            def f(x, scale=1e3, digits=1):
                return "-" if x is None else f"{x * scale:.{digits}f}"
            err = "-" if meas is None else f"{100 * (p.tpot_s - meas['tpot_s']) / meas['tpot_s']:+.0f}%"
            print(f"| {mid} | {b} | {f(p.ttft_s)} | {f(meas and meas['ttft_s'])} | {f(p.tpot_s, digits=2)} | "
                  f"{f(meas and meas['tpot_s'], digits=2)} | {err} | {f(mem.total_bytes, 2**-30, 2)} | "
                  f"{f(meas and meas['peak_bytes'], 2**-30, 2)} | {f(mem.kv_cache_bytes, 2**-20, 0)} | "
                  f"{f(meas and meas['kv_bytes'], 2**-20, 0)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
