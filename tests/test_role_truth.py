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

import collections
import math

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

import role_map  # noqa: E402
from family_configs import FAMILY_CONFIGS  # noqa: E402
from hf_truth import catalog_truth_config, meta_params  # noqa: E402
from paramscope import catalog  # noqa: E402
from paramscope.model import from_config  # noqa: E402
from paramscope.params import analyze  # noqa: E402

# Differences the oracle found that are known and reported, per model_type: the exact set of
# (component, stack, layer, role) keys that differ. The test fails if the set changes either way (a fix
# must remove its entry here).
KNOWN: dict[str, set[tuple]] = {
    # Gemma3MultiModalProjector.mm_input_projection_weight is stored [vision_hidden, text_hidden] and used
    # as `x @ W` (modeling_gemma3.py), so its logical [out, in] shape is [text_hidden, vision_hidden];
    # paramscope.sources.multimodal records the stored orientation (dv, hidden). Counts are unaffected.
    "gemma3": {("projector", "", None, "other")},
}


def expected_entries(config: dict):
    """[(component, stack, layer, role, shape)] from transformers' parameters through the table."""
    model_type = config["model_type"]
    assert model_type in role_map.TABLE, f"role_map.TABLE has no family {model_type!r}"
    out = []
    for name, shape, _conv1d in meta_params(config):
        rule, layer = role_map.rule_for(model_type, name)
        for role, per in role_map.expand(rule, layer, shape):
            out.append((rule.component, rule.stack, layer, role, tuple(per)))
    if model_type == "t5" and config.get("tie_word_embeddings") is False:
        # transformers 5 forces T5's head to be tied (T5Config sets tie_word_embeddings = True); a checkpoint
        # saved with tie_word_embeddings false (T5 v1.1) stores its own lm_head.weight [vocab, d_model].
        out.append(("language", "", None, "lm_head", (config["vocab_size"], config["d_model"])))
    return out


def actual_entries(inv):
    out = []
    for t in inv:
        if not t.counted:
            continue
        for layer in t.layers or (None,):
            out.extend([(t.component, t.stack, layer, t.role, tuple(t.shape))] * t.experts)
    return out


def _by_key(entries):
    d = collections.defaultdict(list)
    for comp, stack, layer, role, shape in entries:
        d[(comp, stack, layer, role)].append(shape)
    return {k: sorted(v) for k, v in d.items()}


def _sums(entries, key):
    d: dict = collections.Counter()
    for e in entries:
        d[key(e)] += math.prod(e[4])
    return dict(d)


def _group(e):
    comp, _stack, _layer, role, _shape = e
    return role_map.GROUP[role] if comp == "language" else comp


def check(config: dict, name: str) -> list[str]:
    """Every difference between the table's view and paramscope's, as readable lines."""
    model = from_config(config, name=name)
    exp, got = expected_entries(config), actual_entries(model.inventory)
    msgs = []
    e_roles, g_roles = _sums(exp, lambda e: e[3]), _sums(got, lambda e: e[3])
    for r in sorted(set(e_roles) | set(g_roles)):
        if e_roles.get(r) != g_roles.get(r):
            msgs.append(f"role {r}: transformers={e_roles.get(r)} paramscope={g_roles.get(r)}")
    e_keys, g_keys = _by_key(exp), _by_key(got)
    for k in sorted(set(e_keys) | set(g_keys), key=str):
        if e_keys.get(k) != g_keys.get(k):
            msgs.append(f"{k}: transformers={_short(e_keys.get(k))} paramscope={_short(g_keys.get(k))}")
    rep = analyze(model)
    if rep.by_tensor_role != e_roles:
        msgs.append(f"analyze().by_tensor_role {rep.by_tensor_role} != table {e_roles}")
    e_groups = _sums(exp, _group)
    if rep.by_role != e_groups:
        msgs.append(f"analyze().by_role {rep.by_role} != table {e_groups}")
    e_comp = _sums(exp, lambda e: e[0])
    if rep.by_component != e_comp:
        msgs.append(f"analyze().by_component {rep.by_component} != table {e_comp}")
    if rep.total != sum(e_roles.values()):
        msgs.append(f"analyze().total {rep.total} != table {sum(e_roles.values())}")
    return msgs


def _short(shapes):
    if shapes is None:
        return None
    c = collections.Counter(shapes)
    return ", ".join(f"{n}x{s}" if n > 1 else str(s) for s, n in c.items())


def _assert_matches(config, name):
    msgs = check(config, name)
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
