"""What an engine profile is: the one place an inference engine's memory conventions live.

A profile owns its KV layout policy (read by memory/kv.py's per-layer math), the memory it keeps outside
the model (overheads), the transient peak it reserves (activation plan), its knobs and their defaults on a
given device, how it derives usable memory per GPU from the driver-reported total, and how it spreads a
model over several GPUs. Adding an engine means adding one module that defines a profile and registering it
in ``engines/__init__.py``, with its constants (and their sources) in data/engines.toml.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InputError
from ._data import engine_const


@dataclass(frozen=True)
class KvPolicy:
    """How an engine lays out per-sequence state; memory/kv.py applies it layer by layer.

    default_dtype: the cache type when the user says ``auto`` (None: the model's compute dtype).
    mla_layout: ``latent`` (kv_lora_rank + rope, one head) or ``expanded`` (per-head K and V).
    paged_block: tokens per page when the cache is paged (vLLM), else None.
    window: sliding-window rule: ``last`` (transformers: window - 1 tokens), ``in_flight`` (vLLM: window - 1
      plus the tokens in flight), ``iswa`` (llama.cpp cells per stream).
    cells: ``per_sequence`` (each sequence holds its own tokens) or ``llama.cpp`` (n_ctx = batch x context,
      padded, in streams).
    state: ``transformers`` (conv window = kernel, state dtype from the family) or ``engine`` (kernel - 1 inputs,
      in ``state_dtype``).
    state_dtype: dtype name or ``model``, for ``state = engine``.
    fp8_ds_mla_bytes: bytes per token of the fp8_ds_mla layout (vLLM), else None.
    """

    default_dtype: str | None
    mla_layout: str
    paged_block: int | None
    window: str
    cells: str
    state: str
    state_dtype: str | None = None
    fp8_ds_mla_bytes: int | None = None


@dataclass(frozen=True)
class Knob:
    name: str  # the library name (snake_case); the CLI spells it with dashes
    help: str


@dataclass(frozen=True)
class Capacity:
    """Usable bytes per GPU under an engine's own rule, with what was set aside and why."""

    total_bytes: int  # as the driver reports it
    usable_bytes: int
    reserved: dict  # name -> bytes set aside outside the engine's budget
    rule: str  # one sentence, printed with the answer

    def to_dict(self) -> dict:
        return {"total_bytes": self.total_bytes, "usable_bytes": self.usable_bytes,
                "reserved": dict(self.reserved), "rule": self.rule}


class EngineProfile:
    """Base class; each engine module defines one subclass instance."""

    name: str = ""
    aliases: tuple[str, ...] = ()
    knobs: tuple[Knob, ...] = ()
    split: str = "tensor"  # how several GPUs are used by default: "tensor" (TP) or "layer" (PP-like)
    split_modes: tuple[str, ...] = ("tensor",)
    why: str = ""  # one line: what this profile models

    # -- KV ------------------------------------------------------------------------------------------
    def kv_policy(self) -> KvPolicy:  # pragma: no cover - abstract
        raise NotImplementedError

    # -- knobs ---------------------------------------------------------------------------------------
    def knob_defaults(self, gpu_memory_bytes: int | None, gpu_id: str | None) -> dict:
        """The engine's own defaults for these knobs on this device (None: no device given)."""
        return {}

    def resolve_knobs(self, given: dict, gpu_memory_bytes: int | None, gpu_id: str | None) -> dict:
        """Defaults filled in; knobs that do not belong to this engine are refused."""
        names = {k.name for k in self.knobs}
        foreign = sorted(k for k, v in given.items() if v is not None and k not in names)
        if foreign:
            raise InputError(f"{', '.join(foreign)} {'is' if len(foreign) == 1 else 'are'} not a setting of "
                             f"{self.name}" + (f" (its settings: {', '.join(sorted(names))})" if names else
                                                " (it has no engine settings here)"))
        out = self.knob_defaults(gpu_memory_bytes, gpu_id)
        out.update({k: v for k, v in given.items() if v is not None})
        self.check_knobs(out)
        return out

    def check_knobs(self, knobs: dict) -> None:
        return None

    # -- memory --------------------------------------------------------------------------------------
    def overheads(self, tensor_parallel: int) -> dict[str, int]:
        """Bytes the engine allocates per GPU besides weights, KV and activations, inside its budget."""
        return {}

    def capacity(self, total_bytes: int, kind: str, knobs: dict) -> Capacity:  # pragma: no cover
        raise NotImplementedError

    def activation_plan(self, *, batch: int, context: int, prefill_chunk: int | None, knobs: dict
                        ) -> tuple[int, int, float | None, str | None]:
        """(tokens in the peak chunk, sequences sampled, sampler warm-up copies or None, assumption or None)."""
        raise NotImplementedError  # pragma: no cover

    # -- layout --------------------------------------------------------------------------------------
    def default_split(self, knobs: dict) -> str:
        return knobs.get("split_mode") or self.split

    def stage_layers(self, n_layers: int, stages: int, head_on_device: bool) -> tuple[list[list[int]], int]:
        """How ``n_layers`` consecutive layers are spread over ``stages`` pipeline stages (indices 0..n-1 per
        stage) and the stage that holds the output layer (final norm + head). Default: contiguous stages as
        even as possible (the first ones take the remainder), the head on the last stage."""
        base, rem = divmod(n_layers, stages)
        out, start = [], 0
        for s in range(stages):
            size = base + (1 if s < rem else 0)
            out.append(list(range(start, start + size)))
            start += size
        return out, stages - 1

    def input_embedding_on_host(self, kind: str | None) -> bool:
        """True when the engine keeps the input embedding table in host memory rather than on a GPU."""
        return False


def cuda_context_bytes(kind: str) -> int:
    """The CUDA context a process creates before any engine allocation (GPUs only; Apple/CPU: 0)."""
    return engine_const("runtime", "cuda_context_bytes") if kind == "gpu" else 0
