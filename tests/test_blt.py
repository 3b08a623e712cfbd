"""BLT (sources/blt.py) against transformers 5.23's BltForCausalLM: totals and tensor shapes at small configs that
move what the walk's perturbation does not (the sub-configs' widths, layer counts and cross-attention placement,
the encoder's projection to the global width, the patcher, tying), built on the meta device; and the refusal of
what a run costs (KV cache, FLOPs, speed), which paramscope does not describe for BLT."""

from __future__ import annotations

import json

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from hf_truth import assert_total_and_shapes  # noqa: E402

from paramscope.errors import UnsupportedArchitectureError  # noqa: E402
from paramscope.memory.kv import kv_cache  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402

transformers.logging.set_verbosity_error()

SMALL = dict(model_type="blt", architectures=["BltForCausalLM"], vocab_size=300, cross_attn_k=2,
             encoder_hash_byte_group_size=[3, 4], encoder_hash_byte_group_vocab=50,
             encoder_config=dict(vocab_size=300, hidden_size=32, num_attention_heads=4, num_hidden_layers=2,
                                 hidden_size_global=64, cross_attn_k=2),
             decoder_config=dict(vocab_size=300, hidden_size=32, num_attention_heads=4, num_hidden_layers=3,
                                 hidden_size_global=64, cross_attn_k=2, intermediate_size=80),
             global_config=dict(hidden_size=64, num_attention_heads=4, num_hidden_layers=2, intermediate_size=96),
             patcher_config=dict(vocab_size=300, hidden_size=24, num_attention_heads=2, num_hidden_layers=2,
                                 intermediate_size=40))
CASES = {
    "small": SMALL,
    "tied": dict(SMALL, tie_word_embeddings=True),
    # every encoder layer cross-attends, the decoder only after its last; 3 x 32 != 64: a token projection
    "cross-placement": dict(SMALL, cross_attn_k=3,
                            encoder_config=dict(SMALL["encoder_config"], cross_attn_all_layers=True, cross_attn_k=3),
                            decoder_config=dict(SMALL["decoder_config"], cross_attn_all_layers=False, cross_attn_k=3)),
    "no-patcher-kv-heads": dict(SMALL, patch_in_forward=False, encoder_hash_byte_group_nb_functions=2,
                                global_config=dict(SMALL["global_config"], num_key_value_heads=2)),
    "other-vocab": dict(SMALL, vocab_size=320),
}


def _module(config: dict):
    cfg = transformers.BltConfig(**{k: v for k, v in config.items() if k not in ("model_type", "architectures")})
    with torch.device("meta"):
        return transformers.BltForCausalLM._from_config(cfg)


@pytest.mark.parametrize("case", sorted(CASES))
def test_total_and_shapes_equal_transformers(case):
    config = CASES[case]
    module = _module(config)
    assert_total_and_shapes(config, module)


def test_what_a_run_costs_is_refused_not_guessed(tmp_path, capsys):
    from paramscope.cli import main

    spec = spec_from_config(SMALL)
    with pytest.raises(UnsupportedArchitectureError, match="once per patch"):
        kv_cache(spec, batch=1, context=64)
    path = tmp_path / "config.json"
    path.write_text(json.dumps({k: v for k, v in SMALL.items()}))
    assert main(["params", str(path)]) == 0
    capsys.readouterr()
    for argv in (["memory", str(path)], ["perf", str(path), "--gpu", "h100-sxm"]):
        code = main(argv)
        err = capsys.readouterr().err.strip().splitlines()
        assert code != 0 and any("once per patch" in line for line in err), (argv, err)
