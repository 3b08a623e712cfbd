"""A Hugging Face config.json (as a dict) -> ModelSpec.

The family is the config's ``model_type`` (or, when absent, the one its ``architectures[0]`` class
belongs to). Each family has an adapter in a registry; a config of an unknown family that has the
standard decoder keys is described generically, with every assumption returned as a warning.
Remote code is never executed: ``auto_map`` is ignored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..errors import ConfigError, UnsupportedArchitectureError
from ..spec import ModelSpec
from . import classic, gemma3n, gemma3n_mm, hybrids, multimodal, seq2seq_ssm
from .config_access import Cfg
from .config_keys import (
    alias_map,
    check_consumed,
    classes_folded,
    family_of_class,
    transformers_model_types,
    transformers_version,
)
from .decoders import FAMILIES, Traits, decoder_spec

Adapter = Callable[..., ModelSpec]


def _decoder(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    return decoder_spec(c, model_type, name=name, architecture=architecture, head=head)


ADAPTERS: dict[str, Adapter] = {mt: _decoder for mt in FAMILIES}
ADAPTERS.update({
    "gpt2": classic.gpt2,
    "gpt-sw3": classic.gpt2,  # GPT-SW3 checkpoints are GPT2LMHeadModel with their own config class
    "openai-gpt": classic.openai_gpt,
    "falcon": classic.falcon,
    "bert": classic.bert,
    "albert": classic.albert,
    "paramscope_decoder": classic.generic_decoder,
    "t5": seq2seq_ssm.t5,
    "switch_transformers": seq2seq_ssm.t5,
    "mamba": seq2seq_ssm.mamba,
    "falcon_mamba": seq2seq_ssm.mamba,  # Mamba-1 whose B, C and dt RMSNorms have no weights
    "mamba2": seq2seq_ssm.mamba2,
    "nemotron_h": hybrids.nemotron_h,
    "recurrent_gemma": hybrids.recurrent_gemma,
    "rwkv": hybrids.rwkv,
    "xlstm": hybrids.xlstm,
    "gemma3n_text": gemma3n.gemma3n_text,
    "gemma3n": gemma3n_mm.gemma3n,
    "llama4": multimodal.llama4,
    "jamba": seq2seq_ssm.jamba,
    "gemma3": multimodal.gemma3,
    "qwen2_vl": multimodal.qwen2_vl,
})

# --- issue 10: classic decoders, BERT-like encoders, BART-like encoder-decoders and Whisper --------
from . import encoders, gpt_classic, seq2seq  # noqa: E402

ADAPTERS.update({
    "gpt_neox": gpt_classic.gpt_neox,
    "gpt_neox_japanese": gpt_classic.gpt_neox_japanese,
    "bloom": gpt_classic.bloom,
    "opt": gpt_classic.opt,
    "gptj": gpt_classic.gptj,
    "gpt_neo": gpt_classic.gpt_neo,
    "gpt_bigcode": gpt_classic.gpt_bigcode,
    "phi": gpt_classic.phi,
    "mpt": gpt_classic.mpt,
    "codegen": gpt_classic.codegen,
    "persimmon": gpt_classic.persimmon,
    "ctrl": gpt_classic.ctrl,
    "xglm": gpt_classic.xglm,
    "biogpt": gpt_classic.biogpt,
})
ADAPTERS.update({mt: encoders.encoder for mt in encoders.FAMILIES})
ADAPTERS.update({mt: seq2seq.bart_like for mt in seq2seq.FAMILIES})
ADAPTERS.update({mt: seq2seq.t5_like for mt in seq2seq.T5_FAMILIES})
ADAPTERS.update({"whisper": seq2seq.whisper})
from . import composites, encoders_conv, encoders_more, hybrids_more  # noqa: E402

for _more in (encoders_more, encoders_conv, hybrids_more, composites):
    ADAPTERS.update(_more.ADAPTERS)
from . import qwen4_exp  # noqa: E402

ADAPTERS.update(qwen4_exp.ADAPTERS)  # Qwen4-Exp text (qwen4_exp_text) and vision-language (qwen4_exp)
from . import deepseek_v4  # noqa: E402

ADAPTERS.update(deepseek_v4.ADAPTERS)
from . import gemma4_mm  # noqa: E402

ADAPTERS.update(gemma4_mm.ADAPTERS)  # Gemma 4 composites (gemma4, gemma4_unified) and the unified assistant
# --- end issue 10 ---------------------------------------------------------------------------------

# architectures[0] prefix -> model_type, for configs that omit model_type.
_ARCH_PREFIX = {
    "Llama": "llama", "Mistral": "mistral", "Mixtral": "mixtral", "Qwen2Moe": "qwen2_moe", "Qwen2VL": "qwen2_vl",
    "Qwen2": "qwen2", "Qwen3Moe": "qwen3_moe", "Qwen3": "qwen3", "Gemma3": "gemma3", "Gemma2": "gemma2",
    "Gemma": "gemma", "Phi3": "phi3", "Olmo2": "olmo2", "DeepseekV2": "deepseek_v2", "DeepseekV3": "deepseek_v3",
    "GptOss": "gpt_oss", "GPT2": "gpt2", "OpenAIGPT": "openai-gpt", "Falcon": "falcon", "Bert": "bert",
    "Albert": "albert", "T5": "t5", "SwitchTransformers": "switch_transformers", "Mamba": "mamba",
    "Jamba": "jamba", "ParamscopeDecoder": "paramscope_decoder",
}

# "GenerationDecoder": BertGenerationDecoder (the causal-LM class of bert-generation); "WithLMHead":
# ReformerModelWithLMHead (transformers' causal-LM mapping)
_LM_SUFFIXES = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration", "GenerationDecoder", "WithLMHead",
                "ForTextToText", "ForSpeechToText")
# LM classes whose names end like a bare backbone's ("...Model"): Marian's translation model carries its lm_head
_LM_CLASSES = ("MarianMTModel",)


def head_kind(architecture: str) -> str:
    if architecture.endswith(_LM_SUFFIXES) or architecture in _LM_CLASSES or architecture == "ParamscopeDecoder":
        return "lm"
    if architecture.endswith(("ForMaskedLM", "ForPreTraining")):
        return "mlm"
    if architecture.endswith(("Model", "EncoderModel", "GenerationEncoder")):
        return "none"
    raise UnsupportedArchitectureError(
        f"architecture {architecture!r}: only language-model, masked-LM and bare backbone classes are "
        "described (task heads such as sequence classification are not)")


def spec_from_config(config: dict, *, name: str = "", origin: str = "config.json") -> ModelSpec:
    c = Cfg(config, origin)
    archs = c.str_list("architectures") or []
    model_type, notes = _family(c.str("model_type"), archs, origin)
    if model_type != c.str("model_type"):
        c = Cfg(config, origin, aliases=alias_map(model_type))
        c.touch("model_type", "architectures")
    architecture = archs[0] if archs else _default_architecture(model_type)
    try:
        head = head_kind(architecture)
    except UnsupportedArchitectureError as exc:
        raise UnsupportedArchitectureError(f"{origin}: architectures[0]: {exc}") from None
    adapter = ADAPTERS.get(model_type)
    name = name or config.get("_name_or_path") or model_type
    if adapter is not None:
        spec = adapter(c, model_type, name=name, architecture=architecture, head=head)
    elif model_type in transformers_model_types():
        raise UnsupportedArchitectureError(
            f"{origin}: model_type {model_type!r} is a transformers {transformers_version()} architecture "
            "paramscope has no adapter for yet; refusing rather than guessing its layout")
    else:
        spec = _generic(c, model_type, name=name, architecture=architecture, head=head)
    check_consumed(c, model_type)
    return replace(spec, warnings=notes + spec.warnings) if notes else spec


def _family(model_type: str | None, archs: list[str], origin: str) -> tuple[str, tuple[str, ...]]:
    """The family whose adapter describes a config, from model_type and architectures[0].

    A model_type transformers does not know (a remote-code release such as Kimi-K2's "kimi_k2") whose
    architectures[0] is a transformers class takes that class's family, with a note. A model_type that
    contradicts its architectures[0] (model_type "gpt2" with MistralForCausalLM) is refused.
    """
    arch = archs[0] if archs else None
    arch_types = _class_families(arch) if arch else ()
    if model_type is None:
        if not arch_types:
            raise ConfigError(f"{origin}: model_type: missing, and architectures {archs!r} name no known family")
        return arch_types[0], ()
    if model_type in ADAPTERS or model_type in transformers_model_types():
        if arch_types and model_type not in arch_types and not _compatible(model_type, arch_types):
            raise ConfigError(f"{origin}: model_type {model_type!r} contradicts architectures[0] {arch!r} "
                              f"(a {'/'.join(arch_types)} class)")
        return model_type, ()
    if arch_types:
        # several model_types share a class (LlamaForCausalLM: internlm3, iquestcoder, llama): the one
        # the class is named after
        folded = arch.lower()
        arch_types = tuple(sorted(arch_types, key=lambda t: not folded.startswith(t.replace("_", ""))))
        return arch_types[0], (f"model_type {model_type!r} is not a transformers architecture; described as "
                               f"{arch_types[0]!r}, the family of its architectures[0] {arch!r}",)
    return model_type, ()


def _class_families(arch: str) -> tuple[str, ...]:
    found = family_of_class(arch)
    if not found:  # a class spelled differently from transformers' (PhiMoEForCausalLM vs PhimoeForCausalLM)
        found = classes_folded().get(arch.lower(), ())
    if not found:
        for prefix, mt in sorted(_ARCH_PREFIX.items(), key=lambda kv: -len(kv[0])):
            if arch.startswith(prefix) and mt in ADAPTERS:
                return (mt,)
    return found


def _compatible(model_type: str, arch_types: tuple[str, ...]) -> bool:
    """A composite config and its text-only sibling (gemma3 / gemma3_text) may name each other's class."""
    return any(t.startswith(model_type) or model_type.startswith(t) for t in arch_types)


def _default_architecture(model_type: str) -> str:
    return {"gpt2": "GPT2LMHeadModel", "openai-gpt": "OpenAIGPTLMHeadModel", "t5": "T5ForConditionalGeneration",
            "bert": "BertForMaskedLM", "albert": "AlbertForMaskedLM"}.get(model_type, "ForCausalLM")


_STANDARD = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size")


def _generic(c: Cfg, model_type: str, *, name: str, architecture: str, head: str) -> ModelSpec:
    """An unknown family with the standard decoder keys: described as a Llama-style decoder."""
    missing = [k for k in _STANDARD if not c.has(k)]
    if missing:
        raise UnsupportedArchitectureError(
            f"{c.origin}: model_type {model_type!r} is not a known architecture and lacks the standard keys "
            f"{', '.join(missing)}")
    act = c.str("hidden_act", "silu")
    gated = act in ("silu", "swiglu", "swish", "geglu", "gelu_pytorch_tanh")
    if not gated:
        raise UnsupportedArchitectureError(
            f"{c.origin}: model_type {model_type!r} is not a known architecture and its activation {act!r} "
            "does not say whether the MLP is gated")
    warnings = (
        f"unknown architecture {model_type!r} ({architecture}): described as a Llama-style decoder "
        "(pre-RMSNorm, separate q/k/v/o, gated MLP with gate/up/down, no biases unless attention_bias/mlp_bias, "
        f"head {'tied' if c.bool('tie_word_embeddings', False) else 'untied'}); counts may be wrong if it differs",
    )
    traits = Traits(qkv_bias="attention_bias", o_bias="attention_bias", mlp_bias="mlp_bias")
    return decoder_spec(c, model_type, name=name, architecture=architecture, head=head, traits=traits,
                        warnings=warnings)
