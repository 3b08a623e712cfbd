"""Fuzzers (hypothesis): whatever the input, paramscope returns normally or raises a ParamscopeError; the CLI
exits 0, 2, 3 or 4 -- never any other exception, never exit 70.

CI runs the conftest "ci" profile (40 examples per fuzzer, derandomized). For a long run,
``scripts/fuzz.sh`` sets PARAMSCOPE_FUZZ_EXAMPLES (default 20000), which this module turns into its own
profile (conftest's HYPOTHESIS_PROFILE only knows the profiles conftest registers).
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import struct
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paramscope.errors import ParamscopeError

sys.path.insert(0, str(Path(__file__).parent))
from family_configs import FAMILY_CONFIGS  # noqa: E402

if os.environ.get("PARAMSCOPE_FUZZ_EXAMPLES"):
    settings.register_profile("fuzz-long", max_examples=int(os.environ["PARAMSCOPE_FUZZ_EXAMPLES"]), deadline=None,
                              derandomize=False, suppress_health_check=list(HealthCheck))
    settings.load_profile("fuzz-long")

SLOW_OK = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                          HealthCheck.data_too_large])

# ---------------------------------------------------------------- config.json

_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2**40, 2**40), st.sampled_from([0, 1, -1, 2**31, 10**9]),
                     st.floats(), st.text(max_size=8),  # NaN and +-inf included: jsonio reads them (hub files hold them)
                     st.sampled_from(["gptq", "awq", "fp8", "mxfp4", "bitsandbytes", "bfloat16", "float13", "llama"]))
_VALUES = st.recursive(_SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=6), inner, max_size=4)),
                       max_leaves=8)
_KEYS = sorted({k for cfg in FAMILY_CONFIGS.values() for k in cfg} | {
    "quantization_config", "torch_dtype", "head_dim", "num_key_value_heads", "tie_word_embeddings", "rope_scaling",
    "sliding_window", "layer_types", "text_config", "vision_config", "_name_or_path", "max_position_embeddings"})
_QUANT = st.fixed_dictionaries({}, optional={"quant_method": _SCALARS, "bits": _SCALARS, "w_bit": _SCALARS,
                                             "group_size": _SCALARS, "weight_block_size": _VALUES,
                                             "load_in_4bit": _SCALARS})


@SLOW_OK
@given(family=st.sampled_from(sorted(FAMILY_CONFIGS)), changes=st.dictionaries(
    st.sampled_from(_KEYS), st.one_of(_VALUES, _QUANT), max_size=4), drop=st.sets(st.sampled_from(_KEYS), max_size=2))
def test_fuzz_config(family, changes, drop):
    from paramscope.memory.weights import native_scheme
    from paramscope.model import from_config
    from paramscope.params import analyze

    cfg = {k: v for k, v in {**FAMILY_CONFIGS[family], **changes}.items() if k not in drop}
    try:
        m = from_config(cfg, origin="m/config.json")
        r = analyze(m)
        native_scheme(m.spec)
    except ParamscopeError:
        return
    # a NaN or infinity anywhere never turns into a count: every figure is an exact integer
    assert all(type(v) is int for v in (r.total, r.active, r.non_embedding, *r.by_tensor_role.values())), r


_CONSTANTS = st.sampled_from(["NaN", "Infinity", "-Infinity", "[NaN]", "[0.0, Infinity]", '{"factor": NaN}'])


@SLOW_OK
@given(family=st.sampled_from(sorted(FAMILY_CONFIGS)), data=st.data(), constant=_CONSTANTS)
def test_fuzz_non_finite_constant_never_changes_the_model(family, data, constant):
    """config.json text with one key (present or not) set to NaN / Infinity, read by the real JSON reader: it
    is refused with a ParamscopeError, or the key is one no count reads and the described model is exactly
    the one without the constant (the same ModelSpec). Never a different number."""
    from paramscope.errors import ConfigError
    from paramscope.model import from_config
    from paramscope.sources import jsonio

    base = FAMILY_CONFIGS[family]
    key = data.draw(st.sampled_from(sorted(set(base) | set(_KEYS))))
    text = json.dumps({**base, key: "@@"}).replace('"@@"', constant)
    reference = from_config(base, origin="m/config.json").spec
    try:
        m = from_config(jsonio.loads(text, "m/config.json", ConfigError), origin="m/config.json")
    except ParamscopeError:
        return
    # the display name is no count (a non-string _name_or_path is the adapter's business, not a number's)
    assert dataclasses.replace(m.spec, name=reference.name) == reference, (family, key, constant)


# ---------------------------------------------------------------- safetensors

def _header(n: int) -> dict:
    return {f"model.layers.{i}.mlp.up_proj.weight": {"dtype": "BF16", "shape": [2, 4], "data_offsets": [16 * i,
                                                                                                      16 * i + 16]}
            for i in range(n)} | {"__metadata__": {"format": "pt"}}


_VALID = json.dumps(_header(3)).encode()


@SLOW_OK
@given(data=st.one_of(st.binary(max_size=300), st.builds(lambda b: b"{" + b, st.binary(max_size=200))),
       file_bytes=st.one_of(st.none(), st.integers(0, 2**64)))
def test_fuzz_safetensors_random_bytes(data, file_bytes):
    from paramscope.sources.safetensors_io import parse_header

    try:
        parse_header(data, file_bytes=file_bytes, origin="m/x.safetensors")
    except ParamscopeError:
        pass


@SLOW_OK
@given(edits=st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.integers(1, len(_VALID)))
def test_fuzz_safetensors_mutated_header(tmp_path_factory, edits, cut):
    from paramscope.sources.safetensors import load_safetensors

    raw = bytearray(_VALID)
    for pos, byte in edits:
        raw[pos] = byte
    raw = bytes(raw[:cut]) if cut < len(raw) and cut % 3 == 0 else bytes(raw)
    d = tmp_path_factory.mktemp("m")
    (d / "x.safetensors").write_bytes(struct.pack("<Q", len(raw)) + raw + b"\0" * 48)
    try:
        load_safetensors(d / "x.safetensors")
    except ParamscopeError:
        pass


# ---------------------------------------------------------------- GGUF

def _valid_gguf() -> bytes:
    np = pytest.importorskip("numpy")
    gguf = pytest.importorskip("gguf")
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"paramscope-fuzz-{os.getpid()}.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name("tiny")
    w.add_block_count(2)
    w.add_embedding_length(8)
    w.add_feed_forward_length(16)
    w.add_head_count(2)
    w.add_head_count_kv(1)
    w.add_context_length(64)
    w.add_token_list(["a", "b", "c"])
    w.add_tensor("token_embd.weight", np.zeros((10, 8), dtype=np.float32))
    for i in range(2):
        w.add_tensor(f"blk.{i}.attn_q.weight", np.zeros((8, 8), dtype=np.float32))
    w.add_tensor("output_norm.weight", np.zeros((8,), dtype=np.float32))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    data = path.read_bytes()
    path.unlink()
    return data


@pytest.fixture(scope="module")
def gguf_bytes() -> bytes:
    return _valid_gguf()


@SLOW_OK
@given(data=st.data())
def test_fuzz_gguf_mutated_file(tmp_path_factory, gguf_bytes, data):
    from paramscope.sources.gguf import load_gguf

    header_end = min(len(gguf_bytes), 700)
    raw = bytearray(gguf_bytes)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, header_end - 1))
        if data.draw(st.booleans()):
            raw[pos] = data.draw(st.integers(0, 255))
        else:  # overwrite a u64/u32 with an extreme value
            raw[pos:pos + 8] = struct.pack("<Q", data.draw(st.sampled_from([0, 1, 2**31, 2**32 - 1, 2**63, 2**64 - 1])))
    cut = data.draw(st.one_of(st.none(), st.integers(0, len(raw))))
    d = tmp_path_factory.mktemp("m")
    (d / "x.gguf").write_bytes(bytes(raw[:cut]) if cut is not None else bytes(raw))
    try:
        load_gguf(d / "x.gguf")
    except ParamscopeError:
        pass


# ---------------------------------------------------------------- units

_NUMBERISH = st.one_of(st.text(max_size=12), st.from_regex(r"\A-?[0-9]{0,5}\.?[0-9]{0,5}(e[+-]?[0-9]{1,4})?"
                                                             r"[kKmMbBgGtTpPi]{0,3}\Z"),
                       st.integers(), st.floats(), st.booleans())


@given(text=_NUMBERISH, binary_k=st.booleans(), minimum=st.sampled_from([None, 0, 1]))
def test_fuzz_units(text, binary_k, minimum):
    from paramscope.units import parse_bytes, parse_count, parse_float

    for call in (lambda: parse_count(text, what="--x", binary_k=binary_k, minimum=minimum),
                 lambda: parse_float(text, what="--x"), lambda: parse_bytes(text, what="--x")):
        try:
            call()
        except ParamscopeError:
            pass


# ---------------------------------------------------------------- every flag of every command

_SKIP_FLAGS = {"--plot", "--out", "--hardware-file", "--help", "--version"}
_BASE = {"params": ["llama-3.1-8b"], "show": ["llama-3.1-8b"], "memory": ["llama-3.1-8b"],
         "fit": ["llama-3.1-8b", "--gpu", "h100-sxm"], "perf": ["llama-3.1-8b", "--gpu", "h100-sxm"],
         "train": ["llama-3.1-8b", "--gpu", "h100-sxm", "--count", "8", "--tokens", "1T"],
         "hardware": [], "models": [], "runs": [], "scale": ["--compute", "1e23"]}


def _options(command: str) -> list[tuple[str, bool]]:
    """(flag, takes a value) for every option of a subcommand, read from the real parser."""
    import argparse

    from paramscope.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    out = []
    for action in sub._actions:
        flags = [f for f in action.option_strings if f.startswith("--")]
        if flags and flags[0] not in _SKIP_FLAGS:
            out.append((flags[0], action.nargs != 0))
    return out


_VALUE = st.one_of(st.sampled_from(["0", "-1", "1", "2.5", "1e400", "nan", "inf", "-inf", "", " ", "32k", "1T", "7B",
                                    "1,2", "h100-sxm", "bf16", "fp8", "q4_0", "Q4_K_M", "vllm", "llama.cpp",
                                    "selective", "full", "adamw", "3", "64", "1e-9", "0.5", "\x1b[31m", "a\nb"]),
                   st.text(max_size=6), st.integers(-3, 10**6).map(str))


@pytest.mark.parametrize("command", sorted(_BASE))
def test_fuzz_cli_flags(command):
    from paramscope.cli import main

    options = _options(command)
    if not options:
        pytest.fail(f"{command}: no options found to fuzz (the parser changed?)")

    @settings(SLOW_OK, max_examples=max(5, settings().max_examples // 4))
    @given(picks=st.lists(st.tuples(st.sampled_from(options), _VALUE), min_size=1, max_size=3))
    def run(picks):
        argv = [command, *_BASE[command]]
        for (flag, takes_value), value in picks:
            argv += [flag, value] if takes_value else [flag]
        out, err = io.StringIO(), io.StringIO()
        old = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = out, err
        try:
            code = main(argv)
        finally:
            sys.stdout, sys.stderr = old
        text = err.getvalue()
        assert code in (0, 2, 3, 4), (argv, text)
        assert "Traceback" not in text and "internal error" not in text, (argv, text)

    run()
