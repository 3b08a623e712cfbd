"""Transient activation memory of inference: the peak of one prefill chunk through one layer, plus the
logits over the vocabulary.

Inside a layer the live tensors at the peak are the residual stream and its normalized copy (2 T h), plus
the larger of the attention working set (q, the new k and v, the attention output: T (n_q d_q + n_kv (d_k
+ d_v) + n_q d_v)) and the feed-forward working set (gated: gate, up and their product, 3 T i; plain: 2 T i;
MoE: each token's top-k experts plus the router logits), all in the activation dtype. T is the number of
tokens in the chunk. This assumes a memory-efficient attention kernel (FlashAttention / SDPA on GPU), so
no T x T score matrix is materialized; an eager implementation adds b n_q s^2 elements.

The logits are the output projection for the positions whose next token is sampled (one per sequence in
generation), kept in the model dtype and copied to fp32 for sampling (transformers generate(): logits
[:, -1, :] .to(float32); vLLM's sampler computes fp32 logits). These are derived from the tensor shapes,
not fitted; docs/validation.md compares them with measured peaks.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..spec import AttentionSpec, LayerSpec, MlpSpec, ModelSpec, MoeSpec


@dataclass(frozen=True)
class ActivationReport:
    tokens: int  # tokens in the prefill chunk (all sequences)
    layer_peak_bytes: int
    logits_bytes: int
    total_bytes: int
    dominant: str  # "attention" | "feed-forward" | "logits"

    def to_dict(self) -> dict:
        return {"tokens": self.tokens, "layer_peak_bytes": self.layer_peak_bytes, "logits_bytes": self.logits_bytes,
                "activation_bytes": self.total_bytes, "dominant": self.dominant}


def _attn_elems(a: AttentionSpec, tokens: int, tp: int) -> int:
    heads = math.ceil(a.num_heads / tp)
    kv = math.ceil(a.num_kv_heads / tp)
    if a.kind == "mla":
        # q, the latent (kv_lora_rank + rope), the expanded k/v for the chunk, the output
        return tokens * (heads * a.head_dim + a.kv_lora_rank + a.qk_rope_head_dim
                         + heads * (a.qk_nope_head_dim + a.v_dim) + heads * a.v_dim)
    return tokens * (heads * a.head_dim + kv * (a.head_dim + a.v_dim) + heads * a.v_dim)


def _mlp_elems(m: MlpSpec, tokens: int, tp: int) -> int:
    i = math.ceil(m.intermediate_size / tp)
    return tokens * i * (3 if m.gated else 2)


def _ffn_elems(f, tokens: int, tp: int) -> int:
    if isinstance(f, MoeSpec):
        routed = _mlp_elems(f.expert, tokens * f.top_k, tp)
        shared = _mlp_elems(f.shared, tokens, tp) if f.shared is not None else 0
        router_logits = tokens * f.num_experts
        return routed + shared + router_logits
    if isinstance(f, MlpSpec):
        return _mlp_elems(f, tokens, tp)
    return 0


def _layer_elems(layer: LayerSpec, hidden: int, tokens: int, tp: int) -> tuple[int, str]:
    attn = _attn_elems(layer.attention, tokens, tp) if layer.attention is not None else 0
    if layer.ssm is not None:  # in_proj output (x and z), conv output, dt/B/C, scan output
        s = layer.ssm
        attn = max(attn, tokens * (2 * s.d_inner + s.d_inner + s.dt_rank + 2 * s.d_state + s.d_inner))
    if layer.recurrent is not None:  # the adapter states the mixer's widest intermediate per token
        attn = max(attn, tokens * layer.recurrent.activation_width)
    ffn = _ffn_elems(layer.ffn, tokens, tp)
    base = 2 * tokens * hidden
    return base + max(attn, ffn), ("attention" if attn >= ffn else "feed-forward")


def inference_activations(spec: ModelSpec, *, tokens: int, sampled: int, act_bits: float,
                          tensor_parallel: int = 1, sampler_copies: float | None = None) -> ActivationReport:
    """Peak transient bytes for a prefill chunk of ``tokens`` tokens with ``sampled`` positions whose
    logits are computed (one per sequence when generating)."""
    peak, dominant = 0, "attention"
    seen = set()
    for stack in spec.stacks:
        if stack.component != "language" or not stack.in_total:
            continue
        for layer in stack.layers:
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            e, what = _layer_elems(layer, stack.hidden_size, tokens, tensor_parallel)
            if e > peak:
                peak, dominant = e, what
    layer_bytes = math.ceil(peak * act_bits / 8)
    vocab = math.ceil(spec.embedding.vocab_size / tensor_parallel)
    logits = sampled * vocab * (act_bits / 8 + 4)  # model-dtype logits + their fp32 copy
    logits = math.ceil(logits)
    if sampler_copies is not None:
        # vLLM: the sampler warm-up holds ``sampler_copies`` fp32 [sampled, vocab] tensors at its peak
        # (full vocabulary on every rank after the all-gather); a calibrated factor, see engines.toml.
        logits = max(logits, math.ceil(sampler_copies * sampled * spec.embedding.vocab_size * 4))    # The logits exist after the last layer, next to the final hidden states, not during a layer's peak.
    after_layers = logits + math.ceil(tokens * spec.hidden_size * act_bits / 8)
    total = max(layer_bytes, after_layers)
    if after_layers > layer_bytes:
        dominant = "logits"
    return ActivationReport(tokens, layer_bytes, logits, total, dominant)
