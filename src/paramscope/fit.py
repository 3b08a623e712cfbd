"""Does a model fit, and on what? The honest version of seed 001's ``optimize_batch_size``.

Everything here searches over the exact memory models (memory.report for inference, memory.training for
training); nothing is re-estimated. Inference memory grows monotonically with batch and context, and
training memory with micro-batch and sequence length, so the largest values are found by bisection.

Usable capacity per GPU is the engine profile's rule applied to the driver-reported total (engines/:
vLLM gpu_memory_utilization x total; llama.cpp total - CUDA context - its --fit margin; transformers total -
CUDA context). Multi-GPU layouts are the engine's own (deployment.default_layout): tensor parallelism inside
a node and pipeline stages across for vLLM and transformers, whole layers per GPU for llama.cpp.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field, replace

from .deployment import MAX_TP, Layout, default_layout
from .engines import get_engine
from .errors import InputError
from .memory.report import MemoryOptions, memory_report

__all__ = ["GPU_COUNTS", "MAX_TP", "FitReport", "Layout", "fit_deployment", "inference_fit", "inference_layout",
           "training_fit", "usable_bytes"]

GPU_COUNTS = (1, 2, 3, 4, 5, 6, 7, 8, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024, 2048, 4096)
MAX_BATCH = 1 << 20
MAX_CONTEXT_WITHOUT_LIMIT = 1 << 24


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
    capacity: object | None = None  # engines.base.Capacity (inference)

    def to_dict(self) -> dict:
        return {"mode": self.mode, "model": self.model, "hardware": self.hardware,
                "capacity_bytes": self.capacity_bytes, "layout": self.layout.to_dict(), "fits": self.fits,
                "per_gpu_bytes": self.per_gpu_bytes, "headroom_bytes": None if self.per_gpu_bytes is None
                else self.capacity_bytes - self.per_gpu_bytes,
                "fewest_gpus": None if self.fewest is None else self.fewest.gpus,
                "fewest_layout": None if self.fewest is None else self.fewest.to_dict(),
                "max_context": self.max_context, "max_batch": self.max_batch,
                "context_limit": self.context_limit,
                "capacity": None if self.capacity is None else self.capacity.to_dict(), "notes": list(self.notes)}


def usable_bytes(hw, engine: str | None = None, settings: dict | None = None) -> int:
    """Usable bytes per GPU of ``hw`` under ``engine``'s rule (its default settings unless given)."""
    profile = get_engine(engine)
    knobs = profile.resolve_knobs(settings or {}, hw.memory_bytes, hw.id)
    return profile.capacity(hw.memory_bytes, hw.kind, knobs).usable_bytes


def inference_layout(spec, gpus: int, engine: str | None = None, split_mode: str | None = None) -> Layout | None:
    """The engine's own layout for ``gpus`` GPUs (deployment.default_layout)."""
    return default_layout(spec, gpus, engine, split_mode)


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


SECANT_PROBES = 8  # interpolation probes before _largest falls back to bisection


def _largest(total, cap: int, lo: int, hi: int) -> int | None:
    """Largest x in [lo, hi] with total(x) <= cap, for a nondecreasing total (bytes); None when total(lo) > cap.

    The same answer as bisection (_bisect), in fewer evaluations: memory grows linearly in batch and context
    between the steps of paging, padding and reservations, so each probe extrapolates the line through the last
    two fitting points (the bracket's ends at first) to the capacity; flat stretches and curves that need more
    than SECANT_PROBES probes finish by bisection."""
    t_lo = total(lo)
    if t_lo > cap:
        return None
    t_hi = total(hi)
    if t_hi <= cap:
        return hi
    a, ta, b, tb = lo, t_lo, hi, t_hi  # invariant: total(a) <= cap < total(b)
    prev = None  # the fitting point before a: with a, the local slope of total
    for probe in range(SECANT_PROBES + 64):
        if b - a <= 1:
            break
        slope = ((ta - prev[1]) / (a - prev[0]) if prev is not None and ta > prev[1]
                 else (tb - ta) / (b - a))
        if probe < SECANT_PROBES and slope > 0:
            x = a + int((cap - ta) // slope)  # where the line through the last points reaches the capacity
        else:
            x = (a + b) // 2  # a flat stretch, or too many probes: bisect
        x = min(max(x, a + 1), b - 1)
        tx = total(x)
        if tx <= cap:
            prev, (a, ta) = (a, ta), (x, tx)
        else:
            b, tb = x, tx
    return a


_SEARCHES: OrderedDict = OrderedDict()  # (id(model), what, options without the searched field) -> (model, x)
_SEARCHES_MAX = 256


def _search(model, key: tuple, run):
    """A largest-context or largest-batch search, kept for the last few (model, options) pairs: the search does not
    depend on the field it searches over, so a caller who varies only that field (the web app's context slider)
    gets the same answer without searching again. The model object is held with the result."""
    k = (id(model), *key)
    hit = _SEARCHES.get(k)
    if hit is not None and hit[0] is model:
        _SEARCHES.move_to_end(k)
        return hit[1]
    x = run()
    _SEARCHES[k] = (model, x)
    while len(_SEARCHES) > _SEARCHES_MAX:
        _SEARCHES.popitem(last=False)
    return x


def _hw_options(o: MemoryOptions, hw) -> MemoryOptions:
    return replace(o, gpu_memory_bytes=hw.memory_bytes, gpu_id=hw.id, gpu_kind=hw.kind)


def _with_layout(o: MemoryOptions, lay: Layout) -> MemoryOptions:
    return replace(o, tensor_parallel=lay.tensor_parallel, pipeline_parallel=lay.pipeline_parallel,
                   expert_parallel=lay.expert_parallel, split=lay.split)


def fit_deployment(dep) -> FitReport:
    """Fit for a :class:`paramscope.deployment.Deployment` (its hardware is required)."""
    if dep.hardware is None:
        raise InputError("a fit needs a device")
    return inference_fit(dep.model, dep.hardware, dep.gpus, dep.memory_options(), layout=dep.layout)


def inference_fit(model, hw, gpus: int = 1, options: MemoryOptions | None = None,
                  layout: Layout | None = None) -> FitReport:
    spec = model.require_spec("fit")
    o = _hw_options(options or MemoryOptions(), hw)
    split_mode = o.split if o.split == "row" else None

    def report(lay: Layout, **kw):
        return memory_report(model, replace(_with_layout(o, lay), **kw))

    if layout is None:
        layout = inference_layout(spec, gpus, o.engine or report(Layout(1)).engine, split_mode)
    if layout is None:
        raise InputError(f"{gpus} GPUs cannot be laid out for {spec.name}: no tensor-parallel size <= {MAX_TP} "
                         f"divides both {gpus} and the attention heads")
    r = report(layout)
    cap = r.capacity
    used = r.total_bytes
    fits = used <= cap.usable_bytes
    notes = [cap.rule]

    fewest = None
    for n in GPU_COUNTS:
        lay = inference_layout(spec, n, r.engine, split_mode)
        if lay is not None and (r if lay == layout else report(lay)).total_bytes <= cap.usable_bytes:
            fewest = lay
            break
    if fewest is None:
        notes.append(f"does not fit on {GPU_COUNTS[-1]} GPUs or fewer at this batch and context")

    limit = spec.max_context
    hi = limit or MAX_CONTEXT_WITHOUT_LIMIT
    n_ctx_set = o.n_ctx is not None
    lo_ = _with_layout(o, layout)
    max_context = None if n_ctx_set else _search(
        model, ("context", replace(lo_, context=0), hi),
        lambda: _largest(lambda c: report(layout, context=c).total_bytes, cap.usable_bytes, 1, hi))
    if limit and max_context == limit:
        notes.append(f"the model's full context ({limit:,} tokens) fits at batch {o.batch}")
    if max_context is None and not n_ctx_set:
        notes.append(f"nothing fits at batch {o.batch}: the weights and fixed buffers alone exceed the usable memory")
    max_batch = None if n_ctx_set else _search(
        model, ("batch", replace(lo_, batch=0)),
        lambda: _largest(lambda b: report(layout, batch=b).total_bytes, cap.usable_bytes, 1, MAX_BATCH))
    return FitReport("inference", model.name, hw.id, cap.usable_bytes, layout, fits, used, fewest, max_context,
                     max_batch, limit, notes, cap)


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
