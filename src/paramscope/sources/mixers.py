"""Linear-time token mixers as :class:`~paramscope.spec.RecurrentSpec` objects, one builder per layout.

Each builder reads its keys through the Cfg accessor and returns the mixer's tensors (names follow the
checkpoint's, roles from roles.py), the per-sequence state it carries (a causal convolution window and a
recurrent state) and the FLOPs of its state update per token. Layouts from the transformers 5.23 modeling
files named in each builder.
"""

from __future__ import annotations

from ..spec import ExtraTensor, RecurrentSpec
from .config_access import Cfg

#: FLOPs per key x value element of a gated delta-rule state per token (the recurrent form,
#: torch_recurrent_gated_delta_rule in transformers' qwen3_next): 1 decay multiply, 2 for the read
#: S^T k (multiply + add), 2 for the rank-1 write S += k (x) delta, 2 for the output S^T q.
DELTA_RULE_FLOPS_PER_ELEMENT = 7


def gated_deltanet(c: Cfg, hidden: int, split: bool = False) -> RecurrentSpec:
    """Gated DeltaNet (Yang et al. 2024, arXiv 2412.06464) as Qwen3-Next builds it
    (qwen3_next/modeling_qwen3_next.py, Qwen3NextGatedDeltaNet): one fused projection to q, k, v and the
    output gate z, one to the per-value-head beta and decay a, a depthwise causal convolution over q, k, v
    (no bias), per-head dt_bias and A_log, a gated RMSNorm over the value head width, and out_proj.
    transformers' cache holds conv_states [conv_dim, kernel] and recurrent_states [v_heads, d_k, d_v]."""
    nk, nv = c.int("linear_num_key_heads"), c.int("linear_num_value_heads")
    dk, dv = c.int("linear_key_head_dim"), c.int("linear_value_head_dim")
    kernel = c.int("linear_conv_kernel_dim")
    key_dim, value_dim = nk * dk, nv * dv
    conv_dim = 2 * key_dim + value_dim
    if split:  # Qwen3.5 (qwen3_5/modeling_qwen3_5.py Qwen3_5GatedDeltaNet): the same rows, four projections
        inputs = (ExtraTensor("linear_attn.in_proj_qkv.weight", "lin_in", (2 * key_dim + value_dim, hidden)),
                  ExtraTensor("linear_attn.in_proj_z.weight", "lin_in", (value_dim, hidden)),
                  ExtraTensor("linear_attn.in_proj_b.weight", "lin_in", (nv, hidden)),
                  ExtraTensor("linear_attn.in_proj_a.weight", "lin_in", (nv, hidden)))
    else:
        inputs = (ExtraTensor("linear_attn.in_proj_qkvz.weight", "lin_in", (2 * key_dim + 2 * value_dim, hidden)),
                  ExtraTensor("linear_attn.in_proj_ba.weight", "lin_in", (2 * nv, hidden)))
    tensors = inputs + (
        ExtraTensor("linear_attn.conv1d.weight", "lin_conv", (conv_dim, 1, kernel)),
        ExtraTensor("linear_attn.dt_bias", "lin_gate", (nv,)),
        ExtraTensor("linear_attn.A_log", "lin_gate", (nv,)),
        ExtraTensor("linear_attn.norm.weight", "lin_norm", (dv,)),
        ExtraTensor("linear_attn.out_proj.weight", "lin_out", (hidden, value_dim)),
    )
    return RecurrentSpec("gated_deltanet", tensors, conv_channels=conv_dim, conv_kernel=kernel,
                         state_elements=nv * dk * dv, state_dtype="fp32",
                         state_flops_per_token=DELTA_RULE_FLOPS_PER_ELEMENT * nv * dk * dv,
                         activation_width=2 * key_dim + 2 * value_dim + 2 * nv)


#: FLOPs per head_dim x state element of a Mamba-2 (SSD) step per token (the recurrent form,
#: torch_forward's decode path in transformers' mamba2): 1 decay multiply exp(dt A) h, 2 for the input
#: outer product dt B x, 2 for the read-out C h.
SSD_FLOPS_PER_ELEMENT = 5

#: Key names of the Mamba-2 mixer settings per family: (heads, head_dim, groups, state, kernel, expand,
#: conv bias, projection bias), with the class defaults transformers uses when a key is absent.
MAMBA2_KEYS = {
    "mamba2": (("num_heads", 128), ("head_dim", 64), ("n_groups", 8), ("state_size", 128), ("conv_kernel", 4),
               ("expand", 2), ("use_conv_bias", True), ("use_bias", False)),
    "nemotron_h": (("mamba_num_heads", 128), ("mamba_head_dim", 64), ("n_groups", 8), ("ssm_state_size", 128),
                   ("conv_kernel", 4), ("expand", 2), ("use_conv_bias", True), ("mamba_proj_bias", False)),
    "falcon_h1": (("mamba_n_heads", 128), ("mamba_d_head", None), ("mamba_n_groups", 1), ("mamba_d_state", 256),
                  ("mamba_d_conv", 4), ("mamba_expand", 2), ("mamba_conv_bias", True), ("mamba_proj_bias", False)),
    # Zamba2MambaMixer (zamba2/modeling_zamba2.py): head_dim mamba_headdim = expand x hidden // heads
    "zamba2": (("n_mamba_heads", 8), ("mamba_headdim", None), ("mamba_ngroups", 1), ("mamba_d_state", 64),
               ("mamba_d_conv", 4), ("mamba_expand", 2), ("use_conv_bias", True), ("add_bias_linear", False)),
    "bamba": (("mamba_n_heads", 128), ("mamba_d_head", None), ("mamba_n_groups", 1), ("mamba_d_state", 256),
              ("mamba_d_conv", 4), ("mamba_expand", 2), ("mamba_conv_bias", True), ("mamba_proj_bias", False)),
}


def mamba2(c: Cfg, hidden: int, keys: str = "mamba2", prefix: str = "mixer", *,
           heads_x_head_dim: bool = False, state_dtype: str = "fp32", width_key: str | None = None,
           norm_key: str | None = None, conv_bias: bool | None = None) -> RecurrentSpec:
    """Mamba-2 / SSD (Dao & Gu 2024, arXiv 2405.21060) as transformers builds it (mamba2/modeling_mamba2.py
    Mamba2Mixer; bamba/modeling_bamba.py BambaMixer): in_proj to z, x, B, C and dt
    (2 x intermediate + 2 x groups x state + heads), a depthwise causal convolution over x, B, C with
    bias, per-head dt_bias, A_log and D, a gated RMSNorm over the intermediate width, out_proj.
    intermediate = expand x hidden. transformers' cache holds conv_states [conv_dim, kernel] in the model
    dtype and ssm_states [heads, head_dim, state] in float32 (checked in tests/test_state_truth.py)."""
    (h_k, h_d), (d_k, d_d), (g_k, g_d), (s_k, s_d), (k_k, k_d), (e_k, e_d), (cb_k, cb_d), (pb_k, pb_d) = \
        MAMBA2_KEYS[keys]
    heads, groups, state, kernel = c.int(h_k, h_d), c.int(g_k, g_d), c.int(s_k, s_d), c.int(k_k, k_d)
    c.touch("time_step_rank")  # Mamba-2 projects dt per head from in_proj; no low-rank dt projection
    intermediate = int(c.float(e_k, e_d) * hidden)
    if width_key is not None and c.raw(width_key) is not None:  # FalconH1Mixer: mamba_d_ssm, else expand x hidden
        intermediate = c.int(width_key)
    if c.raw(d_k) == "auto":  # FalconH1Config: mamba_d_head "auto" = intermediate // heads
        c.touch(d_k)
        head_dim = intermediate // heads
    else:
        head_dim = c.int(d_k, d_d) if d_d is not None else c.int(d_k, intermediate // heads)
    if heads_x_head_dim:  # NemotronHMamba2Mixer: intermediate = mamba_num_heads x mamba_head_dim
        intermediate = heads * head_dim
    proj_bias = c.bool(pb_k, pb_d)
    if conv_bias is None:
        conv_bias = c.bool(cb_k, cb_d)
    else:  # the family builds the convolution's bias whatever its flag says (Zamba2MambaMixer: bias=True)
        c.touch(cb_k)
    conv_dim = intermediate + 2 * groups * state
    p = prefix
    tensors = [ExtraTensor(f"{p}.in_proj.weight", "ssm_in", (2 * intermediate + 2 * groups * state + heads, hidden)),
               ExtraTensor(f"{p}.conv1d.weight", "ssm_conv", (conv_dim, 1, kernel))]
    if conv_bias:
        tensors.append(ExtraTensor(f"{p}.conv1d.bias", "ssm_conv", (conv_dim,)))
    if proj_bias:
        tensors.append(ExtraTensor(f"{p}.in_proj.bias", "ssm_in",
                                   (2 * intermediate + 2 * groups * state + heads,)))
    tensors += [ExtraTensor(f"{p}.dt_bias", "ssm_dt", (heads,)), ExtraTensor(f"{p}.A_log", "ssm_a", (heads,)),
                ExtraTensor(f"{p}.D", "ssm_d", (heads,))]
    if norm_key is None or c.bool(norm_key, True):  # Falcon-H1 has the gated RMSNorm only with mamba_rms_norm
        tensors.append(ExtraTensor(f"{p}.norm.weight", "ssm_inner_norm", (intermediate,)))
    tensors.append(ExtraTensor(f"{p}.out_proj.weight", "ssm_out", (hidden, intermediate)))
    if proj_bias:
        tensors.append(ExtraTensor(f"{p}.out_proj.bias", "ssm_out", (hidden,)))
    return RecurrentSpec("mamba2", tuple(tensors), conv_channels=conv_dim, conv_kernel=kernel,
                         state_elements=heads * head_dim * state, state_dtype=state_dtype,
                         state_flops_per_token=SSD_FLOPS_PER_ELEMENT * heads * head_dim * state,
                         activation_width=2 * intermediate + 2 * groups * state + heads + conv_dim)


def short_conv(c: Cfg, hidden: int, kernel_default: int = 3) -> RecurrentSpec:
    """LFM2's gated short convolution (lfm2/modeling_lfm2.py Lfm2ShortConv): in_proj to B, C and x
    (3 x hidden), a depthwise causal convolution of conv_L_cache taps over hidden channels, out_proj;
    biases on all three when conv_bias. State: the convolution window only [hidden, kernel]."""
    kernel, bias = c.int("conv_L_cache", kernel_default), c.bool("conv_bias", False)  # Lfm3Config: 7
    tensors = [ExtraTensor("conv.in_proj.weight", "lin_in", (3 * hidden, hidden)),
               ExtraTensor("conv.conv.weight", "lin_conv", (hidden, 1, kernel)),
               ExtraTensor("conv.out_proj.weight", "lin_out", (hidden, hidden))]
    if bias:
        tensors += [ExtraTensor("conv.in_proj.bias", "lin_in", (3 * hidden,)),
                    ExtraTensor("conv.conv.bias", "lin_conv", (hidden,)),
                    ExtraTensor("conv.out_proj.bias", "lin_out", (hidden,))]
    return RecurrentSpec("short_conv", tuple(tensors), conv_channels=hidden, conv_kernel=kernel,
                         activation_width=3 * hidden)


def kimi_delta_attention(c: Cfg, hidden: int) -> RecurrentSpec:
    """Kimi Delta Attention (Kimi Linear; kimi_linear/modeling_kimi_linear.py KimiLinearDeltaAttention):
    q, k, v projections of heads x head_dim, one depthwise causal convolution over q, k and v (no bias), a
    low-rank per-channel forget gate (f_a [head_dim, hidden], f_b [heads x head_dim, head_dim], dt_bias,
    A_log per head), a per-head beta (b_proj), a low-rank output gate (g_a, g_b), a gated RMSNorm over the
    head width and o_proj. State: the convolution window and a [heads, head_dim, head_dim] delta-rule state."""
    heads, hd, kernel = c.int("linear_num_heads"), c.int("linear_head_dim"), c.int("linear_conv_kernel_dim", 4)
    width = heads * hd
    p = "self_attn"
    tensors = (
        ExtraTensor(f"{p}.q_proj.weight", "lin_in", (width, hidden)),
        ExtraTensor(f"{p}.k_proj.weight", "lin_in", (width, hidden)),
        ExtraTensor(f"{p}.v_proj.weight", "lin_in", (width, hidden)),
        ExtraTensor(f"{p}.conv1d.weight", "lin_conv", (3 * width, 1, kernel)),
        ExtraTensor(f"{p}.forget_gate.dt_bias", "lin_gate", (width,)),
        ExtraTensor(f"{p}.forget_gate.A_log", "lin_gate", (1, 1, heads, 1)),
        ExtraTensor(f"{p}.forget_gate.f_a_proj.weight", "lin_gate", (hd, hidden)),
        ExtraTensor(f"{p}.forget_gate.f_b_proj.weight", "lin_gate", (width, hd)),
        ExtraTensor(f"{p}.b_proj.weight", "lin_gate", (heads, hidden)),
        ExtraTensor(f"{p}.g_a_proj.weight", "lin_gate", (hd, hidden)),
        ExtraTensor(f"{p}.g_b_proj.weight", "lin_gate", (width, hd)),
        ExtraTensor(f"{p}.o_norm.weight", "lin_norm", (hd,)),
        ExtraTensor(f"{p}.o_proj.weight", "lin_out", (hidden, width)),
    )
    return RecurrentSpec("kimi_delta_attention", tensors, conv_channels=3 * width, conv_kernel=kernel,
                         state_elements=heads * hd * hd, state_dtype="fp32",
                         state_flops_per_token=DELTA_RULE_FLOPS_PER_ELEMENT * heads * hd * hd,
                         activation_width=3 * width + 2 * width + heads)


def _falcon_h1_mixer(c: Cfg, hidden: int) -> RecurrentSpec:
    c.touch("mamba_norm_before_gate", "mamba_chunk_size")
    return mamba2(c, hidden, "falcon_h1", "mamba", width_key="mamba_d_ssm", norm_key="mamba_rms_norm")


def rg_lru(c: Cfg, hidden: int) -> RecurrentSpec:
    """Griffin's recurrent block (De et al. 2024, arXiv 2402.19427) as RecurrentGemma builds it
    (recurrent_gemma/modeling_recurrent_gemma.py RecurrentGemmaRecurrentBlock, RecurrentGemmaRglru): two input
    branches linear_y and linear_x [lru_width, hidden] with bias, a depthwise causal convolution of conv1d_width
    taps with bias, the RG-LRU (a per-channel recurrence parameter and block-diagonal input and recurrence gates,
    one [block, block] matrix and bias per head) and linear_out with bias. State: kernel - 1 inputs of the
    convolution and one float32 value per LRU channel."""
    heads = c.int("num_attention_heads")
    lru = c.int("lru_width", hidden)
    kernel = c.int("conv1d_width", 4)
    if lru % heads:
        from ..errors import ConfigError

        raise ConfigError(f"{c.origin}: lru_width {lru} is not divisible by num_attention_heads {heads}")
    block = lru // heads
    p = "temporal_block"
    tensors = (
        ExtraTensor(f"{p}.linear_y.weight", "lin_in", (lru, hidden)), ExtraTensor(f"{p}.linear_y.bias", "lin_in", (lru,)),
        ExtraTensor(f"{p}.linear_x.weight", "lin_in", (lru, hidden)), ExtraTensor(f"{p}.linear_x.bias", "lin_in", (lru,)),
        ExtraTensor(f"{p}.linear_out.weight", "lin_out", (hidden, lru)),
        ExtraTensor(f"{p}.linear_out.bias", "lin_out", (hidden,)),
        ExtraTensor(f"{p}.conv_1d.weight", "lin_conv", (lru, 1, kernel)),
        ExtraTensor(f"{p}.conv_1d.bias", "lin_conv", (lru,)),
        ExtraTensor(f"{p}.rg_lru.recurrent_param", "lin_gate", (lru,)),
        ExtraTensor(f"{p}.rg_lru.input_gate_weight", "lin_gate", (heads, block, block)),
        ExtraTensor(f"{p}.rg_lru.input_gate_bias", "lin_gate", (heads, block)),
        ExtraTensor(f"{p}.rg_lru.recurrent_gate_weight", "lin_gate", (heads, block, block)),
        ExtraTensor(f"{p}.rg_lru.recurrent_gate_bias", "lin_gate", (heads, block)),
    )
    return RecurrentSpec("rg_lru", tensors, conv_channels=lru, conv_kernel=kernel, conv_keep="kernel-1",
                         state_elements=lru, state_dtype="fp32", activation_width=3 * lru)




#: FLOPs per dk x dv element of an mLSTM step per token (the recurrent form): 1 forget-gate multiply of C,
#: 2 for the input-gated rank-1 write i k v^T, 2 for the read-out C^T q.
MLSTM_FLOPS_PER_ELEMENT = 5


def _round_up(x: float, multiple: int) -> int:
    """xLSTM's round_up_to_next_multiple_of (xlstm/configuration_xlstm.py)."""
    return int(((x + multiple - 1) // multiple) * multiple)


def mlstm(c: Cfg, hidden: int) -> RecurrentSpec:
    """The mLSTM layer of xLSTM-7B (Beck et al. 2025, arXiv 2503.13427) as transformers builds it
    (xlstm/modeling_xlstm.py xLSTMLayer): q, k [int(hidden x qk_dim_factor), hidden], v and the output gate
    [int(hidden x v_dim_factor), hidden] (biases with use_bias), input and forget gates [heads, hidden] always
    with bias (weight_mode "fused": one qkv_opreact and one ifgate_preact of the same total), a per-head
    LayerNorm over the value width (weight, bias with use_bias) and out_proj. No convolution. State per layer
    (xlstm/modeling_xlstm.py xLSTMCache.rnn_state): the matrix memory C [heads, dk, dv], the normalizer
    n [heads, dk] and the stabilizer m [heads, 1], with dk, dv the per-head widths of qk_dim / v_dim (rounded
    up to multiples of 64 by xLSTMConfig), in the model dtype."""
    heads = c.int("num_heads")
    bias = c.bool("use_bias", False)
    qk_factor, v_factor = c.float("qk_dim_factor", 0.5), c.float("v_dim_factor", 1.0)
    qk, v = int(hidden * qk_factor), int(hidden * v_factor)
    mode = c.str("weight_mode", "single")
    if mode not in ("single", "fused"):
        from ..errors import ConfigError

        raise ConfigError(f"{c.origin}: weight_mode {mode!r}: expected single or fused")
    p = "mlstm_layer"
    if mode == "single":
        tensors = [ExtraTensor(f"{p}.q.weight", "lin_in", (qk, hidden)),
                   ExtraTensor(f"{p}.k.weight", "lin_in", (qk, hidden)),
                   ExtraTensor(f"{p}.v.weight", "lin_in", (v, hidden)),
                   ExtraTensor(f"{p}.ogate_preact.weight", "lin_gate", (v, hidden))]
        if bias:
            tensors += [ExtraTensor(f"{p}.q.bias", "lin_in", (qk,)), ExtraTensor(f"{p}.k.bias", "lin_in", (qk,)),
                        ExtraTensor(f"{p}.v.bias", "lin_in", (v,)),
                        ExtraTensor(f"{p}.ogate_preact.bias", "lin_gate", (v,))]
        tensors += [ExtraTensor(f"{p}.igate_preact.weight", "lin_gate", (heads, hidden)),
                    ExtraTensor(f"{p}.igate_preact.bias", "lin_gate", (heads,)),
                    ExtraTensor(f"{p}.fgate_preact.weight", "lin_gate", (heads, hidden)),
                    ExtraTensor(f"{p}.fgate_preact.bias", "lin_gate", (heads,))]
    else:
        tensors = [ExtraTensor(f"{p}.qkv_opreact.weight", "lin_in", (2 * qk + 2 * v, hidden))]
        if bias:
            tensors.append(ExtraTensor(f"{p}.qkv_opreact.bias", "lin_in", (2 * qk + 2 * v,)))
        tensors += [ExtraTensor(f"{p}.ifgate_preact.weight", "lin_gate", (2 * heads, hidden)),
                    ExtraTensor(f"{p}.ifgate_preact.bias", "lin_gate", (2 * heads,))]
    tensors.append(ExtraTensor(f"{p}.multihead_norm.weight", "lin_norm", (v,)))
    if bias:
        tensors.append(ExtraTensor(f"{p}.multihead_norm.bias", "lin_norm", (v,)))
    tensors.append(ExtraTensor(f"{p}.out_proj.weight", "lin_out", (hidden, v)))
    if bias:
        tensors.append(ExtraTensor(f"{p}.out_proj.bias", "lin_out", (hidden,)))
    dk = _round_up(hidden * qk_factor, 64) // heads
    dv = _round_up(hidden * v_factor, 64) // heads
    return RecurrentSpec("mlstm", tuple(tensors), state_elements=heads * (dk * dv + dk + 1), state_dtype="model",
                         state_flops_per_token=MLSTM_FLOPS_PER_ELEMENT * heads * dk * dv,
                         activation_width=2 * qk + 2 * v + 2 * heads)


#: FLOPs per head_dim x head_dim element of a lightning-attention step per token (the recurrent form of
#: MiniMaxLightningAttention: decay multiply of the kv state, 2 for the rank-1 write k^T v, 2 for the read q kv).
LIGHTNING_FLOPS_PER_ELEMENT = 5


def lightning(c: Cfg, hidden: int) -> RecurrentSpec:
    """Lightning attention (MiniMax-01, arXiv 2501.08313) as transformers builds it
    (minimax/modeling_minimax.py MiniMaxLightningAttention): one qkv_proj [3 x heads x head_dim, hidden], an
    RMSNorm over heads x head_dim, a sigmoid output_gate [heads x head_dim, hidden] and out_proj, no biases;
    the decay rates are buffers. No convolution. State per layer (MiniMaxCache.linear_cache): the kv matrix
    [heads, head_dim, head_dim] in the model dtype."""
    heads = c.int("num_attention_heads")
    head_dim = c.opt_int("head_dim") or hidden // heads  # getattr(config, "head_dim", None) or hidden // heads
    width = heads * head_dim
    p = "self_attn"
    tensors = (
        ExtraTensor(f"{p}.qkv_proj.weight", "lin_in", (3 * width, hidden)),
        ExtraTensor(f"{p}.output_gate.weight", "lin_gate", (width, hidden)),
        ExtraTensor(f"{p}.norm.weight", "lin_norm", (width,)),
        ExtraTensor(f"{p}.out_proj.weight", "lin_out", (hidden, width)),
    )
    return RecurrentSpec("lightning", tensors, state_elements=heads * head_dim * head_dim, state_dtype="model",
                         state_flops_per_token=LIGHTNING_FLOPS_PER_ELEMENT * heads * head_dim * head_dim,
                         activation_width=4 * width)


def olmo_gated_deltanet(c: Cfg, hidden: int) -> RecurrentSpec:
    """Gated DeltaNet as OLMo-Hybrid builds it (olmo_hybrid/modeling_olmo_hybrid.py OlmoHybridGatedDeltaNet):
    separate bias-free q_proj, k_proj [key heads x key dim, hidden], v_proj and the output gate g_proj
    [value heads x value dim, hidden], a_proj and b_proj [value heads, hidden] (decay and beta), a depthwise
    causal convolution over q, k, v without bias, per-value-head A_log and dt_bias, a gated RMSNorm over
    the value head width (o_norm) and o_proj. The key and value settings default from the attention ones
    (OlmoHybridConfig.__post_init__: heads = num_attention_heads, key dim = int(0.75 x hidden / key heads),
    value dim = 2 x key dim). State as Qwen3-Next's: conv_states [conv_dim, kernel] and float32
    recurrent_states [value heads, key dim, value dim]."""
    heads = c.int("num_attention_heads")
    nk = c.int("linear_num_key_heads", heads)
    nv = c.int("linear_num_value_heads", heads)
    dk = c.int("linear_key_head_dim", int(0.75 * hidden / nk))
    dv = c.int("linear_value_head_dim", 2 * dk)
    kernel = c.int("linear_conv_kernel_dim", 4)
    c.touch("linear_allow_neg_eigval")  # beta scaled by 2 at run time: no parameter
    key_dim, value_dim = nk * dk, nv * dv
    conv_dim = 2 * key_dim + value_dim
    p = "linear_attn"
    tensors = (
        ExtraTensor(f"{p}.q_proj.weight", "lin_in", (key_dim, hidden)),
        ExtraTensor(f"{p}.k_proj.weight", "lin_in", (key_dim, hidden)),
        ExtraTensor(f"{p}.v_proj.weight", "lin_in", (value_dim, hidden)),
        ExtraTensor(f"{p}.a_proj.weight", "lin_gate", (nv, hidden)),
        ExtraTensor(f"{p}.b_proj.weight", "lin_gate", (nv, hidden)),
        ExtraTensor(f"{p}.g_proj.weight", "lin_gate", (value_dim, hidden)),
        ExtraTensor(f"{p}.o_proj.weight", "lin_out", (hidden, value_dim)),
        ExtraTensor(f"{p}.conv1d.weight", "lin_conv", (conv_dim, 1, kernel)),
        ExtraTensor(f"{p}.A_log", "lin_gate", (nv,)),
        ExtraTensor(f"{p}.dt_bias", "lin_gate", (nv,)),
        ExtraTensor(f"{p}.o_norm.weight", "lin_norm", (dv,)),
    )
    return RecurrentSpec("gated_deltanet", tensors, conv_channels=conv_dim, conv_kernel=kernel,
                         state_elements=nv * dk * dv, state_dtype="fp32",
                         state_flops_per_token=DELTA_RULE_FLOPS_PER_ELEMENT * nv * dk * dv,
                         activation_width=2 * key_dim + 2 * value_dim + 2 * nv)


def zamba_mamba(c: Cfg, hidden: int) -> RecurrentSpec:
    """Zamba's multi-head Mamba-1 mixer (zamba/modeling_zamba.py ZambaMambaMixer): in_proj [2 x d_inner,
    hidden] (bias with mamba_proj_bias), a depthwise causal convolution over d_inner channels (bias with
    mamba_conv_bias), and per head (n_mamba_heads, head width d_inner / heads) the selective-scan
    parameters as stacked tensors: x_proj_weight [heads, dt_rank + 2 x d_state, head width], dt_proj_weight
    [heads, head width, dt_rank], dt_proj_bias [heads, head width], A_log [heads, head width, d_state], D
    [heads, head width]; out_proj [hidden, d_inner]. d_inner = mamba_expand x hidden; dt_rank "auto" =
    ceil(hidden / 16). State: the convolution window [d_inner, kernel] in the model dtype and float32
    [heads, head width, d_state] (checked in tests/test_state_truth.py)."""
    import math

    di = c.int("mamba_expand", 2) * hidden
    heads = c.int("n_mamba_heads", 2)
    if di % heads:
        from ..errors import ConfigError

        raise ConfigError(f"{c.origin}: mamba_expand x hidden_size {di} is not divisible by n_mamba_heads {heads}")
    hd = di // heads
    state, kernel = c.int("mamba_d_state", 16), c.int("mamba_d_conv", 4)
    rank = c.raw("mamba_dt_rank", "auto")
    rank = math.ceil(hidden / 16) if rank == "auto" else c.int("mamba_dt_rank")
    conv_bias, proj_bias = c.bool("mamba_conv_bias", True), c.bool("mamba_proj_bias", False)
    c.touch("hidden_mamba_act")
    p = "mamba"
    tensors = [ExtraTensor(f"{p}.in_proj.weight", "ssm_in", (2 * di, hidden)),
               ExtraTensor(f"{p}.conv1d.weight", "ssm_conv", (di, 1, kernel))]
    if proj_bias:
        tensors.append(ExtraTensor(f"{p}.in_proj.bias", "ssm_in", (2 * di,)))
    if conv_bias:
        tensors.append(ExtraTensor(f"{p}.conv1d.bias", "ssm_conv", (di,)))
    tensors += [ExtraTensor(f"{p}.x_proj_weight", "ssm_x", (heads, rank + 2 * state, hd)),
                ExtraTensor(f"{p}.dt_proj_weight", "ssm_dt", (heads, hd, rank)),
                ExtraTensor(f"{p}.dt_proj_bias", "ssm_dt", (heads, hd)),
                ExtraTensor(f"{p}.A_log", "ssm_a", (heads, hd, state)),
                ExtraTensor(f"{p}.D", "ssm_d", (heads, hd)),
                ExtraTensor(f"{p}.out_proj.weight", "ssm_out", (hidden, di))]
    if proj_bias:
        tensors.append(ExtraTensor(f"{p}.out_proj.bias", "ssm_out", (hidden,)))
    return RecurrentSpec("mamba", tuple(tensors), conv_channels=di, conv_kernel=kernel,
                         state_elements=di * state, state_dtype="fp32",
                         state_flops_per_token=SSD_FLOPS_PER_ELEMENT * di * state,
                         activation_width=2 * di + heads * (rank + 2 * state) + di)


def bailing_delta_attention(c: Cfg, hidden: int) -> RecurrentSpec:
    """Ling/Ring 2.5's gated delta attention (bailing_hybrid/modeling_bailing_hybrid.py BailingHybridDeltaAttention,
    a Kimi-Delta-Attention variant): bias-free q, k, v projections of heads x head_dim (linear_num_heads,
    linear_head_dim: BailingHybridConfig copies num_attention_heads and the stated head_dim), one depthwise causal
    convolution over q, k and v without bias (short_conv_kernel_size taps), a full-rank per-channel forget gate
    (forget_gate.f_proj [heads x head_dim, hidden], dt_bias per channel, A_log per head), a per-head beta (b_proj),
    an output gate g_proj [heads x head_dim, hidden], a gated RMSNorm over the head width (o_norm) and o_proj.
    State as Kimi Delta Attention's: the convolution window and a float32 [heads, head_dim, head_dim] state."""
    heads = c.int("linear_num_heads", c.int("num_attention_heads"))
    hd = c.int("linear_head_dim", c.int("head_dim", 128))
    kernel = c.int("linear_conv_kernel_dim", c.int("short_conv_kernel_size", 4))
    c.touch("kda_safe_gate", "kda_lower_bound")  # a clamp of the gate at run time
    width = heads * hd
    p = "self_attn"
    tensors = (
        ExtraTensor(f"{p}.q_proj.weight", "lin_in", (width, hidden)),
        ExtraTensor(f"{p}.k_proj.weight", "lin_in", (width, hidden)),
        ExtraTensor(f"{p}.v_proj.weight", "lin_in", (width, hidden)),
        ExtraTensor(f"{p}.conv1d.weight", "lin_conv", (3 * width, 1, kernel)),
        ExtraTensor(f"{p}.forget_gate.A_log", "lin_gate", (heads,)),
        ExtraTensor(f"{p}.forget_gate.dt_bias", "lin_gate", (width,)),
        ExtraTensor(f"{p}.forget_gate.f_proj.weight", "lin_gate", (width, hidden)),
        ExtraTensor(f"{p}.b_proj.weight", "lin_gate", (heads, hidden)),
        ExtraTensor(f"{p}.o_norm.weight", "lin_norm", (hd,)),
        ExtraTensor(f"{p}.o_proj.weight", "lin_out", (hidden, width)),
        ExtraTensor(f"{p}.g_proj.weight", "lin_gate", (width, hidden)),
    )
    return RecurrentSpec("gated_delta_attention", tensors, conv_channels=3 * width, conv_kernel=kernel,
                         state_elements=heads * hd * hd, state_dtype="fp32",
                         state_flops_per_token=DELTA_RULE_FLOPS_PER_ELEMENT * heads * hd * hd,
                         activation_width=5 * width + heads)


MIXERS = {"lightning": lightning, "mlstm": mlstm, "rg_lru": rg_lru, "mamba2_falcon_h1": _falcon_h1_mixer, "kimi_delta_attention": kimi_delta_attention, "short_conv": short_conv,
          "short_conv_lfm3": lambda c, hidden: short_conv(c, hidden, kernel_default=7), "gated_deltanet": gated_deltanet,
          "gated_deltanet_split": lambda c, hidden: gated_deltanet(c, hidden, split=True), "olmo_gated_deltanet": olmo_gated_deltanet, "mamba2_bamba": lambda c, hidden: mamba2(c, hidden, "bamba", "mamba")}
