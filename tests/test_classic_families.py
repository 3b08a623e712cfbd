"""Published parameter totals of released checkpoints of the classic decoders, BERT-like encoders and
encoder-decoders (sources/gpt_classic.py, encoders.py, seq2seq.py), from their config.json keys.

Each figure is also what transformers builds from the same config (checked on the meta device when
torch and transformers are installed)."""

from __future__ import annotations

import pytest

from paramscope.inventory import build_inventory
from paramscope.params import count
from paramscope.sources.hf_config import spec_from_config

BLOOM_176B = dict(model_type="bloom", architectures=["BloomForCausalLM"], vocab_size=250880, n_embed=14336,
                  n_layer=70, num_attention_heads=112, apply_residual_connection_post_layernorm=False,
                  slow_but_exact=False, masked_softmax_fusion=True, offset_alibi=100, seq_length=2048,
                  skip_bias_add=True, skip_bias_add_qkv=False, attention_softmax_in_fp32=True,
                  bias_dropout_fusion=True, pretraining_tp=4, n_inner=None)
WHISPER_LARGE_V3 = dict(model_type="whisper", architectures=["WhisperForConditionalGeneration"], d_model=1280,
                        encoder_layers=32, decoder_layers=32, encoder_attention_heads=20,
                        decoder_attention_heads=20, encoder_ffn_dim=5120, decoder_ffn_dim=5120, vocab_size=51866,
                        num_mel_bins=128, max_source_positions=1500, max_target_positions=448,
                        num_hidden_layers=32, scale_embedding=False, use_weighted_layer_sum=False)
ROBERTA_BASE = dict(model_type="roberta", architectures=["RobertaForMaskedLM"], vocab_size=50265, hidden_size=768,
                    num_hidden_layers=12, num_attention_heads=12, intermediate_size=3072,
                    max_position_embeddings=514, type_vocab_size=1, position_embedding_type="absolute")
PYTHIA_12B = dict(model_type="gpt_neox", architectures=["GPTNeoXForCausalLM"], vocab_size=50688, hidden_size=5120,
                  num_hidden_layers=36, num_attention_heads=40, intermediate_size=20480,
                  max_position_embeddings=2048, rotary_pct=0.25, rotary_emb_base=10000, use_parallel_residual=True,
                  tie_word_embeddings=False)
OPT_350M = dict(model_type="opt", architectures=["OPTForCausalLM"], vocab_size=50272, hidden_size=1024,
                num_hidden_layers=24, num_attention_heads=16, ffn_dim=4096, max_position_embeddings=2048,
                word_embed_proj_dim=512, do_layer_norm_before=False, activation_function="relu")

CASES = {
    # BLOOM paper (BigScience 2022) Table 1 / model card: 176,247,271,424
    "bloom-176b": (BLOOM_176B, 176_247_271_424),
    # openai/whisper-large-v3 model card: 1,543,490,560 (1.55B)
    "whisper-large-v3": (WHISPER_LARGE_V3, 1_543_490_560),
    # roberta-base with its MLM head (RobertaForMaskedLM, decoder tied): 124,697,433
    "roberta-base": (ROBERTA_BASE, 124_697_433),
    # EleutherAI/pythia-12b: 11,846,072,320 (Biderman et al. 2023, Table 1 "total" row)
    "pythia-12b": (PYTHIA_12B, 11_846_072_320),
    # facebook/opt-350m: 331,196,416 (project_in/out of the 512-wide embedding)
    "opt-350m": (OPT_350M, 331_196_416),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_published_totals(name):
    config, expected = CASES[name]
    assert count(build_inventory(spec_from_config(config, name=name))).total == expected


@pytest.mark.parametrize("name", sorted(CASES))
def test_transformers_builds_the_same_total(name):
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    config, expected = CASES[name]
    kwargs = {k: v for k, v in config.items() if k not in ("model_type", "architectures")}
    cfg = tf.CONFIG_MAPPING[config["model_type"]](**kwargs)
    with torch.device("meta"):
        model = getattr(tf, config["architectures"][0])._from_config(cfg)
    assert sum(p.numel() for p in model.parameters()) == expected


@pytest.mark.parametrize("model_type,cls", [("bert", "BertForMaskedLM"), ("bert", "BertLMHeadModel"),
                                            ("bert", "BertForPreTraining"), ("albert", "AlbertForMaskedLM")])
@pytest.mark.parametrize("tie", [True, False])
def test_bert_heads_tied_and_untied(model_type, cls, tie):
    """An untied MLM head keeps the decoder's own bias beside the head's bias (both parameters); tied, they are
    one vector. Checked against transformers' module for both settings (the walk's default configs are tied)."""
    torch = pytest.importorskip("torch")
    tf = pytest.importorskip("transformers")
    extra = {"is_decoder": True} if cls == "BertLMHeadModel" else {}
    cfg = tf.CONFIG_MAPPING[model_type](vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                        intermediate_size=128, tie_word_embeddings=tie, **extra)
    with torch.device("meta"):
        want = sum(p.numel() for p in getattr(tf, cls)._from_config(cfg).parameters())
    d = dict(cfg.to_dict(), model_type=model_type, architectures=[cls])
    assert count(build_inventory(spec_from_config(d, name=cls))).total == want
