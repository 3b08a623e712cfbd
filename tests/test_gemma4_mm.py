"""Gemma 4's composites against transformers 5.23 (sources/gemma4_mm.py):

- gemma4 (Gemma4ForConditionalGeneration / Gemma4Model): the vision tower (Gemma4VisionModel), the audio tower
  (Gemma4AudioModel) and both Gemma4MultimodalEmbedders tensor by tensor (name and shape), per-component totals,
  and the whole model through paramscope's own --check (grouped by component, layer and role);
- gemma4_unified: Gemma4UnifiedVisionEmbedder and the audio Gemma4UnifiedMultimodalEmbedder tensor by tensor;
- gemma4_unified_assistant: transformers 5.23 cannot build a drafter whose every layer reads the target's KV (the
  only layout its config class makes when num_kv_shared_layers is unset), because kv_sharing_modes finds no layer
  producing a cache and raises; the test builds it with that property returning what its own first line computes
  (every layer "reuse") and compares every tensor, runs a real forward pass to check it returns no cache
  (paramscope: 0 bytes), and counts its matmul FLOPs with torch's FlopCounterMode;
- the composite's text KV cache after a real forward pass, and its matmul FLOPs (the towers never enter a
  text token's FLOPs).
The default, a small and an untied config each; the walk (tests/test_config_keys.py) covers the tower-less
default configs of transformers' classes.
"""

from __future__ import annotations

import re

import pytest

torch = pytest.importorskip("torch")
tf = pytest.importorskip("transformers")

from paramscope import check  # noqa: E402
from paramscope.compute import matmul_params_per_token  # noqa: E402
from paramscope.errors import UnsupportedArchitectureError  # noqa: E402
from paramscope.inventory import build_inventory  # noqa: E402
from paramscope.memory.kv import KvOptions, kv_cache  # noqa: E402
from paramscope.model import from_config  # noqa: E402
from paramscope.params import count  # noqa: E402
from paramscope.sources.config_access import Cfg  # noqa: E402
from paramscope.sources.gemma4_mm import audio_tower, vision_tower  # noqa: E402
from paramscope.sources.hf_config import spec_from_config  # noqa: E402
from test_gemma3n_towers import _by_block, _meta, _stack_named  # noqa: E402
from test_kv_truth import _cache_bytes  # noqa: E402

tf.logging.set_verbosity_error()

TEXT = dict(hidden_size=64, num_hidden_layers=4, vocab_size=300, num_attention_heads=4, num_key_value_heads=2,
            head_dim=16, intermediate_size=96, global_head_dim=32, sliding_window=8, hidden_size_per_layer_input=8,
            vocab_size_per_layer_input=300, num_kv_shared_layers=2,
            layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"])
UNIFIED_TEXT = dict(hidden_size=64, num_hidden_layers=4, vocab_size=300, num_attention_heads=4, num_key_value_heads=2,
                    head_dim=16, intermediate_size=96, global_head_dim=32, sliding_window=8,
                    layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"])
SMALL_VISION = dict(hidden_size=32, intermediate_size=48, num_hidden_layers=2, num_attention_heads=4,
                    num_key_value_heads=2, head_dim=8, patch_size=4, position_embedding_size=40)
SMALL_AUDIO = dict(hidden_size=48, num_hidden_layers=2, num_attention_heads=4, subsampling_conv_channels=[10, 6],
                   conv_kernel_size=3, output_proj_dims=40, use_clipped_linears=False)
SMALL_UNIFIED_VISION = dict(patch_size=4, pooling_kernel_size=2, mm_embed_dim=24, mm_posemb_size=30, output_proj_dims=28)

COMPOSITES = {
    "default-towers": dict(vision_config={}, audio_config={}),
    "small": dict(text_config=TEXT, vision_config=SMALL_VISION, audio_config=SMALL_AUDIO),
    "small-untied": dict(text_config=TEXT, vision_config=SMALL_VISION, audio_config=SMALL_AUDIO,
                         tie_word_embeddings=False),
    "vision-only": dict(text_config=TEXT, vision_config=dict(SMALL_VISION, output_proj_dims=20, standardize=True,
                                                             use_clipped_linears=True)),
    # keys released / converted files state that no module reads
    "released-keys": dict(text_config=TEXT, vision_config=dict(SMALL_VISION, default_output_length=70, global_head_dim=16),
                          audio_config=dict(SMALL_AUDIO, num_mel_bins=128), vision_soft_tokens_per_image=280),
}
UNIFIED = {
    "default-towers": dict(vision_config={}, audio_config={}),
    "small": dict(text_config=UNIFIED_TEXT, vision_config=SMALL_UNIFIED_VISION, audio_config=dict(audio_embed_dim=20)),
    "small-untied": dict(text_config=UNIFIED_TEXT, vision_config=SMALL_UNIFIED_VISION,
                         audio_config=dict(hidden_size=20), tie_word_embeddings=False),
}


def _hf(model_type: str, arch: str, kwargs: dict):
    cfg = tf.CONFIG_MAPPING[model_type](**kwargs)
    return cfg, _meta(lambda: getattr(tf, arch)._from_config(cfg))


def _config(model_type: str, arch: str, cfg) -> dict:
    return dict(cfg.to_dict(), model_type=model_type, architectures=[arch])


@pytest.mark.parametrize("overrides", [{}, SMALL_VISION, dict(SMALL_VISION, use_clipped_linears=True)],
                         ids=["default", "small", "clipped"])
def test_vision_tower_tensor_by_tensor(overrides):
    cfg = tf.Gemma4VisionConfig(**overrides)
    model = _meta(lambda: tf.AutoModel.from_config(cfg))
    hf = _by_block([(n, p.shape) for n, p in model.named_parameters()], r"encoder\.layers\.(\d+)\.(.*)")
    ours = _by_block(_stack_named(vision_tower(Cfg(cfg.to_dict(), "config.json"))), r"vision\.(\d+)\.(.*)")
    assert ours == hf


@pytest.mark.parametrize("overrides", [{}, SMALL_AUDIO], ids=["default", "small"])
def test_audio_tower_tensor_by_tensor(overrides):
    cfg = tf.Gemma4AudioConfig(**overrides)
    model = _meta(lambda: tf.AutoModel.from_config(cfg))
    hf = _by_block([(n, p.shape) for n, p in model.named_parameters()], r"layers\.(\d+)\.(.*)")
    ours = _by_block(_stack_named(audio_tower(Cfg(cfg.to_dict(), "config.json"))), r"audio\.(\d+)\.(.*)")
    assert ours == hf


# transformers' module prefixes -> paramscope's names of the parts outside the language model
_GEMMA4_PARTS = [(r"^model\.vision_tower\.encoder\.layers\.", "vision.layers."), (r"^model\.vision_tower\.", "vision."),
                 (r"^model\.audio_tower\.", "audio."), (r"^model\.embed_(vision|audio)\.", r"projector.embed_\1."),
                 (r"^model\.embed_vision\.multimodal_embedder\.", "projector.embed_vision.multimodal_embedder.")]
_UNIFIED_PARTS = [(r"^model\.embed_vision\.multimodal_embedder\.", "projector.embed_vision.multimodal_embedder."),
                  (r"^model\.embed_vision\.", "vision.embed_vision."), (r"^model\.embed_audio\.", "projector.embed_audio.")]


def _parts(named, rules) -> dict:
    """{paramscope name: shape} of the tensors outside the language model, and {part: parameters} of all."""
    out, totals = {}, {"language": 0, "vision": 0, "audio": 0, "projector": 0}
    for name, p in named:
        name = "model." + name if not name.startswith(("model.", "lm_head.")) else name  # the bare model class
        for pattern, repl in rules:
            if re.match(pattern, name):
                mapped = re.sub(pattern, repl, name)
                out[mapped] = tuple(p.shape)
                totals[mapped.split(".", 1)[0]] += p.numel()
                break
        else:
            totals["language"] += p.numel()
    return out, totals


def _ours(config: dict):
    inv = build_inventory(spec_from_config(config))
    named = {t.full_name(): t.shape for t in inv.expanded() if t.counted and t.component != "language"}
    return named, count(inv)


@pytest.mark.parametrize("arch", ["Gemma4ForConditionalGeneration", "Gemma4Model"])
@pytest.mark.parametrize("variant", list(COMPOSITES))
def test_gemma4_composite_matches_transformers(variant, arch):
    cfg, model = _hf("gemma4", arch, COMPOSITES[variant])
    theirs, totals = _parts(model.named_parameters(), _GEMMA4_PARTS)
    named, ours = _ours(_config("gemma4", arch, cfg))
    assert named == theirs
    assert {k: ours.by_component.get(k, 0) for k in ("vision", "audio", "projector")} == \
        {k: totals[k] for k in ("vision", "audio", "projector")}
    assert ours.total == sum(totals.values())


@pytest.mark.parametrize("variant", ["small", "small-untied", "vision-only"])
def test_gemma4_composite_passes_paramscope_check(variant):
    """The whole model, language model included, through `paramscope params --check` (component, layer, role)."""
    config = dict(COMPOSITES[variant], model_type="gemma4", architectures=["Gemma4ForConditionalGeneration"])
    report = check.compare(from_config(config, record={"config": config}))
    assert report.equal, report.differences


@pytest.mark.parametrize("arch", ["Gemma4UnifiedForConditionalGeneration", "Gemma4UnifiedModel"])
@pytest.mark.parametrize("variant", list(UNIFIED))
def test_gemma4_unified_matches_transformers(variant, arch):
    cfg, model = _hf("gemma4_unified", arch, UNIFIED[variant])
    theirs, totals = _parts(model.named_parameters(), _UNIFIED_PARTS)
    named, ours = _ours(_config("gemma4_unified", arch, cfg))
    assert named == theirs
    assert ours.by_component.get("vision", 0) == totals["vision"]
    assert ours.by_component.get("projector", 0) == totals["projector"]
    assert ours.total == sum(totals.values())


def test_unified_audio_width_under_two_names_must_agree():
    config = dict(model_type="gemma4_unified", architectures=["Gemma4UnifiedForConditionalGeneration"],
                  text_config=UNIFIED_TEXT, audio_config=dict(audio_embed_dim=20, hidden_size=30))
    with pytest.raises(Exception, match="audio_embed_dim"):
        spec_from_config(config)


# ------------------------------------------------------------------ the assistant (a drafter over the target's KV)

ASSISTANT = dict(text_config=dict(UNIFIED_TEXT, num_hidden_layers=2, layer_types=["sliding_attention", "full_attention"]),
                 backbone_hidden_size=80)
ASSISTANT_GEMMA4_TEXT = dict(text_config=dict(TEXT, model_type="gemma4_text", num_kv_shared_layers=0,
                                              hidden_size_per_layer_input=0, vocab_size_per_layer_input=0),
                             backbone_hidden_size=48, tie_word_embeddings=False)


@pytest.fixture
def all_layers_reuse(monkeypatch):
    """kv_sharing_modes as the property's own first line computes it when every layer is shared (all "reuse",
    no producer), instead of the ValueError its producer check raises in transformers 5.23."""
    def modes(self):
        first = self.num_hidden_layers - self.num_kv_shared_layers
        return [None if i < first else "reuse" for i in range(self.num_hidden_layers)]
    for cls in (tf.Gemma4UnifiedTextConfig, tf.Gemma4TextConfig):
        monkeypatch.setattr(cls, "kv_sharing_modes", property(modes))


ASSISTANT_PLE = dict(text_config=dict(TEXT, model_type="gemma4_text", num_kv_shared_layers=0), backbone_hidden_size=48)


@pytest.mark.parametrize("kwargs", [{}, ASSISTANT, ASSISTANT_GEMMA4_TEXT, ASSISTANT_PLE],
                         ids=["default", "small", "gemma4_text", "gemma4_text-per-layer-inputs"])
def test_assistant_tensor_by_tensor(kwargs, all_layers_reuse):
    cfg, model = _hf("gemma4_unified_assistant", "Gemma4UnifiedAssistantForCausalLM", kwargs)
    config = _config("gemma4_unified_assistant", "Gemma4UnifiedAssistantForCausalLM", cfg)
    report = check.compare(from_config(config, record={"config": config}))
    assert report.equal, report.differences
    # and name by name: everything the drafter adds to its decoder
    inv = build_inventory(spec_from_config(config))
    ours = {t.full_name(): t.shape for t in inv.expanded() if t.counted and t.name.endswith("projection.weight")
            and not t.stack}
    theirs = {n: tuple(p.shape) for n, p in model.named_parameters() if n.endswith("_projection.weight")
              and not n.startswith("model.")}
    assert ours == theirs and len(ours) == 2


def test_assistant_has_no_cache_and_its_matmul_flops_equal_torch(all_layers_reuse):
    """A real forward pass of the drafter over the target's shared keys/values: it returns no cache (paramscope's
    KV cache: 0 bytes, every layer KV-shared), and torch executes 2 x paramscope's matmul parameters per token."""
    from torch.utils.flop_counter import FlopCounterMode

    cfg = tf.Gemma4UnifiedAssistantConfig(**ASSISTANT)
    torch.manual_seed(0)
    model = tf.Gemma4UnifiedAssistantForCausalLM._from_config(cfg).eval()
    text = cfg.text_config
    batch, q_len, ctx = 2, 3, 11
    kv = {t: (torch.randn(batch, text.num_key_value_heads, ctx, text.per_layer_config[i].head_dim),) * 2
          for i, t in enumerate(text.layer_types)}
    embeds = torch.randn(batch, q_len, 2 * cfg.backbone_hidden_size)
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(inputs_embeds=embeds, shared_kv_states=kv, position_ids=torch.arange(ctx, ctx + q_len)[None])
    assert out.logits.shape == (batch, q_len, text.vocab_size)
    assert not any(k in out for k in ("past_key_values", "cache"))
    config = _config("gemma4_unified_assistant", "Gemma4UnifiedAssistantForCausalLM", cfg)
    m = from_config(config)
    assert kv_cache(m.spec, batch=batch, context=ctx, options=KvOptions(engine="transformers")).total_bytes == 0
    mm = sum(v for k, v in counter.get_flop_counts()["Global"].items() if str(k).split(".")[-1].startswith(("mm", "addmm")))
    assert mm == 2 * matmul_params_per_token(m) * batch * q_len


@pytest.mark.parametrize("change,match", [
    (dict(use_ordered_embeddings=True), "use_ordered_embeddings"),
    (dict(text_config=dict(ASSISTANT["text_config"], num_kv_shared_layers=1)), "num_kv_shared_layers"),
    (dict(text_config=dict(ASSISTANT["text_config"], model_type="llama")), "text_config.model_type"),
])
def test_assistant_refuses_what_it_does_not_describe(change, match):
    config = dict(ASSISTANT, **change, model_type="gemma4_unified_assistant",
                  architectures=["Gemma4UnifiedAssistantForCausalLM"])
    with pytest.raises(UnsupportedArchitectureError, match=match):
        spec_from_config(config)


def test_assistant_without_text_config_takes_the_unified_text_defaults(all_layers_reuse):
    _, model = _hf("gemma4_unified_assistant", "Gemma4UnifiedAssistantForCausalLM", {})
    config = dict(model_type="gemma4_unified_assistant", architectures=["Gemma4UnifiedAssistantForCausalLM"])
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------ the composite's text cache and FLOPs


@pytest.mark.parametrize("model_type,arch,kwargs", [
    ("gemma4", "Gemma4ForConditionalGeneration", COMPOSITES["small"]),
    ("gemma4_unified", "Gemma4UnifiedForConditionalGeneration", UNIFIED["small"]),
], ids=["gemma4", "gemma4_unified"])
@pytest.mark.parametrize("batch,seq,dtype,name", [(2, 11, torch.float32, "float32"), (1, 23, torch.bfloat16, "bfloat16")])
def test_composite_text_cache_and_flops_match_transformers(model_type, arch, kwargs, batch, seq, dtype, name):
    """A text forward pass of the composite (towers built, not run): the cache transformers returns holds exactly
    paramscope's KV bytes, and the executed weight matmuls are 2 x paramscope's per-token matmul parameters
    (the towers and embedders are not part of a text token's FLOPs)."""
    from torch.utils.flop_counter import FlopCounterMode

    cfg = tf.CONFIG_MAPPING[model_type](**kwargs)
    torch.manual_seed(0)
    model = getattr(tf, arch)._from_config(cfg).to(dtype).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        out = model(input_ids=torch.randint(3, 250, (batch, seq)), use_cache=True)
    config = dict(_config(model_type, arch, cfg), torch_dtype=name)
    m = from_config(config)
    ours = kv_cache(m.spec, batch=batch, context=seq, options=KvOptions(engine="transformers")).total_bytes
    assert ours == _cache_bytes(out.past_key_values) > 0
    mm = sum(v for k, v in counter.get_flop_counts()["Global"].items() if str(k).split(".")[-1].startswith(("mm", "addmm")))
    assert mm == 2 * matmul_params_per_token(m) * batch * seq


@pytest.mark.parametrize("model_type,arch,stated", [
    ("gemma4", "Gemma4ForConditionalGeneration",
     dict(text_config={"model_type": "gemma4_text"}, vision_config={"model_type": "gemma4_vision"},
          audio_config={"model_type": "gemma4_audio"})),
    ("gemma4_unified", "Gemma4UnifiedForConditionalGeneration",
     dict(text_config={"model_type": "gemma4_unified_text"}, vision_config={"model_type": "gemma4_unified_vision"},
          audio_config={"model_type": "gemma4_unified_audio"})),
], ids=["gemma4", "gemma4_unified"])
def test_sub_configs_stated_by_model_type_alone_take_the_class_defaults(model_type, arch, stated):
    """A file that names the sub-configs and leaves every width out: transformers fills each config class's
    defaults, and so must paramscope."""
    _, model = _hf(model_type, arch, stated)
    config = dict(stated, model_type=model_type, architectures=[arch])
    assert count(build_inventory(spec_from_config(config))).total == sum(p.numel() for p in model.parameters())
