"""SeamlessM4T / v2 text-to-text (sources/seq2seq.py seamless_text) against transformers 5.23: totals and shapes at
small configs (unequal encoder and decoder depths and widths of the feed-forward, untied tables), the refusal of the
speech classes, and the self + cross cache bytes after a real forward pass. The walk checks the default, diff,
perturbed and untied configs."""

from __future__ import annotations


import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from hf_truth import assert_cache_bytes, assert_total_and_shapes  # noqa: E402

from paramscope.errors import UnsupportedArchitectureError  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

SMALL = dict(vocab_size=300, hidden_size=64, encoder_layers=3, decoder_layers=2, encoder_attention_heads=4,
             decoder_attention_heads=2, encoder_ffn_dim=96, decoder_ffn_dim=80, max_position_embeddings=64,
             pad_token_id=0, bos_token_id=2, eos_token_id=3, decoder_start_token_id=3)
CASES = {(mt, tied): dict(SMALL, model_type=mt, architectures=[cls], tie_word_embeddings=tied)
         for mt, cls in (("seamless_m4t", "SeamlessM4TForTextToText"),
                         ("seamless_m4t_v2", "SeamlessM4Tv2ForTextToText")) for tied in (True, False)}


def _module(config: dict, device: str = "meta"):
    cfg = transformers.CONFIG_MAPPING[config["model_type"].split("-")[0]](
        **{k: v for k, v in config.items() if k not in ("model_type", "architectures")})
    with torch.device(device):
        return getattr(transformers, config["architectures"][0])._from_config(cfg)


@pytest.mark.parametrize("key", sorted(CASES), ids=lambda k: f"{k[0]}-{'tied' if k[1] else 'untied'}")
def test_total_and_shapes_equal_transformers(key):
    config = CASES[key]
    module = _module(config)
    assert_total_and_shapes(config, module)


SPEECH = dict(SMALL, speech_encoder_layers=2, speech_encoder_attention_heads=4, speech_encoder_intermediate_size=72,
              feature_projection_input_dim=20, conv_depthwise_kernel_size=5, adaptor_kernel_size=4, adaptor_stride=4,
              num_adapter_layers=2, left_max_position_embeddings=6, right_max_position_embeddings=3)
for mt, cls in (("seamless_m4t", "SeamlessM4TForSpeechToText"), ("seamless_m4t_v2", "SeamlessM4Tv2ForSpeechToText")):
    CASES[(mt + "-speech", True)] = dict(SPEECH, model_type=mt, architectures=[cls])
    CASES[(mt + "-speech", False)] = dict(SPEECH, model_type=mt, architectures=[cls], tie_word_embeddings=False,
                                          add_adapter=False)
CASES[("seamless_m4t-speech-rotary", True)] = dict(CASES[("seamless_m4t-speech", True)],
                                                   position_embeddings_type="rotary")
CASES[("seamless_m4t_v2-speech-nopos", True)] = dict(CASES[("seamless_m4t_v2-speech", True)],
                                                     position_embeddings_type=None)


@pytest.mark.parametrize("cls", ["SeamlessM4TModel", "SeamlessM4TForTextToSpeech", "SeamlessM4TForSpeechToSpeech"])
def test_other_classes_are_refused(cls):
    with pytest.raises(UnsupportedArchitectureError, match="text-to-text|only language-model"):
        spec_from_config(dict(SMALL, model_type="seamless_m4t", architectures=[cls]))


@pytest.mark.parametrize("mt", ["seamless_m4t", "seamless_m4t_v2"])
@pytest.mark.parametrize("batch,dec_len,enc_len,dtype,name", [(2, 7, 11, torch.float32, "float32"),
                                                              (1, 9, 5, torch.bfloat16, "bfloat16")])
def test_self_and_cross_cache_bytes(mt, batch, dec_len, enc_len, dtype, name):
    config = CASES[(mt, True)]
    torch.manual_seed(0)
    model = _module(config, "cpu").to(dtype).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(4, 90, (batch, enc_len)),
                    decoder_input_ids=torch.randint(4, 90, (batch, dec_len)), use_cache=True)
    assert_cache_bytes(config, out.past_key_values, batch=batch, context=dec_len, dtype=name, encoder_tokens=enc_len)


@pytest.mark.parametrize("mt", ["seamless_m4t", "seamless_m4t_v2"])
def test_speech_to_text_self_and_cross_cache_bytes(mt):
    """The decoder caches its own tokens and, per layer, the speech encoder's output frames (after the adapter's
    strided convolutions), read here from the real output's encoder length."""
    config = CASES[(mt + "-speech", True)]
    torch.manual_seed(0)
    model = _module(config, "cpu").eval()
    feats = torch.randn(2, 40, config["feature_projection_input_dim"])
    with torch.no_grad():
        out = model(input_features=feats, decoder_input_ids=torch.randint(4, 90, (2, 6)), use_cache=True)
    frames = out.encoder_last_hidden_state.shape[1]
    assert_cache_bytes(config, out.past_key_values, batch=2, context=6, dtype="float32", encoder_tokens=frames)
