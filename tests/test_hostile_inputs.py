"""Hostile inputs: every one ends in a right answer or ONE clear error line (issue 9: never silently wrong,
never stuck).

Each case builds its input under ``tmp_path / "m"`` (neutral file names: a message must not pass because the
test's own name is in the path), runs the CLI, and checks the exit code, that a refusal is exactly one
``paramscope: error:`` line naming the file or flag and the field, and that nothing is a traceback or an
internal error. Cases that could hang or eat memory (FIFOs, /dev/zero, huge headers) run in a child process
with a 5 s limit and a 300 MB max-RSS limit (os.wait4); the rest run in-process.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys

import pytest

from paramscope.cli import main

LLAMA = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64, "intermediate_size": 128,
         "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 100,
         "max_position_embeddings": 256, "torch_dtype": "bfloat16"}
LIMIT_S, LIMIT_RSS_KB = 5.0, 300 * 1024


# ---------------------------------------------------------------- builders

def _st_bytes(header: dict | bytes, data: bytes | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    if data is None and isinstance(header, dict):
        data = b"\0" * max([v["data_offsets"][1] for k, v in header.items() if k != "__metadata__"
                            and isinstance(v, dict) and isinstance(v.get("data_offsets"), list)] or [0])
    return struct.pack("<Q", len(raw)) + raw + (data or b"")


def _t(dtype="F32", shape=(2,), start=0, end=None) -> dict:
    n = 1
    for d in shape:
        n *= d
    return {"dtype": dtype, "shape": list(shape), "data_offsets": [start, start + n * 4 if end is None else end]}


def _s(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(raw)) + raw


def _kv(key: str, vtype: int, payload: bytes) -> bytes:
    return _s(key) + struct.pack("<I", vtype) + payload


def _u32(key: str, v: int) -> bytes:
    return _kv(key, 4, struct.pack("<I", v))


def _str(key: str, v: str | bytes) -> bytes:
    return _kv(key, 8, _s(v))


def _ti(name: str | bytes, dims, offset: int = 0) -> bytes:
    return (_s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
            + struct.pack("<I", 0) + struct.pack("<Q", offset))


def _gguf(kvs=(), tis=(), data=b"", *, version=3, n_tensors=None, n_kv=None, magic=b"GGUF") -> bytes:
    head = magic + struct.pack("<IQQ", version, len(tis) if n_tensors is None else n_tensors,
                               len(kvs) if n_kv is None else n_kv)
    head += b"".join(kvs) + b"".join(tis)
    return head + b"\0" * (-len(head) % 32) + data


def _llama_gguf(extra=(), *, blocks=2, head_count: bytes | None = None, embd_dims=(8, 10), name="tiny") -> bytes:
    """A tiny llama GGUF: token_embd, `blocks` blocks of attn_q, output_norm (F32)."""
    kvs = [_str("general.architecture", "llama"), _str("general.name", name), _u32("llama.embedding_length", 8),
           _u32("llama.feed_forward_length", 16),
           head_count if head_count is not None else _u32("llama.attention.head_count", 2)]
    kvs += [_u32("llama.block_count", 2)] + list(extra)
    tis, off = [], 0
    shapes = [("token_embd.weight", embd_dims)] + [(f"blk.{i}.attn_q.weight", (8, 8)) for i in range(blocks)] + \
        [("output_norm.weight", (8,))]
    for n, dims in shapes:
        tis.append(_ti(n, dims, off))
        size = 4
        for d in dims:
            size *= d
        off += size + (-size % 32)
    return _gguf(kvs, tis, b"\0" * off)


def _deep(n: int) -> str:
    return '{"a": ' * n + "1" + "}" * n


def _cfg(**over) -> dict:
    return {**LLAMA, **over}


def _with_constant(key: str, constant: str, **over) -> str:
    """config.json text of _cfg(**over) with `key` set to a bare JSON-ish constant (NaN, Infinity, [NaN]...)."""
    return json.dumps(_cfg(**over, **{key: "@@"})).replace('"@@"', constant)


# ---------------------------------------------------------------- running

def _in_process(capsys, argv) -> tuple[int, str, str]:
    code = main(argv)
    cap = capsys.readouterr()
    return code, cap.out, cap.err


# The child is started by a small wrapper process, which measures it with os.wait4: a child forked straight
# from pytest would inherit pytest's (large) peak RSS in its own ru_maxrss.
_WRAPPER = """
import json, os, subprocess, sys, time
result, limit, argv = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
start = time.monotonic()
p = subprocess.Popen(argv, stdin=subprocess.DEVNULL)
timed_out = False
while True:
    pid, status, usage = os.wait4(p.pid, os.WNOHANG)
    if pid:
        break
    if time.monotonic() - start > limit:
        timed_out = True
        p.kill()
        pid, status, usage = os.wait4(p.pid, 0)
        break
    time.sleep(0.01)
with open(result, "w") as f:
    json.dump({"code": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - start,
               "rss_kb": usage.ru_maxrss, "timed_out": timed_out}, f)
"""


def _child(argv, timeout: float = LIMIT_S) -> tuple[int, str, str, float, int]:
    """Run the CLI in a child; returns (code, out, err, seconds, max RSS in KB). Kills it past ``timeout``."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        result = os.path.join(tmp, "result.json")
        r = subprocess.run([sys.executable, "-c", _WRAPPER, result, str(timeout), sys.executable, "-m", "paramscope",
                            *argv], capture_output=True, timeout=timeout + 30, stdin=subprocess.DEVNULL)
        with open(result) as f:
            res = json.load(f)
    if res["timed_out"]:
        pytest.fail(f"paramscope {' '.join(argv)}: still running after {timeout} s")
    return res["code"], r.stdout.decode(), r.stderr.decode(), res["seconds"], res["rss_kb"]


def _check(code, out, err, expect, needles) -> None:
    assert "Traceback" not in err and "internal error" not in err, err
    assert code == expect, (code, err)
    if expect == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("paramscope: error:"), err
        for needle in needles:
            assert needle in lines[0], (needle, lines[0])
    else:
        for needle in needles:
            assert needle in err or needle in out, (needle, err)


# ---------------------------------------------------------------- config.json

CONFIGS = [  # (id, text or dict, expected exit code, words the message must contain)
    ("deep-nesting-10000", '{"a": ' * 10000 + "1" + "}" * 10000, 2, ["nested deeper than 64"]),
    ("deep-arrays-100", json.dumps(_cfg(x=[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]])),  # noqa: E501
     2, ["nested deeper"]),
    ("unclosed-10000", "[" * 10000, 2, ["nested deeper"]),
    ("int-5000-digits", json.dumps(_cfg(vocab_size=1))[:-1] + ', "big": ' + "9" * 5000 + "}", 2, ["5000 digits"]),
    ("float-overflow", json.dumps(_cfg())[:-1] + ', "rope_theta": 1e400}', 2, ["overflows"]),
    # NaN / Infinity / -Infinity are read as floats (real hub configs hold them); where a number is used, the
    # typed getter refuses it with the key's name (shape-neutral keys: test_non_finite_constants_*)
    *[(f"{k}={c}", _with_constant(k, c, **over), 2, [k, "got " + c.lower().replace("inity", "")])
      for k, c, over in (("hidden_size", "NaN", {}), ("num_hidden_layers", "Infinity", {}),
                         ("intermediate_size", "-Infinity", {}), ("num_key_value_heads", "NaN", {}),
                         ("vocab_size", "Infinity", {}), ("head_dim", "NaN", {}),
                         ("max_position_embeddings", "Infinity", {}),
                         ("sliding_window", "Infinity", {"model_type": "mistral",
                                                         "architectures": ["MistralForCausalLM"]}))],
    ("tie_word_embeddings=NaN", _with_constant("tie_word_embeddings", "NaN"), 2, ["tie_word_embeddings"]),
    ("architectures=[NaN]", _with_constant("architectures", "[NaN]"), 2, ["architectures"]),
    ("duplicate-key", json.dumps(_cfg())[:-1] + ', "hidden_size": 128}', 2, ["duplicate key 'hidden_size'"]),
    ("not-utf8", b'{"model_type": "\xff\xfe"}', 2, ["not UTF-8"]),
    ("empty", "", 2, ["malformed JSON"]),
    ("list", "[1, 2]", 2, ["expected a JSON object"]),
    ("string", '"llama"', 2, ["expected a JSON object"]),
    ("quant-string", _cfg(quantization_config="gptq"), 2, ["quantization_config: expected an object"]),
    ("quant-list", _cfg(quantization_config=["gptq"]), 2, ["quantization_config: expected an object"]),
    ("quant-number", _cfg(quantization_config=4), 2, ["quantization_config: expected an object"]),
    ("quant-null", _cfg(quantization_config=None), 0, []),
    ("quant-method-int", _cfg(quantization_config={"quant_method": 4}), 2, ["quantization_config.quant_method"]),
    *[(f"bits-{b!r}", _cfg(quantization_config={"quant_method": "gptq", "bits": b}), 2,
       ["quantization_config.bits"]) for b in ("four", 64, 0, -4, True, 3.5, 16, 1, [4])],
    ("awq-w_bit-5", _cfg(quantization_config={"quant_method": "awq", "w_bit": 5}), 2, ["quantization_config.w_bit"]),
    ("group-size-str", _cfg(quantization_config={"quant_method": "gptq", "group_size": "x"}), 2,
     ["quantization_config.group_size"]),
    *[(f"{k}={v!r}", _cfg(**{k: v}), 2, [k]) for k, v in (
        ("hidden_size", "64"), ("hidden_size", [64]), ("hidden_size", {}), ("hidden_size", True), ("hidden_size", 64.5),
        ("hidden_size", -64), ("num_attention_heads", 0), ("num_attention_heads", "4"), ("num_key_value_heads", 3),
        ("intermediate_size", None), ("vocab_size", 1.5), ("num_hidden_layers", 10**12),
        ("num_hidden_layers", "2"), ("max_position_embeddings", -1), ("torch_dtype", 16),
        ("tie_word_embeddings", "yes"), ("model_type", 7), ("architectures", "LlamaForCausalLM"),
        ("head_dim", 0))],
]


def _write_config(d, content) -> str:
    d.mkdir(exist_ok=True)
    p = d / "config.json"
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(p)


@pytest.mark.parametrize("content,code,needles", [c[1:] for c in CONFIGS], ids=[c[0] for c in CONFIGS])
def test_hostile_config(tmp_path, capsys, content, code, needles):
    path = _write_config(tmp_path / "m", content)
    got = _in_process(capsys, ["params", path])
    _check(*got, code, needles + (["config.json"] if code == 2 else []))


# Keys no count reads (shape-neutral: rope frequencies, norm epsilon, rope scaling factors, init scale) may hold
# NaN / Infinity as real hub files do; the file is accepted and every figure equals the same file without them.
NEUTRAL_CONSTANTS = [("rope_theta", "NaN"), ("rope_theta", "-Infinity"), ("rms_norm_eps", "NaN"),
                     ("initializer_range", "Infinity"),
                     ("rope_scaling", '{"rope_type": "linear", "factor": NaN}'),
                     ("rope_scaling", '{"rope_type": "yarn", "factor": Infinity, "original_max_position_embeddings": 64}')]


@pytest.mark.parametrize("key,constant", NEUTRAL_CONSTANTS, ids=[f"{k}={c[:24]}" for k, c in NEUTRAL_CONSTANTS])
def test_non_finite_constants_in_shape_neutral_keys_change_nothing(tmp_path, capsys, key, constant):
    path = tmp_path / "m" / "config.json"
    path.parent.mkdir()
    outs = []
    for text in (json.dumps(_cfg(**{key: 1.0 if key != "rope_scaling" else None})), _with_constant(key, constant)):
        path.write_text(text)
        got = []
        for argv in (["params", str(path), "--json"], ["memory", str(path), "--context", "128", "--json"],
                     ["fit", str(path), "--gpu", "h100-sxm", "--json"]):
            code, out, err = _in_process(capsys, argv)
            assert code == 0, (argv, err)
            got.append(json.loads(out))
        outs.append(got)
    assert outs[0] == outs[1]


@pytest.mark.parametrize("command", [["memory"], ["fit", "--gpu", "h100-sxm"], ["perf", "--gpu", "h100-sxm"]])
def test_non_finite_constants_in_used_keys_are_refused_by_every_command(tmp_path, capsys, command):
    path = _write_config(tmp_path / "m", _with_constant("num_attention_heads", "NaN"))
    code, out, err = _in_process(capsys, [command[0], path, *command[1:]])
    _check(code, out, err, 2, ["config.json", "num_attention_heads", "got nan"])


# (record id, key path) where a constant is known to escape the typed getters, with the fix that removes the
# entry. Empty: Qwen2-VL's vision_config.mlp_ratio, the last one, is now read with Cfg.float.
KNOWN_CONSTANT_ESCAPES: set[tuple[str, str]] = set()


def test_non_finite_constants_in_every_catalog_config_key():
    """Every catalog config with any one key (top level, or inside text_config / vision_config / rope_scaling /
    quantization_config) set to NaN, Infinity or [NaN], read by jsonio: a ParamscopeError, or the same
    ModelSpec as the record's own config (the key is one no count reads)."""
    import dataclasses

    from paramscope import catalog
    from paramscope.errors import ConfigError, ParamscopeError
    from paramscope.model import from_config
    from paramscope.sources import jsonio

    escapes, wrong = set(), []
    for rec in catalog.all_records():
        cfg = rec.get("config")
        if not isinstance(cfg, dict):
            continue
        ref = from_config(cfg, origin="m/config.json").spec
        paths = [(k,) for k in cfg] + [(s, k) for s in ("text_config", "vision_config", "rope_scaling",
                                                         "quantization_config")
                                       if isinstance(cfg.get(s), dict) for k in cfg[s]]
        for path in paths:
            for constant in ("NaN", "Infinity", "[NaN]"):
                d = json.loads(json.dumps(cfg))
                node = d
                for k in path[:-1]:
                    node = node[k]
                node[path[-1]] = "@@"
                obj = jsonio.loads(json.dumps(d).replace('"@@"', constant), "m/config.json", ConfigError)
                try:
                    spec = from_config(obj, origin="m/config.json").spec
                except ParamscopeError:
                    continue
                except (ValueError, OverflowError, TypeError):
                    escapes.add((rec["id"], ".".join(path)))
                    continue
                if dataclasses.replace(spec, name=ref.name, warnings=ref.warnings) != ref:
                    wrong.append((rec["id"], ".".join(path), constant))
    assert wrong == [], wrong
    assert escapes == KNOWN_CONSTANT_ESCAPES


def test_non_finite_constant_in_a_saved_spec_is_refused(tmp_path, capsys):
    """A saved spec (`show --json`) is used field by field, without config.json's typed getters: jsonio refuses
    NaN / Infinity anywhere in one (a NaN token_types would otherwise become a NaN total)."""
    assert main(["show", "llama-3.1-8b", "--json"]) == 0
    spec = json.loads(capsys.readouterr().out)
    spec.pop("source", None)
    path = tmp_path / "m" / "spec.json"
    path.parent.mkdir()
    path.write_text(json.dumps(spec))
    assert _in_process(capsys, ["params", str(path)])[0] == 0
    for constant in ("NaN", "Infinity", "-Infinity"):
        spec["embedding"]["token_types"] = "@@"
        path.write_text(json.dumps(spec).replace('"@@"', constant))
        for argv in (["params", str(path)], ["memory", str(path)]):
            _check(*_in_process(capsys, argv), 2, ["spec.json", constant, "saved paramscope spec"])


def test_quantization_config_null_counts_like_none(tmp_path, capsys):
    a = _write_config(tmp_path / "a", _cfg(quantization_config=None))
    b = _write_config(tmp_path / "b", _cfg())
    assert main(["params", a, "--json"]) == 0
    ja = json.loads(capsys.readouterr().out)
    assert main(["params", b, "--json"]) == 0
    assert ja["total"] == json.loads(capsys.readouterr().out)["total"]


def test_unknown_torch_dtype_is_named_not_called_missing(tmp_path, capsys):
    path = _write_config(tmp_path / "m", _cfg(torch_dtype="float13"))
    code, out, err = _in_process(capsys, ["memory", path])
    assert code == 0 and "torch_dtype 'float13' is not a dtype paramscope knows" in err
    assert "states no torch_dtype" not in err


def test_control_characters_in_names_are_escaped(tmp_path, capsys):
    path = _write_config(tmp_path / "m", _cfg(_name_or_path="\x1b[31mEVIL\nforged: 1,000,000,000\x00\r"))
    for argv in (["params", path], ["show", path], ["memory", path], ["params", path, "--tensors"]):
        code, out, err = _in_process(capsys, argv)
        assert code == 0
        for text in (out, err):
            assert "\x1b" not in text and "\x00" not in text and "\r" not in text
            assert not any(line.startswith("forged") for line in text.splitlines())
        assert "\\x1b[31mEVIL\\nforged" in out


def test_directory_named_config_json_is_refused(tmp_path, capsys):
    d = tmp_path / "m" / "config.json"
    d.mkdir(parents=True)
    _check(*_in_process(capsys, ["params", str(d)]), 2, ["config.json"])


def test_config_over_the_size_limit_is_refused_unread(tmp_path, capsys):
    (tmp_path / "m").mkdir()
    p = tmp_path / "m" / "config.json"
    with open(p, "wb") as f:
        f.truncate(40 * 2**20)
    _check(*_in_process(capsys, ["params", str(p)]), 2, ["too large", "config.json"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads a chmod 000 file")
def test_unreadable_config(tmp_path, capsys):
    path = _write_config(tmp_path / "m", _cfg())
    os.chmod(path, 0)
    try:
        _check(*_in_process(capsys, ["params", path]), 2, ["config.json", "Permission denied"])
    finally:
        os.chmod(path, 0o644)


# ---------------------------------------------------------------- safetensors

BIG = 2**64 - 1
SAFETENSORS = [  # (id, file bytes, words)
    ("empty", b"", ["header length"]),
    ("7-bytes", b"\1" * 7, ["header length"]),
    ("length-2^64-1", struct.pack("<Q", BIG) + b"{}", ["header length"]),
    ("length-past-eof", struct.pack("<Q", 100) + b"{}", ["header length", "truncated"]),
    ("not-json", _st_bytes(b"{garbage"), ["malformed header"]),
    ("not-an-object", _st_bytes(b"[1]"), ["JSON starting with '{'"]),
    ("deep", _st_bytes(_deep(200).encode()), ["nested deeper"]),
    ("duplicate-tensor", _st_bytes(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, "a": '
                                   b'{"dtype": "F32", "shape": [1], "data_offsets": [4, 8]}}', b"\0" * 8),
     ["duplicate key 'a'"]),
    # NaN / Infinity are read as floats (real hub configs hold them); the header's integer fields refuse them
    ("nan-in-header", _st_bytes(b'{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 4]}}', b"\0" * 4),
     ["tensor 'a'", "shape"]),
    ("infinity-in-offsets", _st_bytes(b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, Infinity]}}',
                                      b"\0" * 4), ["tensor 'a'", "data_offsets"]),
    ("dtype", _st_bytes({"a": {**_t(), "dtype": "F13"}}), ["dtype"]),
    ("dtype-null", _st_bytes({"a": {**_t(), "dtype": None}}), ["dtype"]),
    ("shape-negative", _st_bytes({"a": {**_t(), "shape": [-2]}}), ["shape"]),
    ("shape-string", _st_bytes({"a": {**_t(), "shape": "2"}}), ["shape"]),
    ("shape-float", _st_bytes({"a": {**_t(), "shape": [2.0]}}), ["shape"]),
    ("shape-huge", _st_bytes({"a": {"dtype": "F32", "shape": [2**40, 2**40], "data_offsets": [0, 8]}}, b"\0" * 8),
     ["shape"]),
    ("shape-100-dims", _st_bytes({"a": {"dtype": "F32", "shape": [1] * 100, "data_offsets": [0, 4]}}, b"\0" * 4),
     ["shape"]),
    ("offsets-wrong-size", _st_bytes({"a": _t(end=3)}, b"\0" * 8), ["data_offsets"]),
    ("offsets-reversed", _st_bytes({"a": {**_t(), "data_offsets": [8, 0]}}, b"\0" * 8), ["data_offsets"]),
    ("offsets-past-eof", _st_bytes({"a": _t()}, b"\0" * 4), ["data_offsets", "truncated"]),
    ("overlap", _st_bytes({"a": _t(), "b": _t(start=4)}), ["overlap"]),
    ("metadata-not-strings", _st_bytes({"__metadata__": {"x": 1}, "a": _t()}), ["__metadata__"]),
    ("entry-not-object", _st_bytes({"a": [1, 2]}), ["tensor 'a'"]),
]


@pytest.mark.parametrize("blob,needles", [c[1:] for c in SAFETENSORS], ids=[c[0] for c in SAFETENSORS])
def test_hostile_safetensors(tmp_path, capsys, blob, needles):
    d = tmp_path / "m"
    d.mkdir()
    p = d / "x.safetensors"
    p.write_bytes(blob)
    _check(*_in_process(capsys, ["params", str(p)]), 2, needles + ["x.safetensors"])


INDEXES = [
    ("weight-map-list", {"weight_map": ["a"]}, ["weight_map"]),
    ("shard-escapes-folder", {"weight_map": {"a": "../../etc/passwd"}}, ["weight_map['a']", "inside the index"]),
    ("shard-missing", {"weight_map": {"a": "nope.safetensors"}}, ["nope.safetensors"]),
    ("total-size-negative", {"metadata": {"total_size": -1}, "weight_map": {}}, ["total_size"]),
    ("deep", json.loads(_deep(100)), ["nested deeper"]),
]


@pytest.mark.parametrize("index,needles", [c[1:] for c in INDEXES], ids=[c[0] for c in INDEXES])
def test_hostile_safetensors_index(tmp_path, capsys, index, needles):
    d = tmp_path / "m"
    d.mkdir()
    p = d / "model.safetensors.index.json"
    p.write_text(json.dumps(index) if "weight_map" in index else _deep(100))
    _check(*_in_process(capsys, ["params", str(p)]), 2, needles + ["index.json"])


def _gptq_dir(d, bits: int, rows: int, method="gptq"):
    d.mkdir()
    (d / "config.json").write_text(json.dumps(_cfg(quantization_config={"quant_method": method, "bits": bits,
                                                                      "group_size": 64})))
    shape = [rows, 64] if method == "gptq" else [64, rows]
    (d / "model.safetensors").write_bytes(_st_bytes({"model.layers.0.self_attn.q_proj.qweight": {
        "dtype": "I32", "shape": shape, "data_offsets": [0, rows * 64 * 4]}}))
    return d


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("method", ["gptq", "awq"])
def test_packed_weights_unpack_exactly(tmp_path, bits, method):
    """auto-gptq: qweight = zeros((infeatures // 32 * bits, outfeatures)) -- 3-bit packs 32 values in 3 words;
    AutoAWQ packs along out-features, qweight [in, out * bits / 32]."""
    from paramscope.model import load_model

    d = _gptq_dir(tmp_path / "m", bits, 64 * bits // 32, method)
    m = load_model(str(d))
    (t,) = [t for t in m.inventory.tensors if t.source.endswith("qweight")]
    assert t.shape == (64, 64) and t.name.endswith("q_proj.weight")


def test_three_bit_rows_that_cannot_hold_whole_values(tmp_path, capsys):
    d = _gptq_dir(tmp_path / "m", 3, 7)
    _check(*_in_process(capsys, ["params", str(d)]), 2, ["qweight", "3-bit", "model.safetensors"])


def _mismatched_dir(d):
    """An 8B config.json beside a 256-parameter file."""
    d.mkdir()
    (d / "config.json").write_text(json.dumps(_cfg(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                                                   num_attention_heads=32, num_key_value_heads=8, vocab_size=128256)))
    (d / "model.safetensors").write_bytes(_st_bytes({"model.embed_tokens.weight": _t("BF16", (16, 16), 0, 512)}))
    return str(d)


@pytest.mark.parametrize("argv", [["params"], ["show"], ["memory"], ["fit", "--gpu", "h100-sxm"],
                                  ["perf", "--gpu", "h100-sxm"]])
def test_every_command_prints_the_models_warnings(tmp_path, capsys, argv):
    path = _mismatched_dir(tmp_path / "m")
    code, out, err = _in_process(capsys, [argv[0], path, *argv[1:]])
    assert code in (0, 4) and "the file holds 256 parameters, config.json describes" in err


def test_control_characters_in_tensor_names(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    p = d / "x.safetensors"
    p.write_bytes(_st_bytes({"a\nforged 999\x1b[2J": _t(), "__metadata__": {"name": "\x1b]0;pwned\x07"}}))
    code, out, err = _in_process(capsys, ["params", str(p), "--tensors"])
    assert code == 0 and "\x1b" not in out + err and "\x07" not in out + err
    assert not any(line.startswith("forged") for line in out.splitlines())
    assert "a\\nforged 999\\x1b[2J" in out


# ---------------------------------------------------------------- GGUF

GGUF = [  # (id, bytes, exit code, words)
    ("bad-magic", _gguf(magic=b"GGML"), 2, ["magic"]),
    ("version-1", _gguf(version=1), 2, ["version"]),
    ("version-99", _gguf(version=99), 2, ["version"]),
    ("big-endian", _gguf(version=0x03000000), 2, ["big-endian"]),
    ("tensor-count-2^63", _gguf(n_tensors=2**63), 2, ["tensor_count"]),
    ("kv-count-2^63", _gguf(n_kv=2**63), 2, ["metadata_kv_count"]),
    ("string-past-eof", _gguf([_kv("k", 8, struct.pack("<Q", 2**40) + b"x")]), 2, ["string length"]),
    ("value-type-13", _gguf([_kv("k", 13, b"")]), 2, ["value type"]),
    ("array-of-arrays", _gguf([_kv("k", 9, (struct.pack("<IQ", 9, 1)) * 9 + struct.pack("<IQ", 0, 0))]), 2,
     ["nested"]),
    ("array-length-past-eof", _gguf([_kv("k", 9, struct.pack("<IQ", 8, 2**60))]), 2, ["entries to fit"]),
    ("n-dims-9", _gguf([], [_ti("w", (1,) * 9)]), 2, ["n_dims"]),
    ("dims-zero", _gguf([], [_ti("w", (0,))]), 2, ["dims"]),
    ("tensor-past-eof", _gguf([], [_ti("w", (1024,))]), 2, ["truncated"]),
    ("head-count-string", _llama_gguf(head_count=_str("llama.attention.head_count", "8")), 2,
     ["llama.attention.head_count", "unsigned integer"]),
    ("head-count-float", _llama_gguf(head_count=_kv("llama.attention.head_count", 6, struct.pack("<f", 2.0))), 2,
     ["llama.attention.head_count"]),
    ("token-embd-1d", _llama_gguf(embd_dims=(80,)), 2, ["token_embd.weight", "2 dims"]),
    ("block-count-contradicts", _llama_gguf(blocks=1), 0, ["block_count = 2 contradicts the tensors"]),
    ("head-count-array", _llama_gguf(head_count=_kv("llama.attention.head_count", 9,
                                                    struct.pack("<IQ", 4, 2) + struct.pack("<II", 2, 2))), 0,
     ["per-layer values"]),
    ("escapes-in-name", _llama_gguf(name="\x1b[1mX\nforged"), 0, []),
]


@pytest.mark.parametrize("blob,code,needles", [c[1:] for c in GGUF], ids=[c[0] for c in GGUF])
def test_hostile_gguf(tmp_path, capsys, blob, code, needles):
    d = tmp_path / "m"
    d.mkdir()
    p = d / "x.gguf"
    p.write_bytes(blob)
    code_, out, err = _in_process(capsys, ["params", str(p)])
    _check(code_, out, err, code, needles + (["x.gguf"] if code == 2 else []))
    assert "\x1b" not in out + err


def test_gguf_block_count_1e8_is_bounded(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    p = d / "x.gguf"
    p.write_bytes(_llama_gguf().replace(_u32("llama.block_count", 2), _u32("llama.block_count", 10**8)))
    code, out, err = _in_process(capsys, ["params", str(p)])
    assert code == 0 and "100,000,000 contradicts" in err
    code, out, err = _in_process(capsys, ["memory", str(p)])
    warning, error = err.splitlines()  # the model's warning says why, then the one error line
    assert code == 2 and "contradicts" in warning and error.startswith("paramscope: error:") and "architecture" in error


def test_gguf_split_needs_every_part(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    part = _llama_gguf([_kv("split.count", 2, struct.pack("<H", 2)), _kv("split.no", 2, struct.pack("<H", 0))])
    p1 = d / "tiny-00001-of-00002.gguf"
    p1.write_bytes(part)
    _check(*_in_process(capsys, ["params", str(p1)]), 2, ["missing tiny-00002-of-00002.gguf", "00001-of-00002"])
    part2 = _gguf([_kv("split.count", 2, struct.pack("<H", 2)), _kv("split.no", 2, struct.pack("<H", 1))],
                  [_ti("blk.1.attn_k.weight", (8, 8))], b"\0" * 256)
    (d / "tiny-00002-of-00002.gguf").write_bytes(part2)
    code, out, err = _in_process(capsys, ["params", str(p1), "--json"])
    assert code == 0 and "split model: 2 parts" in err
    assert json.loads(out)["total"] == 80 + 2 * 64 + 8 + 64


def test_gguf_split_metadata_without_split_name(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    p = d / "x.gguf"
    p.write_bytes(_llama_gguf([_kv("split.count", 2, struct.pack("<H", 3))]))
    _check(*_in_process(capsys, ["params", str(p)]), 2, ["split in 3 files", "x.gguf"])


def test_directory_named_like_a_gguf(tmp_path, capsys):
    d = tmp_path / "m" / "x.gguf"
    d.mkdir(parents=True)
    _check(*_in_process(capsys, ["params", str(d)]), 2, ["x.gguf"])


# ---------------------------------------------------------------- CLI flags

FLAGS = [  # (argv after the command, exit code, words)
    (["memory", "llama-3.1-8b", "--batch", "1e400"], 2, ["--batch"]),
    (["memory", "llama-3.1-8b", "--batch", "nan"], 2, ["--batch"]),
    (["memory", "llama-3.1-8b", "--batch", "inf"], 2, ["--batch"]),
    (["memory", "llama-3.1-8b", "--batch", "-1"], 2, ["--batch"]),
    (["memory", "llama-3.1-8b", "--batch", "0"], 2, ["batch"]),
    (["memory", "llama-3.1-8b", "--batch", "2.5"], 2, ["--batch", "whole number"]),
    (["memory", "llama-3.1-8b", "--batch", ""], 2, ["--batch"]),
    (["memory", "llama-3.1-8b", "--context", "32q"], 2, ["--context", "suffix"]),
    (["memory", "llama-3.1-8b", "--context", "1e-400"], 2, ["--context"]),
    (["memory", "llama-3.1-8b", "--prefill-chunk", "0"], 2, ["--prefill-chunk"]),
    (["memory", "llama-3.1-8b", "--prefill-chunk", ""], 2, ["--prefill-chunk"]),
    (["memory", "llama-3.1-8b", "--tp", "2.5"], 2, ["--tp"]),
    (["memory", "llama-3.1-8b", "--weights", ""], 2, []),
    (["memory", "llama-3.1-8b", "--train", "--zero", "1.5"], 2, ["--zero"]),
    (["memory", "llama-3.1-8b", "--train", "--lora-rank", "nan"], 2, ["--lora-rank"]),
    (["fit", "llama-3.1-8b", "--gpu", "h100-sxm", "--count", "2.5"], 2, ["--count", "whole number"]),
    (["fit", "llama-3.1-8b", "--gpu", "h100-sxm", "--count", "0"], 2, ["--count"]),
    (["fit", "llama-3.1-8b", "--gpu", "", "--count", "1"], 2, ["hardware"]),
    (["perf", "llama-3.1-8b", "--gpu", "h100-sxm", "--prompt", "1e400"], 2, ["--prompt"]),
    (["perf", "llama-3.1-8b", "--gpu", "h100-sxm", "--batch", "1,,2"], 2, ["--batch"]),
    (["perf", "llama-3.1-8b", "--gpu", "h100-sxm", "--bandwidth-efficiency", "nan"], 2, ["--bandwidth-efficiency"]),
    (["perf", "llama-3.1-8b", "--gpu", "h100-sxm", "--compute-efficiency", "2"], 2, ["--compute-efficiency"]),
    (["train", "llama-3.1-8b", "--gpu", "h100-sxm", "--count", "8", "--tokens", "inf"], 2, ["--tokens"]),
    (["train", "llama-3.1-8b", "--gpu", "h100-sxm", "--count", "8", "--tokens", "1T", "--mfu", "1e400"], 2,
     ["--mfu"]),
    (["train", "llama-3.1-8b", "--gpu", "h100-sxm", "--count", "8.5", "--tokens", "1T"], 2, ["--count"]),
    (["scale", "--compute", "nan"], 2, ["--compute"]),
    (["scale", "--params", "7B", "--tokens", "-1"], 2, ["--tokens"]),
    (["memory"], 2, ["memory", "model"]),
    (["memory", "llama-3.1-8b", "--batch"], 2, ["--batch"]),
    (["memory", "llama-3.1-8b", "--nope"], 2, ["--nope"]),
    ([], 2, ["COMMAND"]),
    (["nope"], 2, ["nope"]),
    (["params", "a\x00b"], 2, ["NUL"]),
    (["params", "x" * 5000 + ".json"], 2, []),
]


@pytest.mark.parametrize("argv,code,needles", FLAGS, ids=[" ".join(a)[:60] for a, _, _ in FLAGS])
def test_hostile_flags(capsys, argv, code, needles):
    _check(*_in_process(capsys, argv), code, needles)


def test_hardware_file_too_deep(tmp_path, capsys):
    d = tmp_path / "m"
    d.mkdir()
    (d / "hw.json").write_text("[" * 5000 + "]" * 5000)
    _check(*_in_process(capsys, ["hardware", "--hardware-file", str(d / "hw.json")]), 2, ["hw.json", "nested"])
    (d / "hw.toml").write_text("a = " + "[" * 5000 + "]" * 5000)
    _check(*_in_process(capsys, ["hardware", "--hardware-file", str(d / "hw.toml")]), 2, ["hw.toml"])


# ---------------------------------------------------------------- hangs and memory: child processes

def _fifo(path):
    os.mkfifo(path)
    return str(path)


def _zero(path):
    os.symlink("/dev/zero", path)
    return str(path)


def _many_tensors(path, n=300_000):
    entry = '"t%d":{"dtype":"F32","shape":[1],"data_offsets":[%d,%d]}'
    raw = ("{" + ",".join(entry % (i, 4 * i, 4 * i + 4) for i in range(n)) + "}").encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)) + raw)
        f.truncate(8 + len(raw) + 4 * n)
    return str(path)


def _gguf_many_strings(path):
    """A string array claiming 10^7 empty strings: 80 MB of lengths, all zero (sparse file)."""
    blob = _gguf([_kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 10**7))])
    with open(path, "wb") as f:
        f.write(blob)
        f.truncate(len(blob) + 8 * 10**7 + 64)
    return str(path)


CHILD = [  # (id, make(dir) -> argv, words)
    ("fifo-safetensors", lambda d: ["params", _fifo(d / "x.safetensors")], ["x.safetensors", "FIFO"]),
    ("fifo-gguf", lambda d: ["params", _fifo(d / "x.gguf")], ["x.gguf", "FIFO"]),
    ("fifo-config", lambda d: ["params", _fifo(d / "config.json")], ["config.json", "FIFO"]),
    ("fifo-config-beside", lambda d: (_fifo(d / "config.json"), (d / "model.safetensors").write_bytes(
        _st_bytes({"a": _t()})), ["params", str(d / "model.safetensors")])[-1], ["config.json", "FIFO"]),
    ("fifo-index", lambda d: ["params", _fifo(d / "model.safetensors.index.json")], ["index.json", "FIFO"]),
    ("fifo-hardware-file", lambda d: ["hardware", "--hardware-file", _fifo(d / "hw.toml")], ["hw.toml", "FIFO"]),
    ("dev-zero-config", lambda d: ["params", _zero(d / "config.json")], ["config.json", "device"]),
    ("dev-zero-safetensors", lambda d: ["params", _zero(d / "x.safetensors")], ["x.safetensors", "device"]),
    ("dev-zero-gguf", lambda d: ["params", _zero(d / "x.gguf")], ["x.gguf", "device"]),
    ("dev-zero-hardware-file", lambda d: ["hardware", "--hardware-file", _zero(d / "hw.json")], ["hw.json", "device"]),
    ("300k-tensors", lambda d: ["params", _many_tensors(d / "x.safetensors")], ["x.safetensors", "at most 100,000"]),
    ("gguf-10^7-strings", lambda d: ["params", _gguf_many_strings(d / "x.gguf")], ["x.gguf", "at most 8,000,000"]),
    ("huge-batch-flag", lambda d: ["memory", "llama-3.1-8b", "--batch", "1e17", "--context", "1e17"], []),
]


@pytest.mark.parametrize("make,needles", [c[1:] for c in CHILD], ids=[c[0] for c in CHILD])
def test_no_hang_no_memory_blowup(tmp_path, make, needles):
    d = tmp_path / "m"
    d.mkdir()
    code, out, err, seconds, rss_kb = _child(make(d))
    assert seconds < LIMIT_S and rss_kb <= LIMIT_RSS_KB, (seconds, rss_kb)
    assert "Traceback" not in err and "internal error" not in err, err
    assert code in (0, 2, 3, 4)
    if needles:
        _check(code, out, err, 2, needles)
