"""The tensor inventory: every weight a model stores, with its role, shape and place.

A :class:`ModelSpec` expands into an :class:`Inventory` (a *virtual state dict*); a safetensors or GGUF
header produces one directly from the file. Every parameter, memory and compute analysis sums over
this one list, so counts can be checked tensor by tensor against transformers' ``named_parameters()``
and against real files.

Compactness: identical layers share one entry (``layers`` lists them) and routed experts are one
entry with ``experts`` stacked copies, so Llama-3.1-70B is a dozen entries, not 723, and analysing a
model stays far below a millisecond. :meth:`Inventory.expanded` yields one entry per stored tensor
when per-tensor detail is needed.

Shapes are logical ``[out_features, in_features]`` for matrices, whatever the storage orientation
(GPT-2's Conv1D stores ``[in, out]``; GGUF lists dimensions innermost first).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from math import prod
from typing import NamedTuple

from .roles import APART_GROUPS, LANGUAGE, ROLE_GROUPS
from .spec import (
    AttentionSpec,
    ExtraTensor,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    MoeSpec,
    NormSpec,
    SsmSpec,
    StackSpec,
)


class Tensor(NamedTuple):
    name: str  # local name: "attn.q.weight"; the full name adds "<stack>.layers.<i>." (see full_name)
    role: str  # fine role, see roles.ROLE_GROUPS
    shape: tuple[int, ...]  # logical shape of one copy
    stack: str = ""  # "" for model-level tensors (embeddings, head)
    layers: tuple[int, ...] = ()  # layers of `stack` holding a stored copy; () for stack-level tensors
    experts: int = 1  # stacked copies per layer (routed experts)
    active: int | None = None  # copies one token uses (MoE top-k); None = all
    used_by: tuple[int, ...] | None = None  # layers using the stored copy (sharing); None = `layers`
    tied_to: str | None = None  # full name of the tensor this one aliases; never counted twice
    buffer: bool = False  # a non-trainable buffer in transformers (reported apart)
    component: str = LANGUAGE
    dtype: str | None = None  # stored dtype (file sources)
    nbytes: int | None = None  # stored bytes of this entry, all copies (file sources)
    source: str | None = None  # the tensor's name in the file it came from

    @property
    def numel(self) -> int:
        """Parameters in one stored copy set of one layer (all experts)."""
        return prod(self.shape) * self.experts

    @property
    def copies(self) -> int:
        """How many layers store this tensor (1 for stack- and model-level tensors)."""
        return len(self.layers) or 1

    @property
    def stored(self) -> int:
        """Parameters stored for this entry across its layers."""
        return self.numel * self.copies

    @property
    def group(self) -> str:
        return ROLE_GROUPS[self.role] if self.component == LANGUAGE else self.component

    @property
    def counted(self) -> bool:
        """Part of `total`: stored once, a trainable parameter, built by transformers."""
        return (
            self.tied_to is None
            and not self.buffer
            and self.component != "mtp"
            and ROLE_GROUPS[self.role] not in APART_GROUPS
        )

    def full_name(self, layer: int | None = None) -> str:
        if self.layers:
            i = self.layers[0] if layer is None else layer
            return f"{self.stack}.layers.{i}.{self.name}"
        return f"{self.stack}.{self.name}" if self.stack else self.name


@dataclass(frozen=True, slots=True)
class Inventory:
    tensors: tuple[Tensor, ...]

    def __iter__(self) -> Iterator[Tensor]:
        return iter(self.tensors)

    def __len__(self) -> int:
        return len(self.tensors)

    def expanded(self) -> Iterator[Tensor]:
        """One entry per stored tensor (per layer), with full names."""
        for t in self.tensors:
            if len(t.layers) <= 1:
                yield t
            else:
                nb = None if t.nbytes is None else t.nbytes // len(t.layers)
                for i in t.layers:
                    yield t._replace(layers=(i,), nbytes=nb, used_by=None if t.used_by is None else t.used_by)


# --------------------------------------------------------------------------------------------------
# ModelSpec -> Inventory


def _linear(name: str, role: str, out_f: int, in_f: int, bias: bool) -> list[tuple[str, str, tuple[int, ...]]]:
    items = [(f"{name}.weight", role, (out_f, in_f))]
    if bias:
        items.append((f"{name}.bias", role, (out_f,)))
    return items


def _conv1x1(name: str, role: str, out_f: int, in_f: int, groups: int, bias: bool) -> list[tuple[str, str, tuple[int, ...]]]:
    """A pointwise (kernel 1) grouped Conv1d: weight [out, in / groups, 1] (torch.nn.Conv1d's layout), bias [out]."""
    items = [(f"{name}.weight", role, (out_f, in_f // groups, 1))]
    if bias:
        items.append((f"{name}.bias", role, (out_f,)))
    return items


def _grouped_linear(name: str, role: str, out_f: int, in_f: int, groups: int,
                    bias: bool) -> list[tuple[str, str, tuple[int, ...]]]:
    """ConvBERT's GroupedLinearLayer: `groups` blocks of [out / groups, in / groups] (stored transposed, as
    [groups, in / groups, out / groups]) and one bias [out]."""
    items = [(f"{name}.weight", role, (groups, out_f // groups, in_f // groups))]
    if bias:
        items.append((f"{name}.bias", role, (out_f,)))
    return items


def _span_conv(a: AttentionSpec, hidden: int, p: str, r: str) -> list[tuple[str, str, tuple[int, ...]]]:
    """ConvBERT's span-based dynamic convolution heads (see AttentionSpec.span_conv_kernel). FLOPs follow the
    weights (the depthwise kernel's hidden x kernel and the pointwise, kernel-generating and conv_out matrices);
    left out, as for softmax and other per-token elementwise work, are the query x key-conv product and the
    dynamic convolution itself (each conv head mixes kernel positions of head_dim values: 2 x heads x head_dim x
    kernel FLOPs per token, ~0.05% of a default ConvBERT-base layer's matrix FLOPs)."""
    w, k = a.num_heads * a.head_dim, a.span_conv_kernel
    return [(f"{p}.key_conv.depthwise.weight", r + "conv", (hidden, 1, k)),
            (f"{p}.key_conv.pointwise.weight", r + "conv", (w, hidden, 1)),
            (f"{p}.key_conv.bias", r + "conv", (w,)),  # stored [w, 1]: one bias per channel
            *_linear(f"{p}.conv_kernel", r + "conv", a.num_heads * k, w, True),
            *_linear(f"{p}.conv_out", r + "conv", w, hidden, True)]


def _norm(n: NormSpec, prefix: str = "") -> list[tuple[str, str, tuple[int, ...]]]:
    items = [(f"{prefix}{n.role}.weight", n.role, (n.width,))]
    if n.bias:
        items.append((f"{prefix}{n.role}.bias", n.role, (n.width,)))
    return items


def _attention(a: AttentionSpec, hidden: int, norm: NormSpec | None) -> list[tuple[str, str, tuple[int, ...]]]:
    """q/k/v/o (or fused qkv, or MLA sub-projections), biases, q/k norms, sinks, relative bias."""
    if a.tensors:  # listed by the adapter (DeepSeek-V4's attention and compressors)
        return [(e.name, e.role, e.shape) for e in a.tensors]
    if a.merged:  # runs through the self-attention's tensors (T5Gemma 2)
        return []
    p = "xattn" if a.cross else "attn"
    r = p + "_"
    q_in = a.input_width or hidden  # Zamba's shared block: concat(hidden, embedding)
    kv_in = a.kv_input_width or q_in
    nh, nkv, hd, vd = a.num_heads, a.num_kv_heads, a.head_dim, a.v_dim
    items: list[tuple[str, str, tuple[int, ...]]] = []
    norm_kind = norm.kind if norm is not None else "rmsnorm"
    norm_bias = norm.bias if norm is not None else False
    if a.kv_lora_rank is not None:  # MLA (DeepSeek-V2 section 2.1; transformers DeepseekV3Attention)
        if a.q_lora_rank is not None:
            items += _linear(f"{p}.q_a", r + "q_a", a.q_lora_rank, hidden, a.qkv_bias)
            items += _norm(NormSpec("norm_q_a", a.q_lora_rank, norm_bias, norm_kind), f"{p}.")
            if a.q_gate:  # A.X K2: q and the output gate from [latent, normed latent]
                items += _linear(f"{p}.q_gate", r + "q_b", nh * (hd + vd), 2 * a.q_lora_rank, False)
            else:
                items += _linear(f"{p}.q_b", r + "q_b", nh * hd, a.q_lora_rank, False)
        else:
            items += _linear(f"{p}.q", r + "q", nh * hd, hidden, False)
        # kv_a also produces the shared rotary key (qk_rope_head_dim), hence "with_mqa"
        items += _linear(f"{p}.kv_a", r + "kv_a", a.kv_lora_rank + a.qk_rope_head_dim, hidden, a.qkv_bias)
        items += _norm(NormSpec("norm_kv_a", a.kv_lora_rank, norm_bias, norm_kind), f"{p}.")
        items += _linear(f"{p}.kv_b", r + "kv_b", nh * (a.qk_nope_head_dim + vd), a.kv_lora_rank, False)
    elif a.proj_groups is not None:  # SqueezeBERT: grouped pointwise convolutions, o included
        gq, gk, gv, go = a.proj_groups
        w = nh * hd
        items += _conv1x1(f"{p}.q", r + "q", w, q_in, gq, a.qkv_bias)
        items += _conv1x1(f"{p}.k", r + "k", w, kv_in, gk, a.qkv_bias)
        items += _conv1x1(f"{p}.v", r + "v", w, kv_in, gv, a.qkv_bias)
        items += _conv1x1(f"{p}.o", r + "o", hidden, w, go, a.o_bias)
    elif a.fused_qkv:
        items += _linear(f"{p}.qkv", r + "qkv", nh * hd + nkv * hd + nkv * vd, hidden, a.qkv_bias)
    else:  # a gated attention's q_proj also emits the gate: 2 x heads x head_dim rows
        items += _linear(f"{p}.q", r + "q", nh * hd * (2 if a.output_gate else 1), q_in, a.qkv_bias)
        if not a.kv_shared:
            items += _linear(f"{p}.k", r + "k", nkv * hd, kv_in, a.qkv_bias)
            if not a.values_from_keys and not a.v_in_mixer:
                items += _linear(f"{p}.v", r + "v", nkv * vd, a.v_input_width or kv_in, a.qkv_bias)
        if a.span_conv_kernel:
            items += _span_conv(a, hidden, p, r)
    if a.proj_groups is None:  # ConvBERT: the attention and convolution heads' outputs concatenated
        items += _linear(f"{p}.o", r + "o", hidden, nh * vd * (2 if a.span_conv_kernel else 1), a.o_bias)
    if a.qk_norm != "none":
        qw, kw = (hd, hd) if a.qk_norm == "head" else (nh * hd, nkv * hd)
        items += _norm(NormSpec("norm_q", qw, norm_bias, norm_kind), f"{p}.")
        if not a.kv_shared:
            items += _norm(NormSpec("norm_k", kw, norm_bias, norm_kind), f"{p}.")
    if a.sinks:
        items.append((f"{p}.sinks", r + "sinks", (nh,)))
    if a.index_heads and a.index_block:  # Qwen4ExpTextQSAIndexer: fused q/k projection, q and pooled-key RMSNorms
        items += _linear(f"{p}.indexer.qk", "attn_indexer", (a.index_heads + 1) * a.index_head_dim, hidden, False)
        items += [(f"{p}.indexer.q_norm.weight", "attn_indexer", (a.index_head_dim,)),
                  (f"{p}.indexer.k_norm.weight", "attn_indexer", (a.index_head_dim,))]
    elif a.index_heads:  # DeepseekV32Indexer: wq_b from the q latent, wk, a LayerNorm on keys, head weights
        q_in = a.q_lora_rank if a.q_lora_rank is not None else hidden
        items += _linear(f"{p}.indexer.wq_b", "attn_indexer", a.index_heads * a.index_head_dim, q_in, False)
        items += _linear(f"{p}.indexer.wk", "attn_indexer", a.index_head_dim, hidden, False)
        items += [(f"{p}.indexer.k_norm.weight", "attn_indexer", (a.index_head_dim,)),
                  (f"{p}.indexer.k_norm.bias", "attn_indexer", (a.index_head_dim,))]
        items += _linear(f"{p}.indexer.weights_proj", "attn_indexer", a.index_heads, hidden, False)
    if a.rel_bias_buckets:
        items.append((f"{p}.rel_bias.weight", "rel_bias", (a.rel_bias_buckets, nh)))
    return items


def _attention_experts(a: AttentionSpec, hidden: int) -> list[Tensor]:
    """Mixture of attention heads (JetMoE's JetMoeMoA, transformers jetmoe/modeling_jetmoe.py): a router
    [experts, hidden], routed q experts [kv heads x head_dim, hidden] and o experts [hidden, kv heads x
    head_dim] of which a token uses num_heads / num_kv_heads, the MoA's output bias [hidden] and one shared
    fused k/v projection [2 x kv heads x head_dim, hidden]."""
    w, e, k = a.num_kv_heads * a.head_dim, a.experts, a.num_heads // a.num_kv_heads
    return [Tensor("attn.router.weight", "router", (e, hidden)),
            Tensor("attn.q_experts.weight", "attn_q", (w, hidden), experts=e, active=k),
            Tensor("attn.o_experts.weight", "attn_o", (hidden, w), experts=e, active=k),
            Tensor("attn.o_experts.bias", "attn_o", (hidden,)),
            Tensor("attn.kv.weight", "attn_qkv", (2 * w, hidden))]


def _mlp(m: MlpSpec, hidden: int, prefix: str, role_prefix: str) -> list[tuple[str, str, tuple[int, ...]]]:
    i = m.intermediate_size
    items: list[tuple[str, str, tuple[int, ...]]] = []
    if m.conv_groups is not None:  # SqueezeBERT: grouped pointwise convolutions
        items += _conv1x1(f"{prefix}.up", role_prefix + "up", i, hidden, m.conv_groups[0], m.bias)
        items += _conv1x1(f"{prefix}.down", role_prefix + "down", hidden, i, m.conv_groups[1], m.bias)
        return items
    if m.linear_groups > 1:  # ConvBERT: grouped linear layers
        items += _grouped_linear(f"{prefix}.up", role_prefix + "up", i, hidden, m.linear_groups, m.bias)
        items += _grouped_linear(f"{prefix}.down", role_prefix + "down", hidden, i, m.linear_groups, m.bias)
        return items
    if m.gated and m.fused_gate_up:
        items += _linear(f"{prefix}.gate_up", role_prefix + "gate_up", 2 * i, hidden, m.bias)
    elif m.gated:
        items += _linear(f"{prefix}.gate", role_prefix + "gate", i, hidden, m.bias)
        items += _linear(f"{prefix}.up", role_prefix + "up", i, hidden, m.bias)
    else:
        items += _linear(f"{prefix}.up", role_prefix + "up", i, hidden, m.bias)
    items += _linear(f"{prefix}.down", role_prefix + "down", hidden, i, m.bias)
    return items


def _ssm(s: SsmSpec, hidden: int) -> list[tuple[str, str, tuple[int, ...]]]:
    """Mamba-1 mixer (Gu & Dao 2023; transformers MambaMixer)."""
    di = s.d_inner
    items = _linear("ssm.in", "ssm_in", 2 * di, hidden, s.proj_bias)  # x and the gate z
    items.append(("ssm.conv.weight", "ssm_conv", (di, 1, s.d_conv)))  # depthwise conv
    if s.conv_bias:
        items.append(("ssm.conv.bias", "ssm_conv", (di,)))
    items += _linear("ssm.x", "ssm_x", s.dt_rank + 2 * s.d_state, di, False)  # -> dt, B, C
    items += _linear("ssm.dt", "ssm_dt", di, s.dt_rank, True)
    items.append(("ssm.A_log", "ssm_a", (di, s.d_state)))
    items.append(("ssm.D", "ssm_d", (di,)))
    items += _linear("ssm.out", "ssm_out", hidden, di, s.proj_bias)
    if s.inner_norms:
        items += [("ssm.dt_norm.weight", "ssm_inner_norm", (s.dt_rank,)),
                  ("ssm.b_norm.weight", "ssm_inner_norm", (s.d_state,)),
                  ("ssm.c_norm.weight", "ssm_inner_norm", (s.d_state,))]
    return items


def layer_tensors(layer: LayerSpec, hidden: int) -> list[Tensor]:
    """The tensors one layer stores (without stack/layer placement)."""
    out: list[Tensor] = []
    first_norm = layer.norms[0] if layer.norms else None

    def add(items, **kw):
        out.extend(Tensor(n, r, s, **kw) for n, r, s in items)

    if layer.attention is not None and layer.attention.experts:
        out.extend(_attention_experts(layer.attention, hidden))
    elif layer.attention is not None:
        add(_attention(layer.attention, hidden, first_norm))
    if layer.cross_attention is not None:
        add(_attention(layer.cross_attention, hidden, first_norm))
    if layer.ssm is not None:
        add(_ssm(layer.ssm, hidden))
    if layer.recurrent is not None:
        add((e.name, e.role, e.shape) for e in layer.recurrent.tensors)
    ffn = layer.ffn
    if isinstance(ffn, MlpSpec):
        add(_mlp(ffn, hidden, "mlp", "mlp_"))
    elif isinstance(ffn, MoeSpec):
        add(_linear("router", "router", ffn.num_experts + ffn.zero_experts + ffn.router_shared_rows,
                    ffn.router_input_width or hidden, ffn.router_bias))
        if ffn.score_correction_bias:
            out.append(Tensor("router.score_correction_bias", "router", (ffn.num_experts + ffn.zero_experts,), buffer=True))
        add(_mlp(ffn.expert, hidden, "experts", "expert_"), experts=ffn.num_experts, active=ffn.top_k)
        if ffn.shared is not None:
            add(_mlp(ffn.shared, hidden, "shared", "shared_"))
        if ffn.shared_expert_gate:
            out.append(Tensor("shared.expert_gate.weight", "shared_expert_gate", (1, hidden)))
    for n in layer.norms:
        add(_norm(n))
    out.extend(Tensor(e.name, e.role, e.shape, active=0 if e.idle else None) for e in layer.extra)
    return out


def _stack_tensors(stack: StackSpec) -> list[Tensor]:
    out: list[Tensor] = []
    comp = stack.component
    for e in stack.extra:
        out.append(Tensor(e.name, e.role, e.shape, stack=stack.name, component=comp))
    # Group stored layers by spec identity (adapters reuse one LayerSpec object per kind).
    shares = stack.shares
    groups: dict[tuple, list[int]] = {}
    specs: dict[tuple, LayerSpec] = {}
    for i, layer in enumerate(stack.layers):
        if shares is not None and shares[i] != i:
            continue  # uses another layer's weights
        users = None if shares is None else tuple(k for k, j in enumerate(shares) if j == i)
        key = (id(layer), users)
        groups.setdefault(key, []).append(i)
        specs[key] = layer
    for key, idx in groups.items():
        for t in layer_tensors(specs[key], stack.hidden_size):
            out.append(t._replace(stack=stack.name, layers=tuple(idx), used_by=key[1], component=comp))
    if stack.final_norm is not None:
        for n, r, s in _norm(stack.final_norm):
            out.append(Tensor(n, r, s, stack=stack.name, component=comp))
    return out


def build_inventory(spec: ModelSpec) -> Inventory:
    """Expand a ModelSpec into its tensors, in the order transformers builds them."""
    e = spec.embedding
    out: list[Tensor] = [Tensor("embed.weight", "embed", (e.vocab_size, e.width))]
    if e.position == "learned":
        out.append(Tensor("pos_embed.weight", "pos_embed", (e.max_positions, e.width)))
    if e.token_types:
        out.append(Tensor("type_embed.weight", "type_embed", (e.token_types, e.width)))
    if e.norm is not None:
        out.extend(Tensor(n, r, s) for n, r, s in _norm(e.norm))
    if e.project_to is not None:
        out.extend(Tensor(n, r, s) for n, r, s in _linear("embed_proj", "embed_proj", e.project_to, e.width, True))
    for stack in spec.stacks:
        out.extend(_stack_tensors(stack))
    h = spec.head
    if h.pooler:
        out.extend(Tensor(n, r, s) for n, r, s in _linear("pooler", "pooler", spec.hidden_size, spec.hidden_size, True))
    if h.kind == "lm":
        tied = "embed.weight" if e.tied_head else None
        width = e.width if e.tied_head else spec.hidden_size
        out.append(Tensor("lm_head.weight", "lm_head", (e.vocab_size, width), tied_to=tied))
        if h.bias:
            out.append(Tensor("lm_head.bias", "lm_head", (e.vocab_size,)))
    elif h.kind == "mlm":
        width = h.transform_width or spec.hidden_size
        out.extend(Tensor(n, r, s) for n, r, s in _linear("mlm.transform", "mlm_transform", width, spec.hidden_size, True))
        if h.transform_norm is not None:
            out.extend(Tensor(n, "mlm_transform", s) for n, _r, s in _norm(h.transform_norm, "mlm."))
        tied = "embed.weight" if e.tied_head else None
        dw = h.decoder_width or width
        out.append(Tensor("mlm.decoder.weight", "lm_head", (e.vocab_size, dw), tied_to=tied))
        if dw < width:  # MobileBERT's cls.predictions.dense: the rest of the vocabulary matrix, never tied
            out.append(Tensor("mlm.decoder_rest.weight", "lm_head", (e.vocab_size, width - dw)))
        if h.bias:
            out.append(Tensor("mlm.bias", "mlm_bias", (e.vocab_size,)))
    for x in spec.extra:
        out.append(_extra(x))
    return Inventory(tuple(out))


def _extra(x: ExtraTensor) -> Tensor:
    """Model-level extra tensors; a name starting with 'vision.'/'projector.' sets the component."""
    comp = x.name.split(".", 1)[0]
    return Tensor(x.name, x.role, x.shape, component=comp if comp in ("vision", "projector", "audio", "mtp") else LANGUAGE)
