"""An explicit map from transformers' parameter names to paramscope's fine roles, per family.

This table is the *independent* side of the role oracle (tests/test_role_truth.py). It was written by
reading transformers' modeling files (``transformers/models/<family>/modeling_<family>.py``, version 5.x)
and deliberately does not import or reuse ``paramscope.sources.names``: if paramscope swapped q and k,
or reported shared experts as ``mlp``, the two sides would disagree.

Each :class:`Rule` matches a full ``named_parameters()`` name (``re.fullmatch``) and says which fine role
the tensor has, in which stack (``""`` = model level: embeddings, head, projector) and component, and
how its stored shape maps to paramscope's logical per-copy shape (``layout``):

- ``plain``: stored as ``[out, in]`` (``nn.Linear``), or a vector / embedding table; as is.
- ``in_out``: GPT-2 / GPT-1 ``Conv1D`` and Gemma 3's projector matrix, stored ``[in, out]``; transposed.
- ``experts``: a 3-D routed-expert stack ``[E, out, in]`` (or ``[E, n]`` biases): ``E`` copies.
- ``experts_in_out``: gpt-oss's stacks ``[E, in, out]`` (``x @ W``): ``E`` transposed copies.
- ``experts_gate_up``: transformers 5 fuses the checkpoint's per-expert gate (w1 / gate_proj) and up
  (w3 / up_proj) into ``gate_up_proj [E, 2I, H]`` and splits it with ``.chunk(2, dim=-1)``: the first
  ``I`` rows are the gate, the last ``I`` the up projection. ``role`` is then the pair
  ``(gate_role, up_role)`` and the tensor yields ``E`` copies of ``[I, H]`` for each.

A name no rule matches is an error (the table must be complete). The named group ``layer`` gives the
layer index; rules for stack-level tensors have none.

``GROUP`` is the expected group of each fine role (roles.ROLE_GROUPS is not consulted: moving a role
to another group in paramscope must fail the oracle too).
"""

from __future__ import annotations

import collections
import math
import re
from typing import NamedTuple

L = r"(?P<layer>\d+)"
WB = r"(?:weight|bias)"


class Rule(NamedTuple):
    regex: str
    role: str | tuple[str, str]
    stack: str = ""
    component: str = "language"
    layout: str = "plain"


# Expected group of every fine role the table uses (written from the meaning of the role, not copied).
GROUP: dict[str, str] = {
    "embed": "embedding", "embed_proj": "embedding",
    "pos_embed": "position", "type_embed": "position", "rel_bias": "position",
    "attn_q": "attention", "attn_k": "attention", "attn_v": "attention", "attn_o": "attention",
    "attn_qkv": "attention", "attn_sinks": "attention",
    "attn_q_a": "attention", "attn_q_b": "attention", "attn_kv_a": "attention", "attn_kv_b": "attention",
    "xattn_q": "cross_attention", "xattn_k": "cross_attention", "xattn_v": "cross_attention",
    "xattn_o": "cross_attention",
    "mlp_gate": "mlp", "mlp_up": "mlp", "mlp_down": "mlp", "mlp_gate_up": "mlp",
    "expert_gate": "experts", "expert_up": "experts", "expert_down": "experts", "expert_gate_up": "experts",
    "shared_gate": "shared_experts", "shared_up": "shared_experts", "shared_down": "shared_experts",
    "shared_expert_gate": "shared_experts", "shared_gate_up": "shared_experts",
    "router": "router",
    "norm_attn_in": "norm", "norm_attn_out": "norm", "norm_mlp_in": "norm", "norm_mlp_out": "norm",
    "norm_cross_in": "norm", "norm_final": "norm", "norm_embed": "norm", "norm_q": "norm", "norm_k": "norm",
    "norm_q_a": "norm", "norm_kv_a": "norm", "norm_ssm": "norm",
    "lm_head": "head", "mlm_transform": "head", "mlm_bias": "head", "pooler": "head",
    "ssm_in": "ssm", "ssm_conv": "ssm", "ssm_x": "ssm", "ssm_dt": "ssm", "ssm_a": "ssm", "ssm_d": "ssm",
    "ssm_out": "ssm", "ssm_inner_norm": "ssm",
    "attn_indexer": "attention",  # DeepSeek-V3.2's lightning indexer only chooses which keys attention reads
    "lin_in": "linear_mixer", "lin_conv": "linear_mixer", "lin_gate": "linear_mixer", "lin_norm": "linear_mixer",
    "lin_out": "linear_mixer",
    "patch_embed": "other", "other": "other",
}


# ---------------------------------------------------------------------------------------------------
# Decoder-only families with Llama-style module names (modeling_llama.py and its descendants).
# `p` is the prefix of the language model ("model\." or "model\.language_model\." for multimodal).


def _llama_attention(p: str) -> list[Rule]:
    a = rf"{p}layers\.{L}\.self_attn\."
    return [
        Rule(rf"{a}q_proj\.{WB}", "attn_q", "decoder"),
        Rule(rf"{a}k_proj\.{WB}", "attn_k", "decoder"),
        Rule(rf"{a}v_proj\.{WB}", "attn_v", "decoder"),
        Rule(rf"{a}o_proj\.{WB}", "attn_o", "decoder"),
    ]


def _llama_mlp(p: str, sub: str = "mlp") -> list[Rule]:
    m = rf"{p}layers\.{L}\.{sub}\."
    return [
        Rule(rf"{m}gate_proj\.{WB}", "mlp_gate", "decoder"),
        Rule(rf"{m}up_proj\.{WB}", "mlp_up", "decoder"),
        Rule(rf"{m}down_proj\.{WB}", "mlp_down", "decoder"),
    ]


def _llama_shell(p: str, head: bool = True) -> list[Rule]:
    out = [
        Rule(rf"{p}embed_tokens\.weight", "embed"),
        Rule(rf"{p}norm\.weight", "norm_final", "decoder"),
    ]
    if head:
        out.append(Rule(r"lm_head\.weight", "lm_head"))
    return out


def _pre_norms(p: str) -> list[Rule]:
    """Pre-norm block: input_layernorm before attention, post_attention_layernorm before the MLP
    (LlamaDecoderLayer.forward: residual + self_attn(input_layernorm(h)); mlp(post_attention_layernorm(h)))."""
    return [
        Rule(rf"{p}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{p}layers\.{L}\.post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
    ]


def _sandwich_norms(p: str) -> list[Rule]:
    """Gemma 2/3 (Gemma2DecoderLayer.forward): input_layernorm -> attn -> post_attention_layernorm (on the
    attention output) ; pre_feedforward_layernorm -> mlp -> post_feedforward_layernorm."""
    n = rf"{p}layers\.{L}\."
    return [
        Rule(rf"{n}input_layernorm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{n}post_attention_layernorm\.weight", "norm_attn_out", "decoder"),
        Rule(rf"{n}pre_feedforward_layernorm\.weight", "norm_mlp_in", "decoder"),
        Rule(rf"{n}post_feedforward_layernorm\.weight", "norm_mlp_out", "decoder"),
    ]


def _qk_norms(p: str) -> list[Rule]:
    a = rf"{p}layers\.{L}\.self_attn\."
    return [Rule(rf"{a}q_norm\.weight", "norm_q", "decoder"), Rule(rf"{a}k_norm\.weight", "norm_k", "decoder")]


def _fused_experts(p: str, sub: str = "mlp", router: str = "gate") -> list[Rule]:
    """MixtralExperts-style stacks (gate_up_proj [E, 2I, H], down_proj [E, H, I]) and the router Linear."""
    m = rf"{p}layers\.{L}\.{sub}\."
    return [
        Rule(rf"{m}{router}\.weight", "router", "decoder"),
        Rule(rf"{m}experts\.gate_up_proj", ("expert_gate", "expert_up"), "decoder", layout="experts_gate_up"),
        Rule(rf"{m}experts\.down_proj", "expert_down", "decoder", layout="experts"),
    ]


def _mla(p: str) -> list[Rule]:
    """DeepseekV2/V3Attention: q_proj (no q-LoRA) or q_a_proj -> q_a_layernorm -> q_b_proj;
    kv_a_proj_with_mqa -> kv_a_layernorm -> kv_b_proj; o_proj."""
    a = rf"{p}layers\.{L}\.self_attn\."
    return [
        Rule(rf"{a}q_proj\.{WB}", "attn_q", "decoder"),
        Rule(rf"{a}q_a_proj\.{WB}", "attn_q_a", "decoder"),
        Rule(rf"{a}q_a_layernorm\.{WB}", "norm_q_a", "decoder"),
        Rule(rf"{a}q_b_proj\.{WB}", "attn_q_b", "decoder"),
        Rule(rf"{a}kv_a_proj_with_mqa\.{WB}", "attn_kv_a", "decoder"),
        Rule(rf"{a}kv_a_layernorm\.{WB}", "norm_kv_a", "decoder"),
        Rule(rf"{a}kv_b_proj\.{WB}", "attn_kv_b", "decoder"),
        Rule(rf"{a}o_proj\.{WB}", "attn_o", "decoder"),
    ]


def _shared_experts(p: str, sub: str) -> list[Rule]:
    s = rf"{p}layers\.{L}\.mlp\.{sub}\."
    return [
        Rule(rf"{s}gate_proj\.weight", "shared_gate", "decoder"),
        Rule(rf"{s}up_proj\.weight", "shared_up", "decoder"),
        Rule(rf"{s}down_proj\.weight", "shared_down", "decoder"),
    ]


M = r"model\."
LLAMA = _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _pre_norms(M)
QWEN3 = LLAMA + _qk_norms(M)
GEMMA3_TEXT = _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _sandwich_norms(M) + _qk_norms(M)

DEEPSEEK = (_llama_shell(M) + _mla(M) + _llama_mlp(M) + _pre_norms(M) + _fused_experts(M)
            + _shared_experts(M, "shared_experts"))

# DeepseekV32Attention (modeling_deepseek_v32.py) is DeepSeek-V3's MLA plus `self.indexer`, a
# DeepseekV32Indexer: wq_b (from the q-LoRA latent), wk, k_norm (nn.LayerNorm: weight and bias) and
# weights_proj (per-head scoring weights). It only picks the index_topk keys MLA attends to.
DEEPSEEK_V32 = DEEPSEEK + [
    Rule(rf"{M}layers\.{L}\.self_attn\.indexer\.(?:wq_b|wk|weights_proj)\.weight", "attn_indexer", "decoder"),
    Rule(rf"{M}layers\.{L}\.self_attn\.indexer\.k_norm\.{WB}", "attn_indexer", "decoder"),
]

# Qwen3NextDecoderLayer (modeling_qwen3_next.py): input_layernorm before the token mixer -- `linear_attn`
# (Qwen3NextGatedDeltaNet) or `self_attn` (Qwen3NextAttention, a gated attention: q_proj yields the query
# and the output gate, so its rows are 2 x heads x head_dim; QK-norm) -- and post_attention_layernorm
# before the MLP (Qwen3NextSparseMoeBlock: router `gate`, fused experts, `shared_expert`, and
# `shared_expert_gate` scaling it by a sigmoid; or a dense Qwen3NextMLP in mlp_only_layers).
# Qwen3NextGatedDeltaNet: in_proj_qkvz (q, k, v and the output gate z) and in_proj_ba (beta and the decay
# input a) read the hidden state; conv1d is the causal depthwise convolution over q/k/v; dt_bias and A_log
# are the per-value-head decay parameters; norm is the gated RMSNorm of the mixer's output; out_proj.
_LA = rf"{M}layers\.{L}\.linear_attn\."
QWEN3_NEXT = QWEN3 + _fused_experts(M) + _shared_experts(M, "shared_expert") + [
    Rule(rf"{M}layers\.{L}\.mlp\.shared_expert_gate\.weight", "shared_expert_gate", "decoder"),
    Rule(rf"{_LA}in_proj_qkvz\.{WB}", "lin_in", "decoder"),
    Rule(rf"{_LA}in_proj_ba\.{WB}", "lin_in", "decoder"),
    Rule(rf"{_LA}conv1d\.{WB}", "lin_conv", "decoder"),
    Rule(rf"{_LA}(?:dt_bias|A_log)", "lin_gate", "decoder"),
    Rule(rf"{_LA}norm\.weight", "lin_norm", "decoder"),
    Rule(rf"{_LA}out_proj\.{WB}", "lin_out", "decoder"),
]

# MiniMaxM2DecoderLayer (modeling_minimax_m2.py): Llama's pre-norm block; MiniMaxM2Attention's q_norm and
# k_norm normalize the whole q / k projection (num_heads x head_dim wide, not per head); the MoE block has
# the router `gate` (its e_score_correction_bias is a buffer) and fused experts, no shared expert.
MINIMAX_M2 = _llama_shell(M) + _llama_attention(M) + _qk_norms(M) + _pre_norms(M) + _fused_experts(M)

# ---------------------------------------------------------------------------------------------------
# Vision towers of the multimodal families.

_SV = r"model\.vision_tower\."  # Gemma 3: SiglipVisionModel (modeling_siglip.py)
SIGLIP = [
    Rule(rf"{_SV}embeddings\.patch_embedding\.{WB}", "patch_embed", "vision", "vision"),
    Rule(rf"{_SV}embeddings\.position_embedding\.weight", "pos_embed", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.layer_norm1\.{WB}", "norm_attn_in", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.self_attn\.q_proj\.{WB}", "attn_q", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.self_attn\.k_proj\.{WB}", "attn_k", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.self_attn\.v_proj\.{WB}", "attn_v", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.self_attn\.out_proj\.{WB}", "attn_o", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.layer_norm2\.{WB}", "norm_mlp_in", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.mlp\.fc1\.{WB}", "mlp_up", "vision", "vision"),
    Rule(rf"{_SV}encoder\.layers\.{L}\.mlp\.fc2\.{WB}", "mlp_down", "vision", "vision"),
    Rule(rf"{_SV}post_layernorm\.{WB}", "norm_final", "vision", "vision"),
    # Gemma3MultiModalProjector: RMSNorm on the pooled patches, then `x @ mm_input_projection_weight`
    # with the weight stored [vision_hidden, text_hidden] = [in, out].
    Rule(r"model\.multi_modal_projector\.mm_soft_emb_norm\.weight", "norm_embed", "", "projector"),
    Rule(r"model\.multi_modal_projector\.mm_input_projection_weight", "other", "", "projector", "in_out"),
]

_QV = r"model\.visual\."  # Qwen2-VL: Qwen2VisionTransformerPretrainedModel; its PatchMerger is the projector
QWEN2_VL_VISION = [
    Rule(rf"{_QV}patch_embed\.proj\.weight", "patch_embed", "vision", "vision"),
    Rule(rf"{_QV}blocks\.{L}\.norm1\.{WB}", "norm_attn_in", "vision", "vision"),
    Rule(rf"{_QV}blocks\.{L}\.attn\.qkv\.{WB}", "attn_qkv", "vision", "vision"),
    Rule(rf"{_QV}blocks\.{L}\.attn\.proj\.{WB}", "attn_o", "vision", "vision"),
    Rule(rf"{_QV}blocks\.{L}\.norm2\.{WB}", "norm_mlp_in", "vision", "vision"),
    Rule(rf"{_QV}blocks\.{L}\.mlp\.fc1\.{WB}", "mlp_up", "vision", "vision"),
    Rule(rf"{_QV}blocks\.{L}\.mlp\.fc2\.{WB}", "mlp_down", "vision", "vision"),
    # PatchMerger: ln_q, then mlp = Sequential(Linear, GELU, Linear)
    Rule(rf"{_QV}merger\.ln_q\.{WB}", "norm_embed", "", "projector"),
    Rule(rf"{_QV}merger\.mlp\.0\.{WB}", "other", "", "projector"),
    Rule(rf"{_QV}merger\.mlp\.2\.{WB}", "other", "", "projector"),
]

# ---------------------------------------------------------------------------------------------------
# Encoder-decoder (T5 and Switch). T5Block: encoder layer.0 = self-attention, layer.1 = feed-forward;
# decoder layer.0 = self-attention, layer.1 = cross-attention (EncDecAttention), layer.2 = feed-forward.
# Each sub-layer has its own pre-norm `layer_norm`. relative_attention_bias lives in block 0 only.


def _t5_stack(stack: str, ff: list[tuple[str, str | tuple, str]]) -> list[Rule]:
    b = rf"{stack}\.block\.{L}\.layer\."
    ffl = "1" if stack == "encoder" else "2"
    out = [
        Rule(rf"{b}0\.SelfAttention\.q\.weight", "attn_q", stack),
        Rule(rf"{b}0\.SelfAttention\.k\.weight", "attn_k", stack),
        Rule(rf"{b}0\.SelfAttention\.v\.weight", "attn_v", stack),
        Rule(rf"{b}0\.SelfAttention\.o\.weight", "attn_o", stack),
        Rule(rf"{b}0\.SelfAttention\.relative_attention_bias\.weight", "rel_bias", stack),
        Rule(rf"{b}0\.layer_norm\.weight", "norm_attn_in", stack),
        Rule(rf"{b}{ffl}\.layer_norm\.weight", "norm_mlp_in", stack),
        Rule(rf"{stack}\.final_layer_norm\.weight", "norm_final", stack),
    ]
    if stack == "decoder":
        out += [
            Rule(rf"{b}1\.EncDecAttention\.q\.weight", "xattn_q", stack),
            Rule(rf"{b}1\.EncDecAttention\.k\.weight", "xattn_k", stack),
            Rule(rf"{b}1\.EncDecAttention\.v\.weight", "xattn_v", stack),
            Rule(rf"{b}1\.EncDecAttention\.o\.weight", "xattn_o", stack),
            Rule(rf"{b}1\.layer_norm\.weight", "norm_cross_in", stack),
        ]
    for suffix, role, layout in ff:
        out.append(Rule(rf"{b}{ffl}\.{suffix}", role, stack, layout=layout))
    return out


# T5DenseActDense (wi, wo) / T5DenseGatedActDense (wi_0 gate, wi_1 up, wo)
_T5_FF = [
    (r"DenseReluDense\.wi\.weight", "mlp_up", "plain"),
    (r"DenseReluDense\.wi_0\.weight", "mlp_gate", "plain"),
    (r"DenseReluDense\.wi_1\.weight", "mlp_up", "plain"),
    (r"DenseReluDense\.wo\.weight", "mlp_down", "plain"),
]
# SwitchTransformersLayerFF.mlp: a dense SwitchTransformersDenseActDense (wi, wo) or a sparse MLP with
# router.classifier and per-expert modules experts.expert_<e>.{wi,wo}
_SWITCH_FF = [
    (r"mlp\.wi\.weight", "mlp_up", "plain"),
    (r"mlp\.wo\.weight", "mlp_down", "plain"),
    (r"mlp\.router\.classifier\.weight", "router", "plain"),
    (r"mlp\.experts\.expert_\d+\.wi\.weight", "expert_up", "plain"),
    (r"mlp\.experts\.expert_\d+\.wo\.weight", "expert_down", "plain"),
]

_T5_SHELL = [Rule(r"shared\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head")]

# ---------------------------------------------------------------------------------------------------
# BERT / ALBERT (post-LN encoders)

_BE = r"(?:bert\.)?"  # BertModel has no "bert." prefix
BERT = [
    Rule(rf"{_BE}embeddings\.word_embeddings\.weight", "embed"),
    Rule(rf"{_BE}embeddings\.position_embeddings\.weight", "pos_embed"),
    Rule(rf"{_BE}embeddings\.token_type_embeddings\.weight", "type_embed"),
    Rule(rf"{_BE}embeddings\.LayerNorm\.{WB}", "norm_embed"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.attention\.self\.query\.{WB}", "attn_q", "encoder"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.attention\.self\.key\.{WB}", "attn_k", "encoder"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.attention\.self\.value\.{WB}", "attn_v", "encoder"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.attention\.output\.dense\.{WB}", "attn_o", "encoder"),
    # BertSelfOutput: LayerNorm(dense(h) + input) -- after the attention residual
    Rule(rf"{_BE}encoder\.layer\.{L}\.attention\.output\.LayerNorm\.{WB}", "norm_attn_out", "encoder"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.intermediate\.dense\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.output\.dense\.{WB}", "mlp_down", "encoder"),
    Rule(rf"{_BE}encoder\.layer\.{L}\.output\.LayerNorm\.{WB}", "norm_mlp_out", "encoder"),
    Rule(rf"{_BE}pooler\.dense\.{WB}", "pooler"),
    Rule(rf"cls\.predictions\.transform\.dense\.{WB}", "mlm_transform"),
    Rule(rf"cls\.predictions\.transform\.LayerNorm\.{WB}", "mlm_transform"),
    Rule(r"cls\.predictions\.bias", "mlm_bias"),
    Rule(r"cls\.predictions\.decoder\.weight", "lm_head"),
]

# RobertaForMaskedLM (modeling_roberta.py): RobertaEmbeddings as BertEmbeddings (word, position, token type,
# LayerNorm), RobertaLayer as BertLayer, no pooler (add_pooling_layer=False), and RobertaLMHead:
# dense -> gelu -> layer_norm -> decoder (tied to word_embeddings, so not listed) + bias.
_RB = r"roberta\."
ROBERTA = [
    Rule(rf"{_RB}embeddings\.word_embeddings\.weight", "embed"),
    Rule(rf"{_RB}embeddings\.position_embeddings\.weight", "pos_embed"),
    Rule(rf"{_RB}embeddings\.token_type_embeddings\.weight", "type_embed"),
    Rule(rf"{_RB}embeddings\.LayerNorm\.{WB}", "norm_embed"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.attention\.self\.query\.{WB}", "attn_q", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.attention\.self\.key\.{WB}", "attn_k", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.attention\.self\.value\.{WB}", "attn_v", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.attention\.output\.dense\.{WB}", "attn_o", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.attention\.output\.LayerNorm\.{WB}", "norm_attn_out", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.intermediate\.dense\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.output\.dense\.{WB}", "mlp_down", "encoder"),
    Rule(rf"{_RB}encoder\.layer\.{L}\.output\.LayerNorm\.{WB}", "norm_mlp_out", "encoder"),
    Rule(rf"lm_head\.dense\.{WB}", "mlm_transform"),
    Rule(rf"lm_head\.layer_norm\.{WB}", "mlm_transform"),
    Rule(r"lm_head\.bias", "mlm_bias"),
    Rule(r"lm_head\.decoder\.weight", "lm_head"),
]

# ALBERT: one group of one shared layer (every released checkpoint: num_hidden_groups = inner_group_num = 1);
# the stored layer is layer 0, used by all num_hidden_layers. Other groupings are left unmapped on purpose.
_AL = r"albert\.encoder\.albert_layer_groups\.(?P<layer>0)\.albert_layers\.0\."
ALBERT = [
    Rule(r"albert\.embeddings\.word_embeddings\.weight", "embed"),
    Rule(r"albert\.embeddings\.position_embeddings\.weight", "pos_embed"),
    Rule(r"albert\.embeddings\.token_type_embeddings\.weight", "type_embed"),
    Rule(rf"albert\.embeddings\.LayerNorm\.{WB}", "norm_embed"),
    Rule(rf"albert\.encoder\.embedding_hidden_mapping_in\.{WB}", "embed_proj"),
    Rule(rf"{_AL}attention\.query\.{WB}", "attn_q", "encoder"),
    Rule(rf"{_AL}attention\.key\.{WB}", "attn_k", "encoder"),
    Rule(rf"{_AL}attention\.value\.{WB}", "attn_v", "encoder"),
    Rule(rf"{_AL}attention\.dense\.{WB}", "attn_o", "encoder"),
    Rule(rf"{_AL}attention\.LayerNorm\.{WB}", "norm_attn_out", "encoder"),
    Rule(rf"{_AL}ffn\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_AL}ffn_output\.{WB}", "mlp_down", "encoder"),
    Rule(rf"{_AL}full_layer_layer_norm\.{WB}", "norm_mlp_out", "encoder"),
    # AlbertMLMHead: dense -> activation -> LayerNorm -> decoder (tied to the embeddings) + bias
    Rule(rf"predictions\.dense\.{WB}", "mlm_transform"),
    Rule(rf"predictions\.LayerNorm\.{WB}", "mlm_transform"),
    Rule(r"predictions\.bias", "mlm_bias"),
    Rule(r"predictions\.decoder\.weight", "lm_head"),
]

# ---------------------------------------------------------------------------------------------------
# GPT-2 / GPT-1 / Falcon / Mamba

_H = rf"transformer\.h\.{L}\."
GPT2 = [
    Rule(r"transformer\.wte\.weight", "embed"),
    Rule(r"transformer\.wpe\.weight", "pos_embed"),
    Rule(rf"{_H}ln_1\.{WB}", "norm_attn_in", "decoder"),  # GPT2Block: attn(ln_1(h)), mlp(ln_2(h))
    Rule(rf"{_H}attn\.c_attn\.{WB}", "attn_qkv", "decoder", layout="in_out"),
    Rule(rf"{_H}attn\.c_proj\.{WB}", "attn_o", "decoder", layout="in_out"),
    Rule(rf"{_H}ln_2\.{WB}", "norm_mlp_in", "decoder"),
    Rule(rf"{_H}mlp\.c_fc\.{WB}", "mlp_up", "decoder", layout="in_out"),
    Rule(rf"{_H}mlp\.c_proj\.{WB}", "mlp_down", "decoder", layout="in_out"),
    Rule(rf"transformer\.ln_f\.{WB}", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
]

OPENAI_GPT = [
    Rule(r"transformer\.tokens_embed\.weight", "embed"),
    Rule(r"transformer\.positions_embed\.weight", "pos_embed"),
    Rule(rf"{_H}attn\.c_attn\.{WB}", "attn_qkv", "decoder", layout="in_out"),
    Rule(rf"{_H}attn\.c_proj\.{WB}", "attn_o", "decoder", layout="in_out"),
    # openai Block.forward (post-LN): n = ln_1(x + attn(x)); h = ln_2(n + mlp(n))
    Rule(rf"{_H}ln_1\.{WB}", "norm_attn_out", "decoder"),
    Rule(rf"{_H}mlp\.c_fc\.{WB}", "mlp_up", "decoder", layout="in_out"),
    Rule(rf"{_H}mlp\.c_proj\.{WB}", "mlp_down", "decoder", layout="in_out"),
    Rule(rf"{_H}ln_2\.{WB}", "norm_mlp_out", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
]

FALCON = [
    Rule(r"transformer\.word_embeddings\.weight", "embed"),
    Rule(rf"{_H}self_attention\.query_key_value\.{WB}", "attn_qkv", "decoder"),
    Rule(rf"{_H}self_attention\.dense\.{WB}", "attn_o", "decoder"),
    Rule(rf"{_H}mlp\.dense_h_to_4h\.{WB}", "mlp_up", "decoder"),
    Rule(rf"{_H}mlp\.dense_4h_to_h\.{WB}", "mlp_down", "decoder"),
    # FalconDecoderLayer: input_layernorm before attention (and the parallel MLP when there is one norm);
    # post_attention_layernorm before the MLP when not parallel; ln_attn / ln_mlp with two parallel norms.
    Rule(rf"{_H}input_layernorm\.{WB}", "norm_attn_in", "decoder"),
    Rule(rf"{_H}post_attention_layernorm\.{WB}", "norm_mlp_in", "decoder"),
    Rule(rf"{_H}ln_attn\.{WB}", "norm_attn_in", "decoder"),
    Rule(rf"{_H}ln_mlp\.{WB}", "norm_mlp_in", "decoder"),
    Rule(rf"transformer\.ln_f\.{WB}", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
]

_MX = rf"backbone\.layers\.{L}\."
MAMBA = [
    Rule(r"backbone\.embeddings\.weight", "embed"),
    Rule(rf"{_MX}norm\.weight", "norm_ssm", "decoder"),  # MambaBlock: mixer(norm(h))
    Rule(rf"{_MX}mixer\.in_proj\.{WB}", "ssm_in", "decoder"),
    Rule(rf"{_MX}mixer\.conv1d\.{WB}", "ssm_conv", "decoder"),
    Rule(rf"{_MX}mixer\.x_proj\.{WB}", "ssm_x", "decoder"),
    Rule(rf"{_MX}mixer\.dt_proj\.{WB}", "ssm_dt", "decoder"),
    Rule(rf"{_MX}mixer\.A_log", "ssm_a", "decoder"),
    Rule(rf"{_MX}mixer\.D", "ssm_d", "decoder"),
    Rule(rf"{_MX}mixer\.out_proj\.{WB}", "ssm_out", "decoder"),
    Rule(r"backbone\.norm_f\.weight", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
]

_JM = rf"model\.layers\.{L}\.mamba\."
JAMBA = [
    Rule(r"model\.embed_tokens\.weight", "embed"),
    Rule(r"model\.final_layernorm\.weight", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{_JM}in_proj\.{WB}", "ssm_in", "decoder"),
    Rule(rf"{_JM}conv1d\.{WB}", "ssm_conv", "decoder"),
    Rule(rf"{_JM}x_proj\.{WB}", "ssm_x", "decoder"),
    Rule(rf"{_JM}dt_proj\.{WB}", "ssm_dt", "decoder"),
    Rule(rf"{_JM}A_log", "ssm_a", "decoder"),
    Rule(rf"{_JM}D", "ssm_d", "decoder"),
    Rule(rf"{_JM}out_proj\.{WB}", "ssm_out", "decoder"),
    Rule(rf"{_JM}(?:dt|b|c)_layernorm\.weight", "ssm_inner_norm", "decoder"),
    # JambaAttentionDecoderLayer / JambaMambaDecoderLayer: input_layernorm before the token mixer
    # (attention or Mamba), pre_ff_layernorm before the feed-forward (dense MLP or MoE)
    Rule(rf"model\.layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"model\.layers\.{L}\.pre_ff_layernorm\.weight", "norm_mlp_in", "decoder"),
    *_llama_attention(M),
    *_llama_mlp(M, "feed_forward"),
    *_fused_experts(M, "feed_forward", "router"),
]


# Llama4ForConditionalGeneration (modeling_llama4.py). The text model sits under `language_model.`
# (Llama4ForCausalLM: model.*, lm_head). Llama4TextDecoderLayer: input_layernorm -> self_attn (q/k/v/o;
# the chunked-attention layers and the QK L2Norm have no parameters) ; post_attention_layernorm ->
# feed_forward, which is a dense Llama4TextMLP (gate/up/down, intermediate_size_mlp) or a Llama4TextMoe:
# `router` (a Linear), `experts` (Llama4TextExperts: gate_up_proj [E, H, 2I] and down_proj [E, I, H], both
# used as torch.bmm(x, W), i.e. [in, out]; the fused gate_up is what the checkpoint stores) and one
# `shared_expert` (a gated Llama4TextMLP).
_L4 = r"language_model\.model\."
_L4V = r"vision_model\."  # Llama4VisionModel
LLAMA4 = _llama_shell(_L4, head=False) + _llama_attention(_L4) + _pre_norms(_L4) + [
    Rule(r"language_model\.lm_head\.weight", "lm_head"),
    *_llama_mlp(_L4, "feed_forward"),
    Rule(rf"{_L4}layers\.{L}\.feed_forward\.router\.weight", "router", "decoder"),
    Rule(rf"{_L4}layers\.{L}\.feed_forward\.experts\.gate_up_proj", "expert_gate_up", "decoder",
         layout="experts_in_out"),
    Rule(rf"{_L4}layers\.{L}\.feed_forward\.experts\.down_proj", "expert_down", "decoder", layout="experts_in_out"),
    Rule(rf"{_L4}layers\.{L}\.feed_forward\.shared_expert\.gate_proj\.weight", "shared_gate", "decoder"),
    Rule(rf"{_L4}layers\.{L}\.feed_forward\.shared_expert\.up_proj\.weight", "shared_up", "decoder"),
    Rule(rf"{_L4}layers\.{L}\.feed_forward\.shared_expert\.down_proj\.weight", "shared_down", "decoder"),
    # Llama4VisionModel: patch_embedding (Llama4UnfoldConvolution: an unfold then `linear`), a learned
    # class_embedding token prepended to the patches and positional_embedding_vlm added to every position
    # (both position-side inputs of the ViT, mapped to pos_embed), layernorm_pre, the encoder
    # (Llama4VisionEncoderLayer: input_layernorm -> self_attn (q/k/v/o with biases) ; post_attention_layernorm
    # -> mlp fc1 / fc2), layernorm_post, then vision_adapter (Llama4VisionPixelShuffleMLP: pixel shuffle and a
    # two-layer MLP, fc1 / fc2 without bias), which belongs to the vision model.
    Rule(rf"{_L4V}class_embedding", "pos_embed", "vision", "vision"),
    Rule(rf"{_L4V}positional_embedding_vlm", "pos_embed", "vision", "vision"),
    Rule(rf"{_L4V}patch_embedding\.linear\.{WB}", "patch_embed", "vision", "vision"),
    Rule(rf"{_L4V}layernorm_pre\.{WB}", "norm_embed", "vision", "vision"),
    Rule(rf"{_L4V}layernorm_post\.{WB}", "norm_final", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.self_attn\.q_proj\.{WB}", "attn_q", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.self_attn\.k_proj\.{WB}", "attn_k", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.self_attn\.v_proj\.{WB}", "attn_v", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.self_attn\.o_proj\.{WB}", "attn_o", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.mlp\.fc1\.{WB}", "mlp_up", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.mlp\.fc2\.{WB}", "mlp_down", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.input_layernorm\.{WB}", "norm_attn_in", "vision", "vision"),
    Rule(rf"{_L4V}model\.layers\.{L}\.post_attention_layernorm\.{WB}", "norm_mlp_in", "vision", "vision"),
    Rule(rf"{_L4V}vision_adapter\.mlp\.fc[12]\.{WB}", "other", "vision", "vision"),
    # Llama4MultiModalProjector: one Linear (linear_1, no bias) from the adapter's output to the text width
    Rule(rf"multi_modal_projector\.linear_1\.{WB}", "other", "", "projector"),
]

# NemotronHForCausalLM (modeling_nemotron_h.py): model.embeddings, layers of NemotronHBlock, norm_f, lm_head.
# Each NemotronHBlock has one `norm` (NemotronHRMSNorm) applied before its single `mixer`, chosen by
# config.layers_block_type: NemotronHMamba2Mixer (in_proj, depthwise conv1d, dt_bias, A_log, D, the gated
# RMSNorm `norm` on the scan output, out_proj), NemotronHAttention (q/k/v/o), NemotronHMLP (up/down, not
# gated) or NemotronHMoE (router `gate`, NemotronHExperts up_proj [E, I, H] / down_proj [E, H, I] used via
# F.linear, i.e. [out, in], not gated; `shared_experts` a NemotronHMLP). The block norm's role depends on
# the mixer; the name does not say which, so the table gives it the placeholder BLOCK_NORM and
# expected_entries resolves it from the roles of the same layer's mixer parameters (NORM_BY_MIXER).
_NH = rf"model\.layers\.{L}\."
BLOCK_NORM = "<block norm>"
NORM_BY_MIXER = {"ssm_in": "norm_ssm", "attn_q": "norm_attn_in", "mlp_up": "norm_mlp_in",
                 "expert_up": "norm_mlp_in"}
NEMOTRON_H = [
    Rule(r"model\.embeddings\.weight", "embed"),
    Rule(r"model\.norm_f\.weight", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{_NH}norm\.weight", BLOCK_NORM, "decoder"),
    Rule(rf"{_NH}mixer\.in_proj\.{WB}", "ssm_in", "decoder"),
    Rule(rf"{_NH}mixer\.conv1d\.{WB}", "ssm_conv", "decoder"),
    Rule(rf"{_NH}mixer\.dt_bias", "ssm_dt", "decoder"),
    Rule(rf"{_NH}mixer\.A_log", "ssm_a", "decoder"),
    Rule(rf"{_NH}mixer\.D", "ssm_d", "decoder"),
    Rule(rf"{_NH}mixer\.norm\.weight", "ssm_inner_norm", "decoder"),
    Rule(rf"{_NH}mixer\.out_proj\.{WB}", "ssm_out", "decoder"),
    Rule(rf"{_NH}mixer\.q_proj\.{WB}", "attn_q", "decoder"),
    Rule(rf"{_NH}mixer\.k_proj\.{WB}", "attn_k", "decoder"),
    Rule(rf"{_NH}mixer\.v_proj\.{WB}", "attn_v", "decoder"),
    Rule(rf"{_NH}mixer\.o_proj\.{WB}", "attn_o", "decoder"),
    Rule(rf"{_NH}mixer\.up_proj\.{WB}", "mlp_up", "decoder"),
    Rule(rf"{_NH}mixer\.down_proj\.{WB}", "mlp_down", "decoder"),
    Rule(rf"{_NH}mixer\.gate\.weight", "router", "decoder"),
    Rule(rf"{_NH}mixer\.experts\.up_proj", "expert_up", "decoder", layout="experts"),
    Rule(rf"{_NH}mixer\.experts\.down_proj", "expert_down", "decoder", layout="experts"),
    Rule(rf"{_NH}mixer\.shared_experts\.up_proj\.{WB}", "shared_up", "decoder"),
    Rule(rf"{_NH}mixer\.shared_experts\.down_proj\.{WB}", "shared_down", "decoder"),
]

_GM = r"model\.language_model\."

# Keyed by the top-level config model_type.
TABLE: dict[str, list[Rule]] = {
    "llama": LLAMA,
    "mistral": LLAMA,
    "qwen2": LLAMA,
    "gemma": LLAMA,  # GemmaDecoderLayer has Llama's pre-norm block
    "mixtral": _llama_shell(M) + _llama_attention(M) + _pre_norms(M) + _fused_experts(M),
    "qwen2_moe": LLAMA + _fused_experts(M) + _shared_experts(M, "shared_expert") + [
        # Qwen2MoeSparseMoeBlock: sigmoid(shared_expert_gate(h)) * shared_expert(h)
        Rule(rf"{M}layers\.{L}\.mlp\.shared_expert_gate\.weight", "shared_expert_gate", "decoder"),
    ],
    "qwen3": QWEN3,
    "qwen3_moe": QWEN3 + _fused_experts(M),
    "gemma2": _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _sandwich_norms(M),
    "gemma3_text": GEMMA3_TEXT,
    "phi3": _llama_shell(M) + _pre_norms(M) + [
        Rule(rf"{M}layers\.{L}\.self_attn\.qkv_proj\.weight", "attn_qkv", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.o_proj\.weight", "attn_o", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.gate_up_proj\.weight", "mlp_gate_up", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.down_proj\.weight", "mlp_down", "decoder"),
    ],
    # Olmo2DecoderLayer: h + post_attention_layernorm(attn(h)); h + post_feedforward_layernorm(mlp(h))
    "olmo2": _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _qk_norms(M) + [
        Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.weight", "norm_attn_out", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_feedforward_layernorm\.weight", "norm_mlp_out", "decoder"),
    ],
    "deepseek_v2": DEEPSEEK,
    "deepseek_v3": DEEPSEEK,
    # Kimi-K2's remote-code model_type; transformers builds its architectures[0], DeepseekV3ForCausalLM
    # (tests/hf_truth.py build_model_type), so the names are DeepSeek-V3's
    "kimi_k2": DEEPSEEK,
    "deepseek_v32": DEEPSEEK_V32,
    "qwen3_next": QWEN3_NEXT,
    "minimax_m2": MINIMAX_M2,
    "gpt_oss": _llama_shell(M) + _llama_attention(M) + _pre_norms(M) + [
        Rule(rf"{M}layers\.{L}\.self_attn\.sinks", "attn_sinks", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.router\.{WB}", "router", "decoder"),
        # GptOssExperts: gate_up_proj [E, H, 2I] used as x @ W (gate/up interleaved, as in the checkpoint)
        Rule(rf"{M}layers\.{L}\.mlp\.experts\.gate_up_proj", "expert_gate_up", "decoder", layout="experts_in_out"),
        Rule(rf"{M}layers\.{L}\.mlp\.experts\.gate_up_proj_bias", "expert_gate_up", "decoder", layout="experts"),
        Rule(rf"{M}layers\.{L}\.mlp\.experts\.down_proj", "expert_down", "decoder", layout="experts_in_out"),
        Rule(rf"{M}layers\.{L}\.mlp\.experts\.down_proj_bias", "expert_down", "decoder", layout="experts"),
    ],
    "gpt2": GPT2,
    "openai-gpt": OPENAI_GPT,
    "falcon": FALCON,
    "bert": BERT,
    "albert": ALBERT,
    "roberta": ROBERTA,
    "t5": _T5_SHELL + _t5_stack("encoder", _T5_FF) + _t5_stack("decoder", _T5_FF),
    "switch_transformers": _T5_SHELL + _t5_stack("encoder", _SWITCH_FF) + _t5_stack("decoder", _SWITCH_FF),
    "mamba": MAMBA,
    "jamba": JAMBA,
    "gemma3": (_llama_shell(_GM, head=False) + [Rule(r"lm_head\.weight", "lm_head")] + _llama_attention(_GM)
               + _llama_mlp(_GM) + _sandwich_norms(_GM) + _qk_norms(_GM) + SIGLIP),
    "llama4": LLAMA4,
    "nemotron_h": NEMOTRON_H,
    "qwen2_vl": (_llama_shell(_GM) + _llama_attention(_GM) + _llama_mlp(_GM) + _pre_norms(_GM)
                 + QWEN2_VL_VISION),
}

_COMPILED: dict[str, list[tuple[re.Pattern, Rule]]] = {
    k: [(re.compile(r.regex), r) for r in rules] for k, rules in TABLE.items()
}


class Unmapped(LookupError):
    pass


def rule_for(model_type: str, name: str) -> tuple[Rule, int | None]:
    """The one rule matching `name` (an ambiguous table is an error too) and the layer index."""
    hits = [(r, m) for p, r in _COMPILED[model_type] if (m := p.fullmatch(name))]
    if not hits:
        raise Unmapped(f"{model_type}: no role rule for transformers parameter {name!r}")
    if len({(r.role, r.stack, r.component, r.layout) for r, _ in hits}) > 1:
        raise Unmapped(f"{model_type}: {name!r} matches several rules: {[r.regex for r, _ in hits]}")
    rule, m = hits[0]
    layer = m.groupdict().get("layer")
    return rule, None if layer is None else int(layer)


def expand(rule: Rule, layer: int | None, shape: tuple[int, ...]):
    """(role, logical per-copy shape) entries that one transformers parameter stands for."""
    lay = rule.layout
    if lay == "plain":
        return [(rule.role, shape)]
    if lay == "in_out":
        return [(rule.role, shape[::-1] if len(shape) == 2 else shape)]
    if lay == "experts":
        return [(rule.role, shape[1:])] * shape[0]
    if lay == "experts_in_out":
        per = shape[1:][::-1] if len(shape) == 3 else shape[1:]
        return [(rule.role, per)] * shape[0]
    if lay == "experts_gate_up":
        e, two_i, h = shape
        assert two_i % 2 == 0, shape
        gate, up = rule.role
        return [(gate, (two_i // 2, h))] * e + [(up, (two_i // 2, h))] * e
    raise ValueError(f"unknown layout {lay!r}")


# ---------------------------------------------------------------------------------------------------
# Gemma 3n (gemma3n/modeling_gemma3n.py Gemma3nForConditionalGeneration): the text decoder, timm's MobileNetV5 encoder
# behind TimmWrapperModel (timm models/mobilenetv5.py, _efficientnet_blocks.py, layers/attention2d.py), the audio
# encoder and one Gemma3nMultimodalEmbedder per tower.

_G3N_L = rf"{_GM}layers\.{L}\."
_G3N_V = r"model\.vision_tower\.timm_model\."
_G3N_A = r"model\.audio_tower\."
_G3N_C = rf"{_G3N_A}conformer\.{L}\."
_G3N_CONV = r"(?:conv_exp|conv_pwl|dw_start\.conv|pw_exp\.conv|dw_mid\.conv|pw_proj\.conv|dw_end\.conv)\.weight"
_G3N_BN = r"(?:bn1|bn2|dw_start\.bn|pw_exp\.bn|dw_mid\.bn|pw_proj\.bn|dw_end\.bn)\.weight"
GEMMA3N = (_llama_shell(_GM, head=False) + [Rule(r"lm_head\.weight", "lm_head")] + _llama_attention(_GM)
           + _llama_mlp(_GM) + _sandwich_norms(_GM) + _qk_norms(_GM) + [
    # Gemma3nTextAltUp: per-layer coefficient matrices, router and output scale; its router norm is an RMSNorm
    Rule(rf"{_G3N_L}altup\.(?:correct_output_scale|correction_coefs\.weight|prediction_coefs\.weight|"
         r"modality_router\.weight)", "other", "decoder"),
    Rule(rf"{_G3N_L}altup\.router_norm\.weight", "norm_embed", "decoder"),
    # Gemma3nTextLaurelBlock: a low-rank residual and its norm
    Rule(rf"{_G3N_L}laurel\.linear_(?:left|right)\.weight", "other", "decoder"),
    Rule(rf"{_G3N_L}laurel\.post_laurel_norm\.weight", "norm_embed", "decoder"),
    # the per-layer input: gate into the layer's slice, projection back, norm
    Rule(rf"{_G3N_L}(?:per_layer_input_gate|per_layer_projection)\.weight", "other", "decoder"),
    Rule(rf"{_G3N_L}post_per_layer_input_norm\.weight", "norm_embed", "decoder"),
    # Gemma3nTextModel: the per-layer embedding table [vocab_per_layer, layers x p], its projection from the hidden
    # state, their norm, and the AltUp projections into / out of the extra residual streams
    Rule(rf"{_GM}embed_tokens_per_layer\.weight", "embed", "decoder"),
    Rule(rf"{_GM}per_layer_model_projection\.weight", "embed_proj", "decoder"),
    Rule(rf"{_GM}per_layer_projection_norm\.weight", "norm_embed", "decoder"),
    Rule(rf"{_GM}altup_(?:unembed_)?projections\.\d+\.weight", "other", "decoder"),
    # MobileNetV5Encoder: the stem (a biased conv and its norm), blocks.<stage>.<block> (one paramscope layer per
    # stage), the multi-scale fusion adapter (a 1x1 expansion and projection with norms, then a final norm)
    Rule(rf"{_G3N_V}conv_stem\.conv\.{WB}", "patch_embed", "vision", "vision"),
    Rule(rf"{_G3N_V}conv_stem\.bn\.weight", "norm_embed", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.{_G3N_CONV}", "other", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.{_G3N_BN}", "norm_mlp_in", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.layer_scale\.gamma", "other", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.norm\.weight", "norm_attn_in", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.attn\.query\.proj\.weight", "attn_q", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.attn\.key\.proj\.weight", "attn_k", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.attn\.value\.proj\.weight", "attn_v", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.attn\.output\.proj\.weight", "attn_o", "vision", "vision"),
    Rule(rf"{_G3N_V}blocks\.{L}\.\d+\.attn\.(?:key|value)\.(?:down_conv|norm)\.weight", "other", "vision", "vision"),
    Rule(rf"{_G3N_V}msfa\.ffn\.(?:pw_exp|pw_proj)\.conv\.weight", "other", "vision", "vision"),
    Rule(rf"{_G3N_V}msfa\.ffn\.(?:pw_exp|pw_proj)\.bn\.weight", "norm_mlp_in", "vision", "vision"),
    Rule(rf"{_G3N_V}msfa\.norm\.weight", "norm_final", "vision", "vision"),
    # Gemma3nAudioSubSampleConvProjection: two convs with cumulative group norms, then the input projection
    Rule(rf"{_G3N_A}subsample_conv_projection\.conv_\d\.conv\.weight", "patch_embed", "audio", "audio"),
    Rule(rf"{_G3N_A}subsample_conv_projection\.conv_\d\.norm\.weight", "norm_embed", "audio", "audio"),
    Rule(rf"{_G3N_A}subsample_conv_projection\.input_proj_linear\.weight", "patch_embed", "audio", "audio"),
    # Gemma3nAudioConformerBlock: macaron feed-forwards, attention, light conv, block norm
    Rule(rf"{_G3N_C}ffw_layer_(?:start|end)\.pre_layer_norm\.weight", "norm_mlp_in", "audio", "audio"),
    Rule(rf"{_G3N_C}ffw_layer_(?:start|end)\.ffw_layer_1\.weight", "mlp_up", "audio", "audio"),
    Rule(rf"{_G3N_C}ffw_layer_(?:start|end)\.ffw_layer_2\.weight", "mlp_down", "audio", "audio"),
    Rule(rf"{_G3N_C}ffw_layer_(?:start|end)\.post_layer_norm\.weight", "norm_mlp_out", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.pre_attn_norm\.weight", "norm_attn_in", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.attn\.per_dim_scale", "other", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.attn\.relative_position_embedding\.pos_proj\.weight", "pos_embed", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.attn\.q_proj\.weight", "attn_q", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.attn\.k_proj\.weight", "attn_k", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.attn\.v_proj\.weight", "attn_v", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.post\.weight", "attn_o", "audio", "audio"),
    Rule(rf"{_G3N_C}attention\.post_norm\.weight", "norm_attn_out", "audio", "audio"),
    Rule(rf"{_G3N_C}lconv1d\.(?:pre_layer_norm|conv_norm)\.weight", "norm_mlp_in", "audio", "audio"),
    Rule(rf"{_G3N_C}lconv1d\.(?:linear_start|depthwise_conv1d|linear_end)\.weight", "other", "audio", "audio"),
    Rule(rf"{_G3N_C}norm\.weight", "norm_mlp_out", "audio", "audio"),
    # Gemma3nMultimodalEmbedder (its post-projection RMSNorm has no scale)
    Rule(r"model\.embed_(?:vision|audio)\.(?:embedding|embedding_projection)\.weight", "other", "", "projector"),
    Rule(r"model\.embed_(?:vision|audio)\.(?:hard|soft)_embedding_norm\.weight", "norm_embed", "", "projector"),
])
TABLE["gemma3n"] = GEMMA3N
_COMPILED["gemma3n"] = [(re.compile(r.regex), r) for r in GEMMA3N]


# ---------------------------------------------------------------------------------------------------
# The comparison (used by test_role_truth.py and the random-config property test)


def expected_entries(config: dict, params=None):
    """[(component, stack, layer, role, shape)] from transformers' parameters through the table."""
    from hf_truth import meta_params

    model_type = config["model_type"]
    assert model_type in TABLE, f"TABLE has no family {model_type!r}"
    out = []
    for name, shape, _conv1d in (meta_params(config) if params is None else params):
        rule, layer = rule_for(model_type, name)
        for role, per in expand(rule, layer, shape):
            out.append((rule.component, rule.stack, layer, role, tuple(per)))
    if model_type == "t5" and config.get("tie_word_embeddings") is False:
        # transformers 5 forces T5's head to be tied (T5Config sets tie_word_embeddings = True); a checkpoint
        # saved with tie_word_embeddings false (T5 v1.1) stores its own lm_head.weight [vocab, d_model].
        out.append(("language", "", None, "lm_head", (config["vocab_size"], config["d_model"])))
    if any(e[3] == BLOCK_NORM for e in out):
        mixer: dict = {}
        for _c, _s, layer, role, _shape in out:
            if role in NORM_BY_MIXER:
                assert mixer.setdefault(layer, NORM_BY_MIXER[role]) == NORM_BY_MIXER[role], (layer, role)
        out = [(c, s, layer, mixer[layer], shape) if role == BLOCK_NORM else (c, s, layer, role, shape)
               for c, s, layer, role, shape in out]
    return out


def actual_entries(inv):
    out = []
    for t in inv:
        if not t.counted:
            continue
        for layer in t.layers or (None,):
            out.extend([(t.component, t.stack, layer, t.role, tuple(t.shape))] * t.experts)
    return out


def _by_key(entries):
    d = collections.defaultdict(list)
    for comp, stack, layer, role, shape in entries:
        d[(comp, stack, layer, role)].append(shape)
    return {k: sorted(v) for k, v in d.items()}


def _sums(entries, key):
    d: dict = collections.Counter()
    for e in entries:
        d[key(e)] += math.prod(e[4])
    return dict(d)


def _group(e):
    comp, _stack, _layer, role, _shape = e
    return GROUP[role] if comp == "language" else comp


def check(config: dict, name: str, params=None) -> list[str]:
    """Every difference between the table's view and paramscope's, as readable lines."""
    from paramscope.model import from_config
    from paramscope.params import analyze

    model = from_config(config, name=name)
    exp, got = expected_entries(config, params), actual_entries(model.inventory)
    msgs = []
    e_roles, g_roles = _sums(exp, lambda e: e[3]), _sums(got, lambda e: e[3])
    for r in sorted(set(e_roles) | set(g_roles)):
        if e_roles.get(r) != g_roles.get(r):
            msgs.append(f"role {r}: transformers={e_roles.get(r)} paramscope={g_roles.get(r)}")
    e_keys, g_keys = _by_key(exp), _by_key(got)
    for k in sorted(set(e_keys) | set(g_keys), key=str):
        if e_keys.get(k) != g_keys.get(k):
            msgs.append(f"{k}: transformers={_short(e_keys.get(k))} paramscope={_short(g_keys.get(k))}")
    rep = analyze(model)
    if rep.by_tensor_role != e_roles:
        msgs.append(f"analyze().by_tensor_role {rep.by_tensor_role} != table {e_roles}")
    e_groups = _sums(exp, _group)
    if rep.by_role != e_groups:
        msgs.append(f"analyze().by_role {rep.by_role} != table {e_groups}")
    e_comp = _sums(exp, lambda e: e[0])
    if rep.by_component != e_comp:
        msgs.append(f"analyze().by_component {rep.by_component} != table {e_comp}")
    if rep.total != sum(e_roles.values()):
        msgs.append(f"analyze().total {rep.total} != table {sum(e_roles.values())}")
    return msgs


def _short(shapes):
    if shapes is None:
        return None
    c = collections.Counter(shapes)
    return ", ".join(f"{n}x{s}" if n > 1 else str(s) for s, n in c.items())


# ---------------------------------------------------------------------------------------------------
# Issue 10, decoder-only families, MoE and hybrids (helper D; appended). Written from transformers 5.23's
# modeling files named on each entry.


def _norms_wb(p: str, pairs: list[tuple[str, str]]) -> list[Rule]:
    return [Rule(rf"{p}layers\.{L}\.{n}\.{WB}", role, "decoder") for n, role in pairs]


_D_TABLE: dict[str, list[Rule]] = {
    # MinistralDecoderLayer (modeling_ministral.py): Llama's pre-norm block
    "ministral": LLAMA,
    # NemotronDecoderLayer (modeling_nemotron.py): LayerNorm1P (weight and bias) before attention and before the
    # plain up/down MLP; the final norm is a LayerNorm1P too
    "nemotron": (_llama_shell(M) + [Rule(rf"{M}norm\.bias", "norm_final", "decoder")] + _llama_attention(M)
                 + [Rule(rf"{M}layers\.{L}\.mlp\.(?:up_proj)\.{WB}", "mlp_up", "decoder"),
                    Rule(rf"{M}layers\.{L}\.mlp\.(?:down_proj)\.{WB}", "mlp_down", "decoder")]
                 + _norms_wb(M, [("input_layernorm", "norm_attn_in"), ("post_attention_layernorm", "norm_mlp_in")])),
    # GlmMoeDsaDecoderLayer (modeling_glm_moe_dsa.py): DeepSeek-V3.2's MLA + indexer (absent on "shared" layers)
    "glm_moe_dsa": DEEPSEEK_V32,
    # OlmoHybridAttentionDecoderLayer: OLMo-2 post-norms (post_attention_layernorm on the attention output,
    # post_feedforward_layernorm on the MLP output) and full-width q/k norms; OlmoHybridLinearAttentionDecoderLayer:
    # input_layernorm before OlmoHybridGatedDeltaNet, post_attention_layernorm before the MLP. The name
    # post_attention_layernorm means a different norm in each kind, so it is resolved from the layer's mixer.
    "olmo_hybrid": _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _qk_norms(M) + [
        Rule(rf"{M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.weight", "<olmo hybrid post-attention norm>", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_feedforward_layernorm\.weight", "norm_mlp_out", "decoder"),
        Rule(rf"{_LA}(?:q_proj|k_proj|v_proj)\.weight", "lin_in", "decoder"),
        Rule(rf"{_LA}(?:a_proj|b_proj|g_proj)\.weight", "lin_gate", "decoder"),
        Rule(rf"{_LA}(?:dt_bias|A_log)", "lin_gate", "decoder"),
        Rule(rf"{_LA}conv1d\.weight", "lin_conv", "decoder"),
        Rule(rf"{_LA}o_norm\.weight", "lin_norm", "decoder"),
        Rule(rf"{_LA}o_proj\.weight", "lin_out", "decoder"),
    ],
    # Lfm2MoeDecoderLayer (modeling_lfm2_moe.py): operator_norm before the mixer (Lfm2MoeShortConv `conv`:
    # in_proj, depthwise conv, out_proj; or Lfm2MoeAttention `self_attn` with q/k layernorms and out_proj),
    # ffn_norm before the feed-forward (Lfm2MoeMLP w1 = gate, w3 = up, w2 = down; or the sparse block: router
    # `gate`, fused experts); the final norm is `embedding_norm`
    "lfm2_moe": [
        Rule(rf"{M}embed_tokens\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
        Rule(rf"{M}embedding_norm\.weight", "norm_final", "decoder"),
        Rule(rf"{M}layers\.{L}\.operator_norm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.ffn_norm\.weight", "norm_mlp_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.q_proj\.weight", "attn_q", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.k_proj\.weight", "attn_k", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.v_proj\.weight", "attn_v", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.out_proj\.weight", "attn_o", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.q_layernorm\.weight", "norm_q", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.k_layernorm\.weight", "norm_k", "decoder"),
        Rule(rf"{M}layers\.{L}\.conv\.in_proj\.{WB}", "lin_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.conv\.conv\.{WB}", "lin_conv", "decoder"),
        Rule(rf"{M}layers\.{L}\.conv\.out_proj\.{WB}", "lin_out", "decoder"),
        Rule(rf"{M}layers\.{L}\.feed_forward\.w1\.weight", "mlp_gate", "decoder"),
        Rule(rf"{M}layers\.{L}\.feed_forward\.w3\.weight", "mlp_up", "decoder"),
        Rule(rf"{M}layers\.{L}\.feed_forward\.w2\.weight", "mlp_down", "decoder"),
    ] + _fused_experts(M, "feed_forward"),
    # Qwen3_5ForCausalLM / Qwen3_5MoeForCausalLM (modeling_qwen3_5*.py): Qwen3-Next's layout
    # Qwen3_5GatedDeltaNet splits Qwen3-Next's two input projections into in_proj_qkv, in_proj_z, in_proj_b, in_proj_a
    "qwen3_5": QWEN3_NEXT + [Rule(rf"{_LA}in_proj_(?:qkv|z|b|a)\.weight", "lin_in", "decoder")],
    "qwen3_5_moe": QWEN3_NEXT + [Rule(rf"{_LA}in_proj_(?:qkv|z|b|a)\.weight", "lin_in", "decoder")],
    # DeepseekV2MLP gives the dense and shared MLPs biases with mlp_bias (the routed stacks have none)
    "deepseek_v2": DEEPSEEK + [Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.{x}_proj\.bias", f"shared_{x}", "decoder")
                               for x in ("gate", "up", "down")],
}
TABLE.update(_D_TABLE)
_COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in _D_TABLE.items()})
NORM_BY_MIXER_D = {"attn_q": "norm_attn_out", "lin_in": "norm_mlp_in"}


def check_d(config: dict, name: str, params) -> list[str]:
    """check() for the families above, resolving OLMo-Hybrid's post_attention_layernorm from its layer's mixer."""
    import paramscope.model  # noqa: F401

    if config["model_type"] != "olmo_hybrid":
        return check(config, name, params)
    mixers = {}
    for n, _shape, _conv in params:
        m = re.fullmatch(rf"{M}layers\.(\d+)\.(self_attn|linear_attn)\.q_proj\.weight", n)
        if m:
            mixers[int(m.group(1))] = "attn_q" if m.group(2) == "self_attn" else "lin_in"
    # rewrite the ambiguous name to the role its layer's mixer implies, through a one-off rule set
    table = list(_COMPILED["olmo_hybrid"])
    try:
        fixed = []
        for p, r in table:
            if r.role == "<olmo hybrid post-attention norm>":
                continue
            fixed.append((p, r))
        for layer, kind in mixers.items():
            role = NORM_BY_MIXER_D[kind]
            fixed.append((re.compile(rf"{M}layers\.(?P<layer>{layer})\.post_attention_layernorm\.weight"),
                          Rule("", role, "decoder")))
        _COMPILED["olmo_hybrid"] = fixed
        return check(config, name, params)
    finally:
        _COMPILED["olmo_hybrid"] = table


# ---------------------------------------------------------------------------------------------------
# Issue 10, encoder / masked-LM families (helper E; appended). Written from transformers 5.23's modeling
# files named on each entry; stack-level tensors (relative embeddings, final norms) carry the stack name.


def _restack(rules: list[Rule], stack: str) -> list[Rule]:
    return [r._replace(stack=stack) if r.stack == "decoder" else r for r in rules]


def _bert_layer_rules(p: str, stack: str = "encoder") -> list[Rule]:
    """BertLayer names: attention.self.{query,key,value}, attention.output.{dense,LayerNorm} (post-LN after
    attention), intermediate.dense, output.{dense,LayerNorm} (post-LN after the MLP)."""
    a = rf"{p}encoder\.layer\.{L}\."
    return [
        Rule(rf"{a}attention\.self\.query\.{WB}", "attn_q", stack),
        Rule(rf"{a}attention\.self\.key\.{WB}", "attn_k", stack),
        Rule(rf"{a}attention\.self\.value\.{WB}", "attn_v", stack),
        Rule(rf"{a}attention\.output\.dense\.{WB}", "attn_o", stack),
        Rule(rf"{a}attention\.output\.LayerNorm\.{WB}", "norm_attn_out", stack),
        Rule(rf"{a}intermediate\.dense\.{WB}", "mlp_up", stack),
        Rule(rf"{a}output\.dense\.{WB}", "mlp_down", stack),
        Rule(rf"{a}output\.LayerNorm\.{WB}", "norm_mlp_out", stack),
    ]


def _bert_embeddings(p: str) -> list[Rule]:
    e = rf"{p}embeddings\."
    return [
        Rule(rf"{e}word_embeddings\.weight", "embed"),
        Rule(rf"{e}position_embeddings\.weight", "pos_embed"),
        Rule(rf"{e}token_type_embeddings\.weight", "type_embed"),
        Rule(rf"{e}LayerNorm\.{WB}", "norm_embed"),
    ]


def _bert_mlm_head(p: str = r"cls\.predictions\.", norm: str = "LayerNorm") -> list[Rule]:
    """BertLMPredictionHead-style: transform.dense + transform.<norm> (the transform), decoder (the output
    matrix, tied to the word embeddings unless untied), bias and decoder.bias (the vocabulary bias)."""
    return [
        Rule(rf"{p}transform\.dense\.{WB}", "mlm_transform"),
        Rule(rf"{p}transform\.{norm}\.{WB}", "mlm_transform"),
        Rule(rf"{p}(?:bias|decoder\.bias)", "mlm_bias"),
        Rule(rf"{p}decoder\.weight", "lm_head"),
    ]


def _roberta_lm_head(p: str = r"lm_head\.") -> list[Rule]:
    """RobertaLMHead-style: dense + layer_norm, decoder, bias / decoder.bias."""
    return [
        Rule(rf"{p}dense\.{WB}", "mlm_transform"),
        Rule(rf"{p}layer_norm\.{WB}", "mlm_transform"),
        Rule(rf"{p}(?:bias|decoder\.bias)", "mlm_bias"),
        Rule(rf"{p}decoder\.weight", "lm_head"),
    ]


_DB = r"(?:deberta\.)?"
_DBA = rf"{_DB}encoder\.layer\.{L}\.attention\.self\."
# DebertaEmbeddings (+ embed_proj without bias when embedding_size != hidden), DebertaLayer as BertLayer;
# DisentangledSelfAttention: v1 in_proj (fused q/k/v, no bias) + q_bias/v_bias, talking-head mixers,
# pos_proj / pos_q_proj over the relative embeddings; v2 query_proj/key_proj/value_proj, pos_key_proj /
# pos_query_proj. DebertaV2Encoder: rel_embeddings, LayerNorm over them, ConvLayer (conv + LayerNorm).
# Heads: legacy cls.predictions (BERT's); lm_predictions.lm_head (dense, LayerNorm, bias; no decoder).
_DEBERTA = (_bert_embeddings(_DB) + _bert_layer_rules(_DB) + _bert_mlm_head() + [
    Rule(rf"{_DB}embeddings\.embed_proj\.weight", "embed_proj"),
    Rule(rf"{_DBA}in_proj\.weight", "attn_qkv", "encoder"),
    Rule(rf"{_DBA}q_bias", "attn_q", "encoder"),
    Rule(rf"{_DBA}v_bias", "attn_v", "encoder"),
    Rule(rf"{_DBA}query_proj\.{WB}", "attn_q", "encoder"),
    Rule(rf"{_DBA}key_proj\.{WB}", "attn_k", "encoder"),
    Rule(rf"{_DBA}value_proj\.{WB}", "attn_v", "encoder"),
    Rule(rf"{_DBA}(?:pos_proj|pos_q_proj|pos_key_proj|pos_query_proj)\.{WB}", "rel_bias", "encoder"),
    Rule(rf"{_DBA}(?:head_logits_proj|head_weights_proj)\.weight", "other", "encoder"),
    Rule(rf"{_DB}encoder\.rel_embeddings\.weight", "rel_bias", "encoder"),
    Rule(rf"{_DB}encoder\.LayerNorm\.{WB}", "norm_embed", "encoder"),
    Rule(rf"{_DB}encoder\.conv\.(?:conv|LayerNorm)\.{WB}", "other", "encoder"),
    Rule(rf"lm_predictions\.lm_head\.(?:dense|LayerNorm)\.{WB}", "mlm_transform"),
    Rule(r"lm_predictions\.lm_head\.bias", "mlm_bias"),
])


def _modernbert(stack: str) -> list[Rule]:
    """ModernBertEncoderLayer / ModernBertDecoderLayer: attn_norm (absent in layer 0) before attention (Wqkv or
    q/k/v_proj, Wo), mlp_norm before the GLU MLP (Wi = input and gate, Wo); ModernBertPredictionHead
    (head / lm_head: dense + norm) and `decoder` (tied) with its bias."""
    m = r"(?:model\.)?"
    p = rf"{m}layers\.{L}\."
    return [
        Rule(rf"{m}embeddings\.tok_embeddings\.weight", "embed"),
        Rule(rf"{m}embeddings\.norm\.{WB}", "norm_embed"),
        Rule(rf"{p}attn\.Wqkv\.{WB}", "attn_qkv", stack),
        Rule(rf"{p}attn\.q_proj\.{WB}", "attn_q", stack),
        Rule(rf"{p}attn\.k_proj\.{WB}", "attn_k", stack),
        Rule(rf"{p}attn\.v_proj\.{WB}", "attn_v", stack),
        Rule(rf"{p}attn\.Wo\.{WB}", "attn_o", stack),
        Rule(rf"{p}attn_norm\.{WB}", "norm_attn_in", stack),
        Rule(rf"{p}mlp_norm\.{WB}", "norm_mlp_in", stack),
        Rule(rf"{p}mlp\.Wi\.{WB}", "mlp_gate_up", stack),
        Rule(rf"{p}mlp\.Wo\.{WB}", "mlp_down", stack),
        Rule(rf"{m}final_norm\.{WB}", "norm_final", stack),
        Rule(rf"(?:head|lm_head)\.(?:dense|norm)\.{WB}", "mlm_transform"),
        Rule(rf"decoder\.{WB}", "lm_head"),
    ]


def _rope_bert(p: str) -> list[Rule]:
    """NomicBertLayer / GteLayer / JinaEmbeddingsV3Layer: self_attn q/k/v/o, post_attention_layernorm (after the
    attention residual), mlp (gate/up/down or fc1/fc2), post_mlp_layernorm (after the MLP residual)."""
    a = rf"{p}layers\.{L}\."
    return _bert_embeddings(p) + [
        Rule(rf"{a}self_attn\.q_proj\.{WB}", "attn_q", "encoder"),
        Rule(rf"{a}self_attn\.k_proj\.{WB}", "attn_k", "encoder"),
        Rule(rf"{a}self_attn\.v_proj\.{WB}", "attn_v", "encoder"),
        Rule(rf"{a}self_attn\.o_proj\.{WB}", "attn_o", "encoder"),
        Rule(rf"{a}post_attention_layernorm\.{WB}", "norm_attn_out", "encoder"),
        Rule(rf"{a}mlp\.gate_proj\.{WB}", "mlp_gate", "encoder"),
        Rule(rf"{a}mlp\.(?:up_proj|fc1)\.{WB}", "mlp_up", "encoder"),
        Rule(rf"{a}mlp\.(?:down_proj|fc2)\.{WB}", "mlp_down", "encoder"),
        Rule(rf"{a}post_mlp_layernorm\.{WB}", "norm_mlp_out", "encoder"),
        Rule(rf"{p}pooler\.dense\.{WB}", "pooler"),
    ]


_E_TABLE: dict[str, list[Rule]] = {
    "deberta": _DEBERTA,
    "deberta-v2": _DEBERTA,
    "modernbert": _modernbert("encoder"),
    "modernbert-decoder": _modernbert("decoder"),
    # EuroBertModel: Llama's names; the layers are a bidirectional encoder stack; lm_head with a bias by mlp_bias
    "eurobert": _restack(_llama_shell(r"(?:model\.)?") + _llama_attention(r"(?:model\.)?") + _llama_mlp(r"(?:model\.)?")
                         + _pre_norms(r"(?:model\.)?"), "encoder") + [Rule(r"lm_head\.bias", "lm_head")],
    "nomic_bert": _rope_bert(r"(?:nomic_bert\.)?") + _bert_mlm_head(norm="layer_norm"),
    "gte": _rope_bert(r"(?:gte\.)?") + _roberta_lm_head(),
    "jina_embeddings_v3": _rope_bert(r"(?:roberta\.)?") + _roberta_lm_head(),
}


def add_table(extra: dict[str, list[Rule]]) -> None:
    """Register more families (TABLE and its compiled form)."""
    TABLE.update(extra)
    _COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in extra.items()})


add_table(_E_TABLE)


# Zamba (modeling_zamba.py) and Zamba2 (modeling_zamba2.py): the shared transformer block is stored once per
# block under the first hybrid layer that uses it (`layers.<depth>.shared_transf` / `shared_transformer`);
# paramscope describes it as the stack "shared", one layer per use. check_zamba renames each stored block to
# `shared.<use>.` (its first use) before the table below maps it; the per-use LoRA adapters (adapter_list.<k>)
# are tensors of the shared stack itself (no layer).
_ZM = rf"{M}layers\.{L}\.(?:mamba_decoder\.)?mamba\."
_ZS = rf"shared\.{L}\."
_ZAMBA_COMMON = [
    Rule(rf"{M}embed_tokens\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{M}final_layernorm\.weight", "norm_final", "decoder"),
    Rule(rf"{M}layers\.{L}\.(?:mamba_decoder\.)?input_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{M}layers\.{L}\.linear\.weight", "other", "decoder"),
    Rule(rf"{_ZM}in_proj\.{WB}", "ssm_in", "decoder"), Rule(rf"{_ZM}conv1d\.{WB}", "ssm_conv", "decoder"),
    Rule(rf"{_ZM}out_proj\.{WB}", "ssm_out", "decoder"), Rule(rf"{_ZM}A_log", "ssm_a", "decoder"),
    Rule(rf"{_ZM}D", "ssm_d", "decoder"),
    Rule(rf"{_ZS}self_attn\.q_proj\.weight", "attn_q", "shared"),
    Rule(rf"{_ZS}self_attn\.k_proj\.weight", "attn_k", "shared"),
    Rule(rf"{_ZS}self_attn\.v_proj\.weight", "attn_v", "shared"),
    Rule(rf"{_ZS}self_attn\.o_proj\.weight", "attn_o", "shared"),
    Rule(rf"{_ZS}input_layernorm\.weight", "norm_attn_in", "shared"),
    Rule(rf"{_ZS}pre_ff_layernorm\.weight", "norm_mlp_in", "shared"),
]
_D_TABLE2: dict[str, list[Rule]] = {
    "zamba": _ZAMBA_COMMON + [
        Rule(rf"{_ZM}x_proj_weight", "ssm_x", "decoder"),
        Rule(rf"{_ZM}dt_proj_(?:weight|bias)", "ssm_dt", "decoder"),
        Rule(rf"{_ZS}feed_forward\.gate_proj\.weight", "mlp_gate", "shared"),
        Rule(rf"{_ZS}feed_forward\.up_proj\.weight", "mlp_up", "shared"),
        Rule(rf"{_ZS}feed_forward\.down_proj\.weight", "mlp_down", "shared"),
    ],
    "zamba2": _ZAMBA_COMMON + [
        Rule(rf"{_ZM}dt_bias", "ssm_dt", "decoder"), Rule(rf"{_ZM}norm\.weight", "ssm_inner_norm", "decoder"),
        Rule(rf"{_ZS}feed_forward\.gate_up_proj\.{WB}", "mlp_gate_up", "shared"),
        Rule(rf"{_ZS}feed_forward\.down_proj\.{WB}", "mlp_down", "shared"),
        Rule(r"shared\.\d+\.feed_forward\.gate_up_proj_adapter_list\.\d+\.[01]\.weight", "mlp_gate_up", "shared"),
    ] + [Rule(rf"shared\.\d+\.self_attn\.linear_{x}_adapter_list\.\d+\.[01]\.weight", f"attn_{x}", "shared")
         for x in "qkv"],
}
TABLE.update(_D_TABLE2)
_COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in _D_TABLE2.items()})


def check_zamba(config: dict, name: str, params) -> list[str]:
    """check() for Zamba / Zamba2 with each stored shared block renamed to the stack of its uses."""
    key = "shared_transf" if config["model_type"] == "zamba" else "shared_transformer"
    types = config["layers_block_type"]
    uses = {depth: u for u, depth in enumerate(i for i, t in enumerate(types) if t == "hybrid")}
    pat = re.compile(rf"model\.layers\.(\d+)\.{key}\.")
    renamed = tuple((pat.sub(lambda m: f"shared.{uses[int(m.group(1))]}.", n), s, c) for n, s, c in params)
    return check(config, name, renamed)
def _bertlike(prefix: str, head: list[Rule], extra: list[Rule] = ()) -> list[Rule]:
    """A BERT-named encoder under `prefix` (optional: the bare model has none) with its pooler and a head."""
    p = rf"(?:{prefix}\.)?"
    return (_bert_embeddings(p) + _bert_layer_rules(p) + [Rule(rf"{p}pooler\.dense\.{WB}", "pooler")] + head
            + [r._replace(regex=r.regex.replace("{P}", p)) for r in extra])


_EA = r"{P}encoder\.layer\.(?P<layer>\d+)\.attention\.self\."
add_table({
    # LayoutLMEmbeddings: x/y/h/w position tables of the bounding boxes
    "layoutlm": _bertlike("layoutlm", _bert_mlm_head(), [
        Rule(r"{P}embeddings\.(?:x|y|h|w)_position_embeddings\.weight", "pos_embed")]),
    "ibert": _bertlike("ibert", _roberta_lm_head()),
    # TapasEmbeddings: token_type_embeddings_0..6
    "tapas": _bertlike("tapas", _bert_mlm_head(), [
        Rule(r"{P}embeddings\.token_type_embeddings_\d+\.weight", "type_embed")]),
    "mra": _bertlike("mra", _bert_mlm_head()),
    # YosoSelfAttention / NystromformerSelfAttention: a depthwise Conv2d over the values (no bias)
    "yoso": _bertlike("yoso", _bert_mlm_head(), [Rule(rf"{_EA}conv\.weight", "other", "encoder")]),
    "nystromformer": _bertlike("nystromformer", _bert_mlm_head(), [Rule(rf"{_EA}conv\.weight", "other", "encoder")]),
    # LongformerSelfAttention: query_global / key_global / value_global for the global tokens
    "longformer": _bertlike("longformer", _roberta_lm_head(), [
        Rule(rf"{_EA}query_global\.{WB}", "attn_q", "encoder"),
        Rule(rf"{_EA}key_global\.{WB}", "attn_k", "encoder"),
        Rule(rf"{_EA}value_global\.{WB}", "attn_v", "encoder")]),
    # XmodOutput: per-language bottleneck adapters (dense1, dense2) and the optional adapter LayerNorm
    # (post-LN configs; a pre_norm config moves the LayerNorms' meaning, see tests/test_encoder_families.py)
    "xmod": _bertlike("roberta", _roberta_lm_head(), [
        Rule(r"{P}encoder\.layer\.(?P<layer>\d+)\.output\.adapter_modules\.\w+\.dense[12]\." + WB, "other", "encoder"),
        Rule(r"{P}encoder\.layer\.(?P<layer>\d+)\.output\.adapter_layer_norm\." + WB, "other", "encoder")]),
    # RoCBertEmbeddings: pronunciation and shape tables, map_inputs_layer over the concatenation
    "roc_bert": _bertlike("roc_bert", _bert_mlm_head(), [
        Rule(r"{P}embeddings\.(?:pronunciation_embed|shape_embed)\.weight", "embed"),
        Rule(rf"{{P}}embeddings\.map_inputs_layer\.{WB}", "embed_proj")]),
})
_ESM = r"(?:esm\.)?"
_ESMC = r"(?:esmc\.)?"
_FN = r"(?:fnet\.)?"
add_table({
    # EsmEmbeddings (word, absolute positions, optional layer_norm), EsmLayer: attention.LayerNorm before the
    # attention, LayerNorm before the MLP (pre-LN); emb_layer_norm_after closes the encoder; contact_head
    "esm": [
        Rule(rf"{_ESM}embeddings\.word_embeddings\.weight", "embed"),
        Rule(rf"{_ESM}embeddings\.position_embeddings\.weight", "pos_embed"),
        Rule(rf"{_ESM}embeddings\.layer_norm\.{WB}", "norm_embed"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.attention\.self\.query\.{WB}", "attn_q", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.attention\.self\.key\.{WB}", "attn_k", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.attention\.self\.value\.{WB}", "attn_v", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.attention\.output\.dense\.{WB}", "attn_o", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.attention\.LayerNorm\.{WB}", "norm_attn_in", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.intermediate\.dense\.{WB}", "mlp_up", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.output\.dense\.{WB}", "mlp_down", "encoder"),
        Rule(rf"{_ESM}encoder\.layer\.{L}\.LayerNorm\.{WB}", "norm_mlp_in", "encoder"),
        Rule(rf"{_ESM}encoder\.emb_layer_norm_after\.{WB}", "norm_final", "encoder"),
        Rule(rf"{_ESM}contact_head\.regression\.{WB}", "other"),
        Rule(rf"{_ESM}pooler\.dense\.{WB}", "pooler"),
    ] + _roberta_lm_head(),
    # EsmcLayer: input_layernorm, self_attn (q/k/v/o, q_norm, k_norm), post_attention_layernorm, SwiGLU mlp;
    # EsmcMaskedLMHead: dense, layer_norm, decoder (weight and bias)
    "esmc": _restack(_llama_attention(_ESMC) + _llama_mlp(_ESMC) + _qk_norms(_ESMC), "encoder") + [
        Rule(rf"{_ESMC}embed_tokens\.weight", "embed"),
        Rule(rf"{_ESMC}layers\.{L}\.input_layernorm\.{WB}", "norm_attn_in", "encoder"),
        Rule(rf"{_ESMC}layers\.{L}\.post_attention_layernorm\.{WB}", "norm_mlp_in", "encoder"),
        Rule(rf"{_ESMC}norm\.weight", "norm_final", "encoder"),
        Rule(rf"lm_head\.(?:dense|layer_norm)\.{WB}", "mlm_transform"),
        Rule(r"lm_head\.decoder\.weight", "lm_head"),
        Rule(r"lm_head\.decoder\.bias", "mlm_bias"),
    ],
    # FNetEmbeddings (+ projection), FNetLayer: fourier.output.LayerNorm after the Fourier mixing, BERT's MLP
    "fnet": _bert_embeddings(_FN) + _bert_mlm_head() + [
        Rule(rf"{_FN}embeddings\.projection\.{WB}", "embed_proj"),
        Rule(rf"{_FN}encoder\.layer\.{L}\.fourier\.output\.LayerNorm\.{WB}", "norm_attn_out", "encoder"),
        Rule(rf"{_FN}encoder\.layer\.{L}\.intermediate\.dense\.{WB}", "mlp_up", "encoder"),
        Rule(rf"{_FN}encoder\.layer\.{L}\.output\.dense\.{WB}", "mlp_down", "encoder"),
        Rule(rf"{_FN}encoder\.layer\.{L}\.output\.LayerNorm\.{WB}", "norm_mlp_out", "encoder"),
        Rule(rf"{_FN}pooler\.dense\.{WB}", "pooler"),
        Rule(rf"cls\.seq_relationship\.{WB}", "pooler"),  # FNetForPreTraining's next-sentence classifier
    ],
})
_XT = r"(?:transformer\.)?"
# XLMModel / FlaubertModel: position_embeddings, lang_embeddings, embeddings, layer_norm_emb; per layer
# attentions.N (q_lin/k_lin/v_lin/out_lin), layer_norm1.N (after the attention residual unless pre_norm),
# ffns.N (lin1, lin2), layer_norm2.N; XLMPredLayer.proj (tied weight, bias)
_XLM = [
    Rule(rf"{_XT}position_embeddings\.weight", "pos_embed"),
    Rule(rf"{_XT}lang_embeddings\.weight", "type_embed"),
    Rule(rf"{_XT}embeddings\.weight", "embed"),
    Rule(rf"{_XT}layer_norm_emb\.{WB}", "norm_embed"),
    Rule(rf"{_XT}attentions\.{L}\.q_lin\.{WB}", "attn_q", "encoder"),
    Rule(rf"{_XT}attentions\.{L}\.k_lin\.{WB}", "attn_k", "encoder"),
    Rule(rf"{_XT}attentions\.{L}\.v_lin\.{WB}", "attn_v", "encoder"),
    Rule(rf"{_XT}attentions\.{L}\.out_lin\.{WB}", "attn_o", "encoder"),
    Rule(rf"{_XT}layer_norm1\.{L}\.{WB}", "norm_attn_out", "encoder"),
    Rule(rf"{_XT}ffns\.{L}\.lin1\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_XT}ffns\.{L}\.lin2\.{WB}", "mlp_down", "encoder"),
    Rule(rf"{_XT}layer_norm2\.{L}\.{WB}", "norm_mlp_out", "encoder"),
    Rule(rf"pred_layer\.proj\.{WB}", "lm_head"),
]
add_table({"xlm": _XLM, "flaubert": _XLM})
# FunnelLayer (funnel/modeling_funnel.py): attention q_head / k_head / v_head / post_proj, layer_norm (after the
# residual), the relative-attention biases and r_kernel, seg_embed; ffn linear_1 / linear_2 / layer_norm. Encoder
# layers are named encoder.blocks.<block>.<i>; tests/test_encoder_families.py renames them to
# encoder.layers.<index of their first run> (block_repeats run a layer several times) before this table.
def _funnel_layer(p: str, stack: str) -> list[Rule]:
    a = rf"{p}\.{L}\.attention\."
    f = rf"{p}\.{L}\.ffn\."
    return [
        Rule(rf"{a}q_head\.weight", "attn_q", stack),
        Rule(rf"{a}k_head\.{WB}", "attn_k", stack),
        Rule(rf"{a}v_head\.{WB}", "attn_v", stack),
        Rule(rf"{a}post_proj\.{WB}", "attn_o", stack),
        Rule(rf"{a}layer_norm\.{WB}", "norm_attn_out", stack),
        Rule(rf"{a}r_w_bias", "attn_q", stack),
        Rule(rf"{a}(?:r_r_bias|r_s_bias|r_kernel)", "rel_bias", stack),
        Rule(rf"{a}seg_embed", "type_embed", stack),
        Rule(rf"{f}linear_1\.{WB}", "mlp_up", stack),
        Rule(rf"{f}linear_2\.{WB}", "mlp_down", stack),
        Rule(rf"{f}layer_norm\.{WB}", "norm_mlp_out", stack),
    ]


_FU = r"(?:funnel\.)?"
add_table({"funnel": [
    Rule(rf"{_FU}embeddings\.word_embeddings\.weight", "embed"),
    Rule(rf"{_FU}embeddings\.layer_norm\.{WB}", "norm_embed"),
    Rule(rf"lm_head\.{WB}", "lm_head"),
] + _funnel_layer(rf"{_FU}encoder\.layers", "encoder") + _funnel_layer(rf"{_FU}decoder\.layers", "upsampler")})
# XLNetModel: word_embedding, mask_emb; XLNetLayer: rel_attn (q, k, v, o einsum parameters -- reshaped to their
# logical [out, in] projections by tests/test_encoder_families.py --, r over the relative positions, the r_*
# biases, seg_embed, layer_norm after the residual) and ff (layer_1, layer_2, layer_norm); lm_loss
_XL = r"(?:transformer\.)?"
_XLA = rf"{_XL}layer\.{L}\.rel_attn\."
add_table({"xlnet": [
    Rule(rf"{_XL}(?:word_embedding\.weight|mask_emb)", "embed"),
    Rule(rf"{_XLA}q", "attn_q", "encoder"),
    Rule(rf"{_XLA}k", "attn_k", "encoder"),
    Rule(rf"{_XLA}v", "attn_v", "encoder"),
    Rule(rf"{_XLA}o", "attn_o", "encoder"),
    Rule(rf"{_XLA}r_w_bias", "attn_q", "encoder"),
    Rule(rf"{_XLA}(?:r|r_r_bias|r_s_bias)", "rel_bias", "encoder"),
    Rule(rf"{_XLA}seg_embed", "type_embed", "encoder"),
    Rule(rf"{_XLA}layer_norm\.{WB}", "norm_attn_out", "encoder"),
    Rule(rf"{_XL}layer\.{L}\.ff\.layer_1\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_XL}layer\.{L}\.ff\.layer_2\.{WB}", "mlp_down", "encoder"),
    Rule(rf"{_XL}layer\.{L}\.ff\.layer_norm\.{WB}", "norm_mlp_out", "encoder"),
    Rule(rf"lm_loss\.{WB}", "lm_head"),
]})
# LukeModel: BERT's embeddings and layers, LukeEntityEmbeddings, entity-aware query projections; LukeForMaskedLM:
# LukeLMHead (RoBERTa's, its decoder a matrix of its own) and EntityPredictionHead (transform, decoder tied to the
# entity table, bias)
_LK = r"(?:luke\.)?"
add_table({"luke": _bertlike("luke", _roberta_lm_head(), [
    Rule(r"{P}entity_embeddings\.entity_embeddings\.weight", "embed"),
    Rule(r"{P}entity_embeddings\.entity_embedding_dense\.weight", "embed_proj"),
    Rule(r"{P}entity_embeddings\.position_embeddings\.weight", "pos_embed"),
    Rule(r"{P}entity_embeddings\.token_type_embeddings\.weight", "type_embed"),
    Rule(r"{P}entity_embeddings\.LayerNorm\." + WB, "norm_embed"),
    Rule(rf"{_EA}(?:w2e|e2w|e2e)_query\.{WB}", "attn_q", "encoder"),
    Rule(r"entity_predictions\.transform\.(?:dense|LayerNorm)\." + WB, "mlm_transform"),
    Rule(r"entity_predictions\.decoder\.weight", "lm_head"),
    Rule(r"entity_predictions\.bias", "mlm_bias"),
])})
# UltrabertModel: Llama's names (a bidirectional encoder stack); UltrabertPredictionHead: linear1, linear2, decoder
_UB = r"(?:model\.)?"
add_table({"ultrabert": _restack(_llama_shell(_UB, head=False) + _llama_attention(_UB) + _llama_mlp(_UB)
                                 + _pre_norms(_UB), "encoder") + [
    Rule(r"head\.linear[12]\.weight", "mlm_transform"),
    Rule(r"head\.decoder\.weight", "lm_head"),
]})
# ReformerModel: word embeddings, axial (weights.N) or plain position embeddings; ReformerLayer: attention.layer_norm
# (pre-LN), self_attention (local: query/key/value; LSH: query_key/value), output.dense; feed_forward.layer_norm,
# dense.dense, output.dense; encoder.layer_norm over both reversible streams; ReformerOnlyLMHead decoder + bias
_RF = r"(?:reformer\.)?"
_RFL = rf"{_RF}encoder\.layers\.{L}\."
add_table({"reformer": [
    Rule(rf"{_RF}embeddings\.word_embeddings\.weight", "embed"),
    Rule(rf"{_RF}embeddings\.position_embeddings\.(?:weights\.\d+|embedding\.weight)", "pos_embed"),
    Rule(rf"{_RFL}attention\.layer_norm\.{WB}", "norm_attn_in", "encoder"),
    Rule(rf"{_RFL}attention\.self_attention\.(?:query|query_key)\.weight", "attn_q", "encoder"),
    Rule(rf"{_RFL}attention\.self_attention\.key\.weight", "attn_k", "encoder"),
    Rule(rf"{_RFL}attention\.self_attention\.value\.weight", "attn_v", "encoder"),
    Rule(rf"{_RFL}attention\.output\.dense\.weight", "attn_o", "encoder"),
    Rule(rf"{_RFL}feed_forward\.layer_norm\.{WB}", "norm_mlp_in", "encoder"),
    Rule(rf"{_RFL}feed_forward\.dense\.dense\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_RFL}feed_forward\.output\.dense\.{WB}", "mlp_down", "encoder"),
    Rule(rf"{_RF}encoder\.layer_norm\.{WB}", "norm_final", "encoder"),
    Rule(r"lm_head\.decoder\.weight", "lm_head"),
    Rule(r"lm_head\.bias", "lm_head"),
]})
# PerceiverForMaskedLM: input_preprocessor (embeddings, position_embeddings), embeddings.latents; PerceiverLayer:
# attention.self (layernorm1 on the queries, layernorm2 on the keys' source, query/key/value), attention.output.dense,
# layernorm, mlp (dense1, dense2). tests/test_encoder_families.py names the encoder's cross_attention layer
# encoder.layers.0 (its attention "xattention"), its self_attends.N encoder.layers.N+1 and the decoder's
# decoding_cross_attention decoder.layers.0 (attention "xattention") before this table.
def _perceiver_layers(p: str, stack: str) -> list[Rule]:
    a = rf"{p}\.layers\.{L}\."
    out = [
        Rule(rf"{a}(?:x?attention)\.self\.layernorm1\.{WB}", "norm_attn_in", stack),
        Rule(rf"{a}xattention\.self\.layernorm2\.{WB}", "norm_cross_in", stack),
        Rule(rf"{a}layernorm\.{WB}", "norm_mlp_in", stack),
        Rule(rf"{a}mlp\.dense1\.{WB}", "mlp_up", stack),
        Rule(rf"{a}mlp\.dense2\.{WB}", "mlp_down", stack),
    ]
    for sub, x in (("attention", "attn_"), ("xattention", "xattn_")):
        out += [
            Rule(rf"{a}{sub}\.self\.query\.{WB}", f"{x}q", stack),
            Rule(rf"{a}{sub}\.self\.key\.{WB}", f"{x}k", stack),
            Rule(rf"{a}{sub}\.self\.value\.{WB}", f"{x}v", stack),
            Rule(rf"{a}{sub}\.output\.dense\.{WB}", f"{x}o", stack),
        ]
    return out


_PC = r"perceiver\."
add_table({"perceiver": [
    Rule(rf"{_PC}input_preprocessor\.embeddings\.weight", "embed"),
    Rule(rf"{_PC}input_preprocessor\.position_embeddings\.weight", "pos_embed"),
    Rule(rf"{_PC}embeddings\.latents", "other"),
    Rule(rf"{_PC}decoder\.output_position_encodings\.position_embeddings", "pos_embed"),
    Rule(r"embedding_decoder\.bias", "lm_head"),
] + _perceiver_layers(rf"{_PC}encoder", "encoder") + _perceiver_layers(rf"{_PC}decoder", "output_decoder")})
# NeoMMEModel: embed_tokens (word_embeddings, embedding_projection), patch_embeddings (norm, up_proj, down_proj),
# value_embeddings; NeoMMEEncoderLayer: lambdas, self_attn (q/k/v_proj, exclusive_self_attention.alpha,
# output_projection gate_proj / o_proj), mlp (up_proj, down_proj); its RMSNorms have no weights.
# NeoMMEForMaskedLM: unembedding_projection and lm_head (tied to the embedding projection and table by default)
_NM = r"(?:model\.)?"
_NML = rf"{_NM}layers\.{L}\."
add_table({"neomme": [
    Rule(rf"{_NM}embed_tokens\.word_embeddings\.weight", "embed"),
    Rule(rf"{_NM}embed_tokens\.embedding_projection\.weight", "embed_proj"),
    Rule(rf"{_NM}patch_embeddings\.(?:norm|up_proj|down_proj)\.{WB}", "patch_embed"),
    Rule(rf"{_NM}value_embeddings\.weight", "embed"),
    Rule(rf"{_NML}lambdas", "other", "encoder"),
    Rule(rf"{_NML}self_attn\.q_proj\.{WB}", "attn_q", "encoder"),
    Rule(rf"{_NML}self_attn\.k_proj\.{WB}", "attn_k", "encoder"),
    Rule(rf"{_NML}self_attn\.v_proj\.{WB}", "attn_v", "encoder"),
    Rule(rf"{_NML}self_attn\.exclusive_self_attention\.alpha", "other", "encoder"),
    Rule(rf"{_NML}self_attn\.output_projection\.(?:gate_proj|o_proj)\.{WB}", "attn_o", "encoder"),
    Rule(rf"{_NML}mlp\.up_proj\.{WB}", "mlp_up", "encoder"),
    Rule(rf"{_NML}mlp\.down_proj\.{WB}", "mlp_down", "encoder"),
    Rule(r"(?:lm_head|unembedding_projection)\.weight", "lm_head"),
]})
# ---- end of helper E's families ----


_SA = rf"{M}layers\.{L}\.self_attention\."
_D_TABLE3: dict[str, list[Rule]] = {
    # HYV3DecoderLayer (modeling_hy_v3.py): Qwen3's attention (per-head q/k norms), a dense MLP or HYV3MoE (router
    # `gate`, fused experts, shared_experts MLP with mlp_bias biases)
    "hy_v3": QWEN3 + _fused_experts(M) + _shared_experts(M, "shared_experts") + [
        Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.{x}_proj\.bias", f"shared_{x}", "decoder")
        for x in ("gate", "up", "down")],
    # MiMoV2FlashDecoderLayer (modeling_mimo_v2_flash.py): Llama's block, per-head sinks on the sliding layers, a
    # dense MLP or MiMoV2FlashMoE (router `gate`, fused experts)
    "mimo_v2_flash": LLAMA + [Rule(rf"{M}layers\.{L}\.self_attn\.sinks", "attn_sinks", "decoder")] + _fused_experts(M),
    # JetMoeDecoderLayer (modeling_jetmoe.py): JetMoeAttention = JetMoeMoA `experts` (router.layer, input_linear =
    # the routed q experts [E, kv x kv_channels, hidden], output_linear = the routed o experts, `bias` = the
    # output bias) + the shared kv_proj; JetMoeMoE `mlp` (router.layer, input_linear [E, 2I, H] = fused gate/up
    # experts, output_linear = down experts, `bias` = the output bias)
    "jetmoe": [
        Rule(rf"{M}embed_tokens\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
        Rule(rf"{M}norm\.weight", "norm_final", "decoder"),
        Rule(rf"{M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
        Rule(rf"{_SA}experts\.router\.layer\.weight", "router", "decoder"),
        Rule(rf"{_SA}experts\.input_linear\.weight", "attn_q", "decoder", layout="experts"),
        Rule(rf"{_SA}experts\.output_linear\.weight", "attn_o", "decoder", layout="experts"),
        Rule(rf"{_SA}experts\.bias", "attn_o", "decoder"),
        Rule(rf"{_SA}kv_proj\.weight", "attn_qkv", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.router\.layer\.weight", "router", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.input_linear\.weight", "expert_gate_up", "decoder", layout="experts"),
        Rule(rf"{M}layers\.{L}\.mlp\.output_linear\.weight", "expert_down", "decoder", layout="experts"),
        Rule(rf"{M}layers\.{L}\.mlp\.bias", "expert_down", "decoder"),
    ],
}
# Gemma4TextDecoderLayer (modeling_gemma4.py): Gemma 3's sandwich block and q/k norms, per-layer-input gate,
# projection and norm, and the model's per-layer embeddings; with enable_moe_block, `router` (proj, scale,
# per_expert_scale), fused `experts` and three more norms, while the dense `mlp` always runs beside them
# (paramscope: the MoE's shared expert), hence a second table used for MoE configs.
_G4 = GEMMA3_TEXT + [
    Rule(rf"{M}embed_tokens_per_layer\.weight", "embed", "decoder"),  # paramscope: tensors of the decoder stack
    Rule(rf"{M}per_layer_model_projection\.weight", "embed_proj", "decoder"),
    Rule(rf"{M}per_layer_projection_norm\.weight", "norm_embed", "decoder"),
    Rule(rf"{M}layers\.{L}\.per_layer_input_gate\.weight", "other", "decoder"),
    Rule(rf"{M}layers\.{L}\.per_layer_projection\.weight", "other", "decoder"),
    Rule(rf"{M}layers\.{L}\.post_per_layer_input_norm\.weight", "norm_embed", "decoder"),
]
_D_TABLE3["gemma4_text"] = _G4
_G4_MOE = [r for r in _G4 if r.role not in ("mlp_gate", "mlp_up", "mlp_down")] + [
    Rule(rf"{M}layers\.{L}\.mlp\.gate_proj\.weight", "shared_gate", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.up_proj\.weight", "shared_up", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.down_proj\.weight", "shared_down", "decoder"),
    Rule(rf"{M}layers\.{L}\.router\.(?:proj\.weight|scale|per_expert_scale)", "router", "decoder"),
    Rule(rf"{M}layers\.{L}\.experts\.gate_up_proj", "expert_gate_up", "decoder", layout="experts"),
    Rule(rf"{M}layers\.{L}\.experts\.down_proj", "expert_down", "decoder", layout="experts"),
    Rule(rf"{M}layers\.{L}\.post_feedforward_layernorm_[12]\.weight", "norm_mlp_out", "decoder"),
    Rule(rf"{M}layers\.{L}\.pre_feedforward_layernorm_2\.weight", "norm_mlp_in", "decoder"),
]
TABLE.update(_D_TABLE3)
_COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in _D_TABLE3.items()})


def check_gemma4(config: dict, name: str, params) -> list[str]:
    """check() for Gemma 4's text model, with the MoE table when enable_moe_block is set."""
    if not config.get("enable_moe_block"):
        return check(config, name, params)
    table = _COMPILED["gemma4_text"]
    try:
        _COMPILED["gemma4_text"] = [(re.compile(r.regex), r) for r in _G4_MOE]
        return check(config, name, params)
    finally:
        _COMPILED["gemma4_text"] = table


_BA = rf"{M}layers\.{L}\.self_attn\."
_D_TABLE4: dict[str, list[Rule]] = {
    # LagunaDecoderLayer (modeling_laguna.py): Qwen3's attention plus the output gate g_proj (scales the attention
    # output before o_proj: role attn_o), a dense MLP or LagunaSparseMoeBlock (router `gate` with a frozen
    # e_score_correction_bias parameter, fused experts, shared_experts)
    "laguna": QWEN3 + _fused_experts(M) + _shared_experts(M, "shared_experts") + [
        Rule(rf"{_BA}g_proj\.weight", "attn_o", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.gate\.e_score_correction_bias", "router", "decoder")],
    # BailingHybridDecoderLayer (modeling_bailing_hybrid.py): `self_attn` is BailingHybridAttention (MLA without a
    # q LoRA, plus the per-head output gate g_proj) or BailingHybridDeltaAttention (q/k/v, conv1d, forget_gate
    # f_proj/dt_bias/A_log, b_proj, g_proj output gate, o_norm, o_proj); a dense MLP or BailingHybridMoE (router
    # `gate`, fused experts, shared_experts). The two kinds share the names q_proj / o_proj / g_proj, so the
    # table resolves them by the layer's kind (check_bailing).
    "bailing_hybrid": _llama_shell(M) + _pre_norms(M) + _llama_mlp(M) + _fused_experts(M)
    + _shared_experts(M, "shared_experts") + [
        Rule(rf"{_BA}kv_a_proj_with_mqa\.{WB}", "attn_kv_a", "decoder"),
        Rule(rf"{_BA}kv_a_layernorm\.weight", "norm_kv_a", "decoder"),
        Rule(rf"{_BA}kv_b_proj\.weight", "attn_kv_b", "decoder"),
        Rule(rf"{_BA}(?:k_proj|v_proj)\.weight", "lin_in", "decoder"),
        Rule(rf"{_BA}conv1d\.weight", "lin_conv", "decoder"),
        Rule(rf"{_BA}forget_gate\.(?:A_log|dt_bias|f_proj\.weight)", "lin_gate", "decoder"),
        Rule(rf"{_BA}b_proj\.weight", "lin_gate", "decoder"),
        Rule(rf"{_BA}o_norm\.weight", "lin_norm", "decoder"),
    ],
}
TABLE.update(_D_TABLE4)
_COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in _D_TABLE4.items()})


def check_bailing(config: dict, name: str, params) -> list[str]:
    """check() for BailingHybrid: q_proj / o_proj / g_proj mean attention (MLA layers) or linear-mixer tensors
    (delta attention layers); the layer's kind comes from layer_types."""
    types = config["layer_types"]
    base = _COMPILED["bailing_hybrid"]
    extra = []
    for i, t in enumerate(types):
        roles = {"q_proj": "attn_q", "o_proj": "attn_o", "g_proj": "attn_o"} if t == "full_attention" else \
            {"q_proj": "lin_in", "o_proj": "lin_out", "g_proj": "lin_gate"}
        for n, role in roles.items():
            extra.append((re.compile(rf"{M}layers\.(?P<layer>{i})\.self_attn\.{n}\.{WB}"), Rule("", role, "decoder")))
    try:
        _COMPILED["bailing_hybrid"] = base + extra
        return check(config, name, params)
    finally:
        _COMPILED["bailing_hybrid"] = base


def _expand_d(rule: Rule, layer, shape):
    """expand() plus one layout: Aria's gate_up stacks stored [E, in, 2 x I] (x @ W, then chunk(2, dim=-1): the
    first I output columns are the gate)."""
    if rule.layout == "experts_in_out_gate_up":
        e, h, two_i = shape
        gate, up = rule.role
        return [(gate, (two_i // 2, h))] * e + [(up, (two_i // 2, h))] * e
    return _expand_base(rule, layer, shape)


_expand_base = expand
expand = _expand_d  # noqa: F811 - expected_entries looks the name up at call time

_D_TABLE5: dict[str, list[Rule]] = {
    # AriaTextDecoderLayer (aria/modeling_aria.py): Llama attention and pre-norms; AriaTextMoELayer: router
    # (a bare weight), AriaExperts stacks gate_up_proj [E, H, 2I] and down_proj [E, I, H] (x @ W), shared_experts
    "aria_text": _llama_shell(M) + _llama_attention(M) + _pre_norms(M) + [
        Rule(rf"{M}layers\.{L}\.mlp\.router\.weight", "router", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.experts\.gate_up_proj", ("expert_gate", "expert_up"), "decoder",
             layout="experts_in_out_gate_up"),
        Rule(rf"{M}layers\.{L}\.mlp\.experts\.down_proj", "expert_down", "decoder", layout="experts_in_out"),
    ] + [Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.{x}_proj\.{WB}", f"shared_{x}", "decoder")
         for x in ("gate", "up", "down")],
    # AfmoeDecoderLayer (afmoe/modeling_afmoe.py): sandwich norms (input / post_attention around attention,
    # pre_mlp / post_mlp around the MLP), Qwen3 attention plus the output gate gate_proj, a dense MLP or
    # AfmoeSparseMoeBlock (router.gate, fused experts, shared_experts, the frozen expert_bias parameter)
    "afmoe": _llama_shell(M) + _llama_attention(M) + _qk_norms(M) + _llama_mlp(M)
    + _fused_experts(M, "mlp", "router.gate") + _shared_experts(M, "shared_experts") + [
        Rule(rf"{M}layers\.{L}\.self_attn\.gate_proj\.weight", "attn_o", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.expert_bias", "router", "decoder"),
        Rule(rf"{M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.weight", "norm_attn_out", "decoder"),
        Rule(rf"{M}layers\.{L}\.pre_mlp_layernorm\.weight", "norm_mlp_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_mlp_layernorm\.weight", "norm_mlp_out", "decoder"),
    ],
    # DogeDecoderLayer (doge/modeling_doge.py): Llama's block with q/k norms, the dynamic-mask parameters A and
    # dt_proj, and the learned residual scales input_residual / post_attention_residual
    "doge": QWEN3 + [
        Rule(rf"{M}layers\.{L}\.self_attn\.(?:A|dt_proj\.{WB})", "other", "decoder"),
        Rule(rf"{M}layers\.{L}\.(?:input_residual|post_attention_residual)", "other", "decoder"),
    ],
    # Lfm3DecoderLayer (lfm3/modeling_lfm3.py): LFM2's names; post_operator_norm / post_ffn_norm (sandwich norms),
    # the attention's per-head output gate g_proj
    "lfm3": [r for r in _D_TABLE["lfm2_moe"] if "self_attn" not in r.regex] + [
        Rule(rf"{M}layers\.{L}\.self_attn\.{x}_proj\.{WB}", f"attn_{x}", "decoder") for x in "qkvo"] + [
        Rule(rf"{M}layers\.{L}\.self_attn\.g_proj\.weight", "attn_o", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.q_norm\.weight", "norm_q", "decoder"),
        Rule(rf"{M}layers\.{L}\.self_attn\.k_norm\.weight", "norm_k", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_operator_norm\.weight", "norm_attn_out", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_ffn_norm\.weight", "norm_mlp_out", "decoder"),
    ],
}
TABLE.update(_D_TABLE5)
_COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in _D_TABLE5.items()})


# ---- helper S's families (issue 10: encoder-decoder, speech and vision-language; sources/seq2seq.py, multimodal.py) ----
# BART-shaped layers (bart/modeling_bart.py and the copies named below): self_attn q/k/v/out_proj, the decoder's
# cross-attention (encoder_attn), fc1 (up) / fc2 (down); self_attn_layer_norm, encoder_attn_layer_norm and
# final_layer_norm before (pre-LN) or after (post-LN) their block.


def _s2s_layer(p: str, stack: str, *, pre: bool, attn="self_attn", cross="encoder_attn", names=("q", "k", "v", "out"),
               proj="_proj", norms=("self_attn_layer_norm", "encoder_attn_layer_norm", "final_layer_norm"),
               ffn=("fc1", "fc2")) -> list[Rule]:
    a = rf"{p}layers\.{L}\."
    roles = ("attn_q", "attn_k", "attn_v", "attn_o")
    out = [Rule(rf"{a}{attn}\.{n}{proj}\.{WB}", r, stack) for n, r in zip(names, roles, strict=True)]
    out += [Rule(rf"{a}{cross}\.{n}{proj}\.{WB}", "x" + r, stack) for n, r in zip(names, roles, strict=True)]
    out += [Rule(rf"{a}{ffn[0]}\.{WB}", "mlp_up", stack), Rule(rf"{a}{ffn[1]}\.{WB}", "mlp_down", stack)]
    out += [Rule(rf"{a}{norms[0]}\.{WB}", "norm_attn_in" if pre else "norm_attn_out", stack),
            Rule(rf"{a}{norms[1]}\.{WB}", "norm_cross_in", stack),
            Rule(rf"{a}{norms[2]}\.{WB}", "norm_mlp_in" if pre else "norm_mlp_out", stack)]
    return out


_LED = r"led\."
_MS = r"model\."
_S_TABLE: dict[str, list[Rule]] = {
    # led/modeling_led.py: post-LN; the encoder's LEDEncoderSelfAttention (query/key/value and their _global twins)
    # and output; learned positions per stack (the encoder's counted with the embedding), layernorm_embedding
    "led": [Rule(rf"{_LED}shared\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
            Rule(rf"{_LED}encoder\.embed_positions\.weight", "pos_embed"),
            Rule(rf"{_LED}decoder\.embed_positions\.weight", "pos_embed", "decoder"),
            Rule(rf"{_LED}encoder\.layernorm_embedding\.{WB}", "norm_embed", "encoder"),
            Rule(rf"{_LED}decoder\.layernorm_embedding\.{WB}", "norm_embed", "decoder")]
    + [Rule(rf"{_LED}encoder\.layers\.{L}\.self_attn\.longformer_self_attn\.{n}(?:_global)?\.{WB}", r, "encoder")
       for n, r in (("query", "attn_q"), ("key", "attn_k"), ("value", "attn_v"))]
    + [Rule(rf"{_LED}encoder\.layers\.{L}\.self_attn\.output\.{WB}", "attn_o", "encoder")]
    + [r for r in _s2s_layer(rf"{_LED}encoder\.", "encoder", pre=False) if "self_attn\\." not in r.regex]
    + _s2s_layer(rf"{_LED}decoder\.", "decoder", pre=False),
    # bigbird_pegasus/modeling_bigbird_pegasus.py: pre-LN; the encoder's BigBird attention query/key/value + output;
    # a final LayerNorm per stack named layernorm_embedding
    "bigbird_pegasus": [Rule(rf"{_MS}shared\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
                        Rule(rf"{_MS}encoder\.embed_positions\.weight", "pos_embed"),
                        Rule(rf"{_MS}decoder\.embed_positions\.weight", "pos_embed", "decoder"),
                        Rule(rf"{_MS}encoder\.layernorm_embedding\.{WB}", "norm_final", "encoder"),
                        Rule(rf"{_MS}decoder\.layernorm_embedding\.{WB}", "norm_final", "decoder")]
    + [Rule(rf"{_MS}encoder\.layers\.{L}\.self_attn\.self\.{n}\.{WB}", r, "encoder")
       for n, r in (("query", "attn_q"), ("key", "attn_k"), ("value", "attn_v"))]
    + [Rule(rf"{_MS}encoder\.layers\.{L}\.self_attn\.output\.{WB}", "attn_o", "encoder")]
    + [r for r in _s2s_layer(rf"{_MS}encoder\.", "encoder", pre=True) if "self_attn\\." not in r.regex]
    + _s2s_layer(rf"{_MS}decoder\.", "decoder", pre=True),
    # pegasus_x/modeling_pegasus_x.py: pre-LN, unbiased attention, embed_global, global_self_attn_layer_norm
    "pegasus_x": [Rule(rf"{_MS}shared\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
                  Rule(rf"{_MS}encoder\.embed_global\.weight", "embed", "encoder"),
                  Rule(rf"{_MS}encoder\.layers\.{L}\.global_self_attn_layer_norm\.{WB}", "norm_attn_in", "encoder"),
                  Rule(rf"{_MS}encoder\.layer_norm\.{WB}", "norm_final", "encoder"),
                  Rule(rf"{_MS}decoder\.layer_norm\.{WB}", "norm_final", "decoder")]
    + _s2s_layer(rf"{_MS}encoder\.", "encoder", pre=True) + _s2s_layer(rf"{_MS}decoder\.", "decoder", pre=True),
    # fsmt/modeling_fsmt.py: post-LN; source and target embeddings, the decoder's output_projection; sinusoidal
    # tables kept as parameters per stack
    "fsmt": [Rule(rf"{_MS}encoder\.embed_tokens\.weight", "embed", "encoder"),
             Rule(rf"{_MS}decoder\.embed_tokens\.weight", "embed"),
             Rule(rf"{_MS}decoder\.output_projection\.weight", "lm_head"),
             Rule(rf"{_MS}encoder\.embed_positions\.weight", "pos_embed", "encoder"),
             Rule(rf"{_MS}decoder\.embed_positions\.weight", "pos_embed", "decoder")]
    + _s2s_layer(rf"{_MS}encoder\.", "encoder", pre=False) + _s2s_layer(rf"{_MS}decoder\.", "decoder", pre=False),
    # nllb_moe/modeling_nllb_moe.py: pre-LN (self_attn_layer_norm, cross_attention_layer_norm, ff_layer_norm); the
    # feed-forward ffn.fc1/fc2, or a top-2 router (ffn.router.classifier) and experts.expert_<i>.fc1/fc2
    "nllb-moe": [Rule(rf"{_MS}shared\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
                 Rule(rf"{_MS}encoder\.layer_norm\.{WB}", "norm_final", "encoder"),
                 Rule(rf"{_MS}decoder\.layer_norm\.{WB}", "norm_final", "decoder")]
    + [x for st in ("encoder", "decoder") for x in (
        _s2s_layer(rf"{_MS}{st}\.", st, pre=True, cross="cross_attention",
                   norms=("self_attn_layer_norm", "cross_attention_layer_norm", "ff_layer_norm"),
                   ffn=(r"ffn\.fc1", r"ffn\.fc2"))
        + [Rule(rf"{_MS}{st}\.layers\.{L}\.ffn\.router\.classifier\.{WB}", "router", st),
           Rule(rf"{_MS}{st}\.layers\.{L}\.ffn\.experts\.expert_\d+\.fc1\.{WB}", "expert_up", st),
           Rule(rf"{_MS}{st}\.layers\.{L}\.ffn\.experts\.expert_\d+\.fc2\.{WB}", "expert_down", st)])],
    # prophetnet/modeling_prophetnet.py: post-LN; query/key/value/out_proj; feed_forward intermediate/output; the
    # decoder's ngram self-attention adds relative_pos_embeddings (a Linear: the relative bias) and ngram_embeddings
    "prophetnet": [Rule(r"prophetnet\.word_embeddings\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
                   Rule(r"prophetnet\.encoder\.position_embeddings\.weight", "pos_embed", "encoder"),
                   Rule(r"prophetnet\.decoder\.position_embeddings\.weight", "pos_embed", "decoder"),
                   Rule(r"prophetnet\.decoder\.ngram_embeddings\.weight", "pos_embed", "decoder"),
                   Rule(rf"prophetnet\.encoder\.embeddings_layer_norm\.{WB}", "norm_embed", "encoder"),
                   Rule(rf"prophetnet\.decoder\.embeddings_layer_norm\.{WB}", "norm_embed", "decoder"),
                   Rule(rf"prophetnet\.decoder\.layers\.{L}\.self_attn\.relative_pos_embeddings\.{WB}", "rel_bias",
                        "decoder")]
    + [x for st in ("encoder", "decoder") for x in _s2s_layer(
        rf"prophetnet\.{st}\.", st, pre=False, cross="cross_attn", names=("query", "key", "value", "out"),
        norms=("self_attn_layer_norm", "cross_attn_layer_norm", "feed_forward_layer_norm"),
        ffn=(r"feed_forward\.intermediate", r"feed_forward\.output"))],
    # trocr/modeling_trocr.py: TrOCRForCausalLM, post-LN decoder layers with cross-attention, learned positions,
    # layernorm_embedding, output_projection
    "trocr": [Rule(r"model\.decoder\.embed_tokens\.weight", "embed"), Rule(r"output_projection\.weight", "lm_head"),
              Rule(r"model\.decoder\.embed_positions\.weight", "pos_embed"),
              Rule(rf"model\.decoder\.layernorm_embedding\.{WB}", "norm_embed", "decoder")]
    + _s2s_layer(r"model\.decoder\.", "decoder", pre=False),
}
add_table(_S_TABLE)


def _llama_like(p: str, stack: str, attn: str = "self_attn", mlp=("gate_proj", "up_proj", "down_proj")) -> list[Rule]:
    a = rf"{p}layers\.{L}\."
    out = [Rule(rf"{a}{attn}\.{x}_proj\.{WB}", f"attn_{x}", stack) for x in "qkvo"]
    return out + [Rule(rf"{a}mlp\.{m}\.{WB}", r, stack) for m, r in zip(mlp, ("mlp_gate", "mlp_up", "mlp_down"),
                                                                             strict=False)]


_S_TABLE2: dict[str, list[Rule]] = {
    # t5gemma/modeling_t5gemma.py: Gemma 2 stacks with their own embeddings (the decoder's is the head's), sandwich
    # norms, and in the decoder cross_attn between pre_cross_attn_layernorm and post_cross_attn_layernorm
    "t5gemma": [Rule(r"model\.encoder\.embed_tokens\.weight", "embed", "encoder"),
                Rule(r"model\.decoder\.embed_tokens\.weight", "embed"), Rule(r"lm_head\.out_proj\.weight", "lm_head")]
    + [x for st in ("encoder", "decoder") for x in _llama_like(rf"model\.{st}\.", st) + [
        Rule(rf"model\.{st}\.norm\.weight", "norm_final", st),
        Rule(rf"model\.{st}\.layers\.{L}\.pre_self_attn_layernorm\.weight", "norm_attn_in", st),
        Rule(rf"model\.{st}\.layers\.{L}\.post_self_attn_layernorm\.weight", "norm_attn_out", st),
        Rule(rf"model\.{st}\.layers\.{L}\.pre_feedforward_layernorm\.weight", "norm_mlp_in", st),
        Rule(rf"model\.{st}\.layers\.{L}\.post_feedforward_layernorm\.weight", "norm_mlp_out", st)]]
    + [Rule(rf"model\.decoder\.layers\.{L}\.cross_attn\.{x}_proj\.weight", f"xattn_{x}", "decoder") for x in "qkvo"]
    + [Rule(rf"model\.decoder\.layers\.{L}\.pre_cross_attn_layernorm\.weight", "norm_cross_in", "decoder"),
       Rule(rf"model\.decoder\.layers\.{L}\.post_cross_attn_layernorm\.weight", "norm_attn_out", "decoder")],
    # moonshine/modeling_moonshine.py: the encoder's conv front end (conv1 unbiased, conv2, conv3, groupnorm); layers
    # input_layernorm (attention), post_attention_layernorm (the encoder's MLP; the decoder's cross-attention),
    # final_layernorm (the decoder's MLP); the encoder's fc1 is the MLP's up projection, the decoder's fc1 the fused
    # value/gate projection
    "moonshine": [Rule(r"model\.decoder\.embed_tokens\.weight", "embed"), Rule(r"proj_out\.weight", "lm_head"),
                  Rule(rf"model\.encoder\.conv[123]\.{WB}", "patch_embed", "encoder"),
                  Rule(rf"model\.encoder\.groupnorm\.{WB}", "norm_embed", "encoder"),
                  Rule(r"model\.encoder\.layer_norm\.weight", "norm_final", "encoder"),
                  Rule(r"model\.decoder\.norm\.weight", "norm_final", "decoder")]
    + [x for st in ("encoder", "decoder") for x in
       [Rule(rf"model\.{st}\.layers\.{L}\.self_attn\.{q}_proj\.{WB}", f"attn_{q}", st) for q in "qkvo"]
       + [Rule(rf"model\.{st}\.layers\.{L}\.input_layernorm\.weight", "norm_attn_in", st),
          Rule(rf"model\.{st}\.layers\.{L}\.mlp\.fc2\.{WB}", "mlp_down", st)]]
    + [Rule(rf"model\.encoder\.layers\.{L}\.mlp\.fc1\.{WB}", "mlp_up", "encoder"),
       Rule(rf"model\.encoder\.layers\.{L}\.post_attention_layernorm\.weight", "norm_mlp_in", "encoder"),
       Rule(rf"model\.decoder\.layers\.{L}\.mlp\.fc1\.{WB}", "mlp_gate_up", "decoder"),
       Rule(rf"model\.decoder\.layers\.{L}\.post_attention_layernorm\.weight", "norm_cross_in", "decoder"),
       Rule(rf"model\.decoder\.layers\.{L}\.final_layernorm\.weight", "norm_mlp_in", "decoder")]
    + [Rule(rf"model\.decoder\.layers\.{L}\.encoder_attn\.{q}_proj\.{WB}", f"xattn_{q}", "decoder") for q in "qkvo"],
    # speech_to_text/modeling_speech_to_text.py: the encoder's Conv1dSubsampler, then BART-shaped pre-LN stacks with a
    # final layer_norm each; the head is the decoder's token embedding
    "speech_to_text": [Rule(r"model\.decoder\.embed_tokens\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
                       Rule(rf"model\.encoder\.conv\.conv_layers\.\d+\.{WB}", "patch_embed", "encoder"),
                       Rule(rf"model\.encoder\.layer_norm\.{WB}", "norm_final", "encoder"),
                       Rule(rf"model\.decoder\.layer_norm\.{WB}", "norm_final", "decoder")]
    + [r for r in _s2s_layer(r"model\.encoder\.", "encoder", pre=True)] + _s2s_layer(r"model\.decoder\.", "decoder", pre=True),
    # dia/modeling_dia.py: byte embedding and pre_sa_norm / post_sa_norm layers in the encoder; pre_sa_norm,
    # pre_ca_norm, pre_mlp_norm around self-, cross-attention and the fused gate_up MLP in the decoder; logits_dense
    "dia": [Rule(r"model\.encoder\.embedding\.weight", "embed", "encoder"),
            Rule(r"model\.decoder\.embeddings\.embed\.weight", "embed"), Rule(r"logits_dense\.weight", "lm_head"),
            Rule(r"model\.encoder\.layers\.(?P<layer>\d+)\.post_sa_norm\.weight", "norm_mlp_in", "encoder"),
            Rule(r"model\.decoder\.layers\.(?P<layer>\d+)\.pre_ca_norm\.weight", "norm_cross_in", "decoder"),
            Rule(r"model\.decoder\.layers\.(?P<layer>\d+)\.pre_mlp_norm\.weight", "norm_mlp_in", "decoder")]
    + [x for st in ("encoder", "decoder") for x in
       [Rule(rf"model\.{st}\.layers\.{L}\.self_attention\.{q}_proj\.weight", f"attn_{q}", st) for q in "qkvo"]
       + [Rule(rf"model\.{st}\.layers\.{L}\.pre_sa_norm\.weight", "norm_attn_in", st),
          Rule(rf"model\.{st}\.layers\.{L}\.mlp\.gate_up_proj\.weight", "mlp_gate_up", st),
          Rule(rf"model\.{st}\.layers\.{L}\.mlp\.down_proj\.weight", "mlp_down", st),
          Rule(rf"model\.{st}\.norm\.weight", "norm_final", st)]]
    + [Rule(rf"model\.decoder\.layers\.{L}\.cross_attention\.{q}_proj\.weight", f"xattn_{q}", "decoder") for q in "qkvo"],
    # mllama/modeling_mllama.py, MllamaForCausalLM: Llama layers, and at cross_attention_layers cross_attn (q/k/v/o,
    # per-head q_norm / k_norm) with the tanh gates cross_attn_attn_gate / cross_attn_mlp_gate
    "mllama": _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _pre_norms(M)
    + [Rule(rf"{M}layers\.{L}\.cross_attn\.{q}_proj\.weight", f"xattn_{q}", "decoder") for q in "qkvo"]
    + [Rule(rf"{M}layers\.{L}\.cross_attn\.q_norm\.weight", "norm_q", "decoder"),
       Rule(rf"{M}layers\.{L}\.cross_attn\.k_norm\.weight", "norm_k", "decoder"),
       Rule(rf"{M}layers\.{L}\.cross_attn_(?:attn|mlp)_gate", "xattn_gate", "decoder")],
}
GROUP.setdefault("xattn_gate", "cross_attention")  # Mllama's tanh gates of its cross-attention layers
add_table(_S_TABLE2)
# ---- end of helper S's families ----


_D_TABLE6: dict[str, list[Rule]] = {
    # FlintDecoderLayer (flint/modeling_flint.py): Qwen3 attention plus per-head `sinks`, a dense MLP or
    # FlintSparseMoeBlock (router `gate`, fused experts, an ungated `shared_expert`)
    "flint": QWEN3 + [Rule(rf"{M}layers\.{L}\.self_attn\.sinks", "attn_sinks", "decoder")] + _fused_experts(M)
    + _shared_experts(M, "shared_expert"),
    # Kolibri1DecoderLayer (kolibri1/modeling_kolibri1.py): input_layernorm -> attention -> post_self_attn_layernorm;
    # post_attention_layernorm -> MoE -> post_mlp_layernorm; Qwen3 attention; router `gate`, experts, shared_experts
    "kolibri1": _llama_shell(M) + _llama_attention(M) + _qk_norms(M) + _fused_experts(M)
    + _shared_experts(M, "shared_experts") + [
        Rule(rf"{M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_self_attn_layernorm\.weight", "norm_attn_out", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_mlp_layernorm\.weight", "norm_mlp_out", "decoder"),
    ],
    # AXK1 (axk1/modeling_axk1.py): DeepSeek-V3 plus the MoE block's output RMSNorm mlp.post_mlp_layernorm
    "axk1": DEEPSEEK + [Rule(rf"{M}layers\.{L}\.mlp\.post_mlp_layernorm\.weight", "norm_mlp_out", "decoder")],
    # BeamDecoderLayer (beam/modeling_beam.py): Gemma 3's sandwich block and q/k norms, the output gate gate_proj and
    # gate_bias, a dense MLP or BeamMoE (router `gate`, fused experts)
    "beam": GEMMA3_TEXT + _fused_experts(M) + [
        Rule(rf"{M}layers\.{L}\.self_attn\.(?:gate_proj\.weight|gate_bias)", "attn_o", "decoder")],
}
TABLE.update(_D_TABLE6)
_COMPILED.update({k: [(re.compile(r.regex), r) for r in rules] for k, rules in _D_TABLE6.items()})

# Glm4MoeDecoderLayer (glm4_moe/modeling_glm4_moe.py): Llama attention (q/k/v biases with attention_bias, per-head
# q/k norms with use_qk_norm), a dense MLP or Glm4MoeMoE (router `gate` with a score-correction buffer, fused
# experts, shared_experts)
if "glm4_moe" not in TABLE:
    TABLE["glm4_moe"] = QWEN3 + _fused_experts(M) + _shared_experts(M, "shared_experts")
    _COMPILED["glm4_moe"] = [(re.compile(r.regex), r) for r in TABLE["glm4_moe"]]


def _expand_d2(rule: Rule, layer, shape):
    """One more layout: a fused nn.Linear gate_up_proj [2 x I, H] (gate rows first) split into its two halves."""
    if rule.layout == "gate_up_rows":
        two_i, h = shape
        gate, up = rule.role
        return [(gate, (two_i // 2, h)), (up, (two_i // 2, h))]
    return _expand_d(rule, layer, shape)


expand = _expand_d2  # noqa: F811

# MiniMaxM3VLDecoderLayer (minimax_m3_vl/modeling_minimax_m3_vl.py): Qwen3 attention without biases, a dense
# MiniMaxM3VLDenseMLP (fused gate_up_proj, down_proj) or MiniMaxM3VLSparseMoeBlock (router `gate`, experts, and
# shared_experts, itself a DenseMLP whose fused gate_up_proj paramscope splits into gate and up halves)
TABLE["minimax_m3_vl_text"] = _llama_shell(M) + _llama_attention(M) + _qk_norms(M) + _pre_norms(M) + _fused_experts(M) + [
    Rule(rf"{M}layers\.{L}\.mlp\.gate_up_proj\.weight", "mlp_gate_up", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.down_proj\.weight", "mlp_down", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.gate_up_proj\.weight", ("shared_gate", "shared_up"), "decoder",
         layout="gate_up_rows"),
    Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.down_proj\.weight", "shared_down", "decoder"),
]
_COMPILED["minimax_m3_vl_text"] = [(re.compile(r.regex), r) for r in TABLE["minimax_m3_vl_text"]]

# CohereCompassDecoderLayer (cohere_compass/modeling_cohere_compass.py): Cohere's parallel block, one LayerNorm
# (weight only) before attention and MLP
TABLE["cohere_compass_text"] = _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + [
    Rule(rf"{M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder")]
_COMPILED["cohere_compass_text"] = [(re.compile(r.regex), r) for r in TABLE["cohere_compass_text"]]


# LongcatFlashDecoderLayer (longcat_flash/modeling_longcat_flash.py): two sub-blocks per layer (self_attn.<j>,
# input_layernorm.<j>, post_attention_layernorm.<j>, mlps.<j>) and one shortcut MoE `mlp` (router.classifier over
# routed + identity experts, experts.gate_up_proj [routed + identity, 2I, H], experts.down_proj [routed, H, I]).
# paramscope's layer 2i + j is sub-block j of layer i; mlps.0 runs beside the MoE (its shared expert). check_longcat
# renames the parameters so, and splits the identity experts' unused gate_up rows off the stack.
_LC = rf"{M}layers\.{L}\."
TABLE["longcat_flash"] = [
    Rule(rf"{M}embed_tokens\.weight", "embed"), Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{M}norm\.weight", "norm_final", "decoder"),
    Rule(rf"{_LC}input_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_LC}post_attention_layernorm\.weight", "norm_mlp_in", "decoder"),
    Rule(rf"{_LC}shared_mlp\.gate_proj\.weight", "shared_gate", "decoder"),
    Rule(rf"{_LC}shared_mlp\.up_proj\.weight", "shared_up", "decoder"),
    Rule(rf"{_LC}shared_mlp\.down_proj\.weight", "shared_down", "decoder"),
    Rule(rf"{_LC}mlp\.router\.classifier\.{WB}", "router", "decoder"),
    Rule(rf"{_LC}mlp\.experts\.zero_gate_up", "expert_gate", "decoder"),
] + _mla(M) + _llama_mlp(M, "dense_mlp") + _fused_experts(M)[1:]
_COMPILED["longcat_flash"] = [(re.compile(r.regex), r) for r in TABLE["longcat_flash"]]


def check_longcat(config: dict, name: str, params) -> list[str]:
    routed = config["n_routed_experts"]
    out = []
    for n, shape, conv in params:
        m = re.fullmatch(r"model\.layers\.(\d+)\.(self_attn|input_layernorm|post_attention_layernorm|mlps)\.(\d)\.(.*)",
                         n)
        if m:
            i, part, j, rest = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
            part = {"mlps": "shared_mlp" if j == 0 else "dense_mlp"}.get(part, part)
            out.append((f"model.layers.{2 * i + j}.{part}.{rest}", shape, conv))
            continue
        m = re.fullmatch(r"model\.layers\.(\d+)\.mlp\.(.*)", n)
        if m:
            k, rest = 2 * int(m.group(1)), m.group(2)
            if rest == "experts.gate_up_proj" and shape[0] > routed:
                out.append((f"model.layers.{k}.mlp.experts.zero_gate_up", (shape[0] - routed,) + shape[1:], conv))
                shape = (routed,) + shape[1:]
            out.append((f"model.layers.{k}.mlp.{rest}", shape, conv))
            continue
        out.append((n, shape, conv))
    return check(config, name, tuple(out))


# CpmAntForCausalLM (cpmant/modeling_cpmant.py): cpmant.input_embedding holds vocab_size token rows and then
# prompt_types x prompt_length prompt rows (check_cpmant splits them as paramscope describes them),
# segment_embedding, the shared position_bias table, encoder layers (self_att / ffn blocks) and output_layernorm.
_CA = r"cpmant\.encoder\.layers\.(?P<layer>\d+)\."
TABLE["cpmant"] = [
    Rule(r"cpmant\.input_embedding\.weight", "embed"), Rule(r"cpmant\.prompt_embedding\.weight", "embed"),
    Rule(r"lm_head\.weight", "lm_head"),
    Rule(r"cpmant\.segment_embedding\.weight", "type_embed"),
    Rule(r"cpmant\.position_bias\.relative_attention_bias", "rel_bias", "decoder"),
    Rule(r"cpmant\.encoder\.output_layernorm\.weight", "norm_final", "decoder"),
    Rule(rf"{_CA}self_att\.layernorm_before_attention\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_CA}self_att\.self_attention\.project_q\.weight", "attn_q", "decoder"),
    Rule(rf"{_CA}self_att\.self_attention\.project_k\.weight", "attn_k", "decoder"),
    Rule(rf"{_CA}self_att\.self_attention\.project_v\.weight", "attn_v", "decoder"),
    Rule(rf"{_CA}self_att\.self_attention\.attention_out\.weight", "attn_o", "decoder"),
    Rule(rf"{_CA}ffn\.layernorm_before_ffn\.weight", "norm_mlp_in", "decoder"),
    Rule(rf"{_CA}ffn\.ffn\.w_in\.w_0\.weight", "mlp_gate", "decoder"),
    Rule(rf"{_CA}ffn\.ffn\.w_in\.w_1\.weight", "mlp_up", "decoder"),
    Rule(rf"{_CA}ffn\.ffn\.w_out\.weight", "mlp_down", "decoder"),
]
_COMPILED["cpmant"] = [(re.compile(r.regex), r) for r in TABLE["cpmant"]]


def check_cpmant(config: dict, name: str, params) -> list[str]:
    vocab = config["vocab_size"]
    out = []
    for n, shape, conv in params:
        if n == "cpmant.input_embedding.weight" and shape[0] > vocab:
            out += [(n, (vocab, shape[1]), conv), ("cpmant.prompt_embedding.weight", (shape[0] - vocab, shape[1]), conv)]
        else:
            out.append((n, shape, conv))
    return check(config, name, tuple(out))


# HrmTextModel (hrm_text/modeling_hrm_text.py): L_module and H_module stacks (no norm weights), z_L_init; paramscope's
# decoder has one layer per invocation, L_module's layers stored at 0.., H_module's at L_cycles x per (check_hrm).
TABLE["hrm_text"] = LLAMA[:1] + [Rule(r"lm_head\.weight", "lm_head"), Rule(rf"{M}z_L_init", "other")] \
    + _llama_attention(M) + _llama_mlp(M) + [Rule(rf"{M}layers\.{L}\.self_attn\.gate_proj\.{WB}", "attn_o", "decoder")]
_COMPILED["hrm_text"] = [(re.compile(r.regex), r) for r in TABLE["hrm_text"]]


def check_hrm(config: dict, name: str, params) -> list[str]:
    per, low = config["num_layers_per_stack"], config["L_cycles"]
    out = []
    for n, shape, conv in params:
        m = re.fullmatch(r"model\.(L|H)_module\.layers\.(\d+)\.(.*)", n)
        if m:
            j = int(m.group(2)) + (0 if m.group(1) == "L" else low * per)
            n = f"model.layers.{j}.{m.group(3)}"
        out.append((n, shape, conv))
    return check(config, name, tuple(out))

# Gemma4UnifiedTextDecoderLayer (gemma4_unified/modeling_gemma4_unified.py): Gemma 3's sandwich block and q/k norms
TABLE["gemma4_unified_text"] = GEMMA3_TEXT
_COMPILED["gemma4_unified_text"] = [(re.compile(r.regex), r) for r in GEMMA3_TEXT]

# Dots3NoteTextDecoderLayer (dots3_note/modeling_dots3_note.py): DeepSeek-V3.2's MLA + indexer (indexed layers only),
# an RMSNorm on the rotary key part (k_rope_only_layernorm) and the per-head output gate g_proj
TABLE["dots3_note_text"] = DEEPSEEK_V32 + [
    Rule(rf"{M}layers\.{L}\.self_attn\.k_rope_only_layernorm\.weight", "norm_k", "decoder"),
    Rule(rf"{M}layers\.{L}\.self_attn\.g_proj\.weight", "attn_o", "decoder")]
_COMPILED["dots3_note_text"] = [(re.compile(r.regex), r) for r in TABLE["dots3_note_text"]]

# AXK2DecoderLayer (axk2/modeling_axk2.py): MLA with the fused q_gate_proj in place of q_b_proj (its queries and
# output gate: role attn_q_b), the DSA indexer, gated RMSNorms (norm.weight and a low-rank gate mlp.fc1/fc2: role
# other) before attention and, in MoE layers, before the feed-forward
TABLE["axk2"] = [r for r in DEEPSEEK_V32 if "layernorm" not in r.regex] + [
    Rule(rf"{M}layers\.{L}\.self_attn\.q_a_layernorm\.weight", "norm_q_a", "decoder"),
    Rule(rf"{M}layers\.{L}\.self_attn\.kv_a_layernorm\.weight", "norm_kv_a", "decoder"),
    Rule(rf"{M}layers\.{L}\.self_attn\.q_gate_proj\.weight", "attn_q_b", "decoder"),
    Rule(rf"{M}layers\.{L}\.input_layernorm\.norm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.(?:norm\.)?weight", "norm_mlp_in", "decoder"),
    Rule(rf"{M}layers\.{L}\.(?:input|post_attention)_layernorm\.mlp\.fc[12]\.weight", "other", "decoder"),
]
_COMPILED["axk2"] = [(re.compile(r.regex), r) for r in TABLE["axk2"]]

# HYV4DecoderLayer (hy_v4/modeling_hy_v4.py): GLM-5's indexed MLA (indexer absent on "shared" layers) plus `sinks` and
# the output gate gate_proj; the hyper-connection parameters attn_hc / ffn_hc (fn, base, scale) and the model's
# hc_head (role other)
TABLE["hy_v4"] = DEEPSEEK_V32 + [
    Rule(rf"{M}layers\.{L}\.self_attn\.sinks", "attn_sinks", "decoder"),
    Rule(rf"{M}layers\.{L}\.self_attn\.gate_proj\.weight", "attn_o", "decoder"),
    Rule(rf"{M}layers\.{L}\.(?:attn|ffn)_hc\.(?:fn|base|scale)", "other", "decoder"),
    Rule(rf"{M}hc_head\.hc_(?:fn|base|scale)", "other"),
]
_COMPILED["hy_v4"] = [(re.compile(r.regex), r) for r in TABLE["hy_v4"]]

# Decoder families of sources/decoders.py whose catalog records arrived without a table (appended by helper D):
# OlmoeDecoderLayer (olmoe/modeling_olmoe.py): Llama's pre-norm block, q_norm / k_norm over the whole projection,
# Mixtral-style experts (router `gate`); CohereDecoderLayer (cohere/modeling_cohere.py): the parallel block with one
# bias-free LayerNorm, q/k norms only with use_qk_norm
for _mt, _rules in {
    "olmoe": _llama_shell(M) + _llama_attention(M) + _qk_norms(M) + _pre_norms(M) + _fused_experts(M),
    "cohere": _llama_shell(M) + _llama_attention(M) + _llama_mlp(M) + _qk_norms(M) + [
        Rule(rf"{M}layers\.{L}\.input_layernorm\.weight", "norm_attn_in", "decoder")],
}.items():
    if _mt not in TABLE:
        TABLE[_mt] = _rules
        _COMPILED[_mt] = [(re.compile(r.regex), r) for r in _rules]


# ---------------------------------------------------------------------------------------------------
# Catalog families added with the issue-10 catalog records (lead; written from transformers 5.23's modeling files).
#
# BloomForCausalLM (bloom/modeling_bloom.py): transformer.word_embeddings, word_embeddings_layernorm (a LayerNorm
# right after the embedding), BloomBlock: input_layernorm -> self_attention (fused query_key_value, dense) ;
# post_attention_layernorm -> mlp (dense_h_to_4h, dense_4h_to_h), ln_f; lm_head tied to the embedding.
_BH = rf"transformer\.h\.{L}\."
BLOOM = [
    Rule(r"transformer\.word_embeddings\.weight", "embed"),
    Rule(rf"transformer\.word_embeddings_layernorm\.{WB}", "norm_embed"),
    Rule(rf"{_BH}input_layernorm\.{WB}", "norm_attn_in", "decoder"),
    Rule(rf"{_BH}self_attention\.query_key_value\.{WB}", "attn_qkv", "decoder"),
    Rule(rf"{_BH}self_attention\.dense\.{WB}", "attn_o", "decoder"),
    Rule(rf"{_BH}post_attention_layernorm\.{WB}", "norm_mlp_in", "decoder"),
    Rule(rf"{_BH}mlp\.dense_h_to_4h\.{WB}", "mlp_up", "decoder"),
    Rule(rf"{_BH}mlp\.dense_4h_to_h\.{WB}", "mlp_down", "decoder"),
    Rule(rf"transformer\.ln_f\.{WB}", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
]

# OPTForCausalLM (opt/modeling_opt.py): model.decoder.embed_tokens [V, word_embed_proj_dim], embed_positions
# (learned, offset 2), project_in / project_out (only when word_embed_proj_dim != hidden_size), final_layer_norm
# of the decoder (only with do_layer_norm_before and not _remove_final_layer_norm); OPTDecoderLayer with
# do_layer_norm_before (every released size but 350m): self_attn_layer_norm -> self_attn (q/k/v/out_proj) ;
# final_layer_norm -> fc1 / fc2. (The 350m post-norm order is not in the catalog.)
_OD = r"model\.decoder\."
OPT = [
    Rule(rf"{_OD}embed_tokens\.weight", "embed"),
    Rule(rf"{_OD}embed_positions\.weight", "pos_embed"),
    Rule(rf"{_OD}project_in\.weight", "embed_proj"),
    Rule(rf"{_OD}project_out\.weight", "embed_proj"),
    Rule(rf"{_OD}final_layer_norm\.{WB}", "norm_final", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.self_attn\.q_proj\.{WB}", "attn_q", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.self_attn\.k_proj\.{WB}", "attn_k", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.self_attn\.v_proj\.{WB}", "attn_v", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.self_attn\.out_proj\.{WB}", "attn_o", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.self_attn_layer_norm\.{WB}", "norm_attn_in", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.final_layer_norm\.{WB}", "norm_mlp_in", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.fc1\.{WB}", "mlp_up", "decoder"),
    Rule(rf"{_OD}layers\.{L}\.fc2\.{WB}", "mlp_down", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
]

# PhimoeForCausalLM (phimoe/modeling_phimoe.py): Llama's shell and attention (q/k/v/o, biased with
# attention_bias), nn.LayerNorm (weight and bias) as input_layernorm / post_attention_layernorm / model.norm,
# a sparse block `mlp` with a `router` Linear and PhimoeExperts (fused gate_up_proj [E, 2I, H], down_proj
# [E, H, I]); lm_head with a bias when lm_head_bias.
PHIMOE = [
    Rule(r"model\.embed_tokens\.weight", "embed"),
    Rule(rf"model\.norm\.{WB}", "norm_final", "decoder"),
    Rule(rf"lm_head\.{WB}", "lm_head"),
    *_llama_attention(M),
    Rule(rf"model\.layers\.{L}\.input_layernorm\.{WB}", "norm_attn_in", "decoder"),
    Rule(rf"model\.layers\.{L}\.post_attention_layernorm\.{WB}", "norm_mlp_in", "decoder"),
    *_fused_experts(M, "mlp", "router"),
]

add_table({"bloom": BLOOM, "opt": OPT, "phimoe": PHIMOE})

# GPTNeoXForCausalLM (gpt_neox/modeling_gpt_neox.py): gpt_neox.embed_in, GPTNeoXLayer: input_layernorm -> attention
# (fused query_key_value, dense) ; post_attention_layernorm -> mlp (dense_h_to_4h, dense_4h_to_h) -- in parallel
# when use_parallel_residual, each from its own norm; final_layer_norm; embed_out (untied head).
_NX = rf"gpt_neox\.layers\.{L}\."
GPT_NEOX = [
    Rule(r"gpt_neox\.embed_in\.weight", "embed"),
    Rule(rf"{_NX}input_layernorm\.{WB}", "norm_attn_in", "decoder"),
    Rule(rf"{_NX}post_attention_layernorm\.{WB}", "norm_mlp_in", "decoder"),
    Rule(rf"{_NX}attention\.query_key_value\.{WB}", "attn_qkv", "decoder"),
    Rule(rf"{_NX}attention\.dense\.{WB}", "attn_o", "decoder"),
    Rule(rf"{_NX}mlp\.dense_h_to_4h\.{WB}", "mlp_up", "decoder"),
    Rule(rf"{_NX}mlp\.dense_4h_to_h\.{WB}", "mlp_down", "decoder"),
    Rule(rf"gpt_neox\.final_layer_norm\.{WB}", "norm_final", "decoder"),
    Rule(r"(?:embed_out|lm_head)\.weight", "lm_head"),
]

# Lfm2ForCausalLM (lfm2/modeling_lfm2.py): model.embed_tokens; Lfm2DecoderLayer: operator_norm -> the layer's
# operator (Lfm2Attention: q/k/v/out_proj with q_layernorm / k_layernorm per head; or Lfm2ShortConv `conv`:
# in_proj [3H, H], a depthwise conv, out_proj) ; ffn_norm -> feed_forward (SwiGLU w1 gate / w3 up / w2 down);
# model.embedding_norm is applied after the last layer (the final norm); lm_head tied to the embedding.
_LF = rf"model\.layers\.{L}\."
LFM2 = [
    Rule(r"model\.embed_tokens\.weight", "embed"),
    Rule(r"model\.embedding_norm\.weight", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{_LF}operator_norm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_LF}ffn_norm\.weight", "norm_mlp_in", "decoder"),
    Rule(rf"{_LF}self_attn\.q_proj\.weight", "attn_q", "decoder"),
    Rule(rf"{_LF}self_attn\.k_proj\.weight", "attn_k", "decoder"),
    Rule(rf"{_LF}self_attn\.v_proj\.weight", "attn_v", "decoder"),
    Rule(rf"{_LF}self_attn\.out_proj\.weight", "attn_o", "decoder"),
    Rule(rf"{_LF}self_attn\.q_layernorm\.weight", "norm_q", "decoder"),
    Rule(rf"{_LF}self_attn\.k_layernorm\.weight", "norm_k", "decoder"),
    Rule(rf"{_LF}conv\.in_proj\.{WB}", "lin_in", "decoder"),
    Rule(rf"{_LF}conv\.conv\.{WB}", "lin_conv", "decoder"),
    Rule(rf"{_LF}conv\.out_proj\.{WB}", "lin_out", "decoder"),
    Rule(rf"{_LF}feed_forward\.w1\.weight", "mlp_gate", "decoder"),
    Rule(rf"{_LF}feed_forward\.w3\.weight", "mlp_up", "decoder"),
    Rule(rf"{_LF}feed_forward\.w2\.weight", "mlp_down", "decoder"),
]

# WhisperForConditionalGeneration (whisper/modeling_whisper.py). Encoder: conv1 / conv2 (the audio front end),
# embed_positions (fixed sinusoids stored as a parameter), WhisperEncoderLayer: self_attn_layer_norm -> self_attn
# (q/k/v/out_proj, k without bias) ; final_layer_norm -> fc1 / fc2; encoder.layer_norm. Decoder: embed_tokens,
# embed_positions (learned), the same self-attention block, encoder_attn_layer_norm -> encoder_attn (cross), then
# final_layer_norm -> fc1 / fc2; decoder.layer_norm; proj_out tied to embed_tokens.
_WE, _WD = rf"model\.encoder\.layers\.{L}\.", rf"model\.decoder\.layers\.{L}\."
WHISPER = [
    Rule(rf"model\.encoder\.conv[12]\.{WB}", "patch_embed", "encoder"),
    Rule(r"model\.encoder\.embed_positions\.weight", "pos_embed", "encoder"),
    Rule(rf"model\.encoder\.layer_norm\.{WB}", "norm_final", "encoder"),
    Rule(r"model\.decoder\.embed_tokens\.weight", "embed"),
    Rule(r"model\.decoder\.embed_positions\.weight", "pos_embed"),
    Rule(rf"model\.decoder\.layer_norm\.{WB}", "norm_final", "decoder"),
    Rule(r"proj_out\.weight", "lm_head"),
    *[Rule(rf"{p}self_attn\.{x}_proj\.{WB}", f"attn_{x}", s) for p, s in ((_WE, "encoder"), (_WD, "decoder"))
      for x in ("q", "k", "v")],
    *[Rule(rf"{p}self_attn\.out_proj\.{WB}", "attn_o", s) for p, s in ((_WE, "encoder"), (_WD, "decoder"))],
    *[Rule(rf"{p}self_attn_layer_norm\.{WB}", "norm_attn_in", s) for p, s in ((_WE, "encoder"), (_WD, "decoder"))],
    *[Rule(rf"{p}final_layer_norm\.{WB}", "norm_mlp_in", s) for p, s in ((_WE, "encoder"), (_WD, "decoder"))],
    *[Rule(rf"{p}fc1\.{WB}", "mlp_up", s) for p, s in ((_WE, "encoder"), (_WD, "decoder"))],
    *[Rule(rf"{p}fc2\.{WB}", "mlp_down", s) for p, s in ((_WE, "encoder"), (_WD, "decoder"))],
    *[Rule(rf"{_WD}encoder_attn\.{x}_proj\.{WB}", f"xattn_{x}", "decoder") for x in ("q", "k", "v")],
    Rule(rf"{_WD}encoder_attn\.out_proj\.{WB}", "xattn_o", "decoder"),
    Rule(rf"{_WD}encoder_attn_layer_norm\.{WB}", "norm_cross_in", "decoder"),
]

add_table({"gpt_neox": GPT_NEOX, "lfm2": LFM2, "whisper": WHISPER})

# FalconH1ForCausalLM (falcon_h1/modeling_falcon_h1.py): FalconH1DecoderLayer: input_layernorm -> self_attn
# (q/k/v/o) and the Mamba-2 mixer `mamba` side by side (in_proj, depthwise conv1d, dt_bias, A_log, D, the gated
# RMSNorm `norm` when mamba_rms_norm, out_proj) ; pre_ff_layernorm -> feed_forward (SwiGLU gate/up/down);
# model.final_layernorm; lm_head.
_FH = rf"model\.layers\.{L}\."
FALCON_H1 = [
    Rule(r"model\.embed_tokens\.weight", "embed"),
    Rule(r"model\.final_layernorm\.weight", "norm_final", "decoder"),
    Rule(r"lm_head\.weight", "lm_head"),
    Rule(rf"{_FH}input_layernorm\.weight", "norm_attn_in", "decoder"),
    Rule(rf"{_FH}pre_ff_layernorm\.weight", "norm_mlp_in", "decoder"),
    *_llama_attention(M),
    *_llama_mlp(M, "feed_forward"),
    Rule(rf"{_FH}mamba\.in_proj\.{WB}", "ssm_in", "decoder"),
    Rule(rf"{_FH}mamba\.conv1d\.{WB}", "ssm_conv", "decoder"),
    Rule(rf"{_FH}mamba\.dt_bias", "ssm_dt", "decoder"),
    Rule(rf"{_FH}mamba\.A_log", "ssm_a", "decoder"),
    Rule(rf"{_FH}mamba\.D", "ssm_d", "decoder"),
    Rule(rf"{_FH}mamba\.norm\.weight", "ssm_inner_norm", "decoder"),
    Rule(rf"{_FH}mamba\.out_proj\.{WB}", "ssm_out", "decoder"),
]
add_table({"falcon_h1": FALCON_H1})

# Starcoder2DecoderLayer (starcoder2/modeling_starcoder2.py): q/k/v/o with use_bias biases, a plain c_fc / c_proj MLP,
# LayerNorms with bias before attention and before the MLP, a final LayerNorm (appended by helper D, decoders.py family)
if "starcoder2" not in TABLE:
    TABLE["starcoder2"] = _llama_shell(M) + [Rule(rf"{M}norm\.bias", "norm_final", "decoder")] + _llama_attention(M) + [
        Rule(rf"{M}layers\.{L}\.mlp\.c_fc\.{WB}", "mlp_up", "decoder"),
        Rule(rf"{M}layers\.{L}\.mlp\.c_proj\.{WB}", "mlp_down", "decoder"),
        Rule(rf"{M}layers\.{L}\.input_layernorm\.{WB}", "norm_attn_in", "decoder"),
        Rule(rf"{M}layers\.{L}\.post_attention_layernorm\.{WB}", "norm_mlp_in", "decoder")]
    _COMPILED["starcoder2"] = [(re.compile(r.regex), r) for r in TABLE["starcoder2"]]


# GraniteMoeHybridForCausalLM (granitemoehybrid/modeling_granitemoehybrid.py): GraniteMoeHybridDecoderLayer =
# input_layernorm -> either the Mamba-2 mixer `mamba` (in_proj, depthwise conv1d, dt_bias, A_log, D, the gated
# RMSNorm `norm`, out_proj) or self_attn (q/k/v/o) per layer_types; post_attention_layernorm -> block_sparse_moe
# (router Linear `router`, fused experts gate_up_proj [E, 2I, H] / down_proj) plus shared_mlp, a
# GraniteMoeHybridMLP whose input_linear [2S, H] is the fused gate/up of the shared expert and output_linear its
# down projection; model.norm; lm_head (tied by default).
_GH = rf"model\.layers\.{L}\."
GRANITEMOEHYBRID = (_llama_shell(M) + _llama_attention(M) + _pre_norms(M)
                    + _fused_experts(M, "block_sparse_moe", "router") + [
    Rule(rf"{_GH}shared_mlp\.input_linear\.weight", "shared_gate_up", "decoder"),
    Rule(rf"{_GH}shared_mlp\.output_linear\.weight", "shared_down", "decoder"),
    Rule(rf"{_GH}mamba\.in_proj\.{WB}", "ssm_in", "decoder"),
    Rule(rf"{_GH}mamba\.conv1d\.{WB}", "ssm_conv", "decoder"),
    Rule(rf"{_GH}mamba\.dt_bias", "ssm_dt", "decoder"),
    Rule(rf"{_GH}mamba\.A_log", "ssm_a", "decoder"),
    Rule(rf"{_GH}mamba\.D", "ssm_d", "decoder"),
    Rule(rf"{_GH}mamba\.norm\.weight", "ssm_inner_norm", "decoder"),
    Rule(rf"{_GH}mamba\.out_proj\.{WB}", "ssm_out", "decoder"),
])
add_table({"granitemoehybrid": GRANITEMOEHYBRID})
