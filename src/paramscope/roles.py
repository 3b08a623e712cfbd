"""Tensor roles: the closed vocabulary every source and analysis shares.

A *fine role* names what one stored tensor is for (``attn_q``, ``expert_down``, ``norm_final``...).
Each fine role belongs to one *group* (``attention``, ``experts``, ``norm``...); ``by_role`` reports
groups, ``by_tensor_role`` reports fine roles. Tensors of a non-language component (vision tower,
projector) are grouped under the component name, so a vision encoder's attention never inflates the
language model's ``attention`` figure. MTP modules and quantization scale tensors are reported apart
and never counted in ``total``.
"""

from __future__ import annotations

ROLE_GROUPS: dict[str, str] = {
    # token embeddings; ALBERT's factorized embedding projection
    "embed": "embedding",
    "embed_proj": "embedding",
    # positional information that is learned: absolute table, token types, T5 relative bias
    "pos_embed": "position",
    "type_embed": "position",
    "rel_bias": "position",
    # self-attention projections (weights and their biases)
    "attn_q": "attention",
    "attn_k": "attention",
    "attn_v": "attention",
    "attn_o": "attention",
    "attn_qkv": "attention",  # fused q/k/v (GPT-2 c_attn, Phi-3 qkv_proj, Falcon query_key_value)
    "attn_rel": "attention",  # projection to per-head relative-position states (Inkling's r_proj)
    "attn_scale": "attention",  # learned elementwise per-head scales (Inkling 2's q and relative-state L2 clips)
    "attn_sinks": "attention",  # per-head attention sink logits (gpt-oss)
    "attn_indexer": "attention",  # the lightning indexer of indexed sparse attention (DeepSeek-V3.2)
    # convolutions inside the attention: ConvBERT's span-based dynamic convolution heads beside its attention heads,
    # short convolutions on keys and values (Inkling), ZAYA's q/k convolutions
    "attn_conv": "attention",
    # DeepSeek-V4's KV compressors (their kv/gate projections and kv norm) and their per-position gate biases
    # [rate, width], added to the gate logits (not a matmul)
    "attn_compressor": "attention",
    "attn_compressor_bias": "attention",
    # MLA sub-projections (DeepSeek-V2/V3)
    "attn_q_a": "attention",
    "attn_q_b": "attention",
    "attn_kv_a": "attention",
    "attn_kv_b": "attention",
    # cross-attention (encoder-decoder, vision cross-attention layers)
    "xattn_q": "cross_attention",
    "xattn_k": "cross_attention",
    "xattn_v": "cross_attention",
    "xattn_o": "cross_attention",
    "xattn_gate": "cross_attention",
    # dense feed-forward
    "mlp_gate": "mlp",
    "mlp_up": "mlp",
    "mlp_down": "mlp",
    "mlp_gate_up": "mlp",
    # MoE routed experts
    "expert_gate": "experts",
    "expert_up": "experts",
    "expert_down": "experts",
    "expert_gate_up": "experts",
    # MoE shared experts (always active)
    "shared_gate": "shared_experts",
    "shared_up": "shared_experts",
    "shared_down": "shared_experts",
    "shared_gate_up": "shared_experts",  # fused gate/up of a shared expert (Granite's shared_mlp.input_linear)
    "shared_expert_gate": "shared_experts",
    # MoE router
    "router": "router",
    # normalization weights and biases
    "norm_attn_in": "norm",
    "norm_attn_out": "norm",
    "norm_mlp_in": "norm",
    "norm_mlp_out": "norm",
    "norm_cross_in": "norm",
    "norm_final": "norm",
    "norm_embed": "norm",
    "norm_q": "norm",
    "norm_k": "norm",
    "norm_q_a": "norm",
    "norm_kv_a": "norm",
    "norm_ssm": "norm",
    # output heads
    "lm_head": "head",
    "mlm_transform": "head",
    "mlm_bias": "head",
    "pooler": "head",
    # state-space (Mamba) mixer
    "ssm_in": "ssm",
    "ssm_conv": "ssm",
    "ssm_x": "ssm",
    "ssm_dt": "ssm",
    "ssm_a": "ssm",
    "ssm_d": "ssm",
    "ssm_out": "ssm",
    "ssm_inner_norm": "ssm",
    # linear-time mixers described by RecurrentSpec (gated DeltaNet, lightning attention, short convolutions)
    "lin_in": "linear_mixer",  # input projections (q/k/v/gates fused or apart)
    "lin_conv": "linear_mixer",  # causal depthwise convolution
    "lin_gate": "linear_mixer",  # per-head decay / step parameters (A_log, dt_bias, beta)
    "lin_norm": "linear_mixer",  # the mixer's own output norm
    "lin_out": "linear_mixer",  # output projection
    # multimodal pieces with no better name (patch embeddings, gates, projector matrices)
    "patch_embed": "other",
    # MobileBERT's per-layer projections between the hidden width and the narrower width its attention and
    # feed-forward networks run at (bottleneck.input / bottleneck.attention / output.bottleneck)
    "bottleneck": "other",
    # learned queries of block attention residuals over depth (Inkling 2's attention_input / mlp_input / final_input)
    "depth_query": "other",
    "other": "other",
    # quantization metadata: scales, zeros, group indices (counted apart, never in total)
    "quant_scale": "quant_meta",
}

# Groups whose tensors are never part of `total`.
APART_GROUPS = frozenset({"quant_meta"})

# Components of a model. Only "language" uses the role groups above in by_role; the others are
# reported as a group of their own name.
LANGUAGE = "language"
COMPONENTS = ("language", "vision", "projector", "mtp", "audio")

GROUP_ORDER = (
    "embedding",
    "position",
    "attention",
    "cross_attention",
    "mlp",
    "experts",
    "shared_experts",
    "router",
    "ssm",
    "linear_mixer",
    "norm",
    "head",
    "other",
    "vision",
    "projector",
    "audio",
)

# Groups whose parameters a token uses only in part (routed experts: top_k of num_experts).
ROUTED = frozenset({"experts"})


def group_of(role: str) -> str:
    try:
        return ROLE_GROUPS[role]
    except KeyError:
        raise KeyError(f"unknown tensor role {role!r}") from None
