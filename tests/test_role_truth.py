"""Role oracle: paramscope's fine roles against an explicit, independently written name table.

For every tiny family config (tests/family_configs.py) and every catalog record transformers can build,
the model is built on the meta device; each ``named_parameters()`` entry is mapped through
tests/role_map.py (an unmapped name fails: the table must be complete) and compared with paramscope's
inventory (``paramscope.model.from_config(config).inventory``):

- per fine role, the parameter totals are equal;
- per (component, stack, layer, fine role), the multiset of logical per-copy shapes is equal
  (routed experts: one shape per expert);
- the user-visible breakdown of ``paramscope.params.analyze(model)`` (``by_tensor_role``, ``by_role``,
  ``by_component``, ``total``) equals the table's grouping.

Neither side uses ``paramscope.sources.names``, so a swapped q/k or shared experts reported as ``mlp``
cannot pass by construction.
"""

from __future__ import annotations

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import role_map  # noqa: E402
from family_configs import FAMILY_CONFIGS  # noqa: E402
from hf_truth import catalog_truth_config, missing_dependency  # noqa: E402
from paramscope import catalog  # noqa: E402

# Differences the oracle found that are known and reported, per model_type: the exact set of
# (component, stack, layer, role) keys that differ. The test fails if the set changes either way (a fix
# must remove its entry here).
KNOWN: dict[str, set[tuple]] = {
    # Gemma3MultiModalProjector.mm_input_projection_weight is stored [vision_hidden, text_hidden] and used
    # as `x @ W` (modeling_gemma3.py), so its logical [out, in] shape is [text_hidden, vision_hidden];
    # paramscope.sources.multimodal records the stored orientation (dv, hidden). Counts are unaffected.
    "gemma3": {("projector", "", None, "other")},
}


def _assert_matches(config, name):
    msgs = role_map.check(config, name)
    known = KNOWN.get(config["model_type"], set())
    if known:
        keys = {m.split(":")[0] for m in msgs if m.startswith("(")}
        assert keys == {str(k) for k in known}, "\n".join(msgs)
        return
    assert msgs == [], "\n".join(msgs)


@pytest.mark.parametrize("name", sorted(FAMILY_CONFIGS))
def test_family_roles_match_transformers(name):
    _assert_matches(FAMILY_CONFIGS[name], name)


def _catalog_ids():
    out = []
    for rec in catalog.all_records():
        cfg = rec.get("config")
        if not isinstance(cfg, dict) or cfg.get("model_type") == "paramscope_decoder":
            continue
        slow = rec["id"] in ("switch-c-2048", "switch-xxl-128")
        out.append(pytest.param(rec["id"], marks=pytest.mark.slow) if slow else rec["id"])
    return out


@pytest.mark.parametrize("model_id", _catalog_ids())
def test_catalog_roles_match_transformers(model_id):
    rec = catalog.get(model_id)
    config, why = catalog_truth_config(rec)
    if config is None:
        pytest.fail(f"{model_id}: {why}; every catalog model_type must be buildable by transformers")
    if (missing := missing_dependency(config)) is not None:  # timm (Gemma 3n's vision tower)
        pytest.skip(missing)
    _assert_matches(config, model_id)


def test_table_covers_every_family_and_catalog_model_type():
    fams = {c["model_type"] for c in FAMILY_CONFIGS.values()}
    cat = {r["config"]["model_type"] for r in catalog.all_records() if isinstance(r.get("config"), dict)}
    missing = (fams | cat) - set(role_map.TABLE) - {"paramscope_decoder"}
    assert not missing
    assert set(role_map.GROUP) <= set(__import__("paramscope.roles", fromlist=["x"]).ROLE_GROUPS)


def test_unmapped_name_fails():
    with pytest.raises(role_map.Unmapped, match="no role rule"):
        role_map.rule_for("llama", "model.layers.0.self_attn.mystery_proj.weight")
