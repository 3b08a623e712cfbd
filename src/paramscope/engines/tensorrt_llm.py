"""TensorRT-LLM (PyTorch backend, 1.x) conventions: a paged KV cache in blocks, tensor parallelism across GPUs,
and its own SPEED constants (data/efficiency.toml [engine_speed."tensorrt-llm"]).

Memory follows vLLM's conventions (engines/vllm.py) with one stated difference: the KV pool is
``KvCacheConfig.free_gpu_memory_fraction`` (default 0.9) of the memory FREE after the model is loaded
(nvidia.github.io/TensorRT-LLM/examples/kvcacheconfig.html; llm-api/reference/KvCacheConfig.html), which
this profile approximates as a budget of 0.9 x the device's total memory (the same form as vLLM's
gpu_memory_utilization): the two differ by 0.1 x (weights + activations) of KV room. TensorRT-LLM's
activation and CUDA-graph reservations are not sourced here; vLLM's are used.

Sources: data/engines.toml ([tensorrt_llm.*]) and docs/engines.md.
"""

from __future__ import annotations

import math

from ._data import engine_const
from .base import Capacity
from .vllm import Vllm


class TensorRtLlm(Vllm):
    name = "tensorrt-llm"
    aliases = ("tensorrt-llm", "tensorrt_llm", "trtllm", "trt-llm", "trt_llm")
    why = ("paged KV cache; KV pool = free_gpu_memory_fraction 0.9 of free memory, approximated as 0.9 x total "
           "(vLLM's other conventions assumed)")

    def knob_defaults(self, gpu_memory_bytes, gpu_id) -> dict:
        out = super().knob_defaults(gpu_memory_bytes, gpu_id)
        out["gpu_memory_utilization"] = engine_const("tensorrt_llm", "free_gpu_memory_fraction")
        return out

    def capacity(self, total_bytes: int, kind: str, knobs: dict) -> Capacity:
        frac = knobs.get("gpu_memory_utilization") or engine_const("tensorrt_llm", "free_gpu_memory_fraction")
        usable = min(total_bytes, math.ceil(total_bytes * frac))
        rule = (f"TensorRT-LLM: KV pool = free_gpu_memory_fraction {frac:g} of the free memory, approximated as a "
                f"budget of {frac:g} x {total_bytes:,} B total (vLLM's form; an assumption, docs/engines.md)")
        return Capacity(total_bytes, usable, {"outside free_gpu_memory_fraction": total_bytes - usable}, rule)


PROFILE = TensorRtLlm()
