"""Bounded safetensors header readers: single files, sharded ``*.safetensors.index.json``, directories.

Format (huggingface/safetensors README, "Format"): 8 bytes N, an unsigned little-endian u64, then N bytes
of UTF-8 JSON that begins with ``{`` and may be padded with spaces, then the byte buffer. The JSON maps
each tensor name to ``{"dtype", "shape", "data_offsets": [BEGIN, END]}`` (offsets relative to the start of
the byte buffer, END one past the last byte) plus an optional ``__metadata__`` str->str map. Duplicate
keys are disallowed. The reference implementation (safetensors/src/tensor.rs, commit 24b0b2857fef) caps N
at 100,000,000 bytes (MAX_HEADER_SIZE), requires END - BEGIN == numel * bits(dtype) / 8 with a whole number
of bytes, and requires the tensors to tile the buffer without holes.

These readers read the 8-byte length and then exactly N header bytes; tensor data is never read. Every
check runs before anything large is allocated. Differences from the reference implementation, on purpose:
holes between tensors and bytes after the last tensor are tolerated (they do not change any count);
overlapping tensors are rejected; the header is capped at 32 MiB (not 100 MB: parsing 100 MB of JSON takes
gigabytes; the largest real headers are a few MB) and at 100,000 tensors per file and 200,000 over an
index, counted before the JSON is parsed; the file must be a regular file (a FIFO or device is refused
before it is opened); JSON goes through :mod:`.jsonio` (bounded nesting, no NaN, no huge integers).

Every failure raises :class:`~paramscope.errors.FileFormatError` with one line
``"<file>: <field>: <what was expected>"``.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from ..errors import FileFormatError
from ..render import clean
from . import jsonio

MAX_HEADER_BYTES = 32 * 2**20  # ours; safetensors' MAX_HEADER_SIZE (tensor.rs) is 100,000,000
MAX_INDEX_BYTES = 64 * 2**20  # our own cap for model.safetensors.index.json
MAX_DIMS = 64  # dimensions per tensor (real ones: 1 to 5)
MAX_TENSORS = 100_000  # per file (real checkpoints: a few thousand per shard); ~20 us of work per tensor
MAX_INDEX_TENSORS = 200_000  # over every shard of an index (DeepSeek-V3: ~92,000 with its FP8 scales)
_I64_LIMIT = 2**63  # every size and offset must fit a signed 64-bit integer

#: Bits per element of every safetensors dtype (enum Dtype and Dtype::bitsize in safetensors/src/tensor.rs,
#: commit 24b0b2857fef49be734b9ab72ce97c09bb25f5b9). F4 (MXFP4 E2M1) is 4 bits and F6_* 6 bits: a tensor of
#: those must still hold a whole number of bytes.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6, "U8": 8, "I8": 8,
    "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8, "F8_E4M3FNUZ": 8, "F8_E5M2FNUZ": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "C64": 64, "F64": 64, "I64": 64, "U64": 64,
}

INDEX_SUFFIX = ".safetensors.index.json"


@dataclass(frozen=True)
class STensor:
    dtype: str  # safetensors dtype name, e.g. "BF16", "F8_E4M3"
    shape: tuple[int, ...]
    start: int  # data_offsets[0], relative to the byte buffer
    end: int  # data_offsets[1], one past the last byte

    @property
    def nbytes(self) -> int:
        return self.end - self.start

    @property
    def numel(self) -> int:
        n = 1
        for d in self.shape:
            n *= d
        return n


@dataclass(frozen=True)
class SafetensorsHeader:
    tensors: dict[str, STensor]  # in file (JSON) order
    metadata: dict[str, str]
    header_bytes: int  # 8 + N
    file_bytes: int | None
    origin: str

    @property
    def data_bytes(self) -> int:
        """Sum of the tensors' byte sizes."""
        return sum(t.nbytes for t in self.tensors.values())


@dataclass(frozen=True)
class SafetensorsIndex:
    tensors: dict[str, STensor]  # every tensor of every shard, shard by shard in weight_map order
    shard_of: dict[str, str]  # tensor name -> shard file name (as written in the weight_map)
    shards: dict[str, SafetensorsHeader]  # shard file name -> its header
    metadata: dict[str, object]  # the index's "metadata" object, as written
    total_size: int | None  # metadata.total_size if present (not always the real byte count)
    origin: str

    @property
    def data_bytes(self) -> int:
        return sum(t.nbytes for t in self.tensors.values())

    @property
    def header_bytes(self) -> int:
        return sum(h.header_bytes for h in self.shards.values())


def _fail(origin: str, where: str, expected: str) -> FileFormatError:
    return FileFormatError(f"{origin}: {where}: {expected}")


def _is_int(x: object) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _parse_tensor(name: str, entry: object, origin: str) -> STensor:
    where = f"tensor {clean(name)!r}"
    if not isinstance(entry, dict):
        raise _fail(origin, where, "expected an object with dtype, shape and data_offsets")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if not isinstance(dtype, str) or dtype not in DTYPE_BITS:
        raise _fail(origin, f"{where}: dtype", f"expected one of {', '.join(DTYPE_BITS)}, got {dtype!r}")
    if type(shape) is not list or len(shape) > MAX_DIMS:
        raise _fail(origin, f"{where}: shape", f"expected a list of at most {MAX_DIMS} integers in [0, 2^63)")
    bits = DTYPE_BITS[dtype]
    numel = 1
    for d in shape:  # stop as soon as the size cannot be represented (checked_mul in tensor.rs)
        if type(d) is not int or not 0 <= d < _I64_LIMIT:
            raise _fail(origin, f"{where}: shape", "expected a list of integers in [0, 2^63)")
        numel *= d
        if numel * bits >= 8 * _I64_LIMIT:
            raise _fail(origin, f"{where}: shape", "expected a size below 2^63 bytes")
    if (numel * bits) % 8:
        raise _fail(origin, f"{where}: shape", f"expected a whole number of bytes ({numel} x {bits} bits)")
    if (type(offsets) is not list or len(offsets) != 2 or type(offsets[0]) is not int
            or type(offsets[1]) is not int or not 0 <= offsets[0] < _I64_LIMIT or not 0 <= offsets[1] < _I64_LIMIT):
        raise _fail(origin, f"{where}: data_offsets", "expected [BEGIN, END], two integers in [0, 2^63)")
    start, end = offsets
    if start > end:
        raise _fail(origin, f"{where}: data_offsets", f"expected BEGIN <= END, got [{start}, {end}]")
    if end - start != numel * bits // 8:
        raise _fail(origin, f"{where}: data_offsets",
                    f"expected {numel * bits // 8} bytes for {dtype} {list(shape)}, got {end - start}")
    return STensor(dtype=dtype, shape=tuple(shape), start=start, end=end)


def _check_layout(tensors: dict[str, STensor], data_bytes: int | None, origin: str) -> None:
    """Tensors must not overlap (empty ones cannot) and, when the file size is known, lie in the byte buffer."""
    previous: tuple[str, int] | None = None
    for name, t in sorted(tensors.items(), key=lambda kv: (kv[1].start, kv[1].end)):
        if data_bytes is not None and t.end > data_bytes:
            raise _fail(origin, f"tensor {clean(name)!r}: data_offsets",
                        f"expected END <= {data_bytes} (the data region), got {t.end}; file truncated?")
        if t.end > t.start and previous is not None and t.start < previous[1]:
            raise _fail(origin, f"tensor {clean(name)!r}: data_offsets",
                        f"expected no overlap, but it starts at {t.start} inside tensor {clean(previous[0])!r}")
        if t.end > t.start:
            previous = (name, t.end)


def parse_header(data: bytes, *, file_bytes: int | None, origin: str) -> SafetensorsHeader:
    """Parse the N JSON header bytes of a safetensors file (pure). ``file_bytes`` bounds the data region."""
    n = len(data)
    if n > MAX_HEADER_BYTES:
        raise _fail(origin, "header length", f"expected <= {MAX_HEADER_BYTES} bytes, got {n}")
    if file_bytes is not None and n > file_bytes - 8:
        raise _fail(origin, "header length", f"expected <= {max(file_bytes - 8, 0)} (file size - 8), got {n}")
    if not data.startswith(b"{"):
        raise _fail(origin, "header", "expected JSON starting with '{'")
    n_tensors = data.count(b'"data_offsets"')  # every tensor has one: an upper bound, before parsing
    if n_tensors > MAX_TENSORS:
        raise _fail(origin, "header", f"expected at most {MAX_TENSORS:,} tensors, got about {n_tensors:,}")
    obj = jsonio.loads(data, origin, FileFormatError, what="header")
    if not isinstance(obj, dict):
        raise _fail(origin, "header", "expected a JSON object")
    metadata = obj.pop("__metadata__", None)
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise _fail(origin, "__metadata__", "expected an object of string values")
    tensors = {name: _parse_tensor(name, entry, origin) for name, entry in obj.items()}
    _check_layout(tensors, None if file_bytes is None else file_bytes - 8 - n, origin)
    return SafetensorsHeader(tensors=tensors, metadata=dict(metadata), header_bytes=8 + n,
                             file_bytes=file_bytes, origin=origin)


def read_header(path: str | os.PathLike) -> SafetensorsHeader:
    """Read and validate one .safetensors file's header (8 + N bytes; never the tensor data)."""
    origin = str(path)
    jsonio.check_regular(path, FileFormatError, what="safetensors file")
    try:
        with open(path, "rb") as f:
            file_bytes = os.fstat(f.fileno()).st_size
            prefix = f.read(8)
            if len(prefix) < 8:
                raise _fail(origin, "header length", f"expected an 8-byte length, file has {file_bytes} bytes")
            (n,) = struct.unpack("<Q", prefix)
            if n > MAX_HEADER_BYTES:
                raise _fail(origin, "header length", f"expected <= {MAX_HEADER_BYTES} bytes, got {n}")
            if n > file_bytes - 8:
                raise _fail(origin, "header length",
                            f"expected <= {file_bytes - 8} (file size - 8), got {n}; file truncated?")
            data = f.read(n)
    except OSError as exc:
        raise _fail(origin, "file", f"expected a readable file ({exc.strerror or exc})") from None
    if len(data) != n:
        raise _fail(origin, "header", f"expected {n} bytes, read {len(data)}; file truncated?")
    return parse_header(data, file_bytes=file_bytes, origin=origin)


def _shard_path(folder: Path, shard: object, origin: str, name: str) -> Path:
    if not isinstance(shard, str) or not shard:
        raise _fail(origin, f"weight_map[{clean(name)!r}]", "expected a shard file name")
    norm = os.path.normpath(shard)
    if os.path.isabs(norm) or norm == ".." or norm.startswith(".." + os.sep):
        raise _fail(origin, f"weight_map[{clean(name)!r}]",
                    f"expected a file inside the index's folder, got {clean(shard)!r}")
    return folder / norm


def read_index(path: str | os.PathLike) -> SafetensorsIndex:
    """Read a ``model.safetensors.index.json`` and every shard header it names (relative to its folder)."""
    origin, path = str(path), Path(path)
    obj = jsonio.read_json(path, FileFormatError, what="index", max_bytes=MAX_INDEX_BYTES)
    if not isinstance(obj, dict):
        raise _fail(origin, "index", "expected a JSON object")
    weight_map, metadata = obj.get("weight_map"), obj.get("metadata", {})
    if not isinstance(weight_map, dict):
        raise _fail(origin, "weight_map", "expected an object mapping tensor names to shard files")
    if not isinstance(metadata, dict):
        raise _fail(origin, "metadata", "expected an object")
    if len(weight_map) > MAX_INDEX_TENSORS:
        raise _fail(origin, "weight_map", f"expected at most {MAX_INDEX_TENSORS:,} tensors, got {len(weight_map):,}")
    total_size = metadata.get("total_size")
    if total_size is not None and not (_is_int(total_size) and total_size >= 0):
        raise _fail(origin, "metadata.total_size", f"expected a non-negative integer, got {total_size!r}")
    shard_names: dict[str, Path] = {}
    for name, shard in weight_map.items():
        p = _shard_path(path.parent, shard, origin, name)
        shard_names.setdefault(shard, p)
    shards: dict[str, SafetensorsHeader] = {}
    for shard, p in shard_names.items():
        if not os.path.lexists(p):
            raise _fail(origin, f"shard {clean(shard)!r}", f"expected the file {p} to exist")
        shards[shard] = read_header(p)
    tensors: dict[str, STensor] = {}
    shard_of: dict[str, str] = {}
    for name, shard in weight_map.items():
        if name not in shards[shard].tensors:
            raise _fail(origin, f"weight_map[{clean(name)!r}]",
                        f"expected tensor {clean(name)!r} in shard {clean(shard)!r}")
    for shard, header in shards.items():
        for name, t in header.tensors.items():
            if weight_map.get(name) != shard:
                listed = weight_map.get(name)
                raise _fail(header.origin, f"tensor {clean(name)!r}",
                            "expected the index's weight_map to list it for this shard, "
                            + ("it is not listed" if listed is None else f"it names {clean(listed)!r}"))
            tensors[name] = t
            shard_of[name] = shard
    return SafetensorsIndex(tensors=tensors, shard_of=shard_of, shards=shards, metadata=dict(metadata),
                            total_size=total_size, origin=origin)


def read_any(path: str | os.PathLike) -> SafetensorsHeader | SafetensorsIndex:
    """A .safetensors file, an index .json, or a directory holding either (the index wins when both exist)."""
    p = Path(path)
    if p.is_dir():
        indexes = sorted(p.glob("*" + INDEX_SUFFIX))
        files = sorted(p.glob("*.safetensors"))
        preferred = p / ("model" + INDEX_SUFFIX)
        if preferred.is_file():
            return read_index(preferred)
        if len(indexes) == 1:
            return read_index(indexes[0])
        if (p / "model.safetensors").is_file():
            return read_header(p / "model.safetensors")
        if not indexes and len(files) == 1:
            return read_header(files[0])
        found = [f.name for f in indexes or files]
        raise _fail(str(p), "directory", "expected one *.safetensors file or one *.safetensors.index.json, "
                    + (f"found several: {', '.join(found)}" if found else "found none"))
    if p.name.endswith(".json"):
        return read_index(p)
    if not p.exists():
        raise _fail(str(p), "file", "expected an existing .safetensors file, index .json or directory")
    return read_header(p)
