"""Adapters added for issue 10 (see hf_config.ADAPTERS). Each entry: model_type -> adapter(c, model_type, *, name,
architecture, head) -> ModelSpec."""

from __future__ import annotations

ADAPTERS: dict = {}
