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


def gated_deltanet(c: Cfg, hidden: int) -> RecurrentSpec:
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
    tensors = (
        ExtraTensor("linear_attn.in_proj_qkvz.weight", "lin_in", (2 * key_dim + 2 * value_dim, hidden)),
        ExtraTensor("linear_attn.in_proj_ba.weight", "lin_in", (2 * nv, hidden)),
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


MIXERS = {"gated_deltanet": gated_deltanet}
