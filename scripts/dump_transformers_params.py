"""Print a transformers model's parameter names and shapes, built on the meta device (a developer tool
for writing adapters: the names and shapes are what paramscope's inventory must reproduce).

    .venv/bin/python scripts/dump_transformers_params.py MODEL_TYPE [--small] [--class NAME] [key=value ...]

MODEL_TYPE is a transformers model_type; `--small` applies the walk's perturbation (tests/transformers_walk.py);
key=value pairs (JSON values) override config keys. Layers after the first two of each numbered stack are
folded into a count unless `--all` is given.
"""

from __future__ import annotations

import json
import re
import sys


def main() -> None:
    args = sys.argv[1:]
    if not args:
        raise SystemExit(__doc__)
    mt = args.pop(0)
    small = "--small" in args
    show_all = "--all" in args
    cls_name = args[args.index("--class") + 1] if "--class" in args else None
    overrides = {}
    for a in args:
        if "=" in a and not a.startswith("--"):
            k, v = a.split("=", 1)
            try:
                overrides[k] = json.loads(v)
            except json.JSONDecodeError:
                overrides[k] = v
    import torch
    import transformers as tf

    sys.path.insert(0, "tests")
    from transformers_walk import _NOT_KWARGS, _small, transformers_lm_types

    tf.logging.set_verbosity_error()
    if cls_name is None:
        cls_name = next(c for _, m, c in transformers_lm_types() if m == mt)
    cfg_cls = tf.CONFIG_MAPPING[mt]
    d = {k: v for k, v in cfg_cls().to_dict().items() if k not in _NOT_KWARGS}
    if small:
        d = _small(d)
    d.update(overrides)
    cfg = cfg_cls(**d)
    with torch.device("meta"):
        model = getattr(tf, cls_name)._from_config(cfg)
    seen: dict[str, int] = {}
    total = 0
    for name, p in model.named_parameters():
        total += p.numel()
        key = re.sub(r"\.(\d+)\.", lambda m: ".N." if int(m.group(1)) >= 2 else m.group(0), name)
        if not show_all and ".N." in key:
            seen[key] = seen.get(key, 0) + 1
            continue
        print(f"{name:80s} {tuple(p.shape)} {p.dtype}")
    for k, n in seen.items():
        print(f"{k:80s} (x{n} more)")
    print(f"class {cls_name}  total {total:,}")
    print("config:", json.dumps({k: v for k, v in cfg.to_diff_dict().items()}, default=str)[:3000])


if __name__ == "__main__":
    main()
