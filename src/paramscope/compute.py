"""FLOPs of a forward pass, per token and per phase, from the tensor inventory.

Conventions (one multiply-add = 2 FLOPs):

- Matrix FLOPs: 2 x the parameters of every weight matrix a token is multiplied by (Kaplan et al. 2020,
  arXiv 2001.08361, Table 1: C_forward ~ 2N). Embedding lookups are gathers, not matmuls (0 FLOPs); the LM
  head is a matmul. Routed experts count with the fraction a token activates (top_k / n_experts); shared
  experts always. Norms, biases, softmax and activations are elementwise and left out (they are O(d) per
  token against O(d^2)).
- Attention scores and values: per layer and per query token, 2 x n_heads x (d_qk + d_v) x attended
  tokens (QK^T and the weighted sum of V; Kaplan Table 1's 2 n_layer n_ctx d_attn with d_qk and d_v made
  explicit, so MLA's 192/128 head dims and GQA are exact). A causal prefill of P tokens attends
  sum_{t=1..P} t = P(P+1)/2 tokens in total, about half of P^2: the causal 1/2 that several tools drop.
  A sliding-window layer attends min(t, window) tokens.
- Training: 3 x forward (forward + backward, the backward costing two forwards; Kaplan §2.1,
  Narayanan et al. 2021 eq. 3 without recomputation): 6 x active matrix parameters x tokens plus 3 x the
  attention term at the training sequence length.
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import InputError

_NOT_MATMUL = frozenset({"embed", "pos_embed", "type_embed", "rel_bias", "attn_scale", "depth_query", "attn_compressor_bias"})


@dataclass(frozen=True)
class AttnLayer:
    heads: int
    d_qk: int
    d_v: int
    window: int | None
    chunked: bool = False
    index_score: int = 0  # indexer FLOPs per (query, cached token) pair: 2 x index heads x index head dim
    index_block: int = 0  # QSA: the indexer scores mean-pooled blocks of this many tokens (see _qsa_read_sum)


def matmul_params_per_token(model) -> float:
    """Parameters of the weight matrices one token is multiplied by (MoE: expected active share)."""
    if model.spec is not None:
        model.spec.require_runtime("FLOPs")
    total = 0.0
    for t in model.inventory.tensors:
        if t.buffer or t.component != "language" or len(t.shape) < 2 or t.role in _NOT_MATMUL:
            continue
        if t.tied_to is not None and t.role != "lm_head":  # a tied head is still a matmul
            continue
        if t.tied_to is None and not t.counted:  # MTP modules, quantization metadata
            continue
        uses = len(t.used_by) if t.used_by is not None else t.copies  # shared layers run once per use
        share = (t.active / t.experts) if t.active is not None else 1.0
        total += t.numel * share * uses
    return total


def attention_layers(spec) -> list[AttnLayer]:
    spec.require_runtime("attention FLOPs")
    out = []
    for stack in spec.language_stacks:
        if not stack.causal:
            continue
        for layer in stack.layers:
            a = layer.attention
            if a is None:
                continue
            d_qk = a.head_dim
            # indexed sparse attention reads at most index_topk tokens: a cap like a window's
            window = a.window if a.index_topk is None else min(a.window or a.index_topk, a.index_topk)
            out.append(AttnLayer(a.num_heads, d_qk, a.v_dim, window, a.chunked, 2 * a.index_heads * a.index_head_dim,
                                 a.index_block))
    return out


def _attended_sum(start: int, stop: int, window: int | None, chunked: bool = False) -> float:
    """Tokens attended by queries start+1..stop: sum over t of min(t, window) (sliding window), or of the
    position within its chunk, (t - 1) mod window + 1 (chunked local attention)."""
    def full(n: int) -> float:  # sum_{t=1..n} min(t, w)
        if window is None or n <= window:
            return n * (n + 1) / 2
        if chunked:
            q, r = divmod(n, window)
            return q * window * (window + 1) / 2 + r * (r + 1) / 2
        return window * (window + 1) / 2 + (n - window) * window
    return full(stop) - full(start)


def _windows_sum(start: int, stop: int, rate: int, cap: int | None) -> float:
    """sum over t = start+1..stop of min(cap, t // rate): the complete windows of `rate` tokens query t has seen."""
    def full(n: int) -> float:  # sum_{t=1..n} t // rate = rate q (q - 1) / 2 + q (r + 1), n = q rate + r
        if cap is not None and n >= cap * rate:
            return full(cap * rate - 1) + cap * (n - cap * rate + 1)
        q, r = divmod(n, rate)
        return rate * q * (q - 1) / 2 + q * (r + 1)
    return full(stop) - full(start)


def compressed_attention_flops(spec, *, start: int, stop: int) -> float:
    """Score + value FLOPs over the compressed entries of DeepSeek-V4's compressors (AttentionSpec.compressors;
    transformers deepseek_v4/modeling_deepseek_v4.py) for queries start+1..stop of one sequence: query t sees the
    t // rate entries of the windows it has seen complete (the compressors' causal block_bias); a CSA layer's
    attention reads at most topk of them (DeepseekV4Indexer's top-k, -1 for picks past that), and its indexer
    scores every one it sees with 2 x index heads x index head dim FLOPs (DeepseekV4IndexerScorer)."""
    total = 0.0
    for stack in spec.language_stacks:
        if not stack.causal:
            continue
        for layer in stack.layers:
            a = layer.attention
            for c in (a.compressors if a is not None else ()):
                per_entry = 2 * c.score_heads * c.width if c.score_heads else 2 * a.num_heads * (a.head_dim + a.v_dim)
                total += per_entry * _windows_sum(start, stop, c.rate, None if c.score_heads else c.topk)
    return total


def _qsa_read_sum(start: int, stop: int, topk: int, block: int) -> float:
    """Tokens QSA's attention reads for queries start+1..stop (Qwen4ExpTextQSAIndexer, transformers
    qwen4_exp/modeling_qwen4_exp.py): query t sees t // block complete blocks; while they are at most
    topk // block it reads all t tokens, else topk // block whole blocks plus the t % block tokens of its
    incomplete block."""
    picks = topk // block

    def full(n: int) -> float:
        first = (picks + 1) * block  # the first query with more complete blocks than it picks
        if n < first:
            return n * (n + 1) / 2
        m = n - first + 1  # queries first..n; first is a multiple of block, so t % block runs 0, 1, ...
        q, rem = divmod(m, block)
        return (first - 1) * first / 2 + m * picks * block + q * block * (block - 1) / 2 + rem * (rem - 1) / 2
    return full(stop) - full(start)


def _blocks_sum(start: int, stop: int, block: int) -> float:
    """sum over t = start+1..stop of t // block: the complete blocks QSA's indexer scores for query t."""
    def full(n: int) -> float:
        q, rem = divmod(n, block)
        return block * q * (q - 1) / 2 + q * (rem + 1)
    return full(stop) - full(start)


def attention_flops(spec, *, start: int, stop: int, batch: int = 1) -> float:
    """Score + value FLOPs for query positions start+1..stop (a prefill is start=0, stop=P; one decode
    step at context c is start=c, stop=c+1), causal and window-capped, for ``batch`` sequences."""
    if start < 0 or stop <= start:
        raise InputError(f"attention span must satisfy 0 <= start < stop, got {start}..{stop}")
    total = 0.0
    for a in attention_layers(spec):
        if a.index_block:  # QSA: whole blocks picked plus the incomplete last block; one score per complete block
            total += 2 * a.heads * (a.d_qk + a.d_v) * _qsa_read_sum(start, stop, a.window, a.index_block)
            total += a.index_score * _blocks_sum(start, stop, a.index_block)
            continue
        total += 2 * a.heads * (a.d_qk + a.d_v) * _attended_sum(start, stop, a.window, a.chunked)
        if a.index_score:  # the indexer scores every earlier token of every query (causal, no cap)
            total += a.index_score * _attended_sum(start, stop, None)
    total += compressed_attention_flops(spec, start=start, stop=stop)
    return total * batch


def recurrent_flops_per_token(spec) -> float:
    """State update and read-out FLOPs per token of the linear-time mixers (RecurrentSpec), besides their
    matrices: constant per token, whatever the context."""
    return float(sum(layer.recurrent.state_flops_per_token for stack in spec.language_stacks if stack.causal
                     for layer in stack.layers if layer.recurrent is not None))


def forward_flops(model, *, start: int, stop: int, batch: int = 1) -> float:
    """Forward FLOPs for query positions start+1..stop of ``batch`` sequences: matrices + attention +
    the recurrent mixers' state updates."""
    spec = model.require_spec("FLOPs")
    tokens = (stop - start) * batch
    return (2 * matmul_params_per_token(model) * tokens + attention_flops(spec, start=start, stop=stop, batch=batch)
            + recurrent_flops_per_token(spec) * tokens)


def prefill_flops(model, prompt_tokens: int, batch: int = 1) -> float:
    return forward_flops(model, start=0, stop=prompt_tokens, batch=batch)


def decode_flops(model, context: int, batch: int = 1) -> float:
    """One new token per sequence when ``context`` tokens are already cached."""
    return forward_flops(model, start=context, stop=context + 1, batch=batch)


def training_flops(model, tokens: float, seq_len: int) -> dict:
    """Training FLOPs for ``tokens`` tokens in sequences of ``seq_len``: 6 N_active D + 3 x attention."""
    if tokens <= 0:
        raise InputError(f"tokens must be > 0, got {tokens}")
    if seq_len < 1:
        raise InputError(f"sequence length must be >= 1, got {seq_len}")
    spec = model.require_spec("training FLOPs")
    n = matmul_params_per_token(model)
    dense = 6 * n * tokens
    attn_per_seq = attention_flops(spec, start=0, stop=seq_len)
    attn = 3 * attn_per_seq * tokens / seq_len
    return {"matmul_params": n, "dense_flops": dense, "attention_flops": attn, "flops": dense + attn,
            "formula": f"6 x {n:.4g} active matrix params x {tokens:.4g} tokens + 3 x causal attention "
                       f"at sequence {seq_len} = {dense:.4g} + {attn:.4g}"}


def mfu(flops: float, seconds: float, gpus: int, peak_flops_per_s: float) -> float:
    """Model FLOPs utilization (Chowdhery et al. 2022, PaLM App. B): achieved model FLOP/s over the peak."""
    if seconds <= 0 or gpus < 1 or peak_flops_per_s <= 0:
        raise InputError("MFU needs positive time, GPU count and peak")
    return flops / (seconds * gpus * peak_flops_per_s)
