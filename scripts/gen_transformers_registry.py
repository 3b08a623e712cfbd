"""Write src/paramscope/data/transformers_registry.json from the installed transformers.

paramscope never imports transformers at run time; what it needs of transformers' registries is kept as
data, regenerated with this script when the pinned version changes, and checked against the installed
version by tests/test_config_keys.py:

  aliases   per model_type, the config class's ``attribute_map`` (old key name -> the attribute it sets),
            e.g. qwen3_moe {"num_experts": "num_local_experts"}: transformers 5 writes num_local_experts
            where older checkpoints wrote num_experts. A config may use either name.
  classes   per model class name in the auto-model mappings that paramscope describes (causal LM, masked
            LM, seq2seq LM, pre-training, image-text-to-text, base model), the model_types it belongs to.
            Used to detect a config whose model_type contradicts its architectures[0], and to find the
            family of a config whose model_type transformers does not know (Kimi-K2: "kimi_k2" with
            DeepseekV3ForCausalLM).

    .venv/bin/python scripts/gen_transformers_registry.py
"""

from __future__ import annotations

import json
from pathlib import Path

MAPPINGS = ("MODEL_FOR_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_MASKED_LM_MAPPING_NAMES",
            "MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES", "MODEL_FOR_PRETRAINING_MAPPING_NAMES",
            "MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES", "MODEL_MAPPING_NAMES")
OUT = Path(__file__).resolve().parent.parent / "src" / "paramscope" / "data" / "transformers_registry.json"


def registry() -> dict:
    import transformers
    from transformers.models.auto import configuration_auto as ca
    from transformers.models.auto import modeling_auto as ma

    aliases = {}
    for mt in ca.CONFIG_MAPPING_NAMES:
        try:
            cls = transformers.CONFIG_MAPPING[mt]
        except Exception:  # a config class that needs an optional dependency  # noqa: BLE001
            continue
        amap = dict(getattr(cls, "attribute_map", {}) or {})
        if amap:
            aliases[mt] = dict(sorted(amap.items()))
    classes: dict[str, set[str]] = {}
    for mapping in MAPPINGS:
        for mt, names in getattr(ma, mapping).items():
            for name in (names,) if isinstance(names, str) else names:
                classes.setdefault(name, set()).add(mt)
    return {"transformers_version": transformers.__version__,
            "aliases": dict(sorted(aliases.items())),
            "classes": {k: sorted(v) for k, v in sorted(classes.items())}}


def main() -> None:
    OUT.write_text(json.dumps(registry(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
