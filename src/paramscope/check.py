"""``paramscope params MODEL --check``: paramscope's native count against transformers' own module.

For a user with a brand-new architecture: when transformers (and torch) are installed, the model's
config.json is instantiated with transformers' own class for ``architectures[0]`` on the meta device (no
weights, no memory; remote code is never executed: a class transformers does not ship is refused), and its
parameters are compared with paramscope's inventory, total and tensor by tensor (grouped by component,
layer and role group, as tests/hf_truth.py does; routed experts by parameter count, since transformers fuses
per-expert tensors). The check never replaces the native count; it only reports differences.
"""

from __future__ import annotations

import collections
import math
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DependencyError, InputError
from .roles import ROLE_GROUPS


@dataclass
class CheckReport:
    transformers_version: str
    architecture: str
    paramscope_total: int
    transformers_total: int
    groups: int
    differences: list[str] = field(default_factory=list)

    @property
    def equal(self) -> bool:
        return self.paramscope_total == self.transformers_total and not self.differences

    def to_dict(self) -> dict:
        return {"transformers_version": self.transformers_version, "architecture": self.architecture,
                "paramscope_total": self.paramscope_total, "transformers_total": self.transformers_total,
                "groups_compared": self.groups, "equal": self.equal, "differences": list(self.differences)}


def config_of(model) -> dict:
    """The config.json behind a model: a catalog record's, or the file the model was read from."""
    if model.record and isinstance(model.record.get("config"), dict):
        return model.record["config"]
    origin = Path(str(model.origin).split(" (")[0])
    path = origin if origin.name.endswith(".json") else origin / "config.json"
    if path.is_file():
        from .model import read_config

        return read_config(path)
    raise InputError(f"{model.name}: a check against transformers needs a config.json (a catalog name, a "
                     "config.json or a model directory)")


def _build(config: dict):
    try:
        import torch
        import transformers
    except ImportError as exc:
        raise DependencyError("checking against transformers needs torch and transformers; install them with: "
                              "pip install 'paramscope[check]'") from exc
    transformers.logging.set_verbosity_error()
    model_type = config.get("model_type")
    arch = (config.get("architectures") or [None])[0]
    if model_type not in transformers.CONFIG_MAPPING or not arch or not hasattr(transformers, arch):
        raise InputError(f"transformers {transformers.__version__} has no class {arch!r} for model_type "
                         f"{model_type!r}; remote code is never run, so there is nothing to check against")
    kwargs = {k: v for k, v in config.items() if k not in ("architectures", "transformers_version", "auto_map")}
    cfg = transformers.CONFIG_MAPPING[model_type](**kwargs)
    with torch.device("meta"):
        module = getattr(transformers, arch)._from_config(cfg)
    return transformers, module, arch


def _key(component: str, layer, role: str) -> tuple:
    return (component, layer, ROLE_GROUPS.get(role, "other") if component == "language" else component)


def compare(model) -> CheckReport:
    """paramscope's inventory of ``model`` against transformers' module for its config."""
    from .sources.names import classify

    transformers, module, arch = _build(config_of(model))
    conv1d = {f"{n}.weight" for n, m in module.named_modules() if isinstance(m, transformers.pytorch_utils.Conv1D)}
    theirs: dict = collections.defaultdict(list)
    hf_total = 0
    for name, p in module.named_parameters():
        info = classify(name)
        shape = tuple(p.shape)[::-1] if name in conv1d else tuple(p.shape)
        hf_total += p.numel()
        k = _key(info.component, info.layer, info.role)
        theirs[k].append(("numel", math.prod(shape)) if k[2] == "experts" else shape)
    ours: dict = collections.defaultdict(list)
    for t in model.inventory.expanded():
        if not t.counted:
            continue
        k = _key(t.component, t.layers[0] if t.layers else None, t.role)
        ours[k].extend([("numel", t.numel)] if k[2] == "experts" else [t.shape] * t.experts)
    diffs = []
    for k in sorted(set(theirs) | set(ours), key=str):
        a, b = theirs.get(k, []), ours.get(k, [])
        if k[2] == "experts":
            a, b = sum(n for _, n in a), sum(n for _, n in b)
        else:
            a, b = sorted(a), sorted(b)
        if a != b:
            where = f"{k[0]} layer {k[1]}" if k[1] is not None else k[0]
            diffs.append(f"{where}, {k[2]}: transformers {a} vs paramscope {b}")
    ps_total = sum(t.stored for t in model.inventory if t.counted)
    return CheckReport(transformers.__version__, arch, ps_total, hf_total, len(set(theirs) | set(ours)), diffs)
