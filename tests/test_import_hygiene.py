"""The plain CLI paths import no heavy dependency (torch, transformers, numpy, huggingface_hub, safetensors,
gguf, matplotlib), so start-up stays close to bare Python. Not timed: speed is measured in
benchmarks/bench_cli.py (docs/benchmarks.md). Commands that may use numpy when it is there (perf grids,
calibrate) are not listed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "numpy", "huggingface_hub", "safetensors", "gguf", "matplotlib")
MARK = "@@paramscope-import-hygiene@@"

COMMANDS = [
    ["params", "llama-3.1-70b", "--json"],
    ["memory", "llama-3.1-70b", "--json"],
    ["fit", "llama-3.1-8b", "--gpu", "h100-sxm", "--json"],
    ["models"],
    ["models", "--json"],
    ["show", "deepseek-v3"],
    ["show", "deepseek-v3", "--json"],
    ["tco", "--price-per-hour", "1.2", "--gpus", "1", "--hours", "720", "--utilization", "0.6", "--json"],
    ["compare", "llama-3.1-8b", "llama-3.1-70b", "--gpu", "h100-sxm", "--json"],
    ["train", "llama-2-7b", "--tokens", "2T", "--gpu", "a100-80gb-sxm", "--count", "64", "--json"],
    ["runs", "--json"],
    ["scale", "--compute", "5.76e23", "--json"],
    ["hardware", "--json"],
    ["split", "llama-2-70b", "--gpu", "a100-80gb-sxm", "--count", "4", "--pp", "4", "--json"],
]


def _run(argv: list[str]) -> tuple[int, list[str], str]:
    code = (
        "import paramscope.cli, sys, json\n"
        f"rc = paramscope.cli.main({argv!r})\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        f"print({MARK!r} + json.dumps([rc, heavy]))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    last = [ln for ln in r.stdout.splitlines() if ln.startswith(MARK)]
    assert last, f"no report from the subprocess: stdout={r.stdout[-500:]!r} stderr={r.stderr[-500:]!r}"
    rc, heavy = json.loads(last[-1][len(MARK):])
    return rc, heavy, r.stderr


@pytest.mark.parametrize("argv", COMMANDS, ids=[" ".join(a) for a in COMMANDS])
def test_no_heavy_imports(argv):
    rc, heavy, stderr = _run(argv)
    assert rc == 0, stderr
    assert heavy == [], f"paramscope {' '.join(argv)} imported {heavy}"
