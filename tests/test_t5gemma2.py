"""T5Gemma 2 (sources/t5gemma2.py) against transformers 5.23's own T5Gemma2ForConditionalGeneration.

- counts and tensor shapes at small configs (tied and untied tables, unequal layer counts, the SigLIP tower with and
  without its attention-pooling head), built on the meta device;
- fine roles, stacks and layers through a name table written here from modeling_t5gemma2.py (tests/role_map.py's
  oracle), independent of paramscope's naming;
- the merged attention's caches: a real forward pass fills EncoderDecoderCache (each decoder layer's own keys and
  values, sliding layers capped, plus the encoder tokens' keys and values per layer); its bytes equal paramscope's.
The walk (tests/transformers_walk.py) checks the default, diff, perturbed and untied configs."""

from __future__ import annotations


import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import role_map  # noqa: E402
from role_map import SIGLIP, WB, L, Rule  # noqa: E402
from hf_truth import assert_cache_bytes, assert_total_and_shapes  # noqa: E402


transformers.logging.set_verbosity_error()

TEXT = dict(vocab_size=300, hidden_size=64, intermediate_size=96, num_attention_heads=4, num_key_value_heads=2,
            head_dim=16, sliding_window=4, pad_token_id=0, eos_token_id=1, bos_token_id=2)
VISION = dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4, image_size=28,
              patch_size=7)


def _config(tied: bool = True, head: bool = True, enc_layers: int = 3, dec_layers: int = 2) -> dict:
    enc_types = ["sliding_attention", "full_attention", "sliding_attention"][:enc_layers]
    dec_types = ["sliding_attention", "full_attention", "full_attention"][:dec_layers]
    return dict(model_type="t5gemma2", architectures=["T5Gemma2ForConditionalGeneration"], tie_word_embeddings=tied,
                encoder=dict(text_config=dict(TEXT, num_hidden_layers=enc_layers, layer_types=enc_types),
                             vision_config=dict(VISION, vision_use_head=head), mm_tokens_per_image=4,
                             eoi_token_index=299, boi_token_index=298, image_token_index=297),
                decoder=dict(TEXT, num_hidden_layers=dec_layers, layer_types=dec_types), image_token_index=297)


def _module(config: dict, device: str = "meta"):
    cfg = transformers.T5Gemma2Config(**{k: v for k, v in config.items() if k not in ("model_type", "architectures")})
    with torch.device(device):
        return transformers.T5Gemma2ForConditionalGeneration._from_config(cfg)


CASES = {"tied": _config(), "untied": _config(tied=False), "no-vision-head": _config(head=False),
         "deeper-decoder": _config(enc_layers=2, dec_layers=3, tied=False)}


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_shapes_equal_transformers(case):
    config = CASES[case]
    module = _module(config)
    assert_total_and_shapes(config, module)


# modeling_t5gemma2.py: T5Gemma2Encoder (text_model: Gemma 3 layers with q/k norms and sandwich norms; vision_tower:
# SiglipVisionModel; multi_modal_projector), T5Gemma2Decoder (the same layers with T5Gemma2MergedAttention, no
# cross-attention weights), T5Gemma2TextScaledWordEmbedding (a table and an eoi_embedding vector), lm_head.out_proj.
# Untied names only: tied, transformers lists the one shared table under the encoder.
_ENC, _DEC = r"model\.encoder\.text_model\.", r"model\.decoder\."
_SVT = r"model\.encoder\.vision_tower\."
_POOL = _SVT + r"head\."  # SiglipMultiheadAttentionPoolingHead
T5GEMMA2 = (
    [Rule(rf"{_ENC}embed_tokens\.(?:weight|eoi_embedding)", "embed", "encoder"),
     Rule(rf"{_DEC}embed_tokens\.weight", "embed"), Rule(rf"{_DEC}embed_tokens\.eoi_embedding", "embed", "decoder"),
     Rule(r"lm_head\.out_proj\.weight", "lm_head")]
    + [x for p, st in ((_ENC, "encoder"), (_DEC, "decoder")) for x in [
        Rule(rf"{p}norm\.weight", "norm_final", st),
        *[Rule(rf"{p}layers\.{L}\.self_attn\.{q}_proj\.weight", f"attn_{q}", st) for q in "qkvo"],
        Rule(rf"{p}layers\.{L}\.self_attn\.q_norm\.weight", "norm_q", st),
        Rule(rf"{p}layers\.{L}\.self_attn\.k_norm\.weight", "norm_k", st),
        *[Rule(rf"{p}layers\.{L}\.mlp\.{m}_proj\.weight", f"mlp_{m}", st) for m in ("gate", "up", "down")],
        Rule(rf"{p}layers\.{L}\.pre_self_attn_layernorm\.weight", "norm_attn_in", st),
        Rule(rf"{p}layers\.{L}\.post_self_attn_layernorm\.weight", "norm_attn_out", st),
        Rule(rf"{p}layers\.{L}\.pre_feedforward_layernorm\.weight", "norm_mlp_in", st),
        Rule(rf"{p}layers\.{L}\.post_feedforward_layernorm\.weight", "norm_mlp_out", st)]]
    + [r._replace(regex=r.regex.replace(r"model\.vision_tower\.", _SVT).replace(
        r"model\.multi_modal_projector\.", r"model\.encoder\.multi_modal_projector\.")) for r in SIGLIP]
    + [Rule(rf"{_POOL}probe", "other", "vision", "vision"),
       Rule(rf"{_POOL}attention\.in_proj_(?:weight|bias)", "attn_qkv", "vision", "vision"),
       Rule(rf"{_POOL}attention\.out_proj\.{WB}", "attn_o", "vision", "vision"),
       Rule(rf"{_POOL}layernorm\.{WB}", "norm_final", "vision", "vision"),
       Rule(rf"{_POOL}mlp\.fc1\.{WB}", "mlp_up", "vision", "vision"),
       Rule(rf"{_POOL}mlp\.fc2\.{WB}", "mlp_down", "vision", "vision")]
)
role_map.add_table({"t5gemma2": T5GEMMA2})


@pytest.mark.parametrize("case", ["untied", "deeper-decoder"])
def test_roles_match_the_independent_table(case):
    config = CASES[case]
    params = tuple((n, tuple(p.shape), False) for n, p in _module(config).named_parameters())
    diffs = role_map.check(config, "t5gemma2", params)
    # the one known difference, as for Gemma 3 (test_role_truth.KNOWN): the projector's mm_input_projection_weight
    # is used as x @ W, so its logical [out, in] is [text, vision]; paramscope records the stored [vision, text]
    assert [d for d in diffs if not d.startswith("('projector', '', None, 'other')")] == []


@pytest.mark.parametrize("batch,dec_len,enc_len,dtype,name", [(2, 7, 11, torch.float32, "float32"),
                                                              (1, 9, 5, torch.bfloat16, "bfloat16")])
def test_self_and_encoder_caches_equal_transformers(batch, dec_len, enc_len, dtype, name):
    """Sliding decoder layers keep their last sliding_window - 1 tokens, full ones all; every decoder layer also
    caches the encoder's enc_len tokens, projected by its own k/v (EncoderDecoderCache.cross_attention_cache)."""
    config = CASES["deeper-decoder"]
    torch.manual_seed(0)
    model = _module(config, "cpu").to(dtype).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (batch, enc_len)),
                    decoder_input_ids=torch.randint(3, 90, (batch, dec_len)), use_cache=True)
    assert_cache_bytes(config, out.past_key_values, batch=batch, context=dec_len, dtype=name, encoder_tokens=enc_len)
