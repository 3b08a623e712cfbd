"""One deployment description: model, device, GPU count and layout, engine with its settings, weight scheme,
KV dtype and workload. ``memory``, ``fit``, ``perf`` (and the library functions behind them) all derive their
numbers from a :class:`Deployment` and its engine profile (engines/), so one deployment gets one answer.

    >>> from paramscope import load_model
    >>> from paramscope.deployment import build_deployment
    >>> dep = build_deployment(load_model("llama-3.1-8b"), context=8192)
    >>> dep.engine, dep.layout.gpus
    ('vllm', 1)

Layout rules (the engine profile's): vLLM and transformers use tensor parallelism inside a node (the widest
size <= 8 that divides the GPU count and every layer's attention heads) and pipeline stages across;
llama.cpp splits whole layers across GPUs (``split_mode = layer``, a pipeline-like split) unless told
``row`` (matrices split by rows, a tensor-like split). Expert parallelism (vLLM) spreads the routed experts
over tp x dp ranks instead of sharding each expert.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .engines import default_engine, get_engine
from .errors import InputError

MAX_TP = 8  # GPUs per node sharing NVLink; tensor parallelism beyond a node is not modelled
KNOB_NAMES = ("gpu_memory_utilization", "max_num_seqs", "max_num_batched_tokens", "n_ctx", "n_gpu_layers",
              "split_mode")
DEFAULT_CONTEXT = 4096  # tokens per sequence when neither the context nor prompt + generation is given
DEFAULT_GEN = 128  # generated tokens per sequence when not given


@dataclass(frozen=True)
class Layout:
    """How one model replica is spread over GPUs. ``gpus = tensor_parallel x pipeline_parallel x
    data_parallel``; ``split`` is how the engine cuts the model: ``tensor`` (TP), ``layer`` (whole layers per
    GPU, llama.cpp's default) or ``row`` (llama.cpp's row split)."""

    gpus: int
    tensor_parallel: int = 1
    pipeline_parallel: int = 1
    data_parallel: int = 1
    expert_parallel: int = 1
    split: str = "tensor"

    def to_dict(self) -> dict:
        return {"gpus": self.gpus, "tensor_parallel": self.tensor_parallel,
                "pipeline_parallel": self.pipeline_parallel, "data_parallel": self.data_parallel,
                "expert_parallel": self.expert_parallel, "split": self.split}

    def describe(self) -> str:
        parts = [f"tp {self.tensor_parallel}", f"pp {self.pipeline_parallel}"]
        if self.data_parallel > 1:
            parts.append(f"dp {self.data_parallel}")
        if self.expert_parallel > 1:
            parts.append(f"ep {self.expert_parallel}")
        return f"{self.gpus} GPU{'s' if self.gpus > 1 else ''}, " + ", ".join(parts) + f", {self.split} split"


@dataclass(frozen=True)
class Workload:
    batch: int = 1  # sequences held at once (concurrency)
    context: int = DEFAULT_CONTEXT  # tokens held in the cache per sequence
    prompt_tokens: int = DEFAULT_CONTEXT - DEFAULT_GEN
    gen_tokens: int = DEFAULT_GEN
    prefill_chunk: int | None = None  # tokens per sequence processed at once; None = the engine's

    def to_dict(self) -> dict:
        return {"batch": self.batch, "context": self.context, "prompt_tokens": self.prompt_tokens,
                "gen_tokens": self.gen_tokens, "prefill_chunk": self.prefill_chunk}


@dataclass(frozen=True)
class Deployment:
    model: object = field(repr=False, compare=False)  # paramscope.model.Model
    hardware: object | None = field(repr=False, compare=False)  # paramscope.hardware.Hardware or None
    layout: Layout
    engine: str
    engine_reason: str  # "given" or why the default was chosen
    knobs: tuple  # ((name, value), ...): the engine's settings, its defaults for this device filled in
    knobs_given: tuple  # names the user set
    weights: str = "native"
    kv_dtype: str = "auto"
    workload: Workload = Workload()
    include_mtp: bool = False
    extra_overhead_bytes: int = 0

    @property
    def gpus(self) -> int:
        return self.layout.gpus

    @property
    def knob(self) -> dict:
        return dict(self.knobs)

    @property
    def profile(self):
        return get_engine(self.engine)

    def memory_options(self, **changes):
        """The per-GPU memory question for this deployment (memory.report.MemoryOptions)."""
        from dataclasses import replace

        from .memory.report import MemoryOptions

        hw = self.hardware
        w, k, lay = self.workload, self.knob, self.layout
        o = MemoryOptions(
            weights=self.weights, engine=self.engine, batch=w.batch, context=w.context, kv_dtype=self.kv_dtype,
            prefill_chunk=w.prefill_chunk, tensor_parallel=lay.tensor_parallel,
            pipeline_parallel=lay.pipeline_parallel, expert_parallel=lay.expert_parallel, split=lay.split,
            extra_overhead_bytes=self.extra_overhead_bytes, include_mtp=self.include_mtp,
            gpu_memory_bytes=None if hw is None else hw.memory_bytes, gpu_id=None if hw is None else hw.id,
            gpu_kind=None if hw is None else hw.kind,
            **{n: k.get(n) for n in KNOB_NAMES if n != "split_mode"})
        return replace(o, **changes) if changes else o

    def to_dict(self) -> dict:
        hw = self.hardware
        name = self.model.name if hasattr(self.model, "name") else str(self.model)  # (getattr's default is built eagerly)
        return {"model": name,
                "hardware": None if hw is None else hw.id, "gpus": self.layout.gpus, "layout": self.layout.to_dict(),
                "engine": {"name": self.engine, "reason": self.engine_reason, "settings": dict(self.knobs),
                           "settings_given": list(self.knobs_given)},
                "weights": self.weights, "kv_dtype": self.kv_dtype, "workload": self.workload.to_dict()}

    def describe_engine(self) -> str:
        """One line: the engine, why it was chosen, and its settings (defaults marked)."""
        given = set(self.knobs_given)
        sets = ", ".join(f"{n} {_fmt(v)}" + ("" if n in given else " (default)") for n, v in self.knobs
                         if v is not None)
        return f"engine: {self.engine} ({self.engine_reason})" + (f"; {sets}" if sets else "")


def _fmt(v) -> str:
    return f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else str(v)


def _heads(spec) -> list[int]:
    return [layer.attention.num_heads for s in spec.language_stacks for layer in s.layers if layer.attention]


def default_layout(spec, gpus: int, engine: str | None = None, split_mode: str | None = None) -> Layout | None:
    """The engine's own way of using ``gpus`` GPUs for one replica; None when it cannot lay them out."""
    if gpus < 1:
        raise InputError(f"GPU count must be >= 1, got {gpus}")
    profile = get_engine(engine)
    split = split_mode or profile.split
    layers = max(1, spec.num_layers)
    if split == "layer":
        return Layout(gpus, 1, gpus, split="layer") if gpus <= layers else None
    if split == "row":
        return Layout(gpus, gpus, 1, split="row")
    heads = _heads(spec)
    for tp in range(min(gpus, MAX_TP), 0, -1):
        if gpus % tp == 0 and all(h % tp == 0 for h in heads):
            pp = gpus // tp
            if pp <= layers:
                return Layout(gpus, tp, pp)
    return None


def _is_moe(spec) -> bool:
    return any(getattr(layer.ffn, "num_experts", None) for s in spec.language_stacks for layer in s.layers)


def resolve_layout(spec, profile, *, gpus: int | None, tp: int | None, pp: int | None, dp: int | None,
                   ep: int | None, split_mode: str | None) -> Layout:
    for name, v in (("GPU count", gpus), ("tensor parallel size", tp), ("pipeline parallel size", pp),
                    ("data parallel size", dp), ("expert parallel size", ep)):
        if v is not None and v < 1:
            raise InputError(f"{name} must be >= 1, got {v}")
    dp_ = dp or 1
    if split_mode is not None and split_mode not in profile.split_modes:
        raise InputError(f"{profile.name} has no split mode {split_mode!r} (its modes: {', '.join(profile.split_modes)})")
    split = split_mode
    if split is None and profile.split == "layer" and tp is not None and tp > 1:
        split = "row"  # llama.cpp: a tensor-like split across GPUs is its row split
    split = split or profile.split
    if tp is None and pp is None:
        n = gpus or dp_
        if n % dp_:
            raise InputError(f"GPU count {n} is not a multiple of the data parallel size {dp_}")
        lay = default_layout(spec, n // dp_, profile.name, split)
        if lay is None:
            raise InputError(f"{n // dp_} GPUs cannot be laid out for {spec.name} with {profile.name}: no tensor-"
                             f"parallel size <= {MAX_TP} divides both the GPU count and the attention heads")
        lay = Layout(n, lay.tensor_parallel, lay.pipeline_parallel, dp_, 1, lay.split)
    else:
        t, p = tp or 1, pp or 1
        if split == "layer" and t > 1:
            raise InputError(f"{profile.name}'s layer split has no tensor parallelism; use the row split for it")
        if split == "row" and p > 1:
            raise InputError(f"{profile.name}'s row split has no pipeline stages")
        if split == "layer" and tp is None and pp is not None:
            pass
        n = t * p * dp_
        if gpus is not None and gpus != n:
            raise InputError(f"GPU count {gpus} does not equal tp x pp x dp = {t} x {p} x {dp_} = {n}")
        if split == "tensor":
            for h in _heads(spec):
                if h % t:
                    raise InputError(f"tensor parallel size {t} does not divide the {h} attention heads")
        if p > max(1, spec.num_layers):
            raise InputError(f"pipeline parallel size {p} exceeds the {spec.num_layers} layers")
        lay = Layout(n, t, p, dp_, 1, split)
    if ep is not None and ep > 1:
        if profile.name != "vllm":
            raise InputError(f"expert parallelism is modelled for vllm only, not {profile.name}")
        if not _is_moe(spec):
            raise InputError(f"expert parallelism needs a mixture-of-experts model; {spec.name} has no experts")
        if ep != lay.tensor_parallel * lay.data_parallel:
            raise InputError(f"vLLM's expert parallel size is tp x dp = {lay.tensor_parallel * lay.data_parallel}, "
                             f"got {ep}")
        lay = Layout(lay.gpus, lay.tensor_parallel, lay.pipeline_parallel, lay.data_parallel, ep, lay.split)
    return lay


def build_deployment(model, hardware=None, *, engine: str | None = None, gpus: int | None = None,
                     tp: int | None = None, pp: int | None = None, dp: int | None = None, ep: int | None = None,
                     weights: str = "native", kv_dtype: str = "auto", batch: int = 1, context: int | None = None,
                     prompt_tokens: int | None = None, gen_tokens: int | None = None,
                     prefill_chunk: int | None = None, include_mtp: bool = False, extra_overhead_bytes: int = 0,
                     **knobs) -> Deployment:
    """Resolve every default once: the engine (default_engine's rule), its settings for this device, the
    layout (the engine's split), and the workload (context = prompt + generation when those are given)."""
    spec = model.require_spec("deployment")
    unknown = sorted(set(knobs) - set(KNOB_NAMES))
    if unknown:
        raise InputError(f"unknown engine setting(s): {', '.join(unknown)}")
    if engine is None:
        engine, reason = default_engine(weights=weights, model_source=getattr(model, "source", None),
                                        device_kind=None if hardware is None else hardware.kind)
    else:
        reason = "given"
    profile = get_engine(engine)
    given = {k: v for k, v in knobs.items() if v is not None}
    resolved = profile.resolve_knobs(given, None if hardware is None else hardware.memory_bytes,
                                     None if hardware is None else hardware.id)
    layout = resolve_layout(spec, profile, gpus=gpus, tp=tp, pp=pp, dp=dp, ep=ep,
                            split_mode=resolved.get("split_mode"))
    if "split_mode" in resolved:
        resolved["split_mode"] = layout.split
    workload = _workload(batch, context, prompt_tokens, gen_tokens, prefill_chunk, resolved.get("n_ctx"))
    order = [k.name for k in profile.knobs]
    return Deployment(model, hardware, layout, profile.name, reason,
                      tuple((k, resolved.get(k)) for k in order), tuple(sorted(given)), weights, kv_dtype, workload,
                      include_mtp, extra_overhead_bytes)


def _workload(batch, context, prompt, gen, chunk, n_ctx) -> Workload:
    if batch < 1:
        raise InputError(f"batch must be >= 1, got {batch}")
    if gen is not None and gen < 1:
        raise InputError(f"generation must be >= 1 token, got {gen}")
    if prompt is not None and prompt < 1:
        raise InputError(f"prompt must be >= 1 token, got {prompt}")
    if context is not None and context < 1:
        raise InputError(f"context must be >= 1 token, got {context}")
    if chunk is not None and chunk < 1:
        raise InputError(f"prefill chunk must be >= 1 token, got {chunk}")
    if context is None and n_ctx is not None:
        context = -(-n_ctx // batch)  # llama.cpp: n_ctx cells shared by the sequences
    if context is None:
        if prompt is None and gen is None:
            context = DEFAULT_CONTEXT
        else:
            context = (prompt if prompt is not None else DEFAULT_CONTEXT - DEFAULT_GEN) + (gen or DEFAULT_GEN)
    gen = gen if gen is not None else min(DEFAULT_GEN, max(1, context - 1))
    prompt = prompt if prompt is not None else max(1, context - gen)
    if prompt + gen > context:
        raise InputError(f"prompt + generation = {prompt + gen:,} tokens exceed the context of {context:,}")
    if n_ctx is not None and n_ctx < batch * context:
        raise InputError(f"n_ctx {n_ctx:,} holds fewer than batch x context = {batch * context:,} tokens")
    return Workload(batch, context, prompt, gen, chunk)
