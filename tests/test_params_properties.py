"""Property tests (hypothesis) for the parameter analysis.

- roles sum to the total; active <= total; unique (total) <= effective;
- counts grow monotonically with layers and width;
- a spec written as JSON and read back is the same spec, with the same counts;
- random configs of the decoder families agree with transformers' modules built on the meta device,
  per role group and per fine role (tests/role_map.py).
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paramscope import specio
from paramscope.inventory import build_inventory
from paramscope.params import count
from paramscope.sources.hf_config import spec_from_config


@st.composite
def decoder_configs(draw, families=("llama", "qwen2", "qwen3", "mistral", "gemma2", "mixtral", "qwen3_moe",
                                    "deepseek_v3", "olmo2", "phi3", "gpt_oss")):
    family = draw(st.sampled_from(families))
    kv = draw(st.sampled_from([1, 2, 4]))
    heads = kv * draw(st.integers(1, 4))
    head_dim = draw(st.sampled_from([8, 16, 32]))
    hidden = heads * head_dim if draw(st.booleans()) else draw(st.sampled_from([32, 64, 96]))
    cfg = {
        "model_type": family,
        "architectures": [{"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                           "mistral": "MistralForCausalLM", "gemma2": "Gemma2ForCausalLM",
                           "mixtral": "MixtralForCausalLM", "qwen3_moe": "Qwen3MoeForCausalLM",
                           "deepseek_v3": "DeepseekV3ForCausalLM", "olmo2": "Olmo2ForCausalLM",
                           "phi3": "Phi3ForCausalLM", "gpt_oss": "GptOssForCausalLM"}[family]],
        "hidden_size": hidden,
        "num_hidden_layers": draw(st.integers(1, 4)),
        "num_attention_heads": heads,
        "num_key_value_heads": kv,
        "head_dim": head_dim,
        "intermediate_size": draw(st.sampled_from([16, 48, 80])),
        "vocab_size": draw(st.integers(50, 200)),
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2,
    }
    if family == "llama":
        cfg["attention_bias"] = draw(st.booleans())
        cfg["mlp_bias"] = draw(st.booleans())
    if family in ("mixtral", "gpt_oss"):
        cfg["num_local_experts"] = draw(st.integers(2, 6))
        cfg["num_experts_per_tok"] = draw(st.integers(1, cfg["num_local_experts"]))
    if family == "qwen3_moe":
        cfg["num_experts"] = draw(st.integers(2, 6))
        cfg["num_experts_per_tok"] = draw(st.integers(1, cfg["num_experts"]))
        cfg["moe_intermediate_size"] = draw(st.sampled_from([8, 24]))
        cfg["decoder_sparse_step"] = draw(st.integers(1, 2))
    if family == "deepseek_v3":
        cfg.update(n_routed_experts=4, n_group=2, topk_group=1, num_experts_per_tok=draw(st.integers(1, 4)),
                   moe_intermediate_size=draw(st.sampled_from([8, 24])), n_shared_experts=draw(st.integers(0, 2)),
                   first_k_dense_replace=draw(st.integers(0, 2)), kv_lora_rank=draw(st.sampled_from([8, 16])),
                   q_lora_rank=draw(st.sampled_from([None, 12])), qk_rope_head_dim=8, qk_nope_head_dim=8,
                   v_head_dim=draw(st.sampled_from([8, 12])))
        cfg["num_key_value_heads"] = heads
    return cfg


def _report(cfg):
    return count(build_inventory(spec_from_config(cfg)))


@given(decoder_configs())
def test_roles_sum_active_effective(cfg):
    r = _report(cfg)
    assert sum(r.by_role.values()) == r.total
    assert sum(r.by_tensor_role.values()) == r.total
    assert sum(r.by_component.values()) == r.total
    assert 0 < r.active <= r.total <= r.effective
    assert r.non_embedding < r.total


@given(decoder_configs(), st.integers(1, 3))
def test_monotone_in_layers(cfg, extra):
    r1 = _report(cfg)
    r2 = _report({**cfg, "num_hidden_layers": cfg["num_hidden_layers"] + extra})
    assert r2.total > r1.total and r2.active >= r1.active


@given(decoder_configs(families=("llama", "qwen3", "mixtral", "gemma2")), st.integers(1, 4))
def test_monotone_in_width(cfg, factor):
    wider = {**cfg, "hidden_size": cfg["hidden_size"] * (factor + 1),
             "intermediate_size": cfg["intermediate_size"] * (factor + 1)}
    assert _report(wider).total > _report(cfg).total


@given(decoder_configs())
def test_spec_json_round_trip(cfg):
    spec = spec_from_config(cfg)
    text = json.dumps(specio.to_dict(spec))
    back = specio.from_dict(json.loads(text))
    assert back == spec
    assert count(build_inventory(back)) == count(build_inventory(spec))


def test_albert_sharing_unique_below_effective():
    cfg = {"model_type": "albert", "architectures": ["AlbertForMaskedLM"], "hidden_size": 64, "embedding_size": 16,
           "num_hidden_layers": 6, "num_attention_heads": 4, "intermediate_size": 96, "vocab_size": 100}
    r = _report(cfg)
    unshared = _report({**cfg, "num_hidden_groups": 6})
    assert r.total < r.effective == unshared.total == unshared.effective


@given(decoder_configs())
def test_random_configs_match_transformers(cfg):
    """Group shapes (hf_truth) and fine roles (the independent role_map table) against transformers."""
    # importorskip here, not at module level: a module-level skip also hid the pure property tests above
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    import role_map
    from hf_truth import build_meta, diff, hf_table, ps_table

    spec = spec_from_config(cfg)
    inv = build_inventory(spec)
    tf = __import__("transformers")
    model = build_meta(cfg)
    conv1d = {m + ".weight" for m, mod in model.named_modules() if isinstance(mod, tf.pytorch_utils.Conv1D)}
    params = tuple((n, tuple(p.shape), n in conv1d) for n, p in model.named_parameters())
    hf, hf_total = hf_table(params)
    assert diff(hf, ps_table(inv)) == []
    assert count(inv).total == hf_total
    assert role_map.check(cfg, "random", params=params) == []
