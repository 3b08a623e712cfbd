"""Does a model fit, and on what? The honest version of seed 001's ``optimize_batch_size``.

Everything here searches over the exact memory models (memory.report for inference, memory.training for
training); nothing is re-estimated. Inference memory grows monotonically with batch and context, and
training memory with micro-batch and sequence length, so the largest values are found by bisection.

Usable capacity per GPU: the device's memory; with ``--engine vllm`` only ``gpu_memory_utilization`` of it
(vLLM's own budget, data/engines.toml). Multi-GPU inference layouts put tensor parallelism inside a node
(at most 8 GPUs, a divisor of every layer's attention heads) and pipeline parallelism across.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .errors import InputError
from .memory.kv import check_engine, engine_const
from .memory.report import MemoryOptions, memory_report

MAX_TP = 8  # GPUs per node sharing NVLink; tensor parallelism beyond a node is not modelled
GPU_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096)
MAX_BATCH = 1 << 20
MAX_CONTEXT_WITHOUT_LIMIT = 1 << 24


@dataclass(frozen=True)
class Layout:
    gpus: int
    tensor_parallel: int
    pipeline_parallel: int = 1
    data_parallel: int = 1

    def to_dict(self) -> dict:
        return {"gpus": self.gpus, "tensor_parallel": self.tensor_parallel,
                "pipeline_parallel": self.pipeline_parallel, "data_parallel": self.data_parallel}


@dataclass(frozen=True)
class FitReport:
    mode: str  # "inference" | "training"
    model: str
    hardware: str
    capacity_bytes: int  # usable per GPU
    layout: Layout
    fits: bool
    per_gpu_bytes: int | None  # None when the layout itself is impossible
    fewest: Layout | None
    max_context: int | None  # tokens per sequence at the given batch (inference) or micro-batch (training)
    max_batch: int | None
    context_limit: int | None  # the model's max_position_embeddings, if stated
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "model": self.model, "hardware": self.hardware,
                "capacity_bytes": self.capacity_bytes, "layout": self.layout.to_dict(), "fits": self.fits,
                "per_gpu_bytes": self.per_gpu_bytes, "headroom_bytes": None if self.per_gpu_bytes is None
                else self.capacity_bytes - self.per_gpu_bytes,
                "fewest_gpus": None if self.fewest is None else self.fewest.gpus,
                "fewest_layout": None if self.fewest is None else self.fewest.to_dict(),
                "max_context": self.max_context, "max_batch": self.max_batch,
                "context_limit": self.context_limit, "notes": list(self.notes)}


def usable_bytes(hw, engine: str) -> int:
    if check_engine(engine) == "vllm":
        return int(hw.memory_bytes * engine_const("vllm", "gpu_memory_utilization"))
    return hw.memory_bytes


def _heads(spec) -> list[int]:
    return [layer.attention.num_heads for s in spec.language_stacks for layer in s.layers if layer.attention]


def inference_layout(spec, gpus: int, engine: str = "transformers") -> Layout | None:
    """Tensor parallelism as wide as divides the heads (at most 8 and dividing ``gpus``), pipeline across.
    llama.cpp splits by layers across GPUs by default (--split-mode layer), which is a pipeline split."""
    if gpus < 1:
        raise InputError(f"GPU count must be >= 1, got {gpus}")
    if check_engine(engine) == "llama.cpp":
        return Layout(gpus, 1, gpus) if gpus <= max(1, spec.num_layers) else None
    heads = _heads(spec)
    for tp in range(min(gpus, MAX_TP), 0, -1):
        if gpus % tp == 0 and all(h % tp == 0 for h in heads):
            pp = gpus // tp
            if pp <= max(1, spec.num_layers):
                return Layout(gpus, tp, pp)
    return None


def _bisect(ok, lo: int, hi: int) -> int | None:
    """Largest x in [lo, hi] with ok(x), for a monotone predicate; None when ok(lo) is false."""
    if not ok(lo):
        return None
    if ok(hi):
        return hi
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (mid, hi) if ok(mid) else (lo, mid)
    return lo


def _hw_options(o: MemoryOptions, hw) -> MemoryOptions:
    return replace(o, gpu_memory_bytes=hw.memory_bytes, gpu_is_a100=hw.id.startswith("a100"))


def inference_fit(model, hw, gpus: int = 1, options: MemoryOptions | None = None) -> FitReport:
    spec = model.require_spec("fit")
    o = _hw_options(options or MemoryOptions(), hw)
    cap = usable_bytes(hw, o.engine)
    notes = [f"usable memory per GPU: {cap:,} bytes" + (" (vLLM gpu_memory_utilization)" if
                                                         check_engine(o.engine) == "vllm" else "")]

    def per_gpu(layout: Layout, **kw) -> int:
        return memory_report(model, replace(o, tensor_parallel=layout.tensor_parallel,
                                            pipeline_parallel=layout.pipeline_parallel, **kw)).total_bytes

    layout = inference_layout(spec, gpus, o.engine)
    if layout is None:
        raise InputError(f"{gpus} GPUs cannot be laid out for {spec.name}: no tensor-parallel size <= {MAX_TP} "
                         f"divides both {gpus} and the attention heads")
    used = per_gpu(layout)
    fits = used <= cap

    fewest = None
    for n in GPU_COUNTS:
        lay = inference_layout(spec, n, o.engine)
        if lay is not None and per_gpu(lay) <= cap:
            fewest = lay
            break
    if fewest is None:
        notes.append(f"does not fit on {GPU_COUNTS[-1]} GPUs or fewer at this batch and context")

    limit = spec.max_context
    max_context = max_batch = None
    if fits:
        hi = limit or MAX_CONTEXT_WITHOUT_LIMIT
        max_context = _bisect(lambda c: per_gpu(layout, context=c) <= cap, 1, hi)
        if limit and max_context == limit:
            notes.append(f"the model's full context ({limit:,} tokens) fits at batch {o.batch}")
        max_batch = _bisect(lambda b: per_gpu(layout, batch=b) <= cap, 1, MAX_BATCH)
    return FitReport("inference", model.name, hw.id, cap, layout, fits, used, fewest, max_context, max_batch,
                     limit, notes)


def training_fit(model, hw, gpus: int, plan) -> FitReport:
    """Training: the plan's data-parallel size is ``gpus / (tp * pp * cp)``; fewest GPUs keeps the plan's
    tensor/pipeline/context sizes and grows data parallelism (which shards only with ZeRO >= 1)."""
    from .memory.training import training_memory

    model.require_spec("fit")
    cap = hw.memory_bytes
    model_par = plan.tensor_parallel * plan.pipeline_parallel * plan.context_parallel
    if gpus % model_par:
        raise InputError(f"{gpus} GPUs is not a multiple of tp x pp x cp = {model_par}")
    notes = []

    def per_gpu(n: int, **kw) -> int:
        return training_memory(model, replace(plan, data_parallel=n // model_par, **kw)).total_bytes

    used = per_gpu(gpus)
    fits = used <= cap
    fewest = None
    for n in GPU_COUNTS:
        if n % model_par == 0 and per_gpu(n) <= cap:
            fewest = Layout(n, plan.tensor_parallel, plan.pipeline_parallel, n // model_par)
            break
    if fewest is None:
        notes.append(f"does not fit on {GPU_COUNTS[-1]} GPUs or fewer with this plan"
                     + ("; ZeRO stage 0 does not shard over data parallelism" if plan.zero_stage == 0 else ""))
    max_seq = max_mb = None
    limit = model.spec.max_context
    if fits:
        step = plan.context_parallel * (plan.tensor_parallel if plan.sequence_parallel else 1)
        hi = (limit or MAX_CONTEXT_WITHOUT_LIMIT) // step
        k = _bisect(lambda s: per_gpu(gpus, seq_len=s * step) <= cap, 1, hi)
        max_seq = None if k is None else k * step
        max_mb = _bisect(lambda b: per_gpu(gpus, micro_batch=b) <= cap, 1, MAX_BATCH)
    layout = Layout(gpus, plan.tensor_parallel, plan.pipeline_parallel, gpus // model_par)
    return FitReport("training", model.name, hw.id, cap, layout, fits, used, fewest, max_seq, max_mb, limit, notes)
