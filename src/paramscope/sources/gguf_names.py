"""paramscope tensors <-> llama.cpp GGUF tensor names, and the tensor layout of a converted GGUF file.

Names follow ``LLM_TENSOR_NAMES`` in llama.cpp ``src/llama-arch.cpp`` (read at commit
00395eb285c7c6821ff372e3ca41dae9da33c2c7): ``token_embd``, ``output``, ``output_norm``,
``position_embd``, ``token_types``, ``token_embd_norm`` at model level and ``blk.N.<tensor>`` in layer N,
with ``.weight`` / ``.bias`` appended. Encoder-decoder models (T5) use ``enc.blk.N.`` / ``dec.blk.N.``,
``attn_o`` for the attention output, ``cross_attn_*`` and ``enc.output_norm`` / ``dec.output_norm``.

Where the GGUF layout differs from the Hugging Face one (``convert_hf_to_gguf.py``):

- MLA ``kv_b_proj`` is split into ``attn_k_b`` (``k_b`` transposed; ggml dims {qk_nope, kv_lora_rank,
  n_head}) and ``attn_v_b`` ({kv_lora_rank, v_head_dim, n_head}); only legacy files hold ``attn_kv_b``
  (``DeepseekV2Model.modify_tensors``; llama-model.cpp "only old legacy GGUF files will have the unsplit
  wkv_b tensor"). :func:`gguf_name` gives the legacy name, :func:`gguf_layout` the split.
- Phi-3's fused ``gate_up_proj`` is stored whole as ``ffn_up`` ({n_embd, 2*n_ff}); fused expert
  ``gate_up`` is named ``ffn_gate_up_exps`` (gpt-oss files split it into ``ffn_gate_exps`` and
  ``ffn_up_exps``, which changes no type choice and no byte).
- Falcon-40B style layers (parallel attention with two input norms): ``ln_attn`` -> ``attn_norm_2``,
  ``ln_mlp`` -> ``attn_norm`` (gguf-py ``tensor_mapping.py``).
- BERT's post-norms are ``attn_output_norm`` and ``layer_output_norm``; Gemma 2 / OLMo 2 post-norms are
  ``post_attention_norm`` and ``post_ffw_norm``.
- Mamba's pre-mixer norm is ``attn_norm``; ``ssm_a`` and ``ssm_d`` carry no ``.weight`` suffix.
- MTP layers (DeepSeek-V3 ``num_nextn_predict_layers``) are blocks after the main ones, with
  ``nextn.*`` tensors of their own.

Roles with no tensor in a converted text GGUF (the converter drops them, or llama.cpp has no such
architecture) are listed in :data:`NO_GGUF_ROLES`; vision towers and projectors go to a separate mmproj
file and are not named here.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from ..errors import InputError
from ..inventory import Inventory, Tensor
from ..spec import AttentionSpec, ModelSpec

# paramscope model_type -> llama.cpp architecture name (LLM_ARCH_NAMES) that convert_hf_to_gguf.py writes.
LLAMA_ARCH = {
    "llama": "llama", "mistral": "llama", "mixtral": "llama",  # LlamaModel registers all three
    "qwen2": "qwen2", "qwen2_moe": "qwen2moe", "qwen3": "qwen3", "qwen3_moe": "qwen3moe", "qwen2_vl": "qwen2vl",
    "gemma": "gemma", "gemma2": "gemma2", "gemma3_text": "gemma3", "gemma3": "gemma3",
    "phi3": "phi3", "olmo2": "olmo2", "deepseek_v2": "deepseek2", "deepseek_v3": "deepseek2",
    "gpt_oss": "gpt-oss", "gpt2": "gpt2", "falcon": "falcon", "bert": "bert", "t5": "t5",
    "mamba": "mamba", "jamba": "jamba",
}

# Fine role of a layer tensor -> GGUF tensor (without "blk.N." and the ".weight"/".bias" suffix).
LAYER_NAMES = {
    "attn_q": "attn_q", "attn_k": "attn_k", "attn_v": "attn_v", "attn_o": "attn_output", "attn_qkv": "attn_qkv",
    "attn_sinks": "attn_sinks",
    "attn_q_a": "attn_q_a", "attn_q_b": "attn_q_b", "attn_kv_a": "attn_kv_a_mqa", "attn_kv_b": "attn_kv_b",
    "xattn_q": "cross_attn_q", "xattn_k": "cross_attn_k", "xattn_v": "cross_attn_v", "xattn_o": "cross_attn_o",
    "mlp_gate": "ffn_gate", "mlp_up": "ffn_up", "mlp_down": "ffn_down", "mlp_gate_up": "ffn_up",
    "expert_gate": "ffn_gate_exps", "expert_up": "ffn_up_exps", "expert_down": "ffn_down_exps",
    "expert_gate_up": "ffn_gate_up_exps",
    "shared_gate": "ffn_gate_shexp", "shared_up": "ffn_up_shexp", "shared_down": "ffn_down_shexp",
    "shared_expert_gate": "ffn_gate_inp_shexp",
    "router": "ffn_gate_inp",
    "norm_attn_in": "attn_norm", "norm_attn_out": "post_attention_norm", "norm_mlp_in": "ffn_norm",
    "norm_mlp_out": "post_ffw_norm", "norm_cross_in": "cross_attn_norm", "norm_ssm": "attn_norm",
    "norm_q": "attn_q_norm", "norm_k": "attn_k_norm", "norm_q_a": "attn_q_a_norm", "norm_kv_a": "attn_kv_a_norm",
    "rel_bias": "attn_rel_b",
    "ssm_in": "ssm_in", "ssm_conv": "ssm_conv1d", "ssm_x": "ssm_x", "ssm_dt": "ssm_dt", "ssm_a": "ssm_a",
    "ssm_d": "ssm_d", "ssm_out": "ssm_out",
}

# Local tensor names whose GGUF tensor is not the role's usual one: name -> (GGUF tensor, suffix).
LOCAL_NAMES = {
    "router.score_correction_bias": ("exp_probs_b", "bias"),  # DeepSeek-V3 e_score_correction_bias
    "attn.sinks": ("attn_sinks", "weight"),
    "ssm.A_log": ("ssm_a", ""),
    "ssm.D": ("ssm_d", ""),
    "ssm.dt_norm.weight": ("ssm_dt_norm", "weight"),
    "ssm.b_norm.weight": ("ssm_b_norm", "weight"),
    "ssm.c_norm.weight": ("ssm_c_norm", "weight"),
}

# Model-level tensors.
MODEL_NAMES = {"embed": "token_embd", "lm_head": "output", "pos_embed": "position_embd",
               "type_embed": "token_types", "norm_embed": "token_embd_norm"}

# Per-architecture renames (llama.cpp architecture -> role -> GGUF tensor).
ARCH_NAMES = {
    "bert": {"norm_attn_out": "attn_output_norm", "norm_mlp_out": "layer_output_norm"},
    "t5": {"attn_o": "attn_o"},
}

# MTP module tensors (DeepSeek-V3 nextn layers): local name -> GGUF tensor.
MTP_NAMES = {"embed.weight": "nextn.embed_tokens", "enorm.weight": "nextn.enorm", "hnorm.weight": "nextn.hnorm",
             "eh_proj.weight": "nextn.eh_proj", "head_norm.weight": "nextn.shared_head_norm",
             "head.weight": "nextn.shared_head_head"}

# Roles a converted text GGUF has no tensor for (dropped by convert_hf_to_gguf.py or no llama.cpp arch).
NO_GGUF_ROLES = frozenset({"embed_proj", "mlm_transform", "mlm_bias", "pooler", "xattn_gate", "patch_embed",
                           "quant_scale"})


def llama_arch(spec: ModelSpec | None) -> str | None:
    """The llama.cpp architecture a converted file of this model declares (None when unknown)."""
    if spec is None:
        return None
    return LLAMA_ARCH.get(spec.model_type, spec.model_type)


def _suffix(t: Tensor) -> str:
    last = t.name.rsplit(".", 1)[-1]
    return last if last in ("weight", "bias") else "weight"


def _layer_spec(t: Tensor, spec: ModelSpec | None, layer: int):
    if spec is None or not t.stack:
        return None
    try:
        return spec.stack(t.stack).layers[layer]
    except (KeyError, IndexError):
        return None


def _falcon_two_norms(layer_spec) -> bool:
    """Falcon-40B layout: parallel attention with separate ln_attn / ln_mlp norms."""
    roles = {n.role for n in getattr(layer_spec, "norms", ())}
    return bool(getattr(layer_spec, "parallel", False)) and {"norm_attn_in", "norm_mlp_in"} <= roles


def _main_layers(spec: ModelSpec | None) -> int:
    stacks = spec.language_stacks if spec is not None else ()
    return stacks[0].num_layers if stacks else 0


def gguf_name(t: Tensor, layer: int | None = None, spec: ModelSpec | None = None) -> str:
    """The GGUF name llama.cpp gives tensor ``t`` (in ``layer`` for a layer tensor).

    ``spec`` selects architecture-specific names (BERT post-norms, Falcon-40B norms, T5 ``enc.``/``dec.``
    prefixes, MTP block numbering); without it decoder-only naming is assumed.
    Raises InputError for roles with no GGUF tensor (:data:`NO_GGUF_ROLES`) and non-language components.
    """
    if t.source:  # read from a GGUF file: the stored name is the truth
        return t.source
    if t.role in NO_GGUF_ROLES or t.component not in ("language", "mtp"):
        raise InputError(f"{t.full_name(layer)} ({t.role}, {t.component}) has no tensor in a llama.cpp text GGUF")
    arch = llama_arch(spec)
    encdec = spec is not None and spec.is_encoder_decoder
    suffix = _suffix(t)
    if not t.stack:  # model level
        base = MODEL_NAMES.get(t.role)
        if base is None:
            raise InputError(f"{t.name} ({t.role}) has no tensor in a llama.cpp text GGUF")
        return f"{base}.{suffix}"
    if not t.layers:  # stack level: the final norm
        if t.role != "norm_final":
            raise InputError(f"{t.full_name()} ({t.role}) has no tensor in a llama.cpp text GGUF")
        prefix = {"encoder": "enc.", "decoder": "dec."}.get(t.stack, "") if encdec else ""
        return f"{prefix}output_norm.{suffix}"
    if layer is None:
        if len(t.layers) != 1:
            raise InputError(f"{t.name}: stored in layers {t.layers}; say which layer")
        layer = t.layers[0]
    if t.component == "mtp":
        block = f"blk.{_main_layers(spec) + layer}."
        if t.name in MTP_NAMES:
            return f"{block}{MTP_NAMES[t.name]}.{suffix}"
    elif encdec:
        block = f"{'enc' if t.stack == 'encoder' else 'dec'}.blk.{layer}."
    else:
        block = f"blk.{layer}."
    if t.name in LOCAL_NAMES:
        base, suffix = LOCAL_NAMES[t.name]
    else:
        base = ARCH_NAMES.get("t5" if encdec else arch or "", {}).get(t.role) or LAYER_NAMES.get(t.role)
        if base is None:
            raise InputError(f"{t.full_name(layer)} ({t.role}) has no tensor in a llama.cpp text GGUF")
        if arch == "falcon" and t.role in ("norm_attn_in", "norm_mlp_in") and _falcon_two_norms(
                _layer_spec(t, spec, layer)):
            base = "attn_norm_2" if t.role == "norm_attn_in" else "attn_norm"
    return f"{block}{base}.{suffix}" if suffix else f"{block}{base}"


# --------------------------------------------------------------------------------------------------
# GGUF name -> (layer, role)

_BLOCK = re.compile(r"^(?:(?:enc|dec)\.)?blk\.(\d+)\.(.+)$")


def _reverse_table() -> dict[str, str]:
    rev: dict[str, str] = {}
    for role, base in LAYER_NAMES.items():
        rev.setdefault(base, role)  # the first role listed wins (attn_norm -> norm_attn_in, ffn_up -> mlp_up)
    for names in ARCH_NAMES.values():
        for role, base in names.items():
            rev.setdefault(base, role)
    rev.update({
        "exp_probs_b": "router", "ssm_dt_norm": "ssm_inner_norm", "ssm_b_norm": "ssm_inner_norm",
        "ssm_c_norm": "ssm_inner_norm",
        "attn_k_b": "attn_kv_b", "attn_v_b": "attn_kv_b",  # the split MLA up-projection
        "attn_norm_2": "norm_attn_in", "cross_attn_rel_b": "rel_bias",
        "nextn.embed_tokens": "embed", "nextn.enorm": "norm_embed", "nextn.hnorm": "norm_embed",
        "nextn.eh_proj": "other", "nextn.shared_head_norm": "norm_final", "nextn.shared_head_head": "lm_head",
    })
    return rev


_REVERSE = _reverse_table()
_REVERSE_MODEL = {base: role for role, base in MODEL_NAMES.items()}
_REVERSE_MODEL.update({"output_norm": "norm_final", "enc.output_norm": "norm_final", "dec.output_norm": "norm_final"})


def _strip_suffix(name: str) -> str:
    for sfx in (".weight", ".bias"):
        if name.endswith(sfx):
            return name[: -len(sfx)]
    return name


def classify_gguf(name: str) -> tuple[int | None, str]:
    """(layer, fine role) of a GGUF tensor name; names llama.cpp does not define here get role "other"."""
    m = _BLOCK.match(name)
    if m:
        return int(m.group(1)), _REVERSE.get(_strip_suffix(m.group(2)), "other")
    return None, _REVERSE_MODEL.get(_strip_suffix(name), "other")


# --------------------------------------------------------------------------------------------------
# Inventory -> the tensors of a converted GGUF file


class GgufTensor(NamedTuple):
    """One tensor as a converted GGUF file stores it."""

    tensor: Tensor  # the paramscope tensor (one layer); split tensors get their own name and shape
    name: str  # GGUF name
    ne: tuple[int, ...]  # ggml dimensions, innermost (row length) first


def ggml_dims(shape: tuple[int, ...], experts: int = 1) -> tuple[int, ...]:
    """ggml ``ne`` of a logical [out, in] (or stacked [experts, out, in]) tensor: innermost first."""
    ne = tuple(reversed(shape))
    return ne + (experts,) if experts > 1 else ne


def _mla_split(t: Tensor, name: str, a: AttentionSpec) -> list[GgufTensor]:
    """kv_b [n_head*(qk_nope+v), rank] -> attn_k_b {qk_nope, rank, n_head} + attn_v_b {rank, v, n_head}
    (convert_hf_to_gguf.py DeepseekV2Model.modify_tensors: view, split, k_b.transpose(1, 2))."""
    nh, rank, nope, vd = a.num_heads, a.kv_lora_rank, a.qk_nope_head_dim, a.v_dim
    if t.shape != (nh * (nope + vd), rank):
        raise InputError(f"{t.full_name()}: shape {t.shape} is not MLA kv_b [{nh}*({nope}+{vd}), {rank}]")
    k_shape, v_shape = (nh, rank, nope), (nh, vd, rank)
    k = t._replace(name=t.name.replace("kv_b", "k_b"), shape=k_shape)
    v = t._replace(name=t.name.replace("kv_b", "v_b"), shape=v_shape)
    return [GgufTensor(k, name.replace("attn_kv_b", "attn_k_b"), ggml_dims(k_shape)),
            GgufTensor(v, name.replace("attn_kv_b", "attn_v_b"), ggml_dims(v_shape))]


def _in_file(t: Tensor, include_mtp: bool) -> bool:
    if t.tied_to is not None:
        return False  # a tied head is the token embedding; the file stores it once
    if t.component == "mtp":
        return include_mtp
    return t.component == "language" and t.role not in NO_GGUF_ROLES


def _block_of(name: str) -> int:
    """The layer llama.cpp's weight_name_comparer sorts by (sscanf "blk.%d."; -1 otherwise)."""
    m = re.match(r"blk\.(\d+)\.", name)
    return int(m.group(1)) if m else -1


def gguf_layout(inv: Inventory, spec: ModelSpec | None = None, *, mla_split: bool = True,
                include_mtp: bool = False) -> list[GgufTensor]:
    """The tensors a converted GGUF of this model holds, in llama.cpp's load order (layer, then name:
    ``llama_model_loader::weight_name_comparer``). Tensors the converter drops are left out."""
    out: list[GgufTensor] = []
    for t in inv.expanded():
        if not _in_file(t, include_mtp):
            continue
        layer = t.layers[0] if t.layers else None
        name = gguf_name(t, layer, spec)
        ls = _layer_spec(t, spec, layer) if layer is not None else None
        attn = getattr(ls, "attention", None)
        if (mla_split and t.source is None and t.role == "attn_kv_b" and name.endswith(".weight")
                and isinstance(attn, AttentionSpec) and attn.kv_lora_rank is not None):
            out.extend(_mla_split(t, name, attn))
        else:
            out.append(GgufTensor(t, name, ggml_dims(t.shape, t.experts)))
    return sorted(out, key=lambda g: (_block_of(g.name), g.name))

