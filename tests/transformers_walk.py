"""Walk every model type transformers ships with a language-model class and compare paramscope with it.

For each model type in transformers' causal-LM, masked-LM and seq2seq-LM auto mappings (read from the
installed transformers, so a new release shows what is missing), and the speech seq2seq mapping
(Whisper and other speech-to-text encoder-decoders), three configs are tried:

  default   the config class's defaults, serialised with to_dict() (every key written)
  diff      to_diff_dict(): only the keys that differ from the defaults, as save_pretrained writes a
            config.json, so paramscope must know each class's defaults for the keys left out
  small     widths, heads, layers, experts and vocabulary changed to small values (a perturbation that
            moves every shape), when transformers accepts the changed config
  untied    the small config with tie_word_embeddings flipped (for classes whose config has the key): the
            defaults are mostly tied, and untied heads, per-stack token tables and classes that never tie were
            where counts went wrong

Each is built by transformers on the meta device and given to paramscope. The outcome is "exact" (same
total), "refused" (paramscope raised one of its errors), "wrong" (a different total: never allowed),
or "transformers-fails" (transformers itself cannot build that config; nothing to compare).

    .venv/bin/python tests/transformers_walk.py                  # prints the coverage summary
    .venv/bin/python tests/transformers_walk.py --markdown FILE  # also writes the per-type table (docs/coverage.md)
    .venv/bin/python tests/transformers_walk.py --only dbrx,jetmoe  # only these model types, with details
"""

from __future__ import annotations

import functools

# Shape keys and the small values the perturbation gives them (only keys the config already has).
SMALL = {
    "hidden_size": 128, "d_model": 128, "n_embd": 128, "dim": 128,
    "intermediate_size": 176, "d_ff": 176, "ffn_dim": 176, "n_inner": 176,
    "num_attention_heads": 4, "num_heads": 4, "n_head": 4, "encoder_attention_heads": 4,
    "decoder_attention_heads": 4,
    "num_key_value_heads": 2, "num_kv_heads": 2, "head_dim": 32, "d_kv": 32,
    "num_hidden_layers": 3, "num_layers": 3, "n_layer": 3, "num_decoder_layers": 2, "encoder_layers": 2,
    "decoder_layers": 2,
    "vocab_size": 512,
    "num_local_experts": 4, "num_experts": 4, "n_routed_experts": 4, "num_experts_per_tok": 2,
    "moe_intermediate_size": 48, "shared_expert_intermediate_size": 80, "n_shared_experts": 1,
    "first_k_dense_replace": 1, "max_position_embeddings": 256, "n_positions": 256,
    "kv_lora_rank": 32, "q_lora_rank": 48, "qk_rope_head_dim": 16, "qk_nope_head_dim": 16, "v_head_dim": 24,
    "n_group": 2, "topk_group": 1,
}
PER_LAYER_LISTS = ("layer_types", "mlp_only_layers", "no_rope_layers", "layers_block_type", "mlp_layer_types",
                   "indexer_types")


@functools.cache
def transformers_lm_types() -> list[tuple[str, str, str]]:
    """(mapping kind, model_type, class name) for every LM class transformers' auto mappings list."""
    from transformers.models.auto import modeling_auto as ma

    out = []
    for kind, mapping in (("causal", ma.MODEL_FOR_CAUSAL_LM_MAPPING_NAMES),
                          ("mlm", ma.MODEL_FOR_MASKED_LM_MAPPING_NAMES),
                          ("s2s", ma.MODEL_FOR_SEQ_TO_SEQ_CAUSAL_LM_MAPPING_NAMES),
                          ("speech", ma.MODEL_FOR_SPEECH_SEQ_2_SEQ_MAPPING_NAMES)):
        for mt, names in mapping.items():
            out.append((kind, mt, names if isinstance(names, str) else names[0]))
    return out


def _small(d: dict) -> dict:
    small = dict(d)
    for k, v in SMALL.items():
        if isinstance(small.get(k), int) and not isinstance(small.get(k), bool):
            small[k] = v
    # an embedding width equal to the hidden width follows it (SqueezeBERT requires the two equal; elsewhere the
    # projection between them simply disappears, as in the default config)
    if isinstance(d.get("embedding_size"), int) and d.get("embedding_size") == d.get("hidden_size"):
        small["embedding_size"] = small["hidden_size"]
    n = small.get("num_hidden_layers", small.get("num_layers"))
    for key in PER_LAYER_LISTS:
        if isinstance(n, int) and isinstance(small.get(key), list) and len(small[key]) >= n:
            small[key] = small[key][:n]
    for k, v in list(small.items()):  # ids must stay inside the smaller vocabulary
        if k.endswith("_token_id") and isinstance(v, int) and v >= small.get("vocab_size", v + 1):
            small[k] = 0
    if isinstance(small.get("mlp_only_layers"), list):
        small["mlp_only_layers"] = [i for i in small["mlp_only_layers"] if isinstance(n, int) and i < n]
    return small


def compare(mt: str, cls_name: str, variant: str) -> tuple[str, str]:
    """(outcome, detail) for one model type and variant. A paramscope refusal of a config transformers cannot
    build either is reported as transformers-fails (nothing to compare; the detail keeps the refusal)."""
    import torch
    import transformers as tf

    from paramscope.errors import ParamscopeError
    from paramscope.inventory import build_inventory
    from paramscope.params import count
    from paramscope.sources.hf_config import spec_from_config

    tf.logging.set_verbosity_error()
    cfg_cls = tf.CONFIG_MAPPING[mt]
    try:
        cfg = cfg_cls()
        if variant == "diff":
            d = cfg.to_diff_dict()
        elif variant in ("small", "untied"):
            kwargs = _small({k: v for k, v in cfg.to_dict().items() if k not in _NOT_KWARGS})
            if variant == "untied":
                if "tie_word_embeddings" not in kwargs:
                    return "no-tie-key", "the config class has no tie_word_embeddings"
                kwargs["tie_word_embeddings"] = not bool(kwargs["tie_word_embeddings"])
            cfg = cfg_cls(**kwargs)
            d = cfg.to_dict()
        else:
            d = cfg.to_dict()
    except Exception as exc:  # noqa: BLE001 - transformers' own failure: nothing to compare with
        return "transformers-fails", f"{type(exc).__name__}: {str(exc)[:80]}"
    d = dict(d, model_type=mt, architectures=[cls_name])
    refusal = None
    try:
        total = count(build_inventory(spec_from_config(d, name=mt))).total
    except ParamscopeError as exc:
        refusal = str(exc)[:160]
    try:
        with torch.device("meta"):
            model = getattr(tf, cls_name)._from_config(cfg)
        hf_total = sum(p.numel() for p in model.parameters())
    except Exception as exc:  # noqa: BLE001 - a refusal of a config transformers cannot build either is no gap
        why = f"{type(exc).__name__}: {str(exc)[:80]}"
        return "transformers-fails", why + (f" (paramscope refuses too: {refusal})" if refusal else "")
    if refusal is not None:
        return "refused", refusal
    if total == hf_total:
        return "exact", ""
    return "wrong", f"paramscope {total:,} vs transformers {hf_total:,} ({(total - hf_total) / hf_total:+.3%})"


_NOT_KWARGS = ("transformers_version", "architectures", "model_type")
VARIANTS = ("default", "diff", "small", "untied")


def main() -> None:
    import collections
    import sys
    import time

    t0 = time.perf_counter()
    outcomes = collections.Counter()
    by_type = {}
    only = set(sys.argv[sys.argv.index("--only") + 1].split(",")) if "--only" in sys.argv else None
    for kind, mt, cls_name in transformers_lm_types():
        if only is not None and mt not in only:
            continue
        res = {v: compare(mt, cls_name, v) for v in VARIANTS}
        by_type[(kind, mt)] = res
        for v, (o, _) in res.items():
            outcomes[(v, o)] += 1
        if any(o == "wrong" for o, _ in res.values()):
            print("WRONG", kind, mt, {v: d for v, (o, d) in res.items() if o == "wrong"})
    exact_types = sum(1 for res in by_type.values() if res["default"][0] == "exact")
    print(f"{len(by_type)} LM model types; exact at default config: {exact_types}; "
          f"{time.perf_counter() - t0:.1f} s")
    for (v, o), n in sorted(outcomes.items()):
        print(f"  {v:8s} {o:20s} {n}")
    print("exact:", ", ".join(sorted(f"{k}:{mt}" for (k, mt), r in by_type.items() if r["default"][0] == "exact")))
    for (k, mt), r in sorted(by_type.items()):
        if r["default"][0] == "exact" and any(o != "exact" for o, _ in r.values()):
            print("  partial", k, mt, {v: (o, d[:100]) for v, (o, d) in r.items() if o != "exact"})
    if only is not None:
        for (k, mt), r in sorted(by_type.items()):
            for v, (o, d) in r.items():
                print(f"  {k:6s} {mt:24s} {v:8s} {o:18s} {d}")
    if "--markdown" in sys.argv and only is None:
        _markdown(sys.argv[sys.argv.index("--markdown") + 1], by_type, outcomes, exact_types, time.perf_counter() - t0)


def _optional_libraries() -> str:
    """Which optional libraries transformers needed for some classes were importable (timm: Gemma 3n's vision tower,
    a TimmWrapperModel); without one, those classes read `transformers-fails`."""
    try:
        import timm
    except ImportError:
        return "timm was not installed (gemma3n's vision tower needs it: transformers-fails)."
    return f"timm {timm.__version__} was importable (gemma3n's vision tower needs it; without it: transformers-fails)."


def _markdown(path: str, by_type: dict, outcomes, exact: int, seconds: float) -> None:
    import transformers

    def reason(r) -> str:
        o, d = r["default"]
        if o == "exact":
            return ""
        if "no adapter" in d:
            return "no adapter yet"
        return d.split(": ", 1)[-1].replace("|", "/")[:110]

    lines = [f"# Coverage: transformers {transformers.__version__} language-model classes", "",
             "Generated by `.venv/bin/python tests/transformers_walk.py --markdown docs/coverage.md`; the same walk",
             "runs in the suite (tests/test_config_keys.py). For every model type of transformers' causal-LM,",
             "masked-LM, seq2seq-LM and speech seq2seq auto mappings, four configs are built by transformers on the",
             "meta device and counted by paramscope: the class defaults (`default`), `to_diff_dict()` (`diff`, what",
             "save_pretrained writes), a small perturbed config (`small`) and that config with tie_word_embeddings",
             "flipped (`untied`; `no-tie-key` when the class has no such key). `exact`: the same total; `refused`:",
             "paramscope declined with one line (never a number); `transformers-fails`: transformers cannot build",
             "that config itself. A `wrong` outcome fails the suite.", "",
             f"**{exact} of {len(by_type)}** (mapping, model type) pairs are exact at their default config; "
             f"the walk took {seconds:.0f} s. {_optional_libraries()}", "",
             "| variant | outcome | count |", "|---|---|---|"]
    lines += [f"| {v} | {o} | {n} |" for (v, o), n in sorted(outcomes.items())]
    lines += ["", "| mapping | model type | default | diff | small | untied | why not exact (default) |",
              "|---|---|---|---|---|---|---|"]
    for (k, mt), r in sorted(by_type.items(), key=lambda kv: (kv[1]["default"][0] != "exact", kv[0][1], kv[0][0])):
        lines.append(f"| {k} | {mt} | {r['default'][0]} | {r['diff'][0]} | {r['small'][0]} | {r['untied'][0]} | "
                     f"{reason(r)} |")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
