"""Measure llama.cpp itself on this machine's CPU and fit its speed constants (``calibrate --engine llama.cpp``).

A torch copy loop and an fp32 GEMM (calibrate.measure) describe the machine, not llama.cpp: on a 2-core AMD EPYC
VM (AVX-512) llama.cpp's F16 prefill ran at 1.8x torch's fp32 GEMM rate, its Q4_0 decode was bound by the dot
kernel rather than by memory, and its attention over a long context ran at a fraction of either rate. So the
calibration runs llama.cpp (through llama-cpp-python's C bindings) on small random-weight GGUF files written here
with the ``gguf`` package, and fits, relative to the torch profile (so perf's formulas stay the same):

- ``bandwidth_efficiency@<type>``: decode streams the weight matrices of each ggml type at
  (copy bandwidth x this): the dot kernel's rate on that type, dequantization included;
- ``prefill_compute_efficiency@<type>`` (and ``decode_compute_efficiency@<type>``, the same GEMM kernels once a
  decode batch is compute-bound): matmul FLOP/s on that type as a fraction of the fp32 GEMM rate;
- ``attention_decode_efficiency`` / ``attention_prefill_efficiency``: attention FLOP/s (QK^T and PV) as a
  fraction of the fp32 GEMM rate, from the same model run at a short and a long context;
- ``step_overhead_s`` / ``layer_overhead_s``: the fixed cost of a forward step and of each layer in it (graph
  build, thread barriers), from two tiny models that differ only in depth.

Each constant is fitted from the calibration models only (CALIBRATION_SHAPES); tests/test_llamacpp_speed.py then
predicts other models (other widths, depths, types, prompt lengths) and compares with llama.cpp's own timings.

Model of a step (perf.StepModel, with per-format constants): decode = step + layers x layer
+ sum over ggml types of bytes_t / (bw x eff_t) + attention FLOPs / (fp32 rate x attention_decode_efficiency);
prefill = steps x (step + layers x layer) + sum_t matmul FLOPs_t / (fp32 rate x eff_t) + attention FLOPs /
(fp32 rate x attention_prefill_efficiency).

Weights are rows of a small random pool (N(0, 0.02)), quantized by gguf.quants for the types it can quantize
(F16, Q8_0, Q4_0); Q4_K and Q6_K blocks are assembled with normal fp16 scales and random quants (gguf.quants
cannot quantize them): realistic magnitudes, no denormal or NaN slow paths.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from .errors import DependencyError, InputError

VOCAB = 320
#: ggml types the calibration measures (the matrices of a model; embeddings and head stay F16)
TYPES = ("f16", "q8_0", "q4_0", "q4_k", "q6_k")
_FILE_TYPE = {"f16": 1, "q4_0": 2, "q8_0": 7, "q4_k": 15, "q6_k": 18}  # llama_ftype of a file mostly of this type
LONG_CONTEXT = 2048  # tokens: the long context of the attention runs
SHORT_CONTEXT = 16
SHORT_PROMPT = 64  # tokens: the short prompt of the prefill-rate-vs-tokens runs
ROUNDS = 2  # timing rounds over the calibration models (the faster of each figure kept)


@dataclass(frozen=True)
class Shape:
    """A llama-architecture test model: widths, depth, heads and the ggml type of its layer matrices."""

    name: str
    n_embd: int
    n_ff: int
    n_layer: int
    n_head: int
    n_head_kv: int
    qtype: str


def _approx_layer_bytes(n_embd: int, n_ff: int, kv: int, qtype: str) -> float:
    bits = {"f16": 16, "q8_0": 8.5, "q4_0": 4.5, "q4_k": 4.5, "q6_k": 6.5625}[qtype]
    return (2 * n_embd * n_embd + 2 * n_embd * kv + 3 * n_embd * n_ff) * bits / 8


def calibration_shapes() -> list[Shape]:
    """Two tiny Q8_0 models (depth 2 and 8: the fixed costs; the deeper one also runs the long context) and, per
    type, a model of width 1024 with enough layers for >= 64 MB of matrices (beyond a typical last-level cache,
    so the rate is DRAM's, as for real models) and one of width 2048 (the rates' dependence on width)."""
    # the tiny models' attention: 4 heads of 64, one KV head each, so that at LONG_CONTEXT a layer's KV cache
    # (2 MiB in F16) no longer sits in a core's L2; grouped-query KV (1 KV head) fitted faster attention that
    # under-predicted a held-out model whose cache did not fit (+46% decode at 1,040 tokens)
    out = [Shape("cal-tiny-2", 256, 768, 2, 4, 4, "q8_0"), Shape("cal-tiny-8", 256, 768, 8, 4, 4, "q8_0")]
    for t in TYPES:
        per_layer = _approx_layer_bytes(1024, 2816, 256, t)
        out.append(Shape(f"cal-{t}", 1024, 2816, max(2, -(-64e6 // per_layer).__int__()), 16, 4, t))
        out.append(Shape(f"cal-{t}-w2048", 2048, 5632, 2, 32, 8, t))
    return out


def _np():
    try:
        import numpy as np
        import gguf  # noqa: F401
    except ImportError:
        raise DependencyError("calibrate --engine llama.cpp needs numpy and gguf: pip install 'paramscope[gguf]'") \
            from None
    return np


def _kquant_rows(np, rng, rows: int, cols: int, qtype: str):
    """Valid Q4_K / Q6_K rows (ggml-common.h block_q4_K: fp16 d, fp16 dmin, 12 scale bytes, 128 quant bytes per
    256 weights; block_q6_K: 128 low bits, 64 high bits, 16 int8 scales, fp16 d): small normal fp16 super-block
    scales and random quants and sub-scales, so every weight is finite and of a realistic size."""
    blocks = cols // 256
    pool_rows = min(rows, 64)
    if qtype == "q4_k":
        d = np.full((pool_rows, blocks, 2), 2e-4, dtype=np.float16).view(np.uint8)
        rest = rng.integers(0, 256, (pool_rows, blocks, 140), dtype=np.uint8)
        block = np.concatenate([d, rest], axis=2)
    else:
        q = rng.integers(0, 256, (pool_rows, blocks, 192), dtype=np.uint8)
        scales = rng.integers(1, 64, (pool_rows, blocks, 16), dtype=np.int8).view(np.uint8)
        d = np.full((pool_rows, blocks, 1), 2e-5, dtype=np.float16).view(np.uint8)
        block = np.concatenate([q, scales, d], axis=2)
    return np.resize(block.reshape(pool_rows, -1), (rows, block.shape[1] * block.shape[2]))


def _rows(np, rng, ne, qtype: str):
    """Tensor data for ggml shape ``ne`` (ne0 fastest) as the array gguf's writer takes."""
    import gguf

    rows, cols = int(np.prod(ne[1:])), ne[0]
    if qtype in ("q4_k", "q6_k"):
        return _kquant_rows(np, rng, rows, cols, qtype)
    pool = (rng.standard_normal((min(rows, 64), cols)) * 0.02).astype(np.float32)
    if qtype == "f16":
        pool = pool.astype(np.float16)
    else:
        pool = gguf.quants.quantize(pool, getattr(gguf.GGMLQuantizationType, qtype.upper()))
    return np.resize(pool, (rows, pool.shape[1]))


def write_gguf(path, s: Shape, seed: int = 0) -> None:
    """A llama GGUF of shape ``s`` with random weights and a byte-level toy tokenizer (VOCAB tokens)."""
    np = _np()
    import gguf

    Q = gguf.GGMLQuantizationType
    rng = np.random.default_rng(seed)
    head_dim = s.n_embd // s.n_head
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_name(f"speed-{s.name}")
    w.add_context_length(4096)
    w.add_embedding_length(s.n_embd)
    w.add_block_count(s.n_layer)
    w.add_feed_forward_length(s.n_ff)
    w.add_head_count(s.n_head)
    w.add_head_count_kv(s.n_head_kv)
    w.add_rope_dimension_count(head_dim)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_rope_freq_base(10000.0)
    w.add_vocab_size(VOCAB)
    w.add_file_type(_FILE_TYPE[s.qtype])
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    tokens += [f"t{i}" for i in range(VOCAB - len(tokens))]
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * VOCAB)
    w.add_token_types([2, 3, 3] + [6] * 256 + [1] * (VOCAB - 259))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    def add(name, ne, qtype="f16"):
        if qtype == "f32":
            w.add_tensor(name, np.ones(tuple(reversed(ne)), dtype=np.float32))
        elif qtype == "f16":
            w.add_tensor(name, _rows(np, rng, ne, qtype))
        else:
            w.add_tensor(name, _rows(np, rng, ne, qtype), raw_dtype=getattr(Q, qtype.upper()))

    d, kv = s.n_embd, s.n_head_kv * head_dim
    add("token_embd.weight", (d, VOCAB))
    add("output_norm.weight", (d,), "f32")
    add("output.weight", (d, VOCAB))
    for i in range(s.n_layer):
        p = f"blk.{i}."
        add(p + "attn_norm.weight", (d,), "f32")
        add(p + "attn_q.weight", (d, d), s.qtype)
        add(p + "attn_k.weight", (d, kv), s.qtype)
        add(p + "attn_v.weight", (d, kv), s.qtype)
        add(p + "attn_output.weight", (d, d), s.qtype)
        add(p + "ffn_norm.weight", (d,), "f32")
        add(p + "ffn_gate.weight", (d, s.n_ff), s.qtype)
        add(p + "ffn_up.weight", (d, s.n_ff), s.qtype)
        add(p + "ffn_down.weight", (s.n_ff, d), s.qtype)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def _llama_cpp():
    try:
        import llama_cpp
    except ImportError:
        raise DependencyError("calibrate --engine llama.cpp needs llama-cpp-python (pip install llama-cpp-python)") \
            from None
    return llama_cpp


_LOG_CB = None


def _quiet(llama_cpp) -> None:
    global _LOG_CB
    import ctypes

    if _LOG_CB is None:
        _LOG_CB = llama_cpp.llama_log_callback(lambda level, text, user_data: None)
    llama_cpp.llama_log_set(_LOG_CB, ctypes.c_void_p(0))


def _decode(llama_cpp, ctx, tokens, n_batch: int) -> None:
    for s in range(0, len(tokens), n_batch):
        chunk = tokens[s:s + n_batch]
        arr = (llama_cpp.llama_token * len(chunk))(*chunk)
        rc = llama_cpp.llama_decode(ctx, llama_cpp.llama_batch_get_one(arr, len(chunk)))
        if rc != 0:
            raise RuntimeError(f"llama_decode returned {rc}")
    llama_cpp.llama_synchronize(ctx)


def _low(xs: list[float]) -> float:
    """The 20th percentile of ``xs`` (nearest rank)."""
    ys = sorted(xs)
    return ys[max(0, int(0.2 * len(ys)) - 1)] if len(ys) >= 5 else ys[0]


def time_llamacpp(path, *, threads: int, prompts=(256,), decode_contexts=(256,), gen: int = 32,
                  runs: int = 3, n_batch: int = 512, passes: int = 3) -> dict:
    """llama.cpp's own speed on ``path`` (CPU only, n_threads = ``threads``, n_batch = n_ubatch = ``n_batch``):

    - ``prefill_s[p]``: seconds to decode a p-token prompt into an emptied cache (in n_batch pieces, as
      llama-server does), the FASTEST of ``runs`` after an untimed warm-up that pages every weight in;
    - ``decode_s[c]``: the 20th-percentile seconds of ``gen`` single-token steps after a c-token context, the
      lowest of ``passes`` passes (each refills the context).

    Fast runs, not medians: on a machine shared with other processes a run can only be slowed down by them
    (llama.cpp's threads spin on a barrier after every op, so a thread that loses its core stalls all the
    others), and the calibration and the runs it predicts must see the same, least disturbed, machine.
    - ``model_bytes``: llama_model_size.
    """
    llama_cpp = _llama_cpp()
    _quiet(llama_cpp)
    mp = llama_cpp.llama_model_default_params()
    mp.n_gpu_layers = 0
    # no repacked weight buffers: llama.cpp's CPU repack (AMX / AArch64 layouts) is an optional path, and it
    # crashed in llama_decode on one test machine (build 0c1e57098); the plain kernels read the GGUF as stored
    mp.use_extra_bufts = False
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), mp)
    if not model:
        raise InputError(f"{path}: llama.cpp could not load it")
    n_ctx = max(max(prompts), max(decode_contexts)) + gen + 16
    try:
        cp = llama_cpp.llama_context_default_params()
        cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max = n_ctx, n_batch, n_batch, 1
        cp.n_threads = cp.n_threads_batch = threads
        ctx = llama_cpp.llama_init_from_model(model, cp)
        if not ctx:
            raise InputError(f"{path}: llama.cpp could not create a context of {n_ctx} tokens")
        try:
            mem = llama_cpp.llama_get_memory(ctx)

            def tokens(n, k=7):
                return [3 + (k * i) % (VOCAB - 3) for i in range(n)]

            _decode(llama_cpp, ctx, tokens(min(64, n_batch)), n_batch)  # warm-up: weights paged in, threads up
            _decode(llama_cpp, ctx, [5], n_batch)
            prefill = {}
            for p in prompts:
                ts = []
                for _ in range(runs):
                    llama_cpp.llama_memory_clear(mem, True)
                    t0 = time.perf_counter()
                    _decode(llama_cpp, ctx, tokens(p), n_batch)
                    ts.append(time.perf_counter() - t0)
                prefill[p] = min(ts)
            decode = {}
            for c in decode_contexts:
                best = None
                for _ in range(passes):
                    llama_cpp.llama_memory_clear(mem, True)
                    _decode(llama_cpp, ctx, tokens(c), n_batch)
                    steps = []
                    for i in range(gen):
                        t0 = time.perf_counter()
                        _decode(llama_cpp, ctx, [3 + (11 * i) % (VOCAB - 3)], n_batch)
                        steps.append(time.perf_counter() - t0)
                    best = _low(steps) if best is None else min(best, _low(steps))
                decode[c] = best
        finally:
            llama_cpp.llama_free(ctx)
        size = int(llama_cpp.llama_model_size(model))
    finally:
        llama_cpp.llama_model_free(model)
    return {"prefill_s": prefill, "decode_s": decode, "model_bytes": size, "threads": threads}


# ----------------------------------------------------------------------------------------------- the fit


def costs(path, hw) -> dict:
    """What paramscope's step model charges for one model file, before any constant is applied: the bytes a
    decode step streams and the matmul FLOPs per token, by weight format; the layers; the step model itself
    (for attention FLOPs at any context)."""
    from .model import load_model
    from .perf import PerfOptions, step_model

    dep = PerfOptions(batch=1, prompt_tokens=SHORT_CONTEXT, gen_tokens=1, weights="native",
                      engine="llama.cpp").deployment(load_model(str(path)), hw)
    sm = step_model(dep, bandwidth_efficiency=1.0, compute_efficiency=1.0)
    return {"sm": sm, "stream": dict(sm.stream_bytes_by_format),
            "flops": {f: 2 * p for f, p in sm.matmul_params_by_format}, "layers": sm.layers}


def _half_width(r: float, d1: float, d2: float) -> float:
    """d0 of rate(d) = rate_max x d / (d + d0) from the rate ratio r = rate(d2) / rate(d1) (d2 > d1), clamped to
    [0, d1]: no dependence when the wider model is not faster, and at most the gain d2 / d1 x (2 d1) / (d1 + d2)
    (+33% from 1024 to 2048), so that noise in two timings cannot promise a large speed-up far beyond them."""
    k = d2 / d1  # r = k (d1 + d0) / (d2 + d0)  ->  d0 = d2 (r - 1) / (k - r)
    if r <= 1:
        return 0.0
    return min(d1, d2 * (r - 1) / (k - r)) if r < k else d1


def fit(measured: dict, cost: dict, bandwidth_bytes_per_s: float, fp32_flops_per_s: float) -> dict:
    """The constants from the calibration runs (``measured`` and ``cost`` keyed by Shape.name), in closed form:

    1. step and per-layer overhead (tiny models of depth 2 and 8) and the Q8_0 seconds per byte;
    2. attention in decode: the depth-8 tiny model at LONG_CONTEXT less at SHORT_CONTEXT, per attention FLOP;
    3. attention in prefill: the same model's LONG_CONTEXT prompt less 4x its 512-token prompt (llama.cpp runs
       both in 512-token batches, so their matmuls are the same work and cancel);
    4. per type, seconds per streamed byte in decode and matmul FLOP/s in a 256-token prefill, at width 1024
       and 2048: rate(d) = rate_max x d / (d + d0) gives each rate's asymptote and its half width d0
       (``decode_half_width@t``, ``prefill_half_width@t``); the prefill rate vs the tokens of a step likewise,
       from a 64-token prompt (``prefill_half_tokens@t``: q0 of rate(q) = rate_max x q / (q + q0)).

    Fixed costs are clamped at >= 0 and every rate is positive. Efficiencies are relative to the profile's
    ``bandwidth_bytes_per_s`` and ``fp32_flops_per_s``."""
    def decode_s(name, ctx=SHORT_CONTEXT):
        return measured[name]["decode_s"][ctx]

    # 1. fixed costs: the tiny models' bytes charged at the DRAM Q8_0 rate (an upper bound on their byte time, as
    #    they sit in cache, so the fixed costs come out low rather than high); three passes settle both
    t2, t8 = decode_s("cal-tiny-2"), decode_s("cal-tiny-8")
    b2, b8 = (sum(cost[n]["stream"].values()) for n in ("cal-tiny-2", "cal-tiny-8"))
    l2, l8 = cost["cal-tiny-2"]["layers"], cost["cal-tiny-8"]["layers"]
    bq = sum(cost["cal-q8_0"]["stream"].values())
    step = layer = 0.0
    for _ in range(3):
        s_q8 = max(decode_s("cal-q8_0") - step - cost["cal-q8_0"]["layers"] * layer, 1e-9) / bq
        layer = max(((t8 - b8 * s_q8) - (t2 - b2 * s_q8)) / (l8 - l2), 0.0)
        step = max(t2 - b2 * s_q8 - l2 * layer, 0.0)

    def fixed(name):
        return step + cost[name]["layers"] * layer

    # 2. attention in decode
    tiny = cost["cal-tiny-8"]["sm"]
    d_flops = (tiny.attention_flops(LONG_CONTEXT, LONG_CONTEXT + 1)
               - tiny.attention_flops(SHORT_CONTEXT, SHORT_CONTEXT + 1))
    d_t = max(decode_s("cal-tiny-8", LONG_CONTEXT) - decode_s("cal-tiny-8"), d_flops / (10 * fp32_flops_per_s))
    attn_dec = d_flops / d_t / fp32_flops_per_s
    # 3. attention in prefill
    n = LONG_CONTEXT // 512
    d_flops = tiny.attention_flops(0, LONG_CONTEXT) - n * tiny.attention_flops(0, 512)
    pf = measured["cal-tiny-8"]["prefill_s"]
    attn_pre = d_flops / max(pf[LONG_CONTEXT] - n * pf[512], d_flops / (10 * fp32_flops_per_s)) / fp32_flops_per_s

    # 4. per type and width; the other formats of a model (the F16 head, F32 norms) at F16's width-1024 rates
    sec_per_byte: dict = {}
    flops_per_s: dict = {}
    out = {"step_overhead_s": step, "layer_overhead_s": layer,
           "attention_decode_efficiency": attn_dec, "attention_prefill_efficiency": attn_pre}
    def prefill_rate(name, t, p):
        c = cost[name]
        t_attn = c["sm"].attention_flops(0, p) / (fp32_flops_per_s * attn_pre)
        t_rest = sum(f for ff, f in c["flops"].items() if ff != t) * p / flops_per_s.get("f16", fp32_flops_per_s)
        left = measured[name]["prefill_s"][p] - -(-p // 512) * fixed(name) - t_attn - t_rest
        return c["flops"][t] * p / max(left, 1e-9)

    for t in TYPES:
        rates = []
        for name in (f"cal-{t}", f"cal-{t}-w2048"):
            c = cost[name]
            rest_b = sum(b for f, b in c["stream"].items() if f != t) * sec_per_byte.get("f16", s_q8)
            spb = max(decode_s(name) - fixed(name) - rest_b, 1e-9) / c["stream"][t]
            rates.append((spb, prefill_rate(name, t, 256), c["sm"].hidden))
            if name == f"cal-{t}":
                sec_per_byte[t], flops_per_s[t] = spb, rates[-1][1]
        (s1, f1, d1), (s2, f2, d2) = rates
        dd, dp = _half_width(s1 / s2, d1, d2), _half_width(f2 / f1, d1, d2)
        # the prefill rate vs tokens per step: the same model's 64-token prompt, rate(q) = rate_max q / (q + q0)
        q0 = _half_width(f1 / prefill_rate(f"cal-{t}", t, SHORT_PROMPT), SHORT_PROMPT, 256)
        out[f"bandwidth_efficiency@{t}"] = 1.0 / (s1 * bandwidth_bytes_per_s) * (d1 + dd) / d1
        out[f"decode_half_width@{t}"] = dd
        out[f"prefill_compute_efficiency@{t}"] = f1 / fp32_flops_per_s * (d1 + dp) / d1 * (256 + q0) / 256
        out[f"prefill_half_width@{t}"] = dp
        out[f"prefill_half_tokens@{t}"] = q0
        # batched decode runs the prefill's GEMM kernels
        out[f"decode_compute_efficiency@{t}"] = out[f"prefill_compute_efficiency@{t}"]
    # formats the calibration did not run (Q5_K, IQ4_XS, F32 norms, ...): the median of the measured types
    for key in ("bandwidth_efficiency", "decode_half_width", "prefill_compute_efficiency", "prefill_half_width",
                "prefill_half_tokens", "decode_compute_efficiency"):
        out[key] = statistics.median(out[f"{key}@{t}"] for t in TYPES)
    # the per-format figures already include dequantization
    out["dequant_bandwidth_factor"] = out["dequant_bandwidth_factor_legacy"] = out["quant_prefill_factor"] = 1.0
    return out


def default_threads() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def calibrate(hw, *, threads: int | None = None, workdir: str | Path | None = None, runs: int = 3,
              between_rounds=None) -> dict:
    """Run the calibration models through llama.cpp on this CPU and fit the constants relative to ``hw`` (the
    torch profile of the same machine, calibrate.measure / profile_record). Returns {"constants": {...},
    "measured": {name: timings}, "threads": n}; the files are written to ``workdir`` (a temporary folder by
    default) and deleted after use. ``between_rounds(i)``, when given, runs after each timing round (a
    validation times its own models there, so that both see the machine in the same spells)."""
    import tempfile

    threads = threads or default_threads()
    if threads < 1:
        raise InputError(f"--threads must be >= 1, got {threads}")
    measured, cost = {}, {}
    with tempfile.TemporaryDirectory(dir=workdir) as d:
        shapes = calibration_shapes()
        for s in shapes:
            write_gguf(Path(d) / f"{s.name}.gguf", s)
            cost[s.name] = costs(Path(d) / f"{s.name}.gguf", hw)
        # two rounds over all the models, the faster timing of each kept: a slow spell of the machine (another
        # process, a neighbour on the same host) then has to last the whole calibration to bias a type's rate
        for i in range(ROUNDS):
            if i and between_rounds is not None:
                between_rounds(i - 1)
            for s in shapes:
                long = s.name == "cal-tiny-8"
                tiny = s.name.startswith("cal-tiny")  # sub-millisecond steps: many more of them, cheaply
                t = time_llamacpp(
                    Path(d) / f"{s.name}.gguf", threads=threads, runs=runs, gen=64 if tiny else 16,
                    passes=5 if tiny else 3,
                    prompts=(256, 512, LONG_CONTEXT) if long else
                    ((SHORT_PROMPT, 256) if not s.name.endswith("-w2048") else (256,)),
                    decode_contexts=(SHORT_CONTEXT, LONG_CONTEXT) if long else (SHORT_CONTEXT,))
                measured[s.name] = t if s.name not in measured else faster(measured[s.name], t)
        if between_rounds is not None:
            between_rounds(ROUNDS - 1)
    constants = fit(measured, cost, hw.memory_bandwidth_bytes_per_s, hw.peak_flops_per_s["fp32"])
    return {"constants": constants, "measured": measured, "threads": threads, "types": list(TYPES),
            "llama_cpp": _version()}


def faster(a: dict, b: dict) -> dict:
    """Two timings of one model: the faster of each figure."""
    out = dict(a)
    for key in ("prefill_s", "decode_s"):
        out[key] = {k: min(a[key][k], b[key][k]) for k in a[key]}
    return out


def _version() -> str:
    try:
        from importlib.metadata import version

        return f"llama-cpp-python {version('llama_cpp_python')}"
    except Exception:  # noqa: BLE001 -- a version string is informational only
        return "llama-cpp-python"


def engine_record(rec: dict, result: dict) -> dict:
    """The profile record ``rec`` with the llama.cpp constants of ``result`` (calibrate()) and their source."""
    out = dict(rec)
    out["engine_speed"] = {"llama.cpp": {k: float(v) for k, v in result["constants"].items()}}
    out["sources"] = dict(rec["sources"])
    out["sources"]["engine_speed"] = (
        f"measured by paramscope calibrate --engine llama.cpp: {result['llama_cpp']}, {result['threads']} thread(s), "
        f"{len(result['measured'])} generated llama models ({', '.join(result['types'])}; widths 256-2048); "
        "fitted in closed form (paramscope.calibrate_llamacpp.fit)")
    return out
