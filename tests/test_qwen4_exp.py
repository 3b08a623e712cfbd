"""Qwen4-Exp (sources/qwen4_exp.py) against transformers 5.23's own modules and caches
(transformers/models/qwen4_exp/modeling_qwen4_exp.py).

- Parameters: tiny configs with every new part (QSA-indexed attention, per-layer n-gram embeddings on some linear
  layers, hyper-connections with hc_count 3) are built by transformers on the meta device; per decoder layer the
  multiset of tensor shapes, the total, and the per-group totals of an independently written name table must equal
  paramscope's inventory. The composite adds the vision tower and merger (tied / untied heads). A default-width
  config with QSA and two PLE layers (20M-row hashed n-gram tables) is compared by total.
- Cache: a tiny random Qwen4ExpForCausalLM runs a prefill and a decode step with use_cache=True (batch 2, float32
  and bfloat16); every tensor of the returned DynamicCache (K/V, the indexer keys, the indexer's position ids, the
  DeltaNet conv and recurrent states, the PLE convolution window and n-gram token ids) is summed and must equal
  paramscope's kv_cache for engine transformers.
- FLOPs: torch's FlopCounterMode counts what the forward pass executes; with a registered attention function
  recording the mask each indexed layer uses (causal AND the QSA selection), paramscope's matrix FLOPs and
  attention FLOPs (QSA reads, indexer block scores) must equal it. transformers' DeltaNet convolution computes
  kernel - 1 padded positions per sequence that it then drops: the test subtracts them, named. The gated delta
  rule's own matmuls (chunked form) are not compared (RecurrentSpec.state_flops_per_token is the recurrent form).
"""

from __future__ import annotations

import collections
import math
import re

import pytest

from paramscope.compute import _blocks_sum, _qsa_read_sum, attention_flops, matmul_params_per_token
from paramscope.errors import ConfigError, UnsupportedArchitectureError
from paramscope.inventory import build_inventory
from paramscope.memory.kv import KvOptions, kv_cache
from paramscope.model import from_config
from paramscope.params import count
from paramscope.sources.hf_config import spec_from_config

torch = pytest.importorskip("torch")
tf = pytest.importorskip("transformers")
tf.logging.set_verbosity_error()

TEXT = dict(vocab_size=512, hidden_size=64, num_hidden_layers=6, num_attention_heads=4, num_key_value_heads=2,
            head_dim=16, linear_conv_kernel_dim=4, linear_key_head_dim=16, linear_value_head_dim=16,
            linear_num_key_heads=2, linear_num_value_heads=4, moe_intermediate_size=32,
            shared_expert_intermediate_size=48, num_experts=4, num_experts_per_tok=2, hc_count=3, hc_lowrank=24,
            layer_types=["linear_attention", "indexed_attention", "linear_attention", "linear_attention",
                         "indexed_attention", "linear_attention"],
            ple_layer_ids=[1, 4, 6], ple_embed_dim=48, ple_conv_kernel_size=3, ngram_size=3, heads_per_ngram=2,
            ngram_vocab_size_base=1000, make_ngram_vocab_size_divisible_by=16, eos_token_id=1,
            indexer_n_heads=2, indexer_kv_heads=1, indexer_head_dim=16, indexer_budget=8, indexer_compress_ratio=4)
VISION = dict(model_type="qwen4_exp_vision", depth=2, hidden_size=32, intermediate_size=40, num_heads=4, patch_size=4,
              spatial_merge_size=2, temporal_patch_size=2, out_hidden_size=64, num_position_embeddings=16)

# transformers parameter name -> role group, written from modeling_qwen4_exp.py (first match wins)
GROUPS = [
    (r"^model\.visual\.merger\.", "projector"),
    (r"^model\.visual\.", "vision"),
    (r"embed_tokens\.weight$|ple\.ple_embedding\.ngram_embedding\.weight$", "embedding"),
    (r"self_attn\.(q_norm|k_norm)\.weight$", "norm"),
    (r"self_attn\.", "attention"),  # q/k/v/o and the QSA indexer
    (r"linear_attn\.", "linear_mixer"),
    (r"mlp\.experts\.", "experts"),
    (r"mlp\.shared_expert(_gate)?\.", "shared_experts"),
    (r"mlp\.gate\.weight$", "router"),
    (r"hc_norm\.weight$|ple\.norm_(key|query|conv)\.weight$", "norm"),
    (r"hyper_connection|ple\.", "other"),
    (r"^lm_head\.weight$", "head"),
]


def _group(name: str) -> str:
    for pattern, group in GROUPS:
        if re.search(pattern, name):
            return group
    raise AssertionError(f"unmapped transformers parameter {name}")


def _config(model_type: str, arch: str, **kw) -> tuple[dict, object]:
    cfg = tf.CONFIG_MAPPING[model_type](**kw)
    return dict(cfg.to_dict(), model_type=model_type, architectures=[arch]), cfg


def _meta(arch: str, cfg):
    with torch.device("meta"):
        return getattr(tf, arch)._from_config(cfg)


def _compare(config: dict, cfg, arch: str):
    model = _meta(arch, cfg)
    inv = build_inventory(spec_from_config(config))
    hf = collections.defaultdict(list)
    by_group = collections.Counter()
    for n, p in model.named_parameters():
        m = re.search(r"^model\.(?:language_model\.)?layers\.(\d+)\.", n)
        hf[int(m.group(1)) if m else None].append(tuple(p.shape))
        by_group[_group(n)] += p.numel()
    ours = collections.defaultdict(list)
    for t in inv.expanded():
        if t.counted:
            key = t.layers[0] if t.layers and t.stack == "decoder" else None
            ours[key].append((t.experts, *t.shape) if t.experts > 1 else tuple(t.shape))
    assert {k: sorted(v) for k, v in ours.items()} == {k: sorted(v) for k, v in hf.items()}
    report = count(inv)
    assert report.total == sum(p.numel() for p in model.parameters())
    assert {k: v for k, v in report.by_role.items() if v} == dict(by_group)
    return inv


def test_text_tensor_by_tensor():
    config, cfg = _config("qwen4_exp_text", "Qwen4ExpForCausalLM", **TEXT)
    inv = _compare(config, cfg, "Qwen4ExpForCausalLM")
    rows = {t.layers: t.shape for t in inv if t.name == "ple.ple_embedding.ngram_embedding.weight"}
    assert len(set(rows.values())) == 3  # each PLE layer's table takes the next primes: its own row count


@pytest.mark.parametrize("top_tie", [None, True, False])
def test_composite_tensor_by_tensor(top_tie):
    """Qwen4ExpForConditionalGeneration: the top-level tie_word_embeddings decides the head (the text config's own
    is ignored, as the tied-keys mapping reads the composite's)."""
    kw = dict(text_config=dict(TEXT, model_type="qwen4_exp_text", tie_word_embeddings=not top_tie),
              vision_config=VISION)
    if top_tie is not None:
        kw["tie_word_embeddings"] = top_tie
    config, cfg = _config("qwen4_exp", "Qwen4ExpForConditionalGeneration", **kw)
    _compare(config, cfg, "Qwen4ExpForConditionalGeneration")


def test_causal_lm_of_the_composite_is_the_text_model():
    """architectures[0] Qwen4ExpForCausalLM with a qwen4_exp config: AutoModelForCausalLM builds the class from
    get_text_config(), so the count is the text model's."""
    config, _ = _config("qwen4_exp", "Qwen4ExpForCausalLM", text_config=dict(TEXT, model_type="qwen4_exp_text"),
                        vision_config=VISION)
    text, cfg = _config("qwen4_exp_text", "Qwen4ExpForCausalLM", **TEXT)
    total = count(build_inventory(spec_from_config(config))).total
    assert total == sum(p.numel() for p in _meta("Qwen4ExpForCausalLM", cfg).parameters())


def test_default_widths_with_qsa_and_ple_equal_transformers():
    """The class defaults (40 layers, 512 experts, hc_count 4) with QSA and two PLE layers: each n-gram table has
    16 heads of consecutive primes from 20,000,000 (about 320M rows of 128)."""
    kw = dict(ple_layer_ids=[1, 2], eos_token_id=1, indexer_n_heads=8, indexer_kv_heads=1, indexer_head_dim=128,
              indexer_budget=2048, indexer_compress_ratio=4,
              rope_parameters={"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.25})
    config, cfg = _config("qwen4_exp_text", "Qwen4ExpForCausalLM", **kw)
    total = count(build_inventory(spec_from_config(config))).total
    assert total == sum(p.numel() for p in _meta("Qwen4ExpForCausalLM", cfg).parameters())


def test_walk_variants():
    """The walk's variants: the class defaults have indexed layers without QSA settings, which transformers cannot
    build (refused, with the reason); the small ones (three linear layers) are exact."""
    from transformers_walk import compare

    for variant in ("small", "untied"):
        assert compare("qwen4_exp_text", "Qwen4ExpForCausalLM", variant) == ("exact", "")
    with pytest.raises(TypeError):
        _meta("Qwen4ExpForCausalLM", tf.Qwen4ExpTextConfig())
    with pytest.raises(ConfigError, match="QSA indexer"):
        spec_from_config(_config("qwen4_exp_text", "Qwen4ExpForCausalLM")[0])


def test_refusals():
    bad_ple = dict(TEXT, ple_layer_ids=[2])  # layer 2 is indexed: Qwen4ExpTextConfig rejects PLE there
    with pytest.raises(ConfigError, match="ple_layer_ids"):
        spec_from_config(dict(bad_ple, model_type="qwen4_exp_text", architectures=["Qwen4ExpForCausalLM"]))
    config, _ = _config("qwen4_exp", "Qwen4ExpForConditionalGeneration",
                        text_config=dict(TEXT, model_type="qwen4_exp_text"), vision_config=VISION)
    config["vision_config"]["patch_size"] = [4, 4]
    with pytest.raises(UnsupportedArchitectureError, match="patch size"):
        spec_from_config(config)


def test_ngram_rows_are_transformers_primes():
    from transformers.models.qwen4_exp.modeling_qwen4_exp import _find_nth_prime_after

    from paramscope.sources.qwen4_exp import _primes_from

    for base in (2, 1000, 20_000_000):
        assert _primes_from(base, 24) == [_find_nth_prime_after(base - 1, k) for k in range(1, 25)]


# ------------------------------------------------------------------------------------------------ cache


@pytest.mark.parametrize("dtype,name", [(torch.float32, "float32"), (torch.bfloat16, "bfloat16")])
def test_cache_bytes_equal_transformers_cache(dtype, name):
    from test_kv_truth import _cache_bytes

    config, cfg = _config("qwen4_exp_text", "Qwen4ExpForCausalLM", **TEXT)
    torch.manual_seed(0)
    model = tf.Qwen4ExpForCausalLM._from_config(cfg).to(dtype).eval()
    spec = spec_from_config(dict(config, torch_dtype=name))
    batch, seq = 2, 11
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (batch, seq)), use_cache=True)
        prefill = _cache_bytes(out.past_key_values)
        out = model(input_ids=torch.randint(3, 90, (batch, 1)), past_key_values=out.past_key_values, use_cache=True)
        decode = _cache_bytes(out.past_key_values)
    kinds = {type(layer).__name__ for layer in out.past_key_values.layers}
    assert kinds == {"DynamicIndexedLayer", "LinearAttentionLayer"}
    for context, real in ((seq, prefill), (seq + 1, decode)):
        ours = kv_cache(spec, batch=batch, context=context, options=KvOptions(engine="transformers")).total_bytes
        assert ours == real, f"context {context}: paramscope {ours} vs transformers {real}"


# ------------------------------------------------------------------------------------------------ FLOPs


def test_flops_equal_what_torch_executes():
    from test_flops_truth import _PAIRS  # registers the mask-recording attention "paramscope_counting"
    from torch.utils.flop_counter import FlopCounterMode

    seq = 29  # past indexer_budget + compress_ratio: the QSA cap and the incomplete-block tail both matter
    config, _ = _config("qwen4_exp_text", "Qwen4ExpForCausalLM", **TEXT)
    cfg = tf.Qwen4ExpTextConfig(**TEXT, experts_implementation="eager")
    cfg._attn_implementation = "paramscope_counting"
    torch.manual_seed(0)
    model = tf.Qwen4ExpForCausalLM._from_config(cfg).eval()
    _PAIRS.clear()
    with torch.no_grad(), FlopCounterMode(display=False) as fc:
        model(input_ids=torch.randint(3, 250, (1, seq)), use_cache=False)
    counts = fc.get_flop_counts()["Global"]
    mm = sum(v for k, v in counts.items() if str(k).split(".")[-1] in ("mm", "addmm"))
    conv = sum(v for k, v in counts.items() if "convolution" in str(k))
    spec = from_config(config).spec
    kernel, conv_dim = TEXT["linear_conv_kernel_dim"], 2 * 2 * 16 + 4 * 16
    linear = sum(1 for t in TEXT["layer_types"] if t == "linear_attention")
    padded = 2 * conv_dim * kernel * (kernel - 1) * linear  # DeltaNet conv outputs transformers drops
    model_ps = from_config(config)
    assert 2 * matmul_params_per_token(model_ps) * seq + attention_flops(spec, start=0, stop=seq) == \
        mm + conv - padded + sum(_PAIRS)
    # the parts on their own: QSA reads (the masks) and the indexer's block scores (inside mm)
    indexed = [layer.attention for layer in spec.stacks[0].layers if layer.attention is not None]
    reads = sum(2 * a.num_heads * (a.head_dim + a.v_dim) * _qsa_read_sum(0, seq, a.index_topk, a.index_block)
                for a in indexed)
    assert len(_PAIRS) == len(indexed) and sum(_PAIRS) == reads
    full = sum(2 * a.num_heads * (a.head_dim + a.v_dim) * seq * (seq + 1) / 2 for a in indexed)
    assert reads < 0.8 * full  # the cap matters at this length
    scores = sum(2 * a.index_heads * a.index_head_dim * _blocks_sum(0, seq, a.index_block) for a in indexed)
    assert attention_flops(spec, start=0, stop=seq) == reads + scores
    assert math.isclose(scores, 2 * 2 * 16 * sum(t // 4 for t in range(1, seq + 1)) * 2)


@pytest.mark.parametrize("ple", [True, False], ids=["ple", "qsa-only"])
def test_other_engines_refuse_the_new_state(ple):
    """vLLM and llama.cpp keep no described layout for the QSA indexer cache or the PLE states: refused, not
    guessed; engine transformers answers."""
    text = dict(TEXT) if ple else {k: v for k, v in TEXT.items() if k != "ple_layer_ids"}
    spec = spec_from_config(dict(text, model_type="qwen4_exp_text", architectures=["Qwen4ExpForCausalLM"]))
    assert kv_cache(spec, batch=1, context=64, options=KvOptions(engine="transformers")).total_bytes > 0
    for engine in ("vllm", "llama.cpp"):
        with pytest.raises(UnsupportedArchitectureError, match="engine transformers only"):
            kv_cache(spec, batch=1, context=64, options=KvOptions(engine=engine))


@pytest.mark.parametrize("arch", ["Qwen4ExpForCausalLM", "Qwen4ExpTextModel", "Qwen4ExpForConditionalGeneration",
                                  "Qwen4ExpModel"])
def test_saved_configs_and_bare_models(arch):
    """The config as save_pretrained writes it (to_diff_dict: class defaults left out, the composite's vision tower
    at its defaults) and the bare backbones (no lm_head; Qwen4ExpModel keeps the vision tower)."""
    if arch.startswith("Qwen4ExpText") or arch == "Qwen4ExpForCausalLM":
        mt, cfg = "qwen4_exp_text", tf.Qwen4ExpTextConfig(**TEXT)
    else:
        mt, cfg = "qwen4_exp", tf.Qwen4ExpConfig(text_config=dict(TEXT, model_type="qwen4_exp_text"))
    config = dict(cfg.to_diff_dict(), model_type=mt, architectures=[arch])
    total = count(build_inventory(spec_from_config(config))).total
    assert total == sum(p.numel() for p in _meta(arch, cfg).parameters())


def test_decode_step_flops_equal_what_torch_executes():
    """One cached decode step after a prefill past the QSA cap: the step's matrix FLOPs, its QSA reads (the mask
    of the new query) and its indexer's block scores equal FlopCounterMode. transformers' single-token DeltaNet
    convolution (causal_conv1d_update) computes kernel + 1 inputs into 2 outputs and keeps the last: 1 dropped
    position per linear layer, subtracted here."""
    from test_flops_truth import _PAIRS  # registers the mask-recording attention "paramscope_counting"
    from torch.utils.flop_counter import FlopCounterMode

    seq = 29
    config, _ = _config("qwen4_exp_text", "Qwen4ExpForCausalLM", **TEXT)
    cfg = tf.Qwen4ExpTextConfig(**TEXT, experts_implementation="eager")
    cfg._attn_implementation = "paramscope_counting"
    torch.manual_seed(0)
    model = tf.Qwen4ExpForCausalLM._from_config(cfg).eval()
    with torch.no_grad():
        cache = model(input_ids=torch.randint(3, 250, (1, seq)), use_cache=True).past_key_values
        _PAIRS.clear()
        with FlopCounterMode(display=False) as fc:
            model(input_ids=torch.randint(3, 250, (1, 1)), past_key_values=cache, use_cache=True)
    counts = fc.get_flop_counts()["Global"]
    mm = sum(v for k, v in counts.items() if str(k).split(".")[-1] in ("mm", "addmm"))
    conv = sum(v for k, v in counts.items() if "convolution" in str(k))
    kernel, conv_dim = TEXT["linear_conv_kernel_dim"], 2 * 2 * 16 + 4 * 16
    dropped = 2 * conv_dim * kernel * sum(1 for t in TEXT["layer_types"] if t == "linear_attention")
    ps = from_config(config)
    indexed = [layer.attention for layer in ps.spec.stacks[0].layers if layer.attention is not None]
    assert sum(_PAIRS) == sum(2 * a.num_heads * (a.head_dim + a.v_dim) * _qsa_read_sum(seq, seq + 1, a.index_topk,
                                                                                        a.index_block)
                              for a in indexed)
    assert 2 * matmul_params_per_token(ps) + attention_flops(ps.spec, start=seq, stop=seq + 1) == \
        mm + conv - dropped + sum(_PAIRS)
