"""Inference-engine profiles: one module per engine, registered here.

Every memory question (memory, fit, perf, plan) resolves its engine through :func:`get_engine` and asks the
profile, never branches on an engine's name. See base.py for what a profile owns.

The default engine is vLLM for GPUs (the most widely deployed GPU serving engine, and the only one here
whose memory budget is a documented rule rather than "whatever is free"), and llama.cpp where vLLM does
not run or does not load the weights natively: GGUF files and GGUF quantization presets, Apple and CPU
devices. :func:`default_engine` is that one rule, used by every command and the library.
"""

from __future__ import annotations

from ..errors import UnknownSchemeError
from ._data import engine_const, engine_source
from .base import Capacity, EngineProfile, KvPolicy
from .llamacpp import PROFILE as _LLAMACPP
from .sglang import PROFILE as _SGLANG
from .tensorrt_llm import PROFILE as _TRTLLM
from .transformers import PROFILE as _TRANSFORMERS
from .vllm import PROFILE as _VLLM

REGISTRY: dict[str, EngineProfile] = {p.name: p for p in (_VLLM, _SGLANG, _LLAMACPP, _TRANSFORMERS, _TRTLLM)}
ENGINES = tuple(REGISTRY)
DEFAULT_ENGINE = "vllm"

__all__ = ["Capacity", "DEFAULT_ENGINE", "ENGINES", "EngineProfile", "KvPolicy", "default_engine",
           "engine_const", "engine_source", "get_engine", "resolve_engine_name"]


def resolve_engine_name(engine: str) -> str:
    e = engine.strip().lower()
    for p in REGISTRY.values():
        if e == p.name or e in p.aliases:
            return p.name
    raise UnknownSchemeError(f"unknown engine {engine!r}; known: {', '.join(ENGINES)}")


def get_engine(engine: str | None) -> EngineProfile:
    return REGISTRY[resolve_engine_name(engine or DEFAULT_ENGINE)]


def default_engine(*, weights: str = "native", model_source: str | None = None, device_kind: str | None = None
                   ) -> tuple[str, str]:
    """(engine, why): vLLM on GPUs; llama.cpp for GGUF weights or on Apple/CPU devices."""
    if model_source == "gguf" or is_gguf_preset(weights):
        return "llama.cpp", "default for GGUF weights"
    if device_kind is not None and device_kind != "gpu":
        return "llama.cpp", f"default on {device_kind} devices (vLLM targets GPUs)"
    return DEFAULT_ENGINE, "default"


def is_gguf_preset(weights: str) -> bool:
    """A llama.cpp quantization preset (Q4_K_M, IQ2_XXS, F16...), not a generic dtype scheme (bf16, fp16)."""
    from ..memory.formats import scheme_names
    from ..quant import gguf_mix

    w = weights.strip()
    return gguf_mix.is_ftype(w) and w.lower() not in {n.lower() for n in scheme_names()}
