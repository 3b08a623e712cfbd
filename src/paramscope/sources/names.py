"""Classify a checkpoint tensor name (Hugging Face / safetensors naming) into component, stack, layer
and fine role.

The rules are ordered regular expressions over the dotted name; the first match wins. They cover the
naming conventions of the families paramscope describes (Llama-style ``model.layers.N.self_attn.q_proj``,
GPT-2 ``transformer.h.N.attn.c_attn``, BERT ``encoder.layer.N.attention.self.query``, T5
``encoder.block.N.layer.0.SelfAttention.q``, Falcon, Mamba ``backbone.layers.N.mixer``, MoE
``experts.E.w1`` / fused ``experts.gate_up_proj``, MLA ``kv_a_proj_with_mqa``, vision towers...).
Norm names are ambiguous across families (Llama's ``post_attention_layernorm`` is the pre-MLP norm,
Gemma 2's is a post-attention norm); every norm lands in the ``norm`` group either way.
A name no rule knows gets role ``other`` and is reported, never dropped.
"""

from __future__ import annotations

import functools
import re
from typing import NamedTuple


class NameInfo(NamedTuple):
    component: str  # language | vision | audio | projector
    stack: str  # decoder | encoder | vision | "" (model-level)
    layer: int | None
    role: str
    expert: int | None = None  # index of a per-expert tensor ("experts.7.w1")


_LAYER = re.compile(r"(?:^|\.)(?:layers|h|blocks|block|layer|albert_layers|conformer)\.(\d+)\.")
_EXPERT = re.compile(r"\.experts\.(?:expert_)?(\d+)\.")
_VISION = re.compile(r"(?:^|\.)(?:vision_tower|visual|vision_model|vision_encoder)\.")
_PROJECTOR = re.compile(r"(?:^|\.)(?:multi_modal_projector|mm_projector|merger|connector|embed_vision|embed_audio)\.")
# Gemma 3n's audio encoder (gemma3n/modeling_gemma3n.py Gemma3nModel.audio_tower; its blocks are conformer.N)
_AUDIO = re.compile(r"(?:^|\.)audio_tower\.")

_R = re.IGNORECASE


def _rules() -> list[tuple[re.Pattern, str]]:
    rules = [
        # routers and their biases (DeepSeek-V3's score-correction bias is a buffer in transformers)
        (r"e_score_correction_bias$", "router"),
        (r"relative_attention_bias\.weight$", "rel_bias"),
        (r"token_type_embeddings\.weight$", "type_embed"),
        (r"(?:^|\.)(?:wpe|position_embeddings?|positions_embed|pos_embed|embed_positions)\.weight$", "pos_embed"),
        (r"patch_embed(?:ding)?(?:\.proj)?\.(?:weight|bias)$", "patch_embed"),
        (r"embedding_hidden_mapping_in\.(?:weight|bias)$", "embed_proj"),
        # Gemma 3n's per-layer embeddings (Gemma3nTextModel): a token table and its projection
        (r"(?:^|\.)embed_tokens_per_layer\.weight$", "embed"),
        (r"(?:^|\.)per_layer_model_projection\.weight$", "embed_proj"),
        (r"(?:^|\.)(?:embed_tokens|wte|word_embeddings|tokens_embed|tok_embeddings|shared|embeddings|embedding|embed_in)\.weight$", "embed"),
        (r"(?:^|\.)(?:lm_head|embed_out)\.(?:weight|bias)$|^output\.weight$|predictions\.decoder\.weight$", "lm_head"),
        (r"predictions\.(?:decoder\.)?bias$", "mlm_bias"),
        (r"predictions\.(?:transform\.)?(?:dense|LayerNorm)\.(?:weight|bias)$", "mlm_transform"),
        # RoBERTa-style MLM head (RobertaLMHead and its copies: dense -> gelu -> layer_norm -> decoder + bias)
        (r"(?:^|\.)lm_head\.(?:dense|layer_norm)\.(?:weight|bias)$", "mlm_transform"),
        (r"(?:^|\.)lm_head\.decoder\.weight$", "lm_head"),
        (r"(?:^|\.)lm_head\.decoder\.bias$", "mlm_bias"),
        (r"(?:^|\.)(?:pooler|seq_relationship)(?:\.dense)?\.(?:weight|bias)$", "pooler"),
        # cross-attention
        (r"cross_attn_(?:attn|mlp)_gate$", "xattn_gate"),
        (r"(?:EncDecAttention|crossattention|cross_attn|encoder_attn)\.(?:q|q_proj|query)\.(?:weight|bias)$", "xattn_q"),
        (r"(?:EncDecAttention|crossattention|cross_attn|encoder_attn)\.(?:k|k_proj|key)\.(?:weight|bias)$", "xattn_k"),
        (r"(?:EncDecAttention|crossattention|cross_attn|encoder_attn)\.(?:v|v_proj|value)\.(?:weight|bias)$", "xattn_v"),
        (r"(?:EncDecAttention|crossattention|cross_attn|encoder_attn)\.(?:o|o_proj|c_proj|dense|out_proj)\.(?:weight|bias)$", "xattn_o"),
        (r"(?:crossattention|cross_attn)\.(?:q_norm|k_norm)\.weight$", "norm_q"),
        # routed experts: per-expert tensors and fused 3-D stacks
        (r"\.experts\.(?:.*\.)?(?:gate_up_proj)(?:_bias|\.weight|\.bias)?$", "expert_gate_up"),
        (r"\.experts\.(?:.*\.)?(?:gate_proj|w1|wi_0)(?:_bias|\.weight|\.bias)?$", "expert_gate"),
        (r"\.experts\.(?:.*\.)?(?:up_proj|w3|wi_1|wi)(?:_bias|\.weight|\.bias)?$", "expert_up"),
        (r"\.experts\.(?:.*\.)?(?:down_proj|w2|wo)(?:_bias|\.weight|\.bias)?$", "expert_down"),
        (r"shared_expert_gate\.weight$", "shared_expert_gate"),
        (r"shared_experts?\.(?:gate_proj|w1)\.(?:weight|bias)$", "shared_gate"),
        (r"shared_experts?\.(?:up_proj|w3)\.(?:weight|bias)$", "shared_up"),
        (r"shared_experts?\.(?:down_proj|w2)\.(?:weight|bias)$", "shared_down"),
        # Granite's shared expert (GraniteMoeSharedMLP / GraniteMoeHybridMLP): input_linear = [gate; up] fused
        (r"shared_mlp\.input_linear\.weight$", "shared_gate_up"),
        (r"shared_mlp\.output_linear\.weight$", "shared_down"),
        (r"(?:mlp|block_sparse_moe|feed_forward|moe)\.(?:gate|router)(?:\.classifier)?\.(?:weight|bias)$", "router"),
        # the lightning indexer of indexed sparse attention (DeepSeek-V3.2): before the q/k rules (wk, k_norm)
        (r"(?:self_attn|attn|attention)\.indexer\.(?:wq_b|wk|weights_proj|k_norm)\.(?:weight|bias)$", "attn_indexer"),
        # MLA sub-projections and their norms
        (r"q_a_proj\.(?:weight|bias)$", "attn_q_a"),
        (r"q_b_proj\.(?:weight|bias)$", "attn_q_b"),
        (r"kv_a_proj_with_mqa\.(?:weight|bias)$", "attn_kv_a"),
        (r"kv_b_proj\.(?:weight|bias)$", "attn_kv_b"),
        (r"q_a_layernorm\.(?:weight|bias)$", "norm_q_a"),
        (r"kv_a_layernorm\.(?:weight|bias)$", "norm_kv_a"),
        (r"(?:q_norm|query_layernorm)\.(?:weight|bias)$", "norm_q"),
        (r"(?:k_norm|key_layernorm)\.(?:weight|bias)$", "norm_k"),
        (r"(?:self_attn|attn|attention)\.sinks$", "attn_sinks"),
        # gated DeltaNet linear attention (Qwen3-Next `linear_attn`): before the fused/separate attention rules
        # LFM2's gated short convolution (`conv`: in_proj, a depthwise conv, out_proj)
        (r"(?:^|\.)conv\.in_proj\.(?:weight|bias)$", "lin_in"),
        (r"(?:^|\.)conv\.conv\.(?:weight|bias)$", "lin_conv"),
        (r"(?:^|\.)conv\.out_proj\.(?:weight|bias)$", "lin_out"),
        (r"linear_attn\.in_proj_(?:qkvz|ba)\.(?:weight|bias)$", "lin_in"),
        (r"linear_attn\.conv1d\.(?:weight|bias)$", "lin_conv"),
        (r"linear_attn\.(?:dt_bias|A_log)$", "lin_gate"),
        (r"linear_attn\.norm\.weight$", "lin_norm"),
        (r"linear_attn\.out_proj\.(?:weight|bias)$", "lin_out"),
        # state-space mixers (before attention: Mamba also has in_proj/out_proj)
        (r"(?:mixer|mamba)\.in_proj\.(?:weight|bias)$", "ssm_in"),
        (r"(?:mixer|mamba)\.conv1d\.(?:weight|bias)$", "ssm_conv"),
        (r"(?:mixer|mamba)\.x_proj\.(?:weight|bias)$", "ssm_x"),
        (r"(?:mixer|mamba)\.dt_proj\.(?:weight|bias)$", "ssm_dt"),
        (r"(?:mixer|mamba)\.A_log$", "ssm_a"),
        (r"(?:mixer|mamba)\.D$", "ssm_d"),
        (r"(?:mixer|mamba)\.out_proj\.(?:weight|bias)$", "ssm_out"),
        (r"(?:mixer|mamba)\.(?:dt|b|c)_layernorm\.weight$", "ssm_inner_norm"),
        # Mamba-2 (Nemotron-H, Bamba, Falcon-H1): per-head dt bias and the gated RMSNorm of the mixer
        (r"(?:mixer|mamba)\.dt_bias$", "ssm_dt"),
        (r"(?:mixer|mamba)\.norm\.weight$", "ssm_inner_norm"),
        # fused attention projections
        (r"(?:qkv_proj|c_attn|query_key_value|Wqkv|in_proj|in_proj_weight|in_proj_bias)(?:\.weight|\.bias)?$", "attn_qkv"),
        (r"(?:attn|attention)\.qkv\.(?:weight|bias)$", "attn_qkv"),
        # separate attention projections
        (r"(?:self_attn|self_attention|attention|attn|SelfAttention|mixer)\.(?:self\.)?(?:q_proj|query|q|wq)\.(?:weight|bias)$", "attn_q"),
        (r"(?:self_attn|self_attention|attention|attn|SelfAttention|mixer)\.(?:self\.)?(?:k_proj|key|k|wk)\.(?:weight|bias)$", "attn_k"),
        (r"(?:self_attn|self_attention|attention|attn|SelfAttention|mixer)\.(?:self\.)?(?:v_proj|value|v|wv)\.(?:weight|bias)$", "attn_v"),
        (r"(?:self_attn|self_attention|attention|attn|SelfAttention|mixer)\.(?:output\.)?(?:o_proj|out_proj|dense|o|wo|c_proj|proj)\.(?:weight|bias)$", "attn_o"),
        # dense MLPs
        (r"gate_up_proj\.(?:weight|bias)$", "mlp_gate_up"),
        (r"(?:gate_proj|\.w1|wi_0)\.(?:weight|bias)$", "mlp_gate"),
        (r"(?:up_proj|\.w3|wi_1|c_fc|fc1|dense_h_to_4h|intermediate\.dense|\.wi|\.ffn)\.(?:weight|bias)$", "mlp_up"),
        (r"(?:down_proj|\.w2|\.wo|mlp\.c_proj|fc2|dense_4h_to_h|output\.dense|ffn_output)\.(?:weight|bias)$", "mlp_down"),
        (r"mlp\.(?:0)\.(?:weight|bias)$", "mlp_up"),
        (r"mlp\.(?:2)\.(?:weight|bias)$", "mlp_down"),
        # norms
        (r"(?:input_layernorm|ln_1|ln_attn|layer_norm1|norm1|attention_norm)\.(?:weight|bias)$", "norm_attn_in"),
        (r"attention\.output\.LayerNorm\.(?:weight|bias)$", "norm_attn_out"),
        (r"(?:post_attention_layernorm|pre_feedforward_layernorm|pre_ff_layernorm|ln_2|ln_mlp|layer_norm2|norm2|ffn_norm)\.(?:weight|bias)$", "norm_mlp_in"),
        (r"(?:post_feedforward_layernorm|full_layer_layer_norm|output\.LayerNorm)\.(?:weight|bias)$", "norm_mlp_out"),
        (r"embeddings\.LayerNorm\.(?:weight|bias)$", "norm_embed"),
        (r"(?:^|\.)(?:norm|ln_f|norm_f|final_layer_norm|final_layernorm|post_layernorm|ln_q)\.(?:weight|bias)$", "norm_final"),
        (r"(?:layer_norm|LayerNorm|layernorm|norm)\.(?:weight|bias)$", "norm_attn_in"),
    ]
    return [(re.compile(p, _R), role) for p, role in rules]


_RULES = _rules()
_ANY_RULE = re.compile("|".join(f"(?:{p.pattern})" for p, _ in _RULES), _R)  # one pass rejects unknown names


def classify(name: str) -> NameInfo:
    """Component, stack, layer and role of one tensor name."""
    matches = list(_LAYER.finditer(name))
    m = matches[-1] if matches else None  # the innermost layer index
    layer = int(m.group(1)) if m else None
    e = _EXPERT.search(name)
    expert = int(e.group(1)) if e else None
    # The rules never look at layer or expert numbers: classify the name with those numbers blanked, once per
    # distinct pattern (a checkpoint has thousands of tensors but a few dozen patterns).
    spans = sorted([x.span(1) for x in matches] + ([e.span(1)] if e else []))
    template, last = [], 0
    for a, b in spans:
        if a >= last:
            template.append(name[last:a] + "0")
            last = b
    template.append(name[last:])
    component, stack, role = _classify_template("".join(template), layer is not None)
    return NameInfo(component, stack, layer, role, expert)


def patterns_seen() -> int:
    """Distinct name patterns classified so far (a checkpoint has a few hundred; see safetensors.MAX_PATTERNS)."""
    return _classify_template.cache_info().misses


@functools.lru_cache(maxsize=16384)
def _classify_template(name: str, has_layer: bool) -> tuple[str, str, str]:
    if _PROJECTOR.search(name):
        component, stack = "projector", ""
    elif _VISION.search(name):
        component, stack = "vision", "vision"
    elif _AUDIO.search(name):
        component, stack = "audio", "audio"
    else:
        component = "language"
        stack = "encoder" if re.search(r"(?:^|\.)encoder\.", name) else "decoder"
    if not has_layer and component == "language":
        stack = ""
    if _ANY_RULE.search(name):
        for pattern, role in _RULES:
            if pattern.search(name):
                return component, stack, role
    return component, stack, "other"
