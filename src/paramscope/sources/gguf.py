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

from pathlib import Path

from ..inventory import Inventory, Tensor
from .gguf_io import read_gguf
from .gguf_names import classify_gguf

_MODEL_TYPE = {"llama": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "qwen2moe": "qwen2_moe", "qwen3moe": "qwen3_moe"}


def _config(meta: dict, tensors: dict) -> dict | None:
    arch = meta.get("general.architecture")
    mt = _MODEL_TYPE.get(arch)
    if mt is None:
        return None

    def k(key, default=None):
        return meta.get(f"{arch}.{key}", default)

    heads = k("attention.head_count")
    d = k("embedding_length")
    if not (heads and d and k("block_count")):
        return None
    vocab = k("vocab_size")
    if vocab is None and "token_embd.weight" in tensors:
        vocab = tensors["token_embd.weight"].dims[1]
    experts = k("expert_count", 0) or 0
    cfg = {"model_type": mt, "hidden_size": d, "num_hidden_layers": k("block_count"), "num_attention_heads": heads,
           "num_key_value_heads": k("attention.head_count_kv", heads), "vocab_size": vocab,
           "intermediate_size": k("feed_forward_length"), "head_dim": k("attention.key_length", d // heads),
           "max_position_embeddings": k("context_length", 4096),
           "tie_word_embeddings": "output.weight" not in tensors, "torch_dtype": "bfloat16",
           "rms_norm_eps": k("attention.layer_norm_rms_epsilon", 1e-6)}
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


def load_gguf(path: Path):
    from ..model import Model, from_config

    header = read_gguf(path)
    meta = header.metadata
    arch = meta.get("general.architecture")
    used = meta.get(f"{arch}.expert_used_count") if arch else None
    out = []
    for t in header.tensors:
        layer, role = classify_gguf(t.name)
        shape = tuple(reversed(t.dims))
        experts, active = 1, None
        if "_exps." in t.name and len(shape) == 3:
            experts, shape, active = shape[0], shape[1:], used
        out.append(Tensor(t.name, role, shape, "decoder" if layer is not None else "",
                          (layer,) if layer is not None else (), experts, active, dtype=t.type_name,
                          nbytes=t.nbytes, source=t.name))
    inv = Inventory(tuple(out))
    name = meta.get("general.name") or Path(path).stem
    warnings: list[str] = []
    spec = None
    cfg = _config(meta, {t.name: t for t in header.tensors})
    if cfg is not None:
        try:
            spec = from_config(cfg, name=str(name), origin=f"{path} (GGUF metadata)").spec
        except Exception as exc:  # the counts still stand; say why analyses needing the architecture cannot run
            warnings.append(f"architecture not rebuilt from GGUF metadata: {exc}")
    else:
        warnings.append(f"GGUF architecture {arch!r}: counts from the tensors only; memory and speed need a "
                        "config.json or catalog name")
    if any(r == "other" for r in (t.role for t in out)):
        warnings.append("some tensor names are not llama.cpp names paramscope knows; they are counted as 'other'")
    return Model(str(name), "gguf", spec, inv, origin=str(path), warnings=tuple(warnings))
