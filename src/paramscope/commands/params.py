"""paramscope params MODEL"""

from __future__ import annotations

from .. import render
from ..model import Model
from ..params import ParamReport, analyze
from ..units import human_count
from . import load


def run(args) -> int:
    model = load(args.model)
    if model.source == "rumour":
        return _rumour(model, args)
    report = analyze(model)
    check = None
    if getattr(args, "check", False):
        from ..check import compare

        check = compare(model)
    if args.json:
        d = report.to_dict()
        d["source"] = model.source
        d["origin"] = model.origin
        if model.spec is not None:
            d["architecture"] = model.spec.architecture
        if model.files:
            d.update({k: v for k, v in model.files.items() if k.endswith("_bytes")})
        if model.record and model.record.get("published"):
            d["published"] = model.record["published"]
        if args.tensors:
            d["tensors"] = [_tensor_dict(t) for t in model.inventory.expanded()]
        if check is not None:
            d["check"] = check.to_dict()
        render.emit_json(d)
        return 0 if check is None or check.equal else 1
    print(text(model, report, by_layer=args.by_layer))
    if check is not None:
        print()
        verdict = "equal" if check.equal else f"{len(check.differences)} groups differ"
        print(render.clean(f"check: transformers {check.transformers_version} {check.architecture} on the meta "
                           f"device: total {check.transformers_total:,} vs paramscope {check.paramscope_total:,}; "
                           f"{check.groups} tensor groups compared: {verdict}"))
        for line in check.differences:
            print(render.clean(f"  {line}"))
    if args.tensors:
        print()
        print(tensors_text(model))
    return 0 if check is None or check.equal else 1


def _tensor_dict(t) -> dict:
    d = {"name": t.full_name(), "role": t.role, "shape": list(t.shape), "params": t.stored}
    if t.experts > 1:
        d["experts"] = t.experts
    if t.tied_to:
        d["tied_to"] = t.tied_to
    if t.buffer:
        d["buffer"] = True
    if t.dtype:
        d["dtype"] = t.dtype
    if t.nbytes is not None:
        d["bytes"] = t.nbytes
    if t.source:
        d["source_name"] = t.source
    return d


def text(model: Model, r: ParamReport, *, by_layer: bool = False) -> str:
    out = []
    files = model.files
    arch = model.spec.architecture if model.spec else model.source
    origin = render.clean(model.origin).removeprefix(f"{model.source}:")
    out.append(f"{render.clean(model.name)}  ({model.source}: {origin}; {arch})")
    rows = [
        ["total", *render.count_cell(r.total), ""],
        ["active per token", *render.count_cell(r.active), render.pct(r.active, r.total)],
        ["effective (if unshared)", *render.count_cell(r.effective), ""],
        ["non-embedding", *render.count_cell(r.non_embedding), render.pct(r.non_embedding, r.total)],
    ]
    out.append(render.table(rows, ["", "parameters", "", "of total"]))
    out.append("")
    role_rows = [[g, *render.count_cell(v), render.pct(v, r.total)] for g, v in r.by_role.items()]
    out.append(render.table(role_rows, ["by role", "parameters", "", "share"]))
    fine = {k: v for k, v in r.by_tensor_role.items()}
    if len(fine) > len(r.by_role):
        out.append("")
        line = "  by tensor role:"
        for k, v in fine.items():
            item = f" {k} {human_count(v)},"
            if len(line) + len(item) > 100:
                out.append(line)
                line = "   "
            line += item
        out.append(line.rstrip(","))
    apart = [(label, v) for label, v in (("MTP modules (not in total)", r.mtp), ("buffers (not in total)", r.buffers),
                                         ("quantization scales/zeros (not in total)", r.quant_meta)) if v]
    if apart:
        out.append("")
        out.append(render.table([[label, *render.count_cell(v)] for label, v in apart]))
    if r.tied:
        out.append("")
        for t in r.tied:
            out.append(f"tied: {t['tensor']} = {t['tied_to']} ({human_count(t['params'])}, counted once)")
    if r.stored_bytes is not None:
        out.append("")
        rows = [[dt, render.n(v["tensors"]), render.n(v["params"]), render.n(v["bytes"])] for dt, v in r.by_dtype.items()]
        out.append(render.table(rows, ["stored dtype", "tensors", "parameters", "bytes"]))
        out.append(f"stored bytes: {render.n(r.stored_bytes)} ({_gb(r.stored_bytes)})")
    if files:
        out.append(f"file bytes: {render.n(files['file_bytes'])} ({_gb(files['file_bytes'])})")
        out.append(f"  = tensor data {render.n(files['tensor_bytes'])} + header {render.n(files['header_bytes'])} "
                   "(metadata, tokenizer, tensor index, padding)")
    rot = r.rule_of_thumb
    if rot is not None:
        out.append("")
        out.append(f"rule of thumb 12 x L x d^2 = 12 x {rot.n_layers} x {rot.d_model}^2 = {render.n(rot.estimate)} "
                   f"({human_count(rot.estimate)}), {rot.relative_error:+.2%} vs exact")
        missed = [f"{k.replace('_', ' ')} {v:+,}" for k, v in rot.terms.items() if v]
        if missed:
            out.append("  exact - rule: " + "; ".join(missed))
    pub = (model.record or {}).get("published") or {}
    if pub.get("total_params"):
        out.append("")
        out.append(f"published: {pub['total_params']}"
                   + (f", active {pub['active_params']}" if pub.get("active_params") else "")
                   + (f" ({pub['source']})" if pub.get("source") else ""))
        definition = published_active_definition(r, pub.get("active_params"))
        if definition:
            out.append(f"  published active = {definition}")
    if by_layer and r.by_layer:
        out.append("")
        rows = [[f"{x['stack']}.{x['layer']}", *render.count_cell(x["params"])] for x in r.by_layer]
        out.append(render.table(rows, ["layer", "parameters", ""]))
    return "\n".join(out)


def _gb(b: int) -> str:
    from ..units import human_bytes

    return human_bytes(b)


def tensors_text(model: Model) -> str:
    rows = []
    for t in model.inventory.expanded():
        shape = "x".join(map(str, t.shape)) + (f" x{t.experts} experts" if t.experts > 1 else "")
        note = f"= {t.tied_to}" if t.tied_to else ("buffer" if t.buffer else (t.dtype or ""))
        rows.append([t.full_name(), t.role, shape, render.n(t.stored), note])
    return render.table(rows, ["tensor", "role", "shape", "params", ""], align="lllrl")


def _rumour(model: Model, args) -> int:
    rec = model.record or {}
    claims = rec.get("claims", {})
    if args.json:
        render.emit_json({"model": model.name, "kind": "rumour", "claims": claims, "source": rec.get("source"),
                          "notes": rec.get("notes"),
                          "total": _int(claims.get("total_params")), "active": _int(claims.get("active_params")),
                          "effective": _int(claims.get("total_params")), "by_role": {}})
        return 0
    print(f"{model.name}: UNCONFIRMED RUMOUR, not an architecture paramscope can count exactly")
    for k, v in claims.items():
        print(f"  {k}: {human_count(v) if isinstance(v, (int, float)) and v > 1e5 else v}")
    if rec.get("source"):
        print(f"  source: {rec['source']}")
    if rec.get("notes"):
        print(f"  notes: {rec['notes']}")
    return 0


def _published_count(v) -> float | None:
    from ..units import parse_float

    try:
        return parse_float(v, what="published count") if v is not None else None
    except Exception:
        return None


def published_active_definition(r: ParamReport, published) -> str | None:
    """Which definition of "active" a published figure uses, when it is not paramscope's (all parameters a token
    touches, embeddings and head included): the figure is matched to 2 significant digits or better."""
    value = _published_count(published)
    if not value or r.active == r.total:
        return None
    embed = r.by_role.get("embedding", 0)
    head = r.by_role.get("head", 0)
    candidates = [("active per token", r.active),
                  ("active per token excluding the input embedding", r.active - embed),
                  ("active per token excluding the embedding and the output head", r.active - embed - head)]
    digits = len(str(published).rstrip("KMBTkmbt").replace(".", "").lstrip("0")) or 1
    tol = 0.5 * 10 ** (len(str(int(value))) - digits)
    for name, n in candidates:
        if abs(n - value) <= tol:
            return None if name == "active per token" else f"{name} ({n:,})"
    return None


def _int(v):
    return int(v) if isinstance(v, (int, float)) else None
