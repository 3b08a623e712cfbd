"""Run a CLI command for the API: the same parser, the same ``run(args)``, the same JSON.

``run_cli(["params", "llama-2-7b"])`` parses ``paramscope params llama-2-7b --json`` with the CLI's own parser,
runs the command with its stdout and stderr captured and returns the JSON object it printed. Commands are
pure functions of their arguments (the catalog and hardware data are read-only and no request may name a
file), so results are kept in a bounded LRU cache keyed by the argument list.

Models: a request names a catalog id, a Hugging Face Hub id (only when the server allows the hub) or an
``upload:<id>`` that the server stored itself (an uploaded config.json, or a safetensors / GGUF header written
into a sparse file of the original size in the server's own temporary folder); never a path.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shlex
import shutil
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass

from ..errors import ParamscopeError

MAX_UPLOAD_HEADER_BYTES = 48 * 2**20  # a GGUF header with a 256k-token vocabulary is ~15 MB
MAX_DECLARED_FILE_BYTES = 2 * 2**40  # the size a sparse stand-in file may claim (2 TiB)
MAX_UPLOADS = 64
MAX_UPLOAD_PARTS = 64  # files of one upload (shards of a checkpoint, parts of a split GGUF)
CACHE_ENTRIES = 2048

_HUB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9_.-]{1,96}$")
_CATALOG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.+:-]{0,127}$")
_UPLOAD_ID = re.compile(r"^upload:([0-9a-f]{16})$")


class ApiError(Exception):
    """A refused request: HTTP status, one-line message, the CLI's exit code (when the CLI refused it)."""

    def __init__(self, status: int, message: str, exit_code: int | None = None, command: str | None = None):
        super().__init__(message)
        self.status, self.message, self.exit_code, self.command = status, message, exit_code, command

    def to_dict(self) -> dict:
        return {"error": self.message, "exit_code": self.exit_code, "command": self.command}


STATUS_BY_EXIT = {2: 400, 3: 501, 4: 409}


@dataclass
class Upload:
    path: str  # the stand-in file the server wrote (never shown)
    display: str  # the original file name, shown in commands and origins
    kind: str


class Runner:
    """``upload_root``: a folder shared by the server's worker processes (``paramscope serve --workers N``
    creates it and removes it at exit), so an upload stored by one worker is found by the others; without
    it the runner makes its own temporary folder and removes it on close."""

    def __init__(self, *, allow_hub: bool = False, upload_root: str | None = None):
        self.allow_hub = allow_hub
        self._lock = threading.Lock()  # commands write to sys.stdout: one at a time (they hold the GIL anyway)
        self._cache: OrderedDict[tuple, tuple[int, str]] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._parser = None
        self._own_root = upload_root is None
        self._root = tempfile.mkdtemp(prefix="paramscope-web-") if upload_root is None else upload_root
        self._uploads: OrderedDict[str, Upload] = OrderedDict()

    def close(self) -> None:
        if self._own_root:
            shutil.rmtree(self._root, ignore_errors=True)

    def _stored_upload(self, digest: str) -> Upload | None:
        """An upload this process stored, or one another worker stored in the shared folder."""
        up = self._uploads.get(digest)
        if up is not None:
            return up
        try:
            with open(os.path.join(self._root, digest, "upload.json"), encoding="utf-8") as f:
                meta = json.load(f)
            up = Upload(os.path.join(self._root, digest, meta["path"]), meta["display"], meta["kind"])
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return up if os.path.isfile(up.path) else None

    # ------------------------------------------------------------------------------------------ models
    def model_ref(self, model: str) -> tuple[str, str]:
        """(the reference given to the CLI, the one shown in commands). Refuses paths."""
        if not isinstance(model, str) or not model:
            raise ApiError(400, "model: give a catalog id (see /api/models)")
        m = _UPLOAD_ID.match(model)
        if m:
            up = self._stored_upload(m.group(1))
            if up is None:
                raise ApiError(404, f"{model}: no such upload on this server (uploads are kept while it runs; "
                                    "drop the file again)")
            if up.kind == "trace":
                raise ApiError(400, f"{model}: an uploaded trace of request lengths, not a model (plan's trace=)")
            return up.path, up.display
        if "\\" in model or ".." in model or model.startswith(("/", "~", ".")) or "\x00" in model:
            raise ApiError(400, f"model {model[:100]!r}: expected a catalog id or a hub id, not a path")
        try:
            on_disk = os.path.lexists(model)
        except (OSError, ValueError):
            on_disk = True
        if on_disk:
            raise ApiError(400, f"model {model[:100]!r}: names a file on the server; the API takes catalog and "
                                "hub ids only (upload a config or file header instead)")
        if "/" in model:
            if not _HUB_ID.match(model):
                raise ApiError(400, f"model {model[:100]!r}: expected a catalog id or a hub id (org/name)")
            from .. import catalog

            if catalog.find(model) is None and not self.allow_hub:
                raise ApiError(400, f"model {model}: hub ids are off on this server (start it with "
                                    "`paramscope serve --allow-hub` on a machine that is online)")
            return model, model
        if not _CATALOG_ID.match(model):
            raise ApiError(400, f"model {model[:100]!r}: expected a catalog id (letters, digits, . _ - + :)")
        return model, model

    def add_upload(self, kind: str, name: str, payload: bytes, size: int | None) -> tuple[str, str]:
        """Store an uploaded config.json (kind config), file header (safetensors, gguf) or request-length trace
        (kind trace: CSV text); returns its id and display name."""
        return self.add_upload_parts(kind, [(name, payload, size)])

    def add_upload_parts(self, kind: str, parts: list[tuple[str, bytes, int | None]],
                         config: bytes | None = None) -> tuple[str, str]:
        """Store several files as one upload: the shards of a sharded safetensors checkpoint (with its config.json
        when given) or the parts of a split GGUF (PREFIX-00001-of-0000N.gguf). Each file is its header written into
        a sparse file of the original size. The model reference is the folder (safetensors: every shard is read)
        or the first GGUF part (llama.cpp's rule: the first part names the others)."""
        if not 1 <= len(parts) <= MAX_UPLOAD_PARTS:
            raise ApiError(400, f"upload: 1 to {MAX_UPLOAD_PARTS} files, got {len(parts)}")
        if sum(len(p) for _, p, _ in parts) + len(config or b"") > MAX_UPLOAD_HEADER_BYTES:
            raise ApiError(413, f"upload: over {MAX_UPLOAD_HEADER_BYTES:,} bytes of headers")
        files = []
        for name, payload, size in parts:
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", os.path.basename(name or ""))[:80].lstrip(".") or "model"
            suffix = {"config": None, "safetensors": ".safetensors", "gguf": ".gguf", "trace": ".csv"}[kind]
            if kind == "config":
                safe = "config.json"
            elif kind == "safetensors" and safe.endswith(".safetensors.index.json"):
                pass  # a sharded checkpoint's index (sent whole: it is JSON, not a header)
            elif not safe.endswith(suffix):
                safe += suffix
            if size is not None and not (len(payload) <= size <= MAX_DECLARED_FILE_BYTES):
                raise ApiError(400, f"upload: size {size:,} must lie between the header's {len(payload):,} bytes "
                                    f"and {MAX_DECLARED_FILE_BYTES:,}")
            files.append((safe, payload, size))
        names = [f[0] for f in files]
        if len(set(names)) != len(names):
            raise ApiError(400, "upload: two files with one name")
        h = hashlib.sha256(f"{kind}\0".encode() + (config or b""))
        for safe, payload, size in sorted(files):
            h.update(f"\0{safe}\0{size}\0{len(payload)}\0".encode() + payload)
        digest = h.hexdigest()[:16]
        with self._cache_lock:
            if digest in self._uploads:
                self._uploads.move_to_end(digest)
                return f"upload:{digest}", self._uploads[digest].display
        base = os.path.join(self._root, digest)
        folder = os.path.join(base, "model")  # the folder a directory reference names
        os.makedirs(folder, exist_ok=True)
        for safe, payload, size in files:
            with open(os.path.join(folder, safe), "wb") as f:
                f.write(payload)
                if size is not None and size > len(payload):
                    try:
                        f.truncate(size)  # sparse: the tensor data is never sent, only the file's size
                    except OSError as exc:
                        raise ApiError(400, f"upload: cannot stand in for a {size:,}-byte file here ({exc})") from None
        if config is not None:
            with open(os.path.join(folder, "config.json"), "wb") as f:
                f.write(config)
        if kind == "safetensors" and (len(files) > 1 or config is not None):
            path, display = folder, "model"  # a directory of shards (and its config.json)
        else:
            first = sorted(names)[0]
            path, display = os.path.join(folder, first), first
        meta = {"path": os.path.relpath(path, base), "display": display, "kind": kind}
        with open(os.path.join(base, "upload.json"), "w", encoding="utf-8") as f:
            json.dump(meta, f)  # written last: other workers see the upload only once it is whole
        with self._cache_lock:
            self._uploads[digest] = Upload(path, display, kind)
            while len(self._uploads) > MAX_UPLOADS:
                old, _ = self._uploads.popitem(last=False)
                shutil.rmtree(os.path.join(self._root, old), ignore_errors=True)
        return f"upload:{digest}", display

    def trace_ref(self, ref: str) -> tuple[str, str]:
        """(the path given to `plan --trace`, the name shown) for an uploaded trace."""
        m = _UPLOAD_ID.match(ref or "")
        up = self._stored_upload(m.group(1)) if m else None
        if up is None or up.kind != "trace":
            raise ApiError(404 if m else 400, f"trace {ref[:40]!r}: expected the id of an uploaded trace "
                                              "(POST /api/upload with kind trace)")
        return up.path, up.display

    # ------------------------------------------------------------------------------------------ commands
    def parser(self):
        if self._parser is None:
            from ..cli import build_parser

            self._parser = build_parser()
        return self._parser

    def command_line(self, argv: list[str], shown: dict[str, str]) -> str:
        words = []
        for a in argv:
            flag, eq, value = a.partition("=")
            if a.startswith("--") and eq and value and not value.startswith("-"):
                words += [flag, shown.get(value, value)]  # --gpu h100-sxm, as one would type it
            elif a != "--":
                words.append(shown.get(a, a))
        return "paramscope " + shlex.join(words)

    def cached(self, argv: list[str]) -> tuple[int, str] | None:
        with self._cache_lock:
            hit = self._cache.get(tuple(argv))
            if hit is not None:
                self._cache.move_to_end(tuple(argv))
            return hit

    def run(self, argv: list[str], *, shown: dict[str, str] | None = None, cache: bool = True,
            wait: bool = True) -> tuple[int, str] | None:
        """Run ``paramscope ARGV --json``; returns (exit code, the JSON text with a ``_cli`` block added).
        ``shown`` maps server-side references (uploads) to what the command line shows. With ``wait=False``
        it returns None instead of waiting when another command is running (the caller runs it elsewhere)."""
        shown = shown or {}
        key = tuple(argv)
        if cache:
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit
        command = self.command_line(argv, shown)
        out, err = io.StringIO(), io.StringIO()
        if not self._lock.acquire(blocking=wait):
            return None
        try:
            code, args = self._call(argv, out, err)
        finally:
            self._lock.release()
        stderr = [self._unshow(line, shown) for line in err.getvalue().splitlines() if line.strip()]
        if args is None:
            raise ApiError(400, stderr[-1] if stderr else "bad arguments", 2, command)
        text = out.getvalue()
        if not text.strip():
            msg = next((s for s in reversed(stderr) if "error" in s), stderr[-1] if stderr else "no output")
            raise ApiError(STATUS_BY_EXIT.get(code, 400), msg.removeprefix("paramscope: error: "), code, command)
        body = self._unshow(text, shown).strip()
        cli = json.dumps({"command": command, "exit_code": code, "stderr": stderr}, separators=(",", ":"))
        if body.startswith("{") and body.endswith("}") and '"_cli"' not in body:
            # the command printed one compact JSON object: append the _cli block without decoding it again
            result = (code, body[:-1] + ("," if body != "{}" else "") + '"_cli":' + cli + "}")
        else:
            data = json.loads(body)
            data["_cli"] = json.loads(cli)
            result = (code, json.dumps(data, separators=(",", ":")))
        if cache:
            with self._cache_lock:
                self._cache[key] = result
                while len(self._cache) > CACHE_ENTRIES:
                    self._cache.popitem(last=False)
        return result

    def _call(self, argv: list[str], out: io.StringIO, err: io.StringIO) -> tuple[int, object]:
        """Parse and run one command with its output captured (the caller holds the lock: stdout is global)."""
        from .. import render

        code, args = 2, None
        render.JSON_INDENT = None  # compact JSON (the C encoder): the page never reads the indentation
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                args = self.parser().parse_args([argv[0], "--json", *argv[1:]])
            except SystemExit:
                args = None
            if args is not None:
                try:
                    code = int(args.func(args) or 0)
                except ParamscopeError as exc:
                    from ..render import clean

                    code = exc.exit_code
                    err.write(f"paramscope: error: {clean(exc)}\n")
                finally:
                    render.JSON_INDENT = 2
        return code, args

    def run_dict(self, argv: list[str], *, shown: dict[str, str] | None = None) -> dict:
        return json.loads(self.run(argv, shown=shown)[1])

    def _unshow(self, text: str, shown: dict[str, str]) -> str:
        for path, display in shown.items():
            if path != display:
                text = text.replace(json.dumps(path)[1:-1], display).replace(path, display)
        return text.replace(self._root + os.sep, "")
