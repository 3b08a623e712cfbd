"""llama.cpp memory conventions: n_ctx = sequences x context padded to 256 cells, f16 K/V, physical
micro-batch n_ubatch for the compute buffer, layers split across GPUs (--split-mode layer) by default,
partial offload (--n-gpu-layers) keeps the other layers in host memory, and ``--fit`` (on by default)
leaves a 1 GiB margin free on every device.

Sources: data/engines.toml ([llama_cpp.*], llama.cpp@0c1e57098) and docs/engines.md section 2.
"""

from __future__ import annotations

from ..errors import InputError
from ._data import engine_const
from .base import Capacity, EngineProfile, Knob, KvPolicy, cuda_context_bytes


class LlamaCpp(EngineProfile):
    name = "llama.cpp"
    aliases = ("llama.cpp", "llamacpp", "llama-cpp", "gguf")
    split = "layer"
    split_modes = ("layer", "row")
    why = "n_ctx cells padded to 256; layer split across GPUs; usable = total - CUDA context - --fit margin"
    knobs = (Knob("n_ctx", "KV cells for all sequences (default: batch x context)"),
             Knob("n_gpu_layers", "repeating layers offloaded to the GPUs (default: all, and the output layer)"),
             Knob("split_mode", "layer (default: whole layers per GPU) or row (matrices split by rows)"))

    def kv_policy(self) -> KvPolicy:
        return KvPolicy(default_dtype=engine_const("llama.cpp", "kv_type_default"),
                        mla_layout=engine_const("llama.cpp", "mla_layout"), paged_block=None, window="iswa",
                        cells="llama.cpp", state="engine",
                        state_dtype=engine_const("llama.cpp", "recurrent_state_type"))

    def knob_defaults(self, gpu_memory_bytes, gpu_id) -> dict:
        return {"split_mode": "layer"}

    def check_knobs(self, knobs: dict) -> None:
        if knobs.get("split_mode") not in (None, "layer", "row"):
            raise InputError(f"split_mode must be 'layer' or 'row', got {knobs['split_mode']!r}")
        if knobs.get("n_ctx") is not None and knobs["n_ctx"] < 1:
            raise InputError(f"n_ctx must be >= 1, got {knobs['n_ctx']}")
        if knobs.get("n_gpu_layers") is not None and knobs["n_gpu_layers"] < 0:
            raise InputError(f"n_gpu_layers must be >= 0, got {knobs['n_gpu_layers']}")

    def capacity(self, total_bytes: int, kind: str, knobs: dict) -> Capacity:
        ctx = cuda_context_bytes(kind)
        margin = engine_const("llama.cpp", "fit_margin_bytes")
        reserved = {"cuda_context": ctx} if ctx else {}
        reserved["fit_margin"] = margin
        rule = (f"llama.cpp: usable = {total_bytes:,} B total - CUDA context {ctx:,} B - the {margin:,} B "
                "margin --fit (on by default) keeps free per device (common/common.h fit_params_target)")
        return Capacity(total_bytes, total_bytes - ctx - margin, reserved, rule)

    def stage_layers(self, n_layers: int, stages: int, head_on_device: bool) -> tuple[list[list[int]], int]:
        """llama.cpp --split-mode layer (src/llama-model.cpp llama_model::load_tensors at 0c1e57098): the
        repeating layers AND the output layer are ``act_gpu_layers = n_layer + 1`` units; unit ``il`` goes to
        device ``upper_bound(splits, il / act_gpu_layers)``, ``splits`` the cumulative, normalized free memory
        of the devices (equal GPUs: i / n). So with equal GPUs the output layer is one more unit on the last
        device, and e.g. 80 layers + output over 6 GPUs are 14/13/14/13/14/12+output (not 14/14/13/13/13/13)."""
        units = n_layers + (1 if head_on_device else 0)
        splits = [(s + 1) / stages for s in range(stages)]
        out: list[list[int]] = [[] for _ in range(stages)]
        head = stages - 1
        for il in range(units):
            x = il / units
            dev = next((s for s, edge in enumerate(splits) if edge > x), stages - 1)  # std::upper_bound
            if il < n_layers:
                out[dev].append(il)
            else:
                head = dev
        return out, head

    def input_embedding_on_host(self, kind: str | None) -> bool:
        """llama.cpp keeps the input layer (token embedding) on the CPU: src/llama-model.cpp load_tensors,
        'there is very little benefit to offloading the input layer, so always keep it on the CPU'
        (dev_input = cpu_dev). On a discrete GPU that is host memory, not the GPU's."""
        return kind == "gpu"

    def activation_plan(self, *, batch, context, prefill_chunk, knobs):
        chunk = engine_const("llama.cpp", "n_ubatch_default") if prefill_chunk is None else prefill_chunk
        return min(chunk, batch * context), batch, None, None


PROFILE = LlamaCpp()
