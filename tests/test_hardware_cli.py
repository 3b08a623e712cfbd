"""`paramscope hardware` and `paramscope calibrate` (a short measurement saved as a usable profile)."""

from __future__ import annotations

import json

import pytest

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


# A fixed measurement (what `measure` returns on a desktop CPU), so the save -> load -> perf path is tested
# deterministically; the real benchmark is exercised by test_calibrate_measure_runs below.
_MEASURED = {"device": "cpu", "library": "torch test", "bandwidth_bytes_per_s": 2.5e10, "fp32_flops_per_s": 4e11,
             "memory_bytes": 64 * 2**30, "machine": "x86_64"}


def test_calibrate_saves_a_profile_perf_can_use(tmp_path, monkeypatch, capsys):
    from paramscope import calibrate

    monkeypatch.setenv("PARAMSCOPE_HOME", str(tmp_path))
    monkeypatch.setattr(calibrate, "measure", lambda device, seconds, **kw: dict(_MEASURED, device=device))
    assert main(["calibrate", "--name", "ci-box", "--seconds", "0.2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["measured"]["bandwidth_bytes_per_s"] == 2.5e10
    assert (tmp_path / "hardware").is_dir() and any((tmp_path / "hardware").iterdir())
    hw = get_hardware("ci-box")
    assert hw.memory_bandwidth_bytes_per_s == 2.5e10 and hw.peak_flops_per_s["fp32"] == 4e11
    assert main(["perf", "qwen3-0.6b", "--gpu", "ci-box", "--engine", "transformers", "--json"]) == 0


def test_calibrate_measure_runs():
    """The real benchmark, on this machine: positive, finite rates (no plausibility range: CI runners and
    loaded laptops are slow)."""
    from paramscope.calibrate import measure

    m = measure("cpu", 0.2)
    assert 1e8 < m["bandwidth_bytes_per_s"] < 1e14 and 1e8 < m["fp32_flops_per_s"] < 1e16
    assert m["memory_bytes"] > 0


def test_calibrate_accepts_a_slow_machine(tmp_path, monkeypatch, capsys):
    """Was a strict xfail: validate_record's bandwidth range starts at 1e10 B/s, so calibrate rejected its own
    measurement on a slow or loaded machine (seen: 8.7e9 B/s on a 2-core CI VM). A measurement is now saved
    with measured = true, warned about, and usable by --gpu."""
    from paramscope import calibrate

    monkeypatch.setenv("PARAMSCOPE_HOME", str(tmp_path))
    monkeypatch.setattr(calibrate, "measure",
                        lambda device, seconds, **kw: dict(_MEASURED, device=device, bandwidth_bytes_per_s=5e9,
                                                     fp32_flops_per_s=4.48e10))
    assert main(["calibrate", "--name", "slow-box", "--seconds", "0.2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["profile"]["measured"] is True
    assert any("outside the range" in w for w in d["warnings"])
    hw = get_hardware("slow-box")
    assert hw.measured and hw.memory_bandwidth_bytes_per_s == 5e9 and hw.peak_flops_per_s["fp32"] == 4.48e10
    assert main(["perf", "qwen3-0.6b", "--gpu", "slow-box", "--engine", "transformers", "--json"]) == 0


def test_calibrate_reports_median_and_spread(tmp_path, monkeypatch, capsys):
    """The real benchmark, shortened: warm-up then >= 5 timed runs; the median is what is saved and the
    spread (min, q1, q3, max, runs) is printed and in the JSON."""
    from paramscope.calibrate import MIN_RUNS

    monkeypatch.setenv("PARAMSCOPE_HOME", str(tmp_path))
    assert main(["calibrate", "--name", "real-box", "--seconds", "0.2", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    for key, rate in (("bandwidth_stats_bytes_per_s", "bandwidth_bytes_per_s"),
                      ("fp32_stats_flops_per_s", "fp32_flops_per_s")):
        st = d["measured"][key]
        assert st["runs"] >= MIN_RUNS
        assert st["min"] <= st["q1"] <= st["median"] <= st["q3"] <= st["max"]
        assert d["measured"][rate] == st["median"]
    assert d["profile"]["memory_bandwidth_bytes_per_s"] == d["measured"]["bandwidth_stats_bytes_per_s"]["median"]
    assert "median of" in d["profile"]["sources"]["bandwidth"]
    assert main(["calibrate", "--name", "real-box", "--seconds", "0.2"]) == 0
    out = capsys.readouterr().out
    assert "median" in out and "IQR" in out and "runs" in out


def test_rate_stats():
    from paramscope.calibrate import rate_stats

    st = rate_stats(100.0, [1.0, 2.0, 4.0, 5.0, 10.0])  # rates 100, 50, 25, 20, 10
    assert (st["min"], st["median"], st["max"], st["runs"]) == (10.0, 25.0, 100.0, 5)
    assert st["q1"] == 20.0 and st["q3"] == 50.0 and st["relative_iqr"] == pytest.approx(30 / 25)


def test_hardware_list_fits_80_columns_and_shows_driver_memory(capsys):
    assert main(["hardware"]) == 0
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert main(["hardware", "--show", "h100-sxm"]) == 0
    out = capsys.readouterr().out
    assert "80 GB marketed, 81,559 MiB = 79.65 GiB reported (nvidia-smi)" in out
    assert "85,520,809,984 bytes" in out and "bf16 989.4" in out and "NVLink 4, 900.0 GB/s" in out and "700 W" in out
    assert main(["hardware", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    rec = next(r for r in d["hardware"] if r["id"] == "h100-sxm")
    assert rec["memory_bytes"] == 85_520_809_984 and isinstance(rec["memory_bytes"], int)
    assert rec["memory_marketing_gb"] == 80 and rec["memory_source"] == "nvidia-smi"


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


# A fixed llama.cpp calibration (what calibrate_llamacpp.calibrate returns), so the CLI's save -> load -> perf
# path is tested without running llama.cpp; the real calibration runs in tests/test_llamacpp_speed.py.
_ENGINE = {"threads": 2, "types": ["q8_0"], "llama_cpp": "llama-cpp-python test", "measured": {"m": {}},
           "constants": {"step_overhead_s": 1e-5, "layer_overhead_s": 0.0, "attention_decode_efficiency": 0.1,
                         "attention_prefill_efficiency": 0.5, "bandwidth_efficiency@q8_0": 0.7,
                         "decode_half_width@q8_0": 50.0, "prefill_compute_efficiency@q8_0": 3.0,
                         "prefill_half_width@q8_0": 500.0, "prefill_half_tokens@q8_0": 10.0,
                         "decode_compute_efficiency@q8_0": 3.0, "bandwidth_efficiency": 0.7}}


def test_calibrate_engine_saves_constants_perf_uses(tmp_path, monkeypatch, capsys):
    from paramscope import calibrate, calibrate_llamacpp

    monkeypatch.setenv("PARAMSCOPE_HOME", str(tmp_path))
    monkeypatch.setattr(calibrate, "measure", lambda device, seconds, **kw: dict(_MEASURED, device=device))
    monkeypatch.setattr(calibrate_llamacpp, "calibrate", lambda hw, threads=None: _ENGINE)
    assert main(["calibrate", "--name", "cal-box", "--engine", "llama.cpp", "--threads", "2"]) == 0
    out = capsys.readouterr().out
    assert "q8_0" in out and "0.700" in out and "cal-box" in out
    hw = get_hardware("cal-box")
    assert hw.engine_speed["llama.cpp"]["bandwidth_efficiency@q8_0"] == 0.7
    assert "calibrate --engine llama.cpp" in hw.sources["engine_speed"]
    args = ["perf", "llama-3.2-1b-instruct", "--weights", "q8_0", "--gpu", "cal-box", "--engine", "llama.cpp"]
    assert main(args + ["--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert "against its own calibration" in d["error_band"]["decode"]["basis"]
    assert any("measured on this device" in a for a in d["assumptions"])
    # the measured constants change the answer (the torch profile alone gives another decode speed)
    monkeypatch.setattr(calibrate_llamacpp, "calibrate", lambda hw, threads=None: dict(
        _ENGINE, constants=dict(_ENGINE["constants"], **{"bandwidth_efficiency@q8_0": 0.35})))
    assert main(["calibrate", "--name", "cal-box", "--engine", "llama.cpp"]) == 0
    capsys.readouterr()
    assert main(args + ["--json"]) == 0
    d2 = json.loads(capsys.readouterr().out)
    # half the Q8_0 streaming rate: about half the decode speed (attention and the fixed costs do not halve)
    assert 0.5 < d2["decode_tokens_per_s"] / d["decode_tokens_per_s"] < 0.6


@pytest.mark.parametrize("table, msg", [
    ({"vllmx": {"step_overhead_s": 0.0}}, "unknown engine"),
    ({"llama.cpp": {"speed": 1.0}}, "unknown constant"),
    ({"llama.cpp": {"bandwidth_efficiency@Q4 K": 1.0}}, "unknown constant"),
    ({"llama.cpp": {"bandwidth_efficiency": -1.0}}, "positive"),
    ({"llama.cpp": {"step_overhead_s": -1e-3}}, ">= 0"),
    ({"llama.cpp": {"bandwidth_efficiency": float("nan")}}, "positive"),
    ({"llama.cpp": {}}, "table of constants"),
])
def test_engine_speed_table_is_validated(table, msg):
    from paramscope.errors import ConfigError
    from paramscope.hardware import validate_record

    rec = {"id": "x", "name": "x", "vendor": "generic", "kind": "cpu", "memory_bytes": 2**34, "measured": True,
           "memory_bandwidth_bytes_per_s": 2e10, "peak_flops_per_s": {"fp32": 1e11}, "engine_speed": table,
           "sources": {"memory": "m", "bandwidth": "m", "flops": "m", "engine_speed": "m"}}
    with pytest.raises(ConfigError, match=msg):
        validate_record(rec, "mine.toml")
    rec["engine_speed"] = {"llama.cpp": {"bandwidth_efficiency": 0.5}}
    del rec["sources"]["engine_speed"]
    with pytest.raises(ConfigError, match="engine_speed"):
        validate_record(rec, "mine.toml")
