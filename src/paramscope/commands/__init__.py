"""One module per CLI command (``register(sub)`` adds its arguments, ``run(args)`` runs it)."""

from __future__ import annotations


def load(ref: str):
    """Load a model and print its warnings on stderr: the one place every command that loads a model goes
    through, so no command drops a warning (e.g. config.json and the checkpoint disagree)."""
    from ..model import load_model
    from ..render import warn

    model = load_model(ref)
    warn(model.warnings)
    return model
