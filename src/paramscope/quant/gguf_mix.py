"""llama.cpp GGUF ftype mixes (Q4_K_M, IQ2_XS, MXFP4_MOE, ...): the ggml type of every stored tensor.

The rules are data (``data/gguf_ftypes.toml``, transcribed from llama.cpp ``src/llama-quant.cpp``); this
module only interprets them. A model is first laid out as the tensors a converted GGUF file holds
(:func:`paramscope.sources.gguf_names.gguf_layout`: GGUF names, ggml dimensions, llama.cpp's load order);
each tensor then gets the type llama-quantize would choose, including the layer counters
(``use_more_bits``), model conditions (``n_gqa``, ``n_expert``, 70B, Falcon) and the row-length fallback.

Conditions in the data file are small expressions over a closed vocabulary (see its header). They are
parsed with :mod:`ast` and evaluated by a tiny interpreter that accepts only names, constants,
comparisons, ``and`` / ``or`` / ``not``, ``+ - * / %`` (C integer semantics) and ``block(type)``.
"""

from __future__ import annotations

import ast
import functools
import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..errors import InputError, UnknownSchemeError
from ..inventory import Inventory, Tensor
from ..sources.gguf_names import GgufTensor, gguf_layout, llama_arch
from ..spec import AttentionSpec, ModelSpec, MoeSpec

DATA = Path(__file__).resolve().parent.parent / "data" / "gguf_ftypes.toml"

NON_QUANTIZED = frozenset({"F32", "F16", "BF16", "F64", "I8", "I16", "I32", "I64"})


# --------------------------------------------------------------------------------------------------
# The condition language


def _cdiv(a: int, b: int) -> int:
    """C integer division (truncates toward zero)."""
    if b == 0:
        raise InputError("gguf_ftypes.toml: division by zero in a rule condition")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


_BINOPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: _cdiv,
    ast.Mod: lambda a, b: a - b * _cdiv(a, b),
}
_CMPOPS: dict[type, Callable[[Any, Any], bool]] = {
    ast.Eq: lambda a, b: a == b, ast.NotEq: lambda a, b: a != b, ast.Lt: lambda a, b: a < b,
    ast.LtE: lambda a, b: a <= b, ast.Gt: lambda a, b: a > b, ast.GtE: lambda a, b: a >= b,
    ast.In: lambda a, b: a in b, ast.NotIn: lambda a, b: a not in b,
}
VARIABLES = frozenset({"kind", "tied", "i", "n", "raw_i", "ne0", "stacked", "type", "arch", "size", "n_gqa",
                       "n_expert", "imatrix"})
FUNCTIONS = frozenset({"block"})


class Expr:
    """A compiled condition; evaluate with a name lookup (names are resolved only when reached)."""

    def __init__(self, text: str, macros: dict[str, Expr], where: str):
        self.text = text
        try:
            tree = ast.parse(text.strip(), mode="eval")
        except SyntaxError:
            raise InputError(f"gguf_ftypes.toml {where}: cannot parse condition {text!r}") from None
        self._macros = macros
        self._check(tree.body, where)
        self._tree = tree.body

    def _check(self, node: ast.AST, where: str) -> None:
        ok = (ast.BoolOp, ast.And, ast.Or, ast.UnaryOp, ast.Not, ast.USub, ast.Compare, ast.BinOp, ast.Name,
              ast.Constant, ast.Tuple, ast.Load, ast.Call, *_BINOPS, *_CMPOPS)
        for sub in ast.walk(node):
            if not isinstance(sub, ok):
                raise InputError(f"gguf_ftypes.toml {where}: {type(sub).__name__} is not allowed in {self.text!r}")
            if isinstance(sub, ast.Name) and sub.id not in VARIABLES | FUNCTIONS and sub.id not in self._macros:
                raise InputError(f"gguf_ftypes.toml {where}: unknown name {sub.id!r} in {self.text!r}")
            if isinstance(sub, ast.Call) and not (isinstance(sub.func, ast.Name) and sub.func.id in FUNCTIONS
                                                  and len(sub.args) == 1 and not sub.keywords):
                raise InputError(f"gguf_ftypes.toml {where}: only block(type) may be called in {self.text!r}")

    def __call__(self, env: Callable[[str], Any]) -> Any:
        return self._eval(self._tree, env)

    def _eval(self, node: ast.AST, env: Callable[[str], Any]) -> Any:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name):
            macro = self._macros.get(node.id)
            return macro(env) if macro is not None else env(node.id)
        if isinstance(node, ast.Tuple):
            return tuple(self._eval(e, env) for e in node.elts)
        if isinstance(node, ast.BoolOp):
            if isinstance(node.op, ast.And):
                return all(self._eval(v, env) for v in node.values)
            return any(self._eval(v, env) for v in node.values)
        if isinstance(node, ast.UnaryOp):
            v = self._eval(node.operand, env)
            return (not v) if isinstance(node.op, ast.Not) else -v
        if isinstance(node, ast.BinOp):
            return _BINOPS[type(node.op)](self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, ast.Compare):
            left = self._eval(node.left, env)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = self._eval(comp, env)
                if not _CMPOPS[type(op)](left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.Call):  # block(type)
            return _ggml(self._eval(node.args[0], env)).block_size
        raise InputError(f"cannot evaluate {self.text!r}")  # pragma: no cover - excluded by _check


# --------------------------------------------------------------------------------------------------
# The data file


class Rule(NamedTuple):
    ftypes: frozenset[str] | None
    when: Expr | None
    type: str


class Branch(NamedTuple):
    name: str
    ftypes: frozenset[str] | None
    when: Expr | None
    rules: tuple[Rule, ...]
    then: tuple[Rule, ...]


class Category(NamedTuple):
    kind: str
    equals: frozenset[str]
    contains: str | None


@dataclass(frozen=True)
class Tables:
    ftypes: dict[str, dict]
    aliases: dict[str, str]
    quantizable: dict
    convert: dict
    categories: tuple[Category, ...]
    counters: dict[str, dict]
    size_70b: tuple[dict, ...]
    branches: tuple[Branch, ...]
    fallback: dict[str, str]  # type -> its fallback type
    final_fallback: str
    meta: dict


def _ftype_set(names, groups: dict[str, list[str]], known: set[str], where: str) -> frozenset[str] | None:
    if names is None:
        return None
    out: set[str] = set()
    for n in names:
        members = groups.get(n[1:]) if n.startswith("@") else [n]
        if members is None:
            raise InputError(f"gguf_ftypes.toml {where}: unknown ftype group {n!r}")
        for m in members:
            if m not in known:
                raise InputError(f"gguf_ftypes.toml {where}: unknown ftype {m!r}")
            out.add(m)
    return frozenset(out)


def _rule(rec: dict, groups, known, macros, where: str) -> Rule:
    when = Expr(rec["when"], macros, where) if "when" in rec else None
    return Rule(_ftype_set(rec.get("ftypes"), groups, known, where), when, rec["type"])


@functools.lru_cache(maxsize=1)
def tables() -> Tables:
    """The parsed and validated rule tables."""
    try:
        with open(DATA, "rb") as f:
            raw = tomllib.load(f)
    except OSError as exc:  # pragma: no cover - packaging error
        raise UnknownSchemeError(f"GGUF ftype table missing: {DATA} ({exc.strerror})") from None
    ftypes = raw["ftypes"]
    known = set(ftypes)
    groups = raw.get("groups", {})
    macros: dict[str, Expr] = {}
    for name, text in raw.get("macros", {}).items():
        macros[name] = Expr(text, macros, f"[macros] {name}")
    branches = []
    for k, b in enumerate(raw["branch"]):
        where = f"[[branch]] {b.get('name', k)}"
        branches.append(Branch(
            b.get("name", str(k)), _ftype_set(b.get("ftypes"), groups, known, where),
            Expr(b["when"], macros, where) if "when" in b else None,
            tuple(_rule(r, groups, known, macros, where) for r in b.get("rules", ())),
            tuple(_rule(r, groups, known, macros, where) for r in b.get("then", ()))))
    cats = tuple(Category(c["kind"], frozenset(c.get("equals", ())), c.get("contains"))
                 for c in raw["categories"])
    fallback = dict(raw["fallback"]["to"])
    return Tables(ftypes, dict(raw.get("aliases", {})), raw["quantizable"], raw["convert"], cats,
                  raw["counters"], tuple(raw.get("size_70b", ())), tuple(branches), fallback,
                  raw["fallback"]["final"], raw["meta"])


def _ggml(name: str):
    from ..sources import ggml_types

    return ggml_types.by_name(name)


def ftype_names() -> list[str]:
    """The llama.cpp ftypes paramscope can lay out (QUANT_OPTIONS names)."""
    return list(tables().ftypes)


def _canonical(ftype: str) -> str | None:
    t = tables()
    key = ftype.strip().upper()
    key = t.aliases.get(key, key)
    return key if key in t.ftypes else None


def is_ftype(name: str) -> bool:
    return isinstance(name, str) and _canonical(name) is not None


def ftype_info(ftype: str) -> dict:
    """default type, source and published note of one ftype."""
    key = _canonical(ftype)
    if key is None:
        raise UnknownSchemeError(f"unknown GGUF ftype {ftype!r}; known: {', '.join(ftype_names())}")
    return {"name": key, **tables().ftypes[key]}


# --------------------------------------------------------------------------------------------------
# Model facts the rules read (llama_hparams / llama_model as the quantizer sees them)


@dataclass(frozen=True)
class ModelFacts:
    arch: str | None
    n_layer: int  # hparams.n_layer_all
    n_expert: int  # hparams.n_expert (0 for dense models)
    n_gqa: int | None  # hparams.n_gqa(0)
    size: str | None  # "70B" or ""


def _n_gqa(spec: ModelSpec) -> int:
    layer = spec.language_stacks[0].layers[0] if spec.language_stacks and spec.language_stacks[0].layers else None
    a = getattr(layer, "attention", None)
    if not isinstance(a, AttentionSpec):
        return 0  # llama_hparams::n_gqa returns 0 when n_head_kv is 0 (recurrent layers)
    if a.kv_lora_rank is not None:
        return a.num_heads  # MLA files store head_count_kv = 1 (DeepseekV2Model.set_gguf_parameters)
    return a.num_heads // a.num_kv_heads


def _gqa_layer0(spec: ModelSpec) -> bool:
    layer = spec.language_stacks[0].layers[0] if spec.language_stacks[0].layers else None
    a = getattr(layer, "attention", None)
    return isinstance(a, AttentionSpec) and a.num_heads != a.num_kv_heads


def model_facts(spec: ModelSpec | None, layout: list[GgufTensor], *, include_mtp: bool = False) -> ModelFacts:
    if spec is None:
        blocks = [int(m.group(1)) for g in layout if (m := re.match(r"(?:(?:enc|dec)\.)?blk\.(\d+)\.", g.name))]
        experts = max((g.tensor.experts for g in layout), default=1)
        return ModelFacts(None, max(blocks, default=-1) + 1, experts if experts > 1 else 0, None, None)
    stacks = spec.language_stacks
    n_layer = stacks[0].num_layers if stacks else 0
    if include_mtp:
        n_layer += sum(s.num_layers for s in spec.stacks if s.component == "mtp")
    n_expert = max((lay.ffn.num_experts for s in stacks for lay in s.layers if isinstance(lay.ffn, MoeSpec)),
                   default=0)
    arch = llama_arch(spec)
    size = ""
    for rec in tables().size_70b:
        if rec["arch"] == arch and rec["n_layer"] == n_layer and (not rec.get("gqa") or _gqa_layer0(spec)):
            size = "70B"
    return ModelFacts(arch, n_layer, n_expert, _n_gqa(spec), size)


# --------------------------------------------------------------------------------------------------
# Per-tensor decisions


def _strip(name: str) -> str:
    """GGUF name without the block prefix and the .weight/.bias suffix."""
    base = re.sub(r"^(?:(?:enc|dec)\.)?blk\.\d+\.", "", name)
    return re.sub(r"\.(?:weight|bias)$", "", base)


def _ggml_n_dims(ne: tuple[int, ...]) -> int:
    """ggml_n_dims: trailing dimensions of size 1 do not count."""
    n = len(ne)
    while n > 1 and ne[n - 1] == 1:
        n -= 1
    return max(n, 1)


def quantizable(name: str, ne: tuple[int, ...], *, leave_output: bool = False) -> bool:
    """llama-quant.cpp tensor_allows_quantization."""
    q = tables().quantizable
    if _ggml_n_dims(ne) < q["min_dims"] or not name.endswith(q["name_suffix"]):
        return False
    if any(s in name for s in q["exclude_contains"]) or name in q["exclude_equals"]:
        return False
    return not (leave_output and name == q["output"])


def converted_type(name: str, ne: tuple[int, ...], outtype: str) -> str:
    """The type convert_hf_to_gguf.py writes a tensor in when asked for ``outtype``."""
    c = tables().convert
    if (len(ne) <= c["f32_max_dims"] or any(name.endswith(s) for s in c["f32_name_suffix"])
            or not name.endswith(c["required_suffix"]) or _strip(name) in c["f32_tensors"]):
        return "F32"
    return outtype


def category(name: str) -> str:
    """llama-quant.cpp tensor_get_category (first match wins; "other" when none does)."""
    for c in tables().categories:
        if name in c.equals or (c.contains is not None and c.contains in name):
            return c.kind
    return "other"


def _counters(layout: list[GgufTensor], kinds: list[str], quant: list[bool], facts: ModelFacts) -> list[dict]:
    """Per tensor: i, n and raw_i of the counter its kind belongs to (init_quantize_state_counters)."""
    out: list[dict] = [{} for _ in layout]
    for cname, c in tables().counters.items():
        members = set(c["kinds"])
        idx = [k for k, kind in enumerate(kinds) if kind in members]
        total = len(idx) if c["total"] == "tensors" else facts.n_layer
        count = 0
        for k in idx:
            if not quant[k]:
                continue
            i = count
            if c["i"] == "layer_if_moe" and max(1, facts.n_expert) > 1:
                m = re.match(r"blk\.(\d+)\.", layout[k].name)
                if m is None or not 0 <= int(m.group(1)) < total:
                    raise InputError(f"{layout[k].name}: cannot determine its layer in [0, {total}) "
                                     "(llama.cpp layer_info)")
                i = int(m.group(1))
            out[k] = {"i": i, "n": total, "raw_i": count, "counter": cname}
            count += 1
    return out


def _env(g: GgufTensor, kind: str, tied: bool, ctr: dict, facts: ModelFacts, imatrix: bool,
         state: dict) -> Callable[[str], Any]:
    def lookup(name: str) -> Any:
        if name == "type":
            return state["type"]
        if name == "kind":
            return kind
        if name == "tied":
            return tied
        if name in ("i", "n", "raw_i"):
            if name not in ctr:
                raise InputError(f"{g.name}: a rule asks for its layer position, but {kind} has no counter")
            return ctr[name]
        if name == "ne0":
            return g.ne[0]
        if name == "stacked":
            return len(g.ne) >= 3 and g.ne[2] > 1
        if name == "imatrix":
            return imatrix
        value = getattr(facts, name)
        if value is None:
            raise InputError(f"{g.name}: the {name} rule needs the model architecture (give a config.json "
                             "or a catalog name, not a bare weights file)")
        return value

    return lookup


def _matches(rule, ftype: str, env) -> bool:
    if rule.ftypes is not None and ftype not in rule.ftypes:
        return False
    return rule.when is None or bool(rule.when(env))


def _impl(ftype: str, env, state: dict) -> None:
    """llama_tensor_get_type_impl: the first matching branch decides."""
    for br in tables().branches:
        if not _matches(br, ftype, env):
            continue
        for r in br.rules:
            if _matches(r, ftype, env):
                state["type"] = r.type
                break
        for r in br.then:
            if _matches(r, ftype, env):
                state["type"] = r.type
        return


def _fallback(name: str, ne0: int, type_name: str) -> str:
    """tensor_type_fallback."""
    if ne0 % _ggml(type_name).block_size == 0:
        return type_name
    alt = tables().fallback.get(type_name)
    if alt is None:
        raise InputError(f"{name}: row length {ne0} is not a multiple of {type_name}'s block size "
                         f"{_ggml(type_name).block_size}, and llama.cpp has no fallback type for {type_name}")
    return alt if ne0 % _ggml(alt).block_size == 0 else tables().final_fallback


def gguf_types(inv: Inventory, spec: ModelSpec | None, ftype: str, *, leave_output: bool = False,
               imatrix: bool | None = None, include_mtp: bool = False,
               source_type: str = "F16") -> list[tuple[GgufTensor, str]]:
    """(GGUF tensor, ggml type) for every tensor of the quantized file, in llama.cpp's order.

    ``imatrix``: whether an importance matrix is used (None: only for the ftypes llama.cpp refuses to
    make without one). ``source_type``: the outtype of the converted input file (types of tensors
    llama-quantize leaves alone, e.g. output.weight under ``leave_output``)."""
    key = _canonical(ftype)
    if key is None:
        raise UnknownSchemeError(f"unknown GGUF ftype {ftype!r}; known: {', '.join(ftype_names())}")
    info = tables().ftypes[key]
    default = info["default"]
    use_imatrix = bool(info.get("imatrix", False)) if imatrix is None else bool(imatrix)
    layout = gguf_layout(inv, spec, include_mtp=include_mtp)
    facts = model_facts(spec, layout, include_mtp=include_mtp)
    names = {g.name for g in layout}
    tied = tables().quantizable["output"] not in names
    kinds = [category(g.name) for g in layout]
    quant = [quantizable(g.name, g.ne, leave_output=leave_output) for g in layout]
    run_rules = default not in NON_QUANTIZED
    ctrs = _counters(layout, kinds, quant, facts) if run_rules else [{} for _ in layout]
    out: list[tuple[GgufTensor, str]] = []
    for g, kind, q, ctr in zip(layout, kinds, quant, ctrs, strict=True):
        if not q:
            out.append((g, converted_type(g.name, g.ne, source_type)))
            continue
        state = {"type": default}
        if run_rules:
            _impl(key, _env(g, kind, tied, ctr, facts, use_imatrix, state), state)
            state["type"] = _fallback(g.name, g.ne[0], state["type"])
        out.append((g, state["type"]))
    return out


def assign_types(inv: Inventory, spec: ModelSpec | None, ftype: str, *, leave_output: bool = False,
                 imatrix: bool | None = None, include_mtp: bool = False,
                 source_type: str = "F16") -> list[tuple[Tensor, str]]:
    """One ggml type name per tensor stored in the GGUF file, over ``inv.expanded()``.

    Tensors the converter does not write (a tied head, MLM heads, vision towers) are absent; the MLA
    ``kv_b`` projection appears as its two stored halves (``attn.k_b.weight``, ``attn.v_b.weight``) with
    their stored shapes. See :func:`gguf_types` for the keywords."""
    return [(g.tensor, t) for g, t in gguf_types(inv, spec, ftype, leave_output=leave_output, imatrix=imatrix,
                                                 include_mtp=include_mtp, source_type=source_type)]


def tensor_bytes(name: str, ne: tuple[int, ...], type_name: str) -> int:
    """Bytes of one tensor: numel / block_size * type_size (ggml_nbytes for a contiguous tensor)."""
    t = _ggml(type_name)
    if ne[0] % t.block_size:
        raise InputError(f"{name}: row length {ne[0]} is not a multiple of {type_name}'s block size {t.block_size}")
    return math.prod(ne) // t.block_size * t.type_size


def gguf_bytes(inv: Inventory, spec: ModelSpec | None, ftype: str, **kw) -> int:
    """Tensor-data bytes of the GGUF file (without metadata, tokenizer and alignment padding)."""
    return sum(tensor_bytes(g.name, g.ne, t) for g, t in gguf_types(inv, spec, ftype, **kw))
