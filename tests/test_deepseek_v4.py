"""DeepSeek-V4 (transformers deepseek_v4/modeling_deepseek_v4.py) against transformers itself.

- Parameters: the walk's four variants (default, diff, small, untied) are exact, and on tiny configs with every
  layer kind (sliding, CSA, HCA; hash and top-k MoE) every named parameter maps, through an independent name table
  written from modeling_deepseek_v4.py (below, in tests/role_map.py's form), onto paramscope's tensors: the same
  roles, per-layer shapes and totals.
- Cache: a tiny random DeepseekV4ForCausalLM runs a forward pass with use_cache=True (batch 2, a prompt longer than
  the window and several compression windows, with a remainder) in float32 and bfloat16, then decode steps; the
  bytes of every tensor its cache holds (sliding K/V, compressed entries, window buffers and gates, CSA overlap
  state, the indexer's own) must equal paramscope's kv_cache for engine transformers.
- FLOPs: FlopCounterMode's weight matmuls (mm / addmm, and the bmm of the grouped output projection o_a_proj) for
  one forward must equal 2 x paramscope's matmul parameters per token x tokens; the attention's (query, key) pairs
  from the masks transformers builds (the sliding-window mask plus the compressors' block_bias) and the indexer's
  causally visible (query, entry) pairs must equal compute.attention_flops.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import role_map  # noqa: E402
from role_map import L, M, WB, Rule  # noqa: E402
from test_kv_truth import _cache_bytes  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402
from transformers_walk import VARIANTS, compare  # noqa: E402

from paramscope.compute import attention_flops, matmul_params_per_token  # noqa: E402
from paramscope.errors import UnsupportedArchitectureError  # noqa: E402
from paramscope.memory.kv import KvOptions, kv_cache  # noqa: E402
from paramscope.model import from_config  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

SLIDING, CSA, HCA = "sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention"

# every layer kind: a sliding-only layer, CSA (rate 4, with its indexer) and HCA (rate 8); hash and top-k MoE
TINY = dict(model_type="deepseek_v4", architectures=["DeepseekV4ForCausalLM"], vocab_size=300, hidden_size=64,
            moe_intermediate_size=32, num_hidden_layers=4, num_attention_heads=4, head_dim=16, q_lora_rank=24,
            num_experts_per_tok=2, n_routed_experts=4, compress_rates={CSA: 4, HCA: 8},
            layer_types=[SLIDING, CSA, HCA, CSA], mlp_layer_types=["hash_moe", "moe", "moe", "moe"], hc_mult=2,
            sliding_window=6, o_groups=2, o_lora_rank=12, index_n_heads=2, index_head_dim=8, index_topk=3,
            partial_rotary_factor=0.5)
# legacy keys (compress_ratios, num_hash_layers, compress_rate_*), a shared MLP with biases, a tied head
LEGACY = dict(model_type="deepseek_v4", architectures=["DeepseekV4ForCausalLM"], vocab_size=300, hidden_size=48,
              moe_intermediate_size=40, num_hidden_layers=3, num_attention_heads=2, head_dim=32, q_lora_rank=16,
              num_experts_per_tok=1, n_routed_experts=3, compress_ratios=[128, 4, 0], compress_rate_hca=16,
              num_hash_layers=1, hc_mult=3, sliding_window=5, o_groups=4, o_lora_rank=8, index_n_heads=3,
              index_head_dim=8, index_topk=2, qk_rope_head_dim=8, mlp_bias=True, tie_word_embeddings=True)

# ------------------------------------------------------------------------------------------- parameters

# DeepseekV4ForCausalLM's parameters, read from modeling_deepseek_v4.py: DeepseekV4Attention (q_a_proj, q_a_norm,
# q_b_proj, kv_proj -- one KV head, the keys are also the values --, kv_norm, the grouped o_a_proj, o_b_proj, sinks),
# its compressor (kv_proj, gate_proj, position_bias, kv_norm) and, in CSA layers, the compressor's indexer (the same
# four plus q_b_proj and scorer.weights_proj); DeepseekV4SparseMoeBlock (gate, experts, shared_experts);
# DeepseekV4HyperConnection attn_hc / ffn_hc (fn, base, scale) and DeepseekV4HyperHead hc_head.
_A = rf"{M}layers\.{L}\.self_attn\."
TABLE = role_map._llama_shell(M) + role_map._pre_norms(M) + role_map._fused_experts(M) + [
    Rule(rf"{_A}q_a_proj\.weight", "attn_q_a", "decoder"),
    Rule(rf"{_A}q_a_norm\.weight", "norm_q_a", "decoder"),
    Rule(rf"{_A}q_b_proj\.weight", "attn_q_b", "decoder"),
    Rule(rf"{_A}kv_proj\.weight", "attn_k", "decoder"),
    Rule(rf"{_A}kv_norm\.weight", "norm_k", "decoder"),
    Rule(rf"{_A}o_[ab]_proj\.weight", "attn_o", "decoder"),
    Rule(rf"{_A}sinks", "attn_sinks", "decoder"),
    Rule(rf"{_A}compressor\.(?:kv_proj|gate_proj|kv_norm)\.weight", "attn_compressor", "decoder"),
    Rule(rf"{_A}compressor\.(?:indexer\.)?position_bias", "attn_compressor_bias", "decoder"),
    Rule(rf"{_A}compressor\.indexer\.(?:kv_proj|gate_proj|kv_norm|q_b_proj|scorer\.weights_proj)\.weight",
         "attn_indexer", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.gate_proj\.{WB}", "shared_gate", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.up_proj\.{WB}", "shared_up", "decoder"),
    Rule(rf"{M}layers\.{L}\.mlp\.shared_experts\.down_proj\.{WB}", "shared_down", "decoder"),
    Rule(rf"{M}layers\.{L}\.(?:attn|ffn)_hc\.(?:fn|base|scale)", "other", "decoder"),
    Rule(rf"{M}hc_head\.hc_(?:fn|base|scale)", "other"),
]
role_map.TABLE["deepseek_v4"] = TABLE
role_map._COMPILED["deepseek_v4"] = [(re.compile(r.regex), r) for r in TABLE]
role_map.GROUP.setdefault("attn_compressor", "attention")
role_map.GROUP.setdefault("attn_compressor_bias", "attention")


@pytest.mark.parametrize("variant", VARIANTS)
def test_walk_variants_are_exact(variant):
    outcome, detail = compare("deepseek_v4", "DeepseekV4ForCausalLM", variant)
    assert outcome == "exact", detail


@pytest.mark.parametrize("name,config", [("tiny", TINY), ("legacy", LEGACY)])
def test_every_tensor_matches_transformers(name, config):
    assert role_map.check(config, name) == []


def test_every_tensor_matches_transformers_at_the_default_config():
    """DeepseekV4Config's defaults (V4-Flash's shapes: 43 layers, HCA / CSA, 256 experts), built on the meta device."""
    config = dict(transformers.DeepseekV4Config().to_dict(), model_type="deepseek_v4",
                  architectures=["DeepseekV4ForCausalLM"])
    assert role_map.check(config, "default") == []


def test_layer_kinds_from_legacy_keys():
    layers = spec_from_config(LEGACY).stacks[0].layers
    assert [len(layer.attention.compressors) for layer in layers] == [1, 2, 0]
    assert layers[0].attention.compressors[0].rate == 16  # compress_rate_hca over the default 128
    assert [layer.ffn.score_correction_bias for layer in layers] == [False, True, True]  # 1 hash layer


def test_refuses_what_transformers_cannot_build():
    with pytest.raises(Exception, match="compress_ratios"):
        spec_from_config(dict(LEGACY, compress_ratios=[128, 4, 2]))
    with pytest.raises(Exception, match="compress_rates has no rate"):
        spec_from_config(dict(TINY, compress_rates={HCA: 8}))
    with pytest.raises(Exception, match="sliding_window: null"):
        spec_from_config(dict(TINY, sliding_window=None))
    with pytest.raises(Exception, match="keep every token"):
        spec_from_config(dict(TINY, sliding_window=1))
    spec_from_config(dict(TINY, num_hash_layers=2))  # legacy, ignored beside mlp_layer_types as transformers does


# ------------------------------------------------------------------------------------------- cache


def _model(config: dict, dtype=torch.float32, **over):
    kwargs = {k: v for k, v in config.items() if k not in ("architectures", "model_type")}
    cfg = transformers.DeepseekV4Config(**{**kwargs, **over})
    torch.manual_seed(0)
    return transformers.DeepseekV4ForCausalLM._from_config(cfg, dtype=dtype).eval()


def _ours(config: dict, dtype_name: str, batch: int, context: int) -> int:
    spec = spec_from_config(dict(config, torch_dtype=dtype_name))
    return kv_cache(spec, batch=batch, context=context, options=KvOptions(engine="transformers")).total_bytes


_SAVED: dict = {}


def _pretrained(config: dict, dtype, tmp_path_factory):
    """The tiny model saved and loaded back with from_pretrained(dtype=...), as a checkpoint is run: the modules
    of _keep_in_fp32_modules_strict (position_bias among them) stay float32 in a bfloat16 model."""
    key = id(config)
    if key not in _SAVED:
        _SAVED[key] = str(tmp_path_factory.mktemp("dsv4"))
        _model(config).save_pretrained(_SAVED[key])
    return transformers.DeepseekV4ForCausalLM.from_pretrained(_SAVED[key], dtype=dtype).eval()


@pytest.mark.parametrize("config", [TINY, LEGACY], ids=["tiny", "legacy"])
@pytest.mark.parametrize("dtype,name", [(torch.float32, "float32"), (torch.bfloat16, "bfloat16")])
@pytest.mark.parametrize("seq", [3, 19, 37])
def test_cache_bytes_match_transformers(config, dtype, name, seq, tmp_path_factory):
    """Prompts shorter than a window, and longer than the sliding window and several windows with a remainder;
    then four decode steps (the buffers fill, windows close, the overlap state appears)."""
    batch = 2
    model = _pretrained(config, dtype, tmp_path_factory)
    ids = torch.randint(3, 250, (batch, seq))
    with torch.no_grad():
        out = model(input_ids=ids, use_cache=True)
        cache = out.past_key_values
        assert _cache_bytes(cache) == _ours(config, name, batch, seq)
        for step in range(1, 5):
            out = model(input_ids=torch.randint(3, 250, (batch, 1)), past_key_values=cache, use_cache=True)
            assert _cache_bytes(cache) == _ours(config, name, batch, seq + step), f"after {step} decode steps"


def test_overlap_gate_is_float32_in_a_bfloat16_checkpoint(tmp_path_factory):
    """from_pretrained keeps position_bias in float32, so the CSA overlap gate (gate + position_bias) is float32
    while everything else in the cache is bfloat16."""
    model = _pretrained(TINY, torch.bfloat16, tmp_path_factory)
    with torch.no_grad():
        layer = model(input_ids=torch.randint(3, 250, (1, 9)), use_cache=True).past_key_values.layers[1]
    assert layer.overlap_gate["compressor"].dtype == torch.float32
    assert layer.overlap_kv["compressor"].dtype == layer.compressed_kv["compressor"].dtype == torch.bfloat16


def test_cache_grows_with_the_compressed_entries():
    """Past the window the cache grows only by the compressed entries: one head_dim entry per rate tokens per
    compressor (the mutation guard: a model without them would stay flat)."""
    a, b = _ours(TINY, "float32", 1, 64), _ours(TINY, "float32", 1, 64 + 8)
    # two CSA layers (compressor 16 + indexer 8 per 4 tokens) and one HCA layer (16 per 8 tokens), 4 bytes each
    assert b - a == 4 * (2 * 2 * (16 + 8) + 16)


@pytest.mark.parametrize("engine", ["vllm", "llama.cpp", "sglang", "tensorrt-llm"])
def test_other_engines_refuse_the_compressed_cache(engine):
    spec = spec_from_config(TINY)
    with pytest.raises(UnsupportedArchitectureError, match="compressed KV cache"):
        kv_cache(spec, batch=1, context=100, options=KvOptions(engine=engine))


def test_the_speed_model_refuses_the_compressed_attention():
    """perf's step model groups attention by window; the compressed entries and indexer scores are not in it."""
    from paramscope.hardware import get_hardware
    from paramscope.perf import PerfOptions, perf_report

    model = from_config(dict(TINY, torch_dtype="bfloat16"))
    with pytest.raises(UnsupportedArchitectureError, match="compressed KV entries"):
        perf_report(model, get_hardware("h100"), PerfOptions(engine="transformers"))


# ------------------------------------------------------------------------------------------- FLOPs

P = 23  # tokens: several CSA and HCA windows, past the sliding window


def _matmul_flops(counts: dict) -> int:
    """mm / addmm anywhere (weight matmuls) plus the grouped output projection's bmm (DeepseekV4GroupedLinear);
    the other bmm are attention and indexer scores."""
    total = 0
    for module, ops in counts.items():
        for op, flops in ops.items():
            name = str(op).split(".")[-1]
            if module == "Global" and name in ("mm", "addmm"):
                total += flops
            elif module.endswith("o_a_proj") and name == "bmm":
                total += flops
    return total


@pytest.mark.parametrize("config", [TINY, LEGACY], ids=["tiny", "legacy"])
def test_matrix_flops_equal_torch(config):
    model = _model(config, experts_implementation="eager")
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(input_ids=torch.randint(3, 250, (1, P)), use_cache=False)
    measured = _matmul_flops(fc.get_flop_counts())
    ours = 2 * matmul_params_per_token(from_config(config)) * P
    assert ours == measured


_PAIRS: list[int] = []


def _counting_attention(module, query, key, value, attention_mask, **kwargs):
    """Records the (query, key) pairs the mask lets through x 2 x heads x (d_qk + d_v), then runs V4's eager
    attention (its sinks included)."""
    from transformers.models.deepseek_v4.modeling_deepseek_v4 import eager_attention_forward

    m = attention_mask[0, 0]
    pairs = int((m > torch.finfo(m.dtype).min / 2).sum())
    _PAIRS.append(pairs * 2 * query.shape[1] * (query.shape[-1] + value.shape[-1]))
    return eager_attention_forward(module, query, key, value, attention_mask, **kwargs)


transformers.AttentionInterface.register("paramscope_v4_counting", _counting_attention)
transformers.AttentionMaskInterface.register("paramscope_v4_counting",
                                             transformers.masking_utils.ALL_MASK_ATTENTION_FUNCTIONS["eager"])


def _mask_flops(config: dict, **over) -> int:
    model = _model(config, **over)
    model.config._attn_implementation = "paramscope_v4_counting"
    _PAIRS.clear()
    with torch.no_grad():
        model(input_ids=torch.randint(3, 250, (1, P)), use_cache=False)
    return sum(_PAIRS)


def _indexer_pairs(config: dict) -> int:
    """(query, entry) pairs the CSA indexers score causally: with index_topk above every entry count, CSA's mask
    lets a query through to exactly the entries it may see, so the CSA layers' compressed columns give them."""
    model = _model(config, index_topk=10 ** 6)
    kinds = model.config.layer_types
    seen = []

    def attention(module, query, key, value, attention_mask, **kwargs):
        from transformers.models.deepseek_v4.modeling_deepseek_v4 import eager_attention_forward

        if kinds[module.layer_idx] == CSA:
            cols = attention_mask.shape[-1] - P  # the compressed entries follow the P sliding-window columns
            m = attention_mask[0, 0, :, P:]
            seen.append((int((m > torch.finfo(m.dtype).min / 2).sum()), cols))
        return eager_attention_forward(module, query, key, value, attention_mask, **kwargs)

    transformers.AttentionInterface.register("paramscope_v4_indexer", attention)
    transformers.AttentionMaskInterface.register("paramscope_v4_indexer",
                                                 transformers.masking_utils.ALL_MASK_ATTENTION_FUNCTIONS["eager"])
    model.config._attn_implementation = "paramscope_v4_indexer"
    with torch.no_grad():
        model(input_ids=torch.randint(3, 250, (1, P)), use_cache=False)
    assert seen and all(cols == P // 4 for _, cols in seen)  # both configs' CSA rate is 4
    return sum(pairs for pairs, _ in seen)


@pytest.mark.parametrize("config", [TINY, LEGACY], ids=["tiny", "legacy"])
def test_attention_flops_equal_the_masks_and_the_indexer(config):
    spec = spec_from_config(config)
    ih, ihd = config["index_n_heads"], config["index_head_dim"]
    n_csa = sum(1 for layer in spec.stack("decoder").layers if len(layer.attention.compressors) == 2)
    indexer = 2 * ih * ihd * _indexer_pairs(config)
    assert indexer > 0 and n_csa
    assert attention_flops(spec, start=0, stop=P) == _mask_flops(config) + indexer


@pytest.mark.parametrize("config", [TINY, LEGACY], ids=["tiny", "legacy"])
def test_decode_attention_flops_equal_the_masks(config):
    """One decode step after a P-token prompt: the query sees the cached window and every complete window's entry
    (CSA: at most index_topk of them), and each CSA indexer scores every entry."""
    spec = spec_from_config(config)
    model = _model(config)
    model.config._attn_implementation = "paramscope_v4_counting"
    with torch.no_grad():
        cache = model(input_ids=torch.randint(3, 250, (1, P)), use_cache=True).past_key_values
        _PAIRS.clear()
        model(input_ids=torch.randint(3, 250, (1, 1)), past_key_values=cache, use_cache=True)
    entries = cache.layers[[len(layer.attention.compressors) for layer in spec.stack("decoder").layers].index(2)]
    n_csa = sum(1 for layer in spec.stack("decoder").layers if len(layer.attention.compressors) == 2)
    indexer = n_csa * 2 * config["index_n_heads"] * config["index_head_dim"] * ((P + 1) // 4)
    assert entries.compressed_kv["indexer"].shape[1] == (P + 1) // 4
    assert attention_flops(spec, start=P, stop=P + 1) == sum(_PAIRS) + indexer


def test_a_saved_spec_keeps_the_compressors():
    """paramscope show --json writes the spec; read back, it counts and caches the same (specio)."""
    import json

    from paramscope import specio

    spec = spec_from_config(TINY)
    back = specio.from_dict(json.loads(json.dumps(specio.to_dict(spec))))
    assert back == spec
    options = KvOptions(engine="transformers")
    assert kv_cache(back, batch=2, context=37, options=options) == kv_cache(spec, batch=2, context=37, options=options)
