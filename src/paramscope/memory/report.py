"""Inference memory per GPU: weights + KV cache (all per-sequence state) + activations + overheads.

Parallelism: tensor parallelism splits every matrix of the blocks, the embedding and the head across
``tensor_parallel`` ranks (vocabulary-parallel embedding) and keeps 1-D tensors (norms, biases) whole;
KV heads are split (and replicated when there are fewer than ranks). Pipeline parallelism splits the
layers into contiguous stages; the report is for the MOST-loaded stage (the first holds the embedding,
the last the final norm and head; a tied head needs the embedding matrix on the last stage too).

Everything engine-specific (KV layout, overheads, the activation reservation, usable memory per GPU, the
engine's settings and their defaults on a device) comes from the engine's profile (engines/); this module
has no branch on an engine's name. Overheads are named, sourced constants (data/engines.toml).

llama.cpp specifics expressed as layout: ``split = row`` keeps the KV cache and the compute buffer on the
main GPU (only the matrices are split); ``n_gpu_layers`` below the layer count keeps the other layers (and
the output layer and embedding) in host memory, reported as ``host_bytes``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass, field

from ..engines import default_engine, get_engine
from ..errors import InputError
from ..spec import ModelSpec
from .activations import inference_activations
from .formats import dtype_bits
from .kv import KvOptions, kv_cache, model_dtype
from .weights import weight_report

_SPLIT_GROUPS = frozenset({"attention", "cross_attention", "mlp", "experts", "shared_experts", "router", "embedding",
                           "head", "ssm", "position"})


@dataclass(frozen=True)
class MemoryOptions:
    weights: str = "native"
    engine: str | None = None  # None = engines.default_engine's rule (vLLM; llama.cpp for GGUF / non-GPU devices)
    batch: int = 1
    context: int = 4096  # tokens held in the cache per sequence
    kv_dtype: str = "auto"
    prefill_chunk: int | None = None  # tokens per sequence processed at once; None = engine default
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    expert_parallel: int = 1  # vLLM: routed experts spread over tp x dp ranks instead of sharded
    split: str | None = None  # tensor | layer | row; None = from tensor/pipeline sizes
    extra_overhead_bytes: int = 0
    include_mtp: bool = False
    cuda_context_bytes: int | None = None  # overrides [runtime.cuda_context_bytes] in the usable-memory rule
    # engine settings (None = the engine's default for the device; a setting of another engine is refused)
    gpu_memory_utilization: float | None = None  # vLLM
    max_num_seqs: int | None = None  # vLLM
    max_num_batched_tokens: int | None = None  # vLLM
    n_ctx: int | None = None  # llama.cpp: KV cells for all sequences
    n_gpu_layers: int | None = None  # llama.cpp: repeating layers offloaded (None = all and the output layer)
    # the device: picks the engine's defaults and its usable memory; None = no device
    gpu_memory_bytes: int | None = None
    gpu_id: str | None = None
    gpu_kind: str | None = None
    gpu_is_a100: bool = False  # kept for callers that pass no gpu_id


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
    engine: str = ""
    settings: dict = field(default_factory=dict)
    capacity: object | None = None  # engines.base.Capacity when a device was given
    host_bytes: int = 0  # llama.cpp partial offload: weights and KV kept in host memory

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.kv_cache_bytes + self.activation_bytes + self.overhead_bytes

    @property
    def capacity_bytes(self) -> int | None:
        return None if self.capacity is None else self.capacity.usable_bytes

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
            "per_gpu_bytes": self.total_bytes,
            "capacity_bytes": self.capacity_bytes,
            "fits": None if self.capacity is None else self.total_bytes <= self.capacity.usable_bytes,
            "host_bytes": self.host_bytes,
            "per_gpu": self.gpus > 1,
            "gpus": self.gpus,
            "engine": self.engine,
            "options": {"weights": o.weights, "engine": self.engine, "batch": o.batch, "context": o.context,
                        "kv_dtype": o.kv_dtype, "prefill_chunk": o.prefill_chunk,
                        "tensor_parallel": o.tensor_parallel, "pipeline_parallel": o.pipeline_parallel,
                        "expert_parallel": o.expert_parallel, "settings": dict(self.settings)},
            "capacity": None if self.capacity is None else self.capacity.to_dict(),
            "parts": self.parts,
            "assumptions": list(self.assumptions),
            "warnings": list(self.warnings),
        }


def _check(spec: ModelSpec, o: MemoryOptions, split: str) -> list[str]:
    warnings = []
    if o.batch < 1:
        raise InputError(f"batch must be >= 1, got {o.batch}")
    if o.context < 1:
        raise InputError(f"context must be >= 1 token, got {o.context}")
    if o.tensor_parallel < 1 or o.pipeline_parallel < 1 or o.expert_parallel < 1:
        raise InputError("tensor, pipeline and expert parallel sizes must be >= 1")
    if split == "tensor":
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


def _global_index(spec) -> dict:
    out, offset = {}, 0
    for stack in spec.language_stacks:
        for i in range(stack.num_layers):
            out[(stack.name, i)] = offset + i
        offset += stack.num_layers
    return out


def _placement(spec, o: MemoryOptions, profile=None):
    """(stage of each global layer index or None for host, model-level tensors on the GPUs?, pp, stage of the
    output layer, input embedding in host memory?). The engine profile says how layers fill the stages."""
    n = spec.num_layers
    k = o.n_gpu_layers
    offloaded = list(range(n)) if k is None or k > n else list(range(n - k, n))  # llama.cpp offloads the last k
    head_on_gpu = k is None or k > n  # llama.cpp: the output layer is offloaded when n_gpu_layers > n_layer
    pp = o.pipeline_parallel
    if offloaded and pp > len(offloaded):
        raise InputError(f"{pp} pipeline stages exceed the {len(offloaded)} layers offloaded")
    stage = {}
    head_stage = pp - 1
    if profile is not None and offloaded:
        groups, head_stage = profile.stage_layers(len(offloaded), pp, head_on_gpu)
    else:
        groups = _stage_of_layers(len(offloaded), pp) if offloaded else []
    for s, idx in enumerate(groups):
        for j in idx:
            stage[offloaded[j]] = s
    embed_host = profile is not None and profile.input_embedding_on_host(o.gpu_kind)
    return stage, head_on_gpu, pp, head_stage, embed_host


def _weights_per_gpu(model, w, o: MemoryOptions, stage: dict, head_on_gpu: bool, pp: int, head_stage: int | None = None,
                     embed_host: bool = False) -> tuple[list[float], float]:
    """Bytes per pipeline stage (on one GPU of it) and bytes in host memory, tensor by tensor: 2-D tensors of
    the blocks, the embedding and the head are split over the tensor-parallel ranks (routed experts over the
    expert-parallel ranks instead, when set), 1-D tensors are replicated; stages take contiguous layers, the
    first the embedding and model-level tensors, the last the final norm and head."""
    spec = model.spec
    tp, ep = o.tensor_parallel, o.expert_parallel
    index = _global_index(spec)
    loads = [0.0] * pp
    host = 0.0
    last = pp - 1 if head_stage is None else head_stage
    for t, nbytes in w.entries:
        matrix = len(t.shape) >= 2 and t.group in _SPLIT_GROUPS
        split = (ep if ep > 1 and t.group == "experts" else tp) if matrix else 1
        if t.layers:
            per_copy = nbytes / len(t.layers)
            for i in t.layers:
                g = index.get((t.stack, i))
                s = stage.get(g, 0) if g is not None else (0 if head_on_gpu else None)
                if g is not None and g not in stage:
                    host += per_copy
                elif s is None:
                    host += per_copy
                else:
                    loads[s] += per_copy / split
        elif not head_on_gpu:
            host += nbytes
        elif t.role in ("lm_head", "norm_final") and t.stack in ("", "decoder"):
            loads[last] += nbytes / split
        elif t.role == "embed" and embed_host:
            host += nbytes  # the engine keeps the input embedding in host memory (llama.cpp)
            if spec.embedding.tied_head:
                loads[last] += nbytes / split  # ... but a tied head reads it on the output layer's device
        else:
            loads[0] += nbytes / split
            if pp > 1 and t.role == "embed" and spec.embedding.tied_head:
                loads[last] += nbytes / split  # a tied head needs the matrix on the last stage too
    return loads, host


def _kv_by_layer(kv, batch: int, cells: bool) -> dict:
    """Bytes of state per (stack, layer) for all sequences."""
    out: dict = {}
    for x in kv.layers:
        if cells:
            per = x.bytes_per_sequence if x.kind != "ssm" else x.state_bytes * batch
        else:
            per = x.bytes_per_sequence * batch
        for i in x.layers:
            out[(x.stack, i)] = out.get((x.stack, i), 0) + per
    return out


_WEIGHT_PARTS: OrderedDict = OrderedDict()  # (id(model), weight options) -> (model, result); bounded LRU
_WEIGHT_PARTS_MAX = 64


def _weight_part(model, o: MemoryOptions, profile):
    """The weights' share of a report -- the scheme's bytes tensor by tensor, the layer placement and the bytes
    per stage -- which depends on neither context nor batch. Kept for the last few (model, options) pairs, so a
    search over contexts or batches (fit, batch, plan) places the weights once. The model object itself is
    held with the result (an id is only compared while its object is alive)."""
    key = (id(model), profile.name, o.weights, o.include_mtp, o.tensor_parallel, o.pipeline_parallel,
           o.expert_parallel, o.n_gpu_layers, o.gpu_kind)
    hit = _WEIGHT_PARTS.get(key)
    if hit is not None and hit[0] is model:
        _WEIGHT_PARTS.move_to_end(key)
        return hit[1]
    w = weight_report(model, o.weights, include_mtp=o.include_mtp)
    placement = _placement(model.spec, o, profile)
    stage, head_on_gpu, pp, head_stage, embed_host = placement
    result = (w, placement, _weights_per_gpu(model, w, o, stage, head_on_gpu, pp, head_stage, embed_host))
    _WEIGHT_PARTS[key] = (model, result)
    while len(_WEIGHT_PARTS) > _WEIGHT_PARTS_MAX:
        _WEIGHT_PARTS.popitem(last=False)
    return result


def memory_report(model, options: MemoryOptions = MemoryOptions()) -> MemoryReport:
    spec = model.require_spec("memory")
    o = options
    engine = o.engine or default_engine(weights=o.weights, model_source=getattr(model, "source", None),
                                        device_kind=o.gpu_kind)[0]
    profile = get_engine(engine)
    engine = profile.name
    gpu_id = o.gpu_id or ("a100" if o.gpu_is_a100 else None)
    settings = profile.resolve_knobs({"gpu_memory_utilization": o.gpu_memory_utilization,
                                      "max_num_seqs": o.max_num_seqs,
                                      "max_num_batched_tokens": o.max_num_batched_tokens,
                                      "n_ctx": o.n_ctx, "n_gpu_layers": o.n_gpu_layers,
                                      "split_mode": o.split if o.split in ("row",) else None},
                                     o.gpu_memory_bytes, gpu_id)
    split = o.split or (profile.split if o.tensor_parallel == 1 else "tensor" if profile.split == "tensor"
                        else "row")
    if split not in profile.split_modes:
        raise InputError(f"{engine} has no split mode {split!r} (its modes: {', '.join(profile.split_modes)})")
    if "split_mode" in settings:
        settings["split_mode"] = split
    warnings = _check(spec, o, split)
    assumptions: list[str] = []
    policy = profile.kv_policy()
    cells = policy.cells == "llama.cpp"

    w, (stage, head_on_gpu, pp, head_stage, embed_host), (loads, host) = _weight_part(model, o, profile)
    warnings += w.warnings

    row = split == "row"  # llama.cpp row split: KV and compute buffers stay on the main GPU
    kv_tp = 1 if row else o.tensor_parallel
    kv = kv_cache(spec, batch=o.batch, context=o.context,
                  options=KvOptions(engine=engine, dtype=o.kv_dtype, tensor_parallel=kv_tp,
                                    max_num_batched_tokens=settings.get("max_num_batched_tokens"),
                                    n_ubatch=o.prefill_chunk, n_ctx=settings.get("n_ctx")))
    index = _global_index(spec)
    kv_loads = [0.0] * pp
    kv_host = 0.0
    for key, b in _kv_by_layer(kv, o.batch, cells).items():
        g = index.get(key)
        if g is None or g in stage:
            kv_loads[stage.get(g, 0)] += b
        else:
            kv_host += b
    worst = max(range(pp), key=lambda s: loads[s] + kv_loads[s])
    weights_bytes = math.ceil(loads[worst])
    kv_bytes = math.ceil(kv_loads[worst])
    w_parts = {}
    if pp > 1 or o.tensor_parallel > 1 or o.n_gpu_layers is not None:
        w_parts = {"pipeline_stage": worst, "stage_layers": sum(1 for v in stage.values() if v == worst),
                   "per_stage_bytes": [math.ceil(x) for x in loads]}

    act_dtype = model_dtype(spec)
    tokens, sampled, copies, note = profile.activation_plan(batch=o.batch, context=o.context,
                                                            prefill_chunk=o.prefill_chunk, knobs=settings)
    if note:
        assumptions.append(note)
    act = inference_activations(spec, tokens=tokens, sampled=sampled, act_bits=dtype_bits(act_dtype),
                                tensor_parallel=kv_tp, sampler_copies=copies)
    over = profile.overheads(o.tensor_parallel)
    if o.extra_overhead_bytes:
        over["extra"] = o.extra_overhead_bytes
    assumptions.append(f"activations in {act_dtype}; a memory-efficient attention kernel (no T x T scores)")
    if row:
        assumptions.append("row split: matrices are split by rows over the GPUs; the KV cache and compute "
                           "buffers stay on the main GPU (the figures are for it)")
    host_bytes = math.ceil(host + kv_host)
    if host_bytes and o.n_gpu_layers is None:
        assumptions.append(f"{engine} keeps the input embedding ({host_bytes:,} B) in host memory, not on a GPU")
    elif host_bytes:
        assumptions.append(f"partial offload: {o.n_gpu_layers} of {spec.num_layers} layers on the GPUs; "
                           f"{host_bytes:,} B of weights and KV stay in host memory")
    capacity = None
    if o.gpu_memory_bytes is not None:
        capacity = profile.capacity(o.gpu_memory_bytes, o.gpu_kind or "gpu", settings)
        if o.cuda_context_bytes is not None and "cuda_context" in capacity.reserved:
            from dataclasses import replace as _replace

            delta = capacity.reserved["cuda_context"] - o.cuda_context_bytes
            capacity = _replace(capacity, usable_bytes=capacity.usable_bytes + delta,
                                reserved=capacity.reserved | {"cuda_context": o.cuda_context_bytes})
    parts = {"weights": w.to_dict() | w_parts, "kv_cache": kv.to_dict(), "activations": act.to_dict(),
             "overhead": over}
    name = spec.name if not model.record else model.record.get("name", spec.name)
    return MemoryReport(name, o, weights_bytes, kv_bytes, act.total_bytes, sum(over.values()), parts,
                        assumptions, warnings, engine, settings, capacity, host_bytes)
