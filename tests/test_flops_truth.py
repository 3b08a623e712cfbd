"""FLOPs against what torch actually executes (torch.utils.flop_counter.FlopCounterMode) for every family the
suite builds: dense (llama), sliding window (mistral, gemma2), Conv1D (gpt2), encoder-decoder (t5), MLA
(deepseek v2/v3), MoE (mixtral, qwen2-moe with shared experts, qwen3-moe with dense layers).

- Matrix FLOPs: tiny transformers models with real random weights run a forward pass on CPU; the FLOPs of
  every mm/addmm (weight matmuls; experts run with experts_implementation="eager", a loop over the experts
  that were routed to, so the counter sees exactly the tokens each expert received) must equal paramscope's
  2 x matmul_params_per_token x tokens. Every token goes to top_k experts, so the executed expert FLOPs
  equal the expected top_k / n_experts share exactly, whatever the random routing.
- Backward: the same run with loss.backward() counts forward + backward; paramscope's training accounting
  (compute.training_flops: 6 N D, i.e. 3 x forward) must equal it exactly.
- Attention: a registered attention function records the mask transformers builds for each layer (causal,
  sliding windows included) and runs sdpa; the (query, key) pairs each layer is allowed to see, x 2 x heads x
  (d_qk + d_v), is what a mask-aware kernel computes, and must equal compute.attention_flops. The sequence is
  several times the window, so a missing window changes the figure by far more than any tolerance.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from family_configs import FAMILY_CONFIGS  # noqa: E402
from paramscope.compute import attention_flops, matmul_params_per_token, training_flops  # noqa: E402
from paramscope.model import from_config  # noqa: E402

transformers.logging.set_verbosity_error()
P = 9  # tokens per sequence

FAMILIES = ["llama", "mistral", "gemma2", "gpt2", "t5", "dsv2lite", "dsv3", "mixtral", "qwen2_moe", "qwen3_moe"]


def _build(config: dict, attn: str = "eager"):
    cfg_cls = transformers.CONFIG_MAPPING[config["model_type"]]
    kwargs = {k: v for k, v in config.items() if k not in ("architectures", "transformers_version")}
    cfg = cfg_cls(**kwargs, experts_implementation="eager")
    cfg._attn_implementation = attn
    torch.manual_seed(0)
    return getattr(transformers, config["architectures"][0])._from_config(cfg)


def _inputs(config: dict, batch: int = 1):
    ids = torch.randint(3, 250, (batch, P))
    if config["model_type"] == "t5":
        return dict(input_ids=ids, decoder_input_ids=torch.randint(3, 250, (batch, P)))
    return dict(input_ids=ids)


def _linear(counts: dict) -> int:
    return sum(v for k, v in counts.items() if str(k).split(".")[-1].startswith(("mm", "addmm"))
               and "bmm" not in str(k))


def _count(config: dict, backward: bool = False) -> int:
    model = _build(config)
    model.train(backward)
    with FlopCounterMode(display=False) as fc:
        out = model(**_inputs(config), use_cache=False)
        if backward:
            out.logits.float().sum().backward()
    return _linear(fc.get_flop_counts()["Global"])


@pytest.mark.parametrize("name", FAMILIES)
def test_forward_matrix_flops_equal_torch(name):
    config = FAMILY_CONFIGS[name]
    measured = _count(config)
    ours = 2 * matmul_params_per_token(from_config(config)) * P
    assert ours == measured, f"{name}: paramscope {ours:.0f} vs torch {measured}"


@pytest.mark.parametrize("name", ["llama", "gpt2", "t5", "dsv3", "mixtral", "qwen2_moe"])
def test_training_flops_equal_forward_plus_backward(name):
    """6 N D: the backward of every weight matmul costs two forwards (input and weight gradients)."""
    config = FAMILY_CONFIGS[name]
    measured = _count(config, backward=True)
    t = training_flops(from_config(config), P, P)
    assert t["dense_flops"] == measured, f"{name}: paramscope {t['dense_flops']:.0f} vs torch {measured}"


# ------------------------------------------------------------------------------------------- attention

_PAIRS: list[int] = []


def _counting_attention(module, query, key, value, attention_mask, **kwargs):
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    q, k = query.shape[-2], key.shape[-2]
    if attention_mask is None:  # sdpa's is_causal path: a plain causal mask
        pairs = q * (q + 1) // 2 if k == q else q * k
    else:
        m = attention_mask[0, 0]
        pairs = int((m if m.dtype == torch.bool else m > torch.finfo(m.dtype).min / 2).sum())
    _PAIRS.append(pairs * 2 * query.shape[1] * (query.shape[-1] + value.shape[-1]))
    return sdpa_attention_forward(module, query, key, value, attention_mask, **kwargs)


transformers.AttentionInterface.register("paramscope_counting", _counting_attention)
transformers.AttentionMaskInterface.register("paramscope_counting",
                                             transformers.masking_utils.ALL_MASK_ATTENTION_FUNCTIONS["sdpa"])

WINDOWED = [("mistral", 4, 40), ("gemma2", 5, 48), ("llama", None, 30), ("qwen3", None, 17)]


@pytest.mark.parametrize("name,window,seq", WINDOWED, ids=[w[0] for w in WINDOWED])
def test_attention_flops_equal_the_masks_transformers_builds(name, window, seq):
    config = dict(FAMILY_CONFIGS[name])
    if window:
        config["sliding_window"] = window
    if name == "gemma2":
        config["attn_logit_softcapping"] = None  # sdpa has no softcap; the mask is what is counted
    model = _build(config, attn="paramscope_counting").eval()
    _PAIRS.clear()
    with torch.no_grad():
        model(input_ids=torch.randint(3, 250, (1, seq)), use_cache=False)
    spec = from_config(config).spec
    ours = attention_flops(spec, start=0, stop=seq)
    assert len(_PAIRS) == len(spec.stacks[0].layers)
    assert ours == sum(_PAIRS)
    if window:  # the window matters far beyond any tolerance at this length
        no_window = sum(2 * layer.attention.num_heads * (layer.attention.head_dim + layer.attention.v_dim)
                        * seq * (seq + 1) / 2 for layer in spec.stacks[0].layers)
        assert no_window > 1.5 * ours


LLAMA4_TEXT = dict(model_type="llama4_text", architectures=["Llama4ForCausalLM"], hidden_size=64, intermediate_size=32,
                   intermediate_size_mlp=96, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                   head_dim=16, vocab_size=300, num_local_experts=4, num_experts_per_tok=1,
                   interleave_moe_layer_step=2, attention_chunk_size=8, no_rope_layer_interval=2)


def test_chunked_attention_flops_equal_the_masks_transformers_builds():
    """Llama 4's chunked local attention: a query sees only its own chunk, (t - 1) mod chunk + 1 keys."""
    seq = 29
    model = _build(LLAMA4_TEXT, attn="paramscope_counting").eval()
    _PAIRS.clear()
    with torch.no_grad():
        model(input_ids=torch.randint(3, 250, (1, seq)), use_cache=False)
    spec = from_config(LLAMA4_TEXT).spec
    assert sum(1 for layer in spec.stacks[0].layers if layer.attention.chunked) == 2
    assert attention_flops(spec, start=0, stop=seq) == sum(_PAIRS)
