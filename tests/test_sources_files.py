"""Real files, written by the `safetensors`, `transformers` and `gguf` packages' own writers, read back by
paramscope from their headers and counted exactly; packed quantized tensors count as the parameters they
represent, their scales apart; hub ids resolve offline from the local cache."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")
from safetensors.numpy import save_file  # noqa: E402

from family_configs import FAMILY_CONFIGS  # noqa: E402
from paramscope.cli import main  # noqa: E402
from paramscope.errors import InputError  # noqa: E402
from paramscope.model import from_config, load_model  # noqa: E402
from paramscope.params import analyze  # noqa: E402

transformers.logging.set_verbosity_error()


def _save_hf(tmp_path, fam, **kw):
    cfgd = FAMILY_CONFIGS[fam]
    cc = transformers.CONFIG_MAPPING[cfgd["model_type"]](**{k: v for k, v in cfgd.items() if k != "architectures"})
    cc.architectures = cfgd["architectures"]
    m = getattr(transformers, cfgd["architectures"][0])(cc)
    m.save_pretrained(tmp_path, **kw)
    return m


@pytest.mark.parametrize("fam", ["llama", "llama_tied", "mixtral", "qwen3", "gemma2"])
def test_saved_checkpoint_counts_equal_torch(tmp_path, fam):
    m = _save_hf(tmp_path, fam)
    r = analyze(load_model(str(tmp_path)))
    ref = analyze(from_config(FAMILY_CONFIGS[fam]))
    assert r.total == sum(p.numel() for p in m.parameters()) == ref.total
    assert r.active == ref.active and r.by_role == ref.by_role


def test_sharded_checkpoint(tmp_path):
    m = _save_hf(tmp_path, "llama", max_shard_size="100KB")
    assert (tmp_path / "model.safetensors.index.json").exists()
    model = load_model(str(tmp_path / "model.safetensors.index.json"))
    assert analyze(model).total == sum(p.numel() for p in m.parameters())
    on_disk = sum(p.stat().st_size for p in tmp_path.glob("*.safetensors"))
    stored = sum(t.nbytes for t in model.inventory.tensors)
    assert 0 < on_disk - stored < 4096 * 8  # only the JSON headers differ


def _llama_dir(tmp_path, tensors, quant=None):
    cfg = dict(FAMILY_CONFIGS["llama"], attention_bias=False, mlp_bias=False)
    if quant:
        cfg["quantization_config"] = quant
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    save_file(tensors, str(tmp_path / "model.safetensors"))
    return cfg


def _dense_tensors(cfg, skip=()):
    """Every tensor of the tiny llama as the unquantized checkpoint stores it (shapes from transformers)."""
    c = transformers.LlamaConfig(**{k: v for k, v in cfg.items() if k not in ("architectures", "quantization_config")})
    with torch.device("meta"):
        m = transformers.LlamaForCausalLM(c)
    return {n: tuple(p.shape) for n, p in m.named_parameters() if not any(s in n for s in skip)}


@pytest.mark.parametrize("method", ["gptq", "awq"])
def test_packed_int4_counts_as_its_original(tmp_path, method):
    cfg = dict(FAMILY_CONFIGS["llama"], attention_bias=False, mlp_bias=False)
    shapes = _dense_tensors(cfg)
    tensors, group = {}, 32
    for name, shape in shapes.items():
        if name.endswith("proj.weight") and "layers" in name:
            out_f, in_f = shape
            base = name[: -len(".weight")]
            if method == "gptq":
                tensors[base + ".qweight"] = np.zeros((in_f // 8, out_f), np.int32)
                tensors[base + ".g_idx"] = np.zeros((in_f,), np.int32)
            else:
                tensors[base + ".qweight"] = np.zeros((in_f, out_f // 8), np.int32)
            tensors[base + ".qzeros"] = np.zeros((in_f // group, out_f // 8), np.int32)
            tensors[base + ".scales"] = np.zeros((in_f // group, out_f), np.float16)
        else:
            tensors[name] = np.zeros(shape, np.float16)
    _llama_dir(tmp_path, tensors, {"quant_method": method, "bits": 4, "group_size": group})
    model = load_model(str(tmp_path))
    r = analyze(model)
    assert r.total == analyze(from_config(cfg)).total
    meta = [t for t in model.inventory.tensors if t.role == "quant_scale"]
    assert meta and all(not t.counted for t in meta)


def test_mxfp4_blocks_like_gpt_oss(tmp_path):
    cfg = FAMILY_CONFIGS["gpt_oss"]
    c = transformers.GptOssConfig(**{k: v for k, v in cfg.items() if k != "architectures"})
    with torch.device("meta"):
        m = transformers.GptOssForCausalLM(c)
    tensors = {}
    for n, p in m.named_parameters():
        shape = tuple(p.shape)
        if n.endswith(("gate_up_proj", "down_proj")) and ".experts." in n and p.dim() == 3:
            e, a, b = shape  # transformers keeps [E, in, out]; the checkpoint stores [E, out, in/32, 16] blocks
            tensors[n + "_blocks"] = np.zeros((e, b, a // 32, 16), np.uint8)
            tensors[n + "_scales"] = np.zeros((e, b, a // 32), np.uint8)
        else:
            tensors[n] = np.zeros(shape, np.float16)
    (tmp_path / "config.json").write_text(json.dumps(dict(cfg, quantization_config={"quant_method": "mxfp4"})))
    save_file(tensors, str(tmp_path / "model.safetensors"))
    r = analyze(load_model(str(tmp_path)))
    assert r.total == sum(p.numel() for p in m.parameters())


def test_fp8_weights_with_scale_inv(tmp_path):
    cfg = dict(FAMILY_CONFIGS["llama"], attention_bias=False, mlp_bias=False)
    tensors = {}
    for name, shape in _dense_tensors(cfg).items():
        tensors[name] = np.zeros(shape, np.float16)
        if name.endswith("proj.weight"):
            tensors[name.replace(".weight", ".weight_scale_inv")] = np.zeros((1, 1), np.float32)
    _llama_dir(tmp_path, tensors, {"quant_method": "fp8", "weight_block_size": [128, 128]})
    model = load_model(str(tmp_path))
    assert analyze(model).total == analyze(from_config(cfg)).total
    assert sum(1 for t in model.inventory.tensors if t.role == "quant_scale") == 3 * 7


def test_gguf_written_by_gguf_package(tmp_path):
    gguf = pytest.importorskip("gguf")
    from paramscope.quant import gguf_mix

    ref = from_config(FAMILY_CONFIGS["mixtral"])
    c = FAMILY_CONFIGS["mixtral"]
    path = tmp_path / "m.gguf"
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(c["num_hidden_layers"])
    w.add_embedding_length(c["hidden_size"])
    w.add_head_count(c["num_attention_heads"])
    w.add_head_count_kv(c["num_key_value_heads"])
    w.add_feed_forward_length(c["intermediate_size"])
    w.add_expert_count(c["num_local_experts"])
    w.add_expert_used_count(c["num_experts_per_tok"])
    rng = np.random.default_rng(0)
    for g, tn in gguf_mix.gguf_types(ref.inventory, ref.spec, "Q8_0"):
        qt = gguf.GGMLQuantizationType[tn]
        data = rng.standard_normal(tuple(reversed(g.ne))).astype(np.float32)
        if tn == "F32":
            w.add_tensor(g.name, data)
        else:
            w.add_tensor(g.name, gguf.quants.quantize(data, qt), raw_dtype=qt)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    model = load_model(str(path))
    r, want = analyze(model), analyze(ref)
    assert (r.total, r.active) == (want.total, want.active)
    reader = gguf.GGUFReader(str(path))
    assert sum(t.nbytes for t in model.inventory.tensors) == sum(int(t.n_bytes) for t in reader.tensors)
    assert model.spec is not None  # rebuilt from the llama.* metadata


def test_hub_id_offline_from_cache(tmp_path, monkeypatch, capsys):
    pytest.importorskip("huggingface_hub")
    cache = tmp_path / "hub"
    snap = cache / "models--acme--tiny-llama" / "snapshots" / "abc123"
    snap.mkdir(parents=True)
    (snap / "config.json").write_text(json.dumps(FAMILY_CONFIGS["llama"]))
    (cache / "models--acme--tiny-llama" / "refs").mkdir()
    (cache / "models--acme--tiny-llama" / "refs" / "main").write_text("abc123")
    monkeypatch.setenv("HF_HUB_CACHE", str(cache))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    import importlib

    import huggingface_hub.constants as hc

    monkeypatch.setattr(hc, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hc, "HF_HUB_OFFLINE", True)
    importlib.reload(importlib.import_module("paramscope.sources.hub"))
    assert main(["params", "acme/tiny-llama", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["total"] == analyze(from_config(FAMILY_CONFIGS["llama"])).total
    assert main(["params", "acme/not-cached"]) == 2
    err = capsys.readouterr().err.replace(str(cache), "<dir>")  # "cache" must be the message's word
    assert err.count("\n") == 1 and "cache" in err


@pytest.mark.parametrize("content,needle", [
    (b"\x00\x00\x00\x80\x02\x00\x00\x00{}", "header"),  # declared header length 10 GB
    (b"\x05\x00\x00\x00\x00\x00\x00\x00{oops", "header"),
    (b"\x01\x00", "header"),
])
def test_hostile_safetensors(tmp_path, capsys, content, needle):
    p = tmp_path / "bad.safetensors"
    p.write_bytes(content)
    assert main(["params", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.safetensors" in err and needle in err.lower()


def test_hostile_gguf(tmp_path, capsys):
    p = tmp_path / "bad.gguf"
    p.write_bytes(b"GGUX" + b"\x00" * 60)
    assert main(["params", str(p)]) == 2
    assert "bad.gguf" in capsys.readouterr().err


def test_hub_needs_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "huggingface_hub", None)
    from paramscope.errors import DependencyError
    from paramscope.sources.hub import load_hub

    with pytest.raises(DependencyError):
        load_hub("acme/x")
    assert issubclass(DependencyError, Exception) and not issubclass(DependencyError, InputError)
