"""The plain CLI paths import no heavy dependency (torch, transformers, numpy, huggingface_hub, safetensors,
gguf, matplotlib): start-up stays close to bare Python."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torch", "transformers", "numpy", "huggingface_hub", "safetensors", "gguf", "matplotlib")


@pytest.mark.parametrize("argv", [["params", "llama-3.1-70b", "--json"], ["memory", "llama-3.1-70b", "--json"],
                                  ["fit", "llama-3.1-8b", "--gpu", "h100-sxm", "--json"], ["models"],
                                  ["show", "deepseek-v3"], ["perf", "llama-3.1-8b", "--gpu", "h100-sxm", "--json"],
                                  ["train", "llama-2-7b", "--tokens", "2T", "--gpu", "a100-80gb-sxm", "--json"]])
def test_no_heavy_imports(argv):
    code = ("import io, contextlib, sys, json; from paramscope.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    rc = main({argv!r})\n"
            "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{HEAVY!r})]))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    rc, heavy = json.loads(out.strip().splitlines()[-1])
    assert rc == 0 and heavy == []
