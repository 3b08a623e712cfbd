"""KV-cache bytes against the cache tensors transformers itself returns from a real forward pass on CPU.

Tiny random-initialised models of every attention kind (MHA, GQA, MQA, sliding window shorter than the
prompt, MLA, a Mamba model and a hybrid with SSM layers, an encoder-decoder) run one forward pass with
use_cache=True; the bytes of every tensor in the returned cache must equal paramscope's
kv_cache_bytes with engine "transformers", batch and context = the prompt.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from family_configs import FAMILY_CONFIGS  # noqa: E402
from paramscope.memory.kv import KvOptions, kv_cache  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()


def _cache_bytes(obj, seen=None) -> int:
    """Bytes of every tensor reachable from a transformers cache object."""
    seen = seen if seen is not None else set()
    if id(obj) in seen:
        return 0
    seen.add(id(obj))
    if isinstance(obj, torch.Tensor):
        return obj.numel() * obj.element_size()
    if isinstance(obj, (list, tuple)):
        return sum(_cache_bytes(x, seen) for x in obj)
    if isinstance(obj, dict):
        return sum(_cache_bytes(x, seen) for x in obj.values())
    if hasattr(obj, "__dict__"):
        return sum(_cache_bytes(v, seen) for k, v in vars(obj).items() if not k.startswith("_"))
    return 0


def _run(config: dict, batch: int, seq: int, dtype=torch.float32, **enc) -> int:
    cfg_cls = transformers.CONFIG_MAPPING[config["model_type"]]
    cfg = cfg_cls(**{k: v for k, v in config.items() if k != "architectures"})
    model = getattr(transformers, config["architectures"][0])._from_config(cfg).to(dtype).eval()
    ids = torch.randint(3, 90, (batch, seq))
    with torch.no_grad():
        if enc:
            out = model(input_ids=torch.randint(3, 90, (batch, enc["enc_len"])), decoder_input_ids=ids, use_cache=True)
        else:
            out = model(input_ids=ids, use_cache=True)
    cache = getattr(out, "past_key_values", None)
    if cache is None:
        cache = getattr(out, "cache_params", None)
    assert cache is not None
    return _cache_bytes(cache)


CASES = [
    # (family config, overrides, batch, prompt length, what it covers)
    ("llama", {}, 2, 20, "GQA (4 q heads, 2 kv heads)"),
    ("gpt2", {}, 3, 17, "MHA with fused qkv"),
    ("llama_tied", {}, 1, 9, "MQA (1 kv head) with head_dim != hidden/heads"),
    ("falcon7", {}, 2, 11, "MQA, Falcon layout"),
    ("gemma2", {"sliding_window": 8}, 2, 20, "sliding window 8 shorter than the 20-token prompt (alternating)"),
    ("gemma3_text", {"sliding_window": 5, "sliding_window_pattern": 2}, 1, 16, "sliding window, 1:1 pattern"),
    ("gpt_oss", {"sliding_window": 6}, 2, 13, "sliding window + sinks"),
    ("mistral", {"sliding_window": 4}, 1, 12, "every layer sliding"),
    ("dsv3", {}, 2, 15, "MLA with q-LoRA (latent cache)"),
    ("dsv2lite", {}, 1, 10, "MLA without q-LoRA"),
    ("mamba", {}, 2, 14, "Mamba: conv + SSM states only"),
    ("jamba", {}, 2, 12, "hybrid: attention + Mamba layers"),
    ("qwen3_moe", {}, 1, 8, "MoE does not change the cache"),
]


@pytest.mark.parametrize("name,over,batch,seq,what", CASES, ids=[c[0] + "-" + str(c[3]) for c in CASES])
def test_kv_bytes_equal_transformers_cache(name, over, batch, seq, what):
    config = {**FAMILY_CONFIGS[name], **over}
    measured = _run(config, batch, seq)
    spec = spec_from_config(config)
    predicted = kv_cache(spec, batch=batch, context=seq, options=KvOptions(engine="transformers", dtype="fp32"))
    assert predicted.total_bytes == measured, what


def test_kv_bf16_model_dtype():
    """dtype 'auto' follows the model's dtype; a bf16 model's cache is half the fp32 one."""
    config = {**FAMILY_CONFIGS["llama"], "torch_dtype": "bfloat16"}
    measured = _run(config, 2, 10, dtype=torch.bfloat16)
    predicted = kv_cache(spec_from_config(config), batch=2, context=10, options=KvOptions(engine="transformers"))
    assert predicted.total_bytes == measured


def test_mamba_state_dtype_in_bf16():
    config = {**FAMILY_CONFIGS["mamba"], "torch_dtype": "bfloat16"}
    measured = _run(config, 1, 6, dtype=torch.bfloat16)
    predicted = kv_cache(spec_from_config(config), batch=1, context=6, options=KvOptions(engine="transformers"))
    assert predicted.total_bytes == measured


def test_encoder_decoder_cache_self_and_cross():
    config = FAMILY_CONFIGS["t5"]
    measured = _run(config, 2, 7, enc_len=11)
    predicted = kv_cache(spec_from_config(config), batch=2, context=7,
                         options=KvOptions(engine="transformers", dtype="fp32", encoder_tokens=11))
    assert predicted.total_bytes == measured


def test_hybrid_state_dtype_in_bf16():
    config = {**FAMILY_CONFIGS["jamba"], "torch_dtype": "bfloat16"}
    measured = _run(config, 2, 9, dtype=torch.bfloat16)
    predicted = kv_cache(spec_from_config(config), batch=2, context=9, options=KvOptions(engine="transformers"))
    assert predicted.total_bytes == measured
