"""Issue 10, decoder-only families, MoE and hybrids (sources/decoders.py rows, sources/hybrids_more.py builders):
each small config is built by transformers on the meta device and must have the same total as paramscope's
inventory, and the same per-(stack, layer, role) tensor shapes through the independent name table tests/role_map.py. The configs are small and
perturbed so every width moves, and they switch on the options the class defaults leave off (biases, dense
prefix layers, shared indexers, ...), or make buildable the families transformers cannot build at their
defaults (a required key with a None default)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import role_map  # noqa: E402
from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()
S = dict(hidden_size=64, num_hidden_layers=3, vocab_size=300, num_attention_heads=4, num_key_value_heads=2,
         intermediate_size=96)
MLA = dict(q_lora_rank=24, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=12)

# name -> (model_type, class, config kwargs); "text" builds the class from config.get_text_config()
CASES = {
    "deepseek_v2": ("deepseek_v2", "DeepseekV2ForCausalLM",
                    dict(S, **MLA, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=2,
                         num_experts_per_tok=2, first_k_dense_replace=1, mlp_bias=True, attention_bias=True)),
    # num_experts_per_tok unset (the class default None): stored parameters exact, active counted as all experts
    "deepseek_v2-no-top-k": ("deepseek_v2", "DeepseekV2ForCausalLM",
                             dict(S, **MLA, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=1)),
    "ministral": ("ministral", "MinistralForCausalLM",
                  dict(S, head_dim=24, sliding_window=8,
                       layer_types=["sliding_attention", "full_attention", "sliding_attention"])),
    "nemotron": ("nemotron", "NemotronForCausalLM", dict(S, head_dim=24, attention_bias=True, mlp_bias=True)),
    "dbrx": ("dbrx", "DbrxForCausalLM",
             dict(d_model=64, n_heads=4, n_layers=2, vocab_size=300,
                  attn_config=dict(kv_n_heads=2, rope_theta=10000.0, clip_qkv=8),
                  ffn_config=dict(ffn_hidden_size=48, moe_num_experts=4, moe_top_k=2))),
    "glm_moe_dsa": ("glm_moe_dsa", "GlmMoeDsaForCausalLM",
                    dict(S, **MLA, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=1,
                         num_experts_per_tok=2, first_k_dense_replace=1, index_topk=4, index_head_dim=16,
                         index_n_heads=2, indexer_types=["full", "shared", "full"])),
    "olmo_hybrid": ("olmo_hybrid", "OlmoHybridForCausalLM",
                    dict(S, num_hidden_layers=4, pad_token_id=0, attention_bias=True, linear_num_key_heads=2,
                         linear_num_value_heads=4, linear_key_head_dim=16, linear_value_head_dim=24,
                         layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"])),
    "olmo_hybrid-defaults": ("olmo_hybrid", "OlmoHybridForCausalLM", dict(S, num_hidden_layers=5, pad_token_id=0)),
    "lfm2_moe": ("lfm2_moe", "Lfm2MoeForCausalLM",
                 dict(S, num_hidden_layers=4, moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2,
                      num_dense_layers=1, conv_bias=True, layer_types=["conv", "full_attention", "conv", "conv"])),
    "qwen3_5": ("qwen3_5", "Qwen3_5ForCausalLM",
                dict(text_config=dict(S, num_hidden_layers=4, head_dim=16, linear_num_key_heads=2,
                                      linear_num_value_heads=4, linear_key_head_dim=16, linear_value_head_dim=24),
                     vision_config=dict(depth=1, hidden_size=32, num_heads=2, intermediate_size=48,
                                        out_hidden_size=64))),
    "qwen3_5_moe": ("qwen3_5_moe", "Qwen3_5MoeForCausalLM",
                    dict(text_config=dict(S, num_hidden_layers=4, head_dim=16, linear_num_key_heads=2,
                                          linear_num_value_heads=4, linear_key_head_dim=16,
                                          linear_value_head_dim=24, num_experts=4, num_experts_per_tok=2,
                                          moe_intermediate_size=32, shared_expert_intermediate_size=48))),
    # a shared transformer block at three depths (attn_layer_period/offset), fed concat(hidden, embedding)
    "zamba": ("zamba", "ZambaForCausalLM",
              dict(S, num_hidden_layers=8, n_mamba_heads=2, mamba_d_state=8, attn_layer_period=3, attn_layer_offset=1,
                   mamba_proj_bias=True)),
    # two shared blocks used in turn, per-use LoRA adapters on q/k/v and gate_up, biases, rotary
    "zamba2": ("zamba2", "Zamba2ForCausalLM",
               dict(S, num_hidden_layers=6, num_key_value_heads=4, n_mamba_heads=4, mamba_d_state=8, mamba_ngroups=2,
                    num_mem_blocks=2, adapter_rank=8, use_shared_attention_adapter=True, add_bias_linear=True,
                    use_mem_rope=True, layers_block_type=["mamba", "hybrid", "mamba", "hybrid", "hybrid", "mamba"])),
    "zamba2-defaults": ("zamba2", "Zamba2ForCausalLM", dict(S, num_hidden_layers=54, num_key_value_heads=4,
                                                             n_mamba_heads=4, mamba_d_state=8, adapter_rank=8)),
    "hy_v3": ("hy_v3", "HYV3ForCausalLM",
              dict(S, head_dim=16, moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2, num_shared_experts=2,
                   mlp_bias=True, attention_bias=True, mlp_layer_types=["dense", "sparse", "dense"])),
    "hy_v3-defaults": ("hy_v3", "HYV3ForCausalLM",
                       dict(S, head_dim=16, moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2)),
    "mimo_v2_flash": ("mimo_v2_flash", "MiMoV2FlashForCausalLM",
                      dict(S, num_key_value_heads=1, head_dim=24, v_head_dim=16, moe_intermediate_size=32,
                           n_routed_experts=4, num_experts_per_tok=2, attention_bias=True, sliding_window=8,
                           layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                           mlp_layer_types=["dense", "sparse", "dense"])),
    "jetmoe": ("jetmoe", "JetMoeForCausalLM",
               dict(hidden_size=64, num_hidden_layers=2, vocab_size=300, num_key_value_heads=2, kv_channels=24,
                    intermediate_size=48, num_local_experts=4, num_experts_per_tok=3, tie_word_embeddings=False)),
    # per-layer head_dim / KV heads (per_layer_config), values from the keys on full layers, KV sharing with a
    # double-wide MLP, the MoE block beside the dense MLP, per-layer embeddings
    "gemma4_text": ("gemma4_text", "Gemma4ForCausalLM",
                    dict(S, num_hidden_layers=4, head_dim=16,
                         per_layer_config={"1": {"head_dim": 32, "num_key_value_heads": 1},
                                           "3": {"head_dim": 32, "num_key_value_heads": 1}},
                         attention_k_eq_v=True, num_kv_shared_layers=2, use_double_wide_mlp=True,
                         enable_moe_block=True, num_experts=4, top_k_experts=2, moe_intermediate_size=32,
                         hidden_size_per_layer_input=8, vocab_size_per_layer_input=64, sliding_window=8,
                         layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"])),
    # the config class's own derivation: global_head_dim on the full layers, no per-layer embeddings
    "gemma4_text-derived": ("gemma4_text", "Gemma4ForCausalLM",
                            dict(S, num_hidden_layers=6, head_dim=16, global_head_dim=32, hidden_size_per_layer_input=0,
                                 attention_bias=True)),
    "laguna": ("laguna", "LagunaForCausalLM",
               dict(S, head_dim=16, moe_intermediate_size=24, shared_expert_intermediate_size=40, num_experts=4,
                    num_experts_per_tok=2, num_attention_heads_per_layer=[4, 2, 4], gating=False, attention_bias=True,
                    sliding_window=8, layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                    mlp_layer_types=["dense", "sparse", "sparse"])),
    "laguna-defaults": ("laguna", "LagunaForCausalLM",
                        dict(S, head_dim=16, moe_intermediate_size=24, shared_expert_intermediate_size=40,
                             num_experts=4, num_experts_per_tok=2)),
    "bailing_hybrid": ("bailing_hybrid", "BailingHybridForCausalLM",
                       dict(S, num_hidden_layers=4, pad_token_id=0, head_dim=16, moe_intermediate_size=32, num_experts=4,
                            num_experts_per_token=2, num_shared_experts=2, kv_lora_rank=16, qk_rope_head_dim=8,
                            qk_nope_head_dim=16, v_head_dim=16, attention_bias=True, num_expert_group=1, topk_group=1,
                            layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"],
                            mlp_layer_types=["dense", "sparse", "sparse", "dense"])),
    "aria_text": ("aria_text", "AriaTextForCausalLM",
                  dict(S, moe_num_experts=4, moe_topk=2, moe_num_shared_experts=1, mlp_bias=True, attention_bias=True)),
    "afmoe": ("afmoe", "AfmoeForCausalLM",
              dict(S, head_dim=16, moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2, num_shared_experts=1,
                   num_dense_layers=1, attention_bias=True, sliding_window=8, global_attn_every_n_layers=2)),
    "doge": ("doge", "DogeForCausalLM", dict(S, attention_bias=True, mlp_bias=True, sliding_window=16)),
    "lfm3": ("lfm3", "Lfm3ForCausalLM",
             dict(S, num_hidden_layers=5, head_dim=16, conv_bias=True, attention_bias=True, pad_token_id=0,
                  bos_token_id=1, eos_token_id=2, sliding_window=8)),
    "lfm3-plain": ("lfm3", "Lfm3ForCausalLM",
                   dict(S, num_hidden_layers=5, head_dim=16, use_sandwich_norm=False, use_attention_gate=False,
                        pad_token_id=0, bos_token_id=1, eos_token_id=2)),
    "flint": ("flint", "FlintForCausalLM",
              dict(S, head_dim=16, moe_intermediate_size=32, shared_expert_intermediate_size=48, num_experts=4,
                   num_experts_per_tok=2, attention_bias=True, sliding_window=8, mlp_only_layers=[0])),
    "kolibri1": ("kolibri1", "Kolibri1ForCausalLM",
                 dict(S, head_dim=16, moe_intermediate_size=32, shared_expert_intermediate_size=48, num_experts=4,
                      num_experts_per_tok=2, sliding_window=8)),
    "axk1": ("axk1", "AXK1ForCausalLM",
             dict(S, **MLA, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=2, num_experts_per_tok=2,
                  n_group=1, topk_group=1, mlp_layer_types=["dense", "sparse", "sparse"])),
    "beam": ("beam", "BeamForCausalLM",
             dict(S, head_dim=16, moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2, n_group=1,
                  topk_group=1, sliding_window=8, num_hidden_layers=4)),
    "minimax_m3_vl_text": ("minimax_m3_vl_text", "MiniMaxM3VLForCausalLM",
                           dict(S, head_dim=16, num_local_experts=4, num_experts_per_tok=2, shared_intermediate_size=40,
                                dense_intermediate_size=80, mlp_layer_types=["dense", "sparse", "sparse"])),
    # transformers cannot build the class defaults (rope_parameters lacks the layer types): stated here
    "cohere_compass_text": ("cohere_compass_text", "CohereCompassForCausalLM",
                            dict(S, attention_bias=True, sliding_window=8, tie_word_embeddings=False,
                                 layer_types=["sliding_attention", "full_attention", "sliding_attention"],
                                 rope_parameters={t: {"rope_type": "default", "rope_theta": 10000.0}
                                                  for t in ("full_attention", "sliding_attention")})),
    # two MLA sub-blocks per layer, the shortcut MoE with identity experts beside the first sub-block's MLP
    "longcat_flash": ("longcat_flash", "LongcatFlashForCausalLM",
                      dict(hidden_size=64, num_layers=2, vocab_size=300, num_attention_heads=4, ffn_hidden_size=96,
                           q_lora_rank=24, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=12,
                           head_dim=8, expert_ffn_hidden_size=32, n_routed_experts=4, zero_expert_num=2, moe_topk=3,
                           attention_bias=True)),
    "cpmant": ("cpmant", "CpmAntForCausalLM",
               dict(hidden_size=64, num_hidden_layers=2, vocab_size=300, num_attention_heads=4, dim_head=24, dim_ff=96,
                    position_bias_num_buckets=16, prompt_types=2, prompt_length=3, segment_types=5)),
    # two stacks invoked H_cycles x (L_cycles + 1) times: one decoder layer per invocation, weights shared
    "hrm_text": ("hrm_text", "HrmTextForCausalLM",
                 dict(hidden_size=64, num_hidden_layers=2, vocab_size=300, num_attention_heads=4, head_dim=16,
                      intermediate_size=96, H_cycles=2, L_cycles=2, attention_bias=True, mlp_bias=True)),
    "gemma4_unified_text": ("gemma4_unified_text", "Gemma4UnifiedForCausalLM",
                            dict(S, num_hidden_layers=4, head_dim=16, sliding_window=8, attention_k_eq_v=True,
                                 per_layer_config={"1": {"head_dim": 32, "num_key_value_heads": 1},
                                                   "3": {"head_dim": 32, "num_key_value_heads": 1}},
                                 num_kv_shared_layers=2, use_double_wide_mlp=True,
                                 layer_types=["sliding_attention", "full_attention", "sliding_attention",
                                              "full_attention"])),
    # indexed MLA layers and sliding MLA layers of other shapes (per_layer_config), MLA output gates
    "dots3_note_text": ("dots3_note_text", "Dots3NoteForCausalLM",
                        dict(S, num_key_value_heads=4, **MLA, moe_intermediate_size=32, n_routed_experts=4,
                             num_experts_per_tok=2, shared_experts_intermediate_size=40, attention_bias=True,
                             index_n_heads=2, index_head_dim=16, index_topk=4, sliding_window=8, pad_token_id=0,
                             bos_token_id=0, eos_token_id=0,
                             per_layer_config={"1": {"num_attention_heads": 2, "num_key_value_heads": 2,
                                                     "kv_lora_rank": 24, "qk_nope_head_dim": 24, "head_dim": 32}},
                             layer_types=["indexed_attention", "sliding_attention", "indexed_attention"],
                             mlp_layer_types=["dense", "sparse", "sparse"])),
    "axk2": ("axk2", "AXK2ForCausalLM",
             dict(S, num_key_value_heads=4, **MLA, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=2,
                  num_experts_per_tok=2, attention_bias=True, index_n_heads=2, index_head_dim=16, index_topk=4,
                  gated_norm_rank=8, mlp_layer_types=["dense", "sparse", "sparse"])),
    # indexed MLA with shared indexers, sinks and output gates, hyper-connections (hc_mult residual streams)
    "hy_v4": ("hy_v4", "HYV4ForCausalLM",
              dict(S, **MLA, moe_intermediate_size=32, n_routed_experts=4, n_shared_experts=2, num_experts_per_tok=2,
                   attention_bias=True, index_n_heads=2, index_head_dim=16, index_topk=4, hc_mult=2, pad_token_id=0,
                   indexer_types=["full", "shared", "full"], mlp_layer_types=["dense", "sparse", "sparse"])),
}
TEXT = {"qwen3_5", "qwen3_5_moe"}


def _build(case):
    model_type, cls, kwargs = CASES[case]
    cfg = transformers.CONFIG_MAPPING[model_type](**kwargs)
    with torch.device("meta"):
        module = getattr(transformers, cls)._from_config(cfg.get_text_config() if case in TEXT else cfg)
    config = dict(cfg.to_dict(), model_type=model_type, architectures=[cls])
    return module, config


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_tensors_equal_transformers(case):
    module, config = _build(case)
    inv = build_inventory(spec_from_config(config))
    assert count(inv).total == sum(p.numel() for p in module.parameters())
    if config["model_type"] in role_map.TABLE:  # per role and per (stack, layer, role) shapes, independently
        params = tuple((n, tuple(p.shape), False) for n, p in module.named_parameters())
        check = {"zamba": role_map.check_zamba, "zamba2": role_map.check_zamba,
                 "gemma4_text": role_map.check_gemma4, "bailing_hybrid": role_map.check_bailing,
                 "longcat_flash": role_map.check_longcat, "cpmant": role_map.check_cpmant,
                 "hrm_text": role_map.check_hrm}.get(config["model_type"], role_map.check_d)
        assert check(config, case, params) == []


@pytest.mark.parametrize("case", ["zamba", "zamba2"])
def test_shared_block_is_stored_once_and_run_at_every_use(case):
    """The shared transformer block's parameters count once in the total, while its matmul FLOPs, its
    attention and its KV cache count at every depth that runs it (3 uses of 1 block for Zamba, 3 uses of 2
    blocks for Zamba2)."""
    from paramscope.compute import attention_layers, matmul_params_per_token
    from paramscope.memory.kv import KvOptions, kv_cache
    from paramscope.model import from_config

    module, config = _build(case)
    model = from_config(config)
    spec = model.spec
    hybrid = tuple(i for i, t in enumerate(config["layers_block_type"]) if t == "hybrid")
    shared = spec.stack("shared")
    assert shared.inside == "decoder" and shared.at_layers == hybrid and len(shared.layers) == len(hybrid) == 3
    q = [t for t in model.inventory if t.stack == "shared" and t.role == "attn_q" and t.layers]
    blocks = {id((m.shared_transf if case == "zamba" else m.shared_transformer).self_attn.q_proj.weight)
              for m in module.model.layers if hasattr(m, "linear")}  # transformers ties each block's uses
    assert len(q) == len(set(shared.shares)) == len(blocks)
    assert sum(len(t.used_by) for t in q) == 3 and sum(t.stored for t in q) == len(q) * q[0].numel
    assert count(model.inventory).total == sum(p.numel() for p in module.parameters())
    per_token = matmul_params_per_token(model)
    assert per_token - sum(t.numel * (len(t.used_by) - 1) for t in model.inventory if t.used_by
                           and len(t.shape) >= 2) == pytest.approx(matmul_params_per_token(_stored_once(model)))
    assert len(attention_layers(spec)) == 3
    kv = kv_cache(spec, batch=1, context=16, options=KvOptions(engine="transformers"))
    assert sum(len(x.layers) for x in kv.layers if x.stack == "shared") == 3


def _stored_once(model):
    """The same model with every shared tensor run once (used_by dropped): the baseline per-use FLOPs add to."""
    from dataclasses import replace

    from paramscope.inventory import Inventory

    inv = Inventory(tuple(t._replace(used_by=None) for t in model.inventory))
    return replace(model, inventory=inv)


def test_deepseek_v2_without_top_k_warns_and_bounds_active():
    _, config = _build("deepseek_v2-no-top-k")
    spec = spec_from_config(config)
    assert any("num_experts_per_tok is not set" in w for w in spec.warnings)
    r = count(build_inventory(spec))
    assert r.active == r.total


@pytest.mark.parametrize("model_type,key", [("ministral", "head_dim"), ("nemotron", "num_key_value_heads"),
                                            ("lfm2_moe", "layer_types")])
def test_required_keys_with_a_none_default_are_refused(model_type, key):
    from paramscope.errors import ConfigError

    config = dict(transformers.CONFIG_MAPPING[model_type]().to_dict(), model_type=model_type)
    config.pop(key, None)
    with pytest.raises(ConfigError, match=key):
        spec_from_config(config)


@pytest.mark.parametrize("case", sorted(c for c in CASES if c not in TEXT))
def test_keys_left_at_their_class_default_are_filled_as_transformers_does(case):
    """A config.json may omit any key whose value is the config class's default: the adapter must fill in that
    class's default (not another family's). Every key equal to its default is dropped from the small config."""
    module, config = _build(case)
    model_type = config["model_type"]
    defaults = transformers.CONFIG_MAPPING[model_type]().to_dict()
    sparse = {k: v for k, v in config.items() if k in ("model_type", "architectures") or k not in defaults
              or defaults[k] != v}
    assert count(build_inventory(spec_from_config(sparse))).total == sum(p.numel() for p in module.parameters())


def test_longcat_identity_experts_count_in_total_but_not_active():
    """LongCat-Flash: the gate_up rows transformers allocates for the identity experts are stored (total) but no
    token uses them (active), and the router scores routed + identity experts."""
    module, config = _build("longcat_flash")
    spec = spec_from_config(config)
    inv = build_inventory(spec)
    r = count(inv)
    assert r.total == sum(p.numel() for p in module.parameters())
    idle = [t for t in inv if t.name == "mlp.experts.zero_expert_gate_up"]
    assert idle and all(t.active == 0 for t in idle)
    routers = [t for t in inv if t.role == "router" and t.name == "router.weight"]
    assert routers[0].shape == (4 + 2, 64)
    assert any("identity experts" in w for w in spec.warnings)
    expert = [t for t in inv if t.role == "expert_down"][0]
    per_expert = expert.numel // expert.experts
    assert r.total - r.active >= sum(t.stored for t in idle) + (4 - 3) * per_expert * len(expert.layers)
