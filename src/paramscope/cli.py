"""The ``paramscope`` command line: a thin layer that parses arguments, calls the library and renders.

Start-up is a feature: this module imports only argparse; each command's module (and anything heavy it
needs) is imported when that command runs. Results go to stdout, diagnostics to stderr; errors are one
line with a non-zero exit code (2: bad input, 3: missing optional dependency, 4: does not fit).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``paramscope: error: ...``, exit 2) like every other error."""

    def error(self, message: str):
        from .render import clean

        sub = self.prog.split(" ", 1)[1] + ": " if " " in self.prog else ""
        self.exit(2, f"paramscope: error: {sub}{clean(message)} (see `{self.prog} --help`)\n")


class _Clean:
    """A text stream that escapes control characters (ESC, NUL, CR...) in everything written, newlines aside."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from .render import clean_lines

        return self._stream.write(clean_lines(text))

    def __getattr__(self, name):
        return getattr(self._stream, name)


def _lazy(module: str):
    def run(args):
        return importlib.import_module(f"paramscope.commands.{module}").run(args)

    return run


def _add_model(p: argparse.ArgumentParser) -> None:
    p.add_argument("model", help="catalog name, config.json, model directory, .safetensors file or index, "
                                 ".gguf file, or Hugging Face Hub id")


def _add_json(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="paramscope",
        description="Exact parameter counts, memory, compute, speed and cost for transformer language models.")
    parser.add_argument("--version", action="version", version=f"paramscope {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("params", help="exact parameter counts: total, active (MoE), effective, by role and layer")
    _add_model(p)
    _add_json(p)
    p.add_argument("--by-layer", action="store_true", help="also list parameters per layer")
    p.add_argument("--tensors", action="store_true", help="also list every stored tensor with its shape")
    p.add_argument("--check", action="store_true",
                   help="also build the model with transformers on the meta device (needs torch and transformers; "
                        "never remote code) and list any difference from the native count, tensor group by group")
    p.set_defaults(func=_lazy("params"))

    p = sub.add_parser("models", help="list and search the built-in catalog")
    p.add_argument("search", nargs="*", help="words that must all appear in id, name, aliases or organisation")
    _add_json(p)
    p.set_defaults(func=_lazy("models"))

    p = sub.add_parser("show", help="the normalized architecture paramscope derived")
    _add_model(p)
    _add_json(p)
    p.set_defaults(func=_lazy("show"))

    for name in _EXTRA_COMMANDS:
        importlib.import_module(f"paramscope.commands.{name}").register(sub)
    return parser


# Commands whose modules define their own arguments (register(sub)); they import nothing heavy at import time.
_EXTRA_COMMANDS = ["memory", "fit", "perf", "calibrate", "hardware", "train", "runs", "scale"]
_EXTRA_COMMANDS += ["tco", "compare", "select", "cascade"]  # economics (docs/economics.md)
_EXTRA_COMMANDS += ["plan", "batch", "split"]  # deployment planner (docs/planner.md)
_EXTRA_COMMANDS += ["serve"]  # the web app (docs/web.md; needs the [web] extra)


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Clean(out), _Clean(err)
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None) -> int:
    from .errors import ParamscopeError
    from .render import clean

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed as one line
        return exc.code if isinstance(exc.code, int) else 2
    try:
        return int(args.func(args) or 0)
    except ParamscopeError as exc:
        print(f"paramscope: error: {clean(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except MemoryError:
        print("paramscope: error: out of memory reading this input", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug: one line, traceback only on request
        if os.environ.get("PARAMSCOPE_DEBUG"):
            raise
        print(f"paramscope: internal error: {type(exc).__name__}: {clean(exc)} "
              "(set PARAMSCOPE_DEBUG=1 for a traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
