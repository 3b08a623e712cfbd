"""SpeechT5 speech-to-text (sources/seq2seq.py speecht5) against transformers 5.23's SpeechT5ForSpeechToText: totals
and shapes at small configs (group- and layer-normed feature encoders, conv biases, no masking embedding, untied
head), the refusal of the other SpeechT5 classes, and the decoder's self + cross cache bytes after a real forward
pass. The walk checks the default, diff, perturbed and untied configs."""

from __future__ import annotations


import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from hf_truth import assert_cache_bytes, assert_total_and_shapes  # noqa: E402

from paramscope.errors import UnsupportedArchitectureError  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

SMALL = dict(model_type="speecht5", architectures=["SpeechT5ForSpeechToText"], vocab_size=90, hidden_size=32,
             encoder_layers=2, encoder_attention_heads=4, encoder_ffn_dim=48, decoder_layers=3,
             decoder_attention_heads=2, decoder_ffn_dim=40, conv_dim=[16, 24, 24], conv_stride=[5, 2, 2],
             conv_kernel=[10, 3, 3], num_feat_extract_layers=3, num_conv_pos_embeddings=16,
             num_conv_pos_embedding_groups=4, encoder_max_relative_position=20, max_text_positions=64,
             max_speech_positions=400)
CASES = {"group-norm": SMALL,
         "layer-norm-biases": dict(SMALL, feat_extract_norm="layer", conv_bias=True),
         "no-masking-untied": dict(SMALL, mask_time_prob=0.0, tie_word_embeddings=False)}


def _module(config: dict, device: str = "meta"):
    cfg = transformers.SpeechT5Config(**{k: v for k, v in config.items() if k not in ("model_type", "architectures")})
    with torch.device(device):
        return transformers.SpeechT5ForSpeechToText._from_config(cfg)


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_shapes_equal_transformers(case):
    config = CASES[case]
    module = _module(config)
    assert_total_and_shapes(config, module)


@pytest.mark.parametrize("cls", ["SpeechT5ForTextToSpeech", "SpeechT5ForSpeechToSpeech"])
def test_other_classes_are_refused(cls):
    with pytest.raises(UnsupportedArchitectureError):
        spec_from_config(dict(SMALL, architectures=[cls]))


def test_decoder_self_and_cross_cache_bytes():
    config = CASES["group-norm"]
    torch.manual_seed(0)
    model = _module(config, "cpu").eval()
    with torch.no_grad():
        out = model(input_values=torch.randn(2, 1600), decoder_input_ids=torch.randint(4, 80, (2, 5)), use_cache=True)
    frames = out.encoder_last_hidden_state.shape[1]
    assert_cache_bytes(config, out.past_key_values, batch=2, context=5, dtype="float32", encoder_tokens=frames)
