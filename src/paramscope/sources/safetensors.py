"""safetensors checkpoints -> Model, from headers only (never the tensor data).

Every stored tensor becomes an inventory entry with its stored dtype and exact bytes (data_offsets), its
role from the tensor name (names.classify), and the number of parameters it REPRESENTS: packed quantized
weights are unpacked logically, so a quantized checkpoint has the parameter count of its original:

- GPTQ (AutoGPTQ / GPTQModel, ``quant_method: gptq``): ``qweight`` int32 [in * bits / 32, out] holds
  in x out weights (32 values in ``bits`` int32 words, packed along in-features: auto-gptq's
  ``torch.zeros((infeatures // 32 * self.bits, outfeatures))``; bits 2, 3, 4 or 8); ``qzeros``, ``scales``,
  ``g_idx`` are quantization metadata.
- AWQ (AutoAWQ, ``quant_method: awq``): ``qweight`` int32 [in, out * bits / 32], packed along out-features;
  ``qzeros``, ``scales`` are metadata.
- MXFP4 (OCP Microscaling; gpt-oss): ``*_blocks`` uint8 [..., n_blocks, 16] = 32 fp4 values per block;
  ``*_scales`` (one E8M0 byte per block) are metadata.
- FP8 (DeepSeek-V3 / compressed-tensors / fbgemm): the F8 weight counts as is; ``weight_scale_inv``,
  ``weight_scale``, ``input_scale`` are metadata.
- bitsandbytes 4-bit: ``weight`` uint8 holds two 4-bit values per byte; ``absmax``, ``quant_map``,
  ``quant_state.*`` (and nested_* for double quantization) are metadata.

Metadata tensors are reported apart (role group ``quant_meta``), never in ``total``. With a config.json
beside the file the architecture comes from it (for active parameters, memory and speed), and the two
totals are cross-checked.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

from ..errors import FileFormatError
from ..inventory import Inventory, Tensor
from ..render import clean
from . import quant_config
from .names import classify, patterns_seen
from .safetensors_io import SafetensorsHeader, STensor, read_any

_META_SUFFIX = re.compile(r"\.(?:qzeros|scales|g_idx|weight_scale_inv|weight_scale|input_scale|weight_zero_point|"
                          r"absmax|quant_map|nested_absmax|nested_quant_map|quant_state\.[\w.]+|"
                          r"weight\.absmax|weight\.quant_map|weight\.nested_absmax|weight\.nested_quant_map|"
                          r"weight\.quant_state\.[\w.]+|SCB|weight_format)$")
MAX_PATTERNS = 10_000  # distinct tensor-name patterns per checkpoint (bounds the classification time)
_MXFP4_SCALES = re.compile(r"_scales$")
_MXFP4_BLOCKS = re.compile(r"_blocks$")


def _quant(config: dict | None, origin: str) -> tuple[str, int, dict]:
    q = quant_config.validate(config, origin)
    method = quant_config.method(q)
    return method, (quant_config.packed_bits(q, origin) if method in ("gptq", "gptqmodel", "awq", "") else 4), q


def _unpacked(packed: int, bits: int, name: str, origin: str) -> int:
    """Values held by ``packed`` int32 words of ``bits``-bit values (32 values per ``bits`` words)."""
    if (packed * 32) % bits:
        raise FileFormatError(f"{origin}: tensor {clean(name)}: {packed} packed int32 rows cannot hold whole "
                              f"{bits}-bit values (expected a multiple of {bits})")
    return packed * 32 // bits


def _represented(name: str, t: STensor, method: str, bits: int, origin: str) -> tuple[str, tuple[int, ...]]:
    """(logical name, logical shape) of a stored weight tensor."""
    if name.endswith(".qweight"):
        if t.dtype != "I32" or len(t.shape) != 2:
            raise FileFormatError(f"{origin}: tensor {clean(name)}: expected a 2-D int32 packed qweight, got "
                                  f"{t.dtype} {list(t.shape)}")
        base = name[: -len(".qweight")] + ".weight"
        if method == "awq":  # [in, out * bits / 32]
            return base, (_unpacked(t.shape[1], bits, name, origin), t.shape[0])
        if method in ("gptq", "gptqmodel", ""):  # [in * bits / 32, out]
            return base, (t.shape[1], _unpacked(t.shape[0], bits, name, origin))
        raise FileFormatError(f"{origin}: tensor {clean(name)}: packed qweight with quant_method {method!r}; "
                              "paramscope unpacks gptq and awq")
    if _MXFP4_BLOCKS.search(name):
        if t.dtype != "U8" or len(t.shape) < 2 or t.shape[-1] != 16:
            raise FileFormatError(f"{origin}: tensor {clean(name)}: expected uint8 MXFP4 blocks [..., n, 16]")
        return _MXFP4_BLOCKS.sub("", name), (*t.shape[:-2], t.shape[-2] * 32)
    if t.dtype == "U8" and method == "bitsandbytes" and name.endswith(".weight"):
        return name, (math.prod(t.shape) * 2,)
    return name, t.shape


def _is_meta(name: str, t: STensor) -> bool:
    return bool(_META_SUFFIX.search(name)) or (bool(_MXFP4_SCALES.search(name)) and t.dtype == "U8")


def file_inventory(tensors: dict[str, STensor], config: dict | None, origin: str,
                   main_layers: int | None = None, top_k: int | None = None) -> Inventory:
    method, bits, q = _quant(config, origin)
    if method == "bitsandbytes" or q.get("load_in_4bit"):
        method = "bitsandbytes"
    out: list[Tensor] = []
    experts: dict[tuple, list] = {}
    seen_before = patterns_seen()
    for name, st in tensors.items():
        if patterns_seen() - seen_before > MAX_PATTERNS:
            raise FileFormatError(f"{origin}: tensor names: more than {MAX_PATTERNS:,} distinct name patterns "
                                  "(layer and expert numbers aside); real checkpoints have a few hundred")
        nbytes = st.end - st.start
        if _is_meta(name, st):
            info = classify(name)
            out.append(Tensor(name, "quant_scale", st.shape, info.stack,
                              (info.layer,) if info.layer is not None else (), component=info.component,
                              dtype=st.dtype, nbytes=nbytes, source=name))
            continue
        logical, shape = _represented(name, st, method, bits, origin)
        info = classify(logical)
        component = info.component
        if main_layers is not None and info.layer is not None and info.layer >= main_layers and \
                info.component == "language":
            component = "mtp"  # DeepSeek-V3 stores its MTP module as layer num_hidden_layers
        layers = (info.layer,) if info.layer is not None else ()
        if info.expert is not None:  # per-expert tensors: merged into one entry per (layer, role, shape)
            key = (component, info.stack, layers, info.role, shape)
            experts.setdefault(key, []).append((logical, st, nbytes))
            continue
        n_exp, active = 1, None
        if info.role.startswith("expert_") and len(shape) == 3:  # fused [E, out, in]
            n_exp, shape = shape[0], shape[1:]
            active = top_k
        out.append(Tensor(logical, info.role, shape, info.stack, layers, n_exp, active, component=component,
                          dtype=st.dtype, nbytes=nbytes, source=name))
    for (component, stack, layers, role, shape), items in experts.items():
        out.append(Tensor(items[0][0], role, shape, stack, layers, len(items), top_k, component=component,
                          dtype=items[0][1].dtype, nbytes=sum(b for _, _, b in items), source=items[0][0]))
    return Inventory(tuple(out))


def _top_k(spec) -> int | None:
    for stack in spec.language_stacks if spec is not None else ():
        for layer in stack.layers:
            k = getattr(layer.ffn, "top_k", None)
            if k:
                return k
    return None


def load_safetensors(path: Path, config: tuple[dict, Path] | None = None):
    from ..model import Model, config_name, from_config
    from ..params import count

    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.safetensors"))
        if len(files) != 1:
            raise FileFormatError(f"{path}: expected model.safetensors, an index, or exactly one *.safetensors")
        path = files[0]
    header = read_any(path)
    origin = str(path)
    spec, warnings = None, []
    cfg_dict = None
    if config is not None:
        cfg_dict, cfg_path = config
        m = from_config(cfg_dict, name=config_name(cfg_dict, path.parent.name), origin=str(cfg_path))
        spec, warnings = m.spec, list(m.warnings)
    main_layers = sum(s.num_layers for s in spec.language_stacks) if spec is not None else None
    inv = file_inventory(header.tensors, cfg_dict, origin, main_layers, _top_k(spec))
    if spec is not None:
        from ..inventory import build_inventory

        file_total, cfg_total = count(inv).total, count(build_inventory(spec)).total
        if file_total != cfg_total:
            warnings.append(f"the file holds {file_total:,} parameters, config.json describes {cfg_total:,} "
                            f"({file_total - cfg_total:+,}); counts are the file's")
    else:
        warnings.append("no config.json beside the file: counts come from tensor names alone; active parameters, "
                        "memory and speed need the architecture")
        if any(t.experts > 1 and t.active is None for t in inv.tensors):
            warnings.append("expert tensors found but no top-k known: active counts every expert")
    name = (spec.name if spec is not None else
            clean((header.metadata.get("name") if isinstance(header, SafetensorsHeader) else None) or path.parent.name))
    return Model(name, "safetensors", spec, inv, origin=origin, warnings=tuple(warnings))
