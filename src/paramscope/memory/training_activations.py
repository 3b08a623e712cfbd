"""Stored activations per layer for training: Korthikanti et al. 2022 (arXiv 2205.05198) §4, generalised
from the layer's own shapes. See the memory/training.py docstring for the derivation."""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..inventory import layer_tensors
from ..spec import LayerSpec, MlpSpec, ModelSpec, MoeSpec
from .training_plan import _LAYER_NORM_ROLES, _ROW, LoraPlan, TrainingPlan, _is_expert

# --------------------------------------------------------------------------------------------------
# Activations (Korthikanti et al. 2022 §4, generalised from the layer's shapes)


@dataclass(frozen=True, slots=True)
class _Ctx:
    s: int  # local sequence (seq_len / context parallel)
    s_kv: int  # keys each query attends over (the full sequence; ring attention under CP)
    b: int
    tp: int
    etp: int
    sp: int  # divisor of the terms tensor parallelism leaves whole (tp with sequence parallelism, else 1)
    act: int  # bytes per stored activation element
    mask: int  # bytes per dropout-mask element (1 with dropout, else 0: nothing stored)
    flash: bool
    lora: LoraPlan | None

    @property
    def tokens(self) -> int:
        return self.s * self.b


def _attention_terms(a, ctx: _Ctx, hidden: int) -> tuple[float, float]:
    """(score terms, other terms) in bytes. Korthikanti §4.1: QKV input 2sbh (here: hidden·act/sp), Q and K 4sbh,
    V 2sbh, softmax 2as²b + dropout mask as²b + dropout output 2as²b (5as²b), attention output 2sbh (o-proj
    input), output dropout mask sbh. Here Q/K/V/output use the actual head counts and head dims."""
    T, act = ctx.tokens, ctx.act
    heads = a.num_heads // ctx.tp
    rest = T * hidden * act / ctx.sp + T * hidden * ctx.mask / ctx.sp  # QKV input, output dropout mask
    if a.kind == "mla":  # DeepSeek-V2 §2.1: latent down-projections are not TP-split
        if a.q_lora_rank is not None:
            rest += 2 * T * a.q_lora_rank * act  # q_a output (its norm's input) and q_b input
        rest += T * (a.kv_lora_rank + a.qk_rope_head_dim) * act + T * a.kv_lora_rank * act
        rest += T * heads * (2 * a.head_dim + a.v_dim) * act  # Q, K (nope + rope), V
    else:
        kv = math.ceil(a.num_kv_heads / ctx.tp)
        rest += T * (heads * a.head_dim + kv * (a.head_dim + a.v_dim)) * act  # Q, K, V
        if a.qk_norm != "none":  # q/k norms keep their inputs too (Qwen3, OLMo 2, Gemma 3)
            rest += T * (heads + kv) * a.head_dim * act
    rest += T * heads * a.v_dim * act  # attention output = o-proj input
    if ctx.flash:  # FlashAttention (Dao 2022) keeps O and the fp32 log-sum-exp per (batch, head, query)
        scores = 4 * ctx.b * heads * ctx.s
    else:  # softmax output [+ dropout mask + dropout output]
        scores = ctx.b * heads * ctx.s * ctx.s_kv * (act + (ctx.mask + act if ctx.mask else 0))
    return scores, rest


def _mlp_elems(m: MlpSpec, tokens: float, div: int) -> float:
    """Elements the feed-forward keeps at width i: plain MLP: activation input and output (Korthikanti's 16sbh
    at i = 4h: 8 + 8); gated MLP: gate and up outputs (kept together by Megatron's fused SwiGLU, which
    recomputes the activation) and their product, the down projection's input: 3 x i. An unfused eager gated
    MLP also keeps act(gate): one more i."""
    return tokens * math.ceil(m.intermediate_size / div) * (3 if m.gated else 2)


def _ffn_terms(f, ctx: _Ctx, hidden: int, with_input: bool) -> float:
    T, act = ctx.tokens, ctx.act
    total = (T * hidden * act / ctx.sp if with_input else 0) + T * hidden * ctx.mask / ctx.sp
    if isinstance(f, MlpSpec):
        return total + _mlp_elems(f, T, ctx.tp) * act
    # MoE: router scores in fp32 (4 B), then (token, expert) pairs. Balanced routing, no dropped or padded
    # tokens: a GPU processes its own tokens x top_k pairs, all-gathered over the expert-TP group when the
    # tokens were sequence-parallel. Each pair keeps the dispatched input (h), the expert's intermediates and
    # the expert output (h, needed to weight by the router probability in the backward pass).
    total += 4 * T * f.num_experts / ctx.sp
    pairs = min(T, T / ctx.sp * ctx.etp) * f.top_k
    total += pairs * 2 * hidden * act + _mlp_elems(f.expert, pairs, ctx.etp) * act
    if f.shared is not None:
        total += _mlp_elems(f.shared, T, ctx.tp) * act
    return total


def _ssm_terms(s, ctx: _Ctx, hidden: int) -> float:
    """Mamba-1 (Gu & Dao 2023), approximated: in_proj input, x and z (2 d_inner), conv output, dt, scan output
    and gated output (4 d_inner), dt/B/C (dt_rank + 2 d_state) per token; d_inner split over TP."""
    T, act = ctx.tokens, ctx.act
    di = math.ceil(s.d_inner / ctx.tp)
    return T * hidden * act / ctx.sp + T * (6 * di + s.dt_rank + 2 * s.d_state) * act


def _lora_terms(layer: LayerSpec, hidden: int, ctx: _Ctx) -> float:
    """Per targeted matrix: A's output (r per token, B's input) and, with LoRA dropout, the dropped copy of
    the input and its mask (PEFT applies dropout to x before A)."""
    lora = ctx.lora
    total = 0.0
    moe = layer.ffn if isinstance(layer.ffn, MoeSpec) else None
    for t in layer_tensors(layer, hidden):
        if not lora.targets_tensor(t):
            continue
        tokens = ctx.tokens
        if _is_expert(t.role) and moe is not None:
            tokens = min(ctx.tokens, ctx.tokens / ctx.sp * ctx.etp) * moe.top_k
        div = ctx.etp if _is_expert(t.role) else ctx.tp
        in_f = math.ceil(t.shape[1] / div) if t.role in _ROW else t.shape[1]
        total += tokens * lora.rank * ctx.act
        if lora.dropout > 0:
            total += tokens * in_f * (ctx.act + 1)
    return total


@dataclass(frozen=True, slots=True)
class _LayerAct:
    input: float  # the layer's input (what full recomputation checkpoints)
    scores: float  # attention score terms (dropped by selective recomputation)
    total: float  # everything the layer stores without recomputation


def _layer_terms(layer: LayerSpec, hidden: int, ctx: _Ctx) -> _LayerAct:
    T, act = ctx.tokens, ctx.act
    total = sum(T * n.width * act / ctx.sp for n in layer.norms if n.role in _LAYER_NORM_ROLES)
    scores = 0.0
    for a in (layer.attention, layer.cross_attention):
        if a is not None:
            sc, rest = _attention_terms(a, ctx, hidden)
            scores += sc
            total += rest
    if layer.ssm is not None:
        total += _ssm_terms(layer.ssm, ctx, hidden)
    if layer.recurrent is not None:  # inputs kept for the backward pass: the mixer's intermediates
        total += T * (hidden + layer.recurrent.activation_width) * act / ctx.sp
    if layer.ffn is not None:
        total += _ffn_terms(layer.ffn, ctx, hidden, with_input=not (layer.parallel and layer.attention is not None))
    if ctx.lora is not None:
        total += _lora_terms(layer, hidden, ctx)
    return _LayerAct(T * hidden * act / ctx.sp, scores, total + scores)


def _in_flight(stage: int, pp: int, plan: TrainingPlan) -> float:
    """Microbatches whose activations a stage holds at its peak, in units of the whole stage's layers.
    1F1B (Narayanan et al. 2021; Megatron-LM schedules.py): stage i runs pp - i - 1 warm-up forwards plus one,
    min(pp - i, m). Interleaved with v virtual stages: (pp - i - 1)·2 + (v - 1)·pp + 1 model chunks of 1/v of
    the stage's layers, at most m·v; on the first stage this is Korthikanti §4.2.3's pp·(1 + (pp-1)/(pp·v))."""
    m = plan.grad_accumulation if plan.grad_accumulation is not None else 10**9
    if pp == 1:
        return 1.0
    v = plan.pp_interleave
    if v == 1:
        return float(min(pp - stage, m))
    chunks = min((pp - stage - 1) * 2 + (v - 1) * pp, m * v) + 1
    return min(chunks, m * v) / v


def _stage_activations(spec: ModelSpec, plan: TrainingPlan, layers, stage: int, pp: int) -> dict[str, float]:
    prec = plan.prec
    ctx = _Ctx(s=plan.seq_len // plan.context_parallel, s_kv=plan.seq_len, b=plan.micro_batch,
               tp=plan.tensor_parallel, etp=plan.etp, sp=plan.sp_div, act=prec.act_bytes,
               mask=1 if plan.dropout else 0, flash=plan.attention == "flash", lora=plan.lora)
    cache: dict[int, _LayerAct] = {}
    stored = working = 0.0
    for hidden, layer in layers:
        la = cache.get(id(layer))
        if la is None:
            la = cache[id(layer)] = _layer_terms(layer, hidden, ctx)
        if plan.recompute == "none":
            stored += la.total
        elif plan.recompute == "selective":  # §4.3: recompute the attention core (QK^T, softmax, dropout, AV)
            stored += la.total - la.scores
            working = max(working, la.scores)
        else:  # full: keep each layer's input; rebuild one layer's whole working set in the backward pass
            stored += la.input
            working = max(working, la.total - la.input)
    n = _in_flight(stage, pp, plan)
    parts = {"layers": stored * n}
    T, h = ctx.tokens, spec.hidden_size
    if stage == 0:  # Megatron: token ids (int64, 8 B) and the embedding dropout mask, for each microbatch in flight
        parts["embedding"] = n * (8 * T + T * spec.embedding.width * ctx.mask / ctx.sp)
    if stage == pp - 1 and spec.head.kind != "none":
        # Korthikanti §4.4: final norm input and head input (4sbh), and the logits for the cross entropy: fp32
        # (4 B, the loss upcasts) unless a fused cross entropy keeps them in the activation dtype.
        vocab = math.ceil(spec.embedding.vocab_size / plan.tensor_parallel)
        logit_bytes = prec.act_bytes if plan.fused_cross_entropy else 4
        parts["output"] = 2 * T * h * prec.act_bytes / ctx.sp + T * vocab * logit_bytes
    parts["recompute_working"] = working
    return parts


