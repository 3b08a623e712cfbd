"""Issue 10 encoder-decoder, speech and vision-language families (sources/seq2seq.py, sources/multimodal.py,
sources/composites.py) at small configs of their own: paramscope's total equals the parameters of the module
transformers builds on the meta device, and so does the multiset of tensor shapes (2-D shapes compared without
their orientation: a few checkpoints store [in, out]). The walk (tests/transformers_walk.py) checks the same
families at their default, diff and perturbed configs; these cases move the keys the walk's perturbation
does not reach (sub-configs, sparse steps, unequal encoder and decoder widths, optional modules)."""

from __future__ import annotations

import collections
import math

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

BART = dict(d_model=64, encoder_layers=2, decoder_layers=3, encoder_attention_heads=4, decoder_attention_heads=2,
            encoder_ffn_dim=96, decoder_ffn_dim=80, vocab_size=300, max_position_embeddings=40)
GEMMA_MODULE = dict(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=3, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=16, sliding_window=8)

QWEN2_TEXT = dict(model_type="qwen2", vocab_size=300, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2)
LLAMA_TEXT = dict(model_type="llama", vocab_size=300, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                  num_attention_heads=4, num_key_value_heads=2, head_dim=16)

BERT_SMALL = dict(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
                  max_position_embeddings=40)

PARAKEET = dict(model_type="parakeet_encoder", hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                intermediate_size=96, conv_kernel_size=5, subsampling_factor=8, subsampling_conv_channels=8,
                num_mel_bins=40)

# Dia: an encoder 32 wide, a decoder 48 wide with GQA self-attention and a cross-attention of its own head shape
DIA = dict(encoder_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                               head_dim=16, intermediate_size=48, vocab_size=256),
           decoder_config=dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                               head_dim=16, cross_num_attention_heads=4, cross_num_key_value_heads=1, cross_head_dim=8,
                               cross_hidden_size=32, intermediate_size=64, vocab_size=40, num_channels=3,
                               pad_token_id=39, eos_token_id=38, bos_token_id=37),
           delay_pattern=[0, 1, 2])

# a small Mimi codec (two SEANet ratios, a downsampling stage, GQA transformer layers, projected quantizers)
MIMI = dict(model_type="mimi", hidden_size=32, num_filters=4, upsampling_ratios=[4, 3], num_hidden_layers=1,
            intermediate_size=48, num_attention_heads=4, num_key_value_heads=2, upsample_groups=32,
            vector_quantization_hidden_dimension=16, codebook_dim=16, num_quantizers=4, codebook_size=16)
KYUTAI = dict(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
              head_dim=16, ffn_dim=96, num_codebooks=4, codebook_vocab_size=17, sliding_window=6,
              max_position_embeddings=64, pad_token_id=3, bos_token_id=1, audio_bos_token_id=16,
              audio_pad_token_id=300 + 4 * 17, codec_config=MIMI)

CASES = {
    "led": ("LEDForConditionalGeneration",
            dict({k: v for k, v in BART.items() if k != "max_position_embeddings"}, max_encoder_position_embeddings=64, max_decoder_position_embeddings=32, attention_window=[8, 8])),
    "bigbird_pegasus": ("BigBirdPegasusForConditionalGeneration", dict(BART, use_bias=True)),
    "bigbird_pegasus-causal": ("BigBirdPegasusForCausalLM", dict(BART, use_bias=False)),
    "pegasus_x": ("PegasusXForConditionalGeneration", dict(BART, num_global_tokens=8, block_size=8)),
    "fsmt": ("FSMTForConditionalGeneration", dict(BART, src_vocab_size=310, tgt_vocab_size=290, pad_token_id=3,
                                                   langs=["en", "de"])),
    "fsmt-tied": ("FSMTForConditionalGeneration", dict(BART, src_vocab_size=290, tgt_vocab_size=290,
                                                        tie_word_embeddings=True, langs=["en", "de"])),
    "nllb-moe": ("NllbMoeForConditionalGeneration", dict(BART, encoder_layers=4, decoder_layers=4, num_experts=4,
                                                          encoder_sparse_step=2, decoder_sparse_step=3,
                                                          router_bias=True)),
    "prophetnet": ("ProphetNetForConditionalGeneration",
                   dict(hidden_size=64, num_encoder_layers=2, num_decoder_layers=3, num_encoder_attention_heads=4,
                        num_decoder_attention_heads=2, encoder_ffn_dim=96, decoder_ffn_dim=80, vocab_size=300,
                        max_position_embeddings=40, ngram=3, num_buckets=16)),
    "prophetnet-causal": ("ProphetNetForCausalLM",
                          dict(hidden_size=64, num_decoder_layers=2, num_decoder_attention_heads=4, decoder_ffn_dim=80,
                               vocab_size=300, max_position_embeddings=40, add_cross_attention=False)),
    # Marian with separate vocabularies (share_encoder_decoder_embeddings false: no `shared`, the encoder's table of
    # vocab_size rows, the decoder's and lm_head of decoder_vocab_size), tied and untied; shared but with a decoder
    # table of its own size, untied; the decoder alone with a larger vocabulary than its table (untied head)
    "marian-separate": ("MarianMTModel", dict(BART, vocab_size=300, decoder_vocab_size=280, pad_token_id=1, decoder_start_token_id=1,
                                               share_encoder_decoder_embeddings=False)),
    "marian-separate-untied": ("MarianMTModel", dict(BART, vocab_size=300, decoder_vocab_size=280, pad_token_id=1, decoder_start_token_id=1,
                                                      share_encoder_decoder_embeddings=False,
                                                      tie_word_embeddings=False)),
    "marian-shared-untied": ("MarianMTModel", dict(BART, vocab_size=300, decoder_vocab_size=280, pad_token_id=1, decoder_start_token_id=1,
                                                    tie_word_embeddings=False)),
    "marian-causal-untied": ("MarianForCausalLM", dict(BART, vocab_size=300, decoder_vocab_size=280, pad_token_id=1, decoder_start_token_id=1,
                                                        tie_word_embeddings=False)),
    "marian-causal-tied": ("MarianForCausalLM", dict(BART, vocab_size=300, decoder_vocab_size=280, pad_token_id=1, decoder_start_token_id=1)),
    # an unbalanced T5Gemma: encoder 96 wide, decoder 64 wide (cross-attention reads the encoder's width)
    "t5gemma": ("T5GemmaForConditionalGeneration",
                dict(encoder=dict(GEMMA_MODULE, hidden_size=96, num_hidden_layers=2,
                                  layer_types=["sliding_attention", "full_attention"]),
                     decoder=dict(GEMMA_MODULE, layer_types=["sliding_attention", "full_attention", "full_attention"]),
                     tie_word_embeddings=False)),
    # Llama 3.2 Vision: cross-attention layers in the text model, a tiled vision tower with gated global layers
    "mllama": ("MllamaForConditionalGeneration",
               dict(text_config=dict(vocab_size=300, pad_token_id=0, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
                                     num_key_value_heads=2, intermediate_size=96, cross_attention_layers=[1, 3]),
                    vision_config=dict(hidden_size=32, num_hidden_layers=2, num_global_layers=1, attention_heads=4,
                                       intermediate_size=48, vision_output_dim=96, image_size=28, patch_size=7,
                                       max_num_tiles=2, intermediate_layers_indices=[0, 1],
                                       supported_aspect_ratios=[[1, 1], [1, 2], [2, 1]]))),
    "mllama-causal": ("MllamaForCausalLM",
                      dict(text_config=dict(vocab_size=300, pad_token_id=0, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
                                            num_key_value_heads=1, intermediate_size=96, cross_attention_layers=[0]))),
    # audio encoders + language models (the text part is described by its own family's adapter)
    "qwen2_audio": ("Qwen2AudioForConditionalGeneration",
                    dict(audio_config=dict(d_model=64, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=96,
                                           num_mel_bins=20, max_source_positions=30),
                         text_config=dict(QWEN2_TEXT))),
    "voxtral": ("VoxtralForConditionalGeneration",
                dict(audio_config=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, intermediate_size=256,
                                       num_mel_bins=20, max_source_positions=30),
                     text_config=dict(LLAMA_TEXT))),
    "audioflamingo3": ("AudioFlamingo3ForConditionalGeneration",
                       dict(audio_config=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                              intermediate_size=96, num_mel_bins=20, max_source_positions=30),
                            text_config=dict(QWEN2_TEXT), projector_bias=False)),
    "musicflamingo": ("MusicFlamingoForConditionalGeneration",
                      dict(audio_config=dict(model_type="audioflamingo3_encoder", hidden_size=64, num_hidden_layers=2,
                                             num_attention_heads=4, intermediate_size=96, num_mel_bins=20,
                                             max_source_positions=30),
                           text_config=dict(QWEN2_TEXT))),
    "glmasr": ("GlmAsrForConditionalGeneration",
               dict(audio_config=dict(hidden_size=64, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
                                      intermediate_size=256, num_mel_bins=20),
                    text_config=dict(LLAMA_TEXT))),
    "glmasr-untied": ("GlmAsrForConditionalGeneration",
                      dict(audio_config=dict(hidden_size=64, num_hidden_layers=1, num_attention_heads=4,
                                             intermediate_size=256, num_mel_bins=20),
                           text_config=dict(LLAMA_TEXT), tie_word_embeddings=False)),
    "qwen3_asr": ("Qwen3ASRForConditionalGeneration",
                  dict(audio_config=dict(d_model=64, encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=96,
                                         num_mel_bins=40, downsample_hidden_size=16, output_dim=48),
                       text_config=dict(QWEN2_TEXT, model_type="qwen3", head_dim=16))),
    # a Conformer encoder and a Q-Former projector (cross-attention every 2nd layer, text feed-forward on)
    "granite_speech": ("GraniteSpeechForConditionalGeneration",
                       dict(encoder_config=dict(input_dim=40, num_layers=2, hidden_dim=64, feedforward_mult=2, num_heads=4,
                                                dim_head=8, output_dim=12, max_pos_emb=16, context_size=10,
                                                conv_kernel_size=5),
                            projector_config=dict(hidden_size=32, num_hidden_layers=3, num_attention_heads=4,
                                                  intermediate_size=40, encoder_hidden_size=64,
                                                  use_qformer_text_input=True),
                            text_config=dict(LLAMA_TEXT, model_type="granite"), window_size=8, downsample_rate=4,
                            tie_word_embeddings=False)),
    "granite_speech_plus": ("GraniteSpeechPlusForConditionalGeneration",
                            dict(encoder_config=dict(input_dim=40, num_layers=2, hidden_dim=64, num_heads=4, dim_head=8,
                                                     output_dim=12, cat_hidden_layers=[0]),
                                 projector_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                       intermediate_size=40, encoder_hidden_size=128),
                                 text_config=dict(LLAMA_TEXT, model_type="granite"))),
    # speech encoder-decoders
    "speech_to_text": ("Speech2TextForConditionalGeneration",
                       dict({k: v for k, v in BART.items() if k != "max_position_embeddings"}, conv_kernel_sizes=[5, 3, 3], num_conv_layers=3, conv_channels=40,
                            input_feat_per_channel=20, input_channels=2, max_source_positions=50,
                            max_target_positions=40)),
    "moonshine": ("MoonshineForConditionalGeneration",
                  dict(vocab_size=300, hidden_size=64, intermediate_size=96, encoder_num_hidden_layers=2,
                       decoder_num_hidden_layers=3, encoder_num_attention_heads=4, decoder_num_attention_heads=4,
                       encoder_num_key_value_heads=2, decoder_num_key_value_heads=1, attention_bias=True)),
    "trocr": ("TrOCRForCausalLM", dict(d_model=64, decoder_layers=2, decoder_attention_heads=4, decoder_ffn_dim=96,
                                       vocab_size=300, max_position_embeddings=40, cross_attention_hidden_size=48,
                                       use_learned_position_embeddings=False, layernorm_embedding=False)),
    "trocr-learned": ("TrOCRForCausalLM", dict(d_model=64, decoder_layers=2, decoder_attention_heads=4,
                                               decoder_ffn_dim=96, vocab_size=300, max_position_embeddings=40,
                                               tie_word_embeddings=False)),
    "fuyu": ("FuyuForCausalLM", dict(text_config=dict(model_type="persimmon", vocab_size=300, hidden_size=64,
                                                      intermediate_size=96, num_hidden_layers=2, num_attention_heads=4),
                                     patch_size=6, num_channels=2, tie_word_embeddings=True)),
    # a SAM tower with windowed and global layers (their relative tables differ in length)
    "got_ocr2": ("GotOcr2ForConditionalGeneration",
                 dict(vision_config=dict(hidden_size=32, output_channels=16, num_hidden_layers=3, num_attention_heads=4,
                                         image_size=64, patch_size=8, window_size=3, global_attn_indexes=[1],
                                         mlp_dim=48, qkv_bias=False),
                      text_config=dict(QWEN2_TEXT), tie_word_embeddings=False)),
    "git": ("GitForCausalLM", dict(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                   intermediate_size=96, max_position_embeddings=50, num_image_with_embedding=3,
                                   tie_word_embeddings=True,
                                   vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                                      num_attention_heads=4, image_size=32, patch_size=8))),
    "pop2piano": ("Pop2PianoForConditionalGeneration",
                  dict(vocab_size=300, composer_vocab_size=7, d_model=64, d_kv=16, d_ff=96, num_layers=2,
                       num_decoder_layers=3, num_heads=4, feed_forward_proj="gated-gelu")),
    # BERT encoder 64 wide, RoBERTa decoder 48 wide: enc_to_dec_proj maps the encoder's states
    "encoder-decoder": ("EncoderDecoderModel",
                        dict(encoder=dict(BERT_SMALL, model_type="bert"),
                             decoder=dict(BERT_SMALL, model_type="roberta", hidden_size=48, num_hidden_layers=3,
                                          is_decoder=True, add_cross_attention=True, pad_token_id=1))),
    "voxtral_realtime": ("VoxtralRealtimeForConditionalGeneration",
                         dict(audio_config=dict(hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                                                num_attention_heads=4, head_dim=24, num_mel_bins=20),
                              text_config=dict(vocab_size=300, hidden_size=48, intermediate_size=80, num_hidden_layers=2,
                                               num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                                               sliding_window=16),
                              downsample_factor=2, tie_word_embeddings=False)),
    "modernvbert": ("ModernVBertForMaskedLM",
                    dict(text_config=dict(model_type="modernbert", vocab_size=300, hidden_size=64, intermediate_size=96,
                                          num_hidden_layers=3, num_attention_heads=4, classifier_bias=True,
                                          pad_token_id=0, eos_token_id=1, bos_token_id=2, cls_token_id=2,
                                          sep_token_id=1),
                         vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                            num_attention_heads=4, image_size=32, patch_size=8),
                         pixel_shuffle_factor=2, tie_word_embeddings=True)),
    "phi4_multimodal": ("Phi4MultimodalForCausalLM",
                        dict(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                             num_attention_heads=4, num_key_value_heads=2, pad_token_id=0, bos_token_id=1,
                             eos_token_id=2, tie_word_embeddings=True,
                             vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                                num_attention_heads=4, image_size=32, patch_size=8, crop_size=32),
                             audio_config=dict(hidden_size=48, intermediate_size=64, num_blocks=2, num_attention_heads=4,
                                               ext_pw_out_channel=40, depthwise_separable_out_channel=48,
                                               depthwise_multiplier=2, kernel_size=5, nemo_conv_channels=16,
                                               time_reduction=16, nemo_final_size=5, bias_max_distance=50,
                                               bias_symmetric=True, downsample_rate=2))),
    # FastConformer encoders (Parakeet) with transformer decoders; GQA in the decoder, no conv biases, unequal widths
    "cohere_asr": ("CohereAsrForConditionalGeneration",
                   dict(encoder_config=dict(PARAKEET, convolution_bias=False), vocab_size=300, hidden_size=48,
                        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, intermediate_size=80,
                        max_position_embeddings=64, tie_word_embeddings=True)),
    "canary": ("CanaryForConditionalGeneration",
               dict(encoder_config=dict(PARAKEET, attention_bias=False, subsampling_factor=4),
                    decoder_config=dict(vocab_size=300, hidden_size=64, intermediate_size=80, num_hidden_layers=2,
                                        num_attention_heads=4, num_key_value_heads=2, head_dim=24,
                                        max_position_embeddings=64),
                    vocab_size=300, tie_word_embeddings=False)),
    "fun_asr_nano": ("FunAsrNanoForConditionalGeneration",
                     dict(audio_config=dict(num_mel_bins=10, num_stacked_frames=3, hidden_size=32, num_attention_heads=4,
                                            intermediate_size=48, num_hidden_layers=5, num_timestamp_prediction_layers=2,
                                            fsmn_kernel_size=5),
                          adaptor_config=dict(hidden_size=48, num_attention_heads=4, intermediate_size=12,
                                              num_hidden_layers=1, projector_hidden_size=56),
                          text_config=dict(QWEN2_TEXT, model_type="qwen3", head_dim=16), tie_word_embeddings=False)),
    "dia": ("DiaForConditionalGeneration", dict(DIA)),
    # small tokenizers; the semantic one given without hidden_size takes the class default (64), not 128
    "vibevoice_asr": ("VibeVoiceAsrForConditionalGeneration",
                      dict(acoustic_tokenizer_encoder_config=dict(hidden_size=24, num_filters=4, kernel_size=5,
                                                                  downsampling_ratios=[2, 3], depths=[1, 2, 1],
                                                                  ffn_expansion=2),
                           semantic_tokenizer_encoder_config=dict(num_filters=8, downsampling_ratios=[4],
                                                                  depths=[2, 1]),
                           text_config=dict(QWEN2_TEXT), acoustic_tokenizer_chunk_size=600)),
    "moss_transcribe_diarize": ("MossTranscribeDiarizeForConditionalGeneration",
                                dict(audio_config=dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                                                       intermediate_size=48, num_mel_bins=20, max_source_positions=30),
                                     text_config=dict(QWEN2_TEXT, model_type="qwen3", head_dim=16), audio_merge_size=3,
                                     projector_bias=False, tie_word_embeddings=False)),
    "kyutai_speech_to_text": ("KyutaiSpeechToTextForConditionalGeneration", dict(KYUTAI)),
    "moshi": ("MoshiForCausalLM", dict(vocab_size=300, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                       num_key_value_heads=2, head_dim=16, ffn_dim=96, sliding_window=6,
                                       max_position_embeddings=64, num_codebooks=4, audio_encoder_config=dict(MIMI))),
    # a stated vision_config without vision_use_head keeps SigLIP's default (the pooling head)
    "ultravbert": ("UltraVBertForMaskedLM",
                   dict(text_config=dict(model_type="ultrabert", vocab_size=300, hidden_size=64, intermediate_size=96,
                                         num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                                         prediction_head_size=40, pad_token_id=0, bos_token_id=0, eos_token_id=0,
                                         layer_types=["sliding_attention", "full_attention"]),
                        vision_config=dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2,
                                           num_attention_heads=4, image_size=32, patch_size=8),
                        pixel_shuffle_factor=2, tie_word_embeddings=True)),
    # ASR encoder with GQA, a diarization model and a word-timestamp branch around a small Nemotron-H
    "nemo_speechlm": ("Nemotron3_5TranscribeForConditionalGeneration", dict(
        audio_config=dict(
            asr_config=dict(hidden_size=48, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            num_key_value_heads=2, num_mel_bins=16, subsampling_factor=4),
            diarization_config=dict(audio_config=dict(hidden_size=32, intermediate_size=40, num_hidden_layers=1,
                                                      num_attention_heads=4, num_mel_bins=16, subsampling_factor=4),
                                    head_config=dict(hidden_size=24, num_speakers=3, audio_hidden_size=32,
                                                     subsampling_factor=4),
                                    streaming_config=dict(num_speakers=3, subsampling_factor=4))),
        word_timestamp_config=dict(hidden_size=48, intermediate_size=40, num_hidden_layers=1, num_attention_heads=4,
                                   vocab_size=50, blank_token_id=49, upsampling_factor=3),
        text_config=dict(model_type="nemotron_h", vocab_size=300, hidden_size=64, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=16, intermediate_size=96, mamba_num_heads=8, mamba_head_dim=16,
                         n_groups=2, ssm_state_size=8, layers_block_type=["mamba", "attention", "moe"],
                         n_routed_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                         moe_shared_expert_intermediate_size=48))),
    "vibevoice": ("VibeVoiceForConditionalGeneration",
                  dict(audio_config=dict(model_type="vibevoice_acoustic_tokenizer", hidden_size=16, num_filters=4,
                                         kernel_size=5, downsampling_ratios=[2, 3], depths=[1, 1, 2], ffn_expansion=2),
                       semantic_model_config=dict(model_type="vibevoice_acoustic_tokenizer_encoder", hidden_size=24,
                                                  num_filters=4, downsampling_ratios=[4], depths=[1, 1]),
                       diffusion_head_config=dict(num_hidden_layers=2, intermediate_size=40, frequency_embedding_size=16),
                       text_config=dict(QWEN2_TEXT, tie_word_embeddings=True))),
    # a Wav2Vec2 encoder with LayerNorm convs and pre-LN layers, no spec-augment vector, a narrower BERT decoder
    "speech-encoder-decoder": ("SpeechEncoderDecoderModel",
                               dict(encoder=dict(model_type="wav2vec2", hidden_size=64, num_hidden_layers=2,
                                                 num_attention_heads=4, intermediate_size=96, conv_dim=[16, 24, 24],
                                                 conv_kernel=[5, 3, 3], conv_stride=[3, 2, 2], feat_extract_norm="layer",
                                                 conv_bias=True, do_stable_layer_norm=True, mask_time_prob=0.0,
                                                 num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=4),
                                    decoder=dict(BERT_SMALL, model_type="bert", hidden_size=48, is_decoder=True,
                                                 add_cross_attention=True))),
}


def _shape_key(shape) -> tuple:
    return tuple(sorted(shape)) if len(shape) == 2 else tuple(shape)


def build(case: str):
    cls, kwargs = CASES[case]
    model_type = case.split("-")[0] if case not in ("nllb-moe", "encoder-decoder", "speech-encoder-decoder") else case
    if model_type == "granite_speech_plus":  # its encoder config is its own class
        kwargs = dict(kwargs, encoder_config=dict(kwargs["encoder_config"], model_type="granite_speech_plus_encoder"))
    cfg = transformers.CONFIG_MAPPING[model_type](**kwargs)
    with torch.device("meta"):
        module = getattr(transformers, cls)._from_config(cfg)
    return module, dict(cfg.to_dict(), architectures=[cls], model_type=model_type), cfg


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_shapes_equal_transformers(case):
    module, config, _ = build(case)
    inv = build_inventory(spec_from_config(config))
    hf_shapes = collections.Counter()
    for n, p in module.named_parameters():
        if ".experts." in n and p.dim() == 3:  # transformers 5 stacks routed experts [E, out, in]
            hf_shapes[_shape_key(p.shape[1:])] += p.shape[0]
        else:
            hf_shapes[_shape_key(p.shape)] += 1
    ours = collections.Counter()
    for t in inv.expanded():
        if t.counted:
            ours[_shape_key(t.shape)] += t.experts
    assert count(inv).total == sum(p.numel() for p in module.parameters())
    assert ours == hf_shapes, (ours - hf_shapes, hf_shapes - ours)


@pytest.mark.parametrize("case", sorted(CASES))
def test_diff_dict_counts_the_same(case):
    """A config.json as save_pretrained writes it (only the keys that differ from the class defaults)."""
    module, config, cfg = build(case)
    cls, _ = CASES[case]
    diff = dict(cfg.to_diff_dict(), architectures=[cls], model_type=config["model_type"])
    assert count(build_inventory(spec_from_config(diff))).total == sum(p.numel() for p in module.parameters())
    assert math.isfinite(count(build_inventory(spec_from_config(diff))).total)


def test_fuyu_flat_hub_config():
    """Fuyu's hub config.json is flat (the Persimmon keys at the top level): FuyuConfig gathers them into its
    text_config; paramscope reads them there too."""
    flat = dict(model_type="fuyu", architectures=["FuyuForCausalLM"], vocab_size=300, hidden_size=64,
                intermediate_size=96, num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=64,
                hidden_act="relu2", qk_layernorm=True, patch_size=6, num_channels=3, image_size=60)
    cfg = transformers.FuyuConfig(**{k: v for k, v in flat.items() if k not in ("model_type", "architectures")})
    with torch.device("meta"):
        module = transformers.FuyuForCausalLM._from_config(cfg)
    assert count(build_inventory(spec_from_config(flat))).total == sum(p.numel() for p in module.parameters())


# (fsmt-tied is left out: transformers reports the one shared table under the encoder's name, paramscope at the
# model level; the counts are checked above)
ROLE_CASES = ["led", "bigbird_pegasus", "pegasus_x", "fsmt", "nllb-moe", "prophetnet", "trocr", "trocr-learned",
              "t5gemma", "moonshine", "speech_to_text", "dia", "mllama-causal"]


@pytest.mark.parametrize("case", ROLE_CASES)
def test_roles_match_the_independent_table(case):
    """Every transformers tensor maps through tests/role_map.py (written from the modeling files) to the fine role,
    stack and layer paramscope reports (test_role_truth.py's oracle, at these families' small configs)."""
    import role_map

    module, config, _ = build(case)
    params = tuple((n, tuple(p.shape), False) for n, p in module.named_parameters())
    assert role_map.check(config, case, params) == []


# PreTrainedConfig attributes older transformers versions wrote into every (sub-)config.json
_OLD_GENERIC = {"add_cross_attention": False, "bad_words_ids": None, "chunk_size_feed_forward": 0,
                "cross_attention_hidden_size": None, "decoder_start_token_id": None, "diversity_penalty": 0.0,
                "do_sample": False, "early_stopping": False, "finetuning_task": None, "is_decoder": False,
                "is_encoder_decoder": False, "length_penalty": 1.0, "max_length": 20, "min_length": 0,
                "num_beams": 1, "output_scores": False, "prefix": None, "pruned_heads": {},
                "return_dict_in_generate": False, "tie_encoder_decoder": False, "torchscript": False,
                "typical_p": 1.0, "use_bfloat16": False}


def test_llama_3_2_11b_vision_style_config():
    """A config.json shaped like meta-llama/Llama-3.2-11B-Vision's (written by transformers 4.45: every generic
    PreTrainedConfig key in each sub-config, llama3 rope scaling): 10,670,220,835 parameters, as transformers builds."""
    text = dict(_OLD_GENERIC, model_type="mllama_text_model", hidden_act="silu", hidden_size=4096, intermediate_size=14336,
                max_position_embeddings=131072, num_attention_heads=32, num_hidden_layers=40, num_key_value_heads=8,
                cross_attention_layers=[3, 8, 13, 18, 23, 28, 33, 38], rms_norm_eps=1e-5, rope_theta=500000.0,
                rope_scaling={"factor": 8.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                              "original_max_position_embeddings": 8192, "rope_type": "llama3"},
                tie_word_embeddings=False, torch_dtype="bfloat16", vocab_size=128256, bos_token_id=128000,
                eos_token_id=128001, pad_token_id=128004)
    vision = dict(_OLD_GENERIC, model_type="mllama_vision_model", attention_heads=16, hidden_act="gelu", hidden_size=1280,
                  image_size=560, intermediate_layers_indices=[3, 7, 15, 23, 30], intermediate_size=5120, max_num_tiles=4,
                  norm_eps=1e-5, num_channels=3, num_global_layers=8, num_hidden_layers=32, patch_size=14,
                  supported_aspect_ratios=[[1, 1], [1, 2], [1, 3], [1, 4], [2, 1], [2, 2], [3, 1], [4, 1]],
                  torch_dtype="bfloat16", vision_output_dim=7680)
    config = dict(architectures=["MllamaForConditionalGeneration"], image_token_index=128256, model_type="mllama",
                  text_config=text, vision_config=vision, torch_dtype="bfloat16", transformers_version="4.45.0.dev0")
    assert count(build_inventory(spec_from_config(config))).total == 10_670_220_835


def test_qwen2_audio_7b_style_config():
    """A Qwen2-Audio-7B-style config.json (transformers 4.x serialisation: generic keys in the sub-configs): the
    count equals the module transformers builds from it."""
    from hf_truth import build_meta

    audio = dict(_OLD_GENERIC, model_type="qwen2_audio_encoder", d_model=1280, encoder_attention_heads=20,
                 encoder_ffn_dim=5120, encoder_layers=32, num_mel_bins=128, max_source_positions=1500,
                 activation_function="gelu", scale_embedding=False, encoder_layerdrop=0.0)
    text = dict(_OLD_GENERIC, model_type="qwen2", vocab_size=156032, hidden_size=4096, intermediate_size=11008,
                num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=8192,
                rms_norm_eps=1e-5, rope_theta=10000.0, use_sliding_window=False, sliding_window=32768,
                max_window_layers=28, torch_dtype="bfloat16", bos_token_id=151643, eos_token_id=151645)
    config = dict(architectures=["Qwen2AudioForConditionalGeneration"], model_type="qwen2_audio", audio_config=audio,
                  text_config=text, audio_token_index=151646, torch_dtype="bfloat16", transformers_version="4.45.0.dev0")
    module = build_meta(config)
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in module.parameters())


REFUSALS = {
    # the speech-to-speech Moshi composite (depth decoder, audio embeddings) is not described
    "moshi-cg": dict(model_type="moshi", architectures=["MoshiForConditionalGeneration"], vocab_size=300, hidden_size=64,
                     num_hidden_layers=2, num_attention_heads=4, ffn_dim=96),
    # a GPT-2 decoder inside EncoderDecoderModel: its cross-attention block is not BERT's
    "encoder-decoder-gpt2": dict(model_type="encoder-decoder", architectures=["EncoderDecoderModel"],
                                 encoder=dict(BERT_SMALL, model_type="bert"),
                                 decoder=dict(model_type="gpt2", n_embd=64, n_layer=2, n_head=4, vocab_size=300,
                                              add_cross_attention=True, is_decoder=True)),
    # a Wav2Vec2 adapter (add_adapter) is not described
    "speech-encoder-decoder-adapter": dict(
        model_type="speech-encoder-decoder", architectures=["SpeechEncoderDecoderModel"],
        encoder=dict(model_type="wav2vec2", hidden_size=64, num_hidden_layers=1, num_attention_heads=4,
                     intermediate_size=96, conv_dim=[16], conv_kernel=[5], conv_stride=[3], add_adapter=True),
        decoder=dict(BERT_SMALL, model_type="bert", is_decoder=True, add_cross_attention=True)),
    # Kyutai's lm_head cannot share the larger text+audio embedding
    "kyutai-tied": dict(KYUTAI, model_type="kyutai_speech_to_text",
                        architectures=["KyutaiSpeechToTextForConditionalGeneration"], tie_word_embeddings=True),
    # an unknown key in a composite's sub-config is named, never dropped
    "qwen2_audio-unknown-key": dict(model_type="qwen2_audio", architectures=["Qwen2AudioForConditionalGeneration"],
                                    audio_config=dict(d_model=64, encoder_layers=1, encoder_attention_heads=4,
                                                      encoder_ffn_dim=96, use_fancy_pooling=True),
                                    text_config=dict(QWEN2_TEXT)),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_layouts_not_described_are_refused_in_one_line(case):
    from paramscope.errors import ParamscopeError

    with pytest.raises(ParamscopeError) as err:
        spec_from_config(REFUSALS[case])
    assert "\n" not in str(err.value)
