"""Adapters added for issue 10 (see hf_config.ADAPTERS): decoder families whose layout is not a row of the
Llama-shaped ``Traits`` table in decoders.py. Each entry: model_type -> adapter(c, model_type, *, name,
architecture, head) -> ModelSpec. Every layout is cited from its transformers 5.23 modeling file.
"""

from __future__ import annotations

from dataclasses import replace

from ..errors import ConfigError, UnsupportedArchitectureError
from ..spec import (
    AttentionSpec,
    EmbeddingSpec,
    ExtraTensor,
    HeadSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    MoeSpec,
    NormSpec,
    StackSpec,
)
from .common import common_fields, layernorm
from . import gemma3n
from .config_access import Cfg
from .mixers import bailing_delta_attention, mamba2, olmo_gated_deltanet, zamba_mamba


def _lm_spec(c: Cfg, model_type: str, *, name: str, architecture: str, head: str, hidden: int, vocab: int,
             stacks: tuple[StackSpec, ...], tied: bool, position: str = "rotary", max_context: int | None = None,
             warnings: tuple[str, ...] = (), extra: tuple[ExtraTensor, ...] = ()) -> ModelSpec:
    return ModelSpec(**common_fields(c, model_type, name, architecture), hidden_size=hidden,
                     embedding=EmbeddingSpec(vocab, hidden, tied_head=tied and head == "lm", position=position),
                     stacks=stacks, head=HeadSpec(kind=head), max_context=max_context, warnings=warnings,
                     extra=extra)


def dbrx(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """DBRX (transformers dbrx/modeling_dbrx.py): every block is a bias-free LayerNorm (norm_1), one fused
    Wqkv [d + 2 x kv_n_heads x head_dim, d] and out_proj [d, d] (no biases; head_dim = d_model // n_heads),
    a second bias-free LayerNorm (norm_2) and a mixture of GLU experts: router.layer [experts, d] and three
    stacked parameters w1, v1, w2 of [experts x ffn_hidden_size, d] (w2 is used transposed). The attention
    and expert settings live in the attn_config and ffn_config sub-configs (DbrxAttentionConfig,
    DbrxFFNConfig); the output head is never tied (DbrxConfig.validate_architecture)."""
    d = c.int("d_model", 2048)
    heads = c.int("n_heads", 16)
    n = c.int("n_layers", 24, minimum=0)
    attn = c.sub("attn_config", required=False) or c.with_data({})
    ffn = c.sub("ffn_config", required=False) or c.with_data({})
    kv = attn.int("kv_n_heads", 1)
    c.touch("num_key_value_heads")  # DbrxConfig's copy for generic code; DbrxAttention reads kv_n_heads
    attn.touch("clip_qkv", "rope_theta", "attn_pdrop")  # a clamp of q/k/v, the RoPE base, dropout
    ffn.touch("hidden_size", "moe_jitter_eps", "moe_normalize_expert_weights", "moe_loss_weight")  # d_model
    act = ffn.raw("ffn_act_fn") or {"name": "silu"}
    if not isinstance(act, dict) or not set(act) <= {"name"}:
        raise UnsupportedArchitectureError(f"{c.origin}: ffn_config.ffn_act_fn={act!r}: only a name is described")
    ffn.touch("ffn_act_fn")
    experts = ffn.int("moe_num_experts", 4)
    moe = MoeSpec(num_experts=experts, top_k=ffn.int("moe_top_k", 1),
                  expert=MlpSpec(ffn.int("ffn_hidden_size", 3584), gated=True, activation=str(act.get("name", "silu"))),
                  stacked=True)
    if c.bool("tie_word_embeddings", False):
        raise ConfigError(f"{c.origin}: tie_word_embeddings: DBRX does not tie its output head")
    layer = LayerSpec(attention=AttentionSpec(heads, kv, d // heads, fused_qkv=True), ffn=moe,
                      norms=(layernorm("norm_attn_in", d, bias=False), layernorm("norm_mlp_in", d, bias=False)))
    stack = StackSpec("decoder", d, (layer,) * n, final_norm=layernorm("norm_final", d, bias=False))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 32000), stacks=(stack,), tied=False,
                    max_context=c.opt_int("max_seq_len"))


def _with_defaults(c: Cfg, defaults: dict) -> Cfg:
    """``c`` with a config class's defaults for the keys the file states under none of their names."""
    return c.with_data({**{k: v for k, v in defaults.items() if not any(n in c.data for n in c._names(k))}, **c.data})


def _layer_types(c: Cfg, n: int, allowed: set[str], default: list[str]) -> list[str]:
    types = c.str_list("layer_types")
    types = default if types is None else types
    if len(types) != n or not set(types) <= allowed:
        raise ConfigError(f"{c.origin}: {c.prefix}layer_types: expected {n} entries of {'/'.join(sorted(allowed))}")
    return types


def olmo_hybrid(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """OLMo-Hybrid (transformers olmo_hybrid/modeling_olmo_hybrid.py): layer_types mixes OLMo-2 attention
    layers (q/k/v/o with biases by attention_bias, full-width q and k RMSNorms, post-norms after attention
    and after the MLP: post_attention_layernorm, post_feedforward_layernorm) with gated DeltaNet layers
    (sources/mixers.py olmo_gated_deltanet) that are pre-norm (input_layernorm before the mixer,
    post_attention_layernorm before the MLP); every layer has a SwiGLU MLP without biases. Without
    layer_types, every 4th layer (i % 4 == 3) is full attention, and the last one when none is
    (OlmoHybridConfig.__post_init__)."""
    d = c.int("hidden_size", 3840)
    n = c.int("num_hidden_layers", 32, minimum=0)
    heads = c.int("num_attention_heads", 30)
    kv = c.int("num_key_value_heads", heads)
    head_dim = c.int("head_dim", d // heads)  # OlmoHybridAttention: getattr(config, "head_dim", hidden // heads)
    bias = c.bool("attention_bias", False)
    default = ["full_attention" if i % 4 == 3 else "linear_attention" for i in range(n)]
    if n and "full_attention" not in default:
        default[-1] = "full_attention"
    types = _layer_types(c, n, {"full_attention", "linear_attention"}, default)
    mlp = MlpSpec(c.int("intermediate_size", 11008), gated=True, activation=c.str("hidden_act", "silu"))
    c.touch("linear_a_log_min", "linear_a_log_max", "linear_dt_min", "linear_dt_max", "linear_dt_init_floor")
    mixer = olmo_gated_deltanet(c, d)
    blocks = {
        "full_attention": LayerSpec(attention=AttentionSpec(heads, kv, head_dim, qkv_bias=bias, o_bias=bias,
                                                            qk_norm="full"), ffn=mlp,
                                    norms=(NormSpec("norm_attn_out", d), NormSpec("norm_mlp_out", d))),
        "linear_attention": LayerSpec(recurrent=mixer, ffn=mlp,
                                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))),
    }
    stack = StackSpec("decoder", d, tuple(blocks[x] for x in types), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 100352), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def text_of_composite(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """A composite (vision + text) config whose architectures[0] is the text-only causal LM: Qwen3.5 and
    Qwen3.5-MoE list Qwen3_5ForCausalLM / Qwen3_5MoeForCausalLM for their composite model_type ("VLM
    compatibility", transformers auto/modeling_auto.py), and AutoModelForCausalLM then builds the class
    from ``config.get_text_config()`` (auto/auto_factory.py), ignoring the checkpoint's model.visual.* and
    mtp.* weights (Qwen3_5ForCausalLM._keys_to_ignore_on_load_unexpected). The text_config is described
    by its own family, model_type + "_text" (decoders.py FAMILIES). Other architectures (the
    ForConditionalGeneration with its vision tower) are refused."""
    if not architecture.endswith("ForCausalLM"):
        raise UnsupportedArchitectureError(
            f"{c.origin}: architectures[0] {architecture!r}: only the text model of {model_type} (its ForCausalLM "
            "class) is described; the vision tower is not")
    from .decoders import decoder_spec

    text = c.sub("text_config", required=False) or c.with_data({})
    c.touch("vision_config", "tie_word_embeddings")  # the vision tower is not built; the text config's own tie
    spec = decoder_spec(text, model_type + "_text", name=name, architecture=architecture, head=head)
    return replace(spec, model_type=model_type, dtype=c.str("torch_dtype") or c.str("dtype") or spec.dtype,
                   quantization=c.raw("quantization_config") or spec.quantization)


def _zamba_types(c: Cfg, n: int, default: list[str]) -> list[str]:
    types = c.str_list("layers_block_type")  # "layer_types" is the same setting (attribute_map)
    types = default if types is None else [{"mamba": "linear_attention"}.get(x, x) for x in types]
    if len(types) != n or not set(types) <= {"linear_attention", "hybrid"}:
        raise ConfigError(f"{c.origin}: {c.prefix}layers_block_type: expected {n} entries of mamba/hybrid")
    return types


def _zamba_like(c: Cfg, model_type: str, *, name: str, architecture: str, head: str, d: int, types: list[str],
                mixer, shared_blocks: list[LayerSpec], adapters: tuple[ExtraTensor, ...], position: str,
                mamba_norm: NormSpec) -> ModelSpec:
    """Zamba / Zamba2: a decoder stack of Mamba layers (an RMSNorm and the mixer; no MLP) where each "hybrid"
    layer first runs a shared transformer block on concat(hidden state, original embedding), projects its
    output with a per-layer `linear` [hidden, hidden] and adds it before its own Mamba mixer. The shared
    block is a stack of its own, run inside the decoder at the hybrid layers (StackSpec.inside/at_layers),
    one layer per use sharing the stored block (StackSpec.shares): stored once, computed and cached at
    every use."""
    hybrid = [i for i, x in enumerate(types) if x == "hybrid"]
    plain = LayerSpec(recurrent=mixer, norms=(mamba_norm,))
    with_linear = LayerSpec(recurrent=mixer, norms=(mamba_norm,), extra=(ExtraTensor("linear.weight", "other", (d, d)),))
    decoder = StackSpec("decoder", d, tuple(with_linear if x == "hybrid" else plain for x in types),
                        final_norm=NormSpec("norm_final", d))
    k = len(shared_blocks)
    uses = tuple(shared_blocks[u % k] for u in range(len(hybrid)))
    stacks = (decoder,)
    if hybrid:
        stacks += (StackSpec("shared", d, uses, extra=adapters, shares=tuple(u % k for u in range(len(hybrid))),
                             inside="decoder", at_layers=tuple(hybrid)),)
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 32000), stacks=stacks, tied=c.bool("tie_word_embeddings", True),
                    position=position, max_context=c.opt_int("max_position_embeddings"))


def zamba(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Zamba (transformers zamba/modeling_zamba.py): ZambaMambaDecoderLayer = input_layernorm + ZambaMambaMixer
    (sources/mixers.py zamba_mamba); a ZambaHybridLayer adds the shared ZambaAttentionDecoderLayer
    (`shared_transf`, one set of weights tied across every hybrid layer by ZambaModel._tied_weights_keys):
    input_layernorm [2 x hidden], attention reading 2 x hidden (attention_hidden_size) with
    attention_head_dim = 2 x hidden / heads by default, no biases, pre_ff_layernorm and a gated MLP, then
    `linear`. No rotary embedding. Default layers_block_type (ZambaConfig.__post_init__): mamba, mamba,
    hybrid, then hybrid where (i % attn_layer_period == attn_layer_offset)."""
    d = c.int("hidden_size", 3712)
    n = c.int("num_hidden_layers", 76, minimum=0)
    period, offset = c.int("attn_layer_period", 6), c.int("attn_layer_offset", 4, minimum=0)
    default = ["linear_attention", "linear_attention", "hybrid"][:n] + [
        "hybrid" if i % period == offset else "linear_attention" for i in range(n - 3)]
    types = _zamba_types(c, n, default)
    heads = c.int("num_attention_heads", 16)
    # the shared block's input width: concat(hidden, embedding) is 2 x hidden, the default; its projections and
    # input norm are built attention_hidden_size wide whatever the file says
    width = c.int("attention_hidden_size", 2 * d)
    head_dim = c.int("attention_head_dim", width // heads)
    kv = c.int("num_key_value_heads", heads)
    block = LayerSpec(attention=AttentionSpec(heads, kv, head_dim, input_width=width),
                      ffn=MlpSpec(c.int("intermediate_size", 14848), gated=True, activation=c.str("hidden_act", "gelu")),
                      norms=(NormSpec("norm_attn_in", width), NormSpec("norm_mlp_in", d)))
    return _zamba_like(c, model_type, name=name, architecture=architecture, head=head, d=d, types=types,
                       mixer=zamba_mamba(c, d), shared_blocks=[block], adapters=(), position="none",
                       mamba_norm=NormSpec("norm_attn_in", d))


def zamba2(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Zamba2 (transformers zamba2/modeling_zamba2.py): Zamba's layout with a Mamba-2 mixer
    (Zamba2MambaMixer: sources/mixers.py mamba2, its convolution always with a bias; in_proj and out_proj
    biased with add_bias_linear), num_mem_blocks shared blocks used in turn by the hybrid layers (use k runs
    block k % num_mem_blocks; Zamba2Model ties each block across its uses), a fused gate_up MLP of
    intermediate_size (default 4 x hidden) with add_bias_linear biases, optional rotary embeddings
    (use_mem_rope), and per-use LoRA adapters: every block holds, for each hybrid layer it serves, a
    gate_up adapter (Linear(hidden, adapter_rank), Linear(adapter_rank, 2 x intermediate)) and, with
    use_shared_attention_adapter, q/k/v adapters (Linear(2 x hidden, rank), Linear(rank, 2 x hidden));
    adapters are per use, so they are tensors of the shared stack, each run once per token."""
    d = c.int("hidden_size", 2560)
    n = c.int("num_hidden_layers", 54, minimum=0)
    default = (["linear_attention"] + (["linear_attention"] * 5 + ["hybrid"]) * 7 + ["linear_attention"] * 4
               + ["hybrid"] + ["linear_attention"] * 3 + ["hybrid"] + ["linear_attention"] * 2)
    types = _zamba_types(c, n, default)
    heads = c.int("num_attention_heads", 32)
    kv = c.int("num_key_value_heads", heads)
    c.touch("attention_hidden_size", "attention_head_dim", "kv_channels", "num_query_groups", "hybrid_layer_ids",
            "chunk_size", "use_mem_eff_path", "use_long_context")  # derived by Zamba2Config; kernels
    head_dim = 2 * d // heads  # Zamba2Config.__post_init__ overwrites attention_head_dim with this
    inter = c.int("intermediate_size", 4 * d)
    bias = c.bool("add_bias_linear", False)
    rank = c.int("adapter_rank", 128)
    n_blocks = c.int("num_mem_blocks", 1)
    attn_adapter = c.bool("use_shared_attention_adapter", False)
    block = LayerSpec(attention=AttentionSpec(heads, kv, head_dim, input_width=2 * d),
                      ffn=MlpSpec(inter, gated=True, bias=bias, fused_gate_up=True,
                                  activation=c.str("hidden_act", "gelu")),
                      norms=(NormSpec("norm_attn_in", 2 * d), NormSpec("norm_mlp_in", d)))
    uses = types.count("hybrid")
    adapters: list[ExtraTensor] = []
    for u in range(uses):
        b = u % n_blocks
        if attn_adapter:
            for x in ("q", "k", "v"):
                adapters += [ExtraTensor(f"block.{b}.attn.{x}_adapter.{u}.0.weight", f"attn_{x}", (rank, 2 * d)),
                             ExtraTensor(f"block.{b}.attn.{x}_adapter.{u}.1.weight", f"attn_{x}", (2 * d, rank))]
        adapters += [ExtraTensor(f"block.{b}.mlp.gate_up_adapter.{u}.0.weight", "mlp_gate_up", (rank, d)),
                     ExtraTensor(f"block.{b}.mlp.gate_up_adapter.{u}.1.weight", "mlp_gate_up", (2 * inter, rank))]
    mixer = mamba2(c, d, "zamba2", "mamba", conv_bias=True)
    return _zamba_like(c, model_type, name=name, architecture=architecture, head=head, d=d, types=types,
                       mixer=mixer, shared_blocks=[block] * min(n_blocks, max(uses, 1)), adapters=tuple(adapters),
                       position="rotary" if c.bool("use_mem_rope", False) else "none",
                       mamba_norm=NormSpec("norm_attn_in", d))


def _mlp_types(c: Cfg, n: int, default: list[str]) -> list[str]:
    types = c.str_list("mlp_layer_types")
    types = default if types is None else types
    if len(types) != n or not set(types) <= {"dense", "sparse"}:
        raise ConfigError(f"{c.origin}: {c.prefix}mlp_layer_types: expected {n} entries of dense/sparse")
    return types


def mimo_v2_flash(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """MiMo-V2-Flash (transformers mimo_v2_flash/modeling_mimo_v2_flash.py): layer_types mixes full attention
    (num_key_value_heads) and sliding-window attention with twice the KV heads and a learned per-head sink;
    q and k are head_dim wide, v and the output v_head_dim, biases on q/k/v with attention_bias and never on
    o_proj; pre-norm RMSNorms; a dense SwiGLU MLP or (mlp_layer_types "sparse") DeepSeek-style routed experts
    without shared experts (sigmoid router with a score-correction buffer). Defaults (MiMoV2FlashConfig):
    layer 0 and every 6th layer full attention, layer 0 dense; a stated sliding_window_size is the window
    minus the query (sliding_window = sliding_window_size + 1)."""
    from .decoders import _moe_spec

    d = c.int("hidden_size", 4096)
    n = c.int("num_hidden_layers", 48, minimum=0)
    heads, kv = c.int("num_attention_heads", 64), c.int("num_key_value_heads", 4)
    head_dim, v_dim = c.int("head_dim", 192), c.int("v_head_dim", 128)
    bias = c.bool("attention_bias", False)
    window = c.int("sliding_window_size") + 1 if c.has("sliding_window_size") else c.int("sliding_window", 129)
    c.touch("sliding_window", "attention_value_scale")  # a scale of the values at run time
    types = _layer_types(c, n, {"full_attention", "sliding_attention"},
                         ["full_attention" if i == 0 or not (i + 1) % 6 else "sliding_attention" for i in range(n)])
    mlp_types = _mlp_types(c, n, ["dense"] + ["sparse"] * (n - 1))
    act = c.str("hidden_act", "silu")
    dense = MlpSpec(c.int("intermediate_size", 16384), gated=True, activation=act)
    if "sparse" in mlp_types:
        moe = _moe_spec(c, "deepseek", d, False, act)
    else:
        moe = None
        c.touch("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size", "n_shared_experts")
    c.touch("first_k_dense_replace")
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    attn = {"full_attention": AttentionSpec(heads, kv, head_dim, v_head_dim=v_dim, qkv_bias=bias),
            "sliding_attention": AttentionSpec(heads, 2 * kv, head_dim, v_head_dim=v_dim, qkv_bias=bias, sinks=True,
                                               window=window)}
    cache: dict = {}
    layers = []
    for t, m in zip(types, mlp_types):
        if (t, m) not in cache:
            cache[(t, m)] = LayerSpec(attention=attn[t], ffn=moe if m == "sparse" else dense, norms=norms)
        layers.append(cache[(t, m)])
    stack = StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 152576), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def jetmoe(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """JetMoE (transformers jetmoe/modeling_jetmoe.py): every layer's attention is a mixture of attention heads
    (JetMoeAttention + JetMoeMoA: AttentionSpec.experts): num_local_experts q/o experts of num_key_value_heads
    x kv_channels each, num_experts_per_tok of them per token, one shared fused kv_proj, an output bias; the
    feed-forward is a mixture of GLU experts (JetMoeMoE: input_linear [experts, 2 x intermediate, hidden],
    output_linear [experts, hidden, intermediate], router.layer) with an output bias [hidden]. Pre-norm
    RMSNorms; num_attention_heads is derived (JetMoeConfig: num_key_value_heads x num_experts_per_tok)."""
    d = c.int("hidden_size", 2048)
    n = c.int("num_hidden_layers", 12, minimum=0)
    kv, hd = c.int("num_key_value_heads", 16), c.int("kv_channels", 128)
    experts, top_k = c.int("num_local_experts", 8), c.int("num_experts_per_tok", 2)
    c.touch("num_attention_heads")  # JetMoeConfig.__post_init__ overwrites it with kv heads x top-k
    act = c.str("activation_function", "silu")
    moe = MoeSpec(num_experts=experts, top_k=top_k,
                  expert=MlpSpec(c.int("intermediate_size", 5632), gated=True, fused_gate_up=True, activation=act),
                  stacked=True)
    layer = LayerSpec(attention=AttentionSpec(kv * top_k, kv, hd, experts=experts), ffn=moe,
                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)),
                      extra=(ExtraTensor("mlp.bias", "expert_down", (d,)),))
    stack = StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 32000), stacks=(stack,), tied=c.bool("tie_word_embeddings", True),
                    max_context=c.opt_int("max_position_embeddings"))


def laguna(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Laguna (transformers laguna/modeling_laguna.py): per-layer query head counts
    (num_attention_heads_per_layer), shared num_key_value_heads, head_dim, per-head q/k RMSNorms, biases with
    attention_bias, sliding or full attention by layer_types, and an output gate g_proj [heads, hidden]
    (gating true / "per-head") or [heads x head_dim, hidden] (otherwise; built in every case); a dense SwiGLU
    MLP or (mlp_layer_types "sparse", default all but layer 0) routed experts of moe_intermediate_size with a
    shared expert of shared_expert_intermediate_size and a sigmoid router whose e_score_correction_bias is a
    (frozen) parameter, so it is counted."""
    d = c.int("hidden_size", 2048)
    n = c.int("num_hidden_layers", 40, minimum=0)
    heads, kv, hd = c.int("num_attention_heads", 48), c.int("num_key_value_heads", 8), c.int("head_dim", 128)
    per_layer = c.int_list("num_attention_heads_per_layer", minimum=1) or [heads] * n
    if len(per_layer) != n:
        raise ConfigError(f"{c.origin}: num_attention_heads_per_layer: has {len(per_layer)} entries for {n} layers")
    bias = c.bool("attention_bias", False)
    gating = c.raw("gating", True)
    per_head = gating is True or gating == "per-head"
    types = _layer_types(c, n, {"full_attention", "sliding_attention"}, ["full_attention"] * n)
    window = c.int("sliding_window", 512)
    mlp_types = _mlp_types(c, n, ["dense"] + ["sparse"] * (n - 1))
    act = c.str("hidden_act", "silu")
    dense = MlpSpec(c.int("intermediate_size", 8192), gated=True, activation=act)
    experts = c.int("num_experts", 256)
    moe = MoeSpec(num_experts=experts, top_k=c.int("num_experts_per_tok", 8),
                  expert=MlpSpec(c.int("moe_intermediate_size", 512), gated=True, activation=act),
                  shared=MlpSpec(c.int("shared_expert_intermediate_size", 512), gated=True, activation=act),
                  num_shared_experts=1, stacked=True)
    c.touch("moe_routed_scaling_factor", "moe_apply_router_weight_on_input", "moe_router_logit_softcapping")
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    cache: dict = {}
    layers = []
    for h, t, m in zip(per_layer, types, mlp_types):
        if (h, t, m) not in cache:
            extra = (ExtraTensor("attn.g_proj.weight", "attn_o", (h if per_head else h * hd, d)),)
            if m == "sparse":
                extra += (ExtraTensor("mlp.gate.e_score_correction_bias", "router", (experts,)),)
            attn = AttentionSpec(h, kv, hd, qkv_bias=bias, o_bias=bias, qk_norm="head",
                                 window=window if t == "sliding_attention" else None)
            cache[(h, t, m)] = LayerSpec(attention=attn, ffn=moe if m == "sparse" else dense, norms=norms, extra=extra)
        layers.append(cache[(h, t, m)])
    stack = StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 100352), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def bailing_hybrid(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Ling/Ring 2.5 hybrids (transformers bailing_hybrid/modeling_bailing_hybrid.py): layer_types mixes gated
    delta attention layers (sources/mixers.py bailing_delta_attention) with MLA layers (BailingHybridAttention:
    q_proj without a LoRA, kv_a_proj_with_mqa and o_proj biased with attention_bias, kv_a_layernorm, kv_b_proj,
    and a per-head output gate g_proj [heads, hidden]); default: every layer_group_size-th layer is MLA. The
    feed-forward is a dense SwiGLU MLP or (mlp_layer_types "sparse", default from first_k_dense_replace on)
    num_local_experts routed experts of moe_intermediate_size with shared experts of moe_intermediate_size x
    n_shared_experts and a sigmoid router whose score-correction bias is a buffer. num_mtp_layers
    multi-token-prediction layers are stored by checkpoints but not built by transformers (a warning)."""
    d = c.int("hidden_size", 2560)
    n = c.int("num_hidden_layers", 42, minimum=0)
    heads = c.int("num_attention_heads", 32)
    c.touch("num_key_value_heads", "head_dim")  # MLA expands the latent to every head
    bias = c.bool("attention_bias", False)
    group = c.int("layer_group_size", 6)
    types = _layer_types(c, n, {"full_attention", "linear_attention"},
                         ["full_attention" if (i + 1) % group == 0 else "linear_attention" for i in range(n)])
    first = c.int("first_k_dense_replace", 2, minimum=0)
    mlp_types = _mlp_types(c, n, ["dense" if i < first else "sparse" for i in range(n)])
    act = c.str("hidden_act", "silu")
    nope, rope, v_dim = c.int("qk_nope_head_dim", 128), c.int("qk_rope_head_dim", 64), c.int("v_head_dim", 128)
    mla = AttentionSpec(heads, heads, nope + rope, v_head_dim=v_dim, qkv_bias=bias, o_bias=bias,
                        kv_lora_rank=c.int("kv_lora_rank", 512), qk_rope_head_dim=rope, qk_nope_head_dim=nope)
    dense = MlpSpec(c.int("intermediate_size", 6144), gated=True, activation=act)
    width, n_shared = c.int("moe_intermediate_size", 768), c.int("n_shared_experts", 1, minimum=0)
    moe = MoeSpec(num_experts=c.int("num_local_experts", 512), top_k=c.int("num_experts_per_tok", 8),
                  expert=MlpSpec(width, gated=True, activation=act),
                  shared=MlpSpec(width * n_shared, gated=True, activation=act) if n_shared else None,
                  num_shared_experts=n_shared, score_correction_bias=True, stacked=True)
    mixer = bailing_delta_attention(c, d) if "linear_attention" in types else None
    if mixer is None:
        c.touch("linear_num_heads", "linear_head_dim", "linear_conv_kernel_dim", "short_conv_kernel_size",
                "kda_safe_gate", "kda_lower_bound")
    c.touch("rope_theta", "mtp_loss_scaling_factor")
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    gate = (ExtraTensor("attn.g_proj.weight", "attn_o", (heads, d)),)
    cache: dict = {}
    layers = []
    for t, m in zip(types, mlp_types):
        if (t, m) not in cache:
            ffn = moe if m == "sparse" else dense
            cache[(t, m)] = (LayerSpec(attention=mla, ffn=ffn, norms=norms, extra=gate) if t == "full_attention"
                             else LayerSpec(recurrent=mixer, ffn=ffn, norms=norms))
        layers.append(cache[(t, m)])
    warnings = ()
    n_mtp = c.int("num_mtp_layers", 0, minimum=0)
    if n_mtp:
        warnings = (f"num_mtp_layers={n_mtp}: the checkpoint stores multi-token-prediction layers that transformers "
                    "does not build and paramscope does not describe; they are not counted",)
    stack = StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 157184), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"), warnings=warnings)


def afmoe(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """AFMoE (Arcee Trinity; transformers afmoe/modeling_afmoe.py): Gemma-style sandwich RMSNorms (input,
    post_attention, pre_mlp, post_mlp), attention with per-head q/k RMSNorms, biases with attention_bias and a
    sigmoid output gate gate_proj [heads x head_dim, hidden] (a projection of its own), sliding or full by
    layer_types (default: every global_attn_every_n_layers-th layer full); the first num_dense_layers layers
    have a dense SwiGLU MLP, the rest AfmoeSparseMoeBlock: router.gate [experts, hidden], stacked experts of
    moe_intermediate_size, shared experts as one MLP of moe_intermediate_size x num_shared_experts, and
    expert_bias [experts], a frozen parameter (counted)."""
    d = c.int("hidden_size", 2048)
    n = c.int("num_hidden_layers", 32, minimum=0)
    heads = c.int("num_attention_heads", 16)
    kv = c.int("num_key_value_heads", heads)
    hd = c.int("head_dim", d // heads)
    bias = c.bool("attention_bias", False)
    every = c.int("global_attn_every_n_layers", 4)
    types = _layer_types(c, n, {"full_attention", "sliding_attention"},
                         ["sliding_attention" if (i + 1) % every else "full_attention" for i in range(n)])
    window = c.int("sliding_window", 1024) if "sliding_attention" in types else None
    dense_n = c.int("num_dense_layers", 1, minimum=0)
    act = c.str("hidden_act", "silu")
    experts = c.int("num_experts", 64)
    width, n_shared = c.int("moe_intermediate_size", 1408), c.int("num_shared_experts", 2, minimum=0)
    moe = MoeSpec(num_experts=experts, top_k=c.int("num_experts_per_tok", 6),
                  expert=MlpSpec(width, gated=True, activation=act),
                  shared=MlpSpec(width * n_shared, gated=True, activation=act) if n_shared else None,
                  num_shared_experts=n_shared, stacked=True)
    dense = MlpSpec(c.int("intermediate_size", 6144), gated=True, activation=act)
    c.touch("route_scale", "mup_enabled")  # the routed weights' scale; muP scales of activations
    norms = tuple(NormSpec(r, d) for r in ("norm_attn_in", "norm_attn_out", "norm_mlp_in", "norm_mlp_out"))
    gate = ExtraTensor("attn.gate_proj.weight", "attn_o", (heads * hd, d))
    cache: dict = {}
    layers = []
    for i, t in enumerate(types):
        key = (t, i >= dense_n)
        if key not in cache:
            attn = AttentionSpec(heads, kv, hd, qkv_bias=bias, o_bias=bias, qk_norm="head",
                                 window=window if t == "sliding_attention" else None)
            extra = (gate,) + ((ExtraTensor("mlp.expert_bias", "router", (experts,)),) if key[1] else ())
            cache[key] = LayerSpec(attention=attn, ffn=moe if key[1] else dense, norms=norms, extra=extra)
        layers.append(cache[key])
    stack = StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 200192), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def doge(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Doge (transformers doge/modeling_doge.py), dense variant: pre-norm layers whose attention has per-head q/k
    RMSNorms, biases with attention_bias and a dynamic mask (A [kv heads] and dt_proj [kv heads, kv heads x
    head_dim] with attention_bias; keep_window_size only masks scores at run time), learned residual scales
    input_residual and post_attention_residual [hidden], a SwiGLU MLP with mlp_bias; sliding_window, when set,
    applies to every layer. The cross-domain MoE (is_moe: product-key single-neuron experts held as embeddings)
    is refused."""
    if c.bool("is_moe", False):
        raise UnsupportedArchitectureError(f"{c.origin}: is_moe=true: Doge's cross-domain MoE (product-key experts "
                                           "stored as embeddings) is not described")
    c.touch("num_experts", "num_experts_per_tok", "keep_window_size")
    d = c.int("hidden_size", 1024)
    n = c.int("num_hidden_layers", 32, minimum=0)
    heads = c.int("num_attention_heads", 8)
    kv = c.int("num_key_value_heads", heads)
    hd = c.int("head_dim", d // heads)
    bias = c.bool("attention_bias", False)
    extra = (ExtraTensor("attn.A", "other", (kv,)), ExtraTensor("attn.dt_proj.weight", "other", (kv, kv * hd)))
    if bias:
        extra += (ExtraTensor("attn.dt_proj.bias", "other", (kv,)),)
    extra += (ExtraTensor("input_residual", "other", (d,)), ExtraTensor("post_attention_residual", "other", (d,)))
    layer = LayerSpec(attention=AttentionSpec(heads, kv, hd, qkv_bias=bias, o_bias=bias, qk_norm="head",
                                              window=c.opt_int("sliding_window")),
                      ffn=MlpSpec(c.int("intermediate_size", 2048), gated=True, bias=c.bool("mlp_bias", False),
                                  activation=c.str("hidden_act", "silu")),
                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)), extra=extra)
    stack = StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 32768), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def minimax_m3_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """MiniMax-M3's text model (transformers minimax_m3_vl/modeling_minimax_m3_vl.py MiniMaxM3VLForCausalLM):
    pre-norm layers, attention without biases with per-head q/k RMSNorms, and per mlp_layer_types (default:
    every layer sparse) a dense MLP of dense_intermediate_size (fused gate_up_proj) or routed experts of
    intermediate_size (sigmoid router with a score-correction buffer) plus a shared expert of
    shared_intermediate_size (fused gate_up_proj). The "minimax_m3_sparse" layers' block-sparse lightning
    indexer (index_n_heads, index_block_size, index_topk_blocks) is refused: its blocks and cache are not
    described."""
    d = c.int("hidden_size", 6144)
    n = c.int("num_hidden_layers", 60, minimum=0)
    heads, kv, hd = c.int("num_attention_heads", 64), c.int("num_key_value_heads", 4), c.int("head_dim", 128)
    types = _layer_types(c, n, {"full_attention", "minimax_m3_sparse"}, ["full_attention"] * n)
    if "minimax_m3_sparse" in types:
        raise UnsupportedArchitectureError(f"{c.origin}: layer_types: minimax_m3_sparse layers (a block-sparse lightning "
                                           "indexer) are not described")
    if c.raw("sparse_attention_config"):
        raise UnsupportedArchitectureError(f"{c.origin}: sparse_attention_config: MiniMax-M3's block-sparse attention "
                                           "is not described")
    c.touch("index_n_heads", "index_head_dim", "index_block_size", "index_topk_blocks", "index_local_blocks",
            "sparse_attention_config", "swiglu_alpha", "swiglu_limit", "rotary_dim", "routed_scaling_factor")
    mlp_types = _mlp_types(c, n, ["sparse"] * n)
    act = "silu"  # MiniMaxM3VLTextConfig normalises hidden_act to silu (the clamped SwiGLU is computed inline)
    c.touch("hidden_act")
    moe = MoeSpec(num_experts=c.int("num_local_experts", 128), top_k=c.int("num_experts_per_tok", 4),
                  expert=MlpSpec(c.int("intermediate_size", 3072), gated=True, activation=act),
                  # the shared expert's fused gate_up_proj [2 x width, hidden] is described as its gate and up halves
                  shared=MlpSpec(c.int("shared_intermediate_size", 3072), gated=True, activation=act),
                  num_shared_experts=1, score_correction_bias=True, stacked=True)
    dense = MlpSpec(c.int("dense_intermediate_size", 12288), gated=True, fused_gate_up=True, activation=act)
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    attn = AttentionSpec(heads, kv, hd, qk_norm="head")
    blocks = {m: LayerSpec(attention=attn, ffn=moe if m == "sparse" else dense, norms=norms) for m in set(mlp_types)}
    stack = StackSpec("decoder", d, tuple(blocks[m] for m in mlp_types), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 200064), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def longcat_flash(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """LongCat-Flash (transformers longcat_flash/modeling_longcat_flash.py): each of num_layers layers runs two
    sub-blocks, each an RMSNorm, MLA (q LoRA, biases on q_a, kv_a and o with attention_bias) and, after a second
    RMSNorm, a dense SwiGLU MLP of ffn_hidden_size; the first sub-block's normed input also feeds a
    shortcut-connected MoE whose output joins the layer's end. paramscope describes each sub-block as a layer
    (2 x num_layers layers, each with its own KV cache, as transformers caches layer 2i + j), the MoE beside the
    first sub-block's MLP as a MoE whose always-on shared expert is that MLP. The MoE routes among
    n_routed_experts experts of expert_ffn_hidden_size and zero_expert_num identity experts (MoeSpec.zero_experts:
    the router classifier scores both, a buffer holds their score-correction bias); transformers also allocates
    gate_up rows for the identity experts that no token uses (idle tensors: counted in the total, never active).
    A token picks moe_topk experts, identity ones included, so active parameters and FLOPs are an upper bound."""
    d = c.int("hidden_size", 6144)
    n = c.int(("num_layers", "num_hidden_layers"), 28, minimum=0)
    heads = c.int("num_attention_heads", 64)
    c.touch("num_key_value_heads", "head_dim")  # MLA expands the latent to every head; head_dim is the rope part
    nope, rope, v_dim = c.int("qk_nope_head_dim", 128), c.int("qk_rope_head_dim", 64), c.int("v_head_dim", 128)
    if c.raw("qk_head_dim") is not None and c.int("qk_head_dim") != nope + rope:
        raise UnsupportedArchitectureError(f"{c.origin}: qk_head_dim={c.raw('qk_head_dim')} differs from "
                                           f"qk_nope_head_dim + qk_rope_head_dim ({nope + rope})")
    bias = c.bool("attention_bias", False)
    mla = AttentionSpec(heads, heads, nope + rope, v_head_dim=v_dim, qkv_bias=bias, o_bias=bias,
                        q_lora_rank=c.opt_int("q_lora_rank"), kv_lora_rank=c.int("kv_lora_rank", 512),
                        qk_rope_head_dim=rope, qk_nope_head_dim=nope)
    act = c.str("hidden_act", "silu")
    mlp = MlpSpec(c.int(("ffn_hidden_size", "intermediate_size"), 12288), gated=True, activation=act)
    routed, zero = c.int("n_routed_experts", 512), c.int("zero_expert_num", 256, minimum=0)
    width = c.int(("expert_ffn_hidden_size", "moe_intermediate_size"), 2048)
    top_k = c.int("moe_topk", 12)
    if zero:  # the choices may include identity experts: at most min(top_k, routed) routed experts run
        top_k = min(top_k, routed)
    moe = MoeSpec(num_experts=routed, top_k=top_k,
                  expert=MlpSpec(width, gated=True, activation=act), shared=mlp, num_shared_experts=1,
                  router_bias=c.bool("router_bias", False), score_correction_bias=True, stacked=True,
                  zero_experts=zero)
    c.touch("routed_scaling_factor", "mla_scale_q_lora", "mla_scale_kv_lora")
    idle = (ExtraTensor("mlp.experts.zero_expert_gate_up", "expert_gate", (zero, 2 * width, d), idle=True),) \
        if zero and routed else ()
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    first = LayerSpec(attention=mla, ffn=moe, norms=norms, extra=idle)
    second = LayerSpec(attention=mla, ffn=mlp, norms=norms)
    warnings = (f"zero_expert_num={zero}: a token's moe_topk={moe.top_k} choices include identity experts, so "
                "active parameters and FLOPs count moe_topk routed experts (an upper bound)",) if zero else ()
    stack = StackSpec("decoder", d, (first, second) * n, final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 131072), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"), warnings=warnings)


def cpmant(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """CPM-Ant (transformers cpmant/modeling_cpmant.py): pre-norm layers (CpmAntLayerNorm: a scale, no bias) with
    bias-free q/k/v [heads x dim_head, hidden] and attention_out, and a gated GELU feed-forward (w_in.w_0,
    w_in.w_1 [dim_ff, hidden], w_out); one relative position bias table shared by all layers
    (segment_types^2 + position_bias_num_buckets rows, one column per head), segment embeddings
    (segment_types rows), an input embedding of vocab_size + prompt_types x prompt_length rows (the prompt
    rows are described as a tensor of their own) and an untied lm_head of vocab_size rows
    (CpmAntForCausalLM ties nothing, whatever tie_word_embeddings says)."""
    d = c.int("hidden_size", 4096)
    n = c.int("num_hidden_layers", 48, minimum=0)
    heads, hd = c.int("num_attention_heads", 32), c.int("dim_head", 128)
    segments = c.int("segment_types", 32)
    prompts = c.int("prompt_types", 32, minimum=0) * c.int("prompt_length", 32, minimum=0)
    c.touch("tie_word_embeddings", "position_bias_max_distance", "init_std", "dropout_p", "eps")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, hd),
                      ffn=MlpSpec(c.int("dim_ff", 10240), gated=True, activation="gelu"),
                      norms=(NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d)))
    extra = (ExtraTensor("position_bias.relative_attention_bias", "rel_bias",
                         (segments * segments + c.int("position_bias_num_buckets", 512), heads)),)
    stack = StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d), extra=extra)
    model_extra = (ExtraTensor("prompt_embed.weight", "embed", (prompts, d)),) if prompts else ()
    return ModelSpec(**common_fields(c, model_type, name, architecture), hidden_size=d,
                     embedding=EmbeddingSpec(c.int("vocab_size", 30720), d, tied_head=False, position="relative",
                                             token_types=segments),
                     stacks=(stack,), head=HeadSpec(kind=head), extra=model_extra)


def hrm_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """HRM-Text (transformers hrm_text/modeling_hrm_text.py): two stacks of num_layers_per_stack layers, L_module
    and H_module, run recurrently: for each of H_cycles, L_cycles passes of L_module, then one of H_module.
    Each layer: parameter-free RMSNorms, MHA with biases by attention_bias and a sigmoid output gate gate_proj
    [heads x head_dim, hidden] (attention_bias), a SwiGLU MLP with mlp_bias; parameter-free final norms; a
    frozen initial low-level state z_L_init [hidden] (counted). Every invocation of a layer is one layer of the
    decoder stack here (num_hidden_layers = num_layers_per_stack x H_cycles x (L_cycles + 1), as HrmTextConfig
    inflates it and transformers' cache keeps one slot per invocation), sharing the weights of its module's
    stored layer (StackSpec.shares): stored once, computed and cached at every invocation."""
    d = c.int("hidden_size", 1536)
    h_cycles, l_cycles = c.int("H_cycles", 2), c.int("L_cycles", 3)
    per = c.opt_int("num_layers_per_stack")
    n_stated = c.int("num_hidden_layers", 16, minimum=1)
    warnings: tuple[str, ...] = ()
    if per is None:  # HrmTextConfig: the stated count is per stack, inflated to one slot per invocation
        per = n_stated
    elif n_stated != per * h_cycles * (l_cycles + 1):  # HrmTextModule builds num_layers_per_stack layers
        warnings = (f"num_hidden_layers {n_stated} is not num_layers_per_stack x H_cycles x (L_cycles + 1) = "
                    f"{per * h_cycles * (l_cycles + 1)}: described from num_layers_per_stack, as transformers builds "
                    "the stacks, with one layer per invocation",)
    heads, hd = c.int("num_attention_heads", 12), c.int("head_dim", 128)
    bias = c.bool("attention_bias", False)
    c.touch("L_bp_cycles", "embedding_scale", "prefix_lm")  # training schedule, a scalar, the mask
    gate = [ExtraTensor("attn.gate_proj.weight", "attn_o", (heads * hd, d))]
    if bias:
        gate.append(ExtraTensor("attn.gate_proj.bias", "attn_o", (heads * hd,)))
    layer = LayerSpec(attention=AttentionSpec(heads, heads, hd, qkv_bias=bias, o_bias=bias),
                      ffn=MlpSpec(c.int("intermediate_size", 4096), gated=True, bias=c.bool("mlp_bias", False),
                                  activation=c.str("hidden_act", "silu")), extra=tuple(gate))
    shares = []
    for h in range(h_cycles):
        for cycle in range(l_cycles + 1):  # L_module l_cycles times, then H_module
            base = 0 if cycle < l_cycles else l_cycles * per  # where each module's layers first run
            shares += [base + j for j in range(per)]
    stack = StackSpec("decoder", d, (layer,) * len(shares), shares=tuple(shares))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 151808), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"), extra=(ExtraTensor("z_L_init", "other", (d,)),),
                    warnings=warnings)


_DOTS3_LAYER_KEYS = ("num_attention_heads", "num_key_value_heads", "q_lora_rank", "kv_lora_rank", "qk_nope_head_dim",
                     "qk_rope_head_dim", "v_head_dim", "head_dim")
_DOTS3_SWA = {"num_attention_heads": 64, "num_key_value_heads": 64, "q_lora_rank": 1024, "kv_lora_rank": 1024,
              "head_dim": 256, "qk_nope_head_dim": 192, "v_head_dim": 128}


def dots3_note_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """dots.3 note's text model (transformers dots3_note/modeling_dots3_note.py Dots3NoteForCausalLM with a
    Dots3NoteTextConfig): every layer is MLA (q LoRA, biases on q_a, kv_a and o with attention_bias) plus an
    RMSNorm on the rotary key part (k_rope_only_layernorm) and a per-head output gate g_proj [heads, hidden];
    layer_types mixes indexed attention (DeepSeek-V3.2's lightning indexer) and sliding-window attention, whose
    MLA shapes (heads, ranks, head dims) come per layer from the heterogeneous per_layer_config (without it,
    from the swa_* keys); the feed-forward is a dense SwiGLU MLP or routed experts with shared experts of
    shared_experts_intermediate_size x n_shared_experts and a score-correction buffer (mlp_layer_types, else
    from first_k_dense_replace and moe_layer_freq)."""
    d = c.int("hidden_size", 5120)
    n = c.int("num_hidden_layers", 46, minimum=0)
    base = {"num_attention_heads": c.int("num_attention_heads", 128), "q_lora_rank": c.int("q_lora_rank", 1024),
            "kv_lora_rank": c.int("kv_lora_rank", 512), "qk_nope_head_dim": c.int("qk_nope_head_dim", 128),
            "qk_rope_head_dim": c.int("qk_rope_head_dim", 64), "v_head_dim": c.int("v_head_dim", 128)}
    c.touch("num_key_value_heads", "head_dim")  # MLA: every head has its own expanded K/V
    stated_plc = c.present("per_layer_config")
    use_dsa = c.raw("use_dsa", None if stated_plc else True)
    types = c.str_list("layer_types")
    if types is None:
        full = "full_attention" if use_dsa is False else "indexed_attention"
        sliding = c.bool("use_sliding_window", True)
        types = [full if not sliding or i < 2 or i % 4 == 1 else "sliding_attention" for i in range(n)]
    if use_dsa is not None:  # Dots3NoteTextConfig: legacy files call the DSA layers full_attention
        old, new = ("full_attention", "indexed_attention") if use_dsa else ("indexed_attention", "full_attention")
        types = [new if t == old else t for t in types]
    if len(types) != n or not set(types) <= {"indexed_attention", "sliding_attention", "full_attention"}:
        raise ConfigError(f"{c.origin}: layer_types: expected {n} entries of indexed/sliding/full attention")
    per_layer: dict[int, dict] = {}
    if stated_plc:
        for key, overrides in (c.raw("per_layer_config") or {}).items():
            i = int(key)
            unknown = sorted(set(overrides) - set(_DOTS3_LAYER_KEYS))
            if not 0 <= i < n or unknown:
                raise UnsupportedArchitectureError(f"{c.origin}: per_layer_config[{key!r}]: "
                                                   f"{unknown or 'layer out of range'} not described")
            per_layer[i] = overrides
    else:
        swa = {k: c.int(f"swa_{k}", v) for k, v in _DOTS3_SWA.items()}
        swa["qk_rope_head_dim"] = c.int("swa_qk_rope_head_dim", swa["head_dim"] - swa["qk_nope_head_dim"])
        per_layer = {i: swa for i, t in enumerate(types) if t == "sliding_attention"}
    bias = c.bool("attention_bias", False)
    window = c.int(("sliding_window", "sliding_window_size"), 512)
    first, freq = c.int("first_k_dense_replace", 1, minimum=0), c.raw("moe_layer_freq", 1)
    mlp_types = _mlp_types(c, n, ["sparse" if i >= first and (bool(freq[i]) if isinstance(freq, list) else
                                                              i % int(freq) == 0) else "dense" for i in range(n)])
    act = c.str("hidden_act", "silu")
    width, n_shared = c.int("moe_intermediate_size", 1536), c.int("n_shared_experts", 1, minimum=0)
    shared_width = c.int(("shared_experts_intermediate_size", "moe_shared_expert_intermediate_size"), 1536)
    moe = MoeSpec(num_experts=c.int("n_routed_experts", 256), top_k=c.int("num_experts_per_tok", 8),
                  expert=MlpSpec(width, gated=True, activation=act),
                  shared=MlpSpec(shared_width * n_shared, gated=True, activation=act) if n_shared else None,
                  num_shared_experts=n_shared, score_correction_bias=True, stacked=True)
    dense = MlpSpec(c.int("intermediate_size", 13824), gated=True, activation=act)
    index = dict(index_topk=c.int("index_topk", 2048), index_heads=c.int("index_n_heads", 64),
                 index_head_dim=c.int("index_head_dim", 128))
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    cache: dict = {}
    layers = []
    for i, (t, m) in enumerate(zip(types, mlp_types)):
        a = {**base, **{k: v for k, v in per_layer.get(i, {}).items() if k in base}}
        key = (t, m, tuple(sorted(a.items())))
        if key not in cache:
            nope, rope = int(a["qk_nope_head_dim"]), int(a["qk_rope_head_dim"])
            h = int(a["num_attention_heads"])
            attn = AttentionSpec(h, h, nope + rope, v_head_dim=int(a["v_head_dim"]), qkv_bias=bias, o_bias=bias,
                                 q_lora_rank=int(a["q_lora_rank"]), kv_lora_rank=int(a["kv_lora_rank"]),
                                 qk_rope_head_dim=rope, qk_nope_head_dim=nope,
                                 window=window if t == "sliding_attention" else None,
                                 **(index if t == "indexed_attention" else {}))
            extra = (ExtraTensor("attn.k_rope_only_layernorm.weight", "norm_k", (rope,)),
                     ExtraTensor("attn.g_proj.weight", "attn_o", (h, d)))
            cache[key] = LayerSpec(attention=attn, ffn=moe if m == "sparse" else dense, norms=norms, extra=extra)
        layers.append(cache[key])
    # Dots3NoteTextMLP builds no biases whatever mlp_bias says; the rest are run-time settings
    c.touch("use_sliding_window", "routed_scaling_factor", "sliding_window_size", "mlp_bias")
    stack = StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 152064), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def axk2(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """A.X K2 (transformers axk2/modeling_axk2.py): DeepSeek-V3.2-style indexed MLA whose q up-projection is a
    fused q_gate_proj reading [q latent, normed latent] and emitting the queries and a per-channel output gate
    (AttentionSpec.q_gate; no q_b_proj), biases on q_a, kv_a and o with attention_bias; gated RMSNorms
    (AXK2GatedRMSNorm: a weight plus a low-rank gate MLP fc1 [gated_norm_rank, hidden], fc2 [hidden, rank])
    before attention in every layer and before the feed-forward in MoE layers (a plain RMSNorm in dense
    layers); DeepSeek-style routed + shared experts (score-correction buffer), dense layers by mlp_layer_types
    (default: from first_k_dense_replace = 1). Every layer is indexed attention (layer_types)."""
    from .decoders import _moe_spec

    d = c.int("hidden_size", 2048)
    n = c.int("num_hidden_layers", 48, minimum=0)
    heads = c.int("num_attention_heads", 32)
    c.touch("num_key_value_heads", "head_dim")
    nope, rope, v_dim = c.int("qk_nope_head_dim", 64), c.int("qk_rope_head_dim", 32), c.int("v_head_dim", 64)
    bias = c.bool("attention_bias", False)
    types = _layer_types(c, n, {"indexed_attention"}, ["indexed_attention"] * n)
    del types
    attn = AttentionSpec(heads, heads, nope + rope, v_head_dim=v_dim, qkv_bias=bias, o_bias=bias,
                         q_lora_rank=c.int("q_lora_rank", 384), kv_lora_rank=c.int("kv_lora_rank", 128),
                         qk_rope_head_dim=rope, qk_nope_head_dim=nope, q_gate=True, index_topk=c.int("index_topk", 2048),
                         index_heads=c.int("index_n_heads", 16), index_head_dim=c.int("index_head_dim", 128))
    first, freq = c.int("first_k_dense_replace", 1, minimum=0), c.int("moe_layer_freq", 1)
    mlp_types = _mlp_types(c, n, ["sparse" if i >= first and i % freq == 0 else "dense" for i in range(n)])
    act = c.str("hidden_act", "silu")
    dense = MlpSpec(c.int("intermediate_size", 5120), gated=True, activation=act)
    defaults = {"n_shared_experts": 1, "n_routed_experts": 128, "moe_intermediate_size": 512, "num_experts_per_tok": 8}
    moe = _moe_spec(_with_defaults(c, defaults), "deepseek", d, False, act) if "sparse" in mlp_types else None
    rank = c.int("gated_norm_rank", 16)

    def gate(prefix: str) -> tuple[ExtraTensor, ...]:
        return (ExtraTensor(f"{prefix}.mlp.fc1.weight", "other", (rank, d)),
                ExtraTensor(f"{prefix}.mlp.fc2.weight", "other", (d, rank)))

    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    blocks = {"dense": LayerSpec(attention=attn, ffn=dense, norms=norms, extra=gate("input_layernorm")),
              "sparse": LayerSpec(attention=attn, ffn=moe, norms=norms,
                                  extra=gate("input_layernorm") + gate("post_attention_layernorm"))} if moe else \
        {"dense": LayerSpec(attention=attn, ffn=dense, norms=norms, extra=gate("input_layernorm"))}
    c.touch("routed_scaling_factor")
    stack = StackSpec("decoder", d, tuple(blocks[m] for m in mlp_types), final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 163840), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"))


def hyper_connection_tensors(hc: int, d: int, rows: int, scales: int) -> tuple[ExtraTensor, ...]:
    """A layer's two hyper-connections attn_hc and ffn_hc (DeepSeek-V4 form; transformers
    deepseek_v4/modeling_deepseek_v4.py DeepseekV4HyperConnection, hy_v4/modeling_hy_v4.py HYV4HyperConnection):
    fn [rows, hc_mult x hidden], base [rows], scale [scales]; rows = (2 + hc_mult) x hc_mult and 3 scales with
    DeepSeek-V4's Sinkhorn comb weights, 2 x hc_mult and 2 scales in Hunyuan 4 (no comb)."""
    return tuple(t for p in ("attn_hc", "ffn_hc") for t in (ExtraTensor(f"{p}.fn", "other", (rows, hc * d)),
                                                            ExtraTensor(f"{p}.base", "other", (rows,)),
                                                            ExtraTensor(f"{p}.scale", "other", (scales,))))


def hyper_head_tensors(hc: int, d: int) -> tuple[ExtraTensor, ...]:
    """The model-level hc_head collapsing the hc_mult streams (DeepseekV4HyperHead, HYV4HyperHead): hc_fn
    [hc_mult, hc_mult x hidden], hc_base [hc_mult], hc_scale [1]."""
    return (ExtraTensor("hc_head.hc_fn", "other", (hc, hc * d)), ExtraTensor("hc_head.hc_base", "other", (hc,)),
            ExtraTensor("hc_head.hc_scale", "other", (1,)))


def hy_v4(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Hunyuan 4 (transformers hy_v4/modeling_hy_v4.py): GLM-5-style indexed MLA (q LoRA, biases on q_a, kv_a and o
    with attention_bias; indexer_types "full" layers run their own DeepSeek-V3.2 indexer, "shared" ones reuse the
    previous top-k; default: layer 0 and every (i - 1) % 4 == 0 full) with per-head sinks and a sigmoid output
    gate gate_proj [heads x v_head_dim, hidden]; a dense MLP on the first layer (mlp_layer_types) and
    DeepSeek-style routed + shared experts elsewhere. Hyper-connections (the DeepSeek-V4 form, hc_mult residual
    streams): per layer attn_hc and ffn_hc (fn [2 x hc_mult, hc_mult x hidden], base [2 x hc_mult], scale [2])
    and a model-level hc_head (hc_fn [hc_mult, hc_mult x hidden], hc_base [hc_mult], hc_scale [1]) are counted as
    tensors of their own; the hc_mult-wide residual stream itself is not described in activation memory."""
    from .decoders import _indexer_layers, _moe_spec, _no_indexer

    d = c.int("hidden_size", 2816)
    n = c.int("num_hidden_layers", 34, minimum=0)
    heads = c.int("num_attention_heads", 32)
    c.touch("num_key_value_heads", "head_dim")
    nope, rope, v_dim = c.int("qk_nope_head_dim", 192), c.int("qk_rope_head_dim", 64), c.int("v_head_dim", 256)
    bias = c.bool("attention_bias", False)
    _layer_types(c, n, {"indexed_attention"}, ["indexed_attention"] * n)
    cc = _with_defaults(c, {"indexer_types": ["full" if i == 0 or (i - 1) % 4 == 0 else "shared" for i in range(n)],
                            "n_shared_experts": 1, "n_routed_experts": 256, "moe_intermediate_size": 768,
                            "num_experts_per_tok": 8})
    own = _indexer_layers(cc, n)
    index = dict(index_topk=c.int("index_topk", 2048), index_heads=c.int("index_n_heads", 16),
                 index_head_dim=c.int("index_head_dim", 128))
    mlp_types = _mlp_types(c, n, ["dense"] * min(1, n) + ["sparse"] * max(n - 1, 0))
    act = c.str("hidden_act", "silu")
    dense = MlpSpec(c.int("intermediate_size", 6912), gated=True, activation=act)
    moe = _moe_spec(cc, "deepseek", d, False, act) if "sparse" in mlp_types else None
    hc = c.int("hc_mult", 4)
    c.touch("hc_magnitude", "hc_eps", "learnable_sink_init", "swiglu_limit", "routed_scaling_factor")
    extra = (ExtraTensor("attn.gate_proj.weight", "attn_o", (heads * v_dim, d)),
             *hyper_connection_tensors(hc, d, 2 * hc, 2))
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    cache: dict = {}
    layers = []
    for i, m in enumerate(mlp_types):
        if (own[i], m) not in cache:
            attn = AttentionSpec(heads, heads, nope + rope, v_head_dim=v_dim, qkv_bias=bias, o_bias=bias, sinks=True,
                                 q_lora_rank=c.int("q_lora_rank", 1536), kv_lora_rank=c.int("kv_lora_rank", 512),
                                 qk_rope_head_dim=rope, qk_nope_head_dim=nope,
                                 **(index if own[i] else _no_indexer(index)))
            cache[(own[i], m)] = LayerSpec(attention=attn, ffn=moe if m == "sparse" else dense, norms=norms, extra=extra)
        layers.append(cache[(own[i], m)])
    stack = StackSpec("decoder", d, tuple(layers), final_norm=NormSpec("norm_final", d))
    head_hc = hyper_head_tensors(hc, d)
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 120832), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"), extra=head_hc)


ADAPTERS: dict = {
    "hy_v4": hy_v4,
    "axk2": axk2,
    "dots3_note_text": dots3_note_text,
    "hrm_text": hrm_text,
    "cpmant": cpmant,
    "longcat_flash": longcat_flash,
    "minimax_m3_vl_text": minimax_m3_text,
    "doge": doge,
    "afmoe": afmoe,
    "bailing_hybrid": bailing_hybrid,
    "laguna": laguna,
    "gemma4_text": gemma3n.gemma4_text,
    "gemma4_unified_text": gemma3n.gemma4_text,
    "jetmoe": jetmoe,
    "mimo_v2_flash": mimo_v2_flash,
    "zamba": zamba,
    "zamba2": zamba2,
    "qwen3_5": text_of_composite,
    "qwen3_5_moe": text_of_composite,
    "olmo_hybrid": olmo_hybrid,
    "dbrx": dbrx,
}
