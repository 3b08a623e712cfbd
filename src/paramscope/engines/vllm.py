"""vLLM (V1 engine) memory conventions: paged KV cache, a budget of gpu_memory_utilization x the device's
total memory, scheduler limits chosen per device, tensor parallelism across GPUs.

Sources: data/engines.toml ([vllm.*], vLLM 0.33.0) and docs/engines.md section 1.
"""

from __future__ import annotations

import math

from ..errors import InputError
from ._data import engine_const
from .base import Capacity, EngineProfile, Knob, KvPolicy, cuda_context_bytes


class Vllm(EngineProfile):
    name = "vllm"
    aliases = ("vllm",)
    split = "tensor"
    split_modes = ("tensor",)
    why = "paged KV cache; budget = gpu_memory_utilization x total memory (vllm/v1/worker/utils.py request_memory)"
    knobs = (Knob("gpu_memory_utilization", "fraction of the GPU's total memory vLLM may use"),
             Knob("max_num_seqs", "most sequences scheduled at once (sizes the sampler warm-up)"),
             Knob("max_num_batched_tokens", "most tokens per scheduler step (sizes the profile run)"))

    def kv_policy(self) -> KvPolicy:
        return KvPolicy(default_dtype=None, mla_layout="latent", paged_block=engine_const("vllm", "block_size"),
                        window="in_flight", cells="per_sequence", state="engine",
                        state_dtype=engine_const("vllm", "mamba_state_dtype_default"),
                        fp8_ds_mla_bytes=engine_const("vllm", "fp8_ds_mla_bytes_per_token"))

    def knob_defaults(self, gpu_memory_bytes, gpu_id) -> dict:
        """EngineArgs.get_batch_defaults for ``vllm serve`` (online) on this device; the fallback scheduler
        defaults when no device is given."""
        out = {"gpu_memory_utilization": engine_const("vllm", "gpu_memory_utilization")}
        if gpu_memory_bytes is None:
            out["max_num_batched_tokens"] = engine_const("vllm", "max_num_batched_tokens_default")
            out["max_num_seqs"] = engine_const("vllm", "max_num_seqs_default")
            return out
        gib = gpu_memory_bytes / 2**30
        is_a100 = (gpu_id or "").startswith("a100")
        key = ("batch_defaults_ge_160gib" if gib >= 160 else
               "batch_defaults_ge_70gib" if gib >= 70 and not is_a100 else "batch_defaults_other_gpu")
        d = engine_const("vllm", key)
        out["max_num_batched_tokens"] = d["online_max_num_batched_tokens"]
        out["max_num_seqs"] = d["online_max_num_seqs"]
        return out

    def check_knobs(self, knobs: dict) -> None:
        u = knobs.get("gpu_memory_utilization")
        if u is not None and not 0 < u <= 1:
            raise InputError(f"gpu_memory_utilization must be in (0, 1], got {u}")
        for k in ("max_num_seqs", "max_num_batched_tokens"):
            if knobs.get(k) is not None and knobs[k] < 1:
                raise InputError(f"{k} must be >= 1, got {knobs[k]}")

    def overheads(self, tensor_parallel: int) -> dict[str, int]:
        return {"vllm_non_torch": engine_const("vllm", "non_torch_bytes" if tensor_parallel == 1
                                               else "non_torch_bytes_tp_gt1"),
                "vllm_cuda_graphs": engine_const("vllm", "cuda_graph_bytes")}

    def capacity(self, total_bytes: int, kind: str, knobs: dict) -> Capacity:
        util = knobs.get("gpu_memory_utilization") or engine_const("vllm", "gpu_memory_utilization")
        usable = math.ceil(total_bytes * util)  # vllm/v1/worker/utils.py request_memory: ceil(total x util)
        ctx = cuda_context_bytes(kind)
        rule = (f"vLLM budget = gpu_memory_utilization {util:g} x {total_bytes:,} B total; the CUDA context "
                f"(~{ctx / 1e6:,.0f} MB) and other processes must fit in the remaining {1 - util:.0%}")
        return Capacity(total_bytes, min(usable, total_bytes),
                        {"outside gpu_memory_utilization": total_bytes - min(usable, total_bytes)}, rule)

    def activation_plan(self, *, batch, context, prefill_chunk, knobs):
        mnbt, seqs = knobs["max_num_batched_tokens"], knobs["max_num_seqs"]
        tokens = mnbt if prefill_chunk is None else prefill_chunk * batch
        sampled = max(batch, seqs)
        note = (f"vLLM reserves the activation peak of a profile run over {tokens:,} batched tokens "
                f"(max_num_batched_tokens) and a sampler warm-up over {sampled:,} sequences (max_num_seqs)")
        return tokens, sampled, engine_const("vllm", "sampler_warmup_logits_copies"), note


PROFILE = Vllm()
