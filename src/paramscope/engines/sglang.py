"""SGLang memory conventions: a token-granular KV pool (page size 1) sized by ``--mem-fraction-static``, chunked
prefill, a request pool, tensor parallelism across GPUs.

SGLang's rule (python/sglang/srt/server_args.py, model_runner.py; data/engines.toml [sglang.*]): the static
memory -- weights and the KV pool, with the CUDA context the process already holds -- is ``mem_fraction_static``
x the device's total memory; activations and CUDA-graph buffers live in the rest. Unlike vLLM, the fraction is
chosen per device: ``(total - reserved) / total`` with ``reserved`` growing with the device class and the number
of tensor x pipeline ranks.

The scheduler limits are the shared deployment knobs under their vLLM names (one deployment description for
memory, fit, perf and plan): ``gpu_memory_utilization`` is ``--mem-fraction-static``, ``max_num_seqs`` is
``--max-running-requests``, ``max_num_batched_tokens`` is ``--chunked-prefill-size``; the planner's launch
command spells SGLang's flags.

Stated approximations: sliding-window layers keep the whole context (SGLang's default token pool; its hybrid
SWA pool, used for some models, keeps less), and recurrent (Mamba / linear-attention) state follows vLLM's
conventions.
"""

from __future__ import annotations

import math

from ..errors import InputError
from ._data import engine_const
from .base import Capacity, EngineProfile, Knob, KvPolicy, cuda_context_bytes

MIB = 2**20


def mem_fraction_static(total_bytes: int, parallel_ranks: int = 1) -> float:
    """SGLang's default --mem-fraction-static on a device of ``total_bytes`` with ``parallel_ranks`` = tp x pp."""
    mib = total_bytes / MIB
    for below, base, per_rank in engine_const("sglang", "reserved_mib"):
        if below == 0 or mib < below:
            return round((mib - (base + per_rank * parallel_ranks)) / mib, 3)
    raise AssertionError("engines.toml [sglang.reserved_mib] has no catch-all row")  # pragma: no cover


def chunked_prefill_size(total_bytes: int | None) -> int:
    if total_bytes is None:
        return engine_const("sglang", "chunked_prefill_size_no_gpu")
    mib = total_bytes / MIB
    for below, size in engine_const("sglang", "chunked_prefill_size"):
        if below == 0 or mib < below:
            return size
    raise AssertionError("engines.toml [sglang.chunked_prefill_size] has no catch-all row")  # pragma: no cover


class Sglang(EngineProfile):
    name = "sglang"
    aliases = ("sglang", "sgl", "srt")
    split = "tensor"
    split_modes = ("tensor",)
    why = ("token-granular KV pool; static memory (weights + KV) = mem_fraction_static x total memory "
           "(sglang server_args.py)")
    knobs = (Knob("gpu_memory_utilization", "SGLang --mem-fraction-static: weights + KV pool as a fraction of total "
                                            "memory (default: chosen per device)"),
             Knob("max_num_seqs", "SGLang --max-running-requests (default: the request pool, 2048-4096)"),
             Knob("max_num_batched_tokens", "SGLang --chunked-prefill-size (default: by device memory)"))

    def kv_policy(self) -> KvPolicy:
        return KvPolicy(default_dtype=None, mla_layout="latent", paged_block=None, window="full",
                        cells="per_sequence", state="engine",
                        state_dtype=engine_const("vllm", "mamba_state_dtype_default"))

    def knob_defaults(self, gpu_memory_bytes, gpu_id) -> dict:
        # The request pool depends on the KV pool (model_runner.init_memory_pool); before it is known the
        # rule's lower bound stands in (2048 requests: never the binding limit for memory or the planner).
        return {"gpu_memory_utilization": None if gpu_memory_bytes is None else mem_fraction_static(gpu_memory_bytes),
                "max_num_seqs": 2048, "max_num_batched_tokens": chunked_prefill_size(gpu_memory_bytes)}

    def check_knobs(self, knobs: dict) -> None:
        u = knobs.get("gpu_memory_utilization")
        if u is not None and not 0 < u <= 1:
            raise InputError(f"mem_fraction_static (gpu_memory_utilization) must be in (0, 1], got {u}")
        for k in ("max_num_seqs", "max_num_batched_tokens"):
            if knobs.get(k) is not None and knobs[k] < 1:
                raise InputError(f"{k} must be >= 1, got {knobs[k]}")

    def overheads(self, tensor_parallel: int) -> dict[str, int]:
        # the CUDA context is inside SGLang's static budget (it measures free memory after the process started)
        return {"cuda_context": cuda_context_bytes("gpu")}

    def capacity(self, total_bytes: int, kind: str, knobs: dict) -> Capacity:
        frac = knobs.get("gpu_memory_utilization") or mem_fraction_static(total_bytes)
        usable = min(total_bytes, math.floor(total_bytes * frac))
        rule = (f"SGLang static memory = mem_fraction_static {frac:g} x {total_bytes:,} B total (weights, KV pool and "
                f"the CUDA context); activations and CUDA graphs use the remaining {1 - frac:.1%}")
        return Capacity(total_bytes, usable, {"outside mem_fraction_static": total_bytes - usable}, rule)

    def activation_plan(self, *, batch, context, prefill_chunk, knobs):
        note = ("SGLang keeps activations and CUDA-graph buffers outside mem_fraction_static (its reserve is sized "
                f"for chunked prefill of {knobs.get('max_num_batched_tokens'):,} tokens): not counted in the budget")
        return 0, 0, None, note


PROFILE = Sglang()
