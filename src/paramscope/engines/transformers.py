"""Hugging Face transformers ``generate()`` memory conventions: a DynamicCache in the model dtype, the
whole prompt in one forward pass, no allocator budget (it takes what the device has), tensor parallelism
(``tp_plan="auto"``) across GPUs.

Sources: data/engines.toml ([transformers.*], transformers 5.23.0) and docs/engines.md section 3.
"""

from __future__ import annotations

from .base import Capacity, EngineProfile, KvPolicy, cuda_context_bytes


class Transformers(EngineProfile):
    name = "transformers"
    aliases = ("transformers", "hf", "huggingface")
    split = "tensor"
    split_modes = ("tensor",)
    why = "DynamicCache in generate(); usable = total - CUDA context"

    def kv_policy(self) -> KvPolicy:
        return KvPolicy(default_dtype=None, mla_layout="latent", paged_block=None, window="last",
                        cells="per_sequence", state="transformers")

    def capacity(self, total_bytes: int, kind: str, knobs: dict) -> Capacity:
        ctx = cuda_context_bytes(kind)
        rule = (f"transformers: usable = {total_bytes:,} B total - CUDA context {ctx:,} B "
                "(runtime.cuda_context_bytes); the caching allocator's fragmentation is not modelled")
        return Capacity(total_bytes, total_bytes - ctx, {"cuda_context": ctx} if ctx else {}, rule)

    def activation_plan(self, *, batch, context, prefill_chunk, knobs):
        chunk = context if prefill_chunk is None else prefill_chunk
        return min(chunk, context) * batch, batch, None, None


PROFILE = Transformers()
