"""GGUF files -> Model, from the header only (metadata and tensor infos; never the tensor data).

Each tensor's represented parameters are the product of its ggml dims (GGUF stores element counts even for
block-quantized types) and its bytes come from its ggml type's block size (gguf_io). Roles follow the
llama.cpp tensor names (gguf_names.classify_gguf); ``*_exps`` tensors hold all experts of a layer
(outermost ggml dim) with ``{arch}.expert_used_count`` of them active per token.

For the Llama-like architectures (llama incl. Mistral/Mixtral, qwen2, qwen3, qwen2moe, qwen3moe) the
architecture is rebuilt from the ``{arch}.*`` metadata keys (llama.cpp's gguf.md), so memory and speed
analyses work; for others the counts stand alone and the model has no spec (a warning says so).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import FileFormatError, ParamscopeError
from ..inventory import Inventory, Tensor
from ..render import clean
from .gguf_io import ArraySummary, GGUFHeader, read_gguf
from .gguf_names import classify_gguf

_MODEL_TYPE = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "qwen2moe": "qwen2_moe", "qwen3moe": "qwen3_moe"}
_SPLIT_NAME = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$")
MAX_SPLITS = 256


class _NotRebuilt(Exception):
    """The metadata is well-formed but describes something the config adapters cannot take (a warning)."""


def _meta_int(meta: dict, key: str, origin: str, default=None, *, minimum: int = 0):
    v = meta.get(key)
    if v is None:
        return default
    if isinstance(v, (list, ArraySummary)):
        raise _NotRebuilt(f"{key} is an array (per-layer values are not modelled)")
    if isinstance(v, bool) or not isinstance(v, int):
        raise FileFormatError(f"{origin}: metadata[{key!r}]: expected an unsigned integer, got {clean(repr(v))[:60]}")
    if v < minimum:
        raise FileFormatError(f"{origin}: metadata[{key!r}]: expected an integer >= {minimum}, got {v}")
    return v


def _meta_float(meta: dict, key: str, origin: str, default: float) -> float:
    v = meta.get(key)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FileFormatError(f"{origin}: metadata[{key!r}]: expected a number, got {clean(repr(v))[:60]}")
    return float(v)


def _blocks(tensors: dict) -> set[int]:
    return {layer for layer in (classify_gguf(n)[0] for n in tensors) if layer is not None}


def _config(meta: dict, tensors: dict, origin: str) -> dict | None:
    arch = meta.get("general.architecture")
    mt = _MODEL_TYPE.get(arch) if isinstance(arch, str) else None
    if mt is None:
        return None

    def k(key, default=None, minimum=0):
        return _meta_int(meta, f"{arch}.{key}", origin, default, minimum=minimum)

    heads, d, n_blocks = k("attention.head_count"), k("embedding_length"), k("block_count")
    if not (heads and d and n_blocks):
        return None
    blocks = _blocks(tensors)
    if len(blocks) != n_blocks or max(blocks, default=-1) != n_blocks - 1:
        raise _NotRebuilt(f"metadata {arch}.block_count = {n_blocks:,} contradicts the tensors, which hold "
                          f"{len(blocks):,} blocks" + (f" (blk.{min(blocks)}..blk.{max(blocks)})" if blocks else ""))
    vocab = k("vocab_size")
    emb = tensors.get("token_embd.weight")
    if vocab is None and emb is not None:
        if len(emb.dims) != 2:
            raise FileFormatError(f"{origin}: tensor 'token_embd.weight': dims: expected 2 dims "
                                  f"[n_embd, n_vocab], got {list(emb.dims)}")
        vocab = emb.dims[1]
    experts = k("expert_count", 0) or 0
    cfg = {"model_type": mt, "hidden_size": d, "num_hidden_layers": n_blocks, "num_attention_heads": heads,
           "num_key_value_heads": k("attention.head_count_kv", heads), "vocab_size": vocab,
           "intermediate_size": k("feed_forward_length"), "head_dim": k("attention.key_length", d // heads),
           "max_position_embeddings": k("context_length", 4096),
           "tie_word_embeddings": "output.weight" not in tensors, "torch_dtype": "bfloat16",
           "rms_norm_eps": _meta_float(meta, f"{arch}.attention.layer_norm_rms_epsilon", origin, 1e-6)}
    if mt == "llama" and experts:
        cfg.update(model_type="mixtral", num_local_experts=experts, num_experts_per_tok=k("expert_used_count"))
    elif mt in ("qwen2_moe", "qwen3_moe"):
        cfg.update(num_experts=experts, num_experts_per_tok=k("expert_used_count"),
                   moe_intermediate_size=k("expert_feed_forward_length"),
                   shared_expert_intermediate_size=k("expert_shared_feed_forward_length", 0))
    if mt == "qwen2":
        cfg["attention_bias"] = "blk.0.attn_q.bias" in tensors
    cfg["architectures"] = [{"llama": "LlamaForCausalLM", "mixtral": "MixtralForCausalLM", "qwen2": "Qwen2ForCausalLM",
                             "qwen3": "Qwen3ForCausalLM", "qwen2_moe": "Qwen2MoeForCausalLM",
                             "qwen3_moe": "Qwen3MoeForCausalLM"}[cfg["model_type"]]]
    return cfg


def _parts(path: Path, header: GGUFHeader) -> list[GGUFHeader]:
    """Every part of a split model (llama.cpp gguf-split: ``split.count`` metadata, files named
    ``PREFIX-00001-of-0000N.gguf``), read from the first part; [header] for a whole file."""
    meta, origin = header.metadata, str(path)
    count = _meta_int(meta, "split.count", origin, None) if not isinstance(meta.get("split.count"), list) else None
    m = _SPLIT_NAME.search(path.name)
    n = count if count is not None else (int(m.group(2)) if m else 1)
    if n <= 1:
        return [header]
    if n > MAX_SPLITS:
        raise FileFormatError(f"{origin}: metadata['split.count']: expected at most {MAX_SPLITS} parts, got {n:,}")
    if m is None or int(m.group(2)) != n:
        raise FileFormatError(f"{origin}: part of a model split in {n} files (split.count), but the name does not "
                              f"end in -NNNNN-of-{n:05d}.gguf; give the first part of a complete split")
    names = [_SPLIT_NAME.sub(f"-{i:05d}-of-{n:05d}.gguf", path.name) for i in range(1, n + 1)]
    first = path.with_name(names[0])
    missing = [x for x in names if not path.with_name(x).exists()]
    if missing:
        raise FileFormatError(f"{origin}: part of a model split in {n} files; missing {', '.join(missing[:3])}"
                              + (f" and {len(missing) - 3} more" if len(missing) > 3 else "")
                              + "; counts need every part")
    parts = [header if path.with_name(x) == path else read_gguf(path.with_name(x)) for x in names]
    total = parts[0].metadata.get("split.tensors.count")
    held = sum(len(p.tensors) for p in parts)
    if isinstance(total, int) and not isinstance(total, bool) and total != held:
        raise FileFormatError(f"{first}: metadata['split.tensors.count']: expected the {n} parts to hold {total:,} "
                              f"tensors, they hold {held:,}")
    return parts


def load_gguf(path: Path):
    from ..model import Model, from_config

    path = Path(path)
    parts = _parts(path, read_gguf(path))
    meta = parts[0].metadata
    origin = str(path)
    arch = meta.get("general.architecture")
    arch = arch if isinstance(arch, str) else None
    warnings: list[str] = []
    try:
        used = _meta_int(meta, f"{arch}.expert_used_count", origin, None) if arch else None
    except _NotRebuilt:
        used = None
    out = []
    seen: dict[str, object] = {}
    for part in parts:
        for t in part.tensors:
            if t.name in seen:
                raise FileFormatError(f"{part.origin}: tensor {clean(t.name)!r}: also in another part of the split")
            seen[t.name] = t
            layer, role = classify_gguf(t.name)
            shape = tuple(reversed(t.dims))
            experts, active = 1, None
            if "_exps." in t.name and len(shape) == 3:
                experts, shape, active = shape[0], shape[1:], used
            out.append(Tensor(t.name, role, shape, "decoder" if layer is not None else "",
                              (layer,) if layer is not None else (), experts, active, dtype=t.type_name,
                              nbytes=t.nbytes, source=t.name))
    inv = Inventory(tuple(out))
    raw_name = meta.get("general.name")
    name = clean(raw_name) if isinstance(raw_name, str) and raw_name.strip() else clean(path.stem)
    if len(parts) > 1:
        warnings.append(f"split model: {len(parts)} parts read, counts are the whole model's")
    spec = None
    try:
        cfg = _config(meta, seen, origin)
        if cfg is not None:
            spec = from_config(cfg, name=name, origin=f"{path} (GGUF metadata)").spec
        else:
            warnings.append(f"GGUF architecture {clean(repr(arch))}: counts from the tensors only; memory and speed "
                            "need a config.json or catalog name")
    except _NotRebuilt as exc:
        warnings.append(f"architecture not rebuilt from GGUF metadata: {exc}; counts from the tensors only")
    except FileFormatError:
        raise
    except ParamscopeError as exc:  # the counts still stand; say why analyses needing the architecture cannot run
        warnings.append(f"architecture not rebuilt from GGUF metadata: {exc}")
    if any(r == "other" for r in (t.role for t in out)):
        warnings.append("some tensor names are not llama.cpp names paramscope knows; they are counted as 'other'")
    file_bytes = sum(p.file_bytes for p in parts)
    tensor_bytes = sum(p.data_bytes for p in parts)
    files = {"file_bytes": file_bytes, "tensor_bytes": tensor_bytes, "header_bytes": file_bytes - tensor_bytes,
             "parts": len(parts)}
    return Model(name, "gguf", spec, inv, origin=origin, warnings=tuple(warnings), files=files)
