"""The web app's JSON API (paramscope serve): every answer is the CLI's --json object for the same question
(plus a `_cli` block), models are ids never paths, uploads send headers only, limits hold, and the plain CLI
never imports the web stack."""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import struct
import subprocess
import sys

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from paramscope import cli  # noqa: E402
from paramscope.web import create_app  # noqa: E402

TINY_CONFIG = {"model_type": "llama", "architectures": ["LlamaForCausalLM"], "hidden_size": 64,
               "intermediate_size": 128, "num_hidden_layers": 2, "num_attention_heads": 4,
               "num_key_value_heads": 2, "vocab_size": 256, "max_position_embeddings": 512,
               "rms_norm_eps": 1e-5, "tie_word_embeddings": False, "torch_dtype": "bfloat16"}

GGUF_SHAPES = [("token_embd.weight", (100, 32)), ("output_norm.weight", (32,)), ("output.weight", (100, 32)),
               ("blk.0.attn_norm.weight", (32,)), ("blk.0.attn_q.weight", (32, 32)),
               ("blk.0.attn_k.weight", (16, 32)), ("blk.0.attn_v.weight", (16, 32)),
               ("blk.0.attn_output.weight", (32, 32)), ("blk.0.ffn_norm.weight", (32,)),
               ("blk.0.ffn_gate.weight", (64, 32)), ("blk.0.ffn_up.weight", (64, 32)),
               ("blk.0.ffn_down.weight", (32, 64))]


def write_gguf(path) -> int:
    """A tiny llama GGUF (the gguf package's writer); returns its tensor-data bytes."""
    gguf = pytest.importorskip("gguf")
    np = pytest.importorskip("numpy")
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_block_count(1)
    w.add_context_length(64)
    w.add_embedding_length(32)
    w.add_feed_forward_length(64)
    w.add_head_count(4)
    w.add_head_count_kv(2)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_vocab_size(100)
    w.add_tokenizer_model("llama")
    w.add_token_list([f"token-{i:04d}" for i in range(100)])
    data = 0
    for name, shape in GGUF_SHAPES:
        arr = np.zeros(shape, dtype=np.float16)
        w.add_tensor(name, arr)
        data += arr.nbytes
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return data


def write_safetensors(path) -> None:
    """A tiny llama checkpoint (the safetensors package's writer), names as transformers saves them."""
    st = pytest.importorskip("safetensors.numpy")
    np = pytest.importorskip("numpy")
    d, f, v = 64, 128, 256
    t = {"model.embed_tokens.weight": (v, d), "model.norm.weight": (d,), "lm_head.weight": (v, d)}
    for i in range(2):
        p = f"model.layers.{i}."
        t.update({p + "input_layernorm.weight": (d,), p + "post_attention_layernorm.weight": (d,),
                  p + "self_attn.q_proj.weight": (d, d), p + "self_attn.k_proj.weight": (32, d),
                  p + "self_attn.v_proj.weight": (32, d), p + "self_attn.o_proj.weight": (d, d),
                  p + "mlp.gate_proj.weight": (f, d), p + "mlp.up_proj.weight": (f, d),
                  p + "mlp.down_proj.weight": (d, f)})
    st.save_file({k: np.zeros(s, dtype=np.float16) for k, s in t.items()}, str(path))


def cli_json(argv: list[str]) -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        cli.main([*argv, "--json"])
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def client():
    with TestClient(create_app()) as c:
        yield c


def _strip(d: dict) -> dict:
    return {k: v for k, v in d.items() if k not in ("_cli", "role_groups")}


def test_contract_params_llama_2_7b(client):
    r = client.get("/api/params", params={"model": "llama-2-7b"})
    assert r.status_code == 200
    d = r.json()
    assert d["total"] == 6738415616
    assert d["_cli"]["command"] == "paramscope params llama-2-7b"


CASES = [
    ("params", {"model": "deepseek-v3"}, ["params", "deepseek-v3"]),
    ("memory", {"model": "llama-3.1-8b", "weights": "Q4_K_M", "engine": "llama.cpp", "context": "32k"},
     ["memory", "llama-3.1-8b", "--weights", "Q4_K_M", "--engine", "llama.cpp", "--context", "32k"]),
    ("memory", {"model": "llama-2-7b", "gpu": "h100-sxm", "batch": "16"},
     ["memory", "llama-2-7b", "--gpu", "h100-sxm", "--batch", "16"]),
    ("fit", {"model": "llama-3.1-70b", "gpu": "h100-sxm"}, ["fit", "llama-3.1-70b", "--gpu", "h100-sxm"]),
    ("perf", {"model": "llama-3.1-70b", "gpu": "h100-sxm", "count": "4", "batch": "1,8,64"},
     ["perf", "llama-3.1-70b", "--gpu", "h100-sxm", "--count", "4", "--batch", "1,8,64"]),
    ("train", {"model": "llama-2-7b", "tokens": "2T", "gpu": "h100-sxm", "count": "64"},
     ["train", "llama-2-7b", "--tokens", "2T", "--gpu", "h100-sxm", "--count", "64"]),
    ("scale", {"compute": "5.76e23", "inference_tokens": "1e13"},
     ["scale", "--compute", "5.76e23", "--inference-tokens", "1e13"]),
    ("models", {"q": "llama"}, ["models", "llama"]),
    ("hardware", {"q": "h100"}, ["hardware", "h100"]),
    ("hardware/h100-sxm", {}, ["hardware", "--show", "h100-sxm"]),
    ("compare", {"models": "llama-2-7b,mistral-7b", "gpu": "h100-sxm"},
     ["compare", "llama-2-7b", "mistral-7b", "--gpu", "h100-sxm"]),
]


@pytest.mark.parametrize("path,params,argv", CASES, ids=[c[0] + ":" + " ".join(c[2][1:3]) for c in CASES])
def test_api_answer_is_the_cli_json(client, path, params, argv):
    r = client.get(f"/api/{path}", params=params)
    assert r.status_code == 200, r.text
    d = r.json()
    assert _strip(d) == cli_json(argv)
    if path != "models" and path != "hardware":
        shown = d["_cli"]["command"].split()
        assert shown[:3] == ["paramscope", *argv[:2]] and sorted(shown[1:]) == sorted(argv)


def test_fit_that_does_not_fit_is_still_an_answer(client):
    d = client.get("/api/fit", params={"model": "llama-3.1-405b", "gpu": "rtx-4090"}).json()
    assert d["fits"] is False and d["_cli"]["exit_code"] == 4


def test_perf_that_does_not_fit_is_409_with_the_cli_message(client):
    r = client.get("/api/perf", params={"model": "llama-2-7b", "gpu": "h100-sxm", "batch": "64"})
    assert r.status_code == 409
    assert "does not fit" in r.json()["error"] or "short by" in r.json()["error"]
    assert r.json()["exit_code"] == 4


def test_plan_is_the_cli_json(client):
    params = {"model": "llama-3.1-8b", "rate": "5", "gpu": "h100-sxm", "weights": "native,fp8"}
    d = client.get("/api/plan", params=params).json()
    want = cli_json(["plan", "llama-3.1-8b", "--rate", "5", "--gpu", "h100-sxm", "--weights", "native,fp8",
                     "--no-simulate"])
    timing = ("search",)  # the planner's own run times differ from run to run
    assert {k: v for k, v in _strip(d).items() if k not in timing} == {k: v for k, v in want.items() if k not in timing}
    assert d["pareto"]


@pytest.mark.parametrize("model", ["/etc/passwd", "../../etc/passwd", "pyproject.toml", "src", "tests/data",
                                   "~/x", "a\\b", "./pyproject.toml", "meta-llama/Llama-2-7b-hf-not-in-catalog",
                                   "x" * 300, "C:\\Windows"])
def test_no_path_is_accepted(client, model):
    r = client.get("/api/params", params={"model": model})
    assert r.status_code in (400, 422), r.text
    assert "total" not in r.json()


def test_a_catalog_id_that_is_also_a_file_on_the_server_is_refused(client, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "llama-2-7b").write_text("{}")
    r = client.get("/api/params", params={"model": "llama-2-7b"})
    assert r.status_code == 400 and "file on the server" in r.json()["error"]


def test_values_cannot_become_flags(client):
    r = client.get("/api/memory", params={"model": "llama-2-7b", "weights": "--hardware-file=/etc/passwd"})
    assert r.status_code == 400 and "unknown weight scheme" in r.json()["error"]
    r = client.get("/api/memory", params={"model": "llama-2-7b", "hardware_file": "/etc/passwd"})
    assert r.status_code == 422  # not a field of the API


def test_limits(client):
    r = client.get("/api/perf", params={"model": "llama-2-7b", "gpu": "h100-sxm",
                                         "batch": ",".join(["1"] * 40)})
    assert r.status_code == 400 and "at most 32" in r.json()["error"]
    r = client.get("/api/compare", params={"models": ",".join(["llama-2-7b"] * 9), "gpu": "h100-sxm"})
    assert r.status_code == 400
    r = client.post("/api/upload", content=b"x" * (80 * 2**20), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    r = client.post("/api/params", content=b"{}")
    assert r.status_code in (405, 413)


def test_security_headers_and_page(client):
    for path in ("/", "/api/params?model=llama-2-7b", "/static/app.js", "/openapi.json"):
        r = client.get(path)
        assert r.status_code == 200, path
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self';" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    html = client.get("/").text
    assert "<script>" not in html and "http://" not in html and "https://" not in html  # no inline, no CDN
    js = client.get("/static/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000
    assert client.get("/static/../pyproject.toml").status_code == 404


def test_openapi_lists_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    for p in ("/api/params", "/api/memory", "/api/fit", "/api/perf", "/api/train", "/api/scale", "/api/plan",
              "/api/compare", "/api/models", "/api/hardware", "/api/upload"):
        assert p in spec["paths"], p


def test_upload_config(client, tmp_path):
    r = client.post("/api/upload", json={"kind": "config", "name": "config.json", "config": TINY_CONFIG})
    assert r.status_code == 200, r.text
    model = r.json()["model"]
    assert model.startswith("upload:")
    d = client.get("/api/params", params={"model": model}).json()
    (tmp_path / "config.json").write_text(json.dumps(TINY_CONFIG))
    want = cli_json(["params", str(tmp_path / "config.json")])
    assert d["total"] == want["total"] and d["by_role"] == want["by_role"]
    assert d["_cli"]["command"] == "paramscope params config.json"
    assert "paramscope-web-" not in json.dumps(d)  # the server's own folder never shows
    m = client.get("/api/memory", params={"model": model, "gpu": "h100-sxm"}).json()
    assert m["weights_bytes"] > 0


def test_upload_safetensors_header_only(client, tmp_path):
    path = tmp_path / "tiny.safetensors"
    write_safetensors(path)
    raw = path.read_bytes()
    n = struct.unpack("<Q", raw[:8])[0]
    header = raw[:8 + n]
    r = client.post("/api/upload", json={"kind": "safetensors", "name": "tiny.safetensors",
                                         "header_b64": base64.b64encode(header).decode(), "size": len(raw)})
    assert r.status_code == 200, r.text
    d = client.get("/api/params", params={"model": r.json()["model"]}).json()
    want = cli_json(["params", str(path)])
    assert d["total"] == want["total"]
    assert d["stored_bytes"] == want["stored_bytes"]


def test_upload_gguf_header_only(client, tmp_path):
    path = tmp_path / "tiny.gguf"
    data = write_gguf(path)
    raw = path.read_bytes()
    header = raw[:len(raw) - data]
    r = client.post("/api/upload", json={"kind": "gguf", "name": "tiny.gguf",
                                         "header_b64": base64.b64encode(header).decode(), "size": len(raw)})
    assert r.status_code == 200, r.text
    d = client.get("/api/params", params={"model": r.json()["model"]}).json()
    want = cli_json(["params", str(path)])
    assert _strip(d)["total"] == want["total"]
    assert d["file_bytes"] == want["file_bytes"] == len(raw)
    bad = client.post("/api/upload", json={"kind": "gguf", "name": "x.gguf",
                                           "header_b64": base64.b64encode(b"NOPE" + header[4:]).decode()})
    assert bad.status_code == 400


def test_unknown_upload_is_404(client):
    assert client.get("/api/params", params={"model": "upload:0123456789abcdef"}).status_code == 404


def test_plain_cli_does_not_import_the_web_stack():
    code = ("import sys, paramscope.cli as c; c.main(['params', 'llama-2-7b', '--json']); "
            "c.main(['serve', '--help']) if False else None; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('fastapi', 'uvicorn', 'plotly', 'starlette', 'pydantic', 'httpx')))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_serve_without_the_extra_is_one_line_exit_3():
    code = ("import sys; sys.modules['fastapi'] = None; import paramscope.cli as c; "
            "sys.exit(c.main(['serve', '--port', '0']))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ})
    assert r.returncode == 3
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "[web]" in lines[0] and "fastapi" in lines[0]


def test_an_upload_is_found_by_every_worker(tmp_path):
    """`serve --workers N`: the workers share one upload folder, so a header stored by one worker answers a
    request that another worker takes."""
    shared = tmp_path / "uploads"
    shared.mkdir()
    a, b = TestClient(create_app(upload_root=str(shared))), TestClient(create_app(upload_root=str(shared)))
    with a, b:
        r = a.post("/api/upload", json={"kind": "config", "name": "config.json", "config": TINY_CONFIG})
        assert r.status_code == 200, r.text
        d = b.get("/api/params", params={"model": r.json()["model"]})
        assert d.status_code == 200, d.text
        assert d.json()["total"] == a.get("/api/params", params={"model": r.json()["model"]}).json()["total"]
        assert d.json()["_cli"]["command"] == "paramscope params config.json"
    assert shared.is_dir()  # a worker never removes the shared folder (the serve command does, at exit)


def test_serve_workers_flag():
    from paramscope.commands.serve import _workers
    from paramscope.errors import InputError

    assert 1 <= _workers("auto") <= 4
    assert _workers("3") == 3
    for bad in ("0", "-1", "x", "65"):
        with pytest.raises(InputError):
            _workers(bad)


def test_upload_split_gguf_parts(client, tmp_path):
    """A split GGUF (llama.cpp's gguf-split naming) dropped as several files: only each part's header is sent."""
    gguf = pytest.importorskip("gguf")
    import numpy as np

    parts = []
    for i, chunk in enumerate((GGUF_SHAPES[:6], GGUF_SHAPES[6:]), start=1):
        path = tmp_path / f"tiny-{i:05d}-of-00002.gguf"
        w = gguf.GGUFWriter(str(path), "llama")
        w.add_uint16("split.no", i - 1)
        w.add_uint16("split.count", 2)
        w.add_int32("split.tensors.count", len(GGUF_SHAPES))
        if i == 1:
            w.add_block_count(1)
            w.add_context_length(128)
            w.add_embedding_length(32)
            w.add_feed_forward_length(64)
            w.add_head_count(4)
            w.add_head_count_kv(2)
            w.add_layer_norm_rms_eps(1e-5)
        for name, shape in chunk:
            w.add_tensor(name, np.zeros(shape[::-1], dtype=np.float32))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()
        parts.append(path)
    want = cli_json(["params", str(parts[0])])
    body = {"kind": "gguf", "parts": []}
    for path in parts:
        raw = path.read_bytes()
        header = raw[:gguf.GGUFReader(str(path)).data_offset]  # everything before the tensor data
        body["parts"].append({"name": path.name, "header_b64": base64.b64encode(header).decode(), "size": len(raw)})
    r = client.post("/api/upload", json=body)
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "tiny-00001-of-00002.gguf"
    d = client.get("/api/params", params={"model": r.json()["model"]}).json()
    assert _strip(d)["total"] == want["total"]
    assert d["file_bytes"] == want["file_bytes"] == sum(p.stat().st_size for p in parts)
    one = dict(body, parts=body["parts"][:1])  # the first part alone: refused with llama.cpp's rule, one line
    bad = client.post("/api/upload", json=one)
    assert bad.status_code == 400 and "missing" in bad.json()["error"], bad.text


def test_upload_sharded_safetensors(client, tmp_path):
    """Two shards and the config.json, dropped together: the same answer as the CLI on the directory."""
    pytest.importorskip("safetensors")
    import numpy as np
    from safetensors.numpy import save_file

    d = tmp_path / "ckpt"
    d.mkdir()
    h, f, v = TINY_CONFIG["hidden_size"], TINY_CONFIG["intermediate_size"], TINY_CONFIG["vocab_size"]
    first = {"model.embed_tokens.weight": np.zeros((v, h), np.float16), "model.norm.weight": np.zeros(h, np.float16)}
    second = {"lm_head.weight": np.zeros((v, h), np.float16),
              "model.layers.0.mlp.up_proj.weight": np.zeros((f, h), np.float16)}
    save_file(first, str(d / "model-00001-of-00002.safetensors"))
    save_file(second, str(d / "model-00002-of-00002.safetensors"))
    (d / "config.json").write_text(json.dumps(TINY_CONFIG))
    index = {"metadata": {}, "weight_map": {**{k: "model-00001-of-00002.safetensors" for k in first},
                                            **{k: "model-00002-of-00002.safetensors" for k in second}}}
    (d / "model.safetensors.index.json").write_text(json.dumps(index))
    want = cli_json(["params", str(d)])
    parts = [{"name": "model.safetensors.index.json", "header_b64": base64.b64encode(
        (d / "model.safetensors.index.json").read_bytes()).decode()}]
    for p in sorted(d.glob("*.safetensors")):
        raw = p.read_bytes()
        n = struct.unpack("<Q", raw[:8])[0]
        parts.append({"name": p.name, "header_b64": base64.b64encode(raw[:8 + n]).decode(), "size": len(raw)})
    r = client.post("/api/upload", json={"kind": "safetensors", "parts": parts, "config": TINY_CONFIG})
    assert r.status_code == 200, r.text
    got = client.get("/api/params", params={"model": r.json()["model"]}).json()
    assert got["total"] == want["total"] and got["stored_bytes"] == want["stored_bytes"]
    assert got["_cli"]["command"] == "paramscope params model"


def test_plan_with_an_uploaded_trace(client, tmp_path):
    pairs = [[512, 128], [2048, 256], [128, 64], [1024, 512]] * 8
    r = client.post("/api/upload", json={"kind": "trace", "name": "lengths.csv", "trace": pairs})
    assert r.status_code == 200, r.text
    tid = r.json()["model"]
    q = {"model": "llama-3.1-8b", "rate": "2", "gpu": "h100-sxm", "trace": tid}
    d = client.get("/api/plan", params=q)
    assert d.status_code == 200, d.text
    path = tmp_path / "lengths.csv"
    path.write_text("prompt,output\n" + "".join(f"{p},{o}\n" for p, o in pairs))
    want = cli_json(["plan", "llama-3.1-8b", "--rate", "2", "--gpu", "h100-sxm", "--trace", str(path), "--no-simulate"])
    assert _strip(d.json())["best"] == want["best"]
    assert "--trace lengths.csv" in d.json()["_cli"]["command"]
    assert client.get("/api/params", params={"model": tid}).status_code == 400  # a trace is not a model
    assert client.get("/api/plan", params={**q, "trace": "upload:0123456789abcdef"}).status_code == 404
    bad = client.post("/api/upload", json={"kind": "trace", "trace": [[1, 2, 3]]})
    assert bad.status_code == 422


def test_worker_factory_reads_the_serve_options(tmp_path, monkeypatch):
    """`serve --workers N` passes its options to each worker's app through the environment."""
    from paramscope.web.app import ENV_ALLOW_HUB, ENV_UPLOADS, app_from_env

    monkeypatch.setenv(ENV_UPLOADS, str(tmp_path))
    monkeypatch.setenv(ENV_ALLOW_HUB, "0")
    with TestClient(app_from_env()) as c:
        r = c.post("/api/upload", json={"kind": "config", "name": "config.json", "config": TINY_CONFIG})
        assert r.status_code == 200
        assert any(p.name == "upload.json" for p in tmp_path.rglob("upload.json"))  # stored in the shared folder
        assert c.get("/api/params", params={"model": "meta-llama/Llama-3.1-8B"}).status_code in (200, 400)
    assert tmp_path.is_dir()
