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
    parser = argparse.ArgumentParser(
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


def _version() -> str:
    from . import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    from .errors import ParamscopeError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ParamscopeError as exc:
        print(f"paramscope: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: one line, traceback only on request
        if os.environ.get("PARAMSCOPE_DEBUG"):
            raise
        print(f"paramscope: internal error: {type(exc).__name__}: {exc} "
              "(set PARAMSCOPE_DEBUG=1 for a traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
