"""Cache and state bytes of the linear-time mixers (RecurrentSpec) against transformers' real cache objects.

A tiny random model of each hybrid family runs one forward pass with use_cache=True on CPU; every tensor
reachable from the returned cache is summed and must equal paramscope's kv_cache_bytes for engine
"transformers" (attention K/V of the full-attention layers plus the convolution and recurrent states of
the linear layers). Parameter totals are checked by the walk in tests/test_config_keys.py.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

from paramscope.memory.kv import KvOptions, kv_cache  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402
from test_kv_truth import _cache_bytes  # noqa: E402

transformers.logging.set_verbosity_error()

HYBRIDS = {
    "qwen3_next": dict(model_type="qwen3_next", architectures=["Qwen3NextForCausalLM"], hidden_size=64,
                       intermediate_size=96, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                       head_dim=16, vocab_size=300, linear_num_key_heads=2, linear_num_value_heads=4,
                       linear_key_head_dim=16, linear_value_head_dim=24, linear_conv_kernel_dim=4,
                       num_experts=4, num_experts_per_tok=2, moe_intermediate_size=32,
                       shared_expert_intermediate_size=48),
    "mamba2": dict(model_type="mamba2", architectures=["Mamba2ForCausalLM"], hidden_size=64, num_hidden_layers=2,
                   vocab_size=300, num_heads=8, head_dim=16, expand=2, n_groups=2, state_size=8),
    "bamba": dict(model_type="bamba", architectures=["BambaForCausalLM"], hidden_size=64, num_hidden_layers=3,
                  vocab_size=300, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96, mamba_n_heads=8,
                  mamba_d_head=16, mamba_n_groups=2, mamba_d_state=8, attn_layer_indices=[1]),
    "lfm2": dict(model_type="lfm2", architectures=["Lfm2ForCausalLM"], hidden_size=64, intermediate_size=96,
                 num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2, vocab_size=300,
                 full_attn_idxs=[1, 3], conv_L_cache=3),
    # chunked local attention: transformers caches a chunked layer like a sliding window of the chunk size
    "llama4_text": dict(model_type="llama4_text", architectures=["Llama4ForCausalLM"], hidden_size=64,
                        intermediate_size=32, intermediate_size_mlp=96, num_hidden_layers=4, num_attention_heads=4,
                        num_key_value_heads=2, head_dim=16, vocab_size=300, num_local_experts=4,
                        num_experts_per_tok=1, interleave_moe_layer_step=2, attention_chunk_size=8,
                        no_rope_layer_interval=2),
    # indexed sparse attention: the MLA latent + rotary key, plus one indexer key per token
    "deepseek_v32": dict(model_type="deepseek_v32", architectures=["DeepseekV32ForCausalLM"], hidden_size=64,
                         intermediate_size=96, moe_intermediate_size=32, num_hidden_layers=3, num_attention_heads=4,
                         num_key_value_heads=4, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2,
                         first_k_dense_replace=1, n_group=2, topk_group=1, q_lora_rank=24, kv_lora_rank=16,
                         qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=12, head_dim=8, index_topk=4,
                         index_head_dim=16, index_n_heads=2, vocab_size=300),
    "kimi_linear": dict(model_type="kimi_linear", architectures=["KimiLinearForCausalLM"], hidden_size=64,
                        num_hidden_layers=4, vocab_size=300, pad_token_id=0, num_attention_heads=4,
                        num_key_value_heads=4, linear_num_heads=4, linear_head_dim=16, intermediate_size=96,
                        moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2, kv_lora_rank=32,
                        qk_nope_head_dim=16, qk_rope_head_dim=8, v_head_dim=16,
                        layer_types=["linear_attention"] * 3 + ["full_attention"]),
    "nemotron_h": dict(model_type="nemotron_h", architectures=["NemotronHForCausalLM"], hidden_size=64, vocab_size=300,
                       num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=96,
                       mamba_num_heads=8, mamba_head_dim=16, n_groups=2, ssm_state_size=8,
                       layers_block_type=["mamba", "attention", "mlp", "moe", "mamba"], n_routed_experts=4,
                       num_experts_per_tok=2, moe_intermediate_size=32, moe_shared_expert_intermediate_size=48),
    "granitemoehybrid": dict(model_type="granitemoehybrid", architectures=["GraniteMoeHybridForCausalLM"],
                             hidden_size=64, num_hidden_layers=3, vocab_size=300, num_attention_heads=4,
                             num_key_value_heads=2, intermediate_size=96, mamba_n_heads=8, mamba_d_head=16,
                             mamba_n_groups=2, mamba_d_state=8, layer_types=["mamba", "attention", "mamba"],
                             num_local_experts=4, num_experts_per_tok=2, shared_intermediate_size=48),
    # KV sharing: the last two layers read the cache of earlier layers and keep none of their own
    "gemma3n_text": dict(model_type="gemma3n_text", architectures=["Gemma3nForCausalLM"], hidden_size=64,
                         num_hidden_layers=4, vocab_size=300, vocab_size_per_layer_input=300, num_attention_heads=4,
                         num_key_value_heads=2, head_dim=16, intermediate_size=[96, 96, 128, 128],
                         hidden_size_per_layer_input=8, laurel_rank=4, altup_num_inputs=4, num_kv_shared_layers=2,
                         sliding_window=8, activation_sparsity_pattern=[0.0, 0.0, 0.0, 0.0],
                         layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"]),
    # lightning attention: a [heads, head_dim, head_dim] kv state; without layer_types odd layers are linear
    "minimax": dict(model_type="minimax", architectures=["MiniMaxForCausalLM"], hidden_size=64, intermediate_size=96,
                    num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=2, head_dim=16, vocab_size=300,
                    num_local_experts=4, num_experts_per_tok=2, block_size=8),
    "falcon_h1": dict(model_type="falcon_h1", architectures=["FalconH1ForCausalLM"], hidden_size=64, num_hidden_layers=2,
                      vocab_size=300, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96,
                      mamba_d_ssm=128, mamba_n_heads=8, mamba_n_groups=1, mamba_d_state=8, mamba_d_conv=4),
}


def _forward_cache_bytes(config: dict, batch: int, seq: int, dtype) -> int:
    cfg_cls = transformers.CONFIG_MAPPING[config["model_type"]]
    cfg = cfg_cls(**{k: v for k, v in config.items() if k != "architectures"})
    model = getattr(transformers, config["architectures"][0])._from_config(cfg).to(dtype).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (batch, seq)), use_cache=True)
    cache = getattr(out, "past_key_values", None)
    return _cache_bytes(cache if cache is not None else out.cache_params)


@pytest.mark.parametrize("family", sorted(HYBRIDS))
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_hybrid_cache_bytes_match_transformers(family, batch, seq, dtype, name):
    config = HYBRIDS[family]
    real = _forward_cache_bytes(config, batch, seq, dtype)
    spec = spec_from_config(dict(config, torch_dtype=name))
    ours = kv_cache(spec, batch=batch, context=seq, options=KvOptions(engine="transformers")).total_bytes
    assert ours == real


def test_linear_layers_hold_constant_state():
    """Doubling the context doubles only the full-attention layers' cache, never the linear layers' state."""
    spec = spec_from_config(HYBRIDS["qwen3_next"])
    a, b = (kv_cache(spec, batch=1, context=n, options=KvOptions(engine="vllm")) for n in (4096, 8192))
    state = {x.kind: x for x in a.layers}["ssm"]
    assert {x.kind: x for x in b.layers}["ssm"].state_bytes == state.state_bytes > 0
    assert b.total_bytes - a.total_bytes == sum(x.bytes_per_sequence * len(x.layers) for x in b.layers
                                                if x.kind != "ssm") - sum(
        x.bytes_per_sequence * len(x.layers) for x in a.layers if x.kind != "ssm")


def test_rg_lru_state_bytes_match_recurrent_gemma_modules():
    """RecurrentGemma keeps its recurrent state in module attributes (conv1d_state: kernel - 1 inputs in the
    model dtype; rg_lru.recurrent_states: float32): after a forward pass with use_cache their bytes equal
    paramscope's per-layer state for engine transformers."""
    config = dict(model_type="recurrent_gemma", architectures=["RecurrentGemmaForCausalLM"], hidden_size=64,
                  intermediate_size=192, num_hidden_layers=3, num_attention_heads=4, vocab_size=300,
                  attention_window_size=16, conv1d_width=4)
    cfg = transformers.CONFIG_MAPPING["recurrent_gemma"](**{k: v for k, v in config.items() if k != "architectures"})
    model = transformers.RecurrentGemmaForCausalLM._from_config(cfg).to(torch.bfloat16).eval()
    batch = 2
    with torch.no_grad():
        model(input_ids=torch.randint(3, 90, (batch, 9)), use_cache=True)
    real = 0
    for layer in model.model.layers:
        block = layer.temporal_block
        if hasattr(block, "rg_lru"):
            for t in (block.conv1d_state, block.rg_lru.recurrent_states):
                real += t.numel() * t.element_size()
    spec = spec_from_config(dict(config, torch_dtype="bfloat16"))
    report = kv_cache(spec, batch=batch, context=9, options=KvOptions(engine="transformers"))
    ours = sum(x.state_bytes * len(x.layers) for x in report.layers if x.kind == "ssm") * batch
    assert real > 0 and ours == real


def test_granite_hybrid_without_experts_counts_its_shared_mlp():
    """Granite 4 dense hybrids set num_local_experts to 0: each layer keeps only the shared MLP."""
    from paramscope.inventory import build_inventory
    from paramscope.params import count

    config = dict(HYBRIDS["granitemoehybrid"], num_local_experts=0)
    cfg = transformers.CONFIG_MAPPING["granitemoehybrid"](**{k: v for k, v in config.items() if k != "architectures"})
    with torch.device("meta"):
        model = transformers.GraniteMoeHybridForCausalLM._from_config(cfg)
    hf_total = sum(p.numel() for p in model.parameters())
    assert count(build_inventory(spec_from_config(config))).total == hf_total


def test_gemma3n_counts_equal_transformers_with_per_layer_widths_and_kv_sharing():
    from paramscope.inventory import build_inventory
    from paramscope.params import count

    config = HYBRIDS["gemma3n_text"]
    cfg = transformers.CONFIG_MAPPING["gemma3n_text"](**{k: v for k, v in config.items() if k != "architectures"})
    with torch.device("meta"):
        model = transformers.Gemma3nForCausalLM._from_config(cfg)
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in model.parameters())


def test_rwkv_state_bytes_match_the_state_transformers_returns():
    """RWKV-4: RwkvModel returns its recurrent state as five [batch, hidden, layers] tensors (two token-shift
    inputs in the model dtype, the WKV numerator, denominator and maximum in float32)."""
    config = dict(model_type="rwkv", architectures=["RwkvForCausalLM"], hidden_size=64, attention_hidden_size=64,
                  intermediate_size=96, num_hidden_layers=3, vocab_size=300)
    cfg = transformers.CONFIG_MAPPING["rwkv"](**{k: v for k, v in config.items() if k != "architectures"})
    model = transformers.RwkvForCausalLM._from_config(cfg).to(torch.bfloat16).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (2, 7)), use_cache=True)
    real = sum(t.numel() * t.element_size() for t in out.state)
    spec = spec_from_config(dict(config, torch_dtype="bfloat16"))
    assert kv_cache(spec, batch=2, context=7, options=KvOptions(engine="transformers")).total_bytes == real


@pytest.mark.parametrize("dtype,name", [(torch.float32, "float32"), (torch.bfloat16, "bfloat16")])
def test_mlstm_state_bytes_match_xlstm_cache(dtype, name):
    """xLSTM: xLSTMCache.rnn_state holds per layer the matrix memory C [batch, heads, dk, dv], the normalizer
    n [batch, heads, dk] and the stabilizer m [batch, heads, 1] in the model dtype; after a forward pass their
    bytes equal paramscope's state for engine transformers (the cache's one-element position counter,
    seqlen_offset, is not per-layer state and is left out)."""
    config = dict(model_type="xlstm", architectures=["xLSTMForCausalLM"], hidden_size=128, num_hidden_layers=2,
                  num_heads=4, vocab_size=300)
    cfg = transformers.CONFIG_MAPPING["xlstm"](**{k: v for k, v in config.items() if k != "architectures"})
    model = transformers.xLSTMForCausalLM._from_config(cfg).to(dtype).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (2, 11)), use_cache=True)
    real = sum(t.numel() * t.element_size() for state in out.cache_params.rnn_state.values() for t in state)
    spec = spec_from_config(dict(config, torch_dtype=name))
    assert real > 0
    assert kv_cache(spec, batch=2, context=11, options=KvOptions(engine="transformers")).total_bytes == real


# ---------------------------------------------------------------------------------------------------
# Encoder-decoders (issue 10, sources/seq2seq.py): the decoder's self-attention K/V grow with the decoded tokens,
# the cross-attention K/V hold the encoder's tokens (EncoderDecoderCache); T5Gemma's decoder self-attention
# alternates sliding and full layers.
_S2S = dict(d_model=64, encoder_layers=2, decoder_layers=3, encoder_attention_heads=4, decoder_attention_heads=2,
            encoder_ffn_dim=96, decoder_ffn_dim=80, vocab_size=300, max_position_embeddings=64)
ENCODER_DECODERS = {
    "led": dict({k: v for k, v in _S2S.items() if k != "max_position_embeddings"}, model_type="led",
                architectures=["LEDForConditionalGeneration"], max_encoder_position_embeddings=64,
                max_decoder_position_embeddings=64, attention_window=[4, 4]),
    "bigbird_pegasus": dict(_S2S, model_type="bigbird_pegasus", architectures=["BigBirdPegasusForConditionalGeneration"],
                            attention_type="original_full"),
    "pegasus_x": dict(_S2S, model_type="pegasus_x", architectures=["PegasusXForConditionalGeneration"],
                      num_global_tokens=4, block_size=4),
    "nllb-moe": dict(_S2S, model_type="nllb-moe", architectures=["NllbMoeForConditionalGeneration"], num_experts=4,
                     encoder_sparse_step=2, decoder_sparse_step=2),
    "fsmt": dict(_S2S, model_type="fsmt", architectures=["FSMTForConditionalGeneration"], src_vocab_size=300,
                 tgt_vocab_size=300, langs=["en", "de"]),
    "prophetnet": dict(model_type="prophetnet", architectures=["ProphetNetForConditionalGeneration"], hidden_size=64,
                       num_encoder_layers=2, num_decoder_layers=2, num_encoder_attention_heads=4,
                       num_decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=96, vocab_size=300,
                       max_position_embeddings=64, ngram=2),
    # BERT encoder + BERT decoder with cross-attention (EncoderDecoderModel), unequal widths
    "encoder-decoder": dict(model_type="encoder-decoder", architectures=["EncoderDecoderModel"],
                            encoder=dict(model_type="bert", vocab_size=300, hidden_size=64, num_hidden_layers=2,
                                         num_attention_heads=4, intermediate_size=96),
                            decoder=dict(model_type="bert", vocab_size=300, hidden_size=48, num_hidden_layers=2,
                                         num_attention_heads=4, intermediate_size=96, is_decoder=True,
                                         add_cross_attention=True)),
    "t5gemma": dict(model_type="t5gemma", architectures=["T5GemmaForConditionalGeneration"],
                    encoder=dict(vocab_size=300, hidden_size=96, intermediate_size=96, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, head_dim=16, sliding_window=4,
                                 layer_types=["sliding_attention", "full_attention"]),
                    decoder=dict(vocab_size=300, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                                 num_attention_heads=4, num_key_value_heads=2, head_dim=16, sliding_window=4,
                                 layer_types=["sliding_attention", "full_attention"])),
}


@pytest.mark.parametrize("family", sorted(ENCODER_DECODERS))
@pytest.mark.parametrize("batch,dec_len,enc_len,dtype,name", [(2, 7, 11, torch.float32, "float32"),
                                                              (1, 9, 5, torch.bfloat16, "bfloat16")])
def test_encoder_decoder_self_and_cross_cache_bytes(family, batch, dec_len, enc_len, dtype, name):
    config = ENCODER_DECODERS[family]
    cfg = transformers.CONFIG_MAPPING[config["model_type"]](**{k: v for k, v in config.items() if k != "architectures"})
    model = getattr(transformers, config["architectures"][0])._from_config(cfg).to(dtype).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (batch, enc_len)),
                    decoder_input_ids=torch.randint(3, 90, (batch, dec_len)), use_cache=True)
    real = _cache_bytes(out.past_key_values)
    spec = spec_from_config(dict(config, torch_dtype=name))
    ours = kv_cache(spec, batch=batch, context=dec_len,
                    options=KvOptions(engine="transformers", encoder_tokens=enc_len)).total_bytes
    assert real > 0 and ours == real


@pytest.mark.parametrize("batch,seq,vision,dtype,name", [(2, 7, 13, torch.float32, "float32"),
                                                          (1, 4, 9, torch.bfloat16, "bfloat16")])
def test_mllama_cross_attention_layers_cache_the_vision_tokens(batch, seq, vision, dtype, name):
    """Llama 3.2 Vision: the text model's cross-attention layers keep no self-attention K/V; they cache the K/V
    of the (projected) vision tokens in the same DynamicCache, so their size follows the vision tokens, not the
    text (paramscope: encoder_tokens)."""
    config = dict(model_type="mllama", architectures=["MllamaForCausalLM"],
                  text_config=dict(vocab_size=300, pad_token_id=0, hidden_size=64, num_hidden_layers=4,
                                   num_attention_heads=4, num_key_value_heads=2, intermediate_size=96,
                                   cross_attention_layers=[1, 3]))
    cfg = transformers.MllamaConfig(text_config=config["text_config"])
    model = transformers.MllamaForCausalLM._from_config(cfg).to(dtype).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (batch, seq)),
                    cross_attention_states=torch.randn(batch, vision, 64, dtype=dtype), use_cache=True)
    real = _cache_bytes(out.past_key_values)
    spec = spec_from_config(dict(config, torch_dtype=name))
    ours = kv_cache(spec, batch=batch, context=seq,
                    options=KvOptions(engine="transformers", encoder_tokens=vision)).total_bytes
    assert real > 0 and ours == real


# Issue 10, decoder families (helper D; appended): the cache of each new layer kind after a real forward pass.
# Zamba / Zamba2: the shared transformer block caches K/V at every hybrid layer that runs it (3 uses here), next
# to every Mamba layer's convolution and SSM state; OLMo-Hybrid's gated DeltaNet; GLM-5's indexed attention with a
# "shared" indexer layer that keeps no indexer keys of its own.
HYBRIDS_D = {
    "zamba": dict(model_type="zamba", architectures=["ZambaForCausalLM"], hidden_size=64, num_hidden_layers=8,
                  vocab_size=300, num_attention_heads=4, num_key_value_heads=2, intermediate_size=96, n_mamba_heads=2,
                  mamba_d_state=8, attn_layer_period=3, attn_layer_offset=1, use_mamba_kernels=False),
    "zamba2": dict(model_type="zamba2", architectures=["Zamba2ForCausalLM"], hidden_size=64, num_hidden_layers=6,
                   vocab_size=300, num_attention_heads=4, num_key_value_heads=4, n_mamba_heads=4, mamba_d_state=8,
                   mamba_ngroups=2, num_mem_blocks=2, adapter_rank=8, use_shared_attention_adapter=True,
                   layers_block_type=["mamba", "hybrid", "mamba", "hybrid", "hybrid", "mamba"], use_mamba_kernels=False),
    "olmo_hybrid": dict(model_type="olmo_hybrid", architectures=["OlmoHybridForCausalLM"], hidden_size=64,
                        intermediate_size=96, num_hidden_layers=4, num_attention_heads=4, num_key_value_heads=2,
                        vocab_size=300, pad_token_id=0, linear_num_key_heads=2, linear_num_value_heads=4,
                        linear_key_head_dim=16, linear_value_head_dim=24),
    "glm_moe_dsa": dict(model_type="glm_moe_dsa", architectures=["GlmMoeDsaForCausalLM"], hidden_size=64,
                        intermediate_size=96, moe_intermediate_size=32, num_hidden_layers=3, num_attention_heads=4,
                        num_key_value_heads=4, n_routed_experts=4, n_shared_experts=1, num_experts_per_tok=2,
                        first_k_dense_replace=1, q_lora_rank=24, kv_lora_rank=16, qk_rope_head_dim=8,
                        qk_nope_head_dim=8, v_head_dim=12, index_topk=4, index_head_dim=16, index_n_heads=2,
                        vocab_size=300, indexer_types=["full", "shared", "full"]),
}


@pytest.mark.parametrize("family", sorted(HYBRIDS_D))
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_decoder_family_cache_bytes_match_transformers(family, batch, seq, dtype, name):
    config = HYBRIDS_D[family]
    real = _forward_cache_bytes(config, batch, seq, dtype)
    spec = spec_from_config(dict(config, torch_dtype=name))
    ours = kv_cache(spec, batch=batch, context=seq, options=KvOptions(engine="transformers")).total_bytes
    assert ours == real


# speech encoder-decoders: the cross-attention caches hold the encoder's output frames (after the convolutional
# front end), counted here from the encoder output transformers returns (Moonshine with as many KV heads as
# query heads: MoonshineAttention views its queries with num_key_value_heads, so GQA does not run in 5.23)
SPEECH_ENCODER_DECODERS = {
    "moonshine": (dict(model_type="moonshine", architectures=["MoonshineForConditionalGeneration"], vocab_size=300,
                       hidden_size=64, intermediate_size=96, encoder_num_hidden_layers=2, decoder_num_hidden_layers=2,
                       encoder_num_attention_heads=4, decoder_num_attention_heads=4, encoder_num_key_value_heads=4,
                       decoder_num_key_value_heads=4), "input_values", (4000,)),
    "speech_to_text": (dict(model_type="speech_to_text", architectures=["Speech2TextForConditionalGeneration"],
                            vocab_size=300, d_model=64, encoder_layers=2, decoder_layers=2, encoder_attention_heads=4,
                            decoder_attention_heads=4, encoder_ffn_dim=96, decoder_ffn_dim=96, conv_channels=32,
                            input_feat_per_channel=16, max_target_positions=64), "input_features", (40, 16)),
    # a FastConformer encoder and a GQA decoder
    "cohere_asr": (dict(model_type="cohere_asr", architectures=["CohereAsrForConditionalGeneration"],
                        encoder_config=dict(model_type="parakeet_encoder", hidden_size=64, num_hidden_layers=2,
                                            num_attention_heads=4, intermediate_size=96, subsampling_conv_channels=8,
                                            num_mel_bins=32),
                        vocab_size=300, hidden_size=48, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, intermediate_size=80, max_position_embeddings=64),
                   "input_features", (48, 32)),
}


@pytest.mark.parametrize("family", sorted(SPEECH_ENCODER_DECODERS))
@pytest.mark.parametrize("batch,dec_len,dtype,name", [(2, 6, torch.float32, "float32"), (1, 9, torch.bfloat16, "bfloat16")])
def test_speech_encoder_decoder_cache_bytes(family, batch, dec_len, dtype, name):
    config, key, feat = SPEECH_ENCODER_DECODERS[family]
    cfg = transformers.CONFIG_MAPPING[config["model_type"]](**{k: v for k, v in config.items() if k != "architectures"})
    model = getattr(transformers, config["architectures"][0])._from_config(cfg).to(dtype).eval()
    with torch.no_grad():
        out = model(**{key: torch.randn(batch, *feat, dtype=dtype)},
                    decoder_input_ids=torch.randint(3, 90, (batch, dec_len)), use_cache=True)
    frames = out.encoder_last_hidden_state.shape[1]
    real = _cache_bytes(out.past_key_values)
    spec = spec_from_config(dict(config, torch_dtype=name))
    ours = kv_cache(spec, batch=batch, context=dec_len,
                    options=KvOptions(engine="transformers", encoder_tokens=frames)).total_bytes
    assert real > 0 and ours == real

# JetMoE's mixture of attention heads caches num_key_value_heads x kv_channels per token (num_experts_per_tok
# query heads per KV head); MiMo-V2-Flash's sliding layers cache twice the KV heads with values narrower than
# keys; Gemma 4 with per-layer head_dim / KV heads, values taken from the keys (still cached apart) and KV sharing.
HYBRIDS_D.update({
    "jetmoe": dict(model_type="jetmoe", architectures=["JetMoeForCausalLM"], hidden_size=64, num_hidden_layers=2,
                   vocab_size=300, num_key_value_heads=2, kv_channels=16, intermediate_size=48, num_local_experts=4,
                   num_experts_per_tok=2),
    "mimo_v2_flash": dict(model_type="mimo_v2_flash", architectures=["MiMoV2FlashForCausalLM"], hidden_size=64,
                          num_hidden_layers=3, vocab_size=300, num_attention_heads=4, num_key_value_heads=1,
                          head_dim=24, v_head_dim=16, intermediate_size=96, moe_intermediate_size=32,
                          n_routed_experts=4, num_experts_per_tok=2, sliding_window=8,
                          layer_types=["full_attention", "sliding_attention", "full_attention"]),
    "gemma4_text": dict(model_type="gemma4_text", architectures=["Gemma4ForCausalLM"], hidden_size=64,
                        num_hidden_layers=4, vocab_size=300, num_attention_heads=4, num_key_value_heads=2, head_dim=16,
                        intermediate_size=96, per_layer_config={"1": {"head_dim": 32, "num_key_value_heads": 1},
                                                                "3": {"head_dim": 32, "num_key_value_heads": 1}},
                        attention_k_eq_v=True, num_kv_shared_layers=2, sliding_window=8, hidden_size_per_layer_input=8,
                        vocab_size_per_layer_input=300, enable_moe_block=True, num_experts=4, top_k_experts=2,
                        moe_intermediate_size=32,
                        layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"]),
})


@pytest.mark.parametrize("family", ["jetmoe", "mimo_v2_flash", "gemma4_text"])
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_decoder_family_attention_cache_bytes_match_transformers(family, batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers(family, batch, seq, dtype, name)

# Ling 2.5's gated delta attention (a convolution window and a float32 delta-rule state) beside MLA layers; Laguna's
# per-layer query head counts over shared KV heads with sliding and full layers.
HYBRIDS_D.update({
    "bailing_hybrid": dict(model_type="bailing_hybrid", architectures=["BailingHybridForCausalLM"], hidden_size=64,
                           num_hidden_layers=4, vocab_size=300, pad_token_id=0, num_attention_heads=4, head_dim=16,
                           intermediate_size=96, moe_intermediate_size=32, num_experts=4, num_experts_per_token=2,
                           kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16,
                           first_k_dense_replace=1, num_expert_group=1, topk_group=1,
                           layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"]),
    "laguna": dict(model_type="laguna", architectures=["LagunaForCausalLM"], hidden_size=64, num_hidden_layers=3,
                   vocab_size=300, num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=96,
                   moe_intermediate_size=32, shared_expert_intermediate_size=32, num_experts=4, num_experts_per_tok=2,
                   num_attention_heads_per_layer=[4, 2, 4], sliding_window=8,
                   layer_types=["sliding_attention", "full_attention", "sliding_attention"]),
})


@pytest.mark.parametrize("family", ["bailing_hybrid", "laguna"])
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_decoder_family_mixed_cache_bytes_match_transformers(family, batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers(family, batch, seq, dtype, name)


@pytest.mark.parametrize("batch,dec_len,enc_len,dtype,name", [(2, 5, 7, torch.float32, "float32"),
                                                              (1, 8, 3, torch.bfloat16, "bfloat16")])
def test_dia_decoder_caches_gqa_self_and_cross_attention(batch, dec_len, enc_len, dtype, name):
    """Dia: the decoder's GQA self-attention caches one entry per audio frame (all codebook channels share it) and
    its cross-attention caches the encoder's tokens with its own KV heads and head size."""
    from test_seq2seq_families_more import DIA

    config = dict(DIA, model_type="dia", architectures=["DiaForConditionalGeneration"])
    model = transformers.DiaForConditionalGeneration._from_config(transformers.DiaConfig(**DIA)).to(dtype).eval()
    channels = DIA["decoder_config"]["num_channels"]
    with torch.no_grad():
        out = model(input_ids=torch.randint(0, 200, (batch, enc_len)),
                    decoder_input_ids=torch.randint(0, 36, (batch, dec_len, channels)), use_cache=True)
    real = _cache_bytes(out.past_key_values)
    spec = spec_from_config(dict(config, torch_dtype=name))
    ours = kv_cache(spec, batch=batch, context=dec_len,
                    options=KvOptions(engine="transformers", encoder_tokens=enc_len)).total_bytes
    assert real > 0 and ours == real

# LFM3: short convolutions of conv_L_cache taps (class default 7) beside sliding and full attention layers; AFMoE's
# sliding / full layers.
HYBRIDS_D.update({
    "lfm3": dict(model_type="lfm3", architectures=["Lfm3ForCausalLM"], hidden_size=64, num_hidden_layers=5,
                 vocab_size=300, num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=96,
                 pad_token_id=0, bos_token_id=1, eos_token_id=2, sliding_window=8),
    "afmoe": dict(model_type="afmoe", architectures=["AfmoeForCausalLM"], hidden_size=64, num_hidden_layers=4,
                  vocab_size=300, num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=96,
                  moe_intermediate_size=32, num_experts=4, num_experts_per_tok=2, num_shared_experts=1, sliding_window=8,
                  global_attn_every_n_layers=2),
})


@pytest.mark.parametrize("family", ["lfm3", "afmoe"])
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_decoder_family_conv_and_window_cache_bytes_match_transformers(family, batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers(family, batch, seq, dtype, name)


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"), (1, 4, torch.bfloat16, "bfloat16")])
def test_kyutai_speech_to_text_sliding_window_cache(batch, seq, dtype, name):
    """Kyutai STT: every decoder layer attends over a sliding window (DynamicCache built from the config keeps
    sliding_window - 1 tokens per layer); the Mimi codec keeps no cache in this call."""
    from test_seq2seq_families_more import KYUTAI

    config = dict(KYUTAI, model_type="kyutai_speech_to_text", architectures=["KyutaiSpeechToTextForConditionalGeneration"])
    model = transformers.KyutaiSpeechToTextForConditionalGeneration._from_config(
        transformers.KyutaiSpeechToTextConfig(**KYUTAI)).to(dtype).eval()
    with torch.no_grad():  # one text stream and num_codebooks audio streams per step
        out = model(input_ids=torch.randint(4, 16, (batch, seq, 1 + KYUTAI["num_codebooks"])), use_cache=True)
    real = _cache_bytes(out.past_key_values)
    ours = kv_cache(spec_from_config(dict(config, torch_dtype=name)), batch=batch, context=seq,
                    options=KvOptions(engine="transformers")).total_bytes
    assert real > 0 and ours == real


def test_moshi_text_decoder_sliding_window_cache():
    """MoshiForCausalLM: the text decoder's layers keep sliding_window - 1 tokens each."""
    config = dict(model_type="moshi", architectures=["MoshiForCausalLM"], vocab_size=300, hidden_size=64,
                  num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2, head_dim=16, ffn_dim=96,
                  sliding_window=6, max_position_embeddings=64)
    cfg = transformers.MoshiConfig(**{k: v for k, v in config.items() if k not in ("architectures", "model_type")})
    model = transformers.MoshiForCausalLM._from_config(cfg).eval()
    with torch.no_grad():
        out = model(input_ids=torch.randint(3, 90, (2, 11)), use_cache=True)
    real = _cache_bytes(out.past_key_values)
    ours = kv_cache(spec_from_config(dict(config, torch_dtype="float32")), batch=2, context=11,
                    options=KvOptions(engine="transformers")).total_bytes
    assert real > 0 and ours == real


# ---- issue 10, helper E: causal classes of the encoder families (sources/encoders_more.py, encoders.py) --------
# ModernBERT-decoder's alternating sliding / global layers; the BERT-shaped causal-LM classes of X-MOD and RoCBert
# (their cache is transformers' EncoderDecoderCache self-attention part); XLM with causal=true, whose model builds its
# EncoderDecoderCache inside forward (passed in here through the `cache` argument to be read back).
ENCODER_CAUSAL = {
    "modernbert-decoder": dict(model_type="modernbert-decoder", architectures=["ModernBertDecoderForCausalLM"],
                               hidden_size=64, num_hidden_layers=4, num_attention_heads=4, intermediate_size=96,
                               vocab_size=300, pad_token_id=0, bos_token_id=1, eos_token_id=2, cls_token_id=1,
                               sep_token_id=2, local_attention=8),
    "xmod": dict(model_type="xmod", architectures=["XmodForCausalLM"], hidden_size=64, num_hidden_layers=2,
                 num_attention_heads=4, intermediate_size=96, vocab_size=300, pad_token_id=1, is_decoder=True,
                 default_language="en_XX"),
    "roc_bert": dict(model_type="roc_bert", architectures=["RoCBertForCausalLM"], hidden_size=64, num_hidden_layers=2,
                     num_attention_heads=4, intermediate_size=96, vocab_size=300, pronunciation_vocab_size=40,
                     shape_vocab_size=50, is_decoder=True),
    "xlm": dict(model_type="xlm", architectures=["XLMWithLMHeadModel"], emb_dim=64, n_layers=2, n_heads=4,
                vocab_size=300, causal=True),
}


@pytest.mark.parametrize("family", sorted(ENCODER_CAUSAL))
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_encoder_family_causal_cache_bytes_match_transformers(family, batch, seq, dtype, name):
    from transformers.cache_utils import DynamicCache, EncoderDecoderCache

    config = ENCODER_CAUSAL[family]
    cfg = transformers.CONFIG_MAPPING[config["model_type"]](
        **{k: v for k, v in config.items() if k not in ("architectures", "model_type")})
    model = getattr(transformers, config["architectures"][0])._from_config(cfg).to(dtype).eval()
    ids = torch.randint(3, 40, (batch, seq))
    kwargs = dict(use_cache=True)
    if family == "roc_bert":  # RoCBert reads pronunciation and shape ids beside the token ids
        kwargs.update(input_shape_ids=ids, input_pronunciation_ids=ids)
    cache = None
    if family == "xlm":
        cache = EncoderDecoderCache(DynamicCache(config=cfg), DynamicCache(config=cfg))
        kwargs = dict(cache=cache)
    with torch.no_grad():
        out = model(input_ids=ids, **kwargs)
    real = _cache_bytes(cache if cache is not None else out.past_key_values)
    ours = kv_cache(spec_from_config(dict(config, torch_dtype=name)), batch=batch, context=seq,
                    options=KvOptions(engine="transformers")).total_bytes
    assert real > 0 and ours == real
# ---- end of helper E's families ----

# LongCat-Flash: two MLA sub-blocks per layer, each caching its own latent (transformers' cache layers 2i and 2i + 1).
HYBRIDS_D["longcat_flash"] = dict(model_type="longcat_flash", architectures=["LongcatFlashForCausalLM"], hidden_size=64,
                                  num_layers=2, vocab_size=300, num_attention_heads=4, ffn_hidden_size=96,
                                  q_lora_rank=24, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=16,
                                  v_head_dim=12, head_dim=8, expert_ffn_hidden_size=32, n_routed_experts=4,
                                  zero_expert_num=2, moe_topk=3)


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_longcat_sub_block_caches_match_transformers(batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers("longcat_flash", batch, seq, dtype, name)

# HRM-Text: every invocation of the L and H stacks caches its own K/V (H_cycles x (L_cycles + 1) x layers slots).
HYBRIDS_D["hrm_text"] = dict(model_type="hrm_text", architectures=["HrmTextForCausalLM"], hidden_size=64,
                             num_hidden_layers=2, vocab_size=300, num_attention_heads=4, head_dim=16,
                             intermediate_size=96, H_cycles=2, L_cycles=2)


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_hrm_caches_every_invocation_like_transformers(batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers("hrm_text", batch, seq, dtype, name)

# A.X K2: indexed MLA with the fused q/gate up-projection (the latent, rotary key and one indexer key per token).
HYBRIDS_D["axk2"] = dict(model_type="axk2", architectures=["AXK2ForCausalLM"], hidden_size=64, num_hidden_layers=3,
                         vocab_size=300, num_attention_heads=4, num_key_value_heads=4, intermediate_size=96,
                         q_lora_rank=24, kv_lora_rank=16, qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=12,
                         moe_intermediate_size=32, n_routed_experts=4, num_experts_per_tok=2, index_n_heads=2,
                         index_head_dim=16, index_topk=4, gated_norm_rank=8)


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_axk2_indexed_mla_cache_matches_transformers(batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers("axk2", batch, seq, dtype, name)

# Hunyuan 4: indexed MLA with sinks, a "shared" indexer layer, hyper-connections (no cache of their own).
HYBRIDS_D["hy_v4"] = dict(model_type="hy_v4", architectures=["HYV4ForCausalLM"], hidden_size=64, num_hidden_layers=3,
                          vocab_size=300, num_attention_heads=4, intermediate_size=96, q_lora_rank=24, kv_lora_rank=16,
                          qk_rope_head_dim=8, qk_nope_head_dim=8, v_head_dim=12, moe_intermediate_size=32,
                          n_routed_experts=4, num_experts_per_tok=2, index_n_heads=2, index_head_dim=16, index_topk=4,
                          hc_mult=2, pad_token_id=0)


@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"),
                                                  (1, 23, torch.bfloat16, "bfloat16")])
def test_hy_v4_cache_matches_transformers(batch, seq, dtype, name):
    test_decoder_family_cache_bytes_match_transformers("hy_v4", batch, seq, dtype, name)
