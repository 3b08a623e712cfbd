"""config.json -> ModelSpec for Qwen4-Exp: the text model (model_type qwen4_exp_text, Qwen4ExpForCausalLM) and the
vision-language composite (qwen4_exp, Qwen4ExpForConditionalGeneration), as transformers 5.23 builds them
(transformers/models/qwen4_exp/modeling_qwen4_exp.py and configuration_qwen4_exp.py).

The text model (Qwen4ExpTextModel, Qwen4ExpTextDecoderLayer):

- layer_types of linear_attention (gated DeltaNet, Qwen3.5's four input projections: mixers.gated_deltanet with
  split=True) and indexed_attention (Qwen4ExpTextAttention: Qwen3-Next's gated attention, q_proj emitting the
  output gate, per-head q/k RMSNorms, plus the QSA indexer Qwen4ExpTextQSAIndexer, AttentionSpec.index_block);
  by default every full_attention_interval-th (4th) layer is indexed. "full_attention" in a file means
  indexed_attention (Qwen4ExpTextConfig.__post_init__).
- every layer's feed-forward is a MoE (Qwen4ExpTextSparseMoeBlock): a softmax top-k router, stacked experts with a
  fused gate_up, one always-on shared expert with a sigmoid gate.
- hyper-connections instead of pre-norms: the residual stream is hc_count x hidden wide; before the mixer and
  before the MoE a Qwen4ExpTextGatedResidual mixes the streams (a grouped RMSNorm [hc x hidden], a low-rank
  input mixer down [hc_lowrank, hc x hidden] / up [hc x hidden, hc_lowrank] and an injection weight
  [hc, hc x hidden]); at the end hyper_connection_mixer (the same without the injection weight) replaces the
  final norm.
- per-layer embeddings (PLE) on the linear layers listed in ple_layer_ids (one-indexed): Qwen4ExpTextPLELayer,
  a hashed n-gram table Qwen4ExpTextNGramEmbedding of (ngram_size - 1) x heads_per_ngram heads whose rows are
  consecutive primes from ngram_vocab_size_base on (each PLE layer takes the next heads' primes), padded to
  make_ngram_vocab_size_divisible_by, of width ple_embed_dim / heads; a key projection [hc x hidden, ple],
  a value projection [hidden, ple], three grouped RMSNorms [hc x hidden] and a dilated depthwise convolution
  [hc x hidden, 1, ple_conv_kernel_size]. The table is a lookup (role "embed": bytes in memory, no matmul
  FLOPs), as Gemma 3n's per-layer embedding table (sources/gemma3n.py). Its three int64 buffers
  (layer_multipliers, ngram_heads_vocab_sizes, ngram_heads_offsets: ngram_size + 2 x heads values) are not
  parameters and are not listed.

State (transformers' DynamicCache for this config): indexed layers keep K/V of every token plus one indexer key
of indexer_head_dim per token (DynamicIndexedLayer), and the first one also the int64 3-row mrope position ids
of every token (indexer_position_ids); linear layers keep the DeltaNet conv window and fp32 recurrent state,
and PLE layers also their convolution window [hc x hidden, (kernel - 1) x ngram_size] and the last
ngram_size - 1 token ids (int64) (RecurrentSpec.more_state).

FLOPs: QSA's attention reads the picked blocks plus the incomplete last block and its indexer scores one
mean-pooled key per complete block (compute._qsa_read_sum, _blocks_sum); the hyper-connection and PLE
projections and the PLE convolution count as matrices. Not modelled: the elementwise work of the
hyper-connections (stream mixing, injections), the PLE gate and the n-gram hashing, the key pooling.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ..errors import ConfigError, UnsupportedArchitectureError
from ..spec import (
    AttentionSpec,
    EmbeddingSpec,
    ExtraTensor,
    HeadSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    MoeSpec,
    NormSpec,
    StackSpec,
)
from .common import layernorm
from .config_access import Cfg
from .mixers import gated_deltanet

# Qwen4ExpTextConfig's class defaults (configuration_qwen4_exp.py): hub files written by save_pretrained
# omit keys equal to them.
_TEXT_DEFAULTS = {
    "vocab_size": 248320, "hidden_size": 2048, "num_hidden_layers": 40, "num_attention_heads": 16,
    "num_key_value_heads": 2, "hidden_act": "silu", "max_position_embeddings": 32768, "tie_word_embeddings": False,
    "attention_bias": False, "head_dim": 256, "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128,
    "linear_value_head_dim": 128, "linear_num_key_heads": 16, "linear_num_value_heads": 32,
    "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512, "num_experts_per_tok": 10,
    "num_experts": 512, "hc_count": 4, "hc_lowrank": 320, "ple_conv_kernel_size": 4, "ngram_size": 3,
    "heads_per_ngram": 8, "ngram_vocab_size_base": 20_000_000, "make_ngram_vocab_size_divisible_by": 128,
}
# Qwen4ExpVisionConfig's class defaults
_VISION_DEFAULTS = {
    "depth": 27, "hidden_size": 1152, "hidden_act": "gelu_pytorch_tanh", "intermediate_size": 4304, "num_heads": 16,
    "in_channels": 3, "patch_size": 16, "spatial_merge_size": 2, "temporal_patch_size": 2, "out_hidden_size": 3584,
    "num_position_embeddings": 2304,
}
_QSA_KEYS = ("indexer_n_heads", "indexer_kv_heads", "indexer_head_dim", "indexer_budget", "indexer_compress_ratio")
# the mrope position rows Qwen4ExpTextModel keeps with the first indexed layer's cache (position_ids[1:])
_POSITION_ROWS = 3
# primes are tested with Miller-Rabin witnesses that are exact below this bound (Sorenson & Webster 2015)
_MR_WITNESSES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
_MR_BOUND = 3_317_044_064_679_887_385_961_981


def _with_defaults(c: Cfg, defaults: dict) -> Cfg:
    return c.with_data({**defaults, **{k: v for k, v in c.data.items() if v is not None or k not in defaults}})


def _is_prime(n: int) -> bool:
    """Deterministic Miller-Rabin below _MR_BOUND: the same answer as transformers' trial division (_is_prime)."""
    if n < 2:
        return False
    for p in _MR_WITNESSES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in _MR_WITNESSES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def _primes_from(base: int, count: int) -> list[int]:
    """The first ``count`` primes >= base: transformers' _find_nth_prime_after(base - 1, k) for k = 1..count."""
    out, n = [], base
    while len(out) < count:
        if _is_prime(n):
            out.append(n)
        n += 1
    return out


def _layer_types(c: Cfg, n: int) -> list[str]:
    types = c.str_list("layer_types")
    if types is None:
        every = c.int("full_attention_interval", 4)
        return ["linear_attention" if (i + 1) % every else "indexed_attention" for i in range(n)]
    c.touch("full_attention_interval")
    types = ["indexed_attention" if t == "full_attention" else t for t in types]
    if len(types) != n or not set(types) <= {"linear_attention", "indexed_attention"}:
        raise ConfigError(f"{c.origin}: {c.prefix}layer_types: expected {n} entries of linear_attention / "
                          "indexed_attention (or full_attention)")
    return types


def _qsa(c: Cfg) -> dict:
    """The QSA indexer fields of AttentionSpec (Qwen4ExpTextQSAIndexer), refused unless all five keys are set."""
    missing = [k for k in _QSA_KEYS if c.raw(k) is None]
    if missing:
        raise ConfigError(f"{c.origin}: {c.prefix}{missing[0]}: indexed_attention layers need the QSA indexer "
                          f"settings ({', '.join(_QSA_KEYS)}); transformers cannot build them without it")
    heads, kv, dim = c.int("indexer_n_heads"), c.int("indexer_kv_heads"), c.int("indexer_head_dim")
    budget, ratio = c.int("indexer_budget"), c.int("indexer_compress_ratio")
    if kv != 1:
        raise ConfigError(f"{c.origin}: {c.prefix}indexer_kv_heads: Qwen4-Exp QSA has one key head, got {kv}")
    if budget % ratio:
        raise ConfigError(f"{c.origin}: {c.prefix}indexer_budget {budget} is not a multiple of "
                          f"indexer_compress_ratio {ratio}")
    return dict(index_topk=budget, index_heads=heads, index_head_dim=dim, index_block=ratio)


def _hyper(prefix: str, d: int, hc: int, rank: int, inject: bool) -> tuple[ExtraTensor, ...]:
    """Qwen4ExpTextGatedResidual: grouped RMSNorm over the hc streams, low-rank input mixer, injection weights."""
    wide = hc * d
    norm_role = "norm_final" if not inject else ("norm_attn_in" if prefix.startswith("attn") else "norm_mlp_in")
    out = (ExtraTensor(f"{prefix}.hc_norm.weight", norm_role, (wide,)),
           ExtraTensor(f"{prefix}.input_mix_weight_down.weight", "other", (rank, wide)),
           ExtraTensor(f"{prefix}.input_mix_weight_up.weight", "other", (wide, rank)))
    if inject:
        out += (ExtraTensor(f"{prefix}.block_inject_weight.weight", "other", (hc, wide)),)
    return out


def _ple(c: Cfg, d: int, hc: int, index: int) -> tuple[tuple[ExtraTensor, ...], tuple[tuple[int, str], ...]]:
    """The tensors of the index-th PLE layer (Qwen4ExpTextPLELayer) and the state its cache keeps."""
    ple = c.int("ple_embed_dim", d)
    n = c.int("ngram_size")
    heads = (n - 1) * c.int("heads_per_ngram")
    if heads < 1 or ple % heads:
        raise ConfigError(f"{c.origin}: {c.prefix}ple_embed_dim {ple} is not a multiple of the {heads} n-gram heads")
    base, divisor = c.int("ngram_vocab_size_base"), c.int("make_ngram_vocab_size_divisible_by")
    if base + 1000 * heads * (index + 1) > _MR_BOUND:
        raise ConfigError(f"{c.origin}: {c.prefix}ngram_vocab_size_base {base} is absurdly large")
    rows = sum(_primes_from(base, heads * (index + 1))[heads * index:])
    rows = math.ceil(rows / divisor) * divisor
    kernel, wide = c.int("ple_conv_kernel_size"), hc * d
    tensors = (
        ExtraTensor("ple.ple_embedding.ngram_embedding.weight", "embed", (rows, ple // heads)),
        ExtraTensor("ple.key_proj.weight", "other", (wide, ple)),
        ExtraTensor("ple.value_proj.weight", "other", (d, ple)),
        ExtraTensor("ple.norm_key.weight", "norm_embed", (wide,)),
        ExtraTensor("ple.norm_query.weight", "norm_embed", (wide,)),
        ExtraTensor("ple.norm_conv.weight", "norm_embed", (wide,)),
        ExtraTensor("ple.conv1d.weight", "other", (wide, 1, kernel)),
    )
    # conv state 1: the dilated convolution's window; conv state 2: the last n - 1 token ids
    return tensors, ((wide * (kernel - 1) * n, "model"), (n - 1, "int64"))


def _ple_layers(c: Cfg, n: int, types: list[str]) -> list[int]:
    ids = sorted(set(c.int_list("ple_layer_ids", minimum=1) or []))
    bad = [i for i in ids if i > n or types[i - 1] != "linear_attention"]
    if bad:
        raise ConfigError(f"{c.origin}: {c.prefix}ple_layer_ids: layer {bad[0]} is not a linear_attention layer "
                          f"of the {n} (ids are one-indexed)")
    if ids and c.raw("eos_token_id") in (None, []):
        raise ConfigError(f"{c.origin}: {c.prefix}eos_token_id: must be set when PLE layers are enabled")
    if not ids:
        c.touch("ple_embed_dim", "ple_conv_kernel_size", "ngram_size", "heads_per_ngram", "ngram_vocab_size_base",
                "make_ngram_vocab_size_divisible_by")
    return [i - 1 for i in ids]


def _text_stack(c: Cfg) -> tuple[StackSpec, int]:
    d = c.int("hidden_size")
    n = c.int("num_hidden_layers", minimum=0)
    types = _layer_types(c, n)
    heads, kv, head_dim = c.int("num_attention_heads"), c.int("num_key_value_heads"), c.int("head_dim")
    bias = c.bool("attention_bias", False)
    act = c.str("hidden_act", "silu")
    hc, rank = c.int("hc_count", minimum=2), c.int("hc_lowrank")
    moe = MoeSpec(num_experts=c.int("num_experts"), top_k=c.int("num_experts_per_tok"),
                  expert=MlpSpec(c.int("moe_intermediate_size"), gated=True, fused_gate_up=True, activation=act),
                  shared=MlpSpec(c.int("shared_expert_intermediate_size"), gated=True, activation=act),
                  num_shared_experts=1, shared_expert_gate=True, stacked=True)
    hyper = _hyper("attn_hyper_connection", d, hc, rank, True) + _hyper("mlp_hyper_connection", d, hc, rank, True)
    # seed (the hash multipliers), split_ngram_parts (checkpoint shards of the table), output_gate_type (an
    # activation name) and number_of_conv_states (derived from ple_layer_ids) change no shape
    c.touch("seed", "split_ngram_parts", "output_gate_type", "number_of_conv_states")
    if "indexed_attention" in types:
        qsa = _qsa(c)
    else:
        qsa = {}
        c.touch(*_QSA_KEYS)
    ple_at = {i: j for j, i in enumerate(_ple_layers(c, n, types))}
    deltanet = gated_deltanet(c, d, split=True) if "linear_attention" in types else None
    linear = LayerSpec(recurrent=deltanet, ffn=moe, extra=hyper) if deltanet is not None else None
    first_indexed = types.index("indexed_attention") if "indexed_attention" in types else -1
    # the first indexed layer's cache also keeps the position ids, so it is a layer kind of its own
    indexed = {first: LayerSpec(attention=AttentionSpec(
        heads, kv, head_dim, qkv_bias=bias, o_bias=bias, qk_norm="head", output_gate=True,
        cached_position_ids=_POSITION_ROWS if first else 0, **qsa), ffn=moe, extra=hyper)
        for first in (True, False)} if qsa else {}
    layers = []
    for i, t in enumerate(types):
        if t == "indexed_attention":
            layers.append(indexed[i == first_indexed])
        elif i in ple_at:
            tensors, state = _ple(c, d, hc, ple_at[i])
            layers.append(LayerSpec(recurrent=replace(deltanet, more_state=state), ffn=moe, extra=hyper + tensors))
        else:
            layers.append(linear)
    stack = StackSpec("decoder", d, tuple(layers), final_norm=None,
                      extra=_hyper("hyper_connection_mixer", d, hc, rank, False))
    return stack, d


def _lm(c: Cfg, model_type: str, *, name: str, architecture: str, head: str, tied: bool) -> ModelSpec:
    stack, d = _text_stack(c)
    return ModelSpec(
        name=name, architecture=architecture, model_type=model_type, hidden_size=d,
        embedding=EmbeddingSpec(c.int("vocab_size"), d, tied_head=tied and head == "lm"),
        stacks=(stack,), head=HeadSpec(kind=head), max_context=c.opt_int("max_position_embeddings"),
        dtype=c.str("torch_dtype") or c.str("dtype"), quantization=c.raw("quantization_config"))


def qwen4_exp_text(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Qwen4ExpForCausalLM (or the bare Qwen4ExpTextModel) from a qwen4_exp_text config."""
    t = _with_defaults(c, _TEXT_DEFAULTS)
    return _lm(t, model_type, name=name, architecture=architecture, head=head,
               tied=t.bool("tie_word_embeddings", False))


def _vision_tower(v: Cfg, out_default: int) -> tuple[StackSpec, tuple[ExtraTensor, ...]]:
    """Qwen4ExpVisionModel: a Conv3d patch embedding with bias, a learned position table of
    num_position_embeddings, depth blocks of LayerNorms, fused-qkv attention (biases) and a plain GELU MLP
    (biases), no final norm; its merger (Qwen4ExpVisionPatchMerger without the post-shuffle norm): a LayerNorm
    over hidden, then hidden x merge^2 -> hidden x merge^2 -> out_hidden_size, with biases."""
    d, heads = v.int("hidden_size"), v.int("num_heads")
    if d % heads:
        raise ConfigError(f"{v.origin}: {v.prefix}hidden_size {d} is not divisible by num_heads {heads}")
    for key in ("patch_size", "temporal_patch_size"):
        if isinstance(v.raw(key), list):
            raise UnsupportedArchitectureError(f"{v.origin}: {v.prefix}{key}: a per-axis patch size is not described")
    p, tp, m = v.int("patch_size"), v.int("temporal_patch_size"), v.int("spatial_merge_size")
    inter = v.int("intermediate_size")
    layer = LayerSpec(attention=AttentionSpec(heads, heads, d // heads, qkv_bias=True, o_bias=True, fused_qkv=True),
                      ffn=MlpSpec(inter, gated=False, bias=True, activation=v.str("hidden_act", "gelu_pytorch_tanh")),
                      norms=(layernorm("norm_attn_in", d), layernorm("norm_mlp_in", d)))
    extra = (ExtraTensor("patch_embed.weight", "patch_embed", (d, v.int("in_channels"), tp, p, p)),
             ExtraTensor("patch_embed.bias", "patch_embed", (d,)),
             ExtraTensor("pos_embed.weight", "pos_embed", (v.int("num_position_embeddings"), d)))
    tower = StackSpec("vision", d, (layer,) * v.int("depth", minimum=0), component="vision", causal=False,
                      extra=extra)
    merged, out = d * m * m, v.int("out_hidden_size", out_default)
    merger = (ExtraTensor("projector.norm.weight", "norm_embed", (d,)),
              ExtraTensor("projector.norm.bias", "norm_embed", (d,)),
              ExtraTensor("projector.fc1.weight", "other", (merged, merged)),
              ExtraTensor("projector.fc1.bias", "other", (merged,)),
              ExtraTensor("projector.fc2.weight", "other", (out, merged)),
              ExtraTensor("projector.fc2.bias", "other", (out,)))
    v.touch("rope_parameters")
    return tower, merger


def qwen4_exp(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """Qwen4ExpForConditionalGeneration (or the bare Qwen4ExpModel): the text model of text_config
    (qwen4_exp_text), the vision tower of vision_config and its merger; with architectures[0] Qwen4ExpForCausalLM
    (the causal-LM mapping's class for qwen4_exp), the text model alone, as AutoModelForCausalLM builds it from
    config.get_text_config()."""
    text = _with_defaults(c.sub("text_config", required=False) or c.with_data({}), _TEXT_DEFAULTS)
    tied = c.bool("tie_word_embeddings", False)
    c.touch("image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id")
    if architecture.endswith("ForCausalLM"):
        c.touch("vision_config")
        return replace(_lm(text, model_type, name=name, architecture=architecture, head=head,
                           tied=text.bool("tie_word_embeddings", False)),
                       dtype=c.str("torch_dtype") or c.str("dtype") or text.str("torch_dtype") or text.str("dtype"),
                       quantization=c.raw("quantization_config") or text.raw("quantization_config"))
    text.touch("tie_word_embeddings")
    lm = _lm(text, model_type, name=name, architecture=architecture, head=head, tied=tied)
    vision = _with_defaults(c.sub("vision_config", required=False) or c.with_data({}), _VISION_DEFAULTS)
    tower, merger = _vision_tower(vision, 3584)
    return replace(lm, stacks=lm.stacks + (tower,), extra=lm.extra + merger,
                   dtype=c.str("torch_dtype") or c.str("dtype") or lm.dtype,
                   quantization=c.raw("quantization_config") or lm.quantization)


ADAPTERS = {"qwen4_exp_text": qwen4_exp_text, "qwen4_exp": qwen4_exp}
