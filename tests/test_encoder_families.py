"""Issue 10, encoder / masked-LM families (sources/encoders_more.py): small configs that exercise each layout's
switches (relative attention, untied heads, bare models, ...), each built by transformers on the meta device
and compared with paramscope: the total, and every tensor's role and shape through the independent name
table (tests/role_map.py)."""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

import role_map  # noqa: E402
from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

BERTISH = dict(hidden_size=64, num_hidden_layers=3, num_attention_heads=4, intermediate_size=96, vocab_size=300,
               max_position_embeddings=128)
IDS = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1, sep_token_id=2)  # inside a small vocab
MODERN = dict(IDS, hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=96, vocab_size=300)
EURO = dict(pad_token_id=0, bos_token_id=1, eos_token_id=2, mask_token_id=3, hidden_size=64, num_hidden_layers=2,
            num_attention_heads=4, intermediate_size=96, vocab_size=300)
DEBERTA_V3 = dict(BERTISH, relative_attention=True, pos_att_type=["p2c", "c2p"], position_buckets=32,
                  norm_rel_ebd="layer_norm", share_att_key=True, position_biased_input=False, max_relative_positions=-1)

# case id -> (model_type, class, config kwargs); the id's part before "-" is the model_type
CASES: dict[str, tuple[str, str, dict]] = {
    # DeBERTa v1 base: relative attention with c2p/p2c, talking heads, a position table and token types
    "deberta-rel": ("deberta", "DebertaForMaskedLM",
                    dict(BERTISH, relative_attention=True, pos_att_type="c2p|p2c", talking_head=True,
                         max_relative_positions=16, type_vocab_size=2)),
    "deberta-untied-model": ("deberta", "DebertaModel", dict(BERTISH, embedding_size=32)),
    "deberta-untied": ("deberta", "DebertaForMaskedLM", dict(BERTISH, tie_word_embeddings=False, embedding_size=32)),
    "deberta-nonlegacy": ("deberta", "DebertaForMaskedLM", dict(BERTISH, legacy=False, relative_attention=True,
                                                               pos_att_type=["c2p"])),
    # DeBERTa-v3 (share_att_key, buckets, LayerNorm on the relative embeddings, no position table)
    "deberta-v2-v3": ("deberta-v2", "DebertaV2ForMaskedLM", DEBERTA_V3),
    "deberta-v2-v3model": ("deberta-v2", "DebertaV2Model", DEBERTA_V3),
    # DeBERTa-v2-xlarge-style: separate position projections, the ConvLayer, no buckets
    "deberta-v2-conv": ("deberta-v2", "DebertaV2ForMaskedLM",
                        dict(BERTISH, relative_attention=True, pos_att_type="p2c|c2p", conv_kernel_size=3,
                             conv_groups=2, conv_act="gelu", norm_rel_ebd="layer_norm", max_relative_positions=24,
                             position_biased_input=False)),
    "deberta-v2-untied": ("deberta-v2", "DebertaV2ForMaskedLM", dict(BERTISH, tie_word_embeddings=False,
                                                                      embedding_size=48, type_vocab_size=2)),
    "deberta-v2-nonlegacy": ("deberta-v2", "DebertaV2ForMaskedLM", dict(DEBERTA_V3, legacy=False)),
    "modernbert": ("modernbert", "ModernBertForMaskedLM",
                   dict(MODERN, norm_bias=True, attention_bias=True, mlp_bias=True, classifier_bias=True,
                        decoder_bias=False)),
    "modernbert-model": ("modernbert", "ModernBertModel", dict(MODERN, num_hidden_layers=2)),
    # keys of the released configs (answerdotai/ModernBERT-*) that ModernBertConfig does not define
    "modernbert-released": ("modernbert", "ModernBertForMaskedLM",
                            dict(MODERN, position_embedding_type="absolute", global_attn_every_n_layers=3,
                                 global_rope_theta=160000.0, local_rope_theta=10000.0, gradient_checkpointing=False)),
    "modernbert-untied": ("modernbert", "ModernBertForMaskedLM",
                          dict(MODERN, tie_word_embeddings=False, global_attn_every_n_layers=2)),
    "modernbert-decoder": ("modernbert-decoder", "ModernBertDecoderForCausalLM",
                           dict(MODERN, attention_bias=True, norm_bias=True, classifier_bias=True)),
    "eurobert": ("eurobert", "EuroBertForMaskedLM",
                 dict(EURO, num_key_value_heads=2, mlp_bias=True, attention_bias=True)),
    "eurobert-model": ("eurobert", "EuroBertModel", dict(EURO)),
    "nomic_bert": ("nomic_bert", "NomicBertForMaskedLM", dict(BERTISH, head_dim=8)),
    "nomic_bert-untied": ("nomic_bert", "NomicBertForMaskedLM", dict(BERTISH, tie_word_embeddings=False)),
    "nomic_bert-model": ("nomic_bert", "NomicBertModel", dict(BERTISH)),
    "gte": ("gte", "GteForMaskedLM", dict(BERTISH, type_vocab_size=0)),
    "gte-untied": ("gte", "GteForMaskedLM", dict(BERTISH, tie_word_embeddings=False, type_vocab_size=2)),
    "jina_embeddings_v3": ("jina_embeddings_v3", "JinaEmbeddingsV3ForMaskedLM", dict(BERTISH)),
    "jina_embeddings_v3-untied": ("jina_embeddings_v3", "JinaEmbeddingsV3ForMaskedLM",
                                  dict(BERTISH, tie_word_embeddings=False)),
    "jina_embeddings_v3-model": ("jina_embeddings_v3", "JinaEmbeddingsV3Model", dict(BERTISH)),
    # BERT-shaped rows of encoders.FAMILIES (issue 10)
    "layoutlm": ("layoutlm", "LayoutLMForMaskedLM", dict(BERTISH, max_2d_position_embeddings=64)),
    "layoutlm-model": ("layoutlm", "LayoutLMModel", dict(BERTISH)),
    "ibert": ("ibert", "IBertForMaskedLM", dict(BERTISH, quant_mode=True, pad_token_id=1)),
    "ibert-model": ("ibert", "IBertModel", dict(BERTISH, pad_token_id=1)),
    "tapas": ("tapas", "TapasForMaskedLM", dict(BERTISH, type_vocab_sizes=[3, 16, 16, 2, 4, 16, 10])),
    "tapas-model": ("tapas", "TapasModel", dict(BERTISH)),
    "mra": ("mra", "MraForMaskedLM", dict(BERTISH, pad_token_id=1)),
    "mra-model": ("mra", "MraModel", dict(BERTISH, pad_token_id=1)),
    "yoso": ("yoso", "YosoForMaskedLM", dict(BERTISH, pad_token_id=1)),
    "yoso-conv": ("yoso", "YosoForMaskedLM", dict(BERTISH, pad_token_id=1, conv_window=5, type_vocab_size=2)),
    "nystromformer": ("nystromformer", "NystromformerForMaskedLM", dict(BERTISH, pad_token_id=1, conv_kernel_size=7)),
    "nystromformer-model": ("nystromformer", "NystromformerModel", dict(BERTISH, pad_token_id=1)),
    "longformer": ("longformer", "LongformerForMaskedLM", dict(BERTISH, pad_token_id=1, attention_window=8)),
    "longformer-released": ("longformer", "LongformerForMaskedLM",
                            dict(BERTISH, pad_token_id=1, attention_window=[8, 8, 8], attention_mode="longformer",
                                 ignore_attention_mask=False)),
    "longformer-model": ("longformer", "LongformerModel", dict(BERTISH, pad_token_id=1, attention_window=[8, 8, 16])),
    "xmod": ("xmod", "XmodForMaskedLM", dict(BERTISH, pad_token_id=1, languages=["en_XX", "de_DE", "fr_XX"],
                                             adapter_reduction_factor=4, adapter_layer_norm=True)),
    "xmod-causal": ("xmod", "XmodForCausalLM", dict(BERTISH, pad_token_id=1, is_decoder=True)),
    "xmod-prenorm": ("xmod", "XmodModel", dict(BERTISH, pad_token_id=1, pre_norm=True)),
    "roc_bert": ("roc_bert", "RoCBertForMaskedLM", dict(BERTISH, pronunciation_vocab_size=40, shape_vocab_size=50,
                                                        pronunciation_embed_dim=24, shape_embed_dim=16)),
    "roc_bert-noconcat": ("roc_bert", "RoCBertModel", dict(BERTISH, pronunciation_vocab_size=40, shape_vocab_size=50,
                                                           concat_input=False)),
    "roc_bert-causal": ("roc_bert", "RoCBertForCausalLM", dict(BERTISH, pronunciation_vocab_size=40,
                                                               shape_vocab_size=50, enable_shape=False,
                                                               is_decoder=True)),
    "esm": ("esm", "EsmForMaskedLM", dict(BERTISH, vocab_size=33, pad_token_id=1, mask_token_id=32)),
    "esm-esm2": ("esm", "EsmForMaskedLM", dict(BERTISH, vocab_size=33, pad_token_id=1, mask_token_id=32,
                                                position_embedding_type="rotary", token_dropout=True,
                                                emb_layer_norm_before=False)),
    "esm-model": ("esm", "EsmModel", dict(BERTISH, vocab_size=33, pad_token_id=1, emb_layer_norm_before=True)),
    "esmc": ("esmc", "EsmcForMaskedLM", dict(BERTISH, vocab_size=64, num_key_value_heads=4, head_dim=16,
                                             attention_bias=True, mlp_bias=True)),
    "esmc-tied": ("esmc", "EsmcForMaskedLM", dict(BERTISH, vocab_size=64, tie_word_embeddings=True)),
    "esmc-model": ("esmc", "EsmcModel", dict(BERTISH, vocab_size=64)),
    "fnet": ("fnet", "FNetForMaskedLM", dict(BERTISH, pad_token_id=3)),
    "fnet-untied": ("fnet", "FNetForMaskedLM", dict(BERTISH, pad_token_id=3, tie_word_embeddings=False)),
    "fnet-model": ("fnet", "FNetModel", dict(BERTISH, pad_token_id=3)),
    "fnet-pretraining": ("fnet", "FNetForPreTraining", dict(BERTISH, pad_token_id=3)),
    "xlm": ("xlm", "XLMWithLMHeadModel", dict(emb_dim=64, n_layers=3, n_heads=4, vocab_size=300, n_langs=3,
                                              max_position_embeddings=128, causal=True)),
    "xlm-untied": ("xlm", "XLMWithLMHeadModel", dict(emb_dim=64, n_layers=2, n_heads=4, vocab_size=300,
                                                     tie_word_embeddings=False, gelu_activation=False)),
    "xlm-model": ("xlm", "XLMModel", dict(emb_dim=64, n_layers=2, n_heads=4, vocab_size=300, n_langs=2,
                                          use_lang_emb=False)),
    "flaubert": ("flaubert", "FlaubertWithLMHeadModel", dict(emb_dim=64, n_layers=3, n_heads=4, vocab_size=300)),
    "flaubert-prenorm": ("flaubert", "FlaubertModel", dict(emb_dim=64, n_layers=3, n_heads=4, vocab_size=300,
                                                           pre_norm=True, n_langs=2)),
    "funnel": ("funnel", "FunnelForMaskedLM", dict(d_model=64, n_head=4, d_head=12, d_inner=96, vocab_size=300,
                                                   block_sizes=[2, 1, 2], num_decoder_layers=1)),
    "funnel-repeats": ("funnel", "FunnelModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, vocab_size=300,
                                                     block_sizes=[1, 2], block_repeats=[2, 3])),
    "funnel-base": ("funnel", "FunnelBaseModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, vocab_size=300,
                                                      block_sizes=[2, 2], attention_type="factorized")),
    "funnel-released": ("funnel", "FunnelModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, vocab_size=300,
                                                      block_sizes=[1, 1], rel_attn_type="factorized")),
    "funnel-untied": ("funnel", "FunnelForMaskedLM", dict(d_model=64, n_head=4, d_head=16, d_inner=96,
                                                          vocab_size=300, tie_word_embeddings=False)),
    "xlnet": ("xlnet", "XLNetLMHeadModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, n_layer=3,
                                                vocab_size=300, pad_token_id=0, bos_token_id=1, eos_token_id=2)),
    "xlnet-released": ("xlnet", "XLNetLMHeadModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, n_layer=2,
                                                         vocab_size=300, pad_token_id=0, untie_r=True, mem_len=None)),
    "xlnet-untied": ("xlnet", "XLNetLMHeadModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, n_layer=2,
                                                       vocab_size=300, pad_token_id=0, tie_word_embeddings=False)),
    "xlnet-model": ("xlnet", "XLNetModel", dict(d_model=64, n_head=4, d_head=16, d_inner=96, n_layer=2,
                                                vocab_size=300, pad_token_id=0, attn_type="uni", mem_len=None)),
    "luke": ("luke", "LukeForMaskedLM", dict(BERTISH, entity_vocab_size=50, entity_emb_size=32, pad_token_id=1)),
    "luke-untied": ("luke", "LukeForMaskedLM", dict(BERTISH, entity_vocab_size=50, entity_emb_size=64,
                                                    pad_token_id=1, tie_word_embeddings=False,
                                                    use_entity_aware_attention=False)),
    "luke-model": ("luke", "LukeModel", dict(BERTISH, entity_vocab_size=50, entity_emb_size=32, pad_token_id=1)),
    "ultrabert": ("ultrabert", "UltrabertForMaskedLM", dict(EURO, num_hidden_layers=4, num_key_value_heads=2,
                                                            prediction_head_size=24, attention_bias=True)),
    "ultrabert-tied": ("ultrabert", "UltrabertForMaskedLM", dict(EURO, tie_word_embeddings=True, mlp_bias=True,
                                                                 layer_types=["full_attention", "sliding_attention"])),
    "ultrabert-model": ("ultrabert", "UltrabertModel", dict(EURO)),
    "reformer": ("reformer", "ReformerForMaskedLM", dict(hidden_size=64, num_attention_heads=4, attention_head_size=16,
                                                         feed_forward_size=96, attn_layers=["local", "lsh", "local"],
                                                         vocab_size=300, axial_pos_shape=[8, 16],
                                                         axial_pos_embds_dim=[16, 48], max_position_embeddings=128)),
    "reformer-plain": ("reformer", "ReformerModel", dict(hidden_size=64, num_attention_heads=2, attention_head_size=24,
                                                         feed_forward_size=96, attn_layers=["lsh", "lsh"],
                                                         vocab_size=300, axial_pos_embds=False,
                                                         max_position_embeddings=128)),
    "perceiver": ("perceiver", "PerceiverForMaskedLM", dict(num_latents=16, d_latents=96, d_model=64,
                                                            num_self_attends_per_block=2, num_blocks=2,
                                                            num_self_attention_heads=4, num_cross_attention_heads=2,
                                                            self_attention_widening_factor=2, vocab_size=300,
                                                            max_position_embeddings=128)),
    "perceiver-q": ("perceiver", "PerceiverForMaskedLM", dict(num_latents=16, d_latents=96, d_model=64,
                                                              num_self_attends_per_block=2, qk_channels=48,
                                                              v_channels=96, cross_attention_shape_for_attention="q",
                                                              cross_attention_widening_factor=3, vocab_size=300,
                                                              max_position_embeddings=64)),
    "neomme": ("neomme", "NeoMMEForMaskedLM", dict(hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                                                   num_key_value_heads=2, head_dim=16, intermediate_size=96,
                                                   vocab_size=300, embedding_rank=32, patch_size=4,
                                                   layer_types=["sliding_attention", "full_attention",
                                                                "sliding_attention", "full_attention"])),
    "neomme-untied": ("neomme", "NeoMMEForMaskedLM", dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                          num_key_value_heads=4, head_dim=16, intermediate_size=96,
                                                          vocab_size=300, embedding_rank=32, patch_size=2,
                                                          attention_bias=True, mlp_bias=True,
                                                          tie_word_embeddings=False)),
    "neomme-model": ("neomme", "NeoMMEModel", dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                   num_key_value_heads=1, head_dim=16, intermediate_size=96,
                                                   vocab_size=300, embedding_rank=32, patch_size=2)),
}
# Untied heads of the BERT-shaped rows (encoders.FAMILIES): BertLMPredictionHead / RobertaLMHead keep decoder.bias
# apart from the head's bias once the embeddings are untied; RemBERT's decoder is never tied; ELECTRA, DistilBERT
# and ESM have one output bias. Totals only (most of these families have no role table).
TOTAL_ONLY: dict[str, tuple[str, str, dict]] = {
    f"{mt}-untied": (mt, cls, dict(BERTISH, tie_word_embeddings=False, **extra))
    for mt, cls, extra in [
        ("roberta", "RobertaForMaskedLM", {}), ("roberta", "RobertaForCausalLM", dict(is_decoder=True)),
        ("xlm-roberta", "XLMRobertaForMaskedLM", {}), ("camembert", "CamembertForMaskedLM", {}),
        ("data2vec-text", "Data2VecTextForMaskedLM", {}), ("ernie", "ErnieForMaskedLM", {}),
        ("big_bird", "BigBirdForMaskedLM", dict(attention_type="original_full")),
        ("megatron-bert", "MegatronBertForMaskedLM", {}), ("mpnet", "MPNetForMaskedLM", {}),
        ("roformer", "RoFormerForMaskedLM", dict(embedding_size=64)),
        ("roberta-prelayernorm", "RobertaPreLayerNormForMaskedLM", {}),
        ("xlm-roberta-xl", "XLMRobertaXLForMaskedLM", {}), ("electra", "ElectraForMaskedLM", dict(embedding_size=32)),
        ("esm", "EsmForMaskedLM", dict(pad_token_id=1)), ("layoutlm", "LayoutLMForMaskedLM", {}),
        ("longformer", "LongformerForMaskedLM", dict(pad_token_id=1, attention_window=8)),
        ("mra", "MraForMaskedLM", dict(pad_token_id=1)), ("yoso", "YosoForMaskedLM", dict(pad_token_id=1)),
        ("nystromformer", "NystromformerForMaskedLM", dict(pad_token_id=1)), ("tapas", "TapasForMaskedLM", {}),
        ("ibert", "IBertForMaskedLM", dict(pad_token_id=1)), ("xmod", "XmodForMaskedLM", dict(pad_token_id=1)),
        ("roc_bert", "RoCBertForMaskedLM", dict(pronunciation_vocab_size=40, shape_vocab_size=50)),
    ]
}
TOTAL_ONLY["distilbert-untied"] = ("distilbert", "DistilBertForMaskedLM",
                                   dict(dim=64, n_layers=2, n_heads=4, hidden_dim=96, vocab_size=300,
                                        max_position_embeddings=128, tie_word_embeddings=False))
TOTAL_ONLY["rembert-tied"] = ("rembert", "RemBertForMaskedLM", dict(BERTISH, input_embedding_size=32,
                                                                    output_embedding_size=32, tie_word_embeddings=True))
# ConvBERT (sources/encoders_conv.py): span-based convolution heads beside the attention heads, grouped linear
# feed-forward layers (num_groups > 1), an embedding width other than hidden (embeddings_project), one head
# (head_ratio larger than the heads), the bare model
TOTAL_ONLY.update({
    "convbert-groups": ("convbert", "ConvBertForMaskedLM",
                        dict(BERTISH, num_groups=4, conv_kernel_size=5, embedding_size=32)),
    "convbert-groups-untied": ("convbert", "ConvBertForMaskedLM",
                               dict(BERTISH, num_groups=2, head_ratio=1, tie_word_embeddings=False)),
    "convbert-one-head": ("convbert", "ConvBertForMaskedLM", dict(BERTISH, head_ratio=8, conv_kernel_size=3)),
    "convbert-model": ("convbert", "ConvBertModel", dict(BERTISH, num_groups=2, embedding_size=48)),
})
# MobileBERT (sources/encoders_conv.py): bottlenecks (shared q/k bottleneck, or the bottleneck for q/k/v, or none),
# stacked feed-forward networks, LayerNorm or NoNorm, the trigram input, the MLM head's extra vocabulary matrix
# (none when embedding_size equals hidden_size), tied and untied, the bare model with and without its pooler
MOBILE = dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=48, vocab_size=300,
              max_position_embeddings=128, embedding_size=16, intra_bottleneck_size=32)
TOTAL_ONLY.update({
    "mobilebert-default-small": ("mobilebert", "MobileBertForMaskedLM", MOBILE),
    "mobilebert-untied": ("mobilebert", "MobileBertForMaskedLM", dict(MOBILE, tie_word_embeddings=False)),
    "mobilebert-bottleneck-attention": ("mobilebert", "MobileBertForMaskedLM",
                                        dict(MOBILE, use_bottleneck_attention=True, num_feedforward_networks=2,
                                             normalization_type="layer_norm", trigram_input=False)),
    "mobilebert-unshared": ("mobilebert", "MobileBertForMaskedLM", dict(MOBILE, key_query_shared_bottleneck=False)),
    "mobilebert-no-bottleneck": ("mobilebert", "MobileBertForMaskedLM",
                                 dict(MOBILE, use_bottleneck=False, num_feedforward_networks=1, embedding_size=64)),
    "mobilebert-model": ("mobilebert", "MobileBertModel", dict(MOBILE, num_feedforward_networks=3)),
    "mobilebert-model-no-pooler": ("mobilebert", "MobileBertModel", dict(MOBILE, classifier_activation=False)),
})

# cases whose norms change meaning with a config switch the name table cannot see (X-MOD pre_norm: the same
# LayerNorm modules run before attention and the MLP); their totals are still compared
NO_ROLE_TABLE = {"xmod-prenorm", "flaubert-prenorm"}


def _config(case: str) -> tuple[dict, object]:
    model_type, cls, kwargs = CASES[case] if case in CASES else TOTAL_ONLY[case]
    cfg = transformers.CONFIG_MAPPING[model_type](**kwargs)
    return dict(cfg.to_dict(), model_type=model_type, architectures=[cls]), cfg


@pytest.mark.parametrize("case", sorted(CASES) + sorted(TOTAL_ONLY))
def test_total_equals_transformers(case):
    config, cfg = _config(case)
    with torch.device("meta"):
        module = getattr(transformers, config["architectures"][0])._from_config(cfg)
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in module.parameters())


def _params(config: dict, cfg) -> list[tuple[str, tuple[int, ...], bool]]:
    """named_parameters() with tied tensors once, named by the input embedding when one of the aliases is it
    (JinaEmbeddingsV3ForMaskedLM registers lm_head before the encoder, so the tied matrix is first met as
    lm_head.decoder.weight)."""
    with torch.device("meta"):
        module = getattr(transformers, config["architectures"][0])._from_config(cfg)
    names: dict[int, list] = {}
    for n, p in module.named_parameters(remove_duplicate=False):
        names.setdefault(id(p), [n, p]).append(n)
    out = []
    for first, p, *aliases in names.values():
        embed = [a for a in aliases if "embed" in a]
        name = _perceiver_name(config, _funnel_name(config, embed[0] if embed else first))
        out.append((name, _xlnet_shape(config, name, tuple(p.shape)), False))
    return out


def _perceiver_name(config: dict, name: str) -> str:
    """PerceiverEncoder.cross_attention -> encoder.layers.0 (attention renamed xattention: it is a cross-attention),
    self_attends.N -> encoder.layers.N+1, PerceiverBasicDecoder.decoding_cross_attention -> decoder.layers.0."""
    if config["model_type"] != "perceiver":
        return name
    name = re.sub(r"encoder\.cross_attention\.attention\.", "encoder.layers.0.xattention.", name)
    name = re.sub(r"encoder\.cross_attention\.", "encoder.layers.0.", name)
    name = re.sub(r"decoder\.decoding_cross_attention\.attention\.", "decoder.layers.0.xattention.", name)
    name = re.sub(r"decoder\.decoding_cross_attention\.", "decoder.layers.0.", name)
    return re.sub(r"encoder\.self_attends\.(\d+)\.", lambda m: f"encoder.layers.{int(m.group(1)) + 1}.", name)


def _xlnet_shape(config: dict, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """XLNetRelativeAttention stores q, k, v, o as [d_model, n_head, d_head] and applies them by einsum: q/k/v map
    d_model to n_head x d_head (logical [n_head x d_head, d_model]), o maps back (logical [d_model, ...])."""
    m = re.fullmatch(r".*rel_attn\.([qkvo])", name)
    if config["model_type"] != "xlnet" or not m:
        return shape
    d, h, k = shape
    return (d, h * k) if m.group(1) == "o" else (h * k, d)


def _funnel_name(config: dict, name: str) -> str:
    """FunnelEncoder names its layers blocks.<block>.<i>; paramscope numbers the executed sequence (each layer
    runs block_repeats[block] times): encoder.layers.<index of the layer's first run>."""
    m = re.fullmatch(r"(.*encoder\.)blocks\.(\d+)\.(\d+)\.(.*)", name)
    if config["model_type"] != "funnel" or not m:
        return name
    block, i = int(m.group(2)), int(m.group(3))
    sizes, repeats = config["block_sizes"], config.get("block_repeats") or [1] * len(config["block_sizes"])
    index = sum(s * r for s, r in zip(sizes[:block], repeats[:block])) + i * repeats[block]
    return f"{m.group(1)}layers.{index}.{m.group(4)}"


@pytest.mark.parametrize("case", sorted(CASES))
def test_roles_and_shapes_match_transformers(case):
    config, cfg = _config(case)
    if case in NO_ROLE_TABLE:
        # the same norm names hold different roles under pre- and post-norm, so the role table cannot name them:
        # the tensors themselves (every shape, with its multiplicity) must still be transformers'
        import collections

        from paramscope.model import from_config

        want = collections.Counter(tuple(shape) for _name, shape, *_ in _params(config, cfg))
        got = collections.Counter(e[4] for e in role_map.actual_entries(from_config(config, name=case).inventory))
        assert got == want
        return
    assert role_map.check(config, case, _params(config, cfg)) == []


def test_every_case_family_is_in_the_role_table():
    assert {mt for mt, _, _ in CASES.values()} <= set(role_map.TABLE)


# BertGenerationEncoder / BertGenerationDecoder: hf_config.head_kind does not know these class names yet (neither
# ends in a suffix it maps), so spec_from_config refuses them before any adapter runs; the family's adapter
# (encoders.FAMILIES["bert-generation"]) is checked directly with the head kind each class has.
@pytest.mark.parametrize("cls,head,kwargs", [
    ("BertGenerationDecoder", "lm", dict(is_decoder=True)),
    ("BertGenerationDecoder", "lm", dict(is_decoder=True, tie_word_embeddings=False)),
    ("BertGenerationEncoder", "none", dict()),
])
def test_bert_generation_adapter_equals_transformers(cls, head, kwargs):
    from paramscope.sources.config_access import Cfg
    from paramscope.sources.config_keys import check_consumed
    from paramscope.sources.encoders import encoder

    cfg = transformers.BertGenerationConfig(**BERTISH, **kwargs)
    with torch.device("meta"):
        module = getattr(transformers, cls)._from_config(cfg)
    c = Cfg(dict(cfg.to_dict(), architectures=[cls]), "config.json")
    spec = encoder(c, "bert-generation", name=cls, architecture=cls, head=head)
    check_consumed(c, "bert-generation")
    assert spec.stacks[0].causal == (head == "lm")
    assert count(build_inventory(spec)).total == sum(p.numel() for p in module.parameters())


# config.json of released checkpoints (keys of the original training code included), counted against the module
# transformers builds from them
RELEASED = {'xlm-mlm-en-2048': {'architectures': ['XLMWithLMHeadModel'],
                     'asm': False,
                     'attention_dropout': 0.1,
                     'bos_index': 0,
                     'causal': False,
                     'dropout': 0.1,
                     'emb_dim': 2048,
                     'embed_init_std': 0.02209708691207961,
                     'end_n_top': 5,
                     'eos_index': 1,
                     'gelu_activation': True,
                     'id2lang': {'0': 'en'},
                     'init_std': 0.02,
                     'is_encoder': True,
                     'lang2id': {'en': 0},
                     'layer_norm_eps': 1e-12,
                     'mask_index': 5,
                     'max_position_embeddings': 512,
                     'max_vocab': -1,
                     'min_count': 0,
                     'model_type': 'xlm',
                     'n_heads': 16,
                     'n_langs': 1,
                     'n_layers': 12,
                     'pad_index': 2,
                     'same_enc_dec': True,
                     'share_inout_emb': True,
                     'sinusoidal_embeddings': False,
                     'start_n_top': 5,
                     'summary_activation': None,
                     'summary_first_dropout': 0.1,
                     'summary_proj_to_labels': True,
                     'summary_type': 'first',
                     'summary_use_proj': True,
                     'unk_index': 3,
                     'use_lang_emb': True,
                     'vocab_size': 30145},
 'flaubert-base-cased': {'amp': 1,
                         'architectures': ['FlaubertWithLMHeadModel'],
                         'asm': False,
                         'attention_dropout': 0.1,
                         'bos_index': 0,
                         'bptt': 512,
                         'causal': False,
                         'clip_grad_norm': 5,
                         'dropout': 0.1,
                         'emb_dim': 768,
                         'embed_init_std': 0.02209708691207961,
                         'encoder_only': True,
                         'end_n_top': 5,
                         'eos_index': 1,
                         'fp16': True,
                         'gelu_activation': True,
                         'group_by_size': True,
                         'id2lang': {'0': 'fr'},
                         'init_std': 0.02,
                         'is_encoder': True,
                         'lang2id': {'fr': 0},
                         'lg_sampling_factor': -1,
                         'lgs': 'fr',
                         'mask_index': 5,
                         'max_batch_size': 0,
                         'max_position_embeddings': 512,
                         'max_vocab': -1,
                         'mlm_steps': [['fr', None]],
                         'model_type': 'flaubert',
                         'n_heads': 12,
                         'n_langs': 1,
                         'n_layers': 12,
                         'pad_index': 2,
                         'pre_norm': False,
                         'sample_alpha': 0,
                         'share_inout_emb': True,
                         'sinusoidal_embeddings': False,
                         'start_n_top': 5,
                         'summary_activation': None,
                         'summary_first_dropout': 0.1,
                         'summary_proj_to_labels': True,
                         'summary_type': 'first',
                         'summary_use_proj': True,
                         'tokens_per_batch': -1,
                         'unk_index': 3,
                         'use_lang_emb': True,
                         'vocab_size': 68729,
                         'word_blank': 0,
                         'word_dropout': 0,
                         'word_keep': 0.1,
                         'word_mask': 0.8,
                         'word_mask_keep_rand': '0.8,0.1,0.1',
                         'word_pred': 0.15,
                         'word_rand': 0.1,
                         'word_shuffle': 0},
 'luke-base': {'architectures': ['LukeForMaskedLM'],
               'attention_probs_dropout_prob': 0.1,
               'bert_model_name': 'roberta-base',
               'bos_token_id': 0,
               'entity_emb_size': 256,
               'entity_vocab_size': 500000,
               'eos_token_id': 2,
               'hidden_act': 'gelu',
               'hidden_dropout_prob': 0.1,
               'hidden_size': 768,
               'initializer_range': 0.02,
               'intermediate_size': 3072,
               'layer_norm_eps': 1e-05,
               'max_position_embeddings': 514,
               'model_type': 'luke',
               'num_attention_heads': 12,
               'num_hidden_layers': 12,
               'pad_token_id': 1,
               'type_vocab_size': 1,
               'use_entity_aware_attention': True,
               'vocab_size': 50267},
 'deberta-base': {'architectures': ['DebertaForMaskedLM'],
                  'model_type': 'deberta',
                  'attention_probs_dropout_prob': 0.1,
                  'hidden_act': 'gelu',
                  'hidden_dropout_prob': 0.1,
                  'hidden_size': 768,
                  'initializer_range': 0.02,
                  'intermediate_size': 3072,
                  'max_position_embeddings': 512,
                  'relative_attention': True,
                  'pos_att_type': 'c2p|p2c',
                  'layer_norm_eps': 1e-07,
                  'max_relative_positions': -1,
                  'position_biased_input': False,
                  'num_attention_heads': 12,
                  'num_hidden_layers': 12,
                  'type_vocab_size': 0,
                  'vocab_size': 50265},
 'deberta-v2-xlarge': {'architectures': ['DebertaV2ForMaskedLM'],
                       'model_type': 'deberta-v2',
                       'attention_probs_dropout_prob': 0.1,
                       'hidden_act': 'gelu',
                       'hidden_dropout_prob': 0.1,
                       'hidden_size': 1536,
                       'initializer_range': 0.02,
                       'intermediate_size': 6144,
                       'max_position_embeddings': 512,
                       'relative_attention': True,
                       'position_buckets': 256,
                       'norm_rel_ebd': 'layer_norm',
                       'share_att_key': True,
                       'pos_att_type': 'p2c|c2p',
                       'conv_kernel_size': 3,
                       'conv_act': 'gelu',
                       'layer_norm_eps': 1e-07,
                       'max_relative_positions': -1,
                       'position_biased_input': False,
                       'num_attention_heads': 24,
                       'attention_head_size': 64,
                       'num_hidden_layers': 24,
                       'type_vocab_size': 0,
                       'vocab_size': 128100},
 'language-perceiver': {'architectures': ['PerceiverForMaskedLM'],
                        'attention_probs_dropout_prob': 0.1,
                        'audio_samples_per_frame': 1920,
                        'cross_attention_shape_for_attention': 'kv',
                        'cross_attention_widening_factor': 1,
                        'd_latents': 1280,
                        'd_model': 768,
                        'hidden_act': 'gelu',
                        'image_size': 56,
                        'initializer_range': 0.02,
                        'layer_norm_eps': 1e-12,
                        'max_position_embeddings': 2048,
                        'model_type': 'perceiver',
                        'num_blocks': 1,
                        'num_cross_attention_heads': 8,
                        'num_frames': 16,
                        'num_latents': 256,
                        'num_self_attends_per_block': 26,
                        'num_self_attention_heads': 8,
                        'output_shape': [1, 16, 224, 224],
                        'qk_channels': 256,
                        'samples_per_patch': 16,
                        'self_attention_widening_factor': 1,
                        'train_size': [368, 496],
                        'use_query_residual': True,
                        'v_channels': 1280,
                        'vocab_size': 262}}


@pytest.mark.parametrize("name", sorted(RELEASED))
def test_released_configs_equal_transformers(name):
    config = RELEASED[name]
    cfg = transformers.CONFIG_MAPPING[config["model_type"]](
        **{k: v for k, v in config.items() if k not in ("architectures", "model_type")})
    with torch.device("meta"):
        module = getattr(transformers, config["architectures"][0])._from_config(cfg)
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in module.parameters())
