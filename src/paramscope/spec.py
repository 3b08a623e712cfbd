"""The normalized architecture description every source produces and every analysis reads.

A :class:`ModelSpec` is a frozen tree: embedding -> stacks of layers -> head. Layers may differ
(sliding vs global attention, dense vs MoE feed-forward, attention vs SSM mixer), so a stack holds
one :class:`LayerSpec` per layer; adapters reuse one object for identical layers, which keeps the
inventory compact. Fields stated by a source are never re-derived (``head_dim`` is not assumed to be
``hidden_size / num_heads``).

Validation happens here, once: every count must be a positive int, heads must divide into KV groups,
and so on. Violations raise :class:`~paramscope.errors.ConfigError` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .errors import ConfigError, UnsupportedArchitectureError

# Absurd-size guard: no real dimension is this large; a hostile or corrupt file would be.
MAX_DIM = 2**31
MAX_LAYERS = 100_000


def check_dim(value, what: str, *, minimum: int = 1, maximum: int = MAX_DIM) -> int:
    """Validate one integer dimension; ``what`` names the field in the error message."""
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise ConfigError(f"{what}: expected an integer, got {value!r}")
    if value < minimum:
        raise ConfigError(f"{what}: expected an integer >= {minimum}, got {value}")
    if value > maximum:
        raise ConfigError(f"{what}: {value} is absurdly large (limit {maximum})")
    return value


NormKind = Literal["rmsnorm", "layernorm"]


@dataclass(frozen=True, slots=True)
class NormSpec:
    """One normalization layer: ``width`` scale parameters (+ ``width`` biases for LayerNorm with bias)."""

    role: str
    width: int
    bias: bool = False
    kind: NormKind = "rmsnorm"

    def __post_init__(self):
        check_dim(self.width, f"norm {self.role} width")


@dataclass(frozen=True, slots=True)
class ExtraTensor:
    """A tensor outside the regular layer pattern (patch embeddings, gates, projector matrices)."""

    name: str
    role: str
    shape: tuple[int, ...]
    # stored but used by no token (LongCat-Flash's gate_up rows that transformers allocates for its identity
    # experts): in the total and in memory, never in the active parameters or FLOPs
    idle: bool = False

    def __post_init__(self):
        for i, d in enumerate(self.shape):
            check_dim(d, f"{self.name} shape[{i}]")


@dataclass(frozen=True, slots=True)
class KvCompressorSpec:
    """A KV compressor beside a sliding-window attention (DeepSeek-V4, transformers
    deepseek_v4/modeling_deepseek_v4.py: DeepseekV4HCACompressor, DeepseekV4CSACompressor, DeepseekV4Indexer).

    It projects every token to `width` values and a gate of the same width (two series, 2 x width each, with
    ``overlap``: CSA's windows of 2 x rate tokens at stride rate) and pools each complete window of `rate`
    tokens into one cached entry of `width`. ``score_heads`` = 0: the entries are appended to the attention's
    keys/values (at most ``topk`` of them per query when an indexer picks them); > 0: the entries are an
    indexer's keys, each scored by score_heads heads of `width`.

    transformers' cache (DeepseekV4HCACache / DeepseekV4CSACache) keeps per sequence: the entries so far
    (tokens // rate x width), the projections and gates of the incomplete window (tokens % rate x 2 x the
    projection width) and, with ``overlap``, the previous window's first series and its gate (rate x width
    each) once a window has closed; all in the model's dtype but that gate, float32 (it has position_bias
    added, which from_pretrained keeps in float32: DeepseekV4PreTrainedModel._keep_in_fp32_modules_strict).
    """

    rate: int
    width: int
    overlap: bool = False
    topk: int | None = None
    score_heads: int = 0

    def __post_init__(self):
        check_dim(self.rate, "compress rate")
        check_dim(self.width, "compressor width")
        if self.topk is not None:
            check_dim(self.topk, "index_topk")
        check_dim(self.score_heads, "indexer heads", minimum=0)


@dataclass(frozen=True, slots=True)
class AttentionSpec:
    """Self- or cross-attention.

    MHA: num_kv_heads == num_heads; MQA: num_kv_heads == 1; GQA: in between.
    MLA (DeepSeek-V2/V3) when ``kv_lora_rank`` is set: then ``head_dim`` = qk_nope + qk_rope and the
    per-token cache is a latent of kv_lora_rank + qk_rope_head_dim.
    """

    num_heads: int
    num_kv_heads: int
    head_dim: int  # query/key width per head
    v_head_dim: int | None = None  # None: same as head_dim
    qkv_bias: bool = False
    o_bias: bool = False
    fused_qkv: bool = False  # one stored q/k/v matrix (GPT-2, Phi-3, Falcon)
    qk_norm: Literal["none", "head", "full"] = "none"  # head: per-head width (Qwen3, Gemma 3); full: all heads (OLMo 2)
    sinks: bool = False  # learned per-head sink logit (gpt-oss)
    window: int | None = None  # sliding-window length in tokens; None = global attention
    cross: bool = False  # keys/values come from another sequence (encoder output, image)
    rel_bias_buckets: int = 0  # T5: this layer owns a relative-position bias table [buckets, heads]
    # MLA
    q_lora_rank: int | None = None
    kv_lora_rank: int | None = None
    qk_rope_head_dim: int = 0
    qk_nope_head_dim: int = 0
    kv_input_width: int | None = None  # cross-attention: width of the keys' source (None = hidden)
    output_gate: bool = False  # q_proj also produces a per-channel sigmoid gate on the output (Qwen3-Next)
    # window is a chunk: a query attends only to keys of its own chunk of `window` tokens (Llama 4's chunked
    # local attention) instead of the `window` keys before it; caches keep up to `window` keys either way
    chunked: bool = False
    # indexed sparse attention (DeepSeek-V3.2 DSA): a lightning indexer of index_heads x index_head_dim
    # scores every cached token and the attention reads only the index_topk best; the cache keeps all
    # tokens plus one index_head_dim indexer key per token
    index_topk: int | None = None
    index_heads: int = 0
    index_head_dim: int = 0
    # QSA (Qwen4-Exp's Qwen4ExpTextQSAIndexer, transformers qwen4_exp/modeling_qwen4_exp.py): the indexer's cached
    # keys are mean-pooled over complete blocks of index_block tokens, whole blocks are picked (index_topk tokens
    # at most) and the incomplete last block is always read; it stores one fused q/k projection
    # [(index_heads + 1) x index_head_dim, hidden] and RMSNorms on q and on the pooled keys. 0 = DeepSeek-V3.2's
    # per-token lightning indexer
    index_block: int = 0
    # int64 position ids per token and sequence that this layer's cache also keeps (Qwen4-Exp's first indexed
    # layer holds the 3 mrope position rows all indexers read: DynamicIndexedLayer.indexer_position_ids); 0 = none
    cached_position_ids: int = 0
    # the layer reads the K/V another layer cached (Gemma 3n's last num_kv_shared_layers): it stores no
    # k/v projections and keeps no cache of its own
    kv_shared: bool = False
    # width of the attention's input when it is not the stack's hidden width (Zamba's shared block reads
    # concat(hidden state, original embedding): 2 x hidden); None = the stack's hidden width
    input_width: int | None = None
    # mixture of attention heads (JetMoE's MoA): q and o projections are `experts` routed experts, each of
    # num_kv_heads x head_dim (one fused k/v projection is shared); a token runs num_heads / num_kv_heads of
    # them, so it has num_heads query heads over num_kv_heads cached K/V heads. 0 = ordinary attention
    experts: int = 0
    # the values are the key projection's output (Gemma 4's attention_k_eq_v global layers): no v projection,
    # while the cache still keeps keys and values apart
    values_from_keys: bool = False
    # the value projection is stored with the layer's mixer, not here (ZAYA's CCA, zaya/modeling_zaya.py
    # ZayaCCAProjection: v_proj_current and v_proj_delayed, half of each value head each); the cache keeps
    # values as usual
    v_in_mixer: bool = False
    # MLA whose q up-projection reads [q latent, its normed copy] and also emits a per-channel output gate
    # (A.X K2's q_gate_proj [heads x (head_dim + v_head_dim), 2 x q_lora_rank], in place of q_b_proj)
    q_gate: bool = False
    # q, k, v and o are pointwise (kernel 1) Conv1d with these channel groups (SqueezeBERT's query / key / value
    # and post_attention convolutions, squeezebert/modeling_squeezebert.py): block-diagonal projections stored as
    # [out, in / groups, 1] with a bias; None = ordinary dense projections
    proj_groups: tuple[int, int, int, int] | None = None
    # ConvBERT's mixed attention (convbert/modeling_convbert.py, ConvBertSelfAttention): beside the num_heads
    # self-attention heads, as many span-based dynamic convolution heads of head_dim with this kernel. Each layer
    # then also stores key_conv_attn_layer (a separable Conv1d: depthwise [hidden, 1, kernel] without bias,
    # pointwise [heads x head_dim, hidden, 1] without bias, a bias of heads x head_dim), conv_kernel_layer
    # (Linear heads x head_dim -> heads x kernel) and conv_out_layer (Linear hidden -> heads x head_dim), and the
    # output projection reads both halves concatenated: 2 x heads x head_dim. 0 = no convolution heads
    span_conv_kernel: int = 0
    # width of the values' source when it differs from the keys' (MobileBERT with key_query_shared_bottleneck:
    # q and k read a bottleneck of intra_bottleneck_size, v the full hidden state); None = the keys' source
    v_input_width: int | None = None
    # a cross-attention merged into the layer's self-attention (T5Gemma 2, t5gemma2/modeling_t5gemma2.py,
    # T5Gemma2MergedAttention): the encoder states go through the self-attention's own k/v projections and k norm
    # and the decoder's queries attend to [own keys, encoder keys] in one softmax. It stores no tensors of its own;
    # its cache holds the encoder tokens' keys and values like any cross-attention's
    merged: bool = False

    # DeepSeek-V4 (deepseek_v4/modeling_deepseek_v4.py, DeepseekV4Attention): the adapter lists the attention's
    # stored tensors (a q LoRA without a kv LoRA, one key projection whose keys are also the values, a grouped
    # low-rank output projection, KV compressors) in place of the layouts above; () = the layouts above
    tensors: tuple[ExtraTensor, ...] = ()
    # KV compressors beside the sliding-window cache (KvCompressorSpec): their entries add to what is cached
    # and attended; () = none
    compressors: tuple[KvCompressorSpec, ...] = ()
    # the cache keeps one tensor as both keys and values (DeepseekV4HCACache.update: values = keys)
    kv_cached_once: bool = False

    def __post_init__(self):
        check_dim(self.num_heads, "num_attention_heads")
        if self.merged and not self.cross:
            raise ConfigError("a merged attention is a cross-attention that reuses the self-attention's projections")
        if self.v_input_width is not None:
            check_dim(self.v_input_width, "value input width")
            if (self.fused_qkv or self.kv_lora_rank is not None or self.experts or self.proj_groups is not None
                    or self.kv_shared or self.values_from_keys):
                raise ConfigError("a value input width of its own is described for separate q/k/v projections only")
        if self.span_conv_kernel:
            check_dim(self.span_conv_kernel, "span convolution kernel")
            if (self.fused_qkv or self.kv_lora_rank is not None or self.experts or self.output_gate or self.cross
                    or self.proj_groups is not None or self.kv_shared or self.values_from_keys):
                raise ConfigError("span-based convolution heads are described for separate q/k/v self-attention only")
            if self.num_kv_heads != self.num_heads or self.v_dim != self.head_dim:
                raise ConfigError("span-based convolution heads need as many key/value heads as query heads")
        if self.proj_groups is not None:
            if self.fused_qkv or self.kv_lora_rank is not None or self.experts or self.output_gate:
                raise ConfigError("grouped q/k/v/o convolutions are described for separate q/k/v projections only")
            width = self.num_heads * self.head_dim
            if self.num_kv_heads != self.num_heads or self.v_dim != self.head_dim:
                raise ConfigError("grouped q/k/v/o convolutions need as many key/value heads as query heads")
            for g, what in zip(self.proj_groups, ("q", "k", "v", "o")):
                check_dim(g, f"{what} groups")
                if width % g:
                    raise ConfigError(f"{what} groups {g} do not divide the attention width {width}")
        if self.input_width is not None:
            check_dim(self.input_width, "attention input width")
            if self.fused_qkv or self.kv_lora_rank is not None:
                raise ConfigError("an attention input width other than hidden is described for separate q/k/v only")
        if self.q_gate and self.q_lora_rank is None:
            raise ConfigError("an MLA q gate needs a q LoRA (q_lora_rank)")
        if self.values_from_keys and (self.fused_qkv or self.kv_lora_rank is not None or self.v_dim != self.head_dim):
            raise ConfigError("values taken from the keys need separate q/k projections and v_head_dim == head_dim")
        if self.experts:
            check_dim(self.experts, "attention experts")
            if self.num_heads // self.num_kv_heads > self.experts:
                raise ConfigError(f"attention experts: {self.num_heads // self.num_kv_heads} per token exceed the "
                                  f"{self.experts} experts")
            if self.fused_qkv or self.kv_lora_rank is not None or self.output_gate or self.v_head_dim is not None:
                raise ConfigError("attention experts are described for a separate k/v of head_dim only")
        check_dim(self.num_kv_heads, "num_key_value_heads")
        check_dim(self.head_dim, "head_dim")
        if self.v_head_dim is not None:
            check_dim(self.v_head_dim, "v_head_dim")
        if self.kv_lora_rank is None and self.num_heads % self.num_kv_heads:
            raise ConfigError(
                f"num_attention_heads ({self.num_heads}) is not a multiple of "
                f"num_key_value_heads ({self.num_kv_heads})"
            )
        if self.window is not None:
            check_dim(self.window, "sliding_window")
        if self.kv_lora_rank is not None:
            check_dim(self.kv_lora_rank, "kv_lora_rank")
            check_dim(self.qk_rope_head_dim, "qk_rope_head_dim")
            if self.q_lora_rank is not None:
                check_dim(self.q_lora_rank, "q_lora_rank")
            if self.qk_nope_head_dim + self.qk_rope_head_dim != self.head_dim:
                raise ConfigError(
                    f"MLA head_dim {self.head_dim} != qk_nope_head_dim {self.qk_nope_head_dim} + "
                    f"qk_rope_head_dim {self.qk_rope_head_dim}"
                )

    @property
    def v_dim(self) -> int:
        return self.v_head_dim if self.v_head_dim is not None else self.head_dim

    @property
    def kind(self) -> str:
        if self.kv_lora_rank is not None:
            return "mla"
        if self.num_kv_heads == self.num_heads:
            return "mha"
        if self.num_kv_heads == 1:
            return "mqa"
        return "gqa"


@dataclass(frozen=True, slots=True)
class MlpSpec:
    """Dense feed-forward: gated (SwiGLU/GeGLU: gate, up, down) or plain (up, down)."""

    intermediate_size: int
    gated: bool
    bias: bool = False
    fused_gate_up: bool = False
    activation: str = "silu"
    # up and down are pointwise (kernel 1) Conv1d with these channel groups (SqueezeBERT's intermediate and
    # output convolutions): block-diagonal, stored as [out, in / groups, 1]; None = dense Linear layers
    conv_groups: tuple[int, int] | None = None
    # up and down are grouped linear layers with this many groups (ConvBERT's GroupedLinearLayer, used when
    # num_groups > 1): block-diagonal, stored as weight [groups, in / groups, out / groups] (x @ W per group) and
    # bias [out]; the inventory's logical shape is [groups, out / groups, in / groups]. 1 = dense Linear layers
    linear_groups: int = 1

    def __post_init__(self):
        check_dim(self.intermediate_size, "intermediate_size")
        check_dim(self.linear_groups, "feed-forward linear groups")
        if self.linear_groups > 1:
            if self.gated or self.conv_groups is not None:
                raise ConfigError("grouped feed-forward linear layers are described for plain (up, down) MLPs only")
            if self.intermediate_size % self.linear_groups:
                raise ConfigError(f"feed-forward groups {self.linear_groups} do not divide intermediate_size "
                                  f"{self.intermediate_size}")
        if self.fused_gate_up and not self.gated:
            raise ConfigError("fused gate_up requires a gated MLP")
        if self.conv_groups is not None:
            if self.gated:
                raise ConfigError("grouped feed-forward convolutions are described for plain (up, down) MLPs only")
            for g in self.conv_groups:
                check_dim(g, "feed-forward groups")
                if self.intermediate_size % g:
                    raise ConfigError(f"feed-forward groups {g} do not divide intermediate_size {self.intermediate_size}")


@dataclass(frozen=True, slots=True)
class MoeSpec:
    """Mixture of experts: a router picks ``top_k`` of ``num_experts`` routed experts per token;
    ``shared`` (if any) runs for every token. ``shared`` holds all shared experts as transformers
    builds them (one MLP of n_shared x expert width for DeepSeek)."""

    num_experts: int
    top_k: int
    expert: MlpSpec
    shared: MlpSpec | None = None
    num_shared_experts: int = 0
    shared_expert_gate: bool = False  # Qwen2-MoE: sigmoid gate [1, hidden] on the shared expert
    router_bias: bool = False
    score_correction_bias: bool = False  # DeepSeek-V3 e_score_correction_bias (a buffer in transformers)
    stacked: bool = False  # checkpoint stores experts as 3-D tensors (gpt-oss) rather than one per expert
    # identity ("zero-computation") experts the router may also pick (LongCat-Flash): no parameters, no FLOPs;
    # the router scores num_experts + zero_experts choices, and top_k counts them, so a token runs at most top_k
    # routed experts
    zero_experts: int = 0
    # width the router's scoring Linear reads when it is not the hidden width (ZAYA's router: a down projection and
    # an MLP, listed by the adapter, before out_proj [experts + 1, router_hidden_size]); None = hidden
    router_input_width: int | None = None
    # the router also scores the shared experts (Inkling's shared_expert_sink, inkling/modeling_inkling.py
    # InklingTopkRouter: weight [routed + shared, hidden]); the top_k are picked among the routed ones only
    router_shared_rows: int = 0

    def __post_init__(self):
        check_dim(self.num_experts, "num_experts")
        check_dim(self.router_shared_rows, "router rows for shared experts", minimum=0)
        check_dim(self.top_k, "num_experts_per_tok")
        if self.top_k > self.num_experts:
            raise ConfigError(
                f"num_experts_per_tok ({self.top_k}) exceeds the number of experts ({self.num_experts})"
            )


@dataclass(frozen=True, slots=True)
class SsmSpec:
    """Mamba (selective state-space) mixer, version 1 as in Mamba and Jamba."""

    d_inner: int
    d_state: int
    d_conv: int
    dt_rank: int
    conv_bias: bool = True
    proj_bias: bool = False
    inner_norms: bool = False  # Jamba: RMSNorms on dt, B and C

    def __post_init__(self):
        check_dim(self.d_inner, "mamba d_inner")
        check_dim(self.d_state, "mamba d_state")
        check_dim(self.d_conv, "mamba d_conv")
        check_dim(self.dt_rank, "mamba dt_rank")


@dataclass(frozen=True, slots=True)
class RecurrentSpec:
    """A token mixer whose per-sequence state does not grow with the context: Mamba-2 / SSD heads, gated
    DeltaNet (Qwen3-Next, Kimi Linear), lightning attention, short convolutions (LFM2), RWKV, ...

    The adapter lists the mixer's tensors (each with its role) and the size of the state it carries from
    one token to the next; every analysis asks this object (tensors, state, FLOPs, activations) and none
    branches on ``kind``, which only names the layer in reports.

    State per sequence: a causal depthwise convolution keeps ``conv_channels`` x (kernel, or kernel - 1 in
    engines that keep only the inputs the next step needs) values, and the recurrence keeps
    ``state_elements`` values. ``state_dtype`` says how transformers stores the recurrent state ("model":
    the model's dtype; "fp32": float32), as its cache class for the family does.
    """
    kind: str
    tensors: tuple[ExtraTensor, ...]
    conv_channels: int = 0
    conv_kernel: int = 0
    state_elements: int = 0
    state_dtype: str = "model"
    conv_keep: str = "kernel"  # what transformers' cache keeps of the convolution: "kernel" or "kernel-1" inputs
    # the dtype transformers keeps the convolution window in: "model", or "fp32" where the modeling code runs the
    # convolution in float32 (Inkling's InklingShortConvolution casts its input before update_conv_state)
    conv_dtype: str = "model"
    state_flops_per_token: int = 0  # FLOPs of the state update and read-out per token, besides matmuls
    activation_width: int = 0  # elements per token of the mixer's widest intermediate (activation memory)
    # further per-sequence state the layer's cache keeps beside the mixer's, as (elements, dtype) with dtype
    # "model" or "int64": Qwen4-Exp's per-layer embeddings keep a dilated convolution window and the last n-gram
    # token ids in the same cache layer (Qwen4ExpTextPLELayer, Qwen4ExpTextNGramEmbedding: conv states 1 and 2)
    more_state: tuple[tuple[int, str], ...] = ()

    def __post_init__(self):
        if not self.tensors:
            raise ConfigError(f"{self.kind} mixer: no tensors")
        check_dim(self.conv_channels, f"{self.kind} conv channels", minimum=0)
        check_dim(self.conv_kernel, f"{self.kind} conv kernel", minimum=0)
        check_dim(self.state_elements, f"{self.kind} state elements", minimum=0, maximum=2**48)
        if self.state_dtype not in ("model", "fp32") or self.conv_dtype not in ("model", "fp32"):
            raise ConfigError(f"{self.kind} mixer: state_dtype and conv_dtype must be 'model' or 'fp32'")
        for n, dt in self.more_state:
            check_dim(n, f"{self.kind} further state elements", minimum=0, maximum=2**48)
            if dt not in ("model", "int64"):
                raise ConfigError(f"{self.kind} mixer: a further state's dtype must be 'model' or 'int64'")


FeedForward = MlpSpec | MoeSpec


@dataclass(frozen=True, slots=True)
class LayerSpec:
    attention: AttentionSpec | None = None
    cross_attention: AttentionSpec | None = None
    ssm: SsmSpec | None = None
    recurrent: RecurrentSpec | None = None
    ffn: FeedForward | None = None
    norms: tuple[NormSpec, ...] = ()
    extra: tuple[ExtraTensor, ...] = ()
    parallel: bool = False  # attention and feed-forward read the same input (GPT-J, Falcon, PaLM)

    @property
    def is_moe(self) -> bool:
        return isinstance(self.ffn, MoeSpec)

    @property
    def mixer(self) -> str:
        if self.attention is not None:
            return "attention"
        if self.ssm is not None:
            return "ssm"
        if self.recurrent is not None:
            return self.recurrent.kind
        return "none"


@dataclass(frozen=True, slots=True)
class StackSpec:
    """A sequence of layers with its own final norm: a decoder, an encoder, a vision tower, MTP modules.

    ``shares[i]`` is the index of the layer whose weights layer ``i`` uses (ALBERT shares one layer
    across the stack); ``None`` means no sharing.

    A stack of shared blocks run *inside* another stack (Zamba's shared transformer block, applied between
    Mamba layers): ``inside`` names that stack and ``at_layers[i]`` is the layer of it before whose own
    mixer use ``i`` runs. Each use is one layer of this stack, ``shares`` maps it to the stored block, so
    the block's parameters count once while its FLOPs and its KV cache count at every use.
    """

    name: str
    hidden_size: int
    layers: tuple[LayerSpec, ...]
    component: str = "language"
    final_norm: NormSpec | None = None
    extra: tuple[ExtraTensor, ...] = ()
    shares: tuple[int, ...] | None = None
    causal: bool = True
    in_total: bool = True  # False for modules transformers does not build (DeepSeek-V3 MTP)
    inside: str | None = None  # a stack of shared blocks run within this other stack (see above)
    at_layers: tuple[int, ...] = ()  # with `inside`: the layer of that stack each use runs at

    def __post_init__(self):
        check_dim(self.hidden_size, f"{self.name} hidden_size")
        if self.inside is not None and len(self.at_layers) != len(self.layers):
            raise ConfigError(f"{self.name}: {len(self.at_layers)} depths given for {len(self.layers)} uses of a "
                              f"block run inside {self.inside}")
        check_dim(len(self.layers), f"{self.name} number of layers", minimum=0, maximum=MAX_LAYERS)
        if self.shares is not None:
            if len(self.shares) != len(self.layers):
                raise ConfigError(f"{self.name}: layer sharing map has {len(self.shares)} entries "
                                  f"for {len(self.layers)} layers")
            for i, j in enumerate(self.shares):
                if not 0 <= j <= i:
                    raise ConfigError(f"{self.name}: layer {i} cannot share the weights of layer {j}")
                if self.layers[i] != self.layers[j]:
                    raise ConfigError(f"{self.name}: layer {i} shares layer {j}'s weights but differs in shape")

    @property
    def num_layers(self) -> int:
        return len(self.layers)


@dataclass(frozen=True, slots=True)
class EmbeddingSpec:
    vocab_size: int
    width: int  # embedding width (ALBERT: embedding_size < hidden_size)
    tied_head: bool  # output head reuses the token embedding matrix
    position: Literal["rotary", "learned", "relative", "alibi", "none"] = "rotary"
    max_positions: int = 0  # rows of a learned position table
    token_types: int = 0  # BERT token-type (segment) embeddings
    norm: NormSpec | None = None  # BERT / ALBERT embedding LayerNorm
    project_to: int | None = None  # ALBERT: a linear map width -> hidden (with bias)

    def __post_init__(self):
        check_dim(self.vocab_size, "vocab_size")
        check_dim(self.width, "embedding width")
        if self.position == "learned":
            check_dim(self.max_positions, "max_position_embeddings")


@dataclass(frozen=True, slots=True)
class HeadSpec:
    """The output head. ``kind``: "lm" (a vocab projection), "mlm" (BERT-style transform + decoder),
    or "none" (a bare encoder)."""

    kind: Literal["lm", "mlm", "none"] = "lm"
    bias: bool = False  # output bias over the vocabulary
    transform_width: int | None = None  # MLM transform: dense hidden -> width (+ norm)
    transform_norm: NormSpec | None = None
    # the decoder matrix is narrower than the transform's output (MobileBERT's MobileBertLMPredictionHead: the
    # hidden-wide output is multiplied by [decoder (vocab x embedding_size, tied to the word embeddings), dense
    # (a separate vocab x (hidden - embedding_size) matrix)] concatenated); None = the transform width
    decoder_width: int | None = None
    pooler: bool = False  # BERT pooler dense [hidden, hidden] + bias

    def __post_init__(self):
        if self.decoder_width is not None:
            check_dim(self.decoder_width, "MLM decoder width")
            if self.kind != "mlm" or self.transform_width is None or self.decoder_width > self.transform_width:
                raise ConfigError("a decoder narrower than the MLM transform needs an MLM head at least that wide")


@dataclass(frozen=True, slots=True)
class ModelSpec:
    name: str
    architecture: str  # transformers class name (config.json architectures[0]) or a description
    model_type: str
    hidden_size: int
    embedding: EmbeddingSpec
    stacks: tuple[StackSpec, ...]
    head: HeadSpec = HeadSpec()
    max_context: int | None = None
    dtype: str | None = None  # checkpoint dtype (config torch_dtype / dtype)
    quantization: dict | None = field(default=None, compare=False, hash=False)
    extra: tuple[ExtraTensor, ...] = ()
    warnings: tuple[str, ...] = ()
    # why what a run costs (KV cache, FLOPs, speed) is not described for this architecture, when it is not (BLT's
    # global transformer runs once per patch, at a rate decided at run time): those analyses refuse with this reason,
    # the parameter counts stand. None = described
    runtime_unmodelled: str | None = None

    def __post_init__(self):
        check_dim(self.hidden_size, "hidden_size")
        if not self.stacks:
            raise ConfigError(f"{self.name}: a model needs at least one stack of layers")
        names = [s.name for s in self.stacks]
        if len(set(names)) != len(names):
            raise ConfigError(f"{self.name}: duplicate stack names {names}")
        if self.max_context is not None:
            check_dim(self.max_context, "max_position_embeddings")
        for s in self.stacks:
            if s.inside is not None:
                host = next((h for h in self.stacks if h.name == s.inside), None)
                if host is None or any(not 0 <= i < host.num_layers for i in s.at_layers):
                    raise ConfigError(f"{self.name}: stack {s.name} runs inside {s.inside!r} at layers "
                                      f"{list(s.at_layers)}, which it does not have")

    # -- convenience views used by analyses -------------------------------------------------------
    def require_runtime(self, what: str) -> None:
        """Refuse ``what`` (a KV cache, FLOPs, a speed) when this architecture's run is not described."""
        if self.runtime_unmodelled is not None:
            raise UnsupportedArchitectureError(f"{self.name}: {what}: {self.runtime_unmodelled}")

    def stack(self, name: str) -> StackSpec:
        for s in self.stacks:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def language_stacks(self) -> tuple[StackSpec, ...]:
        return tuple(s for s in self.stacks if s.component == "language")

    @property
    def num_layers(self) -> int:
        """Layers of the language model (encoder + decoder for encoder-decoder models)."""
        return sum(s.num_layers for s in self.language_stacks)

    @property
    def is_encoder_decoder(self) -> bool:
        names = {s.name for s in self.language_stacks}
        return "encoder" in names and "decoder" in names

    @property
    def is_moe(self) -> bool:
        return any(layer.is_moe for s in self.language_stacks for layer in s.layers)
