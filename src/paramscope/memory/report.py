"""Inference memory per GPU: weights + KV cache (all per-sequence state) + activations + overheads.

Parallelism: tensor parallelism splits every matrix of the blocks, the embedding and the head across
``tensor_parallel`` ranks (vocabulary-parallel embedding) and keeps 1-D tensors (norms, biases) whole;
KV heads are split (and replicated when there are fewer than ranks). Pipeline parallelism splits the
layers into contiguous stages; the report is for the MOST-loaded stage (the first holds the embedding,
the last the final norm and head; a tied head needs the embedding matrix on the last stage too).

Overheads are named, sourced constants (data/engines.toml) and can be overridden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from ..errors import InputError
from ..spec import ModelSpec
from .activations import inference_activations
from .formats import dtype_bits
from .kv import KvOptions, check_engine, engine_const, kv_cache, model_dtype
from .weights import weight_report

_SPLIT_GROUPS = frozenset({"attention", "cross_attention", "mlp", "experts", "shared_experts", "router", "embedding",
                           "head", "ssm", "position"})


@dataclass(frozen=True)
class MemoryOptions:
    weights: str = "native"
    engine: str = "transformers"
    batch: int = 1
    context: int = 4096  # tokens held in the cache per sequence
    kv_dtype: str = "auto"
    prefill_chunk: int | None = None  # tokens per sequence processed at once; None = engine default
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    cuda_context_bytes: int | None = None  # override data/engines.toml
    extra_overhead_bytes: int = 0
    include_mtp: bool = False
    # vLLM scheduler limits; None = vLLM's defaults for the GPU (EngineArgs.get_batch_defaults, online serving)
    max_num_seqs: int | None = None
    max_num_batched_tokens: int | None = None
    gpu_memory_bytes: int | None = None  # picks vLLM's defaults; None = its fallback defaults
    gpu_is_a100: bool = False


@dataclass(frozen=True)
class MemoryReport:
    model: str
    options: MemoryOptions
    weights_bytes: int
    kv_cache_bytes: int
    activation_bytes: int
    overhead_bytes: int
    parts: dict = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.activation_bytes + self.overhead_bytes

    @property
    def gpus(self) -> int:
        return self.options.tensor_parallel * self.options.pipeline_parallel

    def to_dict(self) -> dict:
        o = self.options
        return {
            "model": self.model,
            "weights_bytes": self.weights_bytes,
            "kv_cache_bytes": self.kv_cache_bytes,
            "activation_bytes": self.activation_bytes,
            "overhead_bytes": self.overhead_bytes,
            "total_bytes": self.total_bytes,
            "per_gpu": self.gpus > 1,
            "gpus": self.gpus,
            "options": {"weights": o.weights, "engine": o.engine, "batch": o.batch, "context": o.context,
                        "kv_dtype": o.kv_dtype, "prefill_chunk": o.prefill_chunk,
                        "tensor_parallel": o.tensor_parallel, "pipeline_parallel": o.pipeline_parallel},
            "parts": self.parts,
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }


def _check(spec: ModelSpec, o: MemoryOptions) -> list[str]:
    warnings = []
    if o.batch < 1:
        raise InputError(f"batch must be >= 1, got {o.batch}")
    if o.context < 1:
        raise InputError(f"context must be >= 1 token, got {o.context}")
    if o.tensor_parallel < 1 or o.pipeline_parallel < 1:
        raise InputError("tensor and pipeline parallel sizes must be >= 1")
    for stack in spec.language_stacks:
        for layer in stack.layers:
            a = layer.attention
            if a is not None and a.num_heads % o.tensor_parallel:
                raise InputError(f"tensor parallel size {o.tensor_parallel} does not divide the "
                                 f"{a.num_heads} attention heads")
    if o.pipeline_parallel > max(1, spec.num_layers):
        raise InputError(f"pipeline parallel size {o.pipeline_parallel} exceeds the {spec.num_layers} layers")
    if spec.max_context is not None and o.context > spec.max_context:
        warnings.append(f"context {o.context} exceeds the model's max_position_embeddings {spec.max_context}: "
                        "the model was not trained for it (memory is still computed)")
    return warnings


def _stage_of_layers(n: int, pp: int) -> list[list[int]]:
    base, rem = divmod(n, pp)
    stages, start = [], 0
    for s in range(pp):
        size = base + (1 if s < rem else 0)
        stages.append(list(range(start, start + size)))
        start += size
    return stages


def _weights_per_gpu(model, w, o: MemoryOptions) -> tuple[int, dict]:
    """Bytes on the most-loaded GPU, tensor by tensor: 2-D tensors of the blocks, the embedding and the head
    are split over the tensor-parallel ranks, 1-D tensors are replicated; pipeline stages take contiguous
    layers, the first stage the embedding and model-level tensors, the last the final norm and head."""
    tp, pp = o.tensor_parallel, o.pipeline_parallel
    if tp == 1 and pp == 1:
        return w.total_bytes, {}
    spec = model.spec
    stages = _stage_of_layers(spec.num_layers, pp)
    stage_of = {}
    offset = 0
    for stack in spec.language_stacks:
        for i in range(stack.num_layers):
            stage_of[(stack.name, i)] = next(s for s, ls in enumerate(stages) if offset + i in ls)
        offset += stack.num_layers
    loads = [0.0] * pp
    for t, nbytes in w.entries:
        split = tp if (len(t.shape) >= 2 and t.group in _SPLIT_GROUPS) else 1
        if t.layers:
            per_copy = nbytes / len(t.layers)
            for i in t.layers:
                loads[stage_of.get((t.stack, i), 0)] += per_copy / split
        elif t.role in ("lm_head", "norm_final") and t.stack in ("", "decoder"):
            loads[pp - 1] += nbytes / split
        else:
            loads[0] += nbytes / split
            if pp > 1 and t.role == "embed" and spec.embedding.tied_head:
                loads[pp - 1] += nbytes / split  # a tied head needs the matrix on the last stage too
    worst = max(range(pp), key=lambda s: loads[s])
    return math.ceil(loads[worst]), {"pipeline_stage": worst, "stage_layers": len(stages[worst]),
                                     "per_stage_bytes": [math.ceil(x) for x in loads]}


def overhead_parts(engine: str, o: MemoryOptions) -> dict[str, int]:
    parts = {"cuda_context": o.cuda_context_bytes if o.cuda_context_bytes is not None
             else engine_const("runtime", "cuda_context_bytes")}
    if engine == "vllm":
        parts["vllm_non_torch"] = engine_const("vllm", "non_torch_bytes" if o.tensor_parallel == 1
                                               else "non_torch_bytes_tp_gt1")
        parts["vllm_cuda_graphs"] = engine_const("vllm", "cuda_graph_bytes")
    if o.extra_overhead_bytes:
        parts["extra"] = o.extra_overhead_bytes
    return parts


def vllm_batch_defaults(o: MemoryOptions) -> tuple[int, int]:
    """(max_num_batched_tokens, max_num_seqs) vLLM picks for ``vllm serve`` on this GPU (engines.toml)."""
    gib = (o.gpu_memory_bytes or 0) / 2**30
    if o.gpu_memory_bytes is None:
        mnbt, seqs = (engine_const("vllm", "max_num_batched_tokens_default"),
                      engine_const("vllm", "max_num_seqs_default"))
    else:
        key = ("batch_defaults_ge_160gib" if gib >= 160 else
               "batch_defaults_ge_70gib" if gib >= 70 and not o.gpu_is_a100 else "batch_defaults_other_gpu")
        d = engine_const("vllm", key)
        mnbt, seqs = d["online_max_num_batched_tokens"], d["online_max_num_seqs"]
    return o.max_num_batched_tokens or mnbt, o.max_num_seqs or seqs


def memory_report(model, options: MemoryOptions = MemoryOptions()) -> MemoryReport:
    spec = model.require_spec("memory")
    o = options
    engine = check_engine(o.engine)
    warnings = _check(spec, o)
    assumptions: list[str] = []

    w = weight_report(model, o.weights, include_mtp=o.include_mtp)
    warnings += w.warnings
    weights_bytes, w_parts = _weights_per_gpu(model, w, o)

    mnbt, max_seqs = vllm_batch_defaults(o) if engine == "vllm" else (None, None)
    kv = kv_cache(spec, batch=o.batch, context=o.context,
                  options=KvOptions(engine=engine, dtype=o.kv_dtype, tensor_parallel=o.tensor_parallel,
                                    max_num_batched_tokens=mnbt,
                                    # llama.cpp sizes its sliding-window cache with n_ubatch (the prefill chunk)
                                    n_ubatch=o.prefill_chunk if engine == "llama.cpp" else None))
    kv_bytes = kv.total_bytes
    if o.pipeline_parallel > 1:
        kv_bytes = math.ceil(kv_bytes * len(_stage_of_layers(spec.num_layers, o.pipeline_parallel)[0]) / spec.num_layers)

    act_dtype = model_dtype(spec)
    chunk = o.prefill_chunk
    if chunk is None:
        if engine == "transformers":
            chunk = o.context
        elif engine == "vllm":
            chunk = None
        else:
            chunk = engine_const("llama.cpp", "n_ubatch_default")
    if engine == "vllm":
        tokens = mnbt if chunk is None else chunk * o.batch
        sampled = max(o.batch, max_seqs)
        assumptions.append(f"vLLM reserves the activation peak of a profile run over {tokens} batched tokens "
                           f"and a sampler warm-up over {sampled} sequences (max_num_seqs)")
    elif engine == "llama.cpp":
        tokens = min(chunk, o.batch * o.context)
        sampled = o.batch
    else:
        tokens = min(chunk, o.context) * o.batch
        sampled = o.batch
    act = inference_activations(spec, tokens=tokens, sampled=sampled, act_bits=dtype_bits(act_dtype),
                                tensor_parallel=o.tensor_parallel,
                                sampler_copies=engine_const("vllm", "sampler_warmup_logits_copies")
                                if engine == "vllm" else None)
    over = overhead_parts(engine, o)
    assumptions.append(f"activations in {act_dtype}; a memory-efficient attention kernel (no T x T scores)")
    parts = {"weights": w.to_dict() | w_parts, "kv_cache": kv.to_dict(), "activations": act.to_dict(),
             "overhead": over}
    if engine == "vllm":
        parts["vllm_gpu_memory_utilization"] = engine_const("vllm", "gpu_memory_utilization")
    return MemoryReport(spec.name if not model.record else model.record.get("name", spec.name), o, weights_bytes,
                        kv_bytes, act.total_bytes, sum(over.values()), parts, assumptions + kv.notes, warnings)
