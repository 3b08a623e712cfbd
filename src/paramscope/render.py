"""Plain-text rendering helpers for the CLI (no dependencies; tables fit in 80 columns)."""

from __future__ import annotations

import json
import re
import sys

from .units import human_count

# C0/C1 control characters (NUL, ESC, CR, newline...), DEL, line/paragraph separators and the bidi
# overrides: text from a file (tensor names, GGUF metadata, _name_or_path) must not move the cursor,
# recolour the terminal or forge a line of the table.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_CONTROL_BUT_NEWLINE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(m: re.Match) -> str:
    return m.group().encode("unicode_escape").decode("ascii")


def clean(text: object) -> str:
    """``str(text)`` with every control character escaped (``\\n``, ``\\x1b``, ``\\x00``): one safe line."""
    return _CONTROL.sub(_escape, str(text))


def clean_lines(text: str) -> str:
    """Like :func:`clean` but newlines are kept (for whole blocks of output)."""
    return _CONTROL_BUT_NEWLINE.sub(_escape, text)


def table(rows: list[list[str]], headers: list[str] | None = None, align: str = "") -> str:
    """Left-align the first column and right-align the rest unless ``align`` says otherwise ('l'/'r' per column)."""
    all_rows = [[clean(c) for c in r] for r in ([headers] if headers else []) + rows]
    if not all_rows:
        return ""
    n = max(len(r) for r in all_rows)
    widths = [max((len(r[i]) if i < len(r) else 0) for r in all_rows) for i in range(n)]
    align = align or ("l" + "r" * (n - 1))
    lines = []
    for j, r in enumerate(all_rows):
        cells = []
        for i in range(n):
            v = r[i] if i < len(r) else ""
            cells.append(v.ljust(widths[i]) if align[i] == "l" else v.rjust(widths[i]))
        lines.append("  ".join(cells).rstrip())
        if headers and j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def warn(warnings) -> None:
    """Print each warning as one ``warning:`` line on stderr (every command that loads a model calls this)."""
    for w in warnings:
        print(f"warning: {clean(w)}", file=sys.stderr)


def n(x: int) -> str:
    return f"{x:,}"


def count_cell(x: int) -> list[str]:
    return [n(x), human_count(x)]


def pct(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


JSON_INDENT: int | None = 2  # the web app's runner sets None while it runs a command: compact, C-encoded JSON


def emit_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=JSON_INDENT, default=_default,
                                separators=None if JSON_INDENT else (",", ":")) + "\n")


def _default(o):
    if hasattr(o, "to_dict"):
        return o.to_dict()
    if isinstance(o, (set, frozenset, tuple)):
        return list(o)
    raise TypeError(f"cannot serialize {type(o).__name__}")
