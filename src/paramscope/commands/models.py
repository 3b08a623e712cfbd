"""paramscope models [SEARCH...]"""

from __future__ import annotations

import re

from .. import catalog, render
from ..errors import ParamscopeError
from ..model import from_record
from ..params import analyze
from ..units import human_count


def rows(words: list[str]) -> list[dict]:
    out = []
    for rec in catalog.search(" ".join(words)):
        entry = {"id": rec["id"], "name": rec.get("name", rec["id"]), "org": rec.get("org"), "year": rec.get("year"),
                 "kind": rec.get("kind"), "source": rec.get("source"), "aliases": rec.get("aliases", [])}
        try:
            m = from_record(rec)
        except ParamscopeError as exc:  # one bad record must not hide the others
            entry["error"] = str(exc)
            out.append(entry)
            continue
        if m.source == "rumour":
            claims = rec.get("claims", {})
            entry["total"] = claims.get("total_params")
            entry["active"] = claims.get("active_params")
        else:
            r = analyze(m)
            entry["total"] = r.total
            entry["active"] = r.active
            entry["architecture"] = m.spec.architecture
        out.append(entry)
    return out


def run(args) -> int:
    entries = rows(args.search)
    if args.json:
        render.emit_json({"models": entries})
        return 0
    if not entries:
        import sys

        print("paramscope: no catalog model matches " + " ".join(args.search) + " (try fewer words)",
              file=sys.stderr)
        return 0
    table = []
    for e in entries:
        total = human_count(e["total"]) if e.get("total") else "?"
        active = human_count(e["active"]) if e.get("active") else "?"
        kind = {"config": "", "paper": "paper", "rumour": "RUMOUR"}.get(e.get("kind") or "", e.get("kind") or "")
        if "error" in e:
            print(f"warning: catalog record {e['id']}: {e['error']}", file=sys.stderr)
            kind = "ERROR"
        table.append([e["id"], total, active, str(e.get("year") or ""), kind, _short(e.get("source") or "")])
    print(render.table(table, ["model", "total", "active", "year", "note", "source"], align="lrrrll"))
    print(f"\n{len(entries)} models; `paramscope show MODEL` for the architecture and sources")
    return 0


def _short(source: str, width: int = 34) -> str:
    m = re.match(r"https://huggingface\.co/([^/]+/[^/]+)", source)
    text = f"hf:{m.group(1)}" if m else source
    return text if len(text) <= width else text[: width - 1] + "…"
