"""A bounded GGUF header reader written with ``struct`` (no dependency on the gguf package).

Format (ggml docs/gguf.md, "File Structure"; reader behaviour as in ggml src/gguf.cpp): little-endian
``"GGUF"`` magic, u32 version, u64 tensor_count, u64 metadata_kv_count, then the key/value pairs (a GGUF
string key, a u32 value type, the value), then one tensor info per tensor (string name, u32 n_dims,
n_dims x u64 dims with ne0 -- the row length -- first, u32 ggml_type, u64 offset relative to the data
section), then zero padding to ``general.alignment`` (default 32), then the tensor data. A GGUF string is a
u64 byte length followed by UTF-8 bytes, not NUL-terminated. Arrays carry a u32 item type and a u64 length.
Versions 2 and 3 share this layout (v1 had 32-bit counts and lengths); v3 added big-endian files, which
this reader rejects. ggml's own reader (gguf.cpp) likewise rejects v1, versions above 3, and a version
field whose low 16 bits are zero (a byte-swapped, i.e. big-endian, file).

Only the header is read (through a read-only memory map, so nothing is copied but the values kept); the
path must be a regular file (a FIFO or device is refused before it is opened).
Bounds: <= 200,000 tensors and 65,536 key/value pairs, each fitting the bytes left; at most 8,000,000
strings and nested arrays walked in all (tokenizer vocabularies are ~250,000); strings <= 16 MiB; arrays
of more than 64 items are walked but kept only as :class:`ArraySummary`; 1 <= n_dims <= 4
(GGML_MAX_DIMS); dims >= 1 with a product below 2^62; a known type id (data/ggml_types.toml) whose block
size divides ne0; offsets aligned to ``general.alignment``; tensors inside the file and not overlapping.
Keys and tensor names must be UTF-8; string values that are not are kept with U+FFFD replacements.
Every failure raises :class:`~paramscope.errors.FileFormatError` with one line "<file>: <field>: <what>".
"""

from __future__ import annotations

import mmap
import os
import struct
from dataclasses import dataclass

from ..errors import FileFormatError
from ..render import clean
from .jsonio import check_regular

MAGIC = b"GGUF"
SUPPORTED_VERSIONS = (2, 3)
DEFAULT_ALIGNMENT = 32  # GGUF_DEFAULT_ALIGNMENT, ggml include/gguf.h
MAX_TENSORS = 200_000  # real files: a few thousand
MAX_KV = 65_536  # real files: a few dozen (long arrays are one pair each)
MAX_WALKED = 8_000_000  # strings and nested arrays walked over the whole header (bounds the time)
MAX_STRING_BYTES = 16 * 2**20
MAX_DIMS = 4  # GGML_MAX_DIMS, ggml include/ggml.h
MAX_NUMEL = 2**62
KEEP_ARRAY_ITEMS = 64  # longer arrays become an ArraySummary
MAX_ARRAY_DEPTH = 8  # nested arrays (the spec allows them; ggml's reader does not)

# gguf_metadata_value_type (docs/gguf.md): id -> (name, struct format, bytes); STRING and ARRAY are variable.
_STRING, _ARRAY, _BOOL = 8, 9, 7
VALUE_TYPES: dict[int, tuple[str, str, int]] = {
    0: ("UINT8", "<B", 1), 1: ("INT8", "<b", 1), 2: ("UINT16", "<H", 2), 3: ("INT16", "<h", 2),
    4: ("UINT32", "<I", 4), 5: ("INT32", "<i", 4), 6: ("FLOAT32", "<f", 4), 7: ("BOOL", "<B", 1),
    8: ("STRING", "", 8), 9: ("ARRAY", "", 12), 10: ("UINT64", "<Q", 8), 11: ("INT64", "<q", 8),
    12: ("FLOAT64", "<d", 8),
}
_MIN_KV_BYTES = 8 + 4 + 1  # empty key, value type, smallest value
_MIN_TENSOR_INFO_BYTES = 8 + 4 + 8 + 4 + 8  # empty name, n_dims, one dim, type, offset


@dataclass(frozen=True)
class ArraySummary:
    """A metadata array too long to keep (e.g. tokenizer.ggml.tokens): its item type and length."""

    item_type: str  # "STRING", "INT32", "ARRAY", ...
    length: int


@dataclass(frozen=True)
class GGUFTensor:
    name: str
    dims: tuple[int, ...]  # ggml order: ne0 (the row length, innermost) first
    type_name: str  # e.g. "Q4_K"
    type_id: int
    offset: int  # absolute position of the data in the file
    nbytes: int

    @property
    def numel(self) -> int:
        n = 1
        for d in self.dims:
            n *= d
        return n


@dataclass(frozen=True)
class GGUFHeader:
    version: int
    metadata: dict[str, object]
    tensors: list[GGUFTensor]
    alignment: int
    data_offset: int  # start of the data section (end of the header, padded)
    file_bytes: int
    origin: str

    @property
    def data_bytes(self) -> int:
        """Sum of the tensors' byte sizes (padding excluded)."""
        return sum(t.nbytes for t in self.tensors)


class _Cursor:
    """Reads little-endian fields from a buffer, checking every length against the bytes left."""

    def __init__(self, buf, size: int, origin: str):
        self.buf, self.size, self.origin, self.pos = buf, size, origin, 0
        self.walked = 0

    def fail(self, where: str, expected: str) -> FileFormatError:
        return FileFormatError(f"{self.origin}: {clean(where)}: {clean(expected)}")

    def walk(self, n: int, where: str) -> None:
        """Account for ``n`` variable-size items about to be walked; refuse past MAX_WALKED in all."""
        self.walked += n
        if self.walked > MAX_WALKED:
            raise self.fail(where, f"expected at most {MAX_WALKED:,} strings and arrays in the header")

    def need(self, n: int, where: str) -> None:
        if n > self.size - self.pos:
            raise self.fail(where, f"expected {n} more bytes at offset {self.pos}, file has {self.size}; truncated")

    def unpack(self, fmt: str, n: int, where: str):
        self.need(n, where)
        value = struct.unpack_from(fmt, self.buf, self.pos)[0]
        self.pos += n
        return value

    def string_length(self, where: str) -> int:
        n = self.unpack("<Q", 8, where)
        if n > MAX_STRING_BYTES:
            raise self.fail(where, f"expected a string length <= {MAX_STRING_BYTES} bytes, got {n}")
        self.need(n, where)
        return n

    def string(self, where: str, *, strict: bool) -> str:
        n = self.string_length(where)
        raw = bytes(self.buf[self.pos:self.pos + n])
        self.pos += n
        try:
            return raw.decode("utf-8", errors="strict" if strict else "replace")
        except UnicodeDecodeError:
            raise self.fail(where, "expected UTF-8 text") from None

    def count(self, where: str, min_item_bytes: int, limit: int | None) -> int:
        n = self.unpack("<Q", 8, where)
        if limit is not None and n > limit:
            raise self.fail(where, f"expected at most {limit:,}, got {n:,}")
        if n * min_item_bytes > self.size - self.pos:
            raise self.fail(where, f"expected {n:,} entries to fit in the {self.size - self.pos:,} bytes left")
        return n


def _value_type(cur: _Cursor, where: str) -> int:
    vtype = cur.unpack("<I", 4, where)
    if vtype not in VALUE_TYPES:
        raise cur.fail(where, f"expected a GGUF value type 0..12, got {vtype}")
    return vtype


def _value(cur: _Cursor, vtype: int, where: str, depth: int = 0) -> object:
    """Read one value of type ``vtype`` (arrays longer than KEEP_ARRAY_ITEMS become an ArraySummary)."""
    if vtype == _STRING:
        return cur.string(where, strict=False)
    if vtype == _ARRAY:
        return _array(cur, where, depth)
    _, fmt, size = VALUE_TYPES[vtype]
    value = cur.unpack(fmt, size, where)
    if vtype == _BOOL:
        if value not in (0, 1):
            raise cur.fail(where, f"expected a bool (0 or 1), got {value}")
        return bool(value)
    return value


def _skip(cur: _Cursor, vtype: int, n: int, where: str, depth: int) -> None:
    """Walk past ``n`` items of type ``vtype`` without keeping them."""
    if vtype == _STRING:
        cur.walk(n, where)
        buf, pos, size = cur.buf, cur.pos, cur.size
        for i in range(n):
            if size - pos < 8:
                cur.pos = pos
                cur.need(8, f"{where}[{i}]")
            (length,) = struct.unpack_from("<Q", buf, pos)
            if length > MAX_STRING_BYTES or length > size - pos - 8:
                cur.pos = pos
                cur.string_length(f"{where}[{i}]")  # raises the precise error
            pos += 8 + length
        cur.pos = pos
    elif vtype == _ARRAY:
        cur.walk(n, where)
        for i in range(n):
            _array(cur, f"{where}[{i}]", depth, keep=False)
    else:
        cur.need(n * VALUE_TYPES[vtype][2], where)
        cur.pos += n * VALUE_TYPES[vtype][2]


def _array(cur: _Cursor, where: str, depth: int, keep: bool = True) -> list | ArraySummary | None:
    if depth >= MAX_ARRAY_DEPTH:
        raise cur.fail(where, f"expected arrays nested at most {MAX_ARRAY_DEPTH} deep")
    item = _value_type(cur, where)
    n = cur.count(where, VALUE_TYPES[item][2], None)
    if keep and n <= KEEP_ARRAY_ITEMS:
        if item in (_STRING, _ARRAY):
            cur.walk(n, where)
        return [_value(cur, item, f"{where}[{i}]", depth + 1) for i in range(n)]
    _skip(cur, item, n, where, depth + 1)
    return ArraySummary(VALUE_TYPES[item][0], n) if keep else None


def _header(cur: _Cursor) -> tuple[int, int, int]:
    cur.need(24, "header")
    magic = bytes(cur.buf[0:4])
    if magic != MAGIC:
        raise cur.fail("magic", f"expected {MAGIC!r}, got {magic!r}")
    cur.pos = 4
    version = cur.unpack("<I", 4, "version")
    if version not in SUPPORTED_VERSIONS:
        if version and not version & 0xFFFF:
            raise cur.fail("version", "expected a little-endian file; this one looks big-endian "
                           f"(version {struct.unpack('>I', struct.pack('<I', version))[0]} byte-swapped)")
        hint = "; GGUF v1 is not supported" if version == 1 else ""
        raise cur.fail("version", f"expected 2 or 3, got {version}{hint}")
    n_tensors = cur.count("tensor_count", 0, MAX_TENSORS)
    n_kv = cur.count("metadata_kv_count", _MIN_KV_BYTES, MAX_KV)
    return version, n_tensors, n_kv


def _metadata(cur: _Cursor, n_kv: int) -> tuple[dict[str, object], dict[str, int]]:
    """The key/value pairs in file order, and each key's value type id."""
    metadata: dict[str, object] = {}
    types: dict[str, int] = {}
    for i in range(n_kv):
        key = cur.string(f"metadata key #{i}", strict=True)
        if key in metadata:
            raise cur.fail(f"metadata[{key!r}]", "expected unique keys, got a duplicate")
        types[key] = _value_type(cur, f"metadata[{key!r}]")
        metadata[key] = _value(cur, types[key], f"metadata[{key!r}]")
    return metadata, types


def _alignment(cur: _Cursor, metadata: dict[str, object], types_seen: dict[str, int]) -> int:
    if "general.alignment" not in metadata:
        return DEFAULT_ALIGNMENT
    value = metadata["general.alignment"]
    if types_seen.get("general.alignment") != 4 or not isinstance(value, int) or value <= 0 or value & (value - 1):
        raise cur.fail("metadata['general.alignment']", f"expected a UINT32 power of two, got {value!r}")
    return value


def _tensor_info(cur: _Cursor, i: int, types: dict) -> tuple[str, tuple[int, ...], object, int]:
    name = cur.string(f"tensor #{i} name", strict=True)
    where = f"tensor {name!r}"
    n_dims = cur.unpack("<I", 4, f"{where}: n_dims")
    if not 1 <= n_dims <= MAX_DIMS:
        raise cur.fail(f"{where}: n_dims", f"expected 1..{MAX_DIMS}, got {n_dims}")
    dims = tuple(cur.unpack("<Q", 8, f"{where}: dims") for _ in range(n_dims))
    numel = 1
    for d in dims:
        if d < 1:
            raise cur.fail(f"{where}: dims", f"expected every dim >= 1, got {list(dims)}")
        numel *= d
    if numel >= MAX_NUMEL:
        raise cur.fail(f"{where}: dims", f"expected fewer than 2^62 elements, got {list(dims)}")
    type_id = cur.unpack("<I", 4, f"{where}: type")
    gtype = types.get(type_id)
    if gtype is None:
        raise cur.fail(f"{where}: type", f"expected a known ggml type id, got {type_id}")
    if dims[0] % gtype.block_size:
        raise cur.fail(f"{where}: dims", f"expected ne0 = {dims[0]} to be a multiple of {gtype.name}'s "
                       f"block size {gtype.block_size}")
    offset = cur.unpack("<Q", 8, f"{where}: offset")
    return name, dims, gtype, offset


def parse(buf, size: int, origin: str) -> GGUFHeader:
    """Parse a GGUF header from ``buf`` (bytes, mmap or memoryview of the whole file, ``size`` bytes)."""
    from .ggml_types import load

    cur = _Cursor(buf, size, origin)
    version, n_tensors, n_kv = _header(cur)
    metadata, types_seen = _metadata(cur, n_kv)
    alignment = _alignment(cur, metadata, types_seen)
    if n_tensors * _MIN_TENSOR_INFO_BYTES > cur.size - cur.pos:
        raise cur.fail("tensor_count", f"expected {n_tensors:,} tensor infos to fit in the bytes left")
    types = load()
    infos = []
    names: set[str] = set()
    for i in range(n_tensors):
        info = _tensor_info(cur, i, types)
        if info[0] in names:
            raise cur.fail(f"tensor {info[0]!r}", "expected unique tensor names, got a duplicate")
        names.add(info[0])
        infos.append(info)
    data_offset = cur.pos + (-cur.pos) % alignment
    tensors: list[GGUFTensor] = []
    for name, dims, gtype, offset in infos:
        where = f"tensor {name!r}: offset"
        if offset % alignment:
            raise cur.fail(where, f"expected a multiple of the alignment {alignment}, got {offset}")
        nbytes = (dims[0] // gtype.block_size) * gtype.type_size
        for d in dims[1:]:
            nbytes *= d
        start = data_offset + offset
        if start + nbytes > size:
            raise cur.fail(where, f"expected data [{start}, {start + nbytes}) inside the file's {size} bytes; truncated")
        tensors.append(GGUFTensor(name, dims, gtype.name, gtype.id, start, nbytes))
    previous: GGUFTensor | None = None
    for t in sorted(tensors, key=lambda t: t.offset):
        if previous is not None and t.offset < previous.offset + previous.nbytes:
            raise cur.fail(f"tensor {t.name!r}: offset", f"expected no overlap with tensor {previous.name!r}")
        previous = t
    return GGUFHeader(version, metadata, tensors, alignment, data_offset, size, origin)


def read_gguf(path: str | os.PathLike) -> GGUFHeader:
    """Read and validate the header of a GGUF file (metadata and tensor infos; never the tensor data)."""
    origin = str(path)
    check_regular(path, FileFormatError, what="GGUF file")
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size < 24:
                raise FileFormatError(f"{origin}: header: expected at least 24 bytes, file has {size}; truncated")
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as buf:
                return parse(buf, size, origin)
    except OSError as exc:
        raise FileFormatError(f"{origin}: file: expected a readable file ({exc.strerror or exc})") from None
