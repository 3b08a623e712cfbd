"""config.json -> ModelSpec for the Llama-shaped decoder families.

One builder reads the standard fields (hidden_size, num_attention_heads, num_key_value_heads,
head_dim, intermediate_size, ...) and a per-family :class:`Traits` record says what differs: which
biases exist, which norms a layer has, fused projections, q/k norms, the MoE layout, MLA, sinks, the
sliding-window rule, and the defaults transformers' config class uses when a key is absent. No
branch on a model's name: the family is the config's ``model_type``.

Sources for each family's layout: transformers 5.x ``models/<family>/modeling_<family>.py`` and
``configuration_<family>.py`` (the module layout is checked tensor by tensor in tests/).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

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
from .config_access import Cfg
from .mixers import MIXERS

_UNSET = object()
# older spellings of layer_types entries that hybrid config classes still accept (GraniteMoeHybridConfig,
# BambaConfig: "mamba" / "attention")
_LEGACY_LAYER_TYPES = {"mamba": "linear_attention", "attention": "full_attention"}
LINEAR = -1  # a layer whose mixer is the family's linear-time mixer, in the per-layer window list


@dataclass(frozen=True)
class Traits:
    tie_default: bool = False
    head_dim_default: int | None = None  # class default when config.json has no head_dim (None: hidden/heads)
    qkv_bias: str | bool = False  # a config key naming the flag, or a fixed value
    o_bias: str | bool = False
    mlp_bias: str | bool = False
    qk_norm: str = "none"  # none | head | full
    norms: tuple[str, ...] = ("norm_attn_in", "norm_mlp_in")
    fused_qkv: bool = False
    fused_gate_up: bool = False
    moe: str | None = None  # None | mixtral | qwen | deepseek | gpt_oss
    mla: bool = False
    sinks: bool = False
    # sliding window rule: none | all (every layer) | qwen (use_sliding_window, max_window_layers)
    # | alternate (even layers sliding) | pattern (sliding_window_pattern, default 6)
    window_rule: str = "none"
    window_default: int | None = None  # class default of sliding_window when the key is absent
    activation: str = "silu"
    norm_kind: str = "rmsnorm"  # rmsnorm | layernorm (with bias; Phi-MoE's nn.LayerNorm)
    qk_norm_flag: str | None = None  # a config key that switches the q/k norms on (GLM-4.5 use_qk_norm)
    lm_head_bias: str | bool = False  # a config key naming the output head's bias flag, or a fixed value
    mtp: bool = False  # num_nextn_predict_layers multi-token-prediction modules (stored, not in total)
    gated: bool = True  # gate/up/down (SwiGLU) or up/down (a plain MLP: Arcee's relu2, StarCoder2)
    parallel: str | bool = False  # attention and MLP read one norm's output (Cohere); a key or a value
    final_norm: bool = True  # OLMo-1's LayerNorms have no parameters: no final norm tensor
    window_pattern_default: int = 6  # "pattern" rule: every Nth layer global (Gemma 3: 6, Cohere 2: 4)
    layer_extra: tuple[tuple[str, str, str], ...] = ()  # per-layer tensors: (name, role, width key)
    flag_norms: tuple[str, tuple[str, ...]] | None = None  # (key, norm roles it adds; default on)
    moe_shared: str | None = None  # key of a shared expert's width beside Mixtral-style experts (Granite)
    linear: str | None = None  # mixer of layer_types "linear_attention" layers (sources/mixers.py MIXERS)
    linear_default_interval: int = 4  # without layer_types: every Nth layer is full attention
    linear_pattern: str = "interval"  # interval (full_attention_interval) | indices (attn_layer_indices)
    # | odd (without layer_types, odd layers are linear: MiniMaxConfig)
    # | parallel (every layer runs attention and the mixer side by side, Falcon-H1)
    attn_output_gate: bool = False  # q_proj also emits a sigmoid output gate (Qwen3-Next)
    linear_type: str = "linear_attention"  # the layer_types entry that names a linear-mixer layer
    ffn_width: str | None = None  # a rule deriving the MLP width from intermediate_size (_FFN_WIDTH)
    chunked: bool = False  # its windowed layers are chunked local attention (Llama 4's attention_chunk_size)
    # keys announcing stored modules transformers does not build and paramscope does not describe:
    # accepted with a warning that names them (MiniMax-M2's multi-token-prediction modules)
    undescribed: tuple[str, ...] = ()
    # flags whose true value builds a layout paramscope does not describe: refused, naming the flag
    unsupported_flags: tuple[str, ...] = ()
    indexed: bool = False  # indexed sparse attention with a lightning indexer (DeepSeek-V3.2 DSA)
    # num_experts_per_tok may be unset (DeepseekV2Config's default None: transformers builds every expert, but
    # its router's torch.topk cannot run); the stored parameters are then exact and the active figures are
    # counted with every routed expert (an upper bound), with a warning
    top_k_optional: bool = False
    # keys whose class default is None and that the modeling code uses as a number (MinistralAttention reads
    # config.head_dim, NemotronAttention config.num_key_value_heads): a config without them builds nothing in
    # transformers, so it is refused naming the key
    required: tuple[str, ...] = ()
    # deepseek-style MoE: dense layers before the first routed one when neither mlp_layer_types nor
    # first_k_dense_replace is stated (HYV3Config: the first layer)
    dense_prefix_default: int = 0
    # a per-head sigmoid output gate g_proj [heads, hidden] on the attention layers: a config key naming the
    # flag (LFM3's use_attention_gate) or a fixed value
    head_gate: str | bool = False
    # the config class's defaults of shape keys whose generic default here differs (a config.json may omit any
    # key at its class default): applied to absent keys only, an explicit null stays null
    defaults: tuple[tuple[str, object], ...] = ()
    # qwen-style MoE: the shared expert's sigmoid gate [1, hidden] (Qwen2-MoE) or none (Flint, Kolibri-1)
    shared_gate: bool = True
    score_bias_buffer: bool = False  # the router keeps an e_score_correction_bias buffer (not counted)
    # the config class's layer_types when the file has none: a function of the layer count
    layer_types_default: object = None
    moe_out_norm: bool = False  # an RMSNorm on the MoE block's output (A.X-K1's post_mlp_layernorm)
    head_dim_from_hidden: bool = False  # the config class overwrites head_dim with hidden // heads


_PRE = ("norm_attn_in", "norm_mlp_in")
_SANDWICH = ("norm_attn_in", "norm_attn_out", "norm_mlp_in", "norm_mlp_out")

FAMILIES: dict[str, Traits] = {
    "llama": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias"),
    "mistral": Traits(window_rule="all", window_default=4096),
    "mixtral": Traits(moe="mixtral", window_rule="all"),
    "qwen2": Traits(qkv_bias=True, window_rule="qwen"),
    "qwen2_moe": Traits(qkv_bias="qkv_bias", moe="qwen", window_rule="qwen"),
    "qwen3": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head",
                    window_rule="qwen"),
    # Qwen3MoeConfig has no head_dim field: hidden/heads unless the file states one (Qwen3-30B-A3B does)
    "qwen3_moe": Traits(qkv_bias="attention_bias", o_bias="attention_bias",
                        qk_norm="head", moe="qwen", window_rule="qwen"),
    "gemma": Traits(tie_default=True, head_dim_default=256, qkv_bias="attention_bias",
                    o_bias="attention_bias", activation="gelu_pytorch_tanh"),
    "gemma2": Traits(tie_default=True, head_dim_default=256, qkv_bias="attention_bias",
                     o_bias="attention_bias", norms=_SANDWICH, window_rule="alternate",
                     window_default=4096, activation="gelu_pytorch_tanh"),
    "gemma3_text": Traits(tie_default=True, head_dim_default=256, qkv_bias="attention_bias",
                          o_bias="attention_bias", norms=_SANDWICH, qk_norm="head",
                          window_rule="pattern", window_default=4096, activation="gelu_pytorch_tanh"),
    "phi3": Traits(fused_qkv=True, fused_gate_up=True, window_rule="all"),
    "olmo2": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="full",
                    norms=("norm_attn_out", "norm_mlp_out")),
    "deepseek_v2": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", mla=True,
                          moe="deepseek", top_k_optional=True,
                          defaults=(("n_shared_experts", 2), ("q_lora_rank", 1536), ("kv_lora_rank", 512),
                                    ("qk_nope_head_dim", 128), ("qk_rope_head_dim", 64), ("v_head_dim", 128),
                                    ("n_routed_experts", 64), ("moe_intermediate_size", 1407),
                                    ("topk_method", "greedy"))),
    "deepseek_v3": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mla=True, moe="deepseek"),
    "gpt_oss": Traits(head_dim_default=64, qkv_bias="attention_bias", o_bias="attention_bias", sinks=True,
                      moe="gpt_oss", window_rule="alternate", window_default=128),
    # MoE families (transformers 5.23 modeling files)
    "olmoe": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="full", moe="mixtral"),
    "flex_olmo": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="full", moe="mixtral",
                        norms=("norm_attn_out", "norm_mlp_out")),
    "granitemoe": Traits(qkv_bias="attention_bias", o_bias="attention_bias", moe="mixtral"),
    "minimax_m2": Traits(qk_norm="full", moe="mixtral",
                         undescribed=("use_mtp", "num_mtp_modules", "mtp_transformer_layers")),
    "phimoe": Traits(qkv_bias="attention_bias", o_bias="attention_bias", moe="mixtral", norm_kind="layernorm",
                     lm_head_bias="lm_head_bias", window_rule="all"),
    "glm4_moe": Traits(qkv_bias="attention_bias", moe="deepseek", qk_norm="head", qk_norm_flag="use_qk_norm", mtp=True),
    "ernie4_5_moe": Traits(tie_default=True, qkv_bias="use_bias", o_bias="use_bias",
                           mlp_bias="use_bias", lm_head_bias="use_bias", moe="ernie"),
    # Llama-shaped families with their own norms, MLPs or blocks (transformers 5.23 modeling files)
    "arcee": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", gated=False,
                    activation="relu2"),
    "apertus": Traits(qkv_bias="attention_bias", o_bias="attention_bias", gated=False, qk_norm="head",
                      activation="xielu",
                      layer_extra=(("mlp.act_fn.alpha_p", "other", "one"), ("mlp.act_fn.alpha_n", "other", "one"))),
    "bitnet": Traits(qkv_bias="attention_bias", o_bias="attention_bias", activation="relu2",
                     layer_extra=(("attn.sub_norm.weight", "norm_attn_out", "attn"),
                                  ("mlp.sub_norm.weight", "norm_mlp_out", "intermediate"))),
    "cohere": Traits(tie_default=True, qkv_bias="attention_bias", o_bias="attention_bias",
                     norm_kind="layernorm_nobias", parallel=True, qk_norm="full", qk_norm_flag="use_qk_norm"),
    "cohere2": Traits(tie_default=True, qkv_bias="attention_bias", o_bias="attention_bias",
                      norm_kind="layernorm_nobias", parallel=True, window_rule="pattern", window_default=4096,
                      window_pattern_default=4),
    "glm": Traits(head_dim_default=128, qkv_bias="attention_bias", fused_gate_up=True),
    "glm4": Traits(head_dim_default=128, qkv_bias="attention_bias", fused_gate_up=True, norms=_SANDWICH),
    "olmo": Traits(qkv_bias="attention_bias", o_bias="attention_bias", norms=(), final_norm=False),
    "olmo3": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="full",
                    norms=("norm_attn_out", "norm_mlp_out"), window_rule="pattern", window_default=4096,
                    window_pattern_default=4),
    "exaone4": Traits(qk_norm="head", norms=("norm_attn_out", "norm_mlp_out"), window_rule="pattern",
                      window_default=4096, window_pattern_default=4),
    "seed_oss": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_out_bias",
                       mlp_bias="mlp_bias"),
    "starcoder2": Traits(tie_default=True, qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias",
                         gated=False, norm_kind="layernorm", window_rule="all",
                         activation="gelu_pytorch_tanh"),
    "granite_swa": Traits(tie_default=True, qkv_bias="attention_bias", o_bias="attention_bias",
                          mlp_bias="mlp_bias", sinks=True, window_default=128),
    "granitemoeshared": Traits(qkv_bias="attention_bias", o_bias="attention_bias", moe="mixtral",
                               moe_shared="shared_intermediate_size"),
    "granitemoe_swa": Traits(qkv_bias="attention_bias", o_bias="attention_bias", moe="mixtral",
                             moe_shared="shared_intermediate_size", sinks=True, window_default=128),
    "hyperclovax": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias",
                          flag_norms=("use_post_norm", ("norm_attn_out", "norm_mlp_out"))),
    "jais2": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", gated=False,
                    norm_kind="layernorm", activation="relu2"),
    "youtu": Traits(tie_default=True, qkv_bias="attention_bias", o_bias="attention_bias", mla=True),
    "solar_open": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias",
                         moe="deepseek"),
    "diffllama": Traits(qkv_bias="attention_bias", o_bias="attention_bias",
                        layer_extra=tuple((f"attn.lambda_{x}", "other", "head_dim") for x in ("q1", "k1", "q2", "k2"))),
    # hybrids of full attention and a linear-time mixer (sources/mixers.py)
    "qwen3_next": Traits(head_dim_default=256, qkv_bias="attention_bias", o_bias="attention_bias",
                         qk_norm="head", moe="qwen", linear="gated_deltanet", attn_output_gate=True),
    "bamba": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias",
                    linear="mamba2_bamba", linear_pattern="indices"),
    "lfm2": Traits(tie_default=True, qk_norm="head", linear="short_conv", linear_pattern="full_attn_idxs",
                   linear_type="conv", ffn_width="lfm2"),
    # GLM-5 (glm_moe_dsa/modeling_glm_moe_dsa.py): DeepSeek-V3.2's indexed sparse MLA and routed experts; a
    # layer's indexer may be "shared" (indexer_types): it then reuses the previous layer's top-k
    "glm_moe_dsa": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", mla=True,
                          moe="deepseek", indexed=True,
                          defaults=(("n_shared_experts", 1), ("q_lora_rank", 2048), ("kv_lora_rank", 512),
                                    ("qk_nope_head_dim", 192), ("qk_rope_head_dim", 64), ("v_head_dim", 256),
                                    ("n_routed_experts", 256), ("moe_intermediate_size", 2048),
                                    ("num_experts_per_tok", 8), ("first_k_dense_replace", 3), ("index_topk", 2048),
                                    ("index_head_dim", 128), ("index_n_heads", 32))),
    # LFM2-MoE (lfm2_moe/modeling_lfm2_moe.py): LFM2's short-convolution and attention layers by layer_types
    # (required: the class default None builds nothing); the first num_dense_layers layers keep a dense
    # SwiGLU MLP of intermediate_size (no LFM2 width adjustment), the rest routed experts with a sigmoid
    # router whose expert_bias is a buffer (use_expert_bias)
    "lfm2_moe": Traits(tie_default=True, qk_norm="head", linear="short_conv", linear_pattern="full_attn_idxs",
                       linear_type="conv", moe="lfm2_moe", required=("layer_types",),
                       defaults=(("num_experts", 32), ("num_experts_per_tok", 4), ("moe_intermediate_size", 1792))),
    # Hunyuan 3 (hy_v3/modeling_hy_v3.py): per-head q/k RMSNorms, DeepSeek-style routed + shared experts with a
    # score-correction buffer, dense layers by mlp_layer_types (default: the first)
    "hy_v3": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias",
                    qk_norm="head", moe="deepseek", dense_prefix_default=1,
                    defaults=(("num_shared_experts", 1), ("num_experts", 192), ("num_experts_per_tok", 8),
                              ("moe_intermediate_size", 1536))),
    # Aria's text model (aria/modeling_aria.py AriaTextForCausalLM): Llama attention; every layer is a MoE of
    # moe_num_experts experts of intermediate_size (stacked, no bias) plus shared experts as one MLP of
    # intermediate_size x moe_num_shared_experts (biases with mlp_bias)
    "aria_text": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", moe="aria"),
    # LFM3 (lfm3/modeling_lfm3.py): LFM2's short convolutions and attention layers, the attention sliding or full
    # by layer_types (default: full at i % 4 == 2, sliding at i % 4 == 0 after layer 0, else conv), biases with
    # attention_bias, a per-head output gate with use_attention_gate, post-norms with use_sandwich_norm, and
    # a SwiGLU MLP of intermediate_size
    "lfm3": Traits(tie_default=True, head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias",
                   qk_norm="head", linear="short_conv_lfm3", linear_pattern="lfm3", linear_type="conv", window_default=256,
                   flag_norms=("use_sandwich_norm", ("norm_attn_out", "norm_mlp_out")), head_gate="use_attention_gate"),
    # Flint (flint/modeling_flint.py): Qwen3 attention with per-head sinks on every layer, sliding or full by
    # layer_types (default: full on layers 0, 1, every i % 4 == 1 and the last), Qwen2-MoE-style experts with an
    # ungated shared expert, dense layers at mlp_only_layers (default [0, 1])
    "flint": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head",
                    sinks=True, moe="qwen", shared_gate=False, window_default=513,
                    layer_types_default=lambda n: ["full_attention" if i < 2 or i % 4 == 1 or i == n - 1
                                                   else "sliding_attention" for i in range(n)],
                    defaults=(("mlp_only_layers", [0, 1]), ("num_experts", 256), ("num_experts_per_tok", 6),
                              ("moe_intermediate_size", 512), ("shared_expert_intermediate_size", 1024))),
    # Kolibri-1 (kolibri1/modeling_kolibri1.py): Qwen3 attention without biases, sandwich norms
    # (post_self_attn_layernorm, post_mlp_layernorm), routed experts in every layer with an ungated shared
    # expert and a score-correction buffer; sliding or full by layer_types (default: every 5th full)
    "kolibri1": Traits(head_dim_default=128, qk_norm="head", norms=_SANDWICH, moe="qwen", shared_gate=False,
                       score_bias_buffer=True, window_default=513,
                       layer_types_default=lambda n: ["full_attention" if (i + 1) % 5 == 0 else "sliding_attention"
                                                      for i in range(n)],
                       defaults=(("num_experts", 384), ("num_experts_per_tok", 6), ("moe_intermediate_size", 512),
                                 ("shared_expert_intermediate_size", 512))),
    # A.X-K1 (axk1/modeling_axk1.py): DeepSeek-V3 with an RMSNorm on each MoE block's output (post_mlp_layernorm),
    # dense layers by mlp_layer_types (default: from first_k_dense_replace = 1)
    "axk1": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mla=True, moe="deepseek", moe_out_norm=True,
                   dense_prefix_default=1,
                   defaults=(("n_shared_experts", 1), ("q_lora_rank", 1536), ("kv_lora_rank", 512),
                             ("qk_nope_head_dim", 128), ("qk_rope_head_dim", 64), ("v_head_dim", 128),
                             ("n_routed_experts", 192), ("moe_intermediate_size", 2048), ("num_experts_per_tok", 8))),
    # Beam (beam/modeling_beam.py): Gemma-style sandwich norms, per-head q/k norms, a sigmoid output gate
    # (gate_proj [heads x head_dim, hidden] plus gate_bias [heads]), sliding layers with every 6th and the last
    # full, routed experts without shared experts (sigmoid router, score-correction buffer), the first 3 dense
    "beam": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head",
                   norms=_SANDWICH, moe="deepseek", dense_prefix_default=3, window_default=512,
                   layer_extra=(("attn.gate_proj.weight", "attn_o", ("attn", "hidden")),
                                ("attn.gate_bias", "attn_o", "heads")),
                   layer_types_default=lambda n: ["sliding_attention" if (i + 1) % 6 and i != n - 1
                                                  else "full_attention" for i in range(n)],
                   defaults=(("num_experts", 256), ("num_experts_per_tok", 8), ("moe_intermediate_size", 2560))),
    # Cohere Compass / North text model (cohere_compass/modeling_cohere_compass.py CohereCompassForCausalLM):
    # Cohere 2's parallel block with one bias-free LayerNorm, no q/k norms, layer_types (default: all full)
    "cohere_compass_text": Traits(tie_default=True, qkv_bias="attention_bias", o_bias="attention_bias",
                                  norm_kind="layernorm_nobias", parallel=True, window_default=4096,
                                  head_dim_from_hidden=True),
    "deepseek_v32": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", mla=True,
                           moe="deepseek", indexed=True),
    "qwen3_5_text": Traits(head_dim_default=256, qkv_bias="attention_bias", o_bias="attention_bias",
                           qk_norm="head", linear="gated_deltanet_split", attn_output_gate=True),
    "qwen3_5_moe_text": Traits(head_dim_default=256, qkv_bias="attention_bias", o_bias="attention_bias",
                               qk_norm="head", moe="qwen", linear="gated_deltanet_split", attn_output_gate=True),
    "falcon_h1": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias",
                        linear="mamba2_falcon_h1", linear_pattern="parallel"),
    # StableLM: LayerNorms with bias, optional parallel residual; its per-head q/k LayerNorms are refused
    "stablelm": Traits(qkv_bias="use_qkv_bias", norm_kind="layernorm", parallel="use_parallel_residual",
                       unsupported_flags=("qk_layernorm",)),
    "glm4_moe_lite": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mla=True, moe="deepseek", mtp=True),
    "exaone_moe": Traits(qk_norm="head", moe="deepseek", window_rule="pattern", window_default=4096,
                         window_pattern_default=4),
    "mellum": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head",
                     moe="qwen", window_default=1024,
                     undescribed=("num_mtp_layers", "mtp_layer_types", "mtp_mlp_layer_types")),
    # GraniteMoeHybridDecoderLayer: with 0 experts the layer keeps only shared_mlp, whose input_linear is the fused
    # [gate; up] of a dense MLP (granitemoehybrid/modeling_granitemoehybrid.py GraniteMoeHybridMLP)
    "granitemoehybrid": Traits(qkv_bias="attention_bias", o_bias="attention_bias", moe="mixtral",
                               moe_shared="shared_intermediate_size", ffn_width="granite_shared",
                               fused_gate_up=True, linear="mamba2_bamba"),
    "minicpm3": Traits(tie_default=True, qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias",
                       mla=True),
    # nanochat: parameter-free RMSNorms (layers, q/k and final), a plain relu^2 MLP
    "nanochat": Traits(qkv_bias="attention_bias", o_bias="attention_bias", norms=(), final_norm=False, gated=False,
                       activation="relu2"),
    # Kimi Linear: Kimi Delta Attention layers and MLA layers (layer_types), DeepSeek-style MoE
    "kimi_linear": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mla=True, moe="deepseek",
                          linear="kimi_delta_attention"),
    # Hunyuan dense: Llama with per-head q/k RMSNorms (query_layernorm, key_layernorm; transformers
    # hunyuan_v1_dense/modeling_hunyuan_v1_dense.py)
    "cohere2_moe": Traits(tie_default=True, head_dim_default=128, qkv_bias="attention_bias",
                          o_bias="attention_bias", norm_kind="layernorm_nobias", parallel=True, window_rule="pattern",
                          window_default=4096, window_pattern_default=4, moe="cohere2_moe", ffn_width="cohere2_moe"),
    "hunyuan_v1_moe": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head", moe="hunyuan"),
    "dots1": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head", moe="deepseek",
                    window_rule="from_layer", window_default=4096),
    "hunyuan_v1_dense": Traits(qkv_bias="attention_bias", o_bias="attention_bias", qk_norm="head"),
    # MiniMax-Text-01: lightning attention layers and softmax attention layers by layer_types, Mixtral-style
    # experts in every layer (transformers minimax/modeling_minimax.py)
    "minimax": Traits(moe="mixtral", linear="lightning", linear_pattern="odd"),
    # Llama 4 text: chunked attention on the RoPE layers, MoE with a shared expert every Nth layer,
    # parameter-free L2 q/k norms (transformers llama4/modeling_llama4.py)
    "llama4_text": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias",
                          moe="llama4", ffn_width="llama4", chunked=True, window_default=8192),
    # Llama-shaped families that differ only in defaults and bias flags (transformers 5.23 modeling files;
    # internlm3 and iquestcoder have no modeling file of their own: their configs build LlamaForCausalLM)
    "granite": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias"),
    "internlm3": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias",
                        mlp_bias="mlp_bias"),
    "iquestcoder": Traits(head_dim_default=128, qkv_bias="attention_bias", o_bias="attention_bias",
                          mlp_bias="mlp_bias"),
    "helium": Traits(head_dim_default=128, qkv_bias="attention_bias", mlp_bias="mlp_bias"),
    "smollm3": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias",
                      window_rule="qwen"),
    "ministral3": Traits(head_dim_default=128, window_rule="all"),
    "cwm": Traits(head_dim_default=128, mlp_bias="mlp_bias", window_default=8192),
    "ernie4_5": Traits(tie_default=True, head_dim_default=128, qkv_bias="use_bias", o_bias="use_bias",
                       mlp_bias="use_bias"),
    # Ministral (transformers ministral/modeling_ministral.py): Mistral with per-layer layer_types (all sliding
    # when sliding_window is set, MinistralConfig.__post_init__)
    "ministral": Traits(window_rule="all", window_default=4096, required=("head_dim",)),
    # Nemotron-4 / Minitron (nemotron/modeling_nemotron.py): LayerNorm1P (weight and bias) everywhere, a plain
    # up/down relu^2 MLP, biases by attention_bias / mlp_bias
    "nemotron": Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias", gated=False,
                       norm_kind="layernorm", activation="relu2", required=("num_key_value_heads",)),
    "vaultgemma": Traits(tie_default=True, head_dim_default=256, qkv_bias="attention_bias",
                         o_bias="attention_bias", window_default=4096, activation="gelu_pytorch_tanh"),
}
# A transformers config class whose attention_bias defaults to True.
_BIAS_DEFAULT_TRUE = {"gpt_oss": {"attention_bias"}, "qwen2_moe": {"qkv_bias"}, "glm": {"attention_bias"},
                      "glm4": {"attention_bias"}, "seed_oss": {"attention_bias"}, "starcoder2": {"use_bias"},
                      "jais2": {"attention_bias", "mlp_bias"}, "lfm3": {"use_attention_gate"}}


def _flag(c: Cfg, traits_value: str | bool, model_type: str) -> bool:
    if isinstance(traits_value, bool):
        return traits_value
    default = traits_value in _BIAS_DEFAULT_TRUE.get(model_type, ())
    return c.bool(traits_value, default)


def _windows(c: Cfg, n: int, t: Traits) -> list[int | None]:
    """Sliding-window length per layer (None = global), as transformers' config classes derive it."""
    # 0 or null: no window (Qwen2MoeConfig's default is 0 with use_sliding_window false)
    window = (c.int("sliding_window", None, minimum=0) or None) if c.present("sliding_window") else t.window_default
    if t.window_rule == "qwen":  # the family's own keys, read whether or not a window is set
        c.touch("use_sliding_window", "max_window_layers")
    if t.window_rule == "from_layer":  # layer_types, when stated, was derived from it
        c.touch("max_window_layers")
    layer_types = c.str_list("layer_types")
    if layer_types is not None and t.window_rule == "pattern":
        c.touch("sliding_window_pattern")  # the config class derived layer_types from it
    if layer_types is None and t.layer_types_default is not None:
        layer_types = t.layer_types_default(n)
    if layer_types is not None and t.linear_pattern == "full_attn_idxs":
        c.touch("full_attn_idxs")
    if layer_types is not None:
        if len(layer_types) != n:
            raise ConfigError(f"{c.origin}: {c.prefix}layer_types: has {len(layer_types)} entries for {n} layers")
        out: list[int | None] = []
        for i, kind in enumerate(layer_types):
            kind = _LEGACY_LAYER_TYPES.get(kind, kind) if t.linear is not None else kind
            if kind == "full_attention":
                out.append(None)
            elif kind == t.linear_type and t.linear is not None:
                out.append(LINEAR)
            elif kind == "chunked_attention" and t.chunked:  # Llama4TextConfig: the RoPE layers
                out.append(c.int("attention_chunk_size"))
            elif kind == "indexed_attention" and t.indexed:  # DSA layers: full attention plus the indexer
                out.append(None)
            elif kind == "sliding_attention":
                if window is None:
                    raise ConfigError(f"{c.origin}: {c.prefix}sliding_window: layer {i} is sliding but no window is set")
                out.append(window)
            else:
                raise ConfigError(f"{c.origin}: {c.prefix}layer_types[{i}]: unsupported layer type {kind!r}")
        return out
    rule = t.window_rule
    if t.chunked:  # Llama4TextConfig: RoPE layers (no_rope_layers[i] == 1) are chunked, NoPE layers global
        rope = c.int_list("no_rope_layers")
        every = c.int("no_rope_layer_interval", 4)
        rope = rope if rope else [int((i + 1) % every != 0) for i in range(n)]
        if len(rope) != n:
            raise ConfigError(f"{c.origin}: {c.prefix}no_rope_layers: has {len(rope)} entries for {n} layers")
        chunk = c.int("attention_chunk_size", None)
        return [chunk if r and chunk else None for r in rope]
    if t.linear is not None and t.linear_pattern == "indices":  # BambaConfig: attention at attn_layer_indices
        attn = set(c.int_list("attn_layer_indices") or [])
        return [None if i in attn else LINEAR for i in range(n)]
    if t.linear is not None and t.linear_pattern == "full_attn_idxs":  # Lfm2Config: default all attention
        attn = c.int_list("full_attn_idxs")
        attn = set(range(n) if attn is None else attn)
        return [None if i in attn else LINEAR for i in range(n)]
    if t.linear is not None and t.linear_pattern == "lfm3":  # Lfm3Config.__post_init__
        return [None if i % 4 == 2 else window if i % 4 == 0 and i > 0 else LINEAR for i in range(n)]
    if t.linear is not None and t.linear_pattern == "odd":  # MiniMaxConfig: (i + 1) % 2 is full attention
        return [None if (i + 1) % 2 else LINEAR for i in range(n)]
    if t.linear is not None and t.linear_pattern == "interval":  # Qwen3NextConfig: (i + 1) % interval == 0 is full
        every = c.int("full_attention_interval", t.linear_default_interval)
        return [None if (i + 1) % every == 0 else LINEAR for i in range(n)]
    if rule == "none" or window is None:
        return [None] * n
    if rule == "all":
        return [window] * n
    if rule == "qwen":
        first = c.int("max_window_layers", n, minimum=0)
        if not c.bool("use_sliding_window", False):
            return [None] * n
        return [window if i >= first else None for i in range(n)]
    if rule == "from_layer":  # Dots1Config: sliding from max_window_layers on, whenever a window is set
        first = c.int("max_window_layers", n, minimum=0)
        return [window if i >= first else None for i in range(n)]
    if rule == "alternate":  # transformers: "sliding_attention" if (i + 1) % 2 else "full_attention"
        return [window if (i + 1) % 2 else None for i in range(n)]
    if rule == "pattern":
        pattern = c.int("sliding_window_pattern", t.window_pattern_default)
        return [window if (i + 1) % pattern else None for i in range(n)]
    raise AssertionError(rule)


def _indexer_layers(c: Cfg, n: int) -> list[bool]:
    """Which indexed-attention layers run an indexer of their own. GlmMoeDsaConfig.indexer_types: "full"
    (its own GlmMoeDsaIndexer) or "shared" (no indexer: the layer reuses the previous full layer's top-k
    selection; glm_moe_dsa/modeling_glm_moe_dsa.py); without the list, every layer is full."""
    types = c.str_list("indexer_types")
    if types is None:
        return [True] * n
    if len(types) != n or not set(types) <= {"full", "shared"}:
        raise ConfigError(f"{c.origin}: {c.prefix}indexer_types: expected {n} entries of full/shared")
    c.touch("index_topk_pattern", "index_topk_freq", "index_skip_topk_offset")  # the config class derived it
    return [x == "full" for x in types]


def _no_indexer(indexer: dict) -> dict:
    """A layer that reads the top-k of an earlier layer's indexer: sparse over index_topk tokens, with no
    indexer tensors, no indexer keys in its cache and no indexer FLOPs."""
    return dict(index_topk=indexer["index_topk"], index_heads=0, index_head_dim=0)


def _moe_layers(c: Cfg, n: int, kind: str, dense_prefix: int = 0) -> list[bool]:
    """Which layers have a routed-expert feed-forward."""
    if kind == "mixtral" and c.int(("num_local_experts", "num_experts"), 1, minimum=0) == 0:
        return [False] * n  # GraniteMoeHybrid accepts 0 experts: the layer keeps only its shared MLP
    if kind == "cohere2_moe":  # Cohere2MoeConfig: mlp_layer_types, else the first first_k_dense_replace dense
        types = c.str_list("mlp_layer_types")
        if types is None:
            first = c.int("first_k_dense_replace", 0, minimum=0)
            types = ["dense" if i < first else "sparse" for i in range(n)]
        else:
            c.touch("first_k_dense_replace")
        if len(types) != n or not set(types) <= {"dense", "sparse"}:
            raise ConfigError(f"{c.origin}: {c.prefix}mlp_layer_types: expected {n} entries of dense/sparse")
        return [x == "sparse" for x in types]
    if kind in ("mixtral", "gpt_oss", "hunyuan", "aria"):
        return [True] * n
    if kind == "lfm2_moe":  # Lfm2MoeDecoderLayer: dense below num_dense_layers
        first = c.int("num_dense_layers", 2, minimum=0)
        return [i >= first for i in range(n)]
    if kind == "llama4":  # Llama4TextConfig: moe_layers, else every interleave_moe_layer_step-th layer
        listed = c.int_list("moe_layers")
        step = c.int("interleave_moe_layer_step", 1)
        moe = set(listed if listed is not None else range(step - 1, n, step))
        return [i in moe for i in range(n)]
    if kind == "ernie":  # Ernie4_5_MoeDecoderLayer: (i + 1) % interval == 0 and start <= i <= end
        if c.int("moe_num_experts", 0, minimum=0) == 0:
            return [False] * n
        step = c.int("moe_layer_interval", 1)
        start = c.int("moe_layer_start_index", 0, minimum=0)
        end = c.int("moe_layer_end_index", n - 1, minimum=0)
        return [(i + 1) % step == 0 and start <= i <= end for i in range(n)]
    if kind == "qwen":  # (i + 1) % decoder_sparse_step == 0 and i not in mlp_only_layers
        if c.int("num_experts", 0, minimum=0) == 0:
            return [False] * n
        types = c.str_list("mlp_layer_types")  # MellumConfig writes the per-layer list: dense | sparse
        if types is not None:
            if len(types) != n or not set(types) <= {"dense", "sparse"}:
                raise ConfigError(f"{c.origin}: {c.prefix}mlp_layer_types: expected {n} entries of dense/sparse")
            return [x == "sparse" for x in types]
        step = c.int("decoder_sparse_step", 1)
        only_mlp = set(c.int_list("mlp_only_layers") or [])
        return [(i + 1) % step == 0 and i not in only_mlp for i in range(n)]
    if kind == "deepseek":  # i >= first_k_dense_replace and i % moe_layer_freq == 0
        if c.int(("n_routed_experts", "num_experts"), 0, minimum=0) == 0:
            return [False] * n
        types = c.str_list("mlp_layer_types")  # DeepseekV32Config writes the derived list: dense | sparse
        if types is not None:
            if len(types) != n or not set(types) <= {"dense", "sparse"}:
                raise ConfigError(f"{c.origin}: {c.prefix}mlp_layer_types: expected {n} entries of dense/sparse")
            c.touch("first_k_dense_replace", "moe_layer_freq")
            return [x == "sparse" for x in types]
        first = c.int("first_k_dense_replace", dense_prefix, minimum=0)
        freq = c.int("moe_layer_freq", 1)
        return [i >= first and i % freq == 0 for i in range(n)]
    raise AssertionError(kind)


_MOE_KEYS = ("num_experts", "num_local_experts", "n_routed_experts", "num_experts_per_tok", "moe_intermediate_size",
             "shared_expert_intermediate_size", "n_shared_experts", "decoder_sparse_step", "mlp_only_layers",
             "first_k_dense_replace", "moe_layer_freq", "topk_method", "scoring_func", "experts_per_token",
             "moe_num_experts", "moe_k", "moe_num_shared_experts", "moe_layer_interval", "moe_layer_start_index",
             "moe_layer_end_index", "moe_topk", "num_dense_layers", "use_expert_bias")


def _moe_spec(c: Cfg, kind: str, hidden: int, mlp_bias: bool, act: str, shared_key: str | None = None,
              top_k_optional: bool = False, shared_gate: bool = True, score_buffer: bool = False) -> MoeSpec:
    if kind == "mixtral":  # OLMoE and FlexOlmo write the expert count as num_experts
        # the shared expert beside them is Granite's (the only moe_shared families): GraniteMoeSharedMLP /
        # GraniteMoeHybridMLP hold gate and up as one input_linear [2 x shared, hidden] (transformers
        # granitemoeshared/modeling_granitemoeshared.py, granitemoehybrid/modeling_granitemoehybrid.py)
        shared_width = c.int(shared_key, 0, minimum=0) if shared_key else 0
        return MoeSpec(num_experts=c.int(("num_local_experts", "num_experts")), top_k=c.int("num_experts_per_tok"),
                       expert=MlpSpec(c.int("intermediate_size"), gated=True, activation=act),
                       shared=MlpSpec(shared_width, gated=True, fused_gate_up=True, activation=act)
                       if shared_width else None,
                       num_shared_experts=1 if shared_width else 0)
    if kind == "cohere2_moe":  # Cohere2MoeSparseMoeBlock: shared experts as one MLP of intermediate x n_shared
        width = c.int("intermediate_size")
        n_shared = c.int("num_shared_experts", 0, minimum=0)
        return MoeSpec(num_experts=c.int("num_experts"), top_k=c.int("num_experts_per_tok"),
                       expert=MlpSpec(width, gated=True, activation=act),
                       shared=MlpSpec(width * n_shared, gated=True, activation=act) if n_shared else None,
                       num_shared_experts=n_shared)
    if kind == "lfm2_moe":  # Lfm2MoeSparseMoeBlock: stacked experts, expert_bias buffer with use_expert_bias
        return MoeSpec(num_experts=c.int("num_experts"), top_k=c.int("num_experts_per_tok"),
                       expert=MlpSpec(c.int("moe_intermediate_size"), gated=True, activation=act),
                       score_correction_bias=c.bool("use_expert_bias", True), stacked=True)
    if kind == "aria":  # AriaTextMoELayer
        width = c.int("intermediate_size")
        n_shared = c.int("moe_num_shared_experts", 2, minimum=0)
        return MoeSpec(num_experts=c.int("moe_num_experts", 8), top_k=c.int("moe_topk", 2),
                       expert=MlpSpec(width, gated=True, activation=act),
                       shared=MlpSpec(width * n_shared, gated=True, bias=mlp_bias, activation=act) if n_shared else None,
                       num_shared_experts=n_shared, stacked=True)
    if kind == "hunyuan":  # HunYuanMoEV1Moe: experts and an always-on shared MLP, both intermediate_size wide
        width = c.int("intermediate_size")
        return MoeSpec(num_experts=c.int("num_experts"), top_k=c.int("moe_topk"),
                       expert=MlpSpec(width, gated=True, activation=act), shared=MlpSpec(width, gated=True, activation=act),
                       num_shared_experts=1)
    if kind == "llama4":  # Llama4TextMoe: stacked routed experts (fused gate_up) + one shared expert
        width = c.int("intermediate_size")
        return MoeSpec(num_experts=c.int("num_local_experts"), top_k=c.int("num_experts_per_tok"),
                       expert=MlpSpec(width, gated=True, fused_gate_up=True, activation=act),
                       shared=MlpSpec(width, gated=True, activation=act), num_shared_experts=1, stacked=True)
    if kind == "ernie":  # shared experts: one MLP of moe_intermediate_size x moe_num_shared_experts
        width = c.int("moe_intermediate_size")
        n_shared = c.int("moe_num_shared_experts", 0, minimum=0)
        shared = MlpSpec(width * n_shared, gated=True, bias=mlp_bias, activation=act) if n_shared else None
        return MoeSpec(num_experts=c.int("moe_num_experts"), top_k=c.int("moe_k"),
                       expert=MlpSpec(width, gated=True, bias=mlp_bias, activation=act),
                       shared=shared, num_shared_experts=n_shared)
    if kind == "gpt_oss":
        return MoeSpec(num_experts=c.int("num_local_experts"),
                       top_k=c.int(("num_experts_per_tok", "experts_per_token")),
                       expert=MlpSpec(c.int("intermediate_size"), gated=True, bias=True, fused_gate_up=True,
                                      activation=act),
                       router_bias=True, stacked=True)
    if kind == "qwen":
        shared_width = c.int("shared_expert_intermediate_size", 0, minimum=0)
        shared = MlpSpec(shared_width, gated=True, activation=act) if shared_width else None
        return MoeSpec(num_experts=c.int("num_experts"), top_k=c.int("num_experts_per_tok"),
                       expert=MlpSpec(c.int("moe_intermediate_size"), gated=True, activation=act),
                       shared=shared, num_shared_experts=1 if shared else 0,
                       shared_expert_gate=shared is not None and shared_gate, score_correction_bias=score_buffer)
    if kind == "deepseek":
        width = c.int("moe_intermediate_size")
        n_shared = c.int(("n_shared_experts", "num_shared_experts"), 0, minimum=0)  # Kimi Linear: num_shared_experts
        # transformers builds the shared experts as one MLP of width moe_intermediate_size * n_shared_experts
        shared = MlpSpec(width * n_shared, gated=True, bias=mlp_bias, activation=act) if n_shared else None
        # DeepSeek-V3's sigmoid router carries a per-expert score-correction bias (a buffer in transformers)
        score_bias = c.str("topk_method", "noaux_tc") == "noaux_tc" and c.str("scoring_func", "sigmoid") == "sigmoid"
        routed = c.int(("n_routed_experts", "num_experts"))
        top_k = c.int("num_experts_per_tok", routed) if top_k_optional else c.int("num_experts_per_tok")
        # the routed experts are stacked parameters without biases (DeepseekV2Experts / DeepseekV3NaiveMoe);
        # mlp_bias gives the dense and shared MLPs theirs
        return MoeSpec(num_experts=routed, top_k=top_k,
                       expert=MlpSpec(width, gated=True, activation=act),
                       shared=shared, num_shared_experts=n_shared, score_correction_bias=score_bias)
    raise AssertionError(kind)


def decoder_spec(c: Cfg, model_type: str, *, name: str, architecture: str, head: str = "lm",
                 traits: Traits | None = None, warnings: tuple[str, ...] = (),
                 stack_name: str = "decoder") -> ModelSpec:
    t = traits or FAMILIES[model_type]
    if t.defaults:  # only where the file states neither the key nor another name of it (attribute_map)
        c = c.with_data({**{k: v for k, v in t.defaults if not any(n in c.data for n in c._names(k))}, **c.data})
    hidden = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    heads = c.int("num_attention_heads")
    kv_heads = c.int("num_key_value_heads", heads)
    for key in t.required:
        if not c.has(key):
            raise ConfigError(f"{c.origin}: {c.prefix}{key}: required field is missing (transformers' {model_type} "
                              "modeling code needs it and its config class default is None)")
    if t.head_dim_from_hidden:  # CohereCompassTextConfig.__post_init__ sets head_dim = hidden // heads
        c.touch("head_dim")
        head_dim = hidden // heads
    elif c.has("head_dim") and not t.mla:
        head_dim = c.int("head_dim")
    elif t.head_dim_default is not None and not t.mla:
        head_dim = t.head_dim_default
    else:
        if hidden % heads and not t.mla:  # transformers' attention classes floor the division
            warnings = warnings + (f"head_dim is not stated and hidden_size {hidden} is not divisible by "
                                   f"num_attention_heads {heads}; head_dim = {hidden // heads} (floored, as "
                                   "transformers' attention classes compute it)",)
        head_dim = hidden // heads
    vocab = c.int("vocab_size")
    act = c.str("hidden_act", t.activation) or t.activation
    qkv_bias = _flag(c, t.qkv_bias, model_type)
    o_bias = _flag(c, t.o_bias, model_type)
    mlp_bias = _flag(c, t.mlp_bias, model_type)

    mla = {}
    if t.mla:
        nope, rope = c.int("qk_nope_head_dim"), c.int("qk_rope_head_dim")
        mla = dict(q_lora_rank=c.opt_int("q_lora_rank"), kv_lora_rank=c.int("kv_lora_rank"),
                   qk_nope_head_dim=nope, qk_rope_head_dim=rope, v_head_dim=c.int("v_head_dim"))
        head_dim = nope + rope
        kv_heads = heads  # MLA expands the latent to per-head K/V

    for flag in t.unsupported_flags:
        if c.bool(flag, False):
            raise UnsupportedArchitectureError(f"{c.origin}: {c.prefix}{flag}=true is not described for {model_type}")
    stated = {k: c.raw(k) for k in t.undescribed if c.raw(k)}
    if stated:
        warnings = warnings + (f"{', '.join(f'{k}={v}' for k, v in stated.items())}: the checkpoint stores modules "
                               "transformers does not build and paramscope does not describe; they are not counted",)
    qk_norm = t.qk_norm
    if t.qk_norm_flag is not None:  # the flag switches the family's kind of q/k norm on or off
        qk_norm = t.qk_norm if c.bool(t.qk_norm_flag, False) else "none"
    parallel = _flag(c, t.parallel, model_type)
    norm_roles = t.norms[:1] if parallel else t.norms
    if t.flag_norms is not None and c.bool(t.flag_norms[0], True):
        norm_roles = tuple(sorted(norm_roles + t.flag_norms[1], key=_SANDWICH.index))
    widths = {"hidden": hidden, "intermediate": c.int("intermediate_size") if t.layer_extra else 0,
              "one": 1, "attn": heads * head_dim, "head_dim": head_dim, "heads": heads}
    windows = _windows(c, n, t)
    head_gate = _flag(c, t.head_gate, model_type)
    indexer = {}
    own_indexer = [True] * n
    if t.indexed:
        indexer = dict(index_topk=c.int("index_topk"), index_heads=c.int("index_n_heads"),
                       index_head_dim=c.int("index_head_dim"))
        own_indexer = _indexer_layers(c, n)
    moe_flags = _moe_layers(c, n, t.moe, t.dense_prefix_default) if t.moe else [False] * n
    norms = tuple(_norm(t, r, hidden) for r in norm_roles)
    dense = MlpSpec(_FFN_WIDTH[t.ffn_width](c) if t.ffn_width else c.int("intermediate_size"), gated=t.gated, bias=mlp_bias, fused_gate_up=t.fused_gate_up,
                    activation=act) if not all(moe_flags) else None
    if dense is None and t.moe not in ("mixtral", "gpt_oss", "llama4", "hunyuan", "cohere2_moe", "lfm2_moe", "aria"):
        c.touch("intermediate_size")  # the dense width of a model whose every layer is routed: unused
    if dense is None and t.ffn_width:
        _FFN_WIDTH[t.ffn_width](c)  # likewise: read, unused
    moe = _moe_spec(c, t.moe, hidden, mlp_bias, act, t.moe_shared, t.top_k_optional, t.shared_gate,
                    t.score_bias_buffer) if any(moe_flags) else None
    if moe is not None and t.top_k_optional and c.raw("num_experts_per_tok") is None:
        warnings = warnings + ("num_experts_per_tok is not set (the config class's default None: transformers "
                               "builds every expert but its router cannot pick any); the stored parameters are "
                               f"exact, active parameters and FLOPs count all {moe.num_experts} routed experts "
                               "(an upper bound)",)
    if t.moe and moe is None:  # a family's expert keys are inert when it routes no layer
        c.touch(*_MOE_KEYS)

    linear = _linear_mixer(c, t, hidden, LINEAR in windows or t.linear_pattern == "parallel")
    cache: dict[tuple, LayerSpec] = {}
    layers = []
    for i in range(n):
        key = (windows[i], moe_flags[i], own_indexer[i])
        layer = cache.get(key)
        if layer is None and t.linear_pattern == "parallel":  # FalconH1DecoderLayer: attention + Mamba-2 + MLP
            attn = AttentionSpec(num_heads=heads, num_kv_heads=kv_heads, head_dim=head_dim, qkv_bias=qkv_bias,
                                 o_bias=o_bias, window=windows[i])
            layer = LayerSpec(attention=attn, recurrent=linear, ffn=moe if moe_flags[i] else dense, norms=norms)
            cache[key] = layer
        if layer is None and windows[i] == LINEAR:
            layer = LayerSpec(recurrent=linear, ffn=moe if moe_flags[i] else dense, norms=norms)
            cache[key] = layer
        if layer is None:
            attn = AttentionSpec(output_gate=t.attn_output_gate, chunked=t.chunked and windows[i] is not None,
                                 **(indexer if own_indexer[i] else _no_indexer(indexer)), num_heads=heads, num_kv_heads=kv_heads, head_dim=head_dim, qkv_bias=qkv_bias,
                                 o_bias=o_bias, fused_qkv=t.fused_qkv, qk_norm=qk_norm, sinks=t.sinks,
                                 window=windows[i], **mla)
            extra = _layer_extra(t, widths)
            if head_gate:
                extra += (ExtraTensor("attn.g_proj.weight", "attn_o", (heads, hidden)),)
            if moe_flags[i] and t.moe == "ernie":  # Ernie4_5_MoeStatics: a learned [1, experts] parameter
                extra = (ExtraTensor("mlp.gate.moe_statics.e_score_correction_bias", "router", (1, moe.num_experts)),)
            if moe_flags[i] and t.moe_out_norm:
                extra += (ExtraTensor("mlp.post_mlp_layernorm.weight", "norm_mlp_out", (hidden,)),)
            layer = LayerSpec(attention=attn, ffn=moe if moe_flags[i] else dense, norms=norms, extra=extra,
                              parallel=parallel)
            cache[key] = layer
        layers.append(layer)

    stacks = [StackSpec(stack_name, hidden, tuple(layers),
                        final_norm=_norm(t, "norm_final", hidden) if t.final_norm else None)]
    n_mtp = c.int("num_nextn_predict_layers", 0, minimum=0) if t.mla or t.mtp else 0
    if n_mtp:
        stacks.append(_mtp_stack(c, hidden, vocab, layers[-1], n_mtp))
    tied = c.bool("tie_word_embeddings", t.tie_default)
    return ModelSpec(
        name=name,
        architecture=architecture,
        model_type=model_type,
        hidden_size=hidden,
        embedding=EmbeddingSpec(vocab_size=vocab, width=hidden, tied_head=tied and head == "lm"),
        stacks=tuple(stacks),
        head=HeadSpec(kind=head, bias=head == "lm" and _flag(c, t.lm_head_bias, model_type)),
        max_context=c.opt_int("max_position_embeddings"),
        dtype=c.str("torch_dtype") or c.str("dtype"),
        quantization=c.raw("quantization_config"),
        warnings=warnings,
    )


def _lfm2_width(c: Cfg) -> int:
    """Lfm2MLP: with block_auto_adjust_ff_dim, int(2/3 x intermediate_size), then, unless
    block_ffn_dim_multiplier is null (class default 1.0), int(multiplier x that) rounded up to a multiple
    of block_multiple_of."""
    width = c.int("intermediate_size")
    multiple = c.int("block_multiple_of", 256)
    explicit_null = c.present("block_ffn_dim_multiplier") and c.raw("block_ffn_dim_multiplier") is None
    mult = c.float("block_ffn_dim_multiplier", 1.0)
    if not c.bool("block_auto_adjust_ff_dim", True):
        return width
    width = int(2 * width / 3)
    if explicit_null:
        return width
    width = int(mult * width)
    return multiple * ((width + multiple - 1) // multiple)


_FFN_WIDTH = {"lfm2": _lfm2_width,
              # Cohere2MoeMLP of the dense prefix layers: prefix_dense_intermediate_size, else intermediate_size
              "cohere2_moe": lambda c: c.int("prefix_dense_intermediate_size", None) or c.int("intermediate_size"),
              # GraniteMoeHybrid without experts: the shared MLP (shared_intermediate_size) is the layer's MLP
              "granite_shared": lambda c: (c.touch("intermediate_size"), c.int("shared_intermediate_size"))[1],
              # Llama4TextMLP of the dense layers: intermediate_size_mlp (the experts use intermediate_size)
              "llama4": lambda c: c.int("intermediate_size_mlp")}


def _linear_mixer(c: Cfg, t: Traits, hidden: int, used: bool):
    """The family's linear-time mixer. Its keys are the family's own, so they are read even when no layer
    uses the mixer (a config of attention layers only still states them); a mixer that cannot be built
    from them matters only when some layer uses it."""
    if t.linear is None:
        return None
    try:
        return MIXERS[t.linear](c, hidden)
    except ConfigError:
        if used:
            raise
        return None


def _norm(t: Traits, role: str, width: int, c: Cfg | None = None) -> NormSpec:
    if t.norm_kind == "layernorm":
        return NormSpec(role, width, bias=True, kind="layernorm")
    if t.norm_kind == "layernorm_nobias":  # Cohere's LayerNorm: a weight, no bias
        return NormSpec(role, width, bias=False, kind="layernorm")
    return NormSpec(role, width)


def _layer_extra(t: Traits, widths: dict[str, int]) -> tuple[ExtraTensor, ...]:
    """Per-layer tensors a family adds to the Llama layout (BitNet's sub-norms, Apertus' xIELU scalars, Beam's
    attention gate); a width key, or a tuple of them for a matrix."""
    return tuple(ExtraTensor(name, role, tuple(widths[k] for k in ((w,) if isinstance(w, str) else w)))
                 for name, role, w in t.layer_extra)


def _mtp_stack(c: Cfg, hidden: int, vocab: int, last_layer: LayerSpec, n: int) -> StackSpec:
    """DeepSeek-V3 multi-token prediction modules (report section 2.2). In the released checkpoint each
    module (``model.layers.<num_hidden_layers + k>``) holds its own copy of the embedding and output head,
    two RMSNorms (enorm, hnorm), a projection [hidden, 2 * hidden], one full decoder layer and a final
    norm (shared_head.norm). transformers does not build them, so they are reported apart and never
    counted in `total`."""
    extra = (
        ExtraTensor("embed.weight", "embed", (vocab, hidden)),
        ExtraTensor("enorm.weight", "norm_embed", (hidden,)),
        ExtraTensor("hnorm.weight", "norm_embed", (hidden,)),
        ExtraTensor("eh_proj.weight", "other", (hidden, 2 * hidden)),
        ExtraTensor("head_norm.weight", "norm_final", (hidden,)),
        ExtraTensor("head.weight", "lm_head", (vocab, hidden)),
    )
    module = replace(last_layer, extra=last_layer.extra + extra)
    return StackSpec("mtp", hidden, (module,) * n, component="mtp", in_total=False)
