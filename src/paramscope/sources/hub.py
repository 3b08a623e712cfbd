"""Hugging Face Hub ids -> Model: config.json and safetensors headers only, never weights, never remote code.

huggingface_hub (optional extra ``hub``) downloads ``config.json`` (honouring HF_HUB_OFFLINE and the local
cache: offline, only what is cached is used). When the repository has safetensors files, their headers are
read with ``get_safetensors_metadata`` (HTTP range requests of the header bytes only) when online, or from
cached files when offline, so the counts are the checkpoint's own. ``trust_remote_code`` does not exist
here: custom architectures are described by paramscope's adapters or the generic decoder, never executed.
"""

from __future__ import annotations

import os

from ..errors import DependencyError, InputError


def _hub():
    try:
        import huggingface_hub
    except ImportError:
        raise DependencyError("hub ids need huggingface_hub: pip install 'paramscope[hub]'") from None
    return huggingface_hub


PROBE_TIMEOUT_S = 2.0  # one TCP connect to the Hub before any download: no network fails in seconds, not retries


def _offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on") or not _reachable()


_REACHABLE: dict[str, bool] = {}


def _reachable() -> bool:
    """Whether the Hub endpoint accepts a TCP connection within PROBE_TIMEOUT_S (checked once per process).
    Without this, huggingface_hub retries for ~20 s and prints a message per retry before failing."""
    from urllib.parse import urlparse

    endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
    if endpoint not in _REACHABLE:
        import socket

        u = urlparse(endpoint)
        try:
            with socket.create_connection((u.hostname or "huggingface.co", u.port or 443), timeout=PROBE_TIMEOUT_S):
                _REACHABLE[endpoint] = True
        except OSError:
            _REACHABLE[endpoint] = False
    return _REACHABLE[endpoint]


def _file(hub, repo_id: str, filename: str, required: bool):
    try:
        return hub.hf_hub_download(repo_id, filename, local_files_only=_offline())
    except Exception as exc:  # huggingface_hub raises many types; each becomes one line
        if not required:
            return None
        kind = type(exc).__name__
        if _offline():
            why = "HF_HUB_OFFLINE is set" if os.environ.get("HF_HUB_OFFLINE") else "the Hub is unreachable"
            raise InputError(f"{repo_id}: {filename} is not in the local Hugging Face cache and {why}; download it "
                             "once online or give a local path") from None
        if "Gated" in kind:
            raise InputError(f"{repo_id}: gated repository; accept its licence on huggingface.co and log in "
                             "(HF_TOKEN)") from None
        if "RepositoryNotFound" in kind:
            raise InputError(f"{repo_id}: no such repository on the Hugging Face Hub (or it is private)") from None
        raise InputError(f"{repo_id}: cannot fetch {filename} ({kind}: {str(exc).splitlines()[0][:200]})") from None


def load_hub(repo_id: str):
    from pathlib import Path

    from ..model import from_config, read_config

    hub = _hub()
    cfg_path = _file(hub, repo_id, "config.json", required=True)
    config = read_config(Path(cfg_path))
    index = _file(hub, repo_id, "model.safetensors.index.json", required=False)
    single = None if index else _file(hub, repo_id, "model.safetensors", required=False) if _offline() else None
    if index or single:
        from .safetensors import load_safetensors

        try:
            return load_safetensors(Path(index or single), config=(config, Path(cfg_path)))
        except InputError:
            pass  # shards not cached: fall back to the config
    model = from_config(config, name=repo_id, origin=f"hub:{repo_id}/config.json", source="hub")
    return model
