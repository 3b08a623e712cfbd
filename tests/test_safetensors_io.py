"""safetensors header readers: real files written by the safetensors package, read back and compared with
what safetensors itself reports (safe_open) and with the raw bytes at each tensor's offsets; hostile
headers must fail with one-line FileFormatErrors and bounded memory."""

from __future__ import annotations

import json
import struct
import tracemalloc

import pytest

from paramscope.errors import FileFormatError
from paramscope.sources.safetensors_io import (
    DTYPE_BITS,
    MAX_HEADER_BYTES,
    SafetensorsHeader,
    SafetensorsIndex,
    parse_header,
    read_any,
    read_header,
    read_index,
)

torch = pytest.importorskip("torch")
st_torch = pytest.importorskip("safetensors.torch")
st_numpy = pytest.importorskip("safetensors.numpy")
np = pytest.importorskip("numpy")
from safetensors import safe_open  # noqa: E402


def _torch_tensors() -> dict:
    g = torch.Generator().manual_seed(0)
    t = {
        "f32": torch.randn(3, 5, generator=g),
        "f16": torch.randn(4, 2, generator=g).half(),
        "bf16": torch.randn(2, 3, 4, generator=g).bfloat16(),
        "f8_e4m3": torch.randn(7, 3, generator=g).to(torch.float8_e4m3fn),
        "f8_e5m2": torch.randn(5, generator=g).to(torch.float8_e5m2),
        "i32": torch.arange(6, dtype=torch.int32).reshape(2, 3),
        "u8": torch.arange(9, dtype=torch.uint8),
        "i64": torch.arange(4, dtype=torch.int64),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(3.5),  # 0-d
        "empty": torch.zeros(0, 4),  # no bytes
        "f64": torch.randn(2, generator=g, dtype=torch.float64),
    }
    if hasattr(torch, "float4_e2m1fn_x2"):  # F4: two values per byte, header shape doubles the last dim
        t["f4"] = torch.randint(0, 255, (2, 3), dtype=torch.uint8, generator=g).view(torch.float4_e2m1fn_x2)
    if hasattr(torch, "float8_e8m0fnu"):
        t["f8_e8m0"] = torch.randint(0, 255, (3,), dtype=torch.uint8, generator=g).view(torch.float8_e8m0fnu)
    return t


def _raw_bytes(x) -> bytes:
    return x.contiguous().reshape(-1).view(torch.uint8).numpy().tobytes() if x.numel() else b""


def _check_against_safetensors(path, header: SafetensorsHeader, tensors: dict | None = None) -> None:
    raw = path.read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    assert header.header_bytes == 8 + n
    assert header.file_bytes == len(raw)
    with safe_open(str(path), framework="pt") as f:
        assert set(f.keys()) == set(header.tensors)
        assert (f.metadata() or {}) == header.metadata
        for name, t in header.tensors.items():
            sl = f.get_slice(name)
            assert t.dtype == sl.get_dtype(), name
            assert list(t.shape) == list(sl.get_shape()), name
            # the bytes at [start, end) of the data region are exactly the tensor's bytes
            assert raw[8 + n + t.start: 8 + n + t.end] == _raw_bytes(f.get_tensor(name)), name
            if tensors is not None:
                assert raw[8 + n + t.start: 8 + n + t.end] == _raw_bytes(tensors[name]), name
    # file order: the same order as the JSON header's keys
    assert list(header.tensors) == [k for k in json.loads(raw[8:8 + n]) if k != "__metadata__"]


def test_torch_file_every_dtype(tmp_path):
    tensors = _torch_tensors()
    path = tmp_path / "model.safetensors"
    st_torch.save_file(tensors, str(path), metadata={"format": "pt", "note": "ünïcode"})
    h = read_header(path)
    _check_against_safetensors(path, h, tensors)
    assert h.metadata == {"format": "pt", "note": "ünïcode"}
    assert h.tensors["scalar"].shape == () and h.tensors["scalar"].nbytes == 4
    assert h.tensors["empty"].shape == (0, 4) and h.tensors["empty"].nbytes == 0
    assert h.tensors["f8_e4m3"].dtype == "F8_E4M3" and h.tensors["f8_e4m3"].nbytes == 21
    if "f4" in tensors:
        assert h.tensors["f4"].dtype == "F4" and h.tensors["f4"].shape == (2, 6) and h.tensors["f4"].nbytes == 6
    assert h.data_bytes == sum(x.numel() * x.element_size() for x in tensors.values())
    assert h.header_bytes + h.data_bytes == path.stat().st_size  # safetensors writes no holes


def test_numpy_file(tmp_path):
    arrays = {
        "w": np.arange(12, dtype=np.float32).reshape(3, 4),
        "h": np.ones((5,), dtype=np.float16),
        "i": np.arange(3, dtype=np.int64),
        "u": np.arange(7, dtype=np.uint8),
        "b": np.array([True, False]),
        "z": np.zeros((2, 0, 3), dtype=np.float32),
    }
    path = tmp_path / "np.safetensors"
    st_numpy.save_file(arrays, str(path))
    h = read_header(path)
    _check_against_safetensors(path, h)
    assert h.metadata == {}
    assert {k: t.shape for k, t in h.tensors.items()} == {k: a.shape for k, a in arrays.items()}


def test_parse_header_is_pure_and_allows_unknown_file_size():
    data = b'{"a":{"dtype":"F6_E2M3","shape":[4],"data_offsets":[0,3]}}   '  # 4 x 6 bits = 3 bytes, padded
    h = parse_header(data, file_bytes=None, origin="mem")
    assert h.tensors["a"].nbytes == 3 and h.file_bytes is None and h.header_bytes == 8 + len(data)


def test_dtype_table_matches_the_installed_safetensors():
    # every dtype the torch binding can write is known, with the bits its header size implies
    assert DTYPE_BITS["F4"] == 4 and DTYPE_BITS["F6_E3M2"] == 6 and DTYPE_BITS["F8_E8M0"] == 8
    for name in ("BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64", "C64"):
        assert name in DTYPE_BITS


def _shards(tmp_path):
    a = {"model.embed.weight": torch.randn(8, 4), "model.norm.weight": torch.ones(4).bfloat16()}
    b = {"lm_head.weight": torch.randn(8, 4).half(), "model.layers.0.w": torch.randn(4, 4)}
    st_torch.save_file(a, str(tmp_path / "model-00001-of-00002.safetensors"))
    st_torch.save_file(b, str(tmp_path / "model-00002-of-00002.safetensors"))
    weight_map = {**{k: "model-00001-of-00002.safetensors" for k in a},
                  **{k: "model-00002-of-00002.safetensors" for k in b}}
    total = sum(x.numel() * x.element_size() for x in {**a, **b}.values())
    index = {"metadata": {"total_size": total}, "weight_map": weight_map}
    (tmp_path / "model.safetensors.index.json").write_text(json.dumps(index))
    return a, b, weight_map, total


def test_sharded_index(tmp_path):
    a, b, weight_map, total = _shards(tmp_path)
    idx = read_index(tmp_path / "model.safetensors.index.json")
    assert isinstance(idx, SafetensorsIndex)
    assert idx.shard_of == weight_map
    assert idx.total_size == total == idx.data_bytes
    for shard, h in idx.shards.items():
        _check_against_safetensors(tmp_path / shard, h)
    assert {k: t.shape for k, t in idx.tensors.items()} == {k: tuple(v.shape) for k, v in {**a, **b}.items()}
    # a directory holding both an index and a model.safetensors: the index wins
    st_torch.save_file({"x": torch.zeros(1)}, str(tmp_path / "model.safetensors"))
    assert isinstance(read_any(tmp_path), SafetensorsIndex)
    assert isinstance(read_any(tmp_path / "model.safetensors"), SafetensorsHeader)
    assert isinstance(read_any(tmp_path / "model.safetensors.index.json"), SafetensorsIndex)


def test_directory_with_one_file(tmp_path):
    st_torch.save_file({"x": torch.zeros(2)}, str(tmp_path / "adapter.safetensors"))
    assert list(read_any(tmp_path).tensors) == ["x"]
    st_torch.save_file({"y": torch.zeros(2)}, str(tmp_path / "other.safetensors"))
    with pytest.raises(FileFormatError, match="found several"):
        read_any(tmp_path)


# ---------------------------------------------------------------------------------------------- hostile


def _write(path, header: bytes | dict, data_bytes: int = 0, declared: int | None = None):
    body = header if isinstance(header, bytes) else json.dumps(header).encode()
    n = len(body) if declared is None else declared
    path.write_bytes(struct.pack("<Q", n) + body + b"\0" * data_bytes)
    return path


def _err(path) -> str:
    with pytest.raises(FileFormatError) as info:
        read_any(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path))
    return msg[len(str(path)):]  # the words asserted must come from the message, not from pytest's tmp path


def _t(dtype="F32", shape=(2,), offsets=(0, 8)):
    return {"dtype": dtype, "shape": list(shape), "data_offsets": list(offsets)}


def test_declared_10_gb_header_fails_with_bounded_memory(tmp_path):
    path = _write(tmp_path / "big.safetensors", b"{}", declared=10_000_000_000)
    tracemalloc.start()
    try:
        msg = _err(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "header length" in msg and peak < 10_000_000


def test_header_over_the_100_mb_cap_in_a_large_sparse_file(tmp_path):
    path = tmp_path / "sparse.safetensors"
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", 150_000_000))
        f.truncate(200_000_000)  # sparse: no disk used
    tracemalloc.start()
    try:
        assert f"expected <= {MAX_HEADER_BYTES} bytes" in _err(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_truncated_files(tmp_path):
    src = tmp_path / "ok.safetensors"
    st_torch.save_file({"w": torch.zeros(64, 64)}, str(src))
    raw = src.read_bytes()
    (tmp_path / "cut_data.safetensors").write_bytes(raw[:-100])
    assert "truncated" in _err(tmp_path / "cut_data.safetensors")
    (tmp_path / "cut_header.safetensors").write_bytes(raw[:20])
    assert "header length" in _err(tmp_path / "cut_header.safetensors")
    (tmp_path / "tiny.safetensors").write_bytes(raw[:5])
    assert "8-byte length" in _err(tmp_path / "tiny.safetensors")


@pytest.mark.parametrize(("header", "data", "field"), [
    (b"{not json", 0, "header"),
    (b"[1, 2]", 0, "header"),
    (b"\xff\xfe{}", 0, "header"),
    (b'{"\xff": 1}', 0, "UTF-8"),
    (b'{"a": 1, "a": 2}', 0, "header"),  # duplicate keys
    # NaN / Infinity are read as floats (jsonio accepts them: real hub configs hold them); a header holds
    # integers and strings only, so each one is refused by the field that meets it
    (b'{"a": NaN}', 0, "tensor 'a'"),
    (b'{"a": {"dtype": "F32", "shape": [NaN], "data_offsets": [0, 8]}}', 8, "shape"),
    (b'{"a": {"dtype": "F32", "shape": [-Infinity], "data_offsets": [0, 8]}}', 8, "shape"),
    (b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, Infinity]}}', 8, "data_offsets"),
    (b'{"__metadata__": {"k": NaN}, "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}', 8, "__metadata__"),
    ({"a": _t(shape=(-2,))}, 8, "shape"),
    ({"a": _t(shape=(2.0,))}, 8, "shape"),
    ({"a": _t(shape=(True, 2))}, 8, "shape"),
    ({"a": _t(shape=[2**62, 2**62, 0])}, 8, "shape"),  # overflows before the 0
    ({"a": _t(shape=(2,), offsets=(0, 8)), "b": _t(shape=(2,), offsets=(4, 12))}, 12, "data_offsets"),  # overlap
    ({"a": _t(shape=(3,), offsets=(0, 8))}, 8, "data_offsets"),  # 12 bytes expected
    ({"a": _t(offsets=(8, 0))}, 8, "data_offsets"),
    ({"a": _t(offsets=(0,))}, 8, "data_offsets"),
    ({"a": _t(dtype="F12")}, 8, "dtype"),
    ({"a": _t(dtype="float32")}, 8, "dtype"),
    ({"a": _t(dtype="F4", shape=(3,), offsets=(0, 2))}, 2, "shape"),  # 12 bits: not whole bytes
    ({"a": [1, 2]}, 0, "tensor 'a'"),
    ({"__metadata__": {"k": 1}}, 0, "__metadata__"),
    ({"a": _t(offsets=(0, 8))}, 4, "data_offsets"),  # beyond the data region
])
def test_hostile_headers(tmp_path, header, data, field):
    msg = _err(_write(tmp_path / "bad.safetensors", header, data))
    assert field in msg


def test_missing_shard_and_inconsistent_index(tmp_path):
    _shards(tmp_path)
    index_path = tmp_path / "model.safetensors.index.json"
    index = json.loads(index_path.read_text())

    index["weight_map"]["ghost.weight"] = "model-00001-of-00002.safetensors"  # the shard lacks it
    index_path.write_text(json.dumps(index))
    assert "ghost.weight" in _err(index_path)

    del index["weight_map"]["ghost.weight"]
    index["weight_map"]["lm_head.weight"] = "model-00009-of-00009.safetensors"  # no such file
    index_path.write_text(json.dumps(index))
    assert "model-00009-of-00009.safetensors" in _err(index_path)

    index["weight_map"]["lm_head.weight"] = "model-00001-of-00002.safetensors"  # wrong shard
    index_path.write_text(json.dumps(index))
    assert "lm_head.weight" in _err(index_path)

    index["weight_map"]["lm_head.weight"] = "../outside.safetensors"
    index_path.write_text(json.dumps(index))
    assert "inside the index's folder" in _err(index_path)

    del index["weight_map"]["lm_head.weight"]  # shard 2 holds a tensor the index does not list
    index_path.write_text(json.dumps(index))
    with pytest.raises(FileFormatError, match="not listed"):
        read_index(index_path)

    index_path.write_text("[]")
    assert "index" in _err(index_path)

    for constant in ("NaN", "Infinity", "-Infinity"):  # read as floats by jsonio; total_size is an integer
        index_path.write_text('{"metadata": {"total_size": ' + constant + '}, "weight_map": {}}')
        assert "metadata.total_size" in _err(index_path)
