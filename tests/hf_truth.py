"""Test support: build a transformers model on the meta device and compare it with paramscope's inventory.

The comparison key is (component, stack, layer, group): for every key the multiset of tensor shapes must be
equal (routed experts: the parameter count, since transformers 5 fuses per-expert checkpoint tensors into
3-D stacks in memory). GPT-2-style Conv1D weights are transposed to the logical [out, in] orientation.
"""

from __future__ import annotations

import collections
import functools
import json
import math

from paramscope.inventory import Inventory
from paramscope.roles import ROLE_GROUPS
from paramscope.sources.names import classify


@functools.cache
def _transformers():
    import torch  # noqa: F401
    import transformers

    transformers.logging.set_verbosity_error()
    return transformers


def _arch_model_type(arch: str) -> str | None:
    """The transformers model_type whose auto-mapped class is `arch` (causal-LM mapping first), or None.
    Several model_types can share a class; the one the class is named after wins."""
    from transformers.models.auto import modeling_auto

    tables = [modeling_auto.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES]
    tables += [v for k, v in sorted(vars(modeling_auto).items())
               if k.endswith("_MAPPING_NAMES") and isinstance(v, dict) and v is not tables[0]]
    for table in tables:
        hits = [mt for mt, cls in table.items() if arch in ((cls,) if isinstance(cls, str) else tuple(cls))]
        if hits:
            folded = arch.lower()
            return sorted(hits, key=lambda t: (not folded.startswith(t.replace("_", "")), t))[0]
    return None


def build_model_type(config: dict) -> str | None:
    """The model_type whose config class builds `config`: its own when transformers knows it, else (a
    remote-code release such as Kimi-K2's "kimi_k2" naming DeepseekV3ForCausalLM) the model_type of its
    architectures[0] class, as paramscope describes it."""
    tf = _transformers()
    model_type = config.get("model_type")
    if model_type in tf.CONFIG_MAPPING:
        return model_type
    arch = (config.get("architectures") or [""])[0]
    return _arch_model_type(arch) if arch else None


def build_meta(config: dict):
    """Instantiate config['architectures'][0] exactly as transformers builds it, on the meta device."""
    import torch

    tf = _transformers()
    model_type = build_model_type(config)
    cfg_cls = tf.CONFIG_MAPPING[model_type]
    kwargs = {k: v for k, v in config.items()
              if k not in ("transformers_version", "architectures", "auto_map", "model_type")}
    cfg = cfg_cls(**kwargs)
    arch = config["architectures"][0]
    cls = getattr(tf, arch)
    with torch.device("meta"):
        return cls._from_config(cfg)


_PARAMS: dict[str, tuple] = {}


def meta_params(config: dict) -> tuple[tuple[str, tuple[int, ...], bool], ...]:
    """(name, stored shape, is a Conv1D weight) for every ``named_parameters()`` entry of the model
    transformers builds for ``config`` (tied tensors once), cached for the session: the role oracle
    (test_role_truth.py) and the group truth test (test_transformers_truth.py) share one build."""
    key = json.dumps(config, sort_keys=True)
    if key not in _PARAMS:
        tf = _transformers()
        model = build_meta(config)
        conv1d = {m + ".weight" for m, mod in model.named_modules() if isinstance(mod, tf.pytorch_utils.Conv1D)}
        _PARAMS[key] = tuple((n, tuple(p.shape), n in conv1d) for n, p in model.named_parameters())
        del model
    return _PARAMS[key]


# model types whose transformers class builds a tower through timm (TimmWrapperModel): transformers cannot build them
# without timm installed, which is not one of paramscope's dependencies
NEEDS_TIMM = frozenset({"gemma3n"})


def missing_dependency(config: dict) -> str | None:
    """Why transformers cannot build `config` in this environment (an optional library it needs is absent), or None."""
    import importlib.util

    if config.get("model_type") in NEEDS_TIMM and importlib.util.find_spec("timm") is None:
        return f"transformers builds {config['model_type']}'s vision tower with timm, which is not installed"
    return None


def catalog_truth_config(rec: dict) -> tuple[dict | None, str]:
    """The config of a catalog record as transformers should build it, or (None, why it cannot)."""
    tf = _transformers()
    cfg = rec.get("config")
    if not isinstance(cfg, dict):
        return None, "no config"
    config = dict(cfg)
    arch = (config.get("architectures") or [""])[0]
    arch = {"T5WithLMHeadModel": "T5ForConditionalGeneration"}.get(arch, arch)
    if not hasattr(tf, arch) or build_model_type(config) is None:
        return None, f"transformers {tf.__version__} has no {arch or config.get('model_type')}"
    config["architectures"] = [arch]
    return config, ""


def _key(component, stack, layer, role):
    group = ROLE_GROUPS[role] if component == "language" else component
    return (component, stack if layer is not None or component != "language" else "", layer, group)


def hf_table(params) -> tuple[dict, int]:
    """(key -> sorted shapes or expert numel, total) from :func:`meta_params` output."""
    table: dict = collections.defaultdict(list)
    total = 0
    for name, shape, is_conv1d in params:
        info = classify(name)
        total += math.prod(shape)
        if is_conv1d:
            shape = shape[::-1]
        k = _key(info.component, info.stack, info.layer, info.role)
        if k[3] == "experts":
            table[k].append(("numel", math.prod(shape)))
        else:
            table[k].append(shape)
    return _normalize(table), total


def ps_table(inv: Inventory) -> dict:
    table: dict = collections.defaultdict(list)
    for t in inv.expanded():
        if not t.counted:
            continue
        layer = t.layers[0] if t.layers else None
        stack = t.stack if layer is not None or t.component != "language" else ""
        k = _key(t.component, stack, layer, t.role)
        if k[3] == "experts":
            table[k].append(("numel", t.numel))
        else:
            table[k].extend([t.shape] * t.experts)
    return _normalize(table)


def _normalize(table: dict) -> dict:
    out = {}
    for k, v in table.items():
        if k[3] == "experts":
            out[k] = sum(n for _, n in v)
        else:
            out[k] = sorted(v)
    return out


def diff(hf: dict, ps: dict) -> list[str]:
    msgs = []
    for k in sorted(set(hf) | set(ps), key=str):
        if hf.get(k) != ps.get(k):
            msgs.append(f"{k}: transformers={hf.get(k)} paramscope={ps.get(k)}")
    return msgs


def assert_total_and_shapes(config: dict, module, stacked_experts: int | None = None) -> None:
    """paramscope's total and tensor-shape multiset for ``config`` equal those of ``module`` (transformers' model,
    built on the meta device). ``stacked_experts``: transformers stores that many experts as one [E, out, in] tensor,
    compared as E tensors [out, in] (paramscope lists an expert's shape once, with its count); parameters with no
    elements (a [0, ...] tensor registered for zero shared experts) store nothing and are left out."""
    from paramscope.inventory import build_inventory
    from paramscope.params import count
    from paramscope.sources.hf_config import spec_from_config

    inv = build_inventory(spec_from_config(config))
    assert count(inv).total == sum(p.numel() for p in module.parameters())
    ours: collections.Counter = collections.Counter()
    for t in inv:
        if t.counted:
            ours[tuple(t.shape)] += t.copies * (t.experts if stacked_experts and len(t.shape) == 2 else 1)
    theirs: collections.Counter = collections.Counter()
    for p in module.parameters():
        if not p.numel():
            continue
        experts = bool(stacked_experts) and p.dim() == 3 and p.shape[0] == stacked_experts and p.shape[1] != 1
        theirs[tuple(p.shape[1:]) if experts else tuple(p.shape)] += p.shape[0] if experts else 1
    assert ours == theirs


def assert_cache_bytes(config: dict, past_key_values, *, batch: int, context: int, dtype: str,
                       encoder_tokens: int = 0) -> None:
    """The bytes of every tensor in transformers' cache after a real forward pass equal paramscope's KV/state
    bytes for engine transformers (``encoder_tokens``: the cross-attention's source length)."""
    from test_kv_truth import _cache_bytes

    from paramscope.memory.kv import KvOptions, kv_cache
    from paramscope.sources.hf_config import spec_from_config

    real = _cache_bytes(past_key_values)
    ours = kv_cache(spec_from_config(dict(config, torch_dtype=dtype)), batch=batch, context=context,
                    options=KvOptions(engine="transformers", encoder_tokens=encoder_tokens or None)).total_bytes
    assert real > 0 and ours == real


def causal_cache(model, *, batch: int, seq: int, dtype):
    """transformers' cache after one forward pass of ``seq`` random token ids for ``batch`` sequences (a CPU model
    with real weights, cast to ``dtype``)."""
    import torch

    model = model.to(dtype).eval()
    with torch.no_grad():
        return model(input_ids=torch.randint(3, 250, (batch, seq)), use_cache=True).past_key_values
