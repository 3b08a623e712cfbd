"""config.json -> ModelSpec for hybrids whose layers each hold ONE block (a Mamba-2 mixer, attention, an
MLP or a mixture of experts), as NVIDIA's Nemotron-H lays them out.

Layout from transformers 5.23 nemotron_h/modeling_nemotron_h.py and configuration_nemotron_h.py: every
layer is an RMSNorm and one block chosen by layers_block_type (or the legacy hybrid_override_pattern
string: M = Mamba-2, * = attention, - = MLP, E = MoE); MLPs and experts are not gated (relu2); the MoE
has a shared expert and a sigmoid router whose score-correction bias is a buffer.
"""

from __future__ import annotations

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
    RecurrentSpec,
    StackSpec,
)
from .config_access import Cfg
from .mixers import _round_up, mamba2, mlstm, rg_lru

_PATTERN = {"M": "linear_attention", "E": "moe", "*": "full_attention", "-": "mlp"}
_LEGACY = {"mamba": "linear_attention", "attention": "full_attention"}


def _block_types(c: Cfg) -> list[str]:
    types = c.str_list("layers_block_type")  # "layer_types" is the same setting (attribute_map)
    pattern = c.str("hybrid_override_pattern")
    if types is None and pattern is not None:
        bad = sorted(set(pattern) - set(_PATTERN))
        if bad:
            raise ConfigError(f"{c.origin}: hybrid_override_pattern: unknown block symbols {bad}")
        types = [_PATTERN[ch] for ch in pattern]
    if types is None:  # NemotronHConfig's default
        types = ["linear_attention", "moe", "full_attention", "mlp"]
    types = [_LEGACY.get(x, x) for x in types]
    bad = sorted(set(types) - set(_PATTERN.values()))
    if bad:
        raise ConfigError(f"{c.origin}: layers_block_type: unknown block types {bad}")
    c.touch("num_hidden_layers")  # deprecated: transformers uses len(layers_block_type)
    return types


def nemotron_h(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    d = c.int("hidden_size")
    types = _block_types(c)
    if c.raw("moe_latent_size") is not None:
        raise UnsupportedArchitectureError(f"{c.origin}: moe_latent_size={c.raw('moe_latent_size')} (experts in a "
                                           "latent space) is not described")
    act = c.str("mlp_hidden_act", "relu2")
    mlp_bias = c.bool("mlp_bias", False)
    heads = c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    # attention_head_dim: the name in NVIDIA's released configs (Nemotron-H-56B); head_dim in transformers 5
    head_dim = c.int(("head_dim", "attention_head_dim"), d // heads)
    attn_bias = c.bool("attention_bias", False)
    c.touch("expand", "chunk_size", "time_step_min", "time_step_max", "time_step_limit", "time_step_floor",
            "mamba_hidden_act", "use_bias", "mamba_ssm_cache_dtype", "moe_shared_expert_overlap")
    norm = NormSpec("norm_attn_in", d)
    blocks: dict[str, LayerSpec] = {}
    if "linear_attention" in types:
        state = "fp32" if c.str("mamba_ssm_cache_dtype", "float32") == "float32" else "model"
        blocks["linear_attention"] = LayerSpec(
            recurrent=mamba2(c, d, "nemotron_h", heads_x_head_dim=True, state_dtype=state),
            norms=(NormSpec("norm_ssm", d),))
    if "full_attention" in types:
        blocks["full_attention"] = LayerSpec(
            attention=AttentionSpec(heads, kv, head_dim, qkv_bias=attn_bias, o_bias=attn_bias,
                                    window=c.opt_int("sliding_window")), norms=(norm,))
    if "mlp" in types:
        blocks["mlp"] = LayerSpec(ffn=MlpSpec(c.int("intermediate_size"), gated=False, bias=mlp_bias, activation=act),
                                  norms=(NormSpec("norm_mlp_in", d),))
    if "moe" in types:
        shared_width = c.int("moe_shared_expert_intermediate_size", 0, minimum=0)
        c.touch("n_shared_experts")  # NemotronHMoE builds one shared MLP of the shared width
        moe = MoeSpec(num_experts=c.int("n_routed_experts"), top_k=c.int("num_experts_per_tok"),
                      expert=MlpSpec(c.int("moe_intermediate_size"), gated=False, bias=mlp_bias, activation=act),
                      shared=MlpSpec(shared_width, gated=False, bias=mlp_bias, activation=act) if shared_width else None,
                      num_shared_experts=1 if shared_width else 0, score_correction_bias=True, stacked=True)
        blocks["moe"] = LayerSpec(ffn=moe, norms=(NormSpec("norm_mlp_in", d),))
    warnings = ()
    n_mtp = c.int("num_nextn_predict_layers", 0, minimum=0)
    c.touch("mtp_layers_block_type", "mtp_hybrid_override_pattern")
    if n_mtp:
        warnings = (f"num_nextn_predict_layers={n_mtp}: the checkpoint stores multi-token-prediction layers "
                    "(mtp.*) that transformers does not build and paramscope does not describe; not counted",)
    c.touch("tie_word_embeddings")
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        # NemotronHForCausalLM declares no tied weights (nemotron_h/modeling_nemotron_h.py): its lm_head is its
        # own whatever tie_word_embeddings says
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=False, position="none"),
        stacks=(StackSpec("decoder", d, tuple(blocks[x] for x in types), final_norm=NormSpec("norm_final", d)),),
        head=HeadSpec(kind=head), max_context=c.opt_int("max_position_embeddings"),
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"), warnings=warnings)


def recurrent_gemma(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """RecurrentGemma / Griffin (transformers recurrent_gemma/modeling_recurrent_gemma.py): layers cycle
    through block_types (default recurrent, recurrent, attention); each has a temporal block (the RG-LRU
    recurrent block, or local attention over attention_window_size tokens with a biased o_proj and no q/k/v
    bias) after temporal_pre_norm, and a gated MLP of intermediate_size // 2 with biases after
    channel_pre_norm; Gemma-style RMSNorms; head tied to the embedding."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    kinds = c.str_list("block_types") or ["recurrent", "recurrent", "attention"]
    if not kinds or not set(kinds) <= {"recurrent", "attention"}:
        raise ConfigError(f"{c.origin}: block_types: expected recurrent/attention entries, got {kinds!r}")
    heads = c.int("num_attention_heads")
    kv = c.int("num_key_value_heads", heads)
    c.touch("head_dim", "final_w_init_variance_scale", "w_init_variance_scale", "logits_soft_cap", "embeddings_scale_by_sqrt_dim")
    mlp = MlpSpec(c.int("intermediate_size") // 2, gated=True, bias=True, activation=c.str("hidden_activation", "gelu_pytorch_tanh"))
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    blocks = {
        "recurrent": LayerSpec(recurrent=rg_lru(c, d), ffn=mlp, norms=norms),
        "attention": LayerSpec(attention=AttentionSpec(heads, kv, d // heads, qkv_bias=c.bool("attention_bias", False),
                                                       o_bias=True,
                                                       window=c.int("attention_window_size", 2048)),
                               ffn=mlp, norms=norms),
    }
    layers = tuple(blocks[(kinds * (n // len(kinds) + 1))[i]] for i in range(n))
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", True) and head == "lm",
                                position="rotary"),
        stacks=(StackSpec("decoder", d, layers, final_norm=NormSpec("norm_final", d)),),
        head=HeadSpec(kind=head), max_context=c.opt_int("max_position_embeddings"),
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))


def rwkv(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """RWKV-4 (Peng et al. 2023; transformers rwkv/modeling_rwkv.py): each block is a time mix (receptance,
    key, value [attention_hidden, hidden], output, per-channel time_decay and time_first, and three token-shift
    mixing vectors) and a channel mix (key [intermediate, hidden], receptance [hidden, hidden], value, two
    mixing vectors), each after a LayerNorm with bias; block 0 adds pre_ln on the embeddings. Both mixes
    live in one RecurrentSpec. State per layer (RwkvModel's state list): the previous token's input to each
    mix (2 x hidden, model dtype: a convolution of 2 taps keeping 1) and the WKV numerator, denominator and
    running maximum (3 x attention_hidden, float32)."""
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    a = c.int("attention_hidden_size", d)
    inter = c.int("intermediate_size", 4 * d)
    c.touch("context_length", "rescale_every")
    mix = (1, 1, d)
    tensors = (
        ExtraTensor("attention.time_decay", "lin_gate", (a,)), ExtraTensor("attention.time_first", "lin_gate", (a,)),
        ExtraTensor("attention.time_mix_key", "lin_gate", mix), ExtraTensor("attention.time_mix_value", "lin_gate", mix),
        ExtraTensor("attention.time_mix_receptance", "lin_gate", mix),
        ExtraTensor("attention.key.weight", "lin_in", (a, d)), ExtraTensor("attention.value.weight", "lin_in", (a, d)),
        ExtraTensor("attention.receptance.weight", "lin_in", (a, d)),
        ExtraTensor("attention.output.weight", "lin_out", (d, a)),
        ExtraTensor("feed_forward.time_mix_key", "lin_gate", mix),
        ExtraTensor("feed_forward.time_mix_receptance", "lin_gate", mix),
        ExtraTensor("feed_forward.key.weight", "mlp_up", (inter, d)),
        ExtraTensor("feed_forward.receptance.weight", "mlp_gate", (d, d)),
        ExtraTensor("feed_forward.value.weight", "mlp_down", (d, inter)),
    )
    mixer = RecurrentSpec("rwkv4", tensors, conv_channels=2 * d, conv_kernel=2, conv_keep="kernel-1",
                          state_elements=3 * a, state_dtype="fp32", activation_width=3 * a + inter)
    norms = (NormSpec("norm_attn_in", d, bias=True, kind="layernorm"),
             NormSpec("norm_mlp_in", d, bias=True, kind="layernorm"))
    first = LayerSpec(recurrent=mixer, norms=norms, extra=(ExtraTensor("pre_ln.weight", "norm_embed", (d,)),
                                                           ExtraTensor("pre_ln.bias", "norm_embed", (d,))))
    rest = LayerSpec(recurrent=mixer, norms=norms)
    layers = tuple(first if i == 0 else rest for i in range(n))
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", False) and head == "lm",
                                position="none"),
        stacks=(StackSpec("decoder", d, layers, final_norm=NormSpec("norm_final", d, bias=True, kind="layernorm")),),
        head=HeadSpec(kind=head), max_context=None,
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))



def xlstm(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """xLSTM-7B (transformers xlstm/modeling_xlstm.py, the native path used when the xlstm package is absent):
    each block is an RMSNorm (weight, bias with use_bias), the mLSTM layer (sources/mixers.py mlstm), a second
    RMSNorm and a gated SiLU feed-forward of round_up(hidden x ffn_proj_factor, ffn_round_up_to_multiple_of)
    (proj_up_gate and proj_up, or one fused proj_up_gate_z, and proj_down; biases with use_bias); out_norm is
    always built (weight only). hidden_size and embedding_dim, num_hidden_layers and num_blocks are one setting
    each (xLSTMConfig.__post_init__)."""
    d = c.int(("hidden_size", "embedding_dim"))
    if c.raw("embedding_dim") is not None and c.int("embedding_dim") != d:
        raise ConfigError(f"{c.origin}: embedding_dim {c.raw('embedding_dim')} differs from hidden_size {d}")
    n = c.int(("num_hidden_layers", "num_blocks"), minimum=0)
    if c.raw("num_blocks") is not None and c.int("num_blocks") != n:
        raise ConfigError(f"{c.origin}: num_blocks {c.raw('num_blocks')} differs from num_hidden_layers {n}")
    bias = c.bool("use_bias", False)
    width = _round_up(d * c.float("ffn_proj_factor", 2.667), c.int("ffn_round_up_to_multiple_of", 64))
    ffn = MlpSpec(width, gated=True, bias=bias, fused_gate_up=c.str("weight_mode", "single") == "fused",
                  activation="silu")
    c.touch("add_out_norm")  # xLSTMModel builds out_norm whatever it says
    norms = (NormSpec("norm_attn_in", d, bias=bias), NormSpec("norm_mlp_in", d, bias=bias))
    layer = LayerSpec(recurrent=mlstm(c, d), ffn=ffn, norms=norms)
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=c.bool("tie_word_embeddings", False) and head == "lm",
                                position="none"),
        stacks=(StackSpec("decoder", d, (layer,) * n, final_norm=NormSpec("norm_final", d)),),
        head=HeadSpec(kind=head), max_context=None,
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))
