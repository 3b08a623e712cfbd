"""Families whose transformers config classes cannot be built at their defaults (the walk then reports
`transformers-fails`), or whose defaults leave parts unused, checked at small configs of their own: total
equal to transformers' module on the meta device."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()
SMALL = dict(hidden_size=64, num_hidden_layers=3, vocab_size=300, num_attention_heads=4, num_key_value_heads=2,
             head_dim=16, intermediate_size=96)
CASES = {
    "hunyuan_v1_dense": ("HunYuanDenseV1ForCausalLM", dict(SMALL)),
    "hunyuan_v1_dense-bias": ("HunYuanDenseV1ForCausalLM", dict(SMALL, attention_bias=True)),
    "hunyuan_v1_moe": ("HunYuanMoEV1ForCausalLM", dict(SMALL, num_experts=4, moe_topk=2)),
    # shared experts and a dense prefix layer (the defaults have neither)
    "cohere2_moe": ("Cohere2MoeForCausalLM", dict(SMALL, num_hidden_layers=4, num_experts=4, num_experts_per_tok=2,
                                                  num_shared_experts=1, first_k_dense_replace=1,
                                                  prefix_dense_intermediate_size=48)),
    "dots1": ("Dots1ForCausalLM", dict(SMALL, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=1,
                                       num_experts_per_tok=2, first_k_dense_replace=1)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_equals_transformers(case):
    cls, kwargs = CASES[case]
    model_type = case.split("-")[0]
    cfg = transformers.CONFIG_MAPPING[model_type](**kwargs)
    with torch.device("meta"):
        module = getattr(transformers, cls)._from_config(cfg)
    config = dict(cfg.to_dict(), architectures=[cls])
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in module.parameters())
