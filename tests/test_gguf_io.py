"""GGUF header reader: real files written by the gguf package (GGUFWriter, gguf.quants), read back and
compared with gguf's own GGUFReader and with the bytes we wrote; ggml_types.toml checked against
gguf.constants and the bits-per-weight comments of ggml-common.h; hand-built hostile files must fail with
one-line FileFormatErrors and bounded memory."""

from __future__ import annotations

import struct
import tracemalloc

import pytest

from paramscope.errors import FileFormatError, UnknownSchemeError
from paramscope.sources import ggml_types
from paramscope.sources.gguf_io import ArraySummary, read_gguf

np = pytest.importorskip("numpy")
gguf = pytest.importorskip("gguf")
from gguf import GGMLQuantizationType as Q  # noqa: E402
from gguf import GGUFReader, GGUFWriter, quants  # noqa: E402
from gguf.constants import GGML_QUANT_SIZES  # noqa: E402

# gguf-py lists Q8_1 as 32 weights in 4 + 4 + 32 = 40 bytes (float scales); ggml's block_q8_1 holds two
# ggml_half: static_assert(sizeof(block_q8_1) == 2*sizeof(ggml_half) + QK8_1) = 36 (ggml-common.h).
GGUF_PY_DIFFERS = {"Q8_1": ((32, 40), (32, 36))}


# ------------------------------------------------------------------------------------------- type table


def test_type_table_agrees_with_the_gguf_package():
    both = 0
    for qt in Q:
        ours = ggml_types.by_id(qt.value)
        assert ours is not None, f"{qt.name} ({qt.value}) is missing from ggml_types.toml"
        assert ours.name == qt.name
        theirs = GGML_QUANT_SIZES[qt]
        if qt.name in GGUF_PY_DIFFERS:
            assert (theirs, (ours.block_size, ours.type_size)) == GGUF_PY_DIFFERS[qt.name]
            continue
        assert (ours.block_size, ours.type_size) == theirs, qt.name
        both += 1
    assert both >= 30


# "Effectively N bits per weight" / "N bpw" comments next to the block structs in ggml src/ggml-common.h
# (an independent statement of the same layout).
@pytest.mark.parametrize(("name", "bpw"), [
    ("Q2_K", 2.625), ("Q3_K", 3.4375), ("Q4_K", 4.5), ("Q5_K", 5.5), ("Q6_K", 6.5625),
    ("IQ2_XXS", 2.0625), ("IQ2_XS", 2.3125), ("IQ2_S", 2.5625), ("IQ3_XXS", 3.0625), ("IQ3_S", 3.4375),
    ("IQ1_S", 1.5625), ("IQ1_M", 1.75), ("TQ1_0", 1.6875), ("TQ2_0", 2.0625),
])
def test_bits_per_weight_match_the_source_comments(name, bpw):
    assert ggml_types.by_name(name).bits_per_weight == bpw


def test_type_table_lookups():
    assert len(ggml_types.GGML_TYPES) == len(ggml_types.load())
    assert ggml_types.by_name("q4_k") is ggml_types.by_name("Q4_K")
    assert ggml_types.by_name("MXFP4").bits_per_weight == 4.25
    assert ggml_types.by_id(31) is None  # Q4_0_4_4: removed from GGUF files
    assert all(t.source.startswith("github:ggml-org/") for t in ggml_types.load().values())
    with pytest.raises(UnknownSchemeError):
        ggml_types.by_name("Q4_K_M")  # a file type (mix), not a tensor type


# ------------------------------------------------------------------------------------- real gguf files


def _tensor_for(qt, rng, rows=2):
    block, _ = GGML_QUANT_SIZES[qt]
    ne0 = 2 * max(block, 32)
    x = rng.standard_normal((rows, ne0)).astype(np.float32)
    plain = {Q.F32: np.float32, Q.F16: np.float16, Q.F64: np.float64,
             Q.I8: np.int8, Q.I16: np.int16, Q.I32: np.int32, Q.I64: np.int64}
    if qt in plain:
        return (x * 100).astype(plain[qt]), None
    try:
        return quants.quantize(x, qt), qt
    except NotImplementedError:  # no Python quantizer: bytes of the right block layout are enough here
        return rng.integers(0, 256, quants.quant_shape_to_byte_shape(x.shape, qt), dtype=np.uint8), qt


METADATA = {
    "t.u8": ("add_uint8", 200), "t.i8": ("add_int8", -5), "t.u16": ("add_uint16", 60000),
    "t.i16": ("add_int16", -30000), "t.u32": ("add_uint32", 4_000_000_000), "t.i32": ("add_int32", -2_000_000_000),
    "t.f32": ("add_float32", 0.5), "t.bool": ("add_bool", True), "t.str": ("add_string", "héllo"),
    "t.u64": ("add_uint64", 2**63 + 5), "t.i64": ("add_int64", -(2**62)), "t.f64": ("add_float64", 1e-300),
    "t.arr_int": ("add_array", [1, 2, 3]), "t.arr_str": ("add_array", ["a", "", "ü"]),
    "t.arr_f32": ("add_array", [0.25, -1.5]), "t.arr_bool": ("add_array", [True, False]),
    "t.arr_64": ("add_array", list(range(64))), "t.arr_nested": ("add_array", [[1, 2], [3]]),
    "tokenizer.ggml.tokens": ("add_array", [f"tok{i}" for i in range(1000)]),
    "t.arr_65": ("add_array", list(range(65))),
}


def _write_gguf(path, tensors: dict, alignment: int | None = None):
    w = GGUFWriter(str(path), "llama")
    if alignment:
        w.add_custom_alignment(alignment)
    for key, (method, value) in METADATA.items():
        getattr(w, method)(key, value)
    for name, (arr, raw_dtype) in tensors.items():
        w.add_tensor(name, arr, raw_dtype=raw_dtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _compare_with_gguf_reader(path, h, written: dict):
    r = GGUFReader(str(path))
    assert h.data_offset == r.data_offset and h.alignment == r.alignment
    assert [t.name for t in h.tensors] == [t.name for t in r.tensors]
    raw = path.read_bytes()
    for ours, theirs in zip(h.tensors, r.tensors, strict=True):
        assert list(ours.dims) == theirs.shape.tolist(), ours.name
        assert ours.type_id == int(theirs.tensor_type) and ours.type_name == theirs.tensor_type.name
        assert ours.offset == theirs.data_offset, ours.name
        assert ours.nbytes == theirs.n_bytes, ours.name
        assert ours.numel == theirs.n_elements
        arr = written[ours.name][0]
        assert ours.nbytes == arr.nbytes, ours.name  # the bytes we handed to the writer
        assert raw[ours.offset: ours.offset + ours.nbytes] == arr.tobytes(), ours.name
    for key, field in r.fields.items():
        if key.startswith("GGUF."):
            continue
        value = h.metadata[key]
        if isinstance(value, ArraySummary):
            assert value.length == len(field.data) and value.item_type == field.types[-1].name
        elif key != "t.arr_nested":  # gguf's contents() flattens nested arrays
            assert value == pytest.approx(field.contents()), key


def test_every_type_and_value_type(tmp_path):
    rng = np.random.default_rng(0)
    tensors = {}
    for qt in Q:
        if qt.name in GGUF_PY_DIFFERS:
            continue  # gguf-py would write 40-byte Q8_1 blocks, which is not what ggml reads
        tensors[f"blk.0.{qt.name.lower()}.weight"] = _tensor_for(qt, rng)
    tensors["blk.0.experts.weight"] = (rng.standard_normal((3, 4, 64)).astype(np.float16), None)
    tensors["blk.0.norm.weight"] = (np.ones(64, dtype=np.float32), None)
    tensors["blk.0.q4d.weight"] = (quants.quantize(rng.standard_normal((2, 3, 2, 64)).astype(np.float32), Q.Q4_0),
                                   Q.Q4_0)
    path = tmp_path / "all.gguf"
    _write_gguf(path, tensors)
    h = read_gguf(path)
    assert h.version == 3 and h.file_bytes == path.stat().st_size and h.alignment == 32
    _compare_with_gguf_reader(path, h, tensors)

    md = h.metadata
    for key, (_, value) in METADATA.items():
        if isinstance(value, list) and len(value) > 64:
            continue
        assert md[key] == value, key  # every float written is exact in float32
    assert md["general.architecture"] == "llama"
    assert md["tokenizer.ggml.tokens"] == ArraySummary("STRING", 1000)
    assert md["t.arr_65"] == ArraySummary("INT32", 65)
    assert md["t.arr_64"] == list(range(64))
    assert md["t.arr_nested"] == [[1, 2], [3]]
    assert md["t.bool"] is True and isinstance(md["t.u64"], int)
    assert h.tensors[-1].dims == (64, 2, 3, 2)  # ggml order: ne0 first
    assert h.data_bytes == sum(a.nbytes for a, _ in tensors.values())


def test_custom_alignment_and_version_2(tmp_path):
    rng = np.random.default_rng(1)
    tensors = {"a": (rng.standard_normal((3, 32)).astype(np.float32), None),
               "b": (quants.quantize(rng.standard_normal((1, 64)).astype(np.float32), Q.Q8_0), Q.Q8_0)}
    path = tmp_path / "a64.gguf"
    _write_gguf(path, tensors, alignment=64)
    h = read_gguf(path)
    assert h.alignment == 64 and all((t.offset - h.data_offset) % 64 == 0 for t in h.tensors)
    _compare_with_gguf_reader(path, h, tensors)
    raw = bytearray(path.read_bytes())
    raw[4:8] = struct.pack("<I", 2)  # v2 and v3 share the little-endian layout
    (tmp_path / "v2.gguf").write_bytes(bytes(raw))
    h2 = read_gguf(tmp_path / "v2.gguf")
    assert h2.version == 2 and h2.tensors == h.tensors


# ---------------------------------------------------------------------------------- hand-built files

F32, Q4_0 = 0, 2


def _s(text: str | bytes) -> bytes:
    b = text.encode() if isinstance(text, str) else text
    return struct.pack("<Q", len(b)) + b


def _kv(key: str, vtype: int, payload: bytes) -> bytes:
    return _s(key) + struct.pack("<I", vtype) + payload


def _ti(name: str, dims, type_id: int = F32, offset: int = 0) -> bytes:
    return (_s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", d) for d in dims)
            + struct.pack("<I", type_id) + struct.pack("<Q", offset))


def _gguf(kvs=(), tis=(), data=b"", *, version=3, n_tensors=None, n_kv=None, magic=b"GGUF", align=32) -> bytes:
    head = magic + struct.pack("<IQQ", version, len(tis) if n_tensors is None else n_tensors,
                               len(kvs) if n_kv is None else n_kv)
    head += b"".join(kvs) + b"".join(tis)
    return head + b"\0" * (-len(head) % align) + data


def test_hand_built_file_is_read_like_gguf_reads_it(tmp_path):
    path = tmp_path / "ok.gguf"
    path.write_bytes(_gguf([_kv("general.architecture", 8, _s("llama"))], [_ti("w", (4, 2))], b"\1" * 32))
    h = read_gguf(path)
    r = GGUFReader(str(path))
    assert h.tensors[0].offset == r.tensors[0].data_offset and h.tensors[0].nbytes == 32


def _err(tmp_path, blob: bytes, name="bad.gguf") -> str:
    path = tmp_path / name
    path.write_bytes(blob)
    with pytest.raises(FileFormatError) as info:
        read_gguf(path)
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(path))
    return msg[len(str(path)):]  # the words asserted must come from the message, not from pytest's tmp path


GOOD_T = [_ti("w", (8,))]
GOOD_D = b"\0" * 32


HOSTILE = [
    ("bad-magic", _gguf(magic=b"GGML"), "magic"),
    ("version-1", _gguf(version=1), "v1 is not supported"),
    ("version-99", _gguf(version=99), "expected 2 or 3, got 99"),
    ("big-endian", _gguf(version=0x03000000), "big-endian"),
    ("tensor-count-2^40", _gguf(n_tensors=2**40), "tensor_count"),
    ("kv-count-2^40", _gguf(n_kv=2**40), "metadata_kv_count"),
    ("kv-count-does-not-fit", _gguf(n_kv=1000), "metadata_kv_count"),  # fewer bytes than 1000 pairs need
    ("key-length-2^40", _gguf([struct.pack("<Q", 2**40) + b"abc"]), "string length"),
    ("string-length-2^40", _gguf([_kv("k", 8, struct.pack("<Q", 2**40) + b"x")]), "string length"),
    ("array-2^40-uint8", _gguf([_kv("k", 9, struct.pack("<IQ", 0, 2**40))]), "fit"),  # array of 2^40 uint8
    ("string-array-does-not-fit", _gguf([_kv("k", 9, struct.pack("<IQ", 8, 100) + _s("a"))]), "fit"),  # 100 strings cannot fit
    ("string-array-runs-out", _gguf([_kv("k", 9, struct.pack("<IQ", 8, 100) + _s("a" * 1000))]), "truncated"),  # they fit, but run out
    ("value-type-13", _gguf([_kv("k", 13, b"\0")]), "value type"),
    ("bool-2", _gguf([_kv("k", 7, b"\2")]), "bool"),
    ("duplicate-key", _gguf([_kv("k", 0, b"\1"), _kv("k", 0, b"\1")]), "duplicate"),
    ("alignment-48", _gguf([_kv("general.alignment", 4, struct.pack("<I", 48))], GOOD_T, GOOD_D), "power of two"),
    ("alignment-uint64", _gguf([_kv("general.alignment", 10, struct.pack("<Q", 64))], GOOD_T, GOOD_D), "UINT32"),
    ("nested-9-deep", _gguf([_kv("k", 9, struct.pack("<IQ", 9, 1) * 9 + struct.pack("<IQ", 0, 0))]), "nested"),
    ("n_dims-7", _gguf(tis=[_ti("w", (2, 2, 2, 2, 2, 2, 2))], data=GOOD_D), "n_dims"),
    ("n_dims-0", _gguf(tis=[_ti("w", ())], data=GOOD_D), "n_dims"),
    ("dim-0", _gguf(tis=[_ti("w", (4, 0))], data=GOOD_D), "dims"),
    ("numel-2^62", _gguf(tis=[_ti("w", (2**31, 2**31))], data=GOOD_D), "2^62"),
    ("type-id-1000", _gguf(tis=[_ti("w", (8,), type_id=1000)], data=GOOD_D), "type id"),
    ("type-id-31-removed", _gguf(tis=[_ti("w", (8,), type_id=31)], data=GOOD_D), "type id"),  # Q4_0_4_4, removed
    ("ne0-not-multiple-of-block", _gguf(tis=[_ti("w", (33, 1), type_id=Q4_0)], data=GOOD_D * 2), "block size"),
    ("misaligned-offset", _gguf(tis=[_ti("w", (8,), offset=4)], data=GOOD_D * 2), "alignment"),
    ("truncated-data", _gguf(tis=[_ti("w", (64,))], data=b"\0" * 100), "truncated"),
    ("duplicate-tensor", _gguf(tis=[_ti("w", (8,)), _ti("w", (8,), offset=32)], data=GOOD_D * 2), "duplicate"),
    ("overlap", _gguf(tis=[_ti("a", (16,)), _ti("b", (8,), offset=32)], data=GOOD_D * 2), "overlap"),
]


@pytest.mark.parametrize(("blob", "expect"), [h[1:] for h in HOSTILE], ids=[h[0] for h in HOSTILE])
def test_hostile_files(tmp_path, blob, expect):
    assert expect in _err(tmp_path, blob)


def test_truncated_metadata_and_tiny_files(tmp_path):
    blob = _gguf([_kv("general.architecture", 8, _s("llama")), _kv("a.b", 6, struct.pack("<f", 1.0))], align=1)
    for cut in (3, 20, 30, len(blob) - 2):
        msg = _err(tmp_path, blob[:cut], f"cut{cut}.gguf")  # the path is cut off: these words are the message's
        assert "truncated" in msg or "bytes left" in msg, msg


def test_bounded_memory_on_huge_counts(tmp_path):
    blobs = [
        _gguf(n_tensors=2**40),
        _gguf([struct.pack("<Q", 2**40)]),
        _gguf([_kv("k", 9, struct.pack("<IQ", 8, 2**40))]),  # 2^40 strings announced
        _gguf([_kv("k", 9, struct.pack("<IQ", 9, 2**40))]),  # 2^40 arrays announced
    ]
    tracemalloc.start()
    try:
        for i, blob in enumerate(blobs):
            _err(tmp_path, blob, f"huge{i}.gguf")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_long_string_array_is_walked_not_kept(tmp_path):
    tokens = b"".join(_s(f"token{i}") for i in range(200_000))
    blob = _gguf([_kv("tokenizer.ggml.tokens", 9, struct.pack("<IQ", 8, 200_000) + tokens),
                  _kv("after", 4, struct.pack("<I", 7))], GOOD_T, GOOD_D)
    path = tmp_path / "tok.gguf"
    path.write_bytes(blob)
    h = read_gguf(path)
    assert h.metadata == {"tokenizer.ggml.tokens": ArraySummary("STRING", 200_000), "after": 7}
    assert h.tensors[0].offset == h.data_offset
