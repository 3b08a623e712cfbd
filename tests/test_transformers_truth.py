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
from hf_truth import catalog_truth_config, diff, hf_table, meta_params, missing_dependency, ps_table  # noqa: E402
from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402


def compare(config: dict, name: str):
    spec = spec_from_config(config, name=name)
    inv = build_inventory(spec)
    report = count(inv)
    hf, hf_total = hf_table(meta_params(config))
    return report, hf_total, diff(hf, ps_table(inv))


def _untied_t5_head(config: dict) -> tuple[int, list[str]]:
    """transformers 5 force-ties T5's head (T5Config sets tie_word_embeddings = True); a checkpoint saved
    with tie_word_embeddings false (T5 v1.1) stores its own lm_head, which paramscope counts. The one
    expected difference: that head, with its exact shape, and its parameters in the total."""
    if config.get("model_type") != "t5" or config.get("tie_word_embeddings", True) is not False:
        return 0, []
    v, d = config["vocab_size"], config["d_model"]
    return v * d, [f"('language', '', None, 'head'): transformers=None paramscope=[({v}, {d})]"]


def _check(config: dict, name: str):
    report, hf_total, mismatches = compare(config, name)
    extra, expected = _untied_t5_head(config)
    assert mismatches == expected
    assert report.total == hf_total + extra
    # roles sum to the total
    assert sum(report.by_role.values()) == report.total


@pytest.mark.parametrize("name", sorted(FAMILY_CONFIGS))
def test_family_matches_transformers(name):
    _check(FAMILY_CONFIGS[name], name)


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
    """Every catalog config: same total and same shapes per role group. A config transformers cannot
    build fails (it used to be skipped, so a typo in an architecture name silently dropped the check)."""
    from paramscope import catalog

    config, why = catalog_truth_config(catalog.get(model_id))
    assert config is not None, f"{model_id}: {why}"
    if (missing := missing_dependency(config)) is not None:  # timm (Gemma 3n's vision tower): tests/test_gemma3n_towers.py
        pytest.skip(missing)
    _check(config, model_id)

