"""Weight bytes of a model under a precision / quantization scheme, computed tensor by tensor.

Scheme names:
- a registry scheme from data/quant.toml (bf16, fp8, fp8-block, gptq-int4, awq-int4, nf4, nf4-dq, mxfp4, ...);
- a GGUF preset (Q4_K_M, Q8_0, IQ2_XXS, MXFP4_MOE, ...; llama.cpp's per-tensor rules);
- ``exl2:<bpw>[:<head bits>]`` (exllamav2 target bits per weight);
- ``native``: the checkpoint's own storage. From a safetensors/GGUF file this is the stored bytes; from a
  config.json it follows ``quantization_config`` and ``torch_dtype`` (gpt-oss: MXFP4 experts + BF16 rest;
  DeepSeek-V3: FP8 with 128x128 block scales + BF16 rest).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import InputError, UnknownSchemeError
from ..inventory import Tensor
from .formats import Format, Rule, Scheme, exl2_scheme, get_format, get_scheme


@dataclass(frozen=True)
class WeightReport:
    scheme: str
    total_bytes: int
    params: int
    by_format: dict[str, dict]
    by_group: dict[str, int]
    description: str = ""
    source: str = ""
    warnings: list[str] = field(default_factory=list)
    entries: list[tuple[Tensor, int]] = field(default_factory=list, repr=False)  # (tensor, bytes of all its copies)
    by_group_format: dict[str, dict[str, dict]] = field(default_factory=dict)  # group -> format -> params, bytes

    @property
    def bits_per_param(self) -> float:
        return self.total_bytes * 8 / self.params if self.params else 0.0

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "weights_bytes": self.total_bytes, "params": self.params,
                "bits_per_param": self.bits_per_param, "by_format": self.by_format, "by_group": self.by_group,
                "by_group_format": self.by_group_format, "description": self.description, "source": self.source, "warnings": list(self.warnings)}


def _included(t: Tensor, include_mtp: bool) -> bool:
    if t.tied_to is not None:
        return False
    if t.component == "mtp" and not include_mtp:
        return False
    return True


_DTYPE_FORMAT = {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16", "fp32": "fp32", "fp16": "fp16",
                 "bf16": "bf16", "float8_e4m3fn": "fp8"}


def native_scheme(spec) -> tuple[Scheme, list[str]]:
    """The scheme a config.json's checkpoint is stored in (quantization_config, else torch_dtype)."""
    warnings: list[str] = []
    dtype = (spec.dtype or "").lower() if spec is not None else ""
    base = _DTYPE_FORMAT.get(dtype)
    from ..sources import quant_config

    origin = f"{spec.name}: config" if spec is not None else "config"
    q = quant_config.validate({"quantization_config": spec.quantization} if spec is not None else None, origin)
    method = quant_config.method(q)
    if base is None:
        # transformers' from_pretrained default is fp32; quantized checkpoints are exported from bf16 models
        # (gpt-oss's config.json states no dtype; its unquantized tensors are stored in bf16).
        base = "bf16" if method else "fp32"
        said = f"torch_dtype {spec.dtype!r} is not a dtype paramscope knows" if dtype else \
            "the config states no torch_dtype"
        if method != "mxfp4":  # gpt-oss (the MXFP4 checkpoints) states no dtype; its other tensors are bf16
            warnings.append(f"{said}; unquantized tensors are assumed to be stored in {base}")
    keep_rules = (Rule("keep", ndim=1), Rule("keep", roles=("embed*", "lm_head", "pos_embed", "type_embed", "router",
                                                             "rel_bias", "norm*")),
                  Rule("keep", components=("vision", "projector")))
    if not method:
        return Scheme("native", f"checkpoint dtype {base}", (Rule(base),), keep=base), warnings
    if method == "mxfp4":
        return Scheme("native", f"MXFP4 experts + {base} elsewhere (quantization_config mxfp4)",
                      (Rule("mxfp4", roles=("expert_gate", "expert_up", "expert_down", "expert_gate_up"), ndim=2),
                       Rule("keep")), keep=base), warnings
    if method == "fp8":
        block = q.get("weight_block_size")
        fmt = "fp8-block128" if block == [128, 128] else "fp8"
        if block not in (None, [128, 128]):
            warnings.append(f"fp8 weight_block_size {block} is modelled as 128x128")
        return Scheme("native", f"FP8 {'128x128 block scales' if block else 'per-tensor'} + {base} elsewhere",
                      (*keep_rules, Rule(fmt)), keep=base), warnings
    if method in ("gptq", "awq"):
        bits, group = quant_config.packed_bits(q, origin), quant_config.group_size(q, origin)
        fmt = f"{method}-{bits}-g{group if group > 0 else 128}"
        return Scheme("native", f"{method.upper()} {bits}-bit g{group} + {base} elsewhere",
                      (*keep_rules, Rule(fmt)), keep=base), warnings
    if method == "bitsandbytes":
        if q.get("load_in_4bit") or q.get("_load_in_4bit"):
            fmt = "nf4-dq" if q.get("bnb_4bit_use_double_quant") else "nf4"
        else:
            fmt = "int8"
        return Scheme("native", f"bitsandbytes {fmt} + {base} elsewhere", (*keep_rules, Rule(fmt)), keep=base), warnings
    warnings.append(f"quantization_config quant_method {method!r} is not modelled; weights counted at {base} "
                    "(read the safetensors headers for exact stored bytes)")
    return Scheme("native", f"{base} (quant method {method} not modelled)", (Rule(base),), keep=base), warnings


def weight_report(model, scheme: str = "native", *, include_mtp: bool = False) -> WeightReport:
    inv = model.inventory
    spec = model.spec
    name = scheme.strip()
    key = name.lower()
    tensors = [t for t in inv.tensors if _included(t, include_mtp)]
    if key == "native" and tensors and all(t.nbytes is not None for t in tensors):
        return _stored(name, tensors, model.source)
    if key.startswith("exl2:"):
        return _exl2(name, tensors)
    from ..quant import gguf_mix

    if gguf_mix.is_ftype(name):
        return _gguf(model, name, include_mtp)
    warnings: list[str] = []
    if key == "native":
        sch, warnings = native_scheme(spec)
    else:
        sch = get_scheme(key)
    n_layers = spec.num_layers if spec is not None else 0
    return _apply(name, sch, tensors, n_layers, warnings)


def _apply(name: str, sch: Scheme, tensors: list[Tensor], n_layers: int, warnings: list[str]) -> WeightReport:
    acc = _Acc()
    for t in tensors:
        if sch.layer_dependent and t.layers:
            for i in t.layers:
                one = t._replace(layers=(i,))
                fmt = sch.format_for(t, i, n_layers)
                acc.add(one, fmt.name, fmt.tensor_bytes_of(t.shape) * t.experts)
        else:
            fmt = sch.format_for(t, None, n_layers)
            acc.add(t, fmt.name, fmt.tensor_bytes_of(t.shape) * t.experts * t.copies)
    return acc.report(name, sch.description, sch.source, warnings)


class _Acc:
    """Accumulates per-tensor bytes into the report's totals and breakdowns."""

    def __init__(self):
        self.by_format: dict[str, dict] = {}
        self.by_group: dict[str, int] = {}
        self.by_group_format: dict[str, dict[str, dict]] = {}
        self.total = self.params = 0
        self.entries: list[tuple[Tensor, int]] = []

    def add(self, t: Tensor, fmt: str, nbytes: int) -> None:
        p = t.stored if t.counted else 0
        self.total += nbytes
        self.params += p
        e = self.by_format.setdefault(fmt, {"params": 0, "bytes": 0})
        e["params"] += p
        e["bytes"] += nbytes
        self.by_group[t.group] = self.by_group.get(t.group, 0) + nbytes
        g = self.by_group_format.setdefault(t.group, {}).setdefault(fmt, {"params": 0, "bytes": 0})
        g["params"] += p
        g["bytes"] += nbytes
        self.entries.append((t, nbytes))

    def report(self, name, description, source, warnings) -> WeightReport:
        return WeightReport(name, self.total, self.params, self.by_format, self.by_group, description, source,
                            list(warnings), self.entries, self.by_group_format)


def _stored(name: str, tensors: list[Tensor], source: str) -> WeightReport:
    acc = _Acc()
    for t in tensors:
        acc.add(t, t.dtype or "?", t.nbytes)
    return acc.report(name, f"bytes stored in the {source} file(s)", "tensor headers", [])


def _exl2(name: str, tensors: list[Tensor]) -> WeightReport:
    parts = name.split(":")
    try:
        bpw = float(parts[1])
        hb = int(parts[2]) if len(parts) > 2 else None
    except (IndexError, ValueError):
        raise InputError(f"exl2 scheme: expected exl2:<bits per weight>[:<head bits>], got {name!r}") from None
    body_bits, head_bits = exl2_scheme(bpw, hb)
    fp16 = get_format("fp16")
    body = Format("exl2", bits=body_bits)
    head = Format(f"exl2-head-{hb or 6}", bits=head_bits)
    acc = _Acc()
    for t in tensors:
        if t.role == "lm_head":
            fmt = head
        elif len(t.shape) >= 2 and t.group in ("attention", "cross_attention", "mlp", "experts", "shared_experts"):
            fmt = body
        else:
            fmt = fp16
        acc.add(t, fmt.name, fmt.tensor_bytes_of(t.shape) * t.experts * t.copies)
    return acc.report(name, f"EXL2 {bpw} bpw body, head {head_bits} bpw, embeddings fp16",
                      "github turboderp/exllamav2 doc/convert.md", [])


def _gguf(model, ftype: str, include_mtp: bool) -> WeightReport:
    from ..quant import gguf_mix
    from ..sources import ggml_types

    acc = _Acc()
    for t, type_name in gguf_mix.assign_types(model.inventory, model.spec, ftype):
        if not _included(t, include_mtp):
            continue
        gt = ggml_types.by_name(type_name)
        if t.shape[-1] % gt.block_size:
            raise InputError(f"{t.full_name()}: row length {t.shape[-1]} is not a multiple of {type_name}'s block size")
        acc.add(t, type_name, t.numel // gt.block_size * gt.type_size * t.copies)
    return acc.report(ftype.upper(), f"llama.cpp {ftype.upper()} mix (per-tensor types from llama-quant.cpp rules)",
                      "data/gguf_ftypes.toml", [])


def known_schemes() -> list[str]:
    from ..quant import gguf_mix

    try:
        ftypes = gguf_mix.ftype_names()
    except UnknownSchemeError:
        ftypes = []
    from .formats import scheme_names

    return ["native", *scheme_names(), *ftypes, "exl2:<bpw>[:<head bits>]"]
