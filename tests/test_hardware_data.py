"""The hardware catalog (data/hardware.toml) against published datasheet figures, and its loader.

Truth tables below are transcribed from the vendors' documents and from public driver output (nvidia-smi,
rocm-smi logs in GitHub issues, named in each row); they are written out here, not read
from the catalog, so a wrong catalog value fails. Dense peaks only: NVIDIA (Ampere..Blackwell) and AMD
CDNA3 print "with sparsity" tensor figures that are twice the dense ones; the SPARSE table lists those
traps and no record may carry them.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tomllib

import pytest

from paramscope import hardware as hwmod
from paramscope.errors import ConfigError, InputError, UnknownHardwareError, UnknownSchemeError
from paramscope.hardware import (
    CATALOG_PATH,
    DTYPES,
    Hardware,
    get_hardware,
    list_hardware,
    load_catalog,
    load_user_hardware,
    peak_flops,
    validate_record,
)

GiB = 2**30

# The ids the rest of the project uses; they must all exist, spelled exactly so.
REQUIRED_IDS = {
    "a10",
    "a10g",
    "l4",
    "l40s",
    "a100-40gb-sxm",
    "a100-40gb-pcie",
    "a100-80gb-sxm",
    "a100-80gb-pcie",
    "h100-sxm",
    "h100-pcie",
    "h100-nvl",
    "h800-sxm",
    "h200-sxm",
    "h200-nvl",
    "b200",
    "gb200",
    "rtx-3090",
    "rtx-4090",
    "rtx-5090",
    "v100-sxm2-32gb",
    "mi250x",
    "mi300x",
    "mi325x",
    "tpu-v3",
    "tpu-v4",
    "tpu-v5e",
    "tpu-v5p",
    "tpu-v6e",
    "m2-ultra",
    "m3-max",
    "m4-max",
    "cpu-ddr5",
    "rtx-6000-ada",
    "rtx-a6000",
    "l40",
    "gaudi3",
    "mi355x",
    "b300",
    "m3-ultra",
    "jetson-agx-orin-64gb",
}

# (id, dtype, dense peak FLOP/s, source). Dense = the datasheet's sparse tensor figure / 2 where marked.
DENSE_PEAKS = [
    ("h100-sxm", "bf16", 989.4e12, "H100 datasheet SXM: BF16 1,979 TFLOPS with sparsity"),
    ("h100-sxm", "fp8", 1978.9e12, "H100 datasheet SXM: FP8 3,958 with sparsity"),
    ("h100-sxm", "tf32", 494.7e12, "H100 datasheet SXM: TF32 989 with sparsity"),
    ("h100-sxm", "fp32", 66.9e12, "H100 whitepaper: FP32 66.9 (datasheet rounds to 67)"),
    ("h100-pcie", "bf16", 756e12, "H100 datasheet PCIe: BF16 1,513 with sparsity"),
    ("h100-pcie", "fp8", 1513e12, "H100 datasheet PCIe: FP8 3,026 with sparsity"),
    ("h100-nvl", "fp8", 1670.5e12, "H100 datasheet NVL: FP8 3,341 with sparsity"),
    ("h800-sxm", "bf16", 989.4e12, "facts.md 1a: H800 tensor peaks as H100 SXM"),
    ("h200-sxm", "fp8", 1978.9e12, "H200 product page SXM: FP8 3,958 with sparsity"),
    ("h200-sxm", "bf16", 989.4e12, "H200 product page SXM: BF16 1,979 with sparsity"),
    ("h200-nvl", "bf16", 835.5e12, "H200 product page NVL: BF16 1,671 with sparsity"),
    ("a100-80gb-sxm", "bf16", 312e12, "A100 datasheet: BF16 312 | 624*"),
    ("a100-40gb-pcie", "tf32", 156e12, "A100 datasheet: TF32 156 | 312*"),
    ("a100-40gb-sxm", "int8", 624e12, "A100 datasheet: INT8 624 | 1,248*"),
    ("a10", "bf16", 125e12, "A10 datasheet: BF16 125 | 250*"),
    ("l4", "fp8", 242.5e12, "L4 datasheet: FP8 485 with sparsity"),
    ("l4", "bf16", 121e12, "L4 datasheet: BF16 242 with sparsity"),
    ("l40s", "bf16", 362.05e12, "L40S datasheet: BF16 362.05 | 733*"),
    ("l40s", "fp8", 733e12, "L40S datasheet: FP8 733 | 1,466*"),
    ("b200", "fp8", 4.5e15, "NVIDIA Blackwell page, HGX B200: FP8 9 PF with sparsity"),
    ("b200", "fp4", 9e15, "NVIDIA Blackwell page, HGX B200: FP4 18 PF with sparsity"),
    ("b200", "bf16", 2.25e15, "NVIDIA Blackwell page, HGX B200: BF16 4.5 PF with sparsity"),
    ("gb200", "fp8", 5e15, "NVIDIA Blackwell page, GB200 NVL72: FP8 10 PF with sparsity"),
    ("gb200", "bf16", 2.5e15, "NVIDIA Blackwell page, GB200 NVL72: BF16 5 PF with sparsity"),
    ("rtx-3090", "fp16", 71e12, "GA102 whitepaper App. A: FP16 tensor, FP32 accumulate 71 | 142*"),
    ("rtx-4090", "bf16", 165.2e12, "Ada whitepaper: FP16/BF16 tensor, FP32 accumulate 165.2 | 330.3*"),
    ("rtx-4090", "fp8", 330.3e12, "Ada whitepaper: FP8 tensor, FP32 accumulate 330.3 | 660.6*"),
    ("rtx-5090", "fp16", 209.5e12, "facts.md 1b [U]: FP32 accumulate = half of 419 (838 sparse)"),
    ("v100-sxm2-32gb", "fp16", 125e12, "V100 datasheet SXM2: tensor 125 TFLOPS (no sparsity on Volta)"),
    ("mi300x", "fp16", 1307.4e12, "AMD MI300X datasheet: FP16 1,307.4 dense (2,614.9 sparse)"),
    ("mi300x", "fp8", 2614.9e12, "AMD MI300X datasheet: FP8 2,614.9 dense"),
    ("mi325x", "fp8", 2614.9e12, "facts.md 1c: MI325X FP8 2,614.9 (5,229.8 sparse)"),
    ("mi250x", "bf16", 383e12, "AMD MI250X spec table: FP16/BF16 383.0 (package)"),
    ("tpu-v3", "bf16", 123e12, "cloud.google.com/tpu/docs/v3: 123 teraflops per chip"),
    ("tpu-v4", "bf16", 275e12, "cloud.google.com/tpu/docs/v4: 275 teraflops per chip"),
    ("tpu-v5e", "bf16", 197e12, "docs.cloud.google.com/tpu/docs/v5e: 197 TFLOPs"),
    ("tpu-v5p", "bf16", 459e12, "docs.cloud.google.com/tpu/docs/v5p: 459 TFLOPs"),
    ("tpu-v6e", "bf16", 918e12, "docs.cloud.google.com/tpu/docs/v6e: 918 TFLOPs"),
    ("tpu-v6e", "int8", 1836e12, "docs.cloud.google.com/tpu/docs/v6e: 1836 TOPs"),
    ("m2-ultra", "fp32", 27.2e12, "Apple Mac Pro page: 76-core GPU up to 27.2 teraflops"),
]

# (id, dtype, a SPARSE or otherwise wrong figure seen in datasheets / third-party pages, where from)
SPARSE_OR_WRONG = [
    ("h100-sxm", "bf16", 1979e12, "H100 datasheet, with sparsity"),
    ("h100-sxm", "bf16", 1978.9e12, "H100 whitepaper, with sparsity"),
    ("h100-sxm", "fp8", 3958e12, "H100 datasheet, with sparsity"),
    ("h100-sxm", "tf32", 989e12, "H100 datasheet, with sparsity"),
    ("h100-sxm", "int8", 3958e12, "H100 datasheet, with sparsity"),
    ("h100-sxm", "bf16", 133e12, "gpu.blog 'BF16 133 dense' (facts.md P2)"),
    ("h100-pcie", "bf16", 1513e12, "H100 datasheet PCIe, with sparsity"),
    ("h100-pcie", "fp8", 3026e12, "H100 datasheet PCIe, with sparsity"),
    ("h100-nvl", "fp8", 3341e12, "H100 datasheet NVL, with sparsity"),
    ("h100-nvl", "bf16", 1671e12, "H100 datasheet NVL, with sparsity"),
    ("h800-sxm", "fp8", 3958e12, "as H100, with sparsity"),
    ("h200-sxm", "fp8", 3958e12, "H200 page, with sparsity"),
    ("h200-sxm", "fp8", 3.94e15, "saulelectric.com 'dense FP8 3.94 PFLOPS' (facts.md P1)"),
    ("h200-sxm", "bf16", 1979e12, "H200 page, with sparsity"),
    ("h200-nvl", "fp8", 3341e12, "H200 page NVL, with sparsity"),
    ("a100-80gb-sxm", "bf16", 624e12, "A100 datasheet, with sparsity"),
    ("a100-40gb-sxm", "bf16", 624e12, "A100 datasheet, with sparsity"),
    ("a10", "bf16", 250e12, "A10 datasheet, with sparsity"),
    ("l4", "fp8", 485e12, "L4 datasheet, with sparsity"),
    ("l4", "bf16", 242e12, "L4 datasheet, with sparsity"),
    ("l40s", "bf16", 733e12, "L40S datasheet, with sparsity (it prints dense 362.05 beside it, not 366.5)"),
    ("l40s", "fp8", 1466e12, "L40S datasheet, with sparsity"),
    ("b200", "fp8", 9e15, "Blackwell page with sparsity; awesomeagents.ai '9,000 dense' (facts.md P1)"),
    ("b200", "fp4", 18e15, "Blackwell page, with sparsity"),
    ("b200", "bf16", 4.5e15, "Blackwell page, with sparsity"),
    ("gb200", "fp8", 10e15, "Blackwell page, with sparsity"),
    ("gb200", "fp4", 20e15, "Blackwell page, with sparsity"),
    ("rtx-3090", "fp16", 142e12, "GA102 whitepaper: FP16-accumulate rate (not what PyTorch uses)"),
    ("rtx-4090", "bf16", 330.3e12, "Ada whitepaper: sparse / FP16-accumulate rate"),
    ("rtx-4090", "fp8", 660.6e12, "Ada whitepaper: FP8 FP16-accumulate rate"),
    ("rtx-5090", "fp16", 838.4e12, "spheron.network: FP16 tensor with sparsity"),
    ("rtx-5090", "fp8", 1676.8e12, "spheron.network: FP8 tensor with sparsity"),
    ("rtx-5090", "fp4", 3352e12, "'AI TOPS' = FP4 with sparsity"),
    ("mi300x", "fp16", 2614.9e12, "codesota.com 'FP16 dense 2,615' = sparse (facts.md P1)"),
    ("mi300x", "fp16", 330.6e12, "gpu.blog 'FP16 330.6' (facts.md P2)"),
    ("mi300x", "fp8", 5229.8e12, "AMD, with sparsity"),
    ("mi325x", "fp8", 5229.8e12, "AMD, with sparsity"),
]

# (id, bytes/s, source). Every catalog id has a row (see test_bandwidth_table_covers_catalog).
BANDWIDTH = [
    ("a10", 600e9, "A10 datasheet; facts.md 1a"),
    ("a10g", 600e9, "baseten.co A10 vs A10G: same 600 GB/s"),
    ("l4", 300e9, "L4 datasheet; facts.md 1a"),
    ("l40s", 864e9, "L40S datasheet; facts.md 1a"),
    ("a100-40gb-sxm", 1555e9, "A100 datasheet; facts.md 1a"),
    ("a100-40gb-pcie", 1555e9, "facts.md 1a"),
    ("a100-80gb-sxm", 2039e9, "A100 datasheet; facts.md 1a"),
    ("a100-80gb-pcie", 1935e9, "A100 datasheet; facts.md 1a"),
    ("h100-sxm", 3.35e12, "H100 datasheet; facts.md 1a"),
    ("h100-pcie", 2.0e12, "H100 datasheet; facts.md 1a"),
    ("h100-nvl", 3.9e12, "H100 datasheet NVL; facts.md 1a (gpu.blog's 4.8 TB/s is wrong, P2)"),
    ("h800-sxm", 3.35e12, "facts.md 1a"),
    ("h200-sxm", 4.8e12, "H200 product page; facts.md 1a"),
    ("h200-nvl", 4.8e12, "H200 product page; facts.md 1a"),
    ("b200", 7.7e12, "NVIDIA Blackwell page, HGX B200: 7.7 TB/s (facts.md 1a has the earlier 8 TB/s)"),
    ("gb200", 8e12, "NVIDIA Blackwell page, GB200 NVL72: 8 TB/s; facts.md 1a"),
    ("rtx-3090", 936e9, "GA102 whitepaper; facts.md 1b"),
    ("rtx-4090", 1008e9, "Ada whitepaper; facts.md 1b"),
    ("rtx-5090", 1792e9, "spheron.network, Linux Format; facts.md 1b"),
    ("v100-sxm2-32gb", 900e9, "V100 datasheet"),
    ("mi250x", 3.2768e12, "AMD: 3.2 TB/s (8192-bit HBM2e at 1.6 GHz = 3.2768); facts.md 1c"),
    ("mi250x-gcd", 1.6384e12, "half of the MI250X package (4 of 8 HBM2e stacks per GCD)"),
    ("mi300x", 5.3e12, "AMD MI300X datasheet; facts.md 1c"),
    ("mi325x", 6.0e12, "facts.md 1c"),
    ("tpu-v3", 900e9, "cloud.google.com/tpu/docs/v3"),
    ("tpu-v4", 1200e9, "cloud.google.com/tpu/docs/v4; facts.md 1d"),
    ("tpu-v5e", 819e9, "docs.cloud.google.com/tpu/docs/v5e; facts.md 1d (P10)"),
    ("tpu-v5p", 2765e9, "docs.cloud.google.com/tpu/docs/v5p-training; facts.md 1d"),
    ("tpu-v6e", 1638e9, "docs.cloud.google.com/tpu/docs/v6e; facts.md 1d"),
    ("m2-ultra", 800e9, "Apple; facts.md 1e"),
    ("m3-max", 400e9, "Apple (40-core GPU part); facts.md 1e"),
    ("m4-max", 546e9, "Apple (40-core GPU part); facts.md 1e"),
    ("cpu-ddr5", 89.6e9, "JEDEC DDR5-5600: 5600 MT/s x 8 B x 2 channels"),
    ("rtx-6000-ada", 960e9, "RTX 6000 Ada datasheet"),
    ("rtx-a6000", 768e9, "RTX A6000 datasheet"),
    ("l40", 864e9, "L40 datasheet"),
    ("gaudi3", 3.7e12, "Intel Gaudi 3 white paper"),
    ("mi355x", 8e12, "AMD MI355X product page"),
    ("b300", 8e12, "NVIDIA HGX B300: 64 TB/s per 8 GPUs"),
    ("m3-ultra", 819e9, "Apple Mac Studio 2025 specs"),
    ("jetson-agx-orin-64gb", 204.8e9, "Jetson AGX Orin technical brief"),
]

MiB = 2**20

# (id, bytes, source): the total the DRIVER reports, transcribed from public logs (not read from the catalog).
DRIVER_MEMORY = [
    ("h100-sxm", 81559 * MiB, "nvidia-smi 81559MiB: NVIDIA/nccl#1264, wilicc/gpu-burn#114, modal-client#2797"),
    ("h100-sxm", 85_520_809_984, "torch total_memory on an H100 SXM = 85,520,809,984 bytes (79.65 GiB)"),
    ("a100-80gb-sxm", 81920 * MiB, "nvidia-smi 81920MiB: modal-labs/modal-client#2797, dexmal/dexbotic#41"),
    ("a100-40gb-sxm", 40960 * MiB, "nvidia-smi 40960MiB: modal-labs/modal-client#2797"),
    ("a10", 23028 * MiB, "nvidia-smi 23028MiB: modal-labs/modal-client#2797"),
    ("l4", 23034 * MiB, "nvidia-smi 23034MiB: modal-labs/modal-client#2797"),
    ("l40s", 46068 * MiB, "nvidia-smi 46068MiB: modal-labs/modal-client#2797"),
    ("h100-nvl", 95830 * MiB, "nvidia-smi 95830MiB: NVIDIA/gpu-admin-tools#4"),
    ("b200", 183359 * MiB, "nvidia-smi 183359MiB: NVIDIA/TensorRT-LLM#10278"),
    ("rtx-3090", 24576 * MiB, "nvidia-smi 24576MiB: noonghunna/club-3090#1128"),
    ("rtx-4090", 24564 * MiB, "nvidia-smi 24564MiB: RLinf/RLinf#255"),
    ("rtx-5090", 32607 * MiB, "nvidia-smi 32607MiB: noonghunna/club-3090#1261"),
    ("v100-sxm2-32gb", 32768 * MiB, "nvidia-smi 32768MiB: Wan-Video/Wan2.1#5"),
    ("mi300x", 206_141_652_992, "rocm-smi VRAM Total Memory (B): ROCm/legacy-rocm-build#4750"),
]

# (id, marketed GB): the capacity printed on the box, kept for display.
MARKETING = [("h100-sxm", 80), ("h100-nvl", 94), ("h200-sxm", 141), ("b200", 180), ("gb200", 186),
             ("mi300x", 192), ("mi325x", 256), ("rtx-5090", 32), ("tpu-v5p", 95), ("m2-ultra", 192),
             ("b300", 288), ("mi355x", 288), ("gaudi3", 128), ("m3-ultra", 512)]

DRIVER_SOURCES = ("nvidia-smi", "deviceQuery", "torch", "rocm-smi")

# (id, bidirectional bytes/s per device, source)
INTERCONNECT = [
    ("a100-80gb-sxm", 600e9, "A100 datasheet: NVLink 600 GB/s"),
    ("h100-sxm", 900e9, "H100 datasheet: NVLink 900 GB/s"),
    ("h800-sxm", 400e9, "facts.md 1a: H800 NVLink 400 GB/s"),
    ("h200-sxm", 900e9, "H200 product page: NVLink 900 GB/s"),
    ("b200", 1.8e12, "NVIDIA Blackwell page: NVLink 5 1.8 TB/s"),
    ("mi300x", 896e9, "facts.md 1c: 7 x 128 GB/s"),
    ("tpu-v5e", 400e9, "docs.cloud.google.com/tpu/docs/v5e: 400 GBps bidirectional"),
    ("tpu-v5p", 1200e9, "docs.cloud.google.com/tpu/docs/v5p: 1200 GBps bidirectional"),
    ("tpu-v6e", 800e9, "docs.cloud.google.com/tpu/docs/v6e: 800 GBps bidirectional"),
]


@pytest.fixture(scope="module")
def catalog() -> dict[str, Hardware]:
    return load_catalog()


@pytest.fixture(scope="module")
def raw_records() -> list[dict]:
    with open(CATALOG_PATH, "rb") as f:
        return tomllib.load(f)["hardware"]


# ---------------------------------------------------------------------------------------------------
# The catalog file itself
# ---------------------------------------------------------------------------------------------------


def test_catalog_has_every_required_id(catalog):
    assert len(catalog) >= 41
    assert REQUIRED_IDS <= set(catalog), sorted(REQUIRED_IDS - set(catalog))


def test_every_raw_record_validates(raw_records):
    for i, rec in enumerate(raw_records):
        hw = validate_record(rec, "hardware.toml", index=i)
        assert hw.id == rec["id"]


def test_ids_and_aliases_unique_case_insensitive(raw_records):
    seen: dict[str, str] = {}
    for rec in raw_records:
        for name in (rec["id"], *rec.get("aliases", [])):
            key = name.lower().replace(" ", "-").replace("_", "-")
            assert key not in seen, f"{name!r} of {rec['id']} already names {seen[key]}"
            seen[key] = rec["id"]


def test_every_figure_has_a_source(catalog):
    needs = {
        "memory_bytes": "memory",
        "memory_bandwidth_bytes_per_s": "bandwidth",
        "peak_flops_per_s": "flops",
        "interconnect_bytes_per_s": "interconnect",
        "pcie_bytes_per_s": "pcie",
        "tdp_w": "tdp",
        "price_per_hour_usd": "price",
    }
    for hw in catalog.values():
        for field, key in needs.items():
            if getattr(hw, field) is not None:
                assert len(hw.sources.get(key, "")) > 10, f"{hw.id}: {field} lacks a source"


def test_dtypes_are_from_the_closed_set(catalog):
    for hw in catalog.values():
        assert set(hw.peak_flops_per_s) <= set(DTYPES), hw.id


def test_to_dict_round_trips(catalog):
    for hw in catalog.values():
        again = validate_record(hw.to_dict(), hw.origin)
        assert again == hw


def test_peak_ordering_within_each_record(catalog):
    """Lower precision never has a lower dense peak than higher precision on the same chip."""
    chains = [("tf32", "bf16", "fp8", "fp4"), ("tf32", "fp16"), ("bf16", "int8"), ("int8", "int4")]
    for hw in catalog.values():
        p = hw.peak_flops_per_s
        for chain in chains:
            present = [p[d] for d in chain if d in p]
            assert present == sorted(present), f"{hw.id}: {chain} peaks {present} decrease"
        if "bf16" in p and "fp16" in p and hw.vendor in ("nvidia", "amd"):
            assert p["bf16"] == p["fp16"], hw.id


def test_tpus_have_no_fp32_peak_and_apple_flops_are_marked_estimates(catalog):
    for hw in catalog.values():
        if hw.kind == "tpu":
            assert "fp32" not in hw.peak_flops_per_s, hw.id
        if hw.kind == "apple":
            text = (hw.sources["flops"] + hw.notes).lower()
            assert "estimate" in text, hw.id


def test_geforce_records_state_the_fp32_accumulate_choice(catalog):
    for ident in ("rtx-3090", "rtx-4090"):
        text = (catalog[ident].sources["flops"] + catalog[ident].notes).lower()
        assert "fp32 accumulate" in text or "fp32-accumulate" in text, ident
    assert "fp32-accumulate" in catalog["rtx-5090"].notes.lower()


def test_uncertain_values_say_so(catalog):
    for ident in ("a10g", "rtx-5090", "m4-max", "b300", "mi355x", "gaudi3", "rtx-6000-ada", "jetson-agx-orin-64gb"):
        assert "uncertain" in catalog[ident].notes.lower(), ident


# ---------------------------------------------------------------------------------------------------
# Against published figures
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("ident", "dtype", "value", "source"), DENSE_PEAKS)
def test_dense_peaks_match_datasheets(catalog, ident, dtype, value, source):
    assert catalog[ident].peak_flops_per_s[dtype] == pytest.approx(value, rel=1e-3), source


@pytest.mark.parametrize(("ident", "dtype", "wrong", "source"), SPARSE_OR_WRONG)
def test_no_record_carries_a_sparse_or_wrong_figure(catalog, ident, dtype, wrong, source):
    have = catalog[ident].peak_flops_per_s.get(dtype)
    assert have is not None, f"{ident} should have a {dtype} peak"
    assert not math.isclose(have, wrong, rel_tol=5e-3), f"{ident} {dtype} = {have:g}: {source}"


def test_dense_is_half_of_each_listed_datasheet_sparse_figure(catalog):
    """Where a row above is a data-center 'with sparsity' figure, the catalog value is half of it.
    (GeForce rows are FP16-accumulate figures; the catalog holds FP32-accumulate rates, a quarter.)"""
    for ident, dtype, sparse, source in SPARSE_OR_WRONG:
        if "with sparsity" in source and "dense" not in source and not ident.startswith("rtx-"):
            assert catalog[ident].peak_flops_per_s[dtype] == pytest.approx(sparse / 2, rel=2e-3), source


@pytest.mark.parametrize(("ident", "value", "source"), BANDWIDTH)
def test_memory_bandwidth(catalog, ident, value, source):
    assert catalog[ident].memory_bandwidth_bytes_per_s == pytest.approx(value, rel=1e-6), source


def test_bandwidth_table_covers_catalog(catalog):
    assert {row[0] for row in BANDWIDTH} == set(catalog)


@pytest.mark.parametrize(("ident", "value", "source"), DRIVER_MEMORY)
def test_memory_bytes_as_the_driver_reports(catalog, ident, value, source):
    hw = catalog[ident]
    assert hw.memory_bytes == value, source
    assert isinstance(hw.memory_bytes, int)
    assert hw.memory_source in DRIVER_SOURCES and not hw.memory_uncertain, ident


@pytest.mark.parametrize(("ident", "gb"), MARKETING)
def test_marketing_capacity_kept(catalog, ident, gb):
    assert catalog[ident].memory_marketing_gb == gb


def _mib_spellings(nbytes: int) -> tuple[str, ...]:
    mib = nbytes // MiB
    return (f"{mib:,} MiB", f"{mib} MiB", f"{mib}MiB", f"{nbytes}", f"{nbytes:,}")


def test_every_record_states_how_its_memory_was_obtained(catalog):
    for hw in catalog.values():
        assert hw.memory_source is not None, hw.id
        assert hw.memory_marketing_gb is not None, hw.id
        text = hw.sources["memory"]
        if hw.memory_uncertain:
            assert any(w in text.upper() for w in ("ESTIMATE", "UNCERTAIN")), hw.id
        else:
            # a sourced driver figure: the exact number is written in the source text
            assert hw.memory_source in DRIVER_SOURCES, hw.id
            assert any(sp in text for sp in _mib_spellings(hw.memory_bytes)), (hw.id, text)
        if hw.memory_source in ("estimate", "vendor-doc"):
            assert hw.memory_uncertain, f"{hw.id}: an estimate must be marked memory_uncertain"


def test_memory_is_a_plausible_driver_figure(catalog):
    """Drivers report the binary capacity of the chips less reservations: 0-8% below the marketed size
    read as GiB (A100 reports exactly 80 GiB, L4/A10/L40S about 6.3% less). Apple's Metal budget is a
    fraction of unified memory. A decimal '80 GB = 80e9' (the old convention) is 7% below 80 GiB but
    is not a driver figure: driver totals are whole MiB."""
    for hw in catalog.values():
        marketed_gib = hw.memory_marketing_gb * 2**30
        ratio = hw.memory_bytes / marketed_gib
        assert hw.memory_bytes != hw.memory_marketing_gb * 10**9, f"{hw.id}: decimal marketing GB stored"
        if hw.memory_source == "metal":
            assert 0.6 <= ratio <= 0.95, (hw.id, ratio)
        else:
            assert 0.92 <= ratio <= 1.0, (hw.id, ratio)
        if hw.memory_source in DRIVER_SOURCES:
            assert hw.memory_bytes % MiB == 0, f"{hw.id}: driver totals are whole MiB"


def test_uncertain_memory_records_are_the_expected_ones(catalog):
    """The records whose memory is not a sourced driver figure (report these; shrink the set as sources
    are found)."""
    uncertain = {hw.id for hw in catalog.values() if hw.memory_uncertain}
    sourced = {row[0] for row in DRIVER_MEMORY}
    assert not uncertain & sourced
    assert sourced | uncertain == set(catalog), set(catalog) - sourced - uncertain


def test_gpt_oss_120b_capacity_case(catalog):
    """The issue that prompted the change: an H100 SXM holds 79.65 GiB, not 80e9 bytes (74.5 GiB)."""
    h100 = catalog["h100-sxm"]
    assert h100.memory_bytes / 2**30 == pytest.approx(79.65, abs=0.005)
    assert h100.memory_bytes > 80e9


@pytest.mark.parametrize(("ident", "value", "source"), INTERCONNECT)
def test_interconnect_bidirectional(catalog, ident, value, source):
    assert catalog[ident].interconnect_bytes_per_s == pytest.approx(value), source


_PAIR = re.compile(r"\b((?:FP32|TF32|BF16|FP16|FP8|INT8|INT4|FP4)(?:/(?:FP32|TF32|BF16|FP16|FP8|FP6|INT8|INT4|FP4))*)"
                   r"\s+([\d,]+(?:\.\d+)?)(?:\s*\|\s*([\d,]+(?:\.\d+)?)\*|(\*))")


def _datasheet_pairs(text: str):
    """(dtype, dense TFLOPS or None, sparse TFLOPS or None) from a flops source written as 'BF16 312|624*'
    (dense|sparse) or 'BF16 1,979*' (only the sparse figure printed)."""
    for m in _PAIR.finditer(text):
        names, first, second, star = m.groups()
        a = float(first.replace(",", ""))
        for name in names.lower().split("/"):
            if name == "fp6":
                continue
            if second is not None:
                yield name, a, float(second.replace(",", ""))
            elif star:
                yield name, None, a


def test_peaks_against_the_datasheet_figures_in_each_record_source(catalog):
    """Every 'dense|sparse*' or 'sparse*' figure written in a record's flops source is checked against the
    record: the peak equals the dense figure (or half the sparse one) and never the sparse one."""
    checked = 0
    for hw in catalog.values():
        scale = 1e12
        for dtype, dense, sparse in _datasheet_pairs(hw.sources["flops"]):
            have = hw.peak_flops_per_s.get(dtype)
            if have is None:
                continue
            expect = dense if dense is not None else sparse / 2
            assert have == pytest.approx(expect * scale, rel=2e-3), (hw.id, dtype, have, expect)
            assert not math.isclose(have, sparse * scale, rel_tol=5e-3), f"{hw.id} {dtype}: sparse figure stored"
            checked += 1
    assert checked >= 60, checked  # the parser must keep finding the figures


def test_fp8_dense_is_twice_bf16_where_the_datasheet_says_so(catalog):
    for ident in ("h100-sxm", "h100-pcie", "h100-nvl", "h800-sxm", "h200-sxm", "h200-nvl", "b200", "gb200",
                  "b300", "l4", "l40", "rtx-6000-ada", "mi300x", "mi325x", "mi355x"):
        p = catalog[ident].peak_flops_per_s
        assert p["fp8"] == pytest.approx(2 * p["bf16"], rel=3e-3), ident
    p = catalog["gaudi3"].peak_flops_per_s  # Gaudi 3: FP8 runs at the BF16 rate (Intel white paper)
    assert p["fp8"] == p["bf16"]


def test_mi250x_gcd_is_half_a_package(catalog):
    pkg, gcd = catalog["mi250x"], catalog["mi250x-gcd"]
    assert gcd.memory_bytes * 2 == pkg.memory_bytes
    for dtype, value in gcd.peak_flops_per_s.items():
        assert value * 2 == pytest.approx(pkg.peak_flops_per_s[dtype])



# ---------------------------------------------------------------------------------------------------
# Re-check (issue 11 item 1): every figure has a primary source or an uncertainty mark, and a check date
# ---------------------------------------------------------------------------------------------------

# The date of the last re-check is written in each record's notes as "Checked YYYY-MM-DD: <what was confirmed
# against what>" (the loader accepts no separate date field; see docs/hardware.md).
CHECKED = re.compile(r"\bChecked (\d{4})-(\d{2})-(\d{2}): \S")
LAST_RECHECK = "2026-12-02"

# A figure's source names a vendor document (datasheet, product page or brief, whitepaper, Google's TPU pages,
# Apple's specs, JEDEC) or carries an uncertainty mark.
PRIMARY = re.compile(
    r"datasheet|data sheet|product page|product brief|whitepaper|white paper|technical brief|cloud\.google\.com"
    r"|apple\.com|Apple Mac|Apple M2 Ultra announcement|architecture page|HGX B300 specifications|JEDEC"
    r"|AMD Ryzen 9 7950X specification|NVIDIA RTX 4090 specifications|arXiv",
    re.IGNORECASE,
)
UNCERTAIN = re.compile(r"\[U\]|UNCERTAIN|ESTIMATE")
FIGURE_SOURCES = {
    "memory_bandwidth_bytes_per_s": "bandwidth",
    "peak_flops_per_s": "flops",
    "interconnect_bytes_per_s": "interconnect",
    "pcie_bytes_per_s": "pcie",
    "tdp_w": "tdp",
}

# (id -> figures whose source is marked uncertain after the 2026-12-02 re-check). Shrink it as primary sources
# are found; a figure leaving or joining the set must be a deliberate edit of the catalog and of this table.
UNCERTAIN_FIGURES = {
    "a10g": {"bandwidth", "flops", "interconnect", "pcie", "tdp"},  # NVIDIA publishes no A10G datasheet
    "a100-40gb-pcie": {"interconnect", "tdp"},
    "b300": {"interconnect", "tdp"},
    "cpu-ddr5": {"flops"},
    "gaudi3": {"tdp"},
    "h800-sxm": {"bandwidth", "flops", "interconnect", "pcie", "tdp"},  # no NVIDIA datasheet
    "jetson-agx-orin-64gb": {"flops"},
    "l40s": {"flops"},  # int8/int4 cells blank in the datasheet copy found
    "m2-ultra": {"flops"},
    "m3-max": {"bandwidth", "flops"},
    "m3-ultra": {"flops"},
    "m4-max": {"bandwidth", "flops"},
    "mi250x": {"bandwidth", "flops", "interconnect", "pcie", "tdp"},
    "mi250x-gcd": {"bandwidth", "flops"},
    "mi325x": {"bandwidth", "flops", "interconnect", "pcie", "tdp"},
    "mi355x": {"flops", "interconnect", "tdp"},
    "rtx-3090": {"flops"},
    "rtx-5090": {"bandwidth", "flops", "interconnect", "pcie", "tdp"},
    "rtx-6000-ada": {"flops"},
    "rtx-a6000": {"flops"},
    "tpu-v6e": {"pcie"},
}


def test_every_record_states_its_check_date(catalog):
    for hw in catalog.values():
        m = CHECKED.search(hw.notes)
        assert m, f"{hw.id}: notes lack 'Checked YYYY-MM-DD: ...'"
        assert "-".join(m.groups()) >= LAST_RECHECK, (hw.id, m.group(0))


def test_every_figure_cites_a_primary_source_or_is_marked_uncertain(catalog):
    for hw in catalog.values():
        for field, key in FIGURE_SOURCES.items():
            if getattr(hw, field) is None:
                continue
            text = hw.sources.get(key, "")
            assert PRIMARY.search(text) or UNCERTAIN.search(text), f"{hw.id}: sources.{key} names no primary source and no [U]"


def test_uncertain_figures_are_the_expected_ones_and_notes_say_so(catalog):
    found: dict[str, set[str]] = {}
    for hw in catalog.values():
        for field, key in FIGURE_SOURCES.items():
            if getattr(hw, field) is not None and UNCERTAIN.search(hw.sources.get(key, "")):
                found.setdefault(hw.id, set()).add(key)
        if hw.id in found:
            notes = hw.notes.lower()
            assert "uncertain" in notes or "estimate" in notes, f"{hw.id}: an uncertain figure not flagged in notes"
    assert found == UNCERTAIN_FIGURES


def test_sources_cite_no_local_paths_or_tool_ids(catalog):
    for hw in catalog.values():
        for key, text in hw.sources.items():
            assert "find_string" not in text and "../" not in text and "shared/" not in text, (hw.id, key)


# ---------------------------------------------------------------------------------------------------
# Look-up
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "ident"),
    [
        ("h100-sxm", "h100-sxm"),
        ("H100", "h100-sxm"),
        ("H100 SXM5", "h100-sxm"),
        ("rtx 4090", "rtx-4090"),
        ("RTX_4090", "rtx-4090"),
        ("A100", "a100-80gb-sxm"),
        ("trillium", "tpu-v6e"),
        (" MI300X ", "mi300x"),
    ],
)
def test_get_hardware_by_id_or_alias(name, ident):
    assert get_hardware(name).id == ident


def test_unknown_name_suggests_close_ids():
    with pytest.raises(UnknownHardwareError) as info:
        get_hardware("h10")
    msg = str(info.value)
    assert msg.startswith("unknown hardware 'h10': did you mean h100-sxm")
    assert msg.count(",") == 2  # three suggestions
    assert info.value.exit_code == 2 and isinstance(info.value, InputError)


def test_unknown_name_without_close_match():
    with pytest.raises(UnknownHardwareError, match="not in the hardware catalog"):
        get_hardware("qqqqzzzz")


def test_suggestions_for_typos():
    assert hwmod.suggestions("rtx-4080")[0] in {"rtx-4090", "rtx-3090", "rtx-5090"}
    assert hwmod.suggestions("mi300")[0] == "mi300x"
    assert set(hwmod.suggestions("tpu v5")[:2]) == {"tpu-v5e", "tpu-v5p"}


def test_peak_flops_dtype_names():
    h100 = get_hardware("h100-sxm")
    assert peak_flops(h100, "bf16") == peak_flops(h100, "bfloat16") == peak_flops("h100", "BF16")
    assert peak_flops(h100, "float16") == h100.peak_flops_per_s["fp16"]
    with pytest.raises(InputError, match="no dense fp4 peak"):
        peak_flops(h100, "fp4")
    with pytest.raises(UnknownSchemeError, match="unknown dtype 'fp64'"):
        peak_flops(h100, "fp64")
    assert peak_flops("b200", "nvfp4") == 9e15


def test_list_hardware_is_catalog_order(catalog):
    assert [hw.id for hw in list_hardware()] == list(catalog)


def test_load_catalog_returns_a_copy():
    first = load_catalog()
    first.pop("h100-sxm")
    assert "h100-sxm" in load_catalog()


def test_module_imports_no_numpy():
    code = "import sys, paramscope.hardware; sys.exit('numpy' in sys.modules or 'torch' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# ---------------------------------------------------------------------------------------------------
# User files
# ---------------------------------------------------------------------------------------------------

USER_TOML = """
[[hardware]]
id = "my-gpu"
name = "My lab GPU"
aliases = ["lab-gpu"]
vendor = "nvidia"
kind = "gpu"
memory_bytes = 48_000_000_000
memory_bandwidth_bytes_per_s = 960e9
peak_flops_per_s = { fp32 = 40e12, bf16 = 150e12 }
tdp_w = 300
price_per_hour_usd = 0.9
[hardware.sources]
memory = "vendor spec sheet"
bandwidth = "vendor spec sheet"
flops = "vendor spec sheet, dense"
tdp = "vendor spec sheet"
price = "our invoice"
"""


def _record(**changes) -> dict:
    rec = tomllib.loads(USER_TOML)["hardware"][0]
    for key, value in changes.items():
        if value is _DELETE:
            rec.pop(key)
        else:
            rec[key] = value
    return rec


_DELETE = object()


def _write(tmp_path, records, name="hw.toml") -> str:
    path = tmp_path / name
    if name.endswith(".json"):
        path.write_text(json.dumps({"hardware": records}))
    else:
        path.write_text(_to_toml(records))
    return str(path)


def _to_toml(records) -> str:
    """A tiny TOML writer for the flat records used here (strings, numbers, lists, one-level tables)."""

    def val(v):
        if isinstance(v, str):
            return json.dumps(v)
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, list):
            return "[" + ", ".join(val(x) for x in v) + "]"
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{json.dumps(k)} = {val(x)}" for k, x in v.items()) + " }"
        return repr(v)

    out = []
    for rec in records:
        out.append("[[hardware]]")
        out += [f"{k} = {val(v)}" for k, v in rec.items()]
    return "\n".join(out) + "\n"


def test_user_toml_file(tmp_path):
    path = tmp_path / "lab.toml"
    path.write_text(USER_TOML)
    (hw,) = load_user_hardware(path)
    assert hw.id == "my-gpu" and hw.memory_bytes == 48_000_000_000 and hw.origin == str(path)
    assert get_hardware("LAB-GPU", extra_files=[path]) == hw
    assert [h.id for h in list_hardware([path])][-1] == "my-gpu"
    with pytest.raises(UnknownHardwareError):
        get_hardware("my-gpu")  # not without the file


def test_user_json_file_dict_and_list_forms(tmp_path):
    rec = _record()
    as_dict = _write(tmp_path, [rec], "a.json")
    as_list = tmp_path / "b.json"
    as_list.write_text(json.dumps([rec]))
    (a,), (b,) = load_user_hardware(as_dict), load_user_hardware(as_list)
    assert a.to_dict() == b.to_dict()
    assert a.peak_flops_per_s == {"fp32": 40e12, "bf16": 150e12}
    assert a.aliases == ("lab-gpu",) and a.price_per_hour_usd == 0.9


def test_user_record_replaces_a_catalog_record_under_all_its_names(tmp_path):
    rec = _record(id="h100-sxm", aliases=[], price_per_hour_usd=1.5)
    path = _write(tmp_path, [rec])
    for name in ("h100-sxm", "h100", "H100 SXM5"):
        assert get_hardware(name, extra_files=[path]).price_per_hour_usd == 1.5
    assert get_hardware("h100").price_per_hour_usd != 1.5  # the catalog itself is untouched
    ids = [h.id for h in list_hardware([path])]
    assert ids.count("h100-sxm") == 1


@pytest.mark.parametrize(
    ("changes", "expect"),
    [
        ({"memory_bytes": _DELETE}, "field 'memory_bytes' is missing"),
        ({"memory_bandwidth_bytes_per_s": 960}, "'memory_bandwidth_bytes_per_s': 960 bytes/s is outside"),
        ({"memory_bytes": 48}, "'memory_bytes': 48 bytes is outside"),
        ({"memory_bytes": 48_000_000_000.5}, "expected an integer number of bytes"),
        ({"peak_flops_per_s": {"bf16": 150}}, "'peak_flops_per_s.bf16': 150 FLOP/s is outside"),
        ({"peak_flops_per_s": {"fp64": 20e12}}, "unknown dtype 'fp64'"),
        ({"peak_flops_per_s": {}}, "'peak_flops_per_s': expected a non-empty table"),
        ({"tdp_w": -300}, "field 'tdp_w': expected a positive number"),
        ({"tdp_w": "300 W"}, "field 'tdp_w': expected a number"),
        ({"memory_gb": 48}, "unknown field 'memory_gb'"),
        ({"memory_source": "guess"}, "field 'memory_source': 'guess' is not one of"),
        ({"memory_uncertain": "yes"}, "field 'memory_uncertain': expected true or false"),
        ({"measured": 1}, "field 'measured': expected true or false"),
        ({"id": "My GPU"}, "field 'id': 'My GPU' is not lowercase kebab-case"),
        ({"vendor": "nvdia"}, "field 'vendor': 'nvdia' is not one of"),
        ({"kind": "fpga"}, "field 'kind': 'fpga' is not one of"),
        ({"year": "2024"}, "field 'year'"),
        ({"aliases": "lab"}, "field 'aliases': expected a list"),
        (
            {"sources": {"memory": "x", "bandwidth": "y"}},
            "'peak_flops_per_s' has no source (add sources.flops)",
        ),
        (
            {"sources": {"memory": "x", "bandwidth": "y", "flops": "z", "tdp": "t"}},
            "'price_per_hour_usd' has no source (add sources.price)",
        ),
        (
            {
                "sources": {
                    "memory": "x",
                    "bandwidth": "y",
                    "flops": "z",
                    "tdp": "t",
                    "price": "p",
                    "ram": "r",
                }
            },
            "unknown key 'ram'",
        ),
        (
            {"sources": {"memory": "", "bandwidth": "y", "flops": "z", "tdp": "t", "price": "p"}},
            "field 'sources.memory': expected a non-empty string",
        ),
    ],
)
@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_invalid_user_records_name_file_record_and_field(tmp_path, changes, expect, suffix):
    path = _write(tmp_path, [_record(**changes)], "bad" + suffix)
    with pytest.raises(ConfigError) as info:
        load_user_hardware(path)
    msg = str(info.value)
    assert msg.startswith(path + ": record "), msg
    assert expect in msg, msg
    assert "\n" not in msg


def test_duplicate_names_in_a_user_file(tmp_path):
    path = _write(tmp_path, [_record(), _record(id="other", aliases=["LAB-GPU"])])
    with pytest.raises(
        ConfigError, match=r"record 'other': name 'LAB-GPU' is already used by record 'my-gpu'"
    ):
        load_user_hardware(path)


def test_unreadable_or_malformed_user_files(tmp_path):
    with pytest.raises(InputError, match="cannot read hardware file"):
        load_user_hardware(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[hardware]]\nid = \n")
    with pytest.raises(ConfigError, match="bad.toml: not valid TOML"):
        load_user_hardware(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{hardware: [}")
    with pytest.raises(ConfigError, match="bad.json: malformed JSON"):
        load_user_hardware(bad_json)
    empty = tmp_path / "empty.toml"
    empty.write_text("title = 'nothing here'\n")
    with pytest.raises(ConfigError, match="empty.toml: no hardware records"):
        load_user_hardware(empty)
    yaml = tmp_path / "hw.yaml"
    yaml.write_text("hardware: []\n")
    with pytest.raises(InputError, match="must end in .toml or .json"):
        load_user_hardware(yaml)
    not_a_table = tmp_path / "list.json"
    not_a_table.write_text(json.dumps({"hardware": [42]}))
    with pytest.raises(ConfigError, match=r"list.json: record #1: expected a table"):
        load_user_hardware(not_a_table)


def test_measured_records_skip_the_sanity_ranges_but_not_the_types(tmp_path):
    """A calibrate profile of a slow machine (5 GB/s, 40 GFLOP/s) is a real measurement: accepted.
    The same numbers typed by hand are refused as a likely unit mistake."""
    slow = {"memory_bandwidth_bytes_per_s": 5e9, "peak_flops_per_s": {"fp32": 4e10}}
    (hw,) = load_user_hardware(_write(tmp_path, [_record(measured=True, **slow)], "m.toml"))
    assert hw.measured and hw.memory_bandwidth_bytes_per_s == 5e9
    assert any("memory_bandwidth_bytes_per_s" in w for w in hwmod.range_warnings(hw))
    with pytest.raises(ConfigError, match="outside the plausible range"):
        load_user_hardware(_write(tmp_path, [_record(**slow)], "typed.toml"))
    with pytest.raises(ConfigError, match="expected a positive number"):
        load_user_hardware(_write(tmp_path, [_record(measured=True, memory_bandwidth_bytes_per_s=-1.0)], "n.toml"))


def test_memory_label():
    h100 = get_hardware("h100-sxm")
    assert hwmod.memory_label(h100) == "80 GB marketed, 81,559 MiB = 79.65 GiB reported (nvidia-smi)"
    assert "assumed (estimate, uncertain)" in hwmod.memory_label(get_hardware("h200-sxm"))
