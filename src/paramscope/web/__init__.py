"""paramscope's web app (``paramscope serve``; needs the ``[web]`` extra: fastapi, uvicorn, plotly).

A thin layer: every API endpoint turns its query into the argument list of the matching CLI command, parses
it with the CLI's own parser and runs the command's ``run(args)`` with ``--json`` (runner.py), so the API
and the CLI never give two answers to one question. The page (static/) draws what the API returns.
Nothing here is imported by the plain CLI.
"""

from __future__ import annotations


def require_web() -> None:
    """Raise a one-line DependencyError when the [web] extra is missing."""
    from ..errors import DependencyError

    missing = []
    for mod in ("fastapi", "uvicorn", "plotly"):
        try:
            __import__(mod)
        except ImportError:
            missing.append(mod)
    if missing:
        raise DependencyError(f"the web app needs {', '.join(missing)}: install the [web] extra "
                              "(.venv/bin/pip install -e '.[web]')")


def create_app(**kwargs):
    require_web()
    from .app import create_app as _create

    return _create(**kwargs)
