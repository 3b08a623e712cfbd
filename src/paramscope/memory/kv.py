"""Per-sequence state an inference engine keeps: attention K/V caches and SSM/conv states, layer by layer.

Layouts per engine (docs/engines.md has the sources; constants live in data/engines.toml):

- ``transformers`` (DynamicCache, 5.x): full-attention layers hold every token; sliding-window layers hold
  the last ``window - 1`` tokens (DynamicSlidingWindowLayer); MLA layers hold the latent (kv_lora_rank)
  and the rotary key (qk_rope_head_dim) as two one-head tensors; Mamba layers hold conv_states
  [d_inner, d_conv] and recurrent_states [d_inner, d_state]; all in the model's dtype.
- ``vllm`` (V1 paged KV cache): pages of ``block_size`` tokens; full attention holds cdiv(tokens, block)
  pages; sliding-window layers hold min(window - 1 + max_num_batched_tokens, tokens) tokens plus one page;
  MLA holds the latent + rotary key once (no K/V doubling; fp8_ds_mla is 656 bytes per token); KV heads
  are split over tensor-parallel ranks (replicated when tp exceeds the KV heads).
- ``llama.cpp``: n_ctx = batch x context padded to a multiple of n_ctx_pad (256); without a unified cache
  (the default) every sequence gets its own stream of n_ctx_seq = pad(n_ctx / batch) cells, with one
  stream of n_ctx cells; K and V rows quantized by their own cache types (f16 default; q8_0/q4_0 include
  block metadata); sliding-window layers get pad(min(n_ctx_seq, n_swa x (unified ? batch : 1) + n_ubatch))
  cells per stream unless swa_full; recurrent states are f32. Checked against llama.cpp itself
  (tests/test_llamacpp_oracle.py).

Factor 2 in "2 x n_kv x head_dim" is K and V; it is written out as (k_dim + v_dim) because K and V widths
may differ (MLA expanded, DeepSeek v_head_dim != qk dims).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..engines import DEFAULT_ENGINE, ENGINES, engine_const, get_engine
from ..errors import InputError
from ..spec import AttentionSpec, ModelSpec, RecurrentSpec
from .formats import dtype_bits

__all__ = ["ENGINES", "KvOptions", "KvReport", "LayerKv", "LlamaCppContext", "check_engine", "engine_const",
           "kv_cache", "llamacpp_context", "model_dtype"]


def check_engine(engine: str | None) -> str:
    """The engine's canonical name (aliases such as ``llamacpp`` or ``gguf`` accepted)."""
    return get_engine(engine).name


@dataclass(frozen=True)
class KvOptions:
    engine: str = DEFAULT_ENGINE
    dtype: str = "auto"  # auto = the engine's default (the model's compute dtype; f16 in llama.cpp); or bf16, fp16, fp8, int8, q8_0, ...
    v_dtype: str | None = None  # llama.cpp: a separate V cache type
    mla: str | None = None  # "latent" | "expanded"; None = the engine's layout
    block_size: int | None = None  # vLLM page size (tokens)
    max_num_batched_tokens: int | None = None  # vLLM scheduler budget (sliding-window allowance)
    tensor_parallel: int = 1
    swa_full: bool | None = None  # llama.cpp: full-size cache for sliding-window layers
    encoder_tokens: int | None = None  # encoder-decoder: tokens the cross-attention caches (default: context)
    kv_unified: bool | None = None  # llama.cpp: one stream for all sequences (None = the engine default, false)
    n_batch: int | None = None  # llama.cpp: logical batch (None = default 2048); caps n_ubatch
    n_ubatch: int | None = None  # llama.cpp: physical micro-batch (None = default 512); sizes the SWA cache
    n_ctx: int | None = None  # llama.cpp: cells for all sequences (None = batch x context)


@dataclass(frozen=True)
class LayerKv:
    stack: str
    layers: tuple[int, ...]
    kind: str  # full | sliding | mla | cross | ssm
    tokens: int  # tokens held per sequence (after the engine's window / paging policy)
    bytes_per_token: float  # per layer, per sequence
    state_bytes: int  # fixed per-sequence state (SSM), per layer
    bytes_per_sequence: int  # per layer

    def to_dict(self) -> dict:
        return {"stack": self.stack, "layers": list(self.layers), "kind": self.kind, "tokens": self.tokens,
                "bytes_per_token": self.bytes_per_token, "state_bytes": self.state_bytes,
                "bytes_per_sequence": self.bytes_per_sequence}


@dataclass(frozen=True)
class KvReport:
    engine: str
    dtype: str
    batch: int
    context: int
    layers: list[LayerKv]
    total_bytes: int
    per_sequence_bytes: int
    notes: list[str] = field(default_factory=list)

    @property
    def bytes_per_token(self) -> float:
        """Average bytes per cached token and sequence at this context (windows and states included)."""
        return self.per_sequence_bytes / self.context if self.context else 0.0

    def to_dict(self) -> dict:
        return {"engine": self.engine, "dtype": self.dtype, "batch": self.batch, "context": self.context,
                "kv_cache_bytes": self.total_bytes, "per_sequence_bytes": self.per_sequence_bytes,
                "bytes_per_token": self.bytes_per_token, "layers": [x.to_dict() for x in self.layers],
                "notes": list(self.notes)}


def model_dtype(spec: ModelSpec) -> str:
    d = (spec.dtype or "").lower()
    return {"float32": "fp32", "float16": "fp16", "bfloat16": "bf16"}.get(d, "bf16")


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


def _attention_widths(a: AttentionSpec, mla_layout: str, tp: int) -> tuple[int, int]:
    """Elements per token per layer cached for K and for V (per tensor-parallel rank)."""
    if a.kind == "mla":
        if mla_layout == "latent":
            return a.kv_lora_rank + a.qk_rope_head_dim, 0  # one latent "head", stored once
        heads = _cdiv(a.num_heads, tp)
        return heads * a.head_dim, heads * a.v_dim
    kv = max(1, _cdiv(a.num_kv_heads, tp)) if tp > 1 else a.num_kv_heads
    return kv * a.head_dim, kv * a.v_dim


def _recurrent_state_bytes(r: RecurrentSpec, policy, model_bits: float) -> int:
    """Bytes of one linear-time mixer's state for one sequence (RecurrentSpec): transformers keeps the
    whole convolution window [channels, kernel] in the model dtype and the recurrent state in the dtype its
    cache class uses for the family (``state_dtype``); vLLM and llama.cpp keep the last kernel - 1 inputs
    and the state in the dtypes engines.toml names."""
    if policy.state == "transformers":
        conv_bits = model_bits if r.conv_dtype == "model" else dtype_bits("fp32")
        conv_width = r.conv_kernel - (1 if r.conv_keep == "kernel-1" else 0)
        state_bits = model_bits if r.state_dtype == "model" else dtype_bits("fp32")
    else:
        state = policy.state_dtype
        conv_bits = state_bits = model_bits if state == "model" else dtype_bits(state)
        conv_width = max(r.conv_kernel - 1, 0)
    if r.more_state and policy.state != "transformers":
        from ..errors import UnsupportedArchitectureError
        raise UnsupportedArchitectureError(f"the {r.kind} layers' further cached state (Qwen4-Exp's per-layer "
                                           "embedding window and n-gram token ids) is described for engine "
                                           "transformers only (use --engine transformers)")
    more = sum(n * (64 if dt == "int64" else model_bits) for n, dt in r.more_state)
    return math.ceil((r.conv_channels * conv_width * conv_bits + r.state_elements * state_bits + more) / 8)


def _ssm_state_bytes(s, policy, model_bits: float) -> int:
    if isinstance(s, RecurrentSpec):
        return _recurrent_state_bytes(s, policy, model_bits)
    """Bytes of one layer's recurrent state for one sequence: the convolution window and the SSM state.

    transformers keeps conv_states [d_inner, d_conv] in the model dtype and recurrent_states
    [d_inner, d_state] in fp32 (modeling_mamba.py computes the scan in fp32); vLLM and llama.cpp keep the
    last d_conv - 1 inputs, in the dtypes engines.toml names."""
    if policy.state == "transformers":
        conv_bits, ssm_bits, conv_width = model_bits, dtype_bits("fp32"), s.d_conv
    else:
        state = policy.state_dtype
        conv_bits = ssm_bits = model_bits if state == "model" else dtype_bits(state)
        conv_width = s.d_conv - 1
    return math.ceil((s.d_inner * conv_width * conv_bits + s.d_inner * s.d_state * ssm_bits) / 8)


def _compressor_bytes(a: AttentionSpec, policy, context: int, bits: float) -> int:
    """Bytes per sequence of one layer's KV compressors (AttentionSpec.compressors, DeepSeek-V4) after `context`
    tokens, as transformers' DeepseekV4HCACache / DeepseekV4CSACache hold them (deepseek_v4/modeling_deepseek_v4.py):
    compressed_kv (context // rate entries of width), buffer_kv and buffer_gate (the context % rate tokens of the
    incomplete window, at the projection width: 2 x width with overlap) and, with overlap, overlap_kv and
    overlap_gate (rate x width each) once a window has closed; all in the model's dtype except overlap_gate, which
    is float32 (the gate plus position_bias, a parameter from_pretrained keeps in float32 through
    DeepseekV4PreTrainedModel._keep_in_fp32_modules_strict). Other engines' layouts of this cache are not
    described: refused."""
    if policy.state != "transformers":
        from ..errors import UnsupportedArchitectureError
        raise UnsupportedArchitectureError("the compressed KV cache of DeepSeek-V4's CSA/HCA attention is described "
                                           "for engine transformers only (use --engine transformers)")
    elements = fp32 = 0
    for c in a.compressors:
        proj = c.width * (2 if c.overlap else 1)
        elements += (context // c.rate) * c.width + 2 * (context % c.rate) * proj
        if c.overlap and context >= c.rate:
            elements += c.rate * c.width  # overlap_kv
            fp32 += c.rate * c.width  # overlap_gate
    return math.ceil((elements * bits + fp32 * dtype_bits("fp32")) / 8)


def kv_cache(spec: ModelSpec, *, batch: int, context: int, options: KvOptions = KvOptions()) -> KvReport:
    if batch < 1:
        raise InputError(f"batch must be >= 1, got {batch}")
    if context < 1:
        raise InputError(f"context must be >= 1 token, got {context}")
    spec.require_runtime("KV cache")
    profile = get_engine(options.engine)
    engine = profile.name
    policy = profile.kv_policy()
    tp = options.tensor_parallel
    if tp < 1:
        raise InputError(f"tensor parallel size must be >= 1, got {tp}")
    dtype = options.dtype
    if dtype == "auto":
        dtype = policy.default_dtype or model_dtype(spec)
    k_bits = dtype_bits(dtype)
    v_bits = dtype_bits(options.v_dtype) if options.v_dtype else k_bits
    mla_layout = options.mla or policy.mla_layout
    if mla_layout not in ("latent", "expanded"):
        raise InputError(f"MLA cache layout must be 'latent' or 'expanded', got {mla_layout!r}")
    notes: list[str] = []

    block = 1
    mnbt = 0
    if policy.paged_block is not None:
        block = options.block_size or policy.paged_block
    if policy.window == "in_flight":
        mnbt = options.max_num_batched_tokens or engine_const("vllm", "max_num_batched_tokens_default")
    n_ctx = context
    lc = None
    cells = policy.cells == "llama.cpp"
    if cells:
        lc = llamacpp_context(batch, context, options)
        n_ctx = lc.cells
    swa_full = options.swa_full if options.swa_full is not None else (
        engine_const("llama.cpp", "swa_full_default") if policy.window == "iswa" else False)
    enc_tokens = options.encoder_tokens or context

    groups, kinds = _state_groups(spec)

    layers_out: list[LayerKv] = []
    total_per_seq = 0
    for (stack_name, _, kind), idx in groups.items():
        payload = kinds[(stack_name, _, kind)]
        state_bytes = 0
        if kind == "ssm":
            state_bytes = _ssm_state_bytes(payload, policy, dtype_bits(model_dtype(spec)) if options.dtype == "auto"
                                           else k_bits)
            tokens, per_token = 0, 0.0
        else:
            a: AttentionSpec = payload
            kw, vw = _attention_widths(a, mla_layout, tp)
            if a.kv_cached_once:  # one tensor is the keys and the values (DeepseekV4HCACache.update)
                vw = 0
            per_token = (kw * k_bits + vw * v_bits) / 8
            if a.compressors:  # DeepSeek-V4's compressed entries and window buffers, per sequence
                state_bytes = _compressor_bytes(a, policy, context, k_bits)
            if a.index_heads:  # DSA: one indexer key of index_head_dim per token (DynamicIndexedLayer)
                per_token += a.index_head_dim * k_bits / 8
            per_token += a.cached_position_ids * 8  # int64 position ids kept with the cache (Qwen4-Exp's QSA)
            if (a.index_block or a.cached_position_ids) and policy.state != "transformers":
                from ..errors import UnsupportedArchitectureError
                raise UnsupportedArchitectureError("the cache of Qwen4-Exp's QSA attention (pooled-block indexer keys, "
                                                   "position ids) is described for engine transformers only (use "
                                                   "--engine transformers)")
            if policy.fp8_ds_mla_bytes is not None and a.kind == "mla" and dtype == "fp8_ds_mla":
                per_token = policy.fp8_ds_mla_bytes
            if kind == "cross":
                tokens = enc_tokens
            elif a.window is not None and not swa_full:
                kind = "sliding"
                tokens = lc.swa_cells(a.window) if lc else _window_tokens(policy.window, a.window, context, mnbt)
            elif a.kind == "mla":
                kind = "mla"
                tokens = n_ctx if cells else context
            else:
                tokens = n_ctx if cells else context
            if policy.paged_block is not None:
                pages = _cdiv(tokens, block) + (1 if kind == "sliding" else 0)
                tokens = pages * block
        per_layer_seq = math.ceil(tokens * per_token) + state_bytes
        if cells and kind != "ssm":
            per_layer_seq = math.ceil(tokens * per_token)  # already for all sequences; divided below
        layers_out.append(LayerKv(stack_name, tuple(idx), kind, tokens, per_token, state_bytes, per_layer_seq))

    if cells:
        # Attention caches are sized for all sequences at once (n_ctx tokens); states are per sequence.
        total = sum(x.bytes_per_sequence * len(x.layers) if x.kind != "ssm" else x.state_bytes * len(x.layers) * batch
                    for x in layers_out)
        per_seq = total // batch
        notes.append(f"llama.cpp allocates {lc.n_stream} x {lc.n_ctx_seq} = {lc.cells} cells (batch x context, "
                     f"padded to {lc.pad}; {'one unified stream' if lc.unified else 'one stream per sequence'})")
    else:
        per_seq = sum(x.bytes_per_sequence * len(x.layers) for x in layers_out)
        total = per_seq * batch
        total_per_seq = per_seq
    del total_per_seq
    if tp > 1:
        notes.append(f"per tensor-parallel rank (tp={tp}): KV heads are split, and replicated when tp exceeds them")
    return KvReport(engine, dtype, batch, context, layers_out, total, per_seq, notes)


def _layer_entries(layer):
    if layer.attention is not None and not layer.attention.kv_shared:  # a KV-sharing layer caches nothing
        yield ("full", layer.attention)
    if layer.cross_attention is not None:
        yield ("cross", layer.cross_attention)
    if layer.ssm is not None:
        yield ("ssm", layer.ssm)
    if layer.recurrent is not None:
        yield ("ssm", layer.recurrent)


_GROUPS: dict = {}  # id(spec) -> (spec, groups, kinds): the layers that keep state, grouped by what they keep


def _state_groups(spec: ModelSpec) -> tuple[dict, dict]:
    """(stack, payload, kind) -> layer indices, and -> payload, for the language stacks that keep per-token state;
    a function of the architecture alone, kept for the last few specs (a fit or a plan asks for many contexts and
    batches of one model)."""
    hit = _GROUPS.get(id(spec))
    if hit is not None and hit[0] is spec:
        return hit[1], hit[2]
    groups: dict[tuple, list[int]] = {}
    kinds: dict[tuple, tuple] = {}
    for stack in spec.stacks:
        if not stack.in_total or stack.component != "language" or not stack.causal:
            continue  # encoders and vision towers keep no per-token state; MTP modules are not run
        for i, layer in enumerate(stack.layers):
            for kind, payload in _layer_entries(layer):
                key = (stack.name, id(payload), kind)
                groups.setdefault(key, []).append(i)
                kinds[key] = payload
    if len(_GROUPS) >= 64:
        _GROUPS.clear()
    _GROUPS[id(spec)] = (spec, groups, kinds)
    return groups, kinds


def _window_tokens(rule: str, window: int, context: int, mnbt: int) -> int:
    if rule == "last":
        return min(context, window - 1)
    if rule == "full":  # the engine's pool keeps every token of a windowed layer (SGLang's default token pool)
        return context
    # vLLM SlidingWindowSpec.max_admission_blocks_per_request: window - 1 plus every token that can be in
    # flight (async scheduling keeps max_concurrent_batches batches of max_num_batched_tokens).
    in_flight = engine_const("vllm", "max_concurrent_batches_async_pp1") * mnbt
    return min(window - 1 + in_flight, context)


@dataclass(frozen=True)
class LlamaCppContext:
    """How llama.cpp sizes its KV cache for ``batch`` sequences of ``context`` tokens (n_ctx = batch x context).

    llama.cpp@0c1e57098 src/llama-context.cpp llama_context::llama_context: n_batch = min(n_ctx, n_batch)
    and n_ubatch = min(n_batch, n_ubatch) (before padding); n_ctx = GGML_PAD(n_ctx, 256); unified:
    n_ctx_seq = n_ctx, else n_ctx_seq = GGML_PAD(n_ctx / n_seq_max, 256) and n_ctx = n_ctx_seq x n_seq_max.
    src/llama-kv-cache.cpp: K/V tensors are [n_embd_gqa, kv_size = n_ctx_seq, n_stream], n_stream = unified ? 1
    : n_seq_max. src/llama-kv-cache-iswa.cpp: size_swa = GGML_PAD(min(size_base, n_swa x (unified ?
    n_seq_max : 1) + n_ubatch), 256) per stream, size_base if swa_full."""

    pad: int
    unified: bool
    n_seq_max: int
    n_stream: int
    n_ctx_seq: int
    n_ubatch: int

    @property
    def cells(self) -> int:
        return self.n_stream * self.n_ctx_seq

    def swa_cells(self, window: int) -> int:
        per_stream = min(self.n_ctx_seq, window * (self.n_seq_max if self.unified else 1) + self.n_ubatch)
        return self.n_stream * _cdiv(per_stream, self.pad) * self.pad


def llamacpp_context(batch: int, context: int, options: KvOptions = KvOptions()) -> LlamaCppContext:
    pad = engine_const("llama.cpp", "n_ctx_pad")
    unified = options.kv_unified if options.kv_unified is not None else engine_const("llama.cpp",
                                                                                     "kv_unified_default")
    requested = options.n_ctx or batch * context
    n_batch = min(requested, options.n_batch or engine_const("llama.cpp", "n_batch_default"))
    n_ubatch = min(n_batch, options.n_ubatch or engine_const("llama.cpp", "n_ubatch_default"))
    n_ctx = _cdiv(requested, pad) * pad
    if unified:
        return LlamaCppContext(pad, True, batch, 1, n_ctx, n_ubatch)
    n_ctx_seq = _cdiv(n_ctx // batch, pad) * pad
    return LlamaCppContext(pad, False, batch, batch, n_ctx_seq, n_ubatch)
