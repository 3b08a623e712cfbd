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

import fnmatch
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..inventory import Tensor, layer_tensors
from ..roles import LANGUAGE
from ..spec import LayerSpec, MlpSpec, ModelSpec, MoeSpec
from .formats import get_format, get_scheme

__all__ = ["LoraPlan", "ModelStates", "TrainingMemory", "TrainingPlan", "deepspeed_buffers", "local_shape",
           "model_states", "optimizer_bytes_of", "training_memory"]

# --------------------------------------------------------------------------------------------------
# Vocabularies

DTYPE_BYTES = {"fp32": 4, "bf16": 2, "fp16": 2}


@dataclass(frozen=True, slots=True)
class Precision:
    """Bytes per trainable parameter (weights, gradients by default, fp32 master copy) and per activation."""

    weight_bytes: int
    grad_dtype: str  # default; TrainingPlan.grad_dtype overrides
    master_bytes: int
    act_bytes: int
    state_dtype: str  # default optimizer-state dtype; TrainingPlan.optimizer_state_dtype overrides
    text: str


PRECISIONS = {
    "fp32": Precision(4, "fp32", 0, 4, "fp32", "fp32 weights, gradients and activations"),
    # Megatron-LM and DeepSpeed's BF16_Optimizer accumulate gradients in fp32 (main_grad); the ZeRO paper's
    # "2 + 2 + 12" keeps them in 16 bits: grad_dtype="bf16"/"fp16".
    "bf16-mixed": Precision(2, "fp32", 4, 2, "fp32", "bf16 weights and activations, fp32 master weights"),
    "fp16-mixed": Precision(2, "fp32", 4, 2, "fp32", "fp16 weights and activations, fp32 master weights"),
    # torch.optim creates its states with torch.zeros_like(param): bf16 states for bf16 parameters.
    "bf16-pure": Precision(2, "bf16", 0, 2, "bf16", "bf16 weights, gradients and activations, no master copy"),
    # torch.autocast with fp32 parameters (HF Trainer bf16=True): fp32 weights and grads, bf16 activations; the
    # bf16 weight copies autocast caches stay referenced by autograd until the backward (a default buffer).
    "amp-bf16": Precision(4, "fp32", 0, 2, "fp32", "fp32 weights under torch.autocast(bf16): bf16 activations"),
}
OPTIMIZERS = ("adamw", "adamw-8bit", "sgd-momentum", "sgd", "adafactor")
RECOMPUTE = ("none", "selective", "full")
ATTENTION = ("flash", "eager")
LORA_BASES = ("bf16", "fp16", "fp32", "nf4", "nf4-dq")

# bitsandbytes Optimizer2State.init_state (bitsandbytes/optim/optimizer.py): 8-bit states with one fp32
# absmax per block of 2048 values per state; tensors under min_8bit_size = 4096 elements keep fp32 states;
# the two 256-entry fp32 quantization maps ("dynamic", "udynamic") are shared by all tensors.
BNB_BLOCK = 2048
BNB_MIN_8BIT_SIZE = 4096
BNB_QMAP_BYTES = 2 * 256 * 4

# Tensor-parallel layout (Megatron-LM column/row-parallel linears, vocab-parallel embedding and head).
_COLUMN = frozenset({"attn_q", "attn_k", "attn_v", "attn_qkv", "attn_q_b", "attn_kv_b", "attn_sinks", "xattn_q",
                     "xattn_k", "xattn_v", "mlp_gate", "mlp_up", "mlp_gate_up", "expert_gate", "expert_up",
                     "expert_gate_up", "shared_gate", "shared_up", "ssm_in", "ssm_dt", "ssm_a", "ssm_d", "ssm_conv",
                     "embed", "lm_head"})
_ROW = frozenset({"attn_o", "xattn_o", "mlp_down", "expert_down", "shared_down", "ssm_x", "ssm_out"})
_KV = frozenset({"attn_k", "attn_v", "xattn_k", "xattn_v"})
_HEAD_ROLES = frozenset({"lm_head", "mlm_transform", "mlm_bias", "pooler"})
_LAYER_NORM_ROLES = frozenset({"norm_attn_in", "norm_attn_out", "norm_mlp_in", "norm_mlp_out", "norm_cross_in",
                               "norm_ssm"})
_ALL_LINEAR = ("attn_*", "xattn_*", "mlp_*", "expert_*", "shared_*", "router", "ssm_in", "ssm_x", "ssm_dt", "ssm_out")


def _is_expert(role: str) -> bool:
    return role.startswith("expert_")


# --------------------------------------------------------------------------------------------------
# Plan


def _positive(value, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InputError(f"{what} must be a positive integer, got {value!r}")
    return value


def _choice(value, options, what: str) -> str:
    if value not in options:
        raise InputError(f"unknown {what} {value!r} (known: {', '.join(options)})")
    return value


@dataclass(frozen=True)
class LoraPlan:
    """LoRA (Hu et al. 2021, arXiv 2106.09685): per targeted matrix W [out, in] the adapters A [r, in] and
    B [out, r] are trained; the base is frozen. ``alpha`` only scales B·A and changes no memory. ``targets``
    are tensor roles or patterns (attn_q, attn_v, mlp_*), or "all-linear" (PEFT: every linear layer but the
    head). ``base``: the frozen weights' storage; "nf4-dq" is QLoRA's NF4 with double quantization, 4.127
    bits/param (Dettmers et al. 2023, arXiv 2305.14314 §3), embeddings, head and norms left in bf16.
    ``adapter_dtype``: PEFT keeps adapters in fp32 (autocast_adapter_dtype); QLoRA's qlora.py casts them to bf16."""

    rank: int
    alpha: float | None = None
    targets: tuple[str, ...] = ("attn_q", "attn_v")  # PEFT's default for Llama-family models
    base: str = "bf16"
    adapter_dtype: str = "fp32"
    dropout: float = 0.0

    def __post_init__(self):
        _positive(self.rank, "LoRA rank")
        if isinstance(self.targets, str):
            object.__setattr__(self, "targets", (self.targets,))
        if not self.targets:
            raise InputError("LoRA targets must name at least one tensor role")
        _choice(self.base, LORA_BASES, "LoRA base format")
        _choice(self.adapter_dtype, tuple(DTYPE_BYTES), "LoRA adapter dtype")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"LoRA dropout must be in [0, 1), got {self.dropout!r}")

    def patterns(self) -> tuple[str, ...]:
        return tuple(p for t in self.targets for p in (_ALL_LINEAR if t == "all-linear" else (t,)))

    def targets_tensor(self, t: Tensor) -> bool:
        return len(t.shape) == 2 and t.name.endswith(".weight") and t.role != "lm_head" and \
            any(fnmatch.fnmatchcase(t.role, p) for p in self.patterns())


@dataclass(frozen=True)
class TrainingPlan:
    """How a model is trained; every field is a knob of a real engine (Megatron-LM, DeepSpeed, FSDP).

    ``grad_accumulation`` (microbatches per optimizer step) changes no per-GPU memory (gradients accumulate in
    place) except that, with pipeline parallelism, fewer microbatches than stages caps the microbatches in
    flight; None means enough to fill the pipeline. ``pp_interleave``: virtual pipeline stages per GPU
    (Megatron's interleaved 1F1B). ``expert_tensor_parallel``: None = ``tensor_parallel``. ``buffers``: named
    extra bytes per GPU; None = the defaults (ZeRO-3's gathered layer, autocast's weight cache), a mapping
    replaces them (e.g. ``deepspeed_buffers(...)``)."""

    precision: str = "bf16-mixed"
    grad_dtype: str | None = None
    optimizer: str = "adamw"
    optimizer_state_dtype: str | None = None
    adafactor_momentum: bool = False  # Adafactor's optional first moment (beta1); off by default (§3, §6)
    zero_stage: int = 0
    data_parallel: int = 1
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    pp_layers: tuple[int, ...] | None = None
    pp_interleave: int = 1
    expert_parallel: int = 1
    expert_tensor_parallel: int | None = None
    context_parallel: int = 1
    sequence_parallel: bool = False
    recompute: str = "none"
    attention: str = "flash"
    dropout: bool = False  # store dropout masks (Korthikanti's accounting; most current LLMs train without)
    fused_cross_entropy: bool = False  # logits kept once in the activation dtype (Megatron's fused CE), not fp32
    micro_batch: int = 1
    seq_len: int = 2048
    grad_accumulation: int | None = None
    lora: LoraPlan | None = None
    buffers: Mapping[str, int] | None = field(default=None, hash=False, compare=False)

    def __post_init__(self):
        _choice(self.precision, tuple(PRECISIONS), "precision")
        if self.grad_dtype is not None:
            _choice(self.grad_dtype, tuple(DTYPE_BYTES), "gradient dtype")
        if self.optimizer_state_dtype is not None:
            _choice(self.optimizer_state_dtype, tuple(DTYPE_BYTES), "optimizer state dtype")
        _choice(self.optimizer, OPTIMIZERS, "optimizer")
        _choice(self.recompute, RECOMPUTE, "recompute mode")
        _choice(self.attention, ATTENTION, "attention implementation")
        if self.zero_stage not in (0, 1, 2, 3) or isinstance(self.zero_stage, bool):
            raise InputError(f"ZeRO stage must be 0, 1, 2 or 3, got {self.zero_stage!r}")
        for name, what in (("data_parallel", "data parallel size"), ("tensor_parallel", "tensor parallel size"),
                           ("pipeline_parallel", "pipeline parallel size"),
                           ("pp_interleave", "virtual pipeline stages per GPU"),
                           ("expert_parallel", "expert parallel size"), ("context_parallel", "context parallel size"),
                           ("micro_batch", "micro batch size"), ("seq_len", "sequence length")):
            _positive(getattr(self, name), what)
        if self.expert_tensor_parallel is not None:
            _positive(self.expert_tensor_parallel, "expert tensor parallel size")
        if self.grad_accumulation is not None:
            _positive(self.grad_accumulation, "gradient accumulation steps")
        if self.pp_layers is not None:
            object.__setattr__(self, "pp_layers", tuple(self.pp_layers))
            if len(self.pp_layers) != self.pipeline_parallel:
                raise InputError(f"pp_layers lists {len(self.pp_layers)} stages for pipeline parallel size "
                                 f"{self.pipeline_parallel}")
            for n in self.pp_layers:
                if isinstance(n, bool) or not isinstance(n, int) or n < 0:
                    raise InputError(f"pp_layers entries must be non-negative integers, got {n!r}")
        if self.seq_len % self.context_parallel:
            raise InputError(f"context parallel size {self.context_parallel} does not divide sequence length "
                             f"{self.seq_len}")
        if self.sequence_parallel and self.tensor_parallel > 1 and (self.seq_len // self.context_parallel) \
                % self.tensor_parallel:
            raise InputError(f"sequence parallelism needs the sequence length per context-parallel rank "
                             f"({self.seq_len // self.context_parallel}) divisible by tensor parallel size "
                             f"{self.tensor_parallel}")
        if self.buffers is not None:
            for k, v in self.buffers.items():
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    raise InputError(f"buffer {k!r} must be a non-negative number of bytes, got {v!r}")
            object.__setattr__(self, "buffers", dict(self.buffers))

    # -- derived --------------------------------------------------------------------------------
    @property
    def etp(self) -> int:
        return self.expert_tensor_parallel if self.expert_tensor_parallel is not None else self.tensor_parallel

    @property
    def prec(self) -> Precision:
        return PRECISIONS[self.precision]

    @property
    def grad_bytes(self) -> int:
        return DTYPE_BYTES[self.grad_dtype or self.prec.grad_dtype]

    @property
    def state_bytes(self) -> int:
        return DTYPE_BYTES[self.optimizer_state_dtype or self.prec.state_dtype]

    @property
    def dense_shard(self) -> int:
        """Ranks ZeRO partitions dense states over: data x context parallel (Megatron's distributed optimizer
        uses the data-parallel group with context parallelism; torchtitan shards FSDP over dp_shard x cp)."""
        return self.data_parallel * self.context_parallel

    @property
    def sp_div(self) -> int:
        return self.tensor_parallel if (self.sequence_parallel and self.tensor_parallel > 1) else 1

    def to_dict(self) -> dict:
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k not in ("lora", "buffers", "pp_layers")}
        d["pp_layers"] = list(self.pp_layers) if self.pp_layers is not None else None
        d["lora"] = None if self.lora is None else {
            "rank": self.lora.rank, "alpha": self.lora.alpha, "targets": list(self.lora.targets),
            "base": self.lora.base, "adapter_dtype": self.lora.adapter_dtype, "dropout": self.lora.dropout}
        d["buffers"] = None if self.buffers is None else dict(self.buffers)
        return d


def deepspeed_buffers(zero_stage: int, *, bytes_per_element: int = 2, reduce_bucket_size: int = 500_000_000,
                      allgather_bucket_size: int = 500_000_000, prefetch_bucket_size: int = 50_000_000,
                      max_live_parameters: int = 1_000_000_000) -> dict[str, int]:
    """DeepSpeed's bucket buffers at its defaults (deepspeed/runtime/zero/config.py: reduce_bucket_size and
    allgather_bucket_size 5e8 elements, stage3_prefetch_bucket_size 5e7, stage3_max_live_parameters 1e9), in
    16-bit elements. These are upper bounds the engine may allocate, not always-resident tensors."""
    if zero_stage in (1, 2):
        return {"deepspeed_reduce_bucket": reduce_bucket_size * bytes_per_element,
                "deepspeed_allgather_bucket": allgather_bucket_size * bytes_per_element}
    if zero_stage == 3:
        return {"deepspeed_reduce_bucket": reduce_bucket_size * bytes_per_element,
                "deepspeed_prefetch_bucket": prefetch_bucket_size * bytes_per_element,
                "deepspeed_max_live_parameters": max_live_parameters * bytes_per_element}
    return {}


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


def model_states(params: int, plan: TrainingPlan = TrainingPlan()) -> ModelStates:
    """Model states per GPU for ``params`` trainable parameters, split evenly over TP x PP (as Megatron's
    theoretical_memory_usage and the ZeRO paper do) and partitioned by ZeRO over data x context parallel.
    The parameters are treated as one flat tensor (the 8-bit optimizer's block overhead is then exact for a
    flat buffer). Use :func:`training_memory` for per-tensor detail, LoRA and Adafactor."""
    if isinstance(params, bool) or not isinstance(params, int) or params < 1:
        raise InputError(f"parameter count must be a positive integer, got {params!r}")
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


# --------------------------------------------------------------------------------------------------
# Entry point


def training_memory(model, plan: TrainingPlan = TrainingPlan()) -> TrainingMemory:
    """Training memory per GPU of ``model`` (a :class:`~paramscope.model.Model`) under ``plan``, for the
    most-loaded pipeline stage."""
    spec = model.require_spec("training memory")
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
