"""End-to-end CLI wall time against bare Python start-up and `accelerate estimate-memory`, plus the import
hygiene of the plain CLI path.

    .venv/bin/python benchmarks/bench_cli.py [--n 10] [--n-accelerate 3]

Every command runs in a subprocess with the interpreter running this script (so the baseline and paramscope
pay the same start-up, site-packages included); best and median wall time of N runs after one warm-up run.

accelerate estimate-memory takes only a Hub id: it first asks the Hub for the repo's metadata
(huggingface_hub.model_info), then AutoConfig.from_pretrained(id), AutoModel.from_config under
init_empty_weights() and calculate_maximum_sizes. Offline that first call fails, so two rows are measured:
the real command pointed at a local directory holding the catalog's config.json (it fails, and its time is
start-up plus the failure), and the same command with only the Hub look-up replaced by a stub that returns
the local config (everything else is accelerate's and transformers' own code, local config.json included).

Import hygiene: `python -X importtime -m paramscope params llama-3.1-70b --json` (and `memory`) must import
none of torch, transformers, numpy, huggingface_hub, safetensors, gguf, matplotlib. The script exits 1 if
one is imported (naming the module that imported it); timing results only print a verdict.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HEAVY = ("torch", "transformers", "numpy", "huggingface_hub", "safetensors", "gguf", "matplotlib")
TARGET_RATIO = 6.0  # params llama-3.1-70b --json under 6x `python -c "import json"`
MODEL = "llama-3.1-70b"

# accelerate's own CLI entry point, with only the Hub metadata look-up stubbed out (no network here).
ACCELERATE_STUBBED = """\
import sys, types
import accelerate.commands.estimate as est
from accelerate.commands.accelerate_cli import main
est.model_info = lambda repo, token=None: types.SimpleNamespace(config={}, library_name="transformers")
sys.argv = ["accelerate", "estimate-memory", sys.argv[1], "--library_name", "transformers"]
main()
"""


def timeit(cmd: list[str], n: int, env: dict | None = None) -> tuple[float, float, subprocess.CompletedProcess]:
    """(best, median) seconds over n runs after one warm-up run, and the warm-up's result."""
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, env=env, check=False)
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts), first


def paramscope_cmd() -> list[str]:
    script = os.path.join(os.path.dirname(sys.executable), "paramscope")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "paramscope"]


def import_report(argv: list[str]) -> tuple[int, list[tuple[str, str]]]:
    """Modules imported by `python -X importtime -m paramscope ARGV` and the heavy ones as (module, importer)."""
    r = subprocess.run([sys.executable, "-X", "importtime", "-m", "paramscope", *argv], capture_output=True,
                       text=True, check=False)
    if r.returncode != 0:
        raise SystemExit(f"paramscope {' '.join(argv)} failed: {r.stderr.strip().splitlines()[-1:]}")
    rows = []  # (depth, module) in importtime's order: children are printed before their parent
    for line in r.stderr.splitlines():
        if not line.startswith("import time:") or "|" not in line or "cumulative" in line:
            continue
        name_field = line.rsplit("|", 1)[1]
        name = name_field.lstrip()
        rows.append(((len(name_field) - len(name) - 1) // 2, name.strip()))
    heavy = []
    for i, (depth, name) in enumerate(rows):
        if name.split(".")[0] in HEAVY:
            # the importer is the first later line one level up; at top level it is the script itself
            parent = next((n for d, n in rows[i + 1:] if d < depth), "__main__")
            heavy.append((name, parent))
    return len(rows), heavy


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="runs per command (default 10)")
    ap.add_argument("--n-accelerate", type=int, default=3, help="runs per accelerate command (default 3)")
    args = ap.parse_args(argv)

    from paramscope import catalog

    ps = paramscope_cmd()
    print(f"Python {platform.python_version()} ({sys.executable}), {os.cpu_count()} CPUs; best / median of "
          f"{args.n} runs ({args.n_accelerate} for accelerate), after one warm-up run; paramscope = {' '.join(ps)}")
    print()

    base = timeit([sys.executable, "-c", "import json"], args.n)
    rows = [('python -c "import json"', base, "")]
    results = {}
    for cmd in (["params", MODEL, "--json"], ["memory", MODEL, "--json"], ["--help"]):
        t = timeit([*ps, *cmd], args.n)
        ok = "" if t[2].returncode == 0 else f" (exit {t[2].returncode})"
        rows.append(("paramscope " + " ".join(cmd) + ok, t, ""))
        results[cmd[0]] = t

    accelerate = shutil.which("accelerate", path=os.path.dirname(sys.executable)) or shutil.which("accelerate")
    tmp = tempfile.mkdtemp(prefix="paramscope-bench-")
    try:
        with open(os.path.join(tmp, "config.json"), "w") as f:
            json.dump(catalog.get(MODEL)["config"], f)
        offline = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_VERBOSITY="error")
        acc_real = acc_stub = None
        if accelerate:
            acc_real = timeit([accelerate, "estimate-memory", tmp, "--library_name", "transformers"],
                              args.n_accelerate, env=offline)
            r = acc_real[2]
            why = ("runs" if r.returncode == 0 else
                   "fails offline: " + (r.stderr.strip().splitlines() or ["?"])[-1][:90].replace("|", "/"))
            rows.append((f"accelerate estimate-memory <dir with config.json> ({why})", acc_real, ""))
            try:
                import accelerate as _acc  # noqa: F401

                acc_stub = timeit([sys.executable, "-c", ACCELERATE_STUBBED, tmp], args.n_accelerate, env=offline)
                r = acc_stub[2]
                ok = "" if r.returncode == 0 else f" (exit {r.returncode}: {r.stderr.strip().splitlines()[-1][:80]})"
                rows.append(("accelerate estimate-memory, Hub look-up stubbed" + ok, acc_stub, ""))
            except ImportError:
                pass
        else:
            rows.append(("accelerate estimate-memory (accelerate not installed)", (float("nan"),) * 2, ""))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print("| command | best ms | median ms | best / python start-up |")
    print("|---|---|---|---|")
    for label, (best, med, *_), _ in rows:
        print(f"| {label} | {best * 1e3:.0f} | {med * 1e3:.0f} | {best / base[0]:.1f}x |")
    print()

    ratio = results["params"][0] / base[0]
    verdict = "met" if ratio < TARGET_RATIO else "NOT met"
    print(f"Target: `paramscope params {MODEL} --json` < {TARGET_RATIO:g}x python start-up: "
          f"{ratio:.2f}x (median {results['params'][1] / base[1]:.2f}x) -> {verdict}")
    for label, t in (("real CLI, failing offline", acc_real), ("Hub look-up stubbed", acc_stub)):
        if t is not None:
            print(f"accelerate estimate-memory ({label}) / paramscope params: {t[0] / results['params'][0]:.1f}x "
                  f"(best), {t[1] / results['params'][1]:.1f}x (median)")
    print()

    status = 0
    for cmd in (["params", MODEL, "--json"], ["memory", MODEL, "--json"]):
        n, heavy = import_report(cmd)
        line = f"Import hygiene, paramscope {' '.join(cmd)}: {n} modules imported; heavy: "
        if heavy:
            status = 1
            print(line + ", ".join(f"{m} (imported by {p})" for m, p in heavy) + " -> FAIL")
        else:
            print(line + f"none of {', '.join(HEAVY)} -> ok")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
