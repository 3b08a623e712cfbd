"""Validates every record of the built-in model catalog (src/paramscope/data/models/*.json).

Pure data checks with the json module: the record layout, kind-specific rules, unique ids and aliases,
finite numbers, and a few facts the records must carry (facts.md pitfall P9).

Non-finite numbers (JSON ``NaN`` / ``Infinity``, which the json module reads as floats) are rejected
everywhere in a record except as the value, or inside the list value, of a config key that paramscope
knows never changes a tensor's shape (``paramscope.sources.config_keys.shape_neutral`` for the config's --
or the sub-config's own -- model_type): a hub file may state such a key as it is, e.g. Nemotron-H's
``time_step_limit: [0.0, Infinity]``. A non-finite number anywhere else (a size, a published figure, a
key paramscope does not know to be shape-neutral) still fails.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

MODELS_DIR = Path(__file__).resolve().parents[1] / "src" / "paramscope" / "data" / "models"
PATHS = sorted(MODELS_DIR.glob("*.json"))

KINDS = {"config", "paper", "rumour"}
COMMON_KEYS = {"id", "name", "aliases", "org", "year", "kind", "source", "copy", "published", "notes"}
KIND_KEYS = {"config": {"config"}, "paper": {"config"}, "rumour": {"claims"}}
PUBLISHED_KEYS = {"total_params", "active_params", "source", "note"}
CLAIM_KEYS = {"total_params", "num_experts", "params_per_expert", "active_params", "layers", "top_k", "shared_attention_params"}
ID_RE = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
HF_SOURCE_RE = re.compile(r"^https://huggingface\.co/([A-Za-z0-9][\w.-]*/[\w.-]+)/blob/main/config\.json$")
# a citation names a year (paper, blog, podcast) or an arXiv number
CITATION_RE = re.compile(r"(19|20)\d\d|arXiv")

# ParamscopeDecoder: the keys a paper config must state, with their JSON types
DECODER_KEYS = {
    "hidden_size": int, "num_hidden_layers": int, "num_attention_heads": int, "num_key_value_heads": int,
    "head_dim": int, "intermediate_size": int, "vocab_size": int, "max_position_embeddings": int,
    "tie_word_embeddings": bool, "mlp": str, "hidden_act": str, "norm": str, "norm_bias": bool,
    "attention_bias": bool, "mlp_bias": bool, "parallel_block": bool, "position": str,
}
DECODER_CHOICES = {"mlp": {"gated", "plain"}, "norm": {"rmsnorm", "layernorm"},
                   "position": {"rotary", "learned", "relative", "none"}}


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))  # NaN / Infinity become floats; see _non_finite


RECORDS = {p.stem: load(p) for p in PATHS}


def _non_finite(value, model_type=None, key=None, path="", in_config=False):
    """Paths of the non-finite numbers of `value` that the rule in the module docstring does not allow.
    `key` is the nearest enclosing dict key (a list passes its key on to its items)."""
    if isinstance(value, dict):
        if in_config and isinstance(value.get("model_type"), str):
            model_type = value["model_type"]  # a sub-config is judged by its own family too
        for k, v in value.items():
            yield from _non_finite(v, model_type, k, f"{path}.{k}", in_config)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _non_finite(v, model_type, key, f"{path}[{i}]", in_config)
    elif isinstance(value, float) and not math.isfinite(value):
        from paramscope.sources.config_keys import shape_neutral

        if not (in_config and model_type and key and shape_neutral(key, model_type)):
            yield path


def non_finite_paths(rec: dict) -> list[str]:
    out = list(_non_finite({k: v for k, v in rec.items() if k != "config"}))
    if isinstance(rec.get("config"), dict):
        out += _non_finite(rec["config"], None, None, "config", True)
    return out


def test_non_finite_rule():
    inf = float("inf")
    ok = {"config": {"model_type": "nemotron_h", "time_step_limit": [0.0, inf]}}
    assert non_finite_paths(ok) == []
    assert non_finite_paths({"config": {"model_type": "nemotron_h", "hidden_size": inf}}) == ["config.hidden_size"]
    assert non_finite_paths({"config": {"model_type": "llama", "vocab_size": float("nan")}}) == ["config.vocab_size"]
    assert non_finite_paths({"published": {"x": inf}, "config": {}}) == [".published.x"]
    # outside `config` a shape-neutral key name does not help
    assert non_finite_paths({"notes_data": {"time_step_limit": inf}}) == [".notes_data.time_step_limit"]


def test_catalog_is_populated():
    assert len(PATHS) >= 70
    kinds = {rec["kind"] for rec in RECORDS.values()}
    assert kinds == KINDS


@pytest.mark.parametrize("stem", sorted(RECORDS))
def test_record_layout(stem):
    rec = RECORDS[stem]
    assert isinstance(rec, dict)
    assert rec.get("kind") in KINDS, f"{stem}: kind {rec.get('kind')!r}"
    assert set(rec) == COMMON_KEYS | KIND_KEYS[rec["kind"]], f"{stem}: keys {sorted(rec)}"
    assert rec["id"] == stem, "the file is named after the id"
    assert ID_RE.match(rec["id"]), f"{stem}: id is not lowercase kebab-case"
    assert isinstance(rec["name"], str) and rec["name"].strip()
    assert isinstance(rec["org"], str) and rec["org"].strip()
    assert isinstance(rec["notes"], str)
    assert isinstance(rec["year"], int) and not isinstance(rec["year"], bool) and 2017 <= rec["year"] <= 2030
    aliases = rec["aliases"]
    assert isinstance(aliases, list)
    for alias in aliases:
        assert isinstance(alias, str) and alias.strip() == alias and alias and " " not in alias, f"{stem}: alias {alias!r}"
    assert len({a.lower() for a in aliases}) == len(aliases), f"{stem}: repeated alias"
    assert non_finite_paths(rec) == [], f"{stem}: non-finite number at {non_finite_paths(rec)}"


@pytest.mark.parametrize("stem", sorted(RECORDS))
def test_source_and_copy(stem):
    rec = RECORDS[stem]
    source, copy = rec["source"], rec["copy"]
    assert isinstance(source, str) and source.strip()
    if rec["kind"] == "config":
        m = HF_SOURCE_RE.match(source)
        assert m, f"{stem}: source {source!r} is not a hub config.json URL"
        assert rec["aliases"] and rec["aliases"][0] == m.group(1), f"{stem}: the first alias is the hub repo of the source"
        assert isinstance(copy, str) and (copy.startswith("github:") or copy.startswith("reconstructed")), f"{stem}: copy {copy!r}"
        if copy.startswith("reconstructed"):
            assert "reconstructed" in rec["notes"].lower(), f"{stem}: a reconstructed config says so in notes"
    else:
        assert source.startswith("https://") or CITATION_RE.search(source), f"{stem}: source is neither URL nor citation"
        assert copy is None


@pytest.mark.parametrize("stem", sorted(RECORDS))
def test_published(stem):
    pub = RECORDS[stem]["published"]
    assert isinstance(pub, dict) and set(pub) == PUBLISHED_KEYS
    for key in ("total_params", "active_params", "source", "note"):
        assert pub[key] is None or (isinstance(pub[key], str) and pub[key].strip()), f"{stem}: published.{key}"
    if pub["total_params"] is not None or pub["active_params"] is not None:
        assert pub["source"], f"{stem}: a published count names its source"


@pytest.mark.parametrize("stem", sorted(s for s, r in RECORDS.items() if r["kind"] in ("config", "paper")))
def test_config(stem):
    rec = RECORDS[stem]
    cfg = rec["config"]
    assert isinstance(cfg, dict) and cfg
    assert isinstance(cfg.get("model_type"), str) and cfg["model_type"]
    arch = cfg.get("architectures")
    assert isinstance(arch, list) and arch and all(isinstance(a, str) and a for a in arch)
    if rec["kind"] == "paper" and cfg["model_type"] == "paramscope_decoder":
        assert arch == ["ParamscopeDecoder"]
        for key, typ in DECODER_KEYS.items():
            assert key in cfg, f"{stem}: ParamscopeDecoder needs {key}"
            value = cfg[key]
            assert isinstance(value, typ) and (typ is bool or not isinstance(value, bool)), f"{stem}: {key}={value!r}"
            if typ is int:
                assert value > 0, f"{stem}: {key}={value!r}"
        for key, choices in DECODER_CHOICES.items():
            assert cfg[key] in choices, f"{stem}: {key}={cfg[key]!r}"
        assert cfg["num_attention_heads"] % cfg["num_key_value_heads"] == 0


@pytest.mark.parametrize("stem", sorted(s for s, r in RECORDS.items() if r["kind"] == "rumour"))
def test_rumour_claims(stem):
    claims = RECORDS[stem]["claims"]
    assert isinstance(claims, dict) and "total_params" in claims
    assert set(claims) <= CLAIM_KEYS, f"{stem}: unknown claim {sorted(set(claims) - CLAIM_KEYS)}"
    for key, value in claims.items():
        assert isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0, f"{stem}: {key}={value!r}"


def test_ids_and_aliases_unique_case_insensitively():
    seen: dict[str, str] = {}
    for stem, rec in RECORDS.items():
        for key in (rec["id"], *rec["aliases"]):
            k = key.lower()
            assert k not in seen, f"{key!r} names both {seen[k]} and {stem}"
            seen[k] = stem


# Facts the records must carry; each row cites where the fact comes from.
FACTS = [
    # (id, path in config, value, source)
    ("mistral-7b-v0.1", ("vocab_size",), 32000, "facts.md P9"),
    ("mistral-7b-v0.3", ("vocab_size",), 32768, "facts.md P9"),
    ("mixtral-8x22b", ("vocab_size",), 32768, "facts.md P9 (mistralai repo)"),
    ("mixtral-8x22b-community", ("vocab_size",), 32000, "facts.md P9 (mistral-community repo)"),
    ("deepseek-v3", ("num_nextn_predict_layers",), 1, "DeepSeek-V3 report: one MTP module"),
    ("deepseek-v3", ("quantization_config", "quant_method"), "fp8", "DeepSeek-V3 hub checkpoint is FP8"),
    ("gpt-oss-20b", ("quantization_config", "quant_method"), "mxfp4", "gpt-oss model card: MXFP4 experts"),
    ("gpt-oss-120b", ("quantization_config", "quant_method"), "mxfp4", "gpt-oss model card: MXFP4 experts"),
    ("gpt3-175b", ("n_embd",), 12288, "Brown et al. 2020 Table 2.1"),
    ("gpt3-175b", ("n_layer",), 96, "Brown et al. 2020 Table 2.1"),
    ("palm-540b", ("num_hidden_layers",), 118, "Chowdhery et al. 2022 Table 1"),
    ("palm-540b", ("num_key_value_heads",), 1, "Chowdhery et al. 2022 Section 2 (multi-query attention)"),
    ("gopher-280b", ("hidden_size",), 16384, "Rae et al. 2021 Table 1"),
    ("chinchilla-70b", ("num_hidden_layers",), 80, "Hoffmann et al. 2022 Table 4"),
    ("switch-c-2048", ("num_experts",), 2048, "Fedus et al. 2021 Table 9"),
]


@pytest.mark.parametrize("rid,path,value,source", FACTS, ids=[f"{r[0]}:{'.'.join(r[1])}" for r in FACTS])
def test_record_facts(rid, path, value, source):
    node = RECORDS[rid]["config"]
    for key in path:
        node = node[key]
    assert node == value, f"{rid}: {'.'.join(path)} = {node!r}, expected {value!r} ({source})"


# Published figures of records added for issue 10 item 5 (and the pending configs turned into records later)
# against paramscope's exact count of the record's config. (id, what, published value, relative tolerance,
# why that tolerance). `what`: "total"; "active" (every parameter a token touches, embedding and head
# included); "active_body" (active minus the input embedding and the output head, the definition some cards
# use); "total_with_mtp" (total plus the MTP modules paramscope reports apart, for a hub size that counts
# the whole checkpoint); "active_text" (active minus the vision and projector components, all of whose
# parameters paramscope counts as active: the per-token count of the text model, embedding and head included).
PUBLISHED_CHECKS = [
    ("llama-3.3-70b-instruct", "total", 70e9, 0.01,
     "the model card names the size class '70B'; the exact count is 70.55B (same as Llama 3.1 70B)"),
    ("deepseek-v3.1", "total", 671e9, 0.001,
     "model card table: 671B, rounded to 1B; MTP module (not in the config's model) excluded on both sides"),
    ("deepseek-v3.1", "active", 37e9, 0.02,
     "model card table: 37B activated, truncated to whole billions (exact 37.55B)"),
    ("qwen3-coder-480b-a35b-instruct", "total", 480e9, 0.0011,
     "model card: 480B, rounded to whole billions (+-0.5B = 0.1%); exact 480.15B"),
    ("qwen3-coder-480b-a35b-instruct", "active", 35e9, 0.0143,
     "model card: 35B activated, rounded to whole billions (+-0.5B = 1.43%); exact 35.47B"),
    ("qwen3-next-80b-a3b-thinking", "total", 80e9, 0.00625,
     "model card: 80B, rounded to whole billions (+-0.5B = 0.625%); exact 79.67B, MTP layer not in the model"),
    ("qwen3-next-80b-a3b-thinking", "active_body", 3e9, 0.167,
     "model card: 3B activated, one significant digit (+-0.5B = 16.7%); exact 3.25B without embedding and "
     "head (3.87B with them, which would round to 4B)"),
    ("minimax-m2.5", "total", 230e9, 0.022,
     "M2 model card: 230B, two significant digits (+-5B = 2.2%); exact 228.69B, MTP modules not counted"),
    ("minimax-m2.5", "active_body", 10e9, 0.05,
     "M2 model card: 10B active, two significant digits (+-0.5B = 5%); exact 9.80B without embedding and head "
     "(10.42B without the input embedding only; 11.03B with both)"),
    ("deepseek-v3.2", "total_with_mtp", 685e9, 0.00073,
     "hub size 685B, whole billions (+-0.5B = 0.073%), counts the checkpoint: 671,877,929,216 (model, DSA "
     "indexer included) + 13,477,385,472 (MTP module, reported apart) = 685.36B"),
    ("kimi-k2-instruct", "total", 1e12, 0.03,
     "model card: 1T, the size class; exact 1.026T (+2.6%)"),
    ("kimi-k2-instruct", "active", 32e9, 0.031,
     "model card: 32B activated, truncated to whole billions (< 1B = 3.1%) as DeepSeek-V3's 37B; exact 32.86B"),
    ("roberta-base", "total", 125e6, 0.004,
     "fairseq release: 125M, whole millions (+-0.5M = 0.4%); exact 124.70M"),
    ("roberta-large", "total", 355e6, 0.0015,
     "fairseq release: 355M, whole millions (+-0.5M = 0.14%); exact 355.41M"),
    # Llama 4: the vendored configs have no vision_config, so the count holds Llama4VisionConfig's default tower
    # (415,856,640 + projector 39,321,600); the published totals include the released, different tower.
    ("nemotron-h-56b-base-8k", "total", 56e9, 0.0089,
     "the model card says 56B; the exact count is 56.32B (rounding to the nearest 0.5B)"),
    ("llama-4-scout-17b-16e-instruct", "total", 109e9, 0.0075,
     "model card: 109B total; exact 108.23B (-0.71%): whole-billion rounding (+-0.5B = 0.46%) plus the vision tower "
     "difference (this config counts the default tower, 0.46B with the projector; the card counts the real one)"),
    ("llama-4-scout-17b-16e-instruct", "active_text", 17e9, 0.0294,
     "model card: 17B activated, whole billions (+-0.5B = 2.94%); exact 17.17B for the text model with embedding "
     "and head (paramscope's active 17.63B also counts the default vision tower and projector)"),
    ("llama-4-maverick-17b-128e-instruct", "total", 400e9, 0.0125,
     "model card: 400B total, two significant digits (+-5B = 1.25%); exact 401.17B (+0.29%) with the default "
     "vision tower (the card counts the real one)"),
    ("phi-4", "total", 14e9, 0.05,
     "model card and report: 14B, a size class (+-0.5B = 3.6%); exact 14.66B (+4.7%): the card rounds down"),
    ("glm-4.5-air", "total", 106e9, 0.0081,
     "model card: 106B total, whole billions truncated (< 1B = 0.94%); exact 106.85B, MTP layer (3.62B) reported apart"),
    ("glm-4.5-air", "active_body", 12e9, 0.0417,
     "model card: 12B active, whole billions (+-0.5B = 4.2%); exact 12.18B without the embedding and head "
     "(13.42B with them)"),
    ("glm-4.5", "total", 355e9, 0.0063,
     "model card: 355B total; exact 352.80B without the MTP layer (-0.62%), 358.34B with it (+0.94%): the card's "
     "figure lies between the two (neither definition reproduces it exactly)"),
    ("glm-4.5", "active_body", 32e9, 0.0156,
     "model card: 32B active, whole billions (+-0.5B = 1.6%); exact 32.08B without the embedding and head"),
    ("llama-4-maverick-17b-128e-instruct", "active_text", 17e9, 0.0294,
     "model card: 17B activated, whole billions (+-0.5B = 2.94%); exact 17.18B for the text model with embedding "
     "and head (paramscope's active 17.64B also counts the default vision tower and projector)"),
    ("mistral-large-instruct-2407", "total", 123e9, 0.0041,
     "model card: 123B, whole billions (+-0.5B = 0.41%); exact 122.61B (-0.32%)"),
    ("mistral-small-24b-instruct-2501", "total", 24e9, 0.0209,
     "model card: 24B, whole billions (+-0.5B = 2.08%); exact 23.57B (-1.78%)"),
    ("c4ai-command-r-v01", "total", 35e9, 0.0143,
     "model card: '35 billion parameter', whole billions (+-0.5B = 1.43%); exact 34.98B (-0.05%)"),
    ("bloom-176b", "total", 176_247_271_424, 0,
     "model card: '176,247,271,424 parameters' (3,596,615,680 embedding), exact; the head is tied to the embedding"),
    ("olmoe-1b-7b-0924", "total", 6.9e9, 0.0073,
     "paper Fig. 4: 6.9B total, two significant digits (+-0.05B = 0.72%); exact 6.92B (+0.28%)"),
    ("olmoe-1b-7b-0924", "active", 1.3e9, 0.0385,
     "paper Fig. 4: 1.3B active, two significant digits (+-0.05B = 3.85%); exact 1.28B (-1.4%) with embedding and head"),
    ("opt-175b", "total", 175e9, 0.0029,
     "paper Table 1: 175B, whole billions (+-0.5B = 0.29%); exact 174.60B (-0.23%) under the stated assumptions "
     "(d_ff = 4 x d_model, vocabulary 50272, tied head)"),
    ("phi-3.5-moe-instruct", "active", 6.6e9, 0.0076,
     "model card: 6.6B active, two significant digits (+-0.05B = 0.76%); exact 6.64B (+0.62%) with embedding and "
     "head (the card gives no total: '16x3.8B' counts the shared layers 16 times)"),
    ("pythia-12b", "total", 12e9, 0.0417,
     "model card: '12B', a size class (+-0.5B = 4.2%); exact 11.85B (-1.3%)"),
    ("pythia-12b", "active_body", 11_327_027_200, 0,
     "model card table: 11,327,027,200 non-embedding parameters, exact: the total without the input embedding and "
     "the untied head (2 x 259,522,560)"),
    ("whisper-large-v3", "total", 1550e6, 0.0045,
     "paper Table 1 / model card: 1550M; exact 1,543,490,560 (-0.42%, a little more than the +-0.32% three "
     "significant digits allow: the card's figure is the size of the 'large' class, not an exact count)"),
    ("opt-66b", "total", 66e9, 0.0077,
     "OPT paper Table 1: 66B, whole billions (+-0.5B = 0.76%); exact 65.72B (-0.43%)"),
    ("lfm2-1.2b", "total", 1_170_340_608, 0,
     "model card table: 'Parameters 1,170,340,608', exact (the head tied to the embedding, counted once)"),
    ("starcoder2-15b", "total", 15e9, 0.065,
     "paper and model card: 'a 15B parameter model', the size class; exact 15.96B (+6.4%)"),
    ("falcon-h1-34b-instruct", "total", 34e9, 0.011,
     "technical report and model card: 34B, whole billions (+-0.5B = 1.5%); exact 33.64B (-1.05%)"),
    ("gemma-3n-e2b-it", "total", 5e9, 0.084,
     "model card / release blog: '5B' raw parameters, the size class; exact 5.42B (+8.4%) with the MobileNetV5 vision "
     "(294.1M) and conformer audio (681.3M) towers and the 2.01B per-layer embedding table ('2B effective' leaves those out)"),
    ("gemma-3n-e4b-it", "total", 8e9, 0.023,
     "model card / release blog: '8B' raw parameters, the size class; exact 7.82B (-2.3%) with both towers and the 2.35B "
     "per-layer embedding table ('4B effective' leaves those out)"),
    ("granite-4.0-h-tiny", "total", 7e9, 0.0715,
     "model card architecture table: '7B', whole billions (+-0.5B = 7.1%); exact 6.94B (-0.87%)"),
    ("granite-4.0-h-tiny", "active_body", 1e9, 0.5,
     "model card architecture table: '1B' active, one significant digit (+-0.5B = 50%); exact 1.31B without the "
     "tied embedding (1.47B with it, which would still round to 1B)"),
]


@pytest.mark.parametrize("rid,what,value,tol,why", PUBLISHED_CHECKS,
                         ids=[f"{r[0]}:{r[1]}" for r in PUBLISHED_CHECKS])
def test_published_figures_match_paramscope(rid, what, value, tol, why):
    from paramscope.model import load_model
    from paramscope.params import analyze

    assert rid in RECORDS
    report = analyze(load_model(rid))
    embed_head = report.by_role.get("embedding", 0) + report.by_role.get("head", 0)
    vision = report.by_component.get("vision", 0) + report.by_component.get("projector", 0)
    got = {"total": report.total, "active": report.active, "active_body": report.active - embed_head,
           "total_with_mtp": report.total + report.mtp, "active_text": report.active - vision}[what]
    assert got == pytest.approx(value, rel=tol), f"{rid}: {what} {got:,} vs published {value:,.0f} ({why})"
