"""Training plans: precision, optimizer, parallel layout, recomputation, LoRA/QLoRA (validated on construction).

See memory/training.py for the accounting these plans drive."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import InputError
from ..inventory import Tensor
from .formats import dtype_bits

# --------------------------------------------------------------------------------------------------
# Vocabularies

DTYPE_BYTES = {d: int(dtype_bits(d)) // 8 for d in ("fp32", "bf16", "fp16")}  # one source: data/quant.toml


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
                     "expert_gate_up", "shared_gate", "shared_up", "shared_gate_up", "ssm_in", "ssm_dt", "ssm_a", "ssm_d", "ssm_conv",
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


