"""llama.cpp itself as the oracle for the memory it allocates (weights, KV cache, sliding-window cache).

Tiny GGUF files with random weights are written with the ``gguf`` package (llama, qwen2 with tied
embeddings and q/k/v biases, gemma2 with a sliding window on every other layer, qwen2moe with routed and
shared experts; one file has Q8_0 attention matrices), loaded on the CPU by llama.cpp through
llama-cpp-python's C bindings (llama_model_load_from_file / llama_init_from_model) with explicit context
parameters, and what llama.cpp reports is compared with paramscope:

- weights: ``llama_model_size`` (the exact sum of ggml_nbytes of the loaded tensors) == paramscope's native
  weight bytes for the file, to the byte;
- KV cache: every ``llama_kv_cache: size = ... MiB (N cells, L layers, s/n seqs), K (type): ... MiB,
  V (type): ... MiB`` line llama.cpp logs (one per cache: non-SWA and SWA for gemma2): the cell count
  (cells per stream x streams) and the layer count equal paramscope's exactly, and paramscope's bytes
  printed the way llama.cpp prints them (%.2f of bytes / 2^20) equal the printed K, V and total figures;
  ``llama_n_ctx`` equals paramscope's cell count;
- compute buffer: reported (paramscope has no model of ggml's allocator peak; docs/engines.md 2.8).

Cases vary n_ctx (multiples of 256 and not), parallel sequences with and without a unified cache, KV types
f16 / q8_0 / q4_0 (K and V separately), n_batch / n_ubatch and swa_full.

llama-cpp-python is built from its sdist by ``scripts/setup.sh test``; without it this module is skipped.
"""

from __future__ import annotations

import ctypes
import re
from dataclasses import dataclass

import pytest

np = pytest.importorskip("numpy")
gguf = pytest.importorskip("gguf")
llama_cpp = pytest.importorskip("llama_cpp")

from gguf import GGMLQuantizationType as Q  # noqa: E402

from paramscope.memory.kv import KvOptions, kv_cache  # noqa: E402
from paramscope.memory.weights import weight_report  # noqa: E402
from paramscope.model import from_config, load_model  # noqa: E402

MiB = 1024 * 1024
VOCAB = 320  # 3 control tokens + 256 byte tokens + 61 normal tokens

# --------------------------------------------------------------------------------------- GGUF writing


@dataclass(frozen=True)
class Arch:
    arch: str
    n_embd: int
    n_head: int
    n_head_kv: int
    head_dim: int
    n_ff: int
    n_layer: int
    qkv_bias: bool = False
    tied: bool = False
    n_swa: int = 0
    n_expert: int = 0
    n_expert_used: int = 0
    n_ff_exp: int = 0
    n_ff_shexp: int = 0
    attn_type: int = Q.F16


ARCHS = {
    "llama": Arch("llama", 128, 4, 2, 32, 256, 3, attn_type=Q.Q8_0),
    "qwen2": Arch("qwen2", 128, 4, 1, 32, 192, 2, qkv_bias=True, tied=True),
    "gemma2": Arch("gemma2", 128, 4, 2, 64, 256, 4, tied=True, n_swa=96),
    "qwen2moe": Arch("qwen2moe", 128, 4, 2, 32, 256, 2, n_expert=4, n_expert_used=2, n_ff_exp=64,
                     n_ff_shexp=96),
}


def _vocab(w) -> None:
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    tokens += [f"t{i}" for i in range(VOCAB - len(tokens))]
    types = [2, 3, 3] + [6] * 256 + [1] * (VOCAB - 259)  # UNKNOWN, CONTROL, BYTE, NORMAL (llama-vocab.h)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * VOCAB)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)


def write_gguf(path, a: Arch, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    w = gguf.GGUFWriter(str(path), a.arch)
    w.add_name(f"tiny-{a.arch}")
    w.add_context_length(4096)
    w.add_embedding_length(a.n_embd)
    w.add_block_count(a.n_layer)
    w.add_feed_forward_length(a.n_ff)
    w.add_head_count(a.n_head)
    w.add_head_count_kv(a.n_head_kv)
    w.add_key_length(a.head_dim)
    w.add_value_length(a.head_dim)
    w.add_rope_dimension_count(a.head_dim)
    w.add_layer_norm_rms_eps(1e-6)
    w.add_rope_freq_base(10000.0)
    w.add_vocab_size(VOCAB)
    w.add_file_type(1)  # MOSTLY_F16
    if a.n_swa:
        w.add_sliding_window(a.n_swa)
    if a.n_expert:
        w.add_expert_count(a.n_expert)
        w.add_expert_used_count(a.n_expert_used)
        w.add_expert_feed_forward_length(a.n_ff_exp)
        w.add_expert_shared_feed_forward_length(a.n_ff_shexp)
    _vocab(w)

    def add(name, ne, qtype=Q.F16):
        """ne in ggml order (ne0 fastest); numpy wants the reverse."""
        x = (rng.standard_normal(tuple(reversed(ne))) * 0.02).astype(np.float32)
        if qtype == Q.F32:
            w.add_tensor(name, x)
        elif qtype == Q.F16:
            w.add_tensor(name, x.astype(np.float16))
        else:
            data = gguf.quants.quantize(x, qtype)
            w.add_tensor(name, data, raw_dtype=qtype)

    d, q_dim, kv_dim = a.n_embd, a.n_head * a.head_dim, a.n_head_kv * a.head_dim
    add("token_embd.weight", (d, VOCAB))
    add("output_norm.weight", (d,), Q.F32)
    if not a.tied:
        add("output.weight", (d, VOCAB))
    for i in range(a.n_layer):
        p = f"blk.{i}."
        add(p + "attn_norm.weight", (d,), Q.F32)
        add(p + "attn_q.weight", (d, q_dim), a.attn_type)
        add(p + "attn_k.weight", (d, kv_dim), a.attn_type)
        add(p + "attn_v.weight", (d, kv_dim), a.attn_type)
        add(p + "attn_output.weight", (q_dim, d), a.attn_type)
        if a.qkv_bias:
            add(p + "attn_q.bias", (q_dim,), Q.F32)
            add(p + "attn_k.bias", (kv_dim,), Q.F32)
            add(p + "attn_v.bias", (kv_dim,), Q.F32)
        add(p + "ffn_norm.weight", (d,), Q.F32)
        if a.arch == "gemma2":
            add(p + "post_attention_norm.weight", (d,), Q.F32)
            add(p + "post_ffw_norm.weight", (d,), Q.F32)
        if a.n_expert:
            add(p + "ffn_gate_inp.weight", (d, a.n_expert), Q.F32)
            add(p + "ffn_gate_exps.weight", (d, a.n_ff_exp, a.n_expert))
            add(p + "ffn_up_exps.weight", (d, a.n_ff_exp, a.n_expert))
            add(p + "ffn_down_exps.weight", (a.n_ff_exp, d, a.n_expert))
            add(p + "ffn_gate_inp_shexp.weight", (d,), Q.F32)
            add(p + "ffn_gate_shexp.weight", (d, a.n_ff_shexp))
            add(p + "ffn_up_shexp.weight", (d, a.n_ff_shexp))
            add(p + "ffn_down_shexp.weight", (a.n_ff_shexp, d))
        else:
            add(p + "ffn_gate.weight", (d, a.n_ff))
            add(p + "ffn_up.weight", (d, a.n_ff))
            add(p + "ffn_down.weight", (a.n_ff, d))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def hf_config(a: Arch) -> dict:
    """The same architecture as a config.json (gemma2: paramscope's GGUF reader does not rebuild it)."""
    cfg = dict(hidden_size=a.n_embd, intermediate_size=a.n_ff, num_hidden_layers=a.n_layer,
               num_attention_heads=a.n_head, num_key_value_heads=a.n_head_kv, head_dim=a.head_dim,
               vocab_size=VOCAB, torch_dtype="float16", max_position_embeddings=4096,
               tie_word_embeddings=a.tied)
    if a.arch == "gemma2":
        return dict(cfg, model_type="gemma2", architectures=["Gemma2ForCausalLM"], sliding_window=a.n_swa)
    assert a.arch == "qwen2"  # q/k/v biases are part of the architecture
    return dict(cfg, model_type="qwen2", architectures=["Qwen2ForCausalLM"])


@pytest.fixture(scope="module")
def gguf_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("ggufs")
    out = {}
    for name, a in ARCHS.items():
        out[name] = d / f"{name}.gguf"
        write_gguf(out[name], a)
    return out


# --------------------------------------------------------------------------------------- llama.cpp runs

_LOG: list[str] = []


@llama_cpp.llama_log_callback
def _log_cb(level, text, user_data):  # llama.cpp's log, line pieces, captured in-process
    _LOG.append(text.decode("utf-8", "replace"))


GGML_TYPE = {"f16": 1, "q4_0": 2, "q8_0": 8, "f32": 0}  # ggml.h enum ggml_type


@dataclass
class Run:
    log: str
    model_size: int
    n_ctx: int
    n_ctx_seq: int
    caches: list[dict]
    compute_mib: float


_KV_LINE = re.compile(r"llama_kv_cache: size = +([\d.]+) MiB \( *(\d+) cells, +(\d+) layers, +(\d+)/ *(\d+) seqs\), "
                      r"K \((\w+)\): +([\d.]+) MiB, V \((\w+)\): +([\d.]+) MiB")
_COMPUTE = re.compile(r"CPU compute buffer size = +([\d.]+) MiB")


def run_llamacpp(path, *, n_ctx, n_seq=1, unified=False, type_k="f16", type_v="f16", n_batch=2048,
                 n_ubatch=512, swa_full=False) -> Run:
    _LOG.clear()
    llama_cpp.llama_log_set(_log_cb, ctypes.c_void_p(0))
    mp = llama_cpp.llama_model_default_params()
    mp.n_gpu_layers = 0
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), mp)
    assert model, "".join(_LOG)
    try:
        cp = llama_cpp.llama_context_default_params()
        cp.n_ctx, cp.n_batch, cp.n_ubatch, cp.n_seq_max = n_ctx, n_batch, n_ubatch, n_seq
        cp.kv_unified, cp.swa_full = unified, swa_full
        cp.type_k, cp.type_v = GGML_TYPE[type_k], GGML_TYPE[type_v]
        cp.n_threads = cp.n_threads_batch = 1
        ctx = llama_cpp.llama_init_from_model(model, cp)
        assert ctx, "".join(_LOG)
        try:
            n, n_seq_ctx = llama_cpp.llama_n_ctx(ctx), llama_cpp.llama_n_ctx_seq(ctx)
        finally:
            llama_cpp.llama_free(ctx)
        size = llama_cpp.llama_model_size(model)
    finally:
        llama_cpp.llama_model_free(model)
    log = "".join(_LOG)
    caches = [dict(total=float(m[1]), cells=int(m[2]), layers=int(m[3]), seqs=int(m[4]), streams=int(m[5]),
                   type_k=m[6], k=float(m[7]), type_v=m[8], v=float(m[9])) for m in _KV_LINE.finditer(log)]
    comp = [float(x) for x in _COMPUTE.findall(log)]
    return Run(log, size, n, n_seq_ctx, caches, max(comp) if comp else float("nan"))


def _printed(nbytes: int) -> float:
    return float(f"{nbytes / MiB:.2f}")


def _spec_for(name, path):
    """paramscope's architecture from the GGUF header where its reader rebuilds one, else from a config."""
    spec = load_model(str(path)).spec
    if spec is None and name in ("gemma2", "qwen2"):
        spec = from_config(hf_config(ARCHS[name])).spec
    assert spec is not None, name
    return spec


# (model, n_ctx per sequence, sequences, unified, type_k, type_v, n_batch, n_ubatch, swa_full)
CASES = [
    ("llama", 512, 1, False, "f16", "f16", 2048, 512, False),
    ("llama", 1000, 1, False, "f16", "f16", 2048, 512, False),      # padded to 1024
    ("llama", 300, 3, False, "q8_0", "q8_0", 2048, 512, False),      # 3 streams of pad(1024 / 3) = 512
    ("llama", 300, 3, True, "q8_0", "f16", 2048, 512, False),        # one unified stream of 1024
    ("qwen2", 777, 1, False, "q4_0", "q4_0", 2048, 128, False),
    ("qwen2", 2049, 2, False, "f16", "q8_0", 512, 512, False),
    ("qwen2moe", 1500, 1, False, "q8_0", "q4_0", 2048, 512, False),
    ("qwen2moe", 257, 4, True, "f16", "f16", 2048, 512, False),
    ("gemma2", 4000, 1, False, "f16", "f16", 2048, 512, False),      # SWA: pad(96 + 512) = 768
    ("gemma2", 4000, 1, False, "f16", "f16", 2048, 64, False),       # SWA: pad(96 + 64) = 256
    ("gemma2", 200, 1, False, "q8_0", "q8_0", 2048, 512, False),      # SWA capped by n_ctx (256)
    ("gemma2", 1000, 3, False, "f16", "f16", 100, 512, False),       # n_ubatch capped by n_batch; 3 streams
    ("gemma2", 1000, 3, True, "q4_0", "q4_0", 2048, 300, False),     # unified: n_swa x 3 + n_ubatch
    ("gemma2", 1000, 2, False, "f16", "f16", 2048, 512, True),       # swa_full: SWA cache = full cache
]


def _ids(c):
    return f"{c[0]}-ctx{c[1]}x{c[2]}{'u' if c[3] else ''}-{c[4]}-{c[5]}-b{c[6]}-ub{c[7]}{'-swafull' if c[8] else ''}"


@pytest.mark.parametrize("case", CASES, ids=[_ids(c) for c in CASES])
def test_kv_cache_equals_llamacpp(gguf_files, case):
    name, ctx, n_seq, unified, tk, tv, nb, nub, swa_full = case
    run = run_llamacpp(gguf_files[name], n_ctx=ctx * n_seq, n_seq=n_seq, unified=unified, type_k=tk,
                       type_v=tv, n_batch=nb, n_ubatch=nub, swa_full=swa_full)
    assert run.caches, run.log
    spec = _spec_for(name, gguf_files[name])
    kv = kv_cache(spec, batch=n_seq, context=ctx,
                  options=KvOptions(engine="llama.cpp", dtype=tk, v_dtype=tv, n_batch=nb, n_ubatch=nub,
                                    kv_unified=unified, swa_full=swa_full))
    windowed = {i for i, layer in enumerate(spec.stacks[0].layers) if layer.attention.window}
    full = [x for x in kv.layers if not windowed & set(x.layers)]
    swa = [x for x in kv.layers if windowed & set(x.layers)]
    ours = [full] + ([swa] if swa else [])  # llama.cpp logs the non-SWA cache first, then the SWA cache
    assert len(run.caches) == len(ours), run.log
    assert run.n_ctx == full[0].tokens  # llama_n_ctx: n_ctx_seq x streams
    for theirs, groups in zip(run.caches, ours, strict=False):
        assert theirs["cells"] * theirs["streams"] == groups[0].tokens, (theirs, groups)
        assert all(g.tokens == groups[0].tokens for g in groups)
        assert theirs["layers"] == sum(len(g.layers) for g in groups)
        assert (theirs["type_k"], theirs["type_v"]) == (tk, tv)
        nbytes = sum(g.bytes_per_sequence * len(g.layers) for g in groups)
        assert _printed(nbytes) == pytest.approx(theirs["total"], abs=0.0051), (nbytes, theirs)
    assert sum(_printed_part(c) for c in run.caches) == pytest.approx(kv.total_bytes / MiB, abs=0.0051 * len(ours))


def _printed_part(c):
    return c["total"]


@pytest.mark.parametrize("case", [c for c in CASES if c[4] != c[5] or c[4] != "f16"][:4],
                         ids=lambda c: _ids(c))
def test_k_and_v_bytes_separately(gguf_files, case):
    """K and V of different cache types: paramscope's row bytes per type against llama.cpp's K and V MiB."""
    name, ctx, n_seq, unified, tk, tv, nb, nub, swa_full = case
    run = run_llamacpp(gguf_files[name], n_ctx=ctx * n_seq, n_seq=n_seq, unified=unified, type_k=tk,
                       type_v=tv, n_batch=nb, n_ubatch=nub, swa_full=swa_full)
    spec = _spec_for(name, gguf_files[name])
    opts = dict(engine="llama.cpp", n_batch=nb, n_ubatch=nub, kv_unified=unified, swa_full=swa_full)
    # K alone: V of the same width in the K type, halved; likewise V (K and V have the same width here)
    k_only = kv_cache(spec, batch=n_seq, context=ctx, options=KvOptions(dtype=tk, v_dtype=tk, **opts)).total_bytes / 2
    v_only = kv_cache(spec, batch=n_seq, context=ctx, options=KvOptions(dtype=tv, v_dtype=tv, **opts)).total_bytes / 2
    assert k_only / MiB == pytest.approx(sum(c["k"] for c in run.caches), abs=0.0051 * len(run.caches))
    assert v_only / MiB == pytest.approx(sum(c["v"] for c in run.caches), abs=0.0051 * len(run.caches))


@pytest.mark.parametrize("name", list(ARCHS))
def test_weight_bytes_equal_llama_model_size(gguf_files, name):
    run = run_llamacpp(gguf_files[name], n_ctx=256)
    ours = weight_report(load_model(str(gguf_files[name])), "native").total_bytes
    assert ours == run.model_size


def test_mutation_doubling_n_ctx_is_caught(gguf_files, monkeypatch):
    """The oracle is not a restatement of paramscope: a cache of twice the cells must disagree with llama.cpp."""
    import paramscope.memory.kv as kvmod

    real = kvmod.llamacpp_context

    def doubled(batch, context, options=None):
        return real(batch, 2 * context, KvOptions() if options is None else options)

    run = run_llamacpp(gguf_files["llama"], n_ctx=1024)
    spec = _spec_for("llama", gguf_files["llama"])
    good = kv_cache(spec, batch=1, context=1024, options=KvOptions(engine="llama.cpp"))
    monkeypatch.setattr(kvmod, "llamacpp_context", doubled)
    bad = kv_cache(spec, batch=1, context=1024, options=KvOptions(engine="llama.cpp"))
    assert _printed(good.total_bytes) == run.caches[0]["total"]
    assert _printed(bad.total_bytes) != run.caches[0]["total"]


def test_compute_buffer_is_reported(gguf_files, capsys):
    """paramscope does not model ggml's compute-buffer peak (docs/engines.md 2.8): print it for the record."""
    rows = []
    for name in ARCHS:
        for nub in (64, 512):
            run = run_llamacpp(gguf_files[name], n_ctx=2048, n_ubatch=nub)
            rows.append((name, nub, run.compute_mib))
            assert run.compute_mib > 0
    with capsys.disabled():
        print("\nllama.cpp CPU compute buffer (MiB) at n_ctx 2048: " +
              ", ".join(f"{n} ub{u}={m:.2f}" for n, u, m in rows))


@pytest.mark.parametrize("name", ["llama", "qwen2moe"])
def test_memory_report_weights_and_kv_equal_llamacpp(gguf_files, name):
    """The user-facing path (memory --engine llama.cpp): weights and KV of memory_report against llama.cpp
    with its defaults (n_batch 2048, n_ubatch 512, f16 cache, one sequence)."""
    from paramscope.memory.report import MemoryOptions, memory_report

    run = run_llamacpp(gguf_files[name], n_ctx=3000)
    r = memory_report(load_model(str(gguf_files[name])), MemoryOptions(engine="llama.cpp", context=3000))
    assert r.weights_bytes == run.model_size
    assert _printed(r.kv_cache_bytes) == pytest.approx(sum(c["total"] for c in run.caches), abs=0.0051)
    assert r.parts["kv_cache"]["layers"][0]["tokens"] == run.n_ctx == 3072
