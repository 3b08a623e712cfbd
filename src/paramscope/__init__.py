"""paramscope: exact parameter counts, memory, compute, speed and cost for transformer language models.

The library is the product; the CLI is a thin layer over it. Importing this package is cheap: the
public functions below import their modules on first use.

    >>> import paramscope
    >>> m = paramscope.load_model("llama-2-7b")
    >>> paramscope.param_report(m).total
    6738415616
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> (module, attribute)
_API = {
    "load_model": ("paramscope.model", "load_model"),
    "Model": ("paramscope.model", "Model"),
    "ModelSpec": ("paramscope.spec", "ModelSpec"),
    "Inventory": ("paramscope.inventory", "Inventory"),
    "build_inventory": ("paramscope.inventory", "build_inventory"),
    "spec_from_config": ("paramscope.sources.hf_config", "spec_from_config"),
    "param_report": ("paramscope.params", "analyze"),
    "ParamReport": ("paramscope.params", "ParamReport"),
    "weight_report": ("paramscope.memory.weights", "weight_report"),
    "kv_cache": ("paramscope.memory.kv", "kv_cache"),
    "KvOptions": ("paramscope.memory.kv", "KvOptions"),
    "memory_report": ("paramscope.memory.report", "memory_report"),
    "MemoryOptions": ("paramscope.memory.report", "MemoryOptions"),
    "ParamscopeError": ("paramscope.errors", "ParamscopeError"),
}

__all__ = sorted([*_API, "__version__"])


def __getattr__(name: str):
    try:
        module, attr = _API[name]
    except KeyError:
        raise AttributeError(f"module 'paramscope' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__():
    return __all__
