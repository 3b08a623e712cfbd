"""Training memory PER GPU: a sum (never a max) of named parts.

    total = weights + gradients + optimizer states + master weights
            + stored activations + recompute working set + named buffers

Model states (Rajbhandari et al. 2020, "ZeRO", arXiv 1910.02054 §3.1): mixed-precision Adam keeps 2 bytes
of fp16/bf16 weights, 2 bytes of gradients and K = 12 bytes of optimizer state per parameter (fp32 master
copy 4 + momentum 4 + variance 4), "16 bytes per parameter". Megatron-LM keeps its gradients in fp32 (main_grad):
18 bytes per parameter, 6 + 12/DP with the distributed optimizer (megatron/training/theoretical_memory_usage.py).
Here the gradient dtype is explicit (``grad_dtype``); the master copy is its own part.
ZeRO (§5) partitions over the data-parallel ranks: stage 1 the optimizer states and master weights, stage 2
also the gradients, stage 3 (FSDP) also the weights.

Activations (Korthikanti et al. 2022, arXiv 2205.05198 §4, Table 2): per layer sbh(34 + 5as/h) bytes with
2-byte activations and 1-byte dropout masks. The 34 splits into 10 sbh that tensor parallelism leaves whole
(two LayerNorm inputs 4, the attention and MLP inputs 4, two dropout masks 2; sequence parallelism splits them
too) and 24 sbh it splits (q, k, v 6 and the attention output 2; the MLP's two 4h-wide tensors 16); 5as²b is the
softmax output (2), its dropout mask (1) and the dropout output (2). By block: attention 11 sbh + 5as²b, MLP
19 sbh, the two LayerNorms 4 sbh. This module derives each term from the layer's own shapes instead of assuming
h-wide heads and a 4h MLP (see ``_layer_terms``): q, k, v cost 2·(a·d + n_kv·(d + d_v)) bytes per token (GQA
shrinks k and v), a plain MLP of width i costs 4i (16 sbh at i = 4h, as Megatron's 18 + 4·ffn/h), a gated MLP 6i
(gate and up outputs kept by the fused SwiGLU, plus its product; Megatron's formula keeps 4·ffn/h for SwiGLU
too), MoE layers their routed (token, expert) pairs, q/k norms their inputs. For a GPT layer it reproduces
Table 2 exactly. FlashAttention stores no s x s scores, only the fp32 log-sum-exp (4 bytes per head and token).

Model states are computed tensor by tensor on the local tensor-parallel shard (so Adafactor's factored rows and
columns, the 8-bit optimizer's per-2048-block scales and QLoRA's NF4 blocks are exact), then partitioned by ZeRO.
Buffers are named and overridable: by default ZeRO-3's gathered layer and autocast's bf16 weight cache;
``deepspeed_buffers()`` gives DeepSpeed's bucket defaults.

Everything is for the MOST-loaded pipeline stage (the first holds the embedding and, under 1F1B, the
activations of ``pp`` microbatches; the last holds the head and the logits).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import InputError
from ..inventory import Tensor
from ..roles import LANGUAGE
from ..spec import ModelSpec, MoeSpec
from .formats import get_format, get_scheme
from .training_activations import _stage_activations
from .training_plan import (
    _COLUMN,
    _HEAD_ROLES,
    _KV,
    _ROW,
    BNB_BLOCK,
    BNB_MIN_8BIT_SIZE,
    BNB_QMAP_BYTES,
    DTYPE_BYTES,
    LoraPlan,
    TrainingPlan,
    _is_expert,
    deepspeed_buffers,
)

__all__ = ["LoraPlan", "ModelStates", "TrainingMemory", "TrainingPlan", "deepspeed_buffers", "local_shape",
           "model_states", "optimizer_bytes_of", "training_memory"]

# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class ModelStates:
    """Weights, gradients, optimizer states and master weights per GPU for a flat parameter count."""

    params: int  # parameters per GPU after the even TP x PP split
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    master_weights_bytes: int

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.master_weights_bytes

    def to_dict(self) -> dict:
        return {"params": self.params, "weights_bytes": self.weights_bytes, "gradients_bytes": self.gradients_bytes,
                "optimizer_bytes": self.optimizer_bytes, "master_weights_bytes": self.master_weights_bytes,
                "total_bytes": self.total_bytes}


@dataclass(frozen=True)
class TrainingMemory:
    model: str
    plan: TrainingPlan
    stage: int  # the most-loaded pipeline stage (0-based)
    weights_bytes: int
    gradients_bytes: int
    optimizer_bytes: int
    master_weights_bytes: int
    activations_bytes: int  # stored for the backward pass, all microbatches in flight
    recompute_bytes: int  # transient working set of the layer being recomputed in the backward pass
    buffers: dict[str, int]
    params_on_gpu: int  # weight elements this GPU stores (after TP/PP/EP, before ZeRO-3)
    trainable_params_on_gpu: int
    activation_parts: dict[str, int]
    stages: tuple[dict, ...]
    assumptions: tuple[str, ...]

    @property
    def buffers_bytes(self) -> int:
        return sum(self.buffers.values())

    @property
    def model_states_bytes(self) -> int:
        return self.weights_bytes + self.gradients_bytes + self.optimizer_bytes + self.master_weights_bytes

    @property
    def total_bytes(self) -> int:
        return self.model_states_bytes + self.activations_bytes + self.recompute_bytes + self.buffers_bytes

    def to_dict(self) -> dict:
        return {"model": self.model, "stage": self.stage, "weights_bytes": self.weights_bytes,
                "gradients_bytes": self.gradients_bytes, "optimizer_bytes": self.optimizer_bytes,
                "master_weights_bytes": self.master_weights_bytes, "activations_bytes": self.activations_bytes,
                "recompute_bytes": self.recompute_bytes, "buffers": dict(self.buffers),
                "buffers_bytes": self.buffers_bytes, "model_states_bytes": self.model_states_bytes,
                "total_bytes": self.total_bytes, "params_on_gpu": self.params_on_gpu,
                "trainable_params_on_gpu": self.trainable_params_on_gpu,
                "activation_parts": dict(self.activation_parts), "stages": [dict(s) for s in self.stages],
                "plan": self.plan.to_dict(), "assumptions": list(self.assumptions)}


# --------------------------------------------------------------------------------------------------
# Per-tensor model states


def optimizer_bytes_of(shape: tuple[int, ...], plan: TrainingPlan) -> int:
    """Optimizer-state bytes of ONE trainable tensor of ``shape`` (the local shard)."""
    n = math.prod(shape)
    sb = plan.state_bytes
    opt = plan.optimizer
    if opt == "adamw":  # Loshchilov & Hutter 2019: first and second moments
        return 2 * n * sb
    if opt == "adamw-8bit":  # Dettmers et al. 2022 (arXiv 2110.02861) §2, bitsandbytes block-wise states
        if n < BNB_MIN_8BIT_SIZE:
            return 2 * n * 4
        return 2 * n + 2 * 4 * math.ceil(n / BNB_BLOCK)
    if opt == "sgd-momentum":  # torch.optim.SGD momentum_buffer
        return n * sb
    if opt == "sgd":
        return 0
    # Adafactor (Shazeer & Stern 2018, arXiv 1804.04235, Algorithm 4/5): a matrix keeps row and column sums of
    # the second moment (HF Adafactor: exp_avg_sq_row shape[:-1], exp_avg_sq_col shape[:-2] + shape[-1:]);
    # vectors keep the full second moment; the first moment only with beta1.
    if len(shape) >= 2:
        second = math.prod(shape[:-1]) + math.prod(shape[:-2]) * shape[-1]
    else:
        second = n
    return (second + (n if plan.adafactor_momentum else 0)) * sb


def model_states(params: int, plan: TrainingPlan | None = None) -> ModelStates:
    """Model states per GPU for ``params`` trainable parameters, split evenly over TP x PP (as Megatron's
    theoretical_memory_usage and the ZeRO paper do) and partitioned by ZeRO over data x context parallel.
    The parameters are treated as one flat tensor (the 8-bit optimizer's block overhead is then exact for a
    flat buffer). Use :func:`training_memory` for per-tensor detail, LoRA and Adafactor."""
    if isinstance(params, bool) or not isinstance(params, int) or params < 1:
        raise InputError(f"parameter count must be a positive integer, got {params!r}")
    plan = plan or TrainingPlan()
    if plan.lora is not None:
        raise InputError("LoRA needs the tensor shapes: use training_memory(model, plan)")
    if plan.optimizer == "adafactor":
        raise InputError("Adafactor's factored states need the tensor shapes: use training_memory(model, plan)")
    n = math.ceil(params / (plan.tensor_parallel * plan.pipeline_parallel))
    acc = _States()
    acc.add_trainable(n, (n,), 1, plan)
    if plan.optimizer == "adamw-8bit":
        acc.optim += BNB_QMAP_BYTES
    w, g, o, m = acc.sharded(plan, plan.dense_shard)
    return ModelStates(n, w, g, o, m)


@dataclass
class _States:
    """Pre-ZeRO bytes of one group of tensors on one GPU."""

    weights: int = 0
    grads: int = 0
    optim: int = 0
    master: int = 0
    params: int = 0
    trainable: int = 0

    def add_trainable(self, n: int, shape: tuple[int, ...], count: int, plan: TrainingPlan,
                      weight_bytes: int | None = None, grad_bytes: int | None = None, master: bool = True) -> int:
        wb = plan.prec.weight_bytes if weight_bytes is None else weight_bytes
        gb = plan.grad_bytes if grad_bytes is None else grad_bytes
        w, g = wb * n * count, gb * n * count
        self.weights += w
        self.grads += g
        self.optim += optimizer_bytes_of(shape, plan) * count
        self.master += (plan.prec.master_bytes * n * count) if master else 0
        self.params += n * count
        self.trainable += n * count
        return w + g

    def add_frozen(self, n: int, nbytes: int) -> int:
        self.weights += nbytes
        self.params += n
        return nbytes

    def sharded(self, plan: TrainingPlan, degree: int) -> tuple[int, int, int, int]:
        z = plan.zero_stage
        w = math.ceil(self.weights / degree) if z >= 3 else self.weights
        g = math.ceil(self.grads / degree) if z >= 2 else self.grads
        o = math.ceil(self.optim / degree) if z >= 1 else self.optim
        m = math.ceil(self.master / degree) if z >= 1 else self.master
        return w, g, o, m


# --------------------------------------------------------------------------------------------------
# Placement: pipeline stages and tensor-parallel shards


def _stage_layer_counts(n_layers: int, plan: TrainingPlan) -> tuple[int, ...]:
    pp = plan.pipeline_parallel
    if plan.pp_layers is not None:
        if sum(plan.pp_layers) != n_layers:
            raise InputError(f"pp_layers sums to {sum(plan.pp_layers)} layers; the model has {n_layers}")
        counts = plan.pp_layers
    else:
        if pp > n_layers:
            raise InputError(f"pipeline parallel size {pp} exceeds the {n_layers} layers")
        if n_layers % pp:
            raise InputError(f"pipeline parallel size {pp} does not divide the {n_layers} layers; "
                             "give an explicit uneven split (pp_layers)")
        counts = (n_layers // pp,) * pp
    v = plan.pp_interleave
    if v > 1 and any(c % v for c in counts):
        raise InputError(f"interleaved pipeline with {v} virtual stages needs every stage's layer count "
                         f"divisible by {v}, got {list(counts)}")
    return tuple(counts)


def _check_model(spec: ModelSpec, plan: TrainingPlan) -> None:
    tp = plan.tensor_parallel
    for stack in spec.language_stacks:
        for layer in stack.layers:
            for a in (layer.attention, layer.cross_attention):
                if a is None:
                    continue
                if a.num_heads % tp:
                    raise InputError(f"tensor parallel size {tp} does not divide {a.num_heads} attention heads")
                if a.kind != "mla" and a.num_kv_heads % tp and tp % a.num_kv_heads:
                    raise InputError(f"tensor parallel size {tp} neither divides nor is a multiple of "
                                     f"{a.num_kv_heads} key-value heads")
            if isinstance(layer.ffn, MoeSpec) and layer.ffn.num_experts % plan.expert_parallel:
                raise InputError(f"expert parallel size {plan.expert_parallel} does not divide "
                                 f"{layer.ffn.num_experts} experts")
    if spec.is_moe:
        ranks = plan.tensor_parallel * plan.context_parallel * plan.data_parallel
        if ranks % (plan.expert_parallel * plan.etp):
            raise InputError(f"expert parallel {plan.expert_parallel} x expert tensor parallel {plan.etp} does not "
                             f"divide the {ranks} ranks (tensor x context x data parallel) of a pipeline stage")


def _attention_of(spec: ModelSpec, t: Tensor):
    if not t.stack or not t.layers:
        return None
    layer = spec.stack(t.stack).layers[t.layers[0]]
    return layer.cross_attention if t.role.startswith("xattn_") else layer.attention


def local_shape(t: Tensor, spec: ModelSpec, plan: TrainingPlan) -> tuple[int, ...]:
    """Shape of one copy of ``t`` on one tensor-parallel rank: column-parallel tensors split their output rows,
    row-parallel ones their input columns (their biases stay whole), the embedding and head their vocabulary
    (Megatron pads it to a multiple of the TP size: ceil), KV heads are replicated when fewer than ranks;
    norms, routers, position tables and other tensors stay whole."""
    div = plan.etp if _is_expert(t.role) else plan.tensor_parallel
    shape = t.shape
    if div == 1 or not shape:
        return shape
    if t.role in _COLUMN:
        a = _attention_of(spec, t) if (t.role in _KV or t.role.endswith("qkv")) else None
        if a is not None and a.kind != "mla":
            kv_local = math.ceil(a.num_kv_heads / div)
            if t.role in _KV:
                rows = shape[0] // a.num_kv_heads * kv_local
            else:  # fused q/k/v
                rows = a.num_heads // div * a.head_dim + kv_local * (a.head_dim + a.v_dim)
            return (rows, *shape[1:])
        return (math.ceil(shape[0] / div), *shape[1:])
    if t.role in _ROW and len(shape) >= 2:
        return (shape[0], math.ceil(shape[1] / div), *shape[2:])
    return shape


def _placement(spec: ModelSpec, inventory, plan: TrainingPlan, counts: tuple[int, ...]):
    """(tensor, copies, layer-or-None) per pipeline stage. The first stage holds the embedding and every
    non-language component; the last the head (with PP > 1 a tied head keeps its own copy of the embedding
    matrix there, as Megatron-LM's shared_embedding_or_output_weight does) and each stack's final norm goes
    with the stack's last layer."""
    pp = len(counts)
    bounds, start = [], 0
    for c in counts:
        bounds.append((start, start + c))
        start += c

    def stage_of(g: int) -> int:
        for s, (lo, hi) in enumerate(bounds):
            if lo <= g < hi:
                return s
        return pp - 1

    offsets, off = {}, 0
    for stack in spec.language_stacks:
        offsets[stack.name] = off
        off += stack.num_layers
    out: list[list[tuple[Tensor, int, int | None]]] = [[] for _ in range(pp)]
    for t in inventory.tensors:
        if t.tied_to is not None:
            if pp > 1 and t.role == "lm_head":
                out[pp - 1].append((t._replace(tied_to=None), 1, None))
            continue
        if not (t.counted or t.buffer) or t.component == "mtp":
            continue
        if t.component != LANGUAGE or (t.stack and t.stack not in offsets):
            out[0].append((t, t.copies, None))
        elif t.layers:
            for i in t.layers:
                g = offsets[t.stack] + i
                out[stage_of(g)].append((t, 1, g))
        elif t.stack:
            n = spec.stack(t.stack).num_layers
            g = offsets[t.stack] + (n - 1 if t.role == "norm_final" else 0)
            out[stage_of(g) if n else 0].append((t, 1, None))
        else:
            out[pp - 1 if t.role in _HEAD_ROLES else 0].append((t, 1, None))
    return out, bounds


def _lora_adapter_shapes(local: tuple[int, ...], plan: TrainingPlan) -> tuple[tuple, tuple]:
    """A [r, in] and B [out, r] on one TP rank: a column-parallel base splits B's rows (A whole), a
    row-parallel base splits A's columns (B whole) -- NeMo/Megatron LoRA's parallel adapters."""
    r = plan.lora.rank
    out_f, in_f = local
    return (r, in_f), (out_f, r)


def _base_format(t: Tensor, plan: TrainingPlan):
    base = plan.lora.base
    if base in ("nf4", "nf4-dq"):
        return get_scheme(base).format_for(t)
    return get_format(base)


def _autocast_casts(t: Tensor, spec: ModelSpec) -> bool:
    """Weights torch.autocast casts to bf16 (and caches): those of matmuls; an embedding lookup is not cast
    unless the matrix doubles as the tied head."""
    if len(t.shape) < 2 or t.role in ("pos_embed", "type_embed"):
        return False
    return t.role != "embed" or spec.embedding.tied_head


def _stage_states(stage_tensors, spec: ModelSpec, plan: TrainingPlan):
    """Model states of one stage, split into dense and routed-expert groups (ZeRO shards them over different
    ranks), and the largest 'unit' (one layer, or one model-level tensor) for ZeRO-3's gathered buffer."""
    dense, expert = _States(), _States()
    units: dict = {}
    autocast_cache = 0
    lora = plan.lora
    for t, copies, g in stage_tensors:
        local = local_shape(t, spec, plan)
        n = math.prod(local)
        experts = t.experts // plan.expert_parallel if _is_expert(t.role) else t.experts
        count = copies * experts
        acc = expert if _is_expert(t.role) else dense
        unit = ("layer", g) if g is not None else ("tensor", t.name, t.stack)
        if t.buffer:
            nbytes = acc.add_frozen(n * count, plan.prec.weight_bytes * n * count)
        elif lora is not None:
            nbytes = acc.add_frozen(n * count, _base_format(t, plan).tensor_bytes_of(local) * count)
            if lora.targets_tensor(t):
                ab = DTYPE_BYTES[lora.adapter_dtype]
                for shape in _lora_adapter_shapes(local, plan):
                    nbytes += acc.add_trainable(math.prod(shape), shape, count, plan, weight_bytes=ab,
                                                grad_bytes=ab, master=False)
        else:
            nbytes = acc.add_trainable(n, local, count, plan)
            if plan.precision == "amp-bf16" and _autocast_casts(t, spec):
                autocast_cache += 2 * n * count
        units[unit] = units.get(unit, 0) + nbytes
    return dense, expert, max(units.values(), default=0), autocast_cache


# --------------------------------------------------------------------------------------------------
# Entry point


def training_memory(model, plan: TrainingPlan | None = None) -> TrainingMemory:
    """Training memory per GPU of ``model`` (a :class:`~paramscope.model.Model`) under ``plan``, for the
    most-loaded pipeline stage."""
    spec = model.require_spec("training memory")
    plan = plan or TrainingPlan()
    _check_model(spec, plan)
    layers_all = [(stack.hidden_size, layer) for stack in spec.language_stacks for layer in stack.layers]
    counts = _stage_layer_counts(len(layers_all), plan)
    pp = len(counts)
    placed, bounds = _placement(spec, model.inventory, plan, counts)
    if plan.lora is not None and not any(plan.lora.targets_tensor(t) for t in model.inventory.tensors):
        raise InputError(f"LoRA targets {list(plan.lora.targets)} match no weight matrix of {spec.name}")
    expert_shard = max(1, plan.tensor_parallel * plan.context_parallel * plan.data_parallel
                       // (plan.expert_parallel * plan.etp))
    stages = []
    for s in range(pp):
        dense, expert, largest_unit, autocast_cache = _stage_states(placed[s], spec, plan)
        dw, dg, do, dm = dense.sharded(plan, plan.dense_shard)
        ew, eg, eo, em = expert.sharded(plan, expert_shard)
        optim = do + eo + (BNB_QMAP_BYTES if plan.optimizer == "adamw-8bit" and (dense.trainable or
                                                                                   expert.trainable) else 0)
        lo, hi = bounds[s]
        acts = _stage_activations(spec, plan, layers_all[lo:hi], s, pp)
        buffers = _default_buffers(plan, largest_unit, autocast_cache) if plan.buffers is None \
            else dict(plan.buffers)
        parts = {"weights_bytes": dw + ew, "gradients_bytes": dg + eg, "optimizer_bytes": optim,
                 "master_weights_bytes": dm + em,
                 "activations_bytes": math.ceil(sum(v for k, v in acts.items() if k != "recompute_working")),
                 "recompute_bytes": math.ceil(acts["recompute_working"])}
        stages.append({"stage": s, "layers": hi - lo, **parts, "buffers": buffers,
                       "total_bytes": sum(parts.values()) + sum(buffers.values()),
                       "params": dense.params + expert.params, "trainable": dense.trainable + expert.trainable,
                       "activation_parts": {k: math.ceil(v) for k, v in acts.items()}})
    worst = max(stages, key=lambda d: d["total_bytes"])
    return TrainingMemory(
        model=spec.name if not model.record else model.record.get("name", spec.name), plan=plan,
        stage=worst["stage"], weights_bytes=worst["weights_bytes"], gradients_bytes=worst["gradients_bytes"],
        optimizer_bytes=worst["optimizer_bytes"], master_weights_bytes=worst["master_weights_bytes"],
        activations_bytes=worst["activations_bytes"], recompute_bytes=worst["recompute_bytes"],
        buffers=worst["buffers"], params_on_gpu=worst["params"], trainable_params_on_gpu=worst["trainable"],
        activation_parts=worst["activation_parts"],
        stages=tuple({k: v for k, v in st.items() if k != "activation_parts"} for st in stages),
        assumptions=tuple(_assumptions(spec, plan, pp)))


def _default_buffers(plan: TrainingPlan, largest_unit: int, autocast_cache: int) -> dict[str, int]:
    out = {}
    if plan.zero_stage == 3 and plan.dense_shard > 1:
        # ZeRO-3/FSDP all-gathers one layer's weights for its forward/backward and holds its full gradients
        # before the reduce-scatter; DeepSpeed's estimate_zero3_model_states_mem_needs counts 4 x largest layer
        # (16-bit weights + 16-bit gradients). Here: weights + gradients of the largest layer in their dtypes.
        out["zero3_gathered_layer"] = largest_unit
    if autocast_cache:
        out["autocast_weight_cache"] = autocast_cache
    return out


def _assumptions(spec: ModelSpec, plan: TrainingPlan, pp: int) -> list[str]:
    p = plan.prec
    gd = plan.grad_dtype or p.grad_dtype
    sd = plan.optimizer_state_dtype or p.state_dtype
    out = ["total = weights + gradients + optimizer states + master weights + stored activations + recompute "
           "working set + buffers, at the end of the forward pass of the most-loaded stage; no allocator "
           "fragmentation, CUDA context or NCCL buffers",
           (f"{plan.precision}: {p.text}; gradients in {gd}" if plan.lora is None
            else f"{plan.precision}: activations in {p.act_bytes}-byte floats")
           + f"; {plan.optimizer} states in "
           + ("8 bits with an fp32 scale per 2048 values (bitsandbytes)" if plan.optimizer == "adamw-8bit" else sd)]
    if plan.zero_stage:
        what = {1: "optimizer states and master weights", 2: "optimizer states, master weights and gradients",
                3: "optimizer states, master weights, gradients and weights"}[plan.zero_stage]
        out.append(f"ZeRO-{plan.zero_stage}: {what} partitioned over {plan.dense_shard} ranks (data x context "
                   "parallel); routed experts over the expert-data-parallel ranks")
    out.append(f"activations per Korthikanti et al. 2022 §4 derived from the layer shapes: {p.act_bytes}-byte "
               f"activations{', 1-byte dropout masks' if plan.dropout else ', no dropout masks'}; "
               + ("FlashAttention: no s x s scores, fp32 log-sum-exp kept" if plan.attention == "flash"
                  else "eager attention: s x s scores kept"))
    out.append({"none": "no recomputation", "selective": "selective recomputation of the attention core",
                "full": "full recomputation: each layer's input kept, one layer rebuilt at a time"}[plan.recompute])
    if pp > 1:
        out.append("pipeline 1F1B" + (f" interleaved x{plan.pp_interleave}" if plan.pp_interleave > 1 else "")
                   + ": the first stage holds the most microbatches in flight")
    out.append("gradient accumulation changes no per-GPU memory" + (" (with PP it only caps microbatches in flight)"
                                                                    if pp > 1 else ""))
    if spec.head.kind != "none":
        out.append("logits " + ("in the activation dtype (fused cross entropy)" if plan.fused_cross_entropy
                                else "in fp32 for the cross entropy"))
    if spec.is_moe:
        out.append("MoE: balanced routing, no dropped or padded tokens")
    if any(s.component != LANGUAGE for s in spec.stacks if s.in_total):
        out.append("vision/audio towers: weights and states on the first stage; their activations not counted")
    if plan.lora is not None:
        out.append(f"LoRA r={plan.lora.rank}: frozen base in {plan.lora.base} (no gradients or optimizer states); "
                   f"adapters and their gradients in {plan.lora.adapter_dtype}, no master copy; frozen matmuls are "
                   "assumed to keep their inputs (an upper bound)")
    return out
