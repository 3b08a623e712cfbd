"""The train, runs and scale commands: JSON shape, the published-run checks through the CLI, one-line errors
with exit code 2, and no heavy imports on these paths."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from paramscope.cli import main


def _json(capsys, argv: list[str]) -> dict:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def _error(capsys, argv: list[str]) -> str:
    assert main(argv) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert captured.out == ""
    assert err.count("\n") == 0 and err.startswith("paramscope: error:") and "Traceback" not in err
    return err


# ------------------------------------------------------------------------------------------- train


def test_train_json_object(capsys):
    d = _json(capsys, ["train", "llama-2-7b", "--tokens", "2T", "--gpu", "a100-80gb-sxm", "--count", "64", "--json"])
    for key in ("flops", "gpu_hours", "days", "cost_usd", "mfu", "energy_kwh", "formula", "seconds"):
        assert d[key], key
    assert d["mfu"] == 0.4 and d["mfu_source"] == "given"
    assert d["gpu_hours"] == pytest.approx(d["flops"] / (0.4 * 312e12) / 3600)
    assert d["days"] == pytest.approx(d["gpu_hours"] / 64 / 24)
    assert d["energy_kwh"] == pytest.approx(d["gpu_hours"] * 0.4 * 1.2)
    mem = d["memory_per_gpu"]
    assert mem["fits"] and 0 < mem["total_bytes"] <= 80e9
    lay = mem["layout"]
    assert lay["tensor_parallel"] * lay["pipeline_parallel"] * lay["data_parallel"] == 64


def test_train_deepseek_v3_back_solve(capsys):
    """The seed's claim: 2.788M H800-hours for 14.8T tokens on 37B active parameters, at $2/hour = $5.576M."""
    argv = ["train", "deepseek-v3", "--tokens", "14.8T", "--gpu", "h800", "--count", "2048", "--gpu-hours", "2.788M",
            "--price-per-hour", "2", "--seq-len", "4096"]
    d = _json(capsys, [*argv, "--json"])
    assert d["cost_usd"] == pytest.approx(5.576e6)
    assert d["mfu"] == pytest.approx(0.373, abs=0.002) and d["mfu_source"] == "implied by the GPU-hours"
    assert d["mfu_by_dtype"]["fp8"] == pytest.approx(d["mfu"] / 2, rel=0.01)
    assert d["memory_per_gpu"]["layout"]["expert_parallel"] > 1
    assert main(argv) == 0
    out = capsys.readouterr().out
    for needle in ("6 x 3.662e+10 active matrix params", "37.3% (implied by the GPU-hours)", "$5,576,000",
                   "PUE 1.2", "memory per GPU", "layout"):
        assert needle in out


def test_train_llama2_70b_published_hours(capsys):
    """Touvron et al. 2023b: 1,720,320 A100-hours for 2T tokens at 4k -> 44% MFU, in the plausible band."""
    d = _json(capsys, ["train", "llama-2-70b", "--tokens", "2T", "--gpu", "a100-80gb-sxm", "--count", "2048",
                       "--gpu-hours", "1720320", "--json"])
    assert 0.20 <= d["mfu"] <= 0.60
    d = _json(capsys, ["train", "llama-2-70b", "--tokens", "2T", "--gpu", "a100-80gb-sxm", "--count", "2048",
                       "--mfu", "0.4", "--json"])
    assert d["gpu_hours"] == pytest.approx(1_720_320, rel=0.15)


def test_train_gpt3_flops_and_fp16_fallback(capsys):
    d = _json(capsys, ["train", "gpt3-175b", "--tokens", "300B", "--gpu", "v100-sxm2-32gb", "--count", "1024",
                       "--seq-len", "2048", "--json"])
    assert d["dense_flops"] == pytest.approx(3.14e23, rel=0.002)  # Brown et al. 2020 Table D.1
    assert d["dtype"] == "fp16"  # V100: no bf16 peak


def test_train_explicit_layout_is_used(capsys):
    d = _json(capsys, ["train", "llama-2-70b", "--tokens", "2T", "--gpu", "h100-sxm", "--count", "64", "--tp", "8",
                       "--pp", "2", "--zero", "1", "--micro-batch", "2", "--json"])
    lay = d["memory_per_gpu"]["layout"]
    assert (lay["tensor_parallel"], lay["pipeline_parallel"], lay["data_parallel"], lay["zero_stage"],
            lay["micro_batch"]) == (8, 2, 4, 1, 2)


def test_train_reports_when_nothing_fits(capsys):
    assert main(["train", "llama-2-70b", "--tokens", "1B", "--gpu", "rtx-4090", "--count", "1"]) == 0
    assert "does NOT fit" in capsys.readouterr().out


@pytest.mark.parametrize("argv,needle", [
    (["--tokens", "0"], "tokens"),
    (["--tokens", "-5"], "tokens"),
    (["--tokens", "1T", "--mfu", "1.5"], "MFU"),
    (["--tokens", "1T", "--mfu", "0"], "MFU"),
    (["--tokens", "1T", "--mfu", "0.4", "--gpu-hours", "100"], "not both"),
    (["--tokens", "1T", "--gpu-hours", "0"], "GPU-hours"),
    (["--tokens", "1T", "--pue", "0.5"], "PUE"),
    (["--tokens", "1T", "--dp", "3"], "data parallel"),
    (["--tokens", "lots"], "tokens"),
])
def test_train_bad_input(capsys, argv, needle):
    err = _error(capsys, ["train", "llama-2-7b", "--gpu", "a100-80gb-sxm", "--count", "8", *argv])
    assert needle in err


def test_train_unknown_gpu_and_model(capsys):
    assert "did you mean" in _error(capsys, ["train", "llama-2-7b", "--tokens", "1T", "--gpu", "h10", "--count", "8"])
    _error(capsys, ["train", "no-such-model-xyz", "--tokens", "1T", "--gpu", "h100-sxm", "--count", "8"])
    assert "count" in _error(capsys, ["train", "llama-2-7b", "--tokens", "1T", "--gpu", "h100-sxm", "--count", "0"])


# -------------------------------------------------------------------------------------------- runs


def test_runs_json(capsys):
    rows = {r["id"]: r for r in _json(capsys, ["runs", "--json"])["runs"]}
    assert {"gpt-3-175b", "opt-175b", "bloom-176b", "llama-1-65b", "llama-2-70b", "llama-3.1-405b", "deepseek-v3",
            "chinchilla-70b", "palm-540b", "falcon-180b"} <= set(rows)
    ds = rows["deepseek-v3"]
    assert ds["gpu_hours"] == 2_788_000 and ds["reported_cost_usd"] == 5_576_000
    assert 0.20 <= ds["implied_mfu"] <= 0.60 and ds["seq_len"] == 4096 and not ds["seq_len_assumed"]
    assert rows["gpt-3-175b"]["flops"] == pytest.approx(3.19e23, rel=0.01)
    assert rows["opt-175b"]["matmul_params"] is None  # no catalog architecture: 6 x reported params


def test_runs_table(capsys):
    assert main(["runs"]) == 0
    out = capsys.readouterr().out
    assert "implied MFU" in out and "deepseek-v3" in out and "5,576,000" in out and "pre-training phase" in out


# ------------------------------------------------------------------------------------------- scale


def test_scale_compute(capsys):
    d = _json(capsys, ["scale", "--compute", "5.76e23", "--json"])
    by = {o["method"]: o for o in d["optimum"]}
    assert by["chinchilla:approach-1"]["n_params"] == pytest.approx(67e9, rel=0.01)  # Hoffmann Table 3
    assert by["chinchilla:epoch"]["n_params"] == pytest.approx(72.25e9, rel=0.002)
    assert by["tokens-per-param:20"]["n_params"] == pytest.approx(69.28e9, rel=1e-3)
    assert d["kaplan"]["n_params"] == pytest.approx(8.0e11, rel=0.02)  # facts.md s3b
    assert any("not the ~20" in n for n in d["notes"])
    assert any("not linearly better" in n for n in d["notes"])


def test_scale_loss_and_inference(capsys):
    d = _json(capsys, ["scale", "--params", "70B", "--tokens", "1.4T", "--json"])
    assert d["loss"]["hoffmann"] == pytest.approx(1.9366, abs=1e-4)  # facts.md s3a
    assert d["loss"]["epoch"] == pytest.approx(1.9739, abs=1e-4)
    d = _json(capsys, ["scale", "--compute", "5.76e23", "--inference-tokens", "2T", "--json"])
    ia = d["inference_adjusted"]
    assert ia["n_params"] < ia["chinchilla_n_params"] and ia["n_tokens"] > ia["chinchilla_n_tokens"]
    assert ia["savings_flops"] > 0


def test_scale_text_and_plot(capsys, tmp_path):
    assert main(["scale", "--compute", "1e23", "--params", "7B", "--tokens", "2T"]) == 0
    out = capsys.readouterr().out
    assert "Chinchilla approach 3" in out and "Epoch AI" in out and "note:" in out
    pytest.importorskip("matplotlib")
    path = tmp_path / "iso.svg"
    assert main(["scale", "--compute", "1e22", "--plot", str(path)]) == 0
    assert path.read_bytes().lstrip().startswith(b"<?xml")


@pytest.mark.parametrize("argv,needle", [
    (["scale", "--compute", "1"], "too small"),
    (["scale", "--compute", "0"], "compute"),
    (["scale", "--compute=-1e23"], "compute"),
    (["scale"], "--compute"),
    (["scale", "--params", "7B"], "together"),
    (["scale", "--params", "0", "--tokens", "1T"], "n_params"),
    (["scale", "--compute", "1e23", "--inference-tokens", "-1"], "inference"),
    (["scale", "--inference-tokens", "1T"], "needs --compute"),
    (["scale", "--params", "7B", "--tokens", "1T", "--plot", "x.png"], "needs --compute"),
])
def test_scale_bad_input(capsys, argv, needle):
    assert needle in _error(capsys, argv)


# ---------------------------------------------------------------------------------------- imports


def test_no_heavy_imports_on_these_paths():
    code = ("import sys, io, contextlib, paramscope.cli as c\n"
            "for a in (['train', 'llama-2-7b', '--tokens', '2T', '--gpu', 'h100-sxm', '--count', '64'], ['runs'],\n"
            "          ['scale', '--compute', '1e23']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        assert c.main(a) == 0\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'matplotlib', 'torch')))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip() == "[]"
