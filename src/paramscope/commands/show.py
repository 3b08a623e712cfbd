"""paramscope show MODEL"""

from __future__ import annotations

from .. import render, specio
from ..spec import LayerSpec, MoeSpec, StackSpec
from . import load


def _ranges(idx: list[int]) -> str:
    parts, start, prev = [], None, None
    for i in idx:
        if start is None:
            start = prev = i
        elif i == prev + 1:
            prev = i
        else:
            parts.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = i
    if start is not None:
        parts.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ",".join(parts)


def layer_groups(stack: StackSpec) -> list[tuple[list[int], LayerSpec]]:
    groups: dict[int, tuple[list[int], LayerSpec]] = {}
    for i, layer in enumerate(stack.layers):
        groups.setdefault(id(layer), ([], layer))[0].append(i)
    return list(groups.values())


def describe_layer(layer: LayerSpec) -> str:
    parts = []
    a = layer.attention
    if a is not None:
        if a.kind == "mla":
            q = f"q_lora {a.q_lora_rank}" if a.q_lora_rank else "full q"
            s = (f"MLA {a.num_heads} heads, {q}, kv_lora {a.kv_lora_rank}, qk {a.qk_nope_head_dim}+"
                 f"{a.qk_rope_head_dim} rope, v {a.v_dim}")
        else:
            s = f"{a.kind.upper()} {a.num_heads}q/{a.num_kv_heads}kv x {a.head_dim}"
            if a.v_dim != a.head_dim:
                s += f" (v {a.v_dim})"
        flags = [f for f, on in (("qkv-bias", a.qkv_bias), ("o-bias", a.o_bias), ("fused-qkv", a.fused_qkv),
                                 (f"qk-norm:{a.qk_norm}", a.qk_norm != "none"), ("sinks", a.sinks)) if on]
        if a.window:
            flags.append(f"window {a.window}")
        for c in a.compressors:  # DeepSeek-V4's KV compressors (spec.KvCompressorSpec)
            flags.append(f"indexer {c.score_heads}h x {c.width} per {c.rate} tokens" if c.score_heads else
                         f"compressed KV per {c.rate} tokens" + (f", top-{c.topk}" if c.topk else ""))
        parts.append(s + (f" [{', '.join(flags)}]" if flags else ""))
    if layer.cross_attention is not None:
        parts.append(f"cross-attn {layer.cross_attention.num_heads}h")
    if layer.ssm is not None:
        m = layer.ssm
        parts.append(f"Mamba d_inner {m.d_inner}, d_state {m.d_state}, conv {m.d_conv}, dt_rank {m.dt_rank}")
    if layer.recurrent is not None:
        r = layer.recurrent
        parts.append(f"{r.kind}: state {r.state_elements:,} + conv {r.conv_channels} x {r.conv_kernel} per sequence")
    f = layer.ffn
    if isinstance(f, MoeSpec):
        s = f"MoE {f.num_experts} experts top-{f.top_k} x {f.expert.intermediate_size}"
        if f.shared is not None:
            s += f" + shared {f.shared.intermediate_size}"
        parts.append(s)
    elif f is not None:
        parts.append(f"{'gated' if f.gated else 'plain'} MLP {f.intermediate_size}" + (" +bias" if f.bias else ""))
    if layer.parallel:
        parts.append("parallel block")
    return "; ".join(parts)


def run(args) -> int:
    model = load(args.model)
    spec = model.require_spec("show")
    rec = model.record or {}
    if args.json:
        d = specio.to_dict(spec)
        d["source"] = {"kind": model.source, "origin": model.origin, "url": rec.get("source"),
                       "copy": rec.get("copy"), "notes": rec.get("notes")}
        render.emit_json(d)
        return 0
    e = spec.embedding
    print(f"{render.clean(spec.name)}: {spec.architecture} ({spec.model_type})")
    if rec.get("source"):
        print(f"source: {rec['source']}")
    if rec.get("notes"):
        print(f"notes: {rec['notes']}")
    emb = f"vocab {e.vocab_size} x {e.width}, positions {e.position}"
    if e.position == "learned":
        emb += f" ({e.max_positions})"
    if e.token_types:
        emb += f", {e.token_types} token types"
    if e.project_to:
        emb += f", projected to {e.project_to}"
    emb += ", head tied" if e.tied_head else (", head untied" if spec.head.kind == "lm" else "")
    print(f"hidden {spec.hidden_size}; {emb}; head {spec.head.kind}; max context {spec.max_context}")
    for s in spec.stacks:
        flags = [s.component] + (["not in total"] if not s.in_total else []) + (["shared layers"] if s.shares else [])
        print(f"\n{s.name} ({', '.join(flags)}): {s.num_layers} layers, hidden {s.hidden_size}")
        for idx, layer in layer_groups(s):
            print(f"  layers {_ranges(idx)}: {describe_layer(layer)}")
    return 0
