"""`paramscope hardware` and `paramscope calibrate` (a short measurement saved as a usable profile)."""

from __future__ import annotations

import json

from paramscope.cli import main
from paramscope.hardware import get_hardware


def test_list_search_show(capsys):
    assert main(["hardware", "mi300"]) == 0
    out = capsys.readouterr().out
    assert "mi300x" in out and "GiB" in out
    assert main(["hardware", "--show", "h100-sxm", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["peak_flops_per_s"]["bf16"] == get_hardware("h100-sxm").peak_flops_per_s["bf16"]
    assert d["sources"]["bandwidth"]


def test_unknown_hardware_suggests(capsys):
    assert main(["hardware", "--show", "h1000"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "h100" in err


def test_bad_user_file_names_file_and_field(tmp_path, capsys):
    f = tmp_path / "mine.toml"
    f.write_text('[[hardware]]\nid = "x1"\nname = "X"\nvendor = "generic"\nkind = "gpu"\nmemory_bytes = -5\n'
                 'memory_bandwidth_bytes_per_s = 1e12\n[hardware.peak_flops_per_s]\nbf16 = 1e14\n'
                 '[hardware.sources]\nmemory = "me"\nbandwidth = "me"\nflops = "me"\n')
    assert main(["hardware", "--hardware-file", str(f)]) == 2
    err = capsys.readouterr().err
    assert "mine.toml" in err and "memory_bytes" in err


def test_calibrate_saves_a_profile_perf_can_use(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PARAMSCOPE_HOME", str(tmp_path))
    assert main(["calibrate", "--name", "ci-box", "--seconds", "0.2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["measured"]["bandwidth_bytes_per_s"] > 1e8 and d["measured"]["fp32_flops_per_s"] > 1e8
    hw = get_hardware("ci-box")
    assert hw.memory_bandwidth_bytes_per_s == d["measured"]["bandwidth_bytes_per_s"]
    assert main(["perf", "qwen3-0.6b", "--gpu", "ci-box", "--engine", "transformers", "--json"]) == 0


def test_calibrate_bad_args(capsys):
    assert main(["calibrate", "--seconds", "0"]) == 2
    assert main(["calibrate", "--name", "Bad Name"]) == 2
    assert main(["calibrate", "--device", "tpu"]) == 2


def test_gpu_validation_script_runs_without_cuda():
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parent.parent / "scripts" / "validate_gpu.py"
    r = subprocess.run([sys.executable, str(script), "--dry-run", "--models", "qwen3-0.6b", "--batches", "1"],
                       capture_output=True, text=True)
    assert r.returncode == 0 and "| qwen3-0.6b | 1 |" in r.stdout
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True)
    assert r.returncode == 0 and "no CUDA" in r.stdout
