"""DeepSeek-V4 (transformers 5.23 deepseek_v4/configuration_deepseek_v4.py and modeling_deepseek_v4.py;
paper: DeepSeek-V4, https://huggingface.co/deepseek-ai/DeepSeek-V4-Flash-Base).

Every layer is a DeepseekV4DecoderLayer: two hyper-connections (attn_hc, ffn_hc) around a sliding-window
shared-KV attention (DeepseekV4Attention) and a routed + shared MoE (DeepseekV4SparseMoeBlock). The attention's
layer type adds a KV compressor:

- ``sliding_attention``: none; the cache is a DynamicSlidingWindowLayer (keys and values apart);
- ``heavily_compressed_attention`` (HCA): DeepseekV4HCACompressor pools every compress_rates[HCA] tokens into one
  head_dim entry appended to the keys; cache DeepseekV4HCACache (keys are the values: one tensor);
- ``compressed_sparse_attention`` (CSA): DeepseekV4CSACompressor (two overlapping series, 2 x head_dim
  projections) plus its DeepseekV4Indexer (the same pooling at index_head_dim, a q_b_proj from the q latent and the
  scorer's weights_proj) that picks index_topk entries per query; cache DeepseekV4CSACache.

The feed-forward is ``hash_moe`` (DeepseekV4HashRouter: a learned gate weight, experts chosen by the tid2eid
buffer) or ``moe`` (DeepseekV4TopKRouter with the e_score_correction_bias buffer), always with one shared
DeepseekV4MLP of moe_intermediate_size (n_shared_experts does not change it). Unweighted RMSNorms (q_b_norm, the
hyper-connections' input norms) store nothing.

Exact (tests/test_deepseek_v4.py): the parameters tensor by tensor; the KV cache of engine transformers
(memory/kv.py, KvCompressorSpec); the weight-matrix FLOPs and the attention FLOPs over the window, the compressed
entries and the indexer's scores (compute.py). Refused: the KV cache of other engines (their layouts of this cache
are not described) and the speed model (perf.py has no term for the compressed attention). Not described: the
hash router's tid2eid buffer [vocab, top_k] (int64, loaded from the checkpoint, not a parameter); the MTP layers
(num_nextn_predict_layers; transformers does not build them); in activation memory the hc_mult-wide residual
streams and the compressors' intermediates; in weight memory the float32 that from_pretrained keeps for norms,
hyper-connections, sinks and position biases (_keep_in_fp32_modules_strict). Elementwise work (Sinkhorn
iterations, the compressors' softmax pooling, RoPE) is not in the FLOPs, as for every family.
"""

from __future__ import annotations

from ..errors import ConfigError
from ..spec import (
    AttentionSpec,
    ExtraTensor,
    KvCompressorSpec,
    LayerSpec,
    MlpSpec,
    ModelSpec,
    MoeSpec,
    NormSpec,
    StackSpec,
)
from .config_access import Cfg
from .hybrids_more import _lm_spec, hyper_connection_tensors, hyper_head_tensors

SLIDING, CSA, HCA = "sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention"
_RATIO_TYPE = {0: SLIDING, 4: CSA, 128: HCA}  # configuration_deepseek_v4.py _COMPRESS_RATIO_TO_LAYER_TYPE
_DEFAULT_RATES = {CSA: 4, HCA: 128}
_HASH_LAYERS = 3  # DeepseekV4Config.default_num_hash_layers


def _compress_rates(c: Cfg) -> dict[str, int]:
    """DeepseekV4Config.__post_init__: compress_rates (default CSA 4, HCA 128), legacy compress_rate_csa /
    compress_rate_hca folded in over it."""
    raw = c.raw("compress_rates")
    if raw is None:
        rates = dict(_DEFAULT_RATES)
    elif isinstance(raw, dict) and all(isinstance(v, int) and not isinstance(v, bool) for v in raw.values()):
        rates = dict(raw)
    else:
        raise ConfigError(f"{c.origin}: compress_rates: expected a mapping of layer type to an integer, got {raw!r}")
    for key, kind in (("compress_rate_csa", CSA), ("compress_rate_hca", HCA)):
        v = c.opt_int(key)
        if v is not None:
            rates[kind] = v
    return rates


def _layer_types(c: Cfg, n: int) -> list[str]:
    """layer_types, else legacy compress_ratios (0 / 4 / 128 per layer), else 2 x HCA then HCA / CSA alternating
    (the default starts HCA, HCA, HCA, CSA, ...); a longer list is cut to num_hidden_layers."""
    types = c.str_list("layer_types")
    ratios = c.int_list("compress_ratios")
    if types is None and ratios is not None:
        bad = [r for r in ratios if r not in _RATIO_TYPE]
        if bad:
            raise ConfigError(f"{c.origin}: compress_ratios: {bad} are not 0, 4 or 128 (transformers maps only those)")
        types = [_RATIO_TYPE[r] for r in ratios]
    if types is None:
        types = [HCA] * min(n, 2) + [CSA if i % 2 else HCA for i in range(max(n - 2, 0))]
    types = types[:n]
    if len(types) != n or not set(types) <= {SLIDING, CSA, HCA}:
        raise ConfigError(f"{c.origin}: layer_types: expected {n} entries of {SLIDING}/{CSA}/{HCA}, got {types!r}")
    return types


def _mlp_layer_types(c: Cfg, n: int) -> list[str]:
    """mlp_layer_types, else the first num_hash_layers (default 3) hash_moe and moe after them."""
    types = c.str_list("mlp_layer_types")
    k = c.int("num_hash_layers", _HASH_LAYERS, minimum=0)  # legacy; ignored beside mlp_layer_types
    if types is None:
        types = ["hash_moe"] * min(n, k) + ["moe"] * max(0, n - k)
    types = types[:n]
    if len(types) != n or not set(types) <= {"hash_moe", "moe"}:
        raise ConfigError(f"{c.origin}: mlp_layer_types: expected {n} entries of hash_moe/moe, got {types!r}")
    return types


def _pooling(prefix: str, role: str, d: int, width: int, rate: int, series: int) -> list[ExtraTensor]:
    """One compressor's pooling tensors: kv_proj and gate_proj [series x width, hidden], position_bias
    [rate, series x width] (added to the gate logits) and kv_norm [width] (DeepseekV4HCACompressor: series 1;
    DeepseekV4CSACompressor and DeepseekV4Indexer: series 2)."""
    return [ExtraTensor(f"{prefix}.kv_proj.weight", role, (series * width, d)),
            ExtraTensor(f"{prefix}.gate_proj.weight", role, (series * width, d)),
            ExtraTensor(f"{prefix}.position_bias", "attn_compressor_bias", (rate, series * width)),
            ExtraTensor(f"{prefix}.kv_norm.weight", role, (width,))]


def _attention(c: Cfg, kind: str, d: int, rates: dict[str, int]) -> AttentionSpec:
    """DeepseekV4Attention: q_a_proj [q_lora_rank, hidden], q_a_norm, q_b_proj [heads x head_dim, q_lora_rank]
    (then an unweighted per-head RMSNorm), kv_proj [head_dim, hidden] (one KV head; the keys are also the values),
    kv_norm [head_dim], o_a_proj (DeepseekV4GroupedLinear: [o_groups x o_lora_rank, heads x head_dim // o_groups],
    one block per group), o_b_proj [hidden, o_groups x o_lora_rank], sinks [heads]; plus the layer type's
    compressor (see the module docstring)."""
    heads, hd, q_rank = c.int("num_attention_heads", 64), c.int("head_dim", 512), c.int("q_lora_rank", 1024)
    groups, o_rank = c.int("o_groups", 8), c.int("o_lora_rank", 1024)
    t = [ExtraTensor("attn.q_a_proj.weight", "attn_q_a", (q_rank, d)),
         ExtraTensor("attn.q_a_norm.weight", "norm_q_a", (q_rank,)),
         ExtraTensor("attn.q_b_proj.weight", "attn_q_b", (heads * hd, q_rank)),
         ExtraTensor("attn.kv_proj.weight", "attn_k", (hd, d)),
         ExtraTensor("attn.kv_norm.weight", "norm_k", (hd,)),
         ExtraTensor("attn.o_a_proj.weight", "attn_o", (groups * o_rank, heads * hd // groups)),
         ExtraTensor("attn.o_b_proj.weight", "attn_o", (d, groups * o_rank)),
         ExtraTensor("attn.sinks", "attn_sinks", (heads,))]
    compressors: tuple[KvCompressorSpec, ...] = ()
    if kind == HCA:
        rate = _rate(c, rates, HCA)
        t += _pooling("attn.compressor", "attn_compressor", d, hd, rate, 1)
        compressors = (KvCompressorSpec(rate, hd),)
    elif kind == CSA:
        rate = _rate(c, rates, CSA)
        ih, ihd = c.int("index_n_heads", 64), c.int("index_head_dim", 128)
        t += _pooling("attn.compressor", "attn_compressor", d, hd, rate, 2)
        t += _pooling("attn.compressor.indexer", "attn_indexer", d, ihd, rate, 2)
        t += [ExtraTensor("attn.compressor.indexer.q_b_proj.weight", "attn_indexer", (ih * ihd, q_rank)),
              ExtraTensor("attn.compressor.indexer.scorer.weights_proj.weight", "attn_indexer", (ih, d))]
        compressors = (KvCompressorSpec(rate, hd, overlap=True, topk=c.int("index_topk", 512)),
                       KvCompressorSpec(rate, ihd, overlap=True, score_heads=ih))
    if c.present("sliding_window") and c.raw("sliding_window") is None:
        raise ConfigError(f"{c.origin}: sliding_window: null, but every DeepSeek-V4 layer caches a sliding window "
                          "(DeepseekV4HCACache / DynamicSlidingWindowLayer need its length)")
    window = c.int("sliding_window", 128)
    if window < 2:  # DynamicSlidingWindowLayer / DeepseekV4HCACache keep full[:, :, -window + 1:]: all tokens at 1
        raise ConfigError(f"{c.origin}: sliding_window: {window}; transformers' sliding caches then keep every token "
                          "(a -0 slice), which is not described")
    return AttentionSpec(heads, 1, hd, sinks=True, window=window, tensors=tuple(t), compressors=compressors,
                         kv_cached_once=kind != SLIDING)


def _rate(c: Cfg, rates: dict[str, int], kind: str) -> int:
    if kind not in rates:
        raise ConfigError(f"{c.origin}: compress_rates has no rate for {kind}, which layer_types uses")
    return rates[kind]


def _moe(c: Cfg, d: int, hashed: bool) -> MoeSpec:
    """DeepseekV4SparseMoeBlock: the router weight [experts, hidden] (DeepseekV4TopKRouter also holds the
    e_score_correction_bias buffer; DeepseekV4HashRouter the tid2eid buffer, not described), DeepseekV4Experts
    (gate_up_proj [experts, 2 x moe_intermediate_size, hidden], described as each expert's gate and up as the
    checkpoint stores them; down_proj [experts, hidden, moe_intermediate_size]; no biases) and one shared
    DeepseekV4MLP of moe_intermediate_size with mlp_bias."""
    width = c.int(("moe_intermediate_size", "intermediate_size"), 2048)
    act = c.str("hidden_act", "silu")
    return MoeSpec(num_experts=c.int(("n_routed_experts", "num_local_experts"), 256),
                   top_k=c.int("num_experts_per_tok", 6),
                   expert=MlpSpec(width, gated=True, activation=act),
                   shared=MlpSpec(width, gated=True, bias=c.bool("mlp_bias", False), activation=act),
                   num_shared_experts=1, score_correction_bias=not hashed, stacked=True)


def deepseek_v4(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """DeepseekV4ForCausalLM / DeepseekV4Model (see the module docstring)."""
    d = c.int("hidden_size", 4096)
    n = c.int("num_hidden_layers", 43, minimum=0)
    hc = c.int("hc_mult", 4)
    rates = _compress_rates(c)
    kinds, mlps = _layer_types(c, n), _mlp_layer_types(c, n)
    # shape-neutral: one KV head whatever num_key_value_heads says (DeepseekV4Attention), attention_bias is read by
    # no module, the rest are router / RoPE / Sinkhorn constants; the MTP layers are not built by transformers
    c.touch("num_key_value_heads", "attention_bias", "n_shared_experts", "scoring_func", "norm_topk_prob",
            "routed_scaling_factor", "swiglu_limit", "hc_sinkhorn_iters", "hc_eps", "partial_rotary_factor",
            "qk_rope_head_dim", "compress_rope_theta", "num_nextn_predict_layers", "expert_dtype")
    if CSA not in kinds:  # only CSA layers build an indexer
        c.touch("index_n_heads", "index_head_dim", "index_topk")
    norms = (NormSpec("norm_attn_in", d), NormSpec("norm_mlp_in", d))
    extra = hyper_connection_tensors(hc, d, (2 + hc) * hc, 3)
    attn = {k: _attention(c, k, d, rates) for k in dict.fromkeys(kinds)}
    moe = {m: _moe(c, d, m == "hash_moe") for m in dict.fromkeys(mlps)}
    blocks = {key: LayerSpec(attention=attn[key[0]], ffn=moe[key[1]], norms=norms, extra=extra)
              for key in dict.fromkeys(zip(kinds, mlps))}
    layers = tuple(blocks[key] for key in zip(kinds, mlps))
    stack = StackSpec("decoder", d, layers, final_norm=NormSpec("norm_final", d))
    return _lm_spec(c, model_type, name=name, architecture=architecture, head=head, hidden=d,
                    vocab=c.int("vocab_size", 129280), stacks=(stack,), tied=c.bool("tie_word_embeddings", False),
                    max_context=c.opt_int("max_position_embeddings"), extra=hyper_head_tensors(hc, d),
                    warnings=(_NOT_DESCRIBED,))


# what the memory figures leave out (the parameter counts, the transformers KV cache and the FLOPs are exact)
_NOT_DESCRIBED = ("deepseek_v4: activation memory leaves out the hc_mult residual streams and the KV compressors' "
                  "window intermediates; weight memory counts every tensor in the checkpoint dtype, while "
                  "from_pretrained keeps the norms, hyper-connections, sinks and position biases in float32")


ADAPTERS: dict = {"deepseek_v4": deepseek_v4}
