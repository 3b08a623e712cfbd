"""paramscope's inventory against transformers' own modules, built on the meta device.

For every tiny family config and every catalog model whose architecture transformers implements:
the total equals sum(p.numel() for p in model.parameters()) (tied weights once), and for every
(component, stack, layer, role group) the multiset of tensor shapes is the same.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from family_configs import FAMILY_CONFIGS  # noqa: E402
from hf_truth import build_meta, diff, hf_table, ps_table  # noqa: E402
from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402


def compare(config: dict, name: str):
    spec = spec_from_config(config, name=name)
    inv = build_inventory(spec)
    report = count(inv)
    model = build_meta(config)
    hf, hf_total = hf_table(model)
    return report, hf_total, diff(hf, ps_table(inv)), model


@pytest.mark.parametrize("name", sorted(FAMILY_CONFIGS))
def test_family_matches_transformers(name):
    config = FAMILY_CONFIGS[name]
    report, hf_total, mismatches, model = compare(config, name)
    if name == "t5v11":
        # transformers 5 force-ties T5's head (T5Config sets tie_word_embeddings = True); the checkpoint
        # format with tie_word_embeddings false stores its own lm_head, which paramscope counts.
        head = config["vocab_size"] * config["d_model"]
        assert report.total == hf_total + head
        assert mismatches == ["('language', '', None, 'head'): transformers=None paramscope=[(300, 64)]"]
        return
    assert mismatches == []
    assert report.total == hf_total
    # roles sum to the total; the by-role split equals transformers' split by the same names
    assert sum(report.by_role.values()) == report.total


def _catalog_configs():
    from paramscope import catalog

    out = []
    for rec in catalog.all_records():
        if rec.get("kind") != "config":
            continue
        out.append(pytest.param(rec["id"], marks=pytest.mark.slow) if rec["id"] in _SLOW else rec["id"])
    return out


# Catalog models whose meta-device build takes more than a few seconds (thousands of expert modules).
_SLOW = {"switch-c-2048", "switch-xxl-128"}


@pytest.mark.parametrize("model_id", _catalog_configs())
def test_catalog_model_matches_transformers(model_id):
    """Every catalog config that transformers can build: same total and same shapes per role group."""
    import transformers

    from paramscope import catalog

    rec = catalog.get(model_id)
    config = dict(rec["config"])
    arch = (config.get("architectures") or [""])[0]
    arch = {"T5WithLMHeadModel": "T5ForConditionalGeneration"}.get(arch, arch)
    if not hasattr(transformers, arch) or config.get("model_type") not in transformers.CONFIG_MAPPING:
        pytest.skip(f"transformers {transformers.__version__} has no {arch}")
    config["architectures"] = [arch]
    report, hf_total, mismatches, _ = compare(config, model_id)
    if config.get("model_type") == "t5" and not config.get("tie_word_embeddings", True):
        assert report.total - hf_total == config["vocab_size"] * config["d_model"]
        return
    assert mismatches == []
    assert report.total == hf_total
