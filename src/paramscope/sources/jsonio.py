"""One safe JSON reader for every JSON paramscope reads (config.json, safetensors headers and indexes,
catalog records, hardware files).

Limits are checked before anything large is allocated:

- the path must be a regular file (a FIFO, a device such as /dev/zero, a socket or a directory is refused
  before it is opened, so nothing blocks or reads forever), and at most ``max_bytes`` long;
- nesting at most :data:`MAX_DEPTH` objects/arrays deep (checked on the text before parsing, so neither
  the parser nor any later walk can recurse without bound);
- no duplicate keys (the JSON RFC leaves them undefined; Python keeps the last, silently);
- no number that overflows a float (``1e400``), and integers of at most :data:`MAX_INT_DIGITS` digits
  (Python refuses to convert very long ones and they mean nothing here).

The constants ``NaN``, ``Infinity`` and ``-Infinity`` are not JSON, but real hub config.json files hold them
(Python's json module writes them: Nemotron-H's ``"time_step_limit": [0.0, Infinity]``), so they are read
as the floats they name. They never reach a count unchecked: every number a config contributes is read
through the typed getters of :mod:`.config_access` (``Cfg.int`` / ``Cfg.float`` / ``Cfg.int_list``), which
refuse a non-finite value with the key's name; safetensors headers and indexes accept integers only;
hardware records require finite positive numbers. A constant under a key nothing reads is accepted. A saved
paramscope spec (top-level ``"paramscope_spec"``) is paramscope's own output, whose fields are used as they
are: a constant anywhere in one is refused.

Every refusal is an exception of the class the caller names, with one line ``"<origin>: <what>"``.
"""

from __future__ import annotations

import json
import math
import os
import re
import stat

from ..errors import ParamscopeError

MAX_DEPTH = 64
MAX_INT_DIGITS = 30
MAX_NUMBER_CHARS = 100
DEFAULT_MAX_BYTES = 16 * 2**20

_STRINGS = re.compile(rb'"[^"]*"')
_INNER_PAIRS = re.compile(rb"\[\]|\{\}")
_KEEP = b'"[]{}'
_DELETE = bytes(c for c in range(256) if c not in _KEEP)
_LONG_DIGITS = re.compile(rb"[0-9]{%d}" % (MAX_INT_DIGITS + 1))


class _Refused(ValueError):
    pass


def _pairs(pairs: list[tuple[str, object]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _Refused(f"duplicate key {escape(k)!r}")
            seen.add(k)
    return out


def _constant_hook(seen: list[str]):
    def constant(name: str) -> float:
        """NaN, Infinity, -Infinity (the only names json passes here) as floats; see the module docstring."""
        seen.append(name)
        return float(name)
    return constant


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Refused(f"an integer of {len(text.lstrip('-'))} digits (limit {MAX_INT_DIGITS})")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(f"a number of {len(text)} characters (limit {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(f"the number {text} overflows a 64-bit float")
    return value


def _too_deep(data: bytes, limit: int) -> bool:
    """True when objects/arrays nest deeper than ``limit`` (brackets inside strings do not count)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    # Drop escaped backslashes and quotes, then everything but quotes and brackets (C speed), then the strings.
    skeleton = data.replace(b"\\\\", b"").replace(b'\\"', b"").translate(None, _DELETE)
    brackets = _STRINGS.sub(b"", skeleton)
    for _ in range(limit):  # each pass removes the innermost level
        brackets, n = _INNER_PAIRS.subn(b"", brackets)
        if not brackets:
            return False
        if not n:  # unbalanced: the parser reports it (unless what is left alone nests too deep)
            return brackets.count(b"[") + brackets.count(b"{") > limit
    return bool(brackets)


def escape(text: str) -> str:
    """``text`` with control characters (newlines, escape sequences, NUL...) shown as escapes."""
    from ..render import clean

    return clean(text)


def loads(data: bytes | str, origin: str, error: type[ParamscopeError], *, what: str = "JSON",
          max_depth: int = MAX_DEPTH):
    """Parse JSON text under the limits above; failures raise ``error`` naming ``origin``."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if _too_deep(raw, max_depth):
        raise error(f"{origin}: {what}: nested deeper than {max_depth} levels")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise error(f"{origin}: {what}: not UTF-8 (byte {exc.start})") from None
    hooks = {"parse_int": _int} if _LONG_DIGITS.search(raw) else {}  # the hook is slow: only when needed
    constants: list[str] = []
    try:
        obj = json.loads(text, object_pairs_hook=_pairs, parse_constant=_constant_hook(constants),
                         parse_float=_float, **hooks)
        if constants and isinstance(obj, dict) and "paramscope_spec" in obj:
            raise _Refused(f"{constants[0]} in a saved paramscope spec (its numbers are used as they are)")
        return obj
    except _Refused as exc:
        raise error(f"{origin}: {what}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise error(f"{origin}: malformed {what} at line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    except (ValueError, RecursionError) as exc:
        raise error(f"{origin}: {what}: {escape(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)}") \
            from None


def check_regular(path: str | os.PathLike, error: type[ParamscopeError], *, what: str = "file",
                  max_bytes: int | None = None) -> int:
    """Stat ``path`` (following links): refuse anything but a regular file, or one over ``max_bytes``.
    Returns the size."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a directory" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
                else "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise error(f"{path}: expected a regular {what}, got {kind}")
    if max_bytes is not None and st.st_size > max_bytes:
        raise error(f"{path}: {st.st_size:,} bytes is too large for a {what} (limit {max_bytes:,})")
    return st.st_size


def read_bytes(path: str | os.PathLike, error: type[ParamscopeError], *, what: str = "file",
               max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """The bytes of a regular file of at most ``max_bytes`` (never more are read, even if it grows)."""
    check_regular(path, error, what=what, max_bytes=max_bytes)
    try:
        with open(path, "rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        raise error(f"{path}: cannot read {what} ({exc.strerror or exc})") from None
    if len(data) > max_bytes:
        raise error(f"{path}: more than {max_bytes:,} bytes is too large for a {what}")
    return data


def read_json(path: str | os.PathLike, error: type[ParamscopeError], *, what: str = "JSON",
              max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = MAX_DEPTH):
    """Read and parse a JSON file under every limit above."""
    return loads(read_bytes(path, error, what=what, max_bytes=max_bytes), str(path), error, what=what,
                 max_depth=max_depth)
