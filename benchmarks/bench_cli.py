"""End-to-end CLI wall time against bare Python start-up and accelerate estimate-memory.

    .venv/bin/python benchmarks/bench_cli.py
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.path.join(os.path.dirname(sys.executable), "paramscope")


def timeit(cmd, n=10):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=False)
        ts.append(time.perf_counter() - t0)
    return min(ts), statistics.median(ts)


def main() -> None:
    from paramscope import catalog

    base = timeit([sys.executable, "-c", "import json"])
    rows = [("python -c 'import json'", base)]
    for args in (["params", "llama-3.1-70b", "--json"], ["memory", "llama-3.1-70b", "--json"], ["--help"]):
        rows.append(("paramscope " + " ".join(args), timeit([BIN, *args])))
    d = tempfile.mkdtemp()
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(catalog.get("llama-3.1-70b")["config"], f)
    acc = os.path.join(os.path.dirname(sys.executable), "accelerate")
    if os.path.exists(acc):
        r = subprocess.run([acc, "estimate-memory", d, "--library_name", "transformers"], capture_output=True,
                           text=True, env=dict(os.environ, HF_HUB_OFFLINE="1"))
        label = "accelerate estimate-memory <dir>" + ("" if r.returncode == 0 else
                                                      f" (fails offline: {r.stderr.strip().splitlines()[-1][:60]})")
        rows.append((label, timeit([acc, "estimate-memory", d, "--library_name", "transformers"], n=3)))
    print("| command | best s | median s | vs python start-up (best) |")
    print("|---|---|---|---|")
    for label, (best, med) in rows:
        print(f"| {label} | {best:.3f} | {med:.3f} | {best / base[0]:.1f}x |")


if __name__ == "__main__":
    main()
