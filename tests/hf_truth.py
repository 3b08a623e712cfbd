"""Test support: build a transformers model on the meta device and compare it with paramscope's inventory.

The comparison key is (component, stack, layer, group): for every key the multiset of tensor shapes must be
equal (routed experts: the parameter count, since transformers 5 fuses per-expert checkpoint tensors into
3-D stacks in memory). GPT-2-style Conv1D weights are transposed to the logical [out, in] orientation.
"""

from __future__ import annotations

import collections
import functools
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


def build_meta(config: dict):
    """Instantiate config['architectures'][0] exactly as transformers builds it, on the meta device."""
    import torch

    tf = _transformers()
    model_type = config["model_type"]
    cfg_cls = tf.CONFIG_MAPPING[model_type]
    kwargs = {k: v for k, v in config.items() if k not in ("transformers_version", "architectures", "auto_map")}
    cfg = cfg_cls(**kwargs)
    arch = config["architectures"][0]
    cls = getattr(tf, arch)
    with torch.device("meta"):
        return cls._from_config(cfg)


def _key(component, stack, layer, role):
    group = ROLE_GROUPS[role] if component == "language" else component
    return (component, stack if layer is not None or component != "language" else "", layer, group)


def hf_table(model) -> tuple[dict, int]:
    """(key -> sorted shapes or expert numel, total) from a transformers model."""
    tf = _transformers()
    conv1d = set()
    for mname, mod in model.named_modules():
        if isinstance(mod, tf.pytorch_utils.Conv1D):
            conv1d.add(mname + ".weight")
    table: dict = collections.defaultdict(list)
    total = 0
    for name, p in model.named_parameters():
        info = classify(name)
        shape = tuple(p.shape)
        if name in conv1d:
            shape = shape[::-1]
        total += p.numel()
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
