"""paramscope serve [--host 127.0.0.1] [--port 8000] [--allow-hub]: the web app (needs the [web] extra)."""

from __future__ import annotations


def register(sub) -> None:
    from ..cli import _lazy

    p = sub.add_parser("serve", help="the web app: the same answers in a browser, with charts and permalinks "
                                     "(needs the [web] extra)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", default="8000", help="port (default 8000)")
    p.add_argument("--workers", default="auto",
                   help="server processes (default auto: one per CPU core, at most 4); each answers on its own, "
                        "so distinct questions are answered in parallel")
    p.add_argument("--allow-hub", action="store_true",
                   help="accept Hugging Face Hub ids (org/name; needs the [hub] extra and a network connection)")
    p.set_defaults(func=_lazy("serve"))


def run(args) -> int:
    import sys

    from ..units import parse_count
    from ..web import create_app, require_web

    require_web()
    port = parse_count(args.port, what="--port", minimum=0)
    if port > 65535:
        from ..errors import InputError

        raise InputError(f"--port: expected 0-65535, got {port}")
    workers = _workers(args.workers)
    import uvicorn

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: reachable from other machines; the app has no authentication",
              file=sys.stderr)
    print(f"paramscope: serving on http://{args.host}:{port}/ with {workers} worker process"
          f"{'es' if workers > 1 else ''} (Ctrl-C stops)", file=sys.stderr)
    if workers == 1:
        uvicorn.run(create_app(allow_hub=args.allow_hub), host=args.host, port=port, log_level="warning")
        return 0
    import os
    import shutil
    import tempfile

    from ..web.app import ENV_ALLOW_HUB, ENV_UPLOADS

    uploads = tempfile.mkdtemp(prefix="paramscope-web-")  # shared by the workers; removed at exit
    os.environ[ENV_UPLOADS] = uploads
    os.environ[ENV_ALLOW_HUB] = "1" if args.allow_hub else "0"
    try:
        uvicorn.run("paramscope.web.app:app_from_env", factory=True, host=args.host, port=port, workers=workers,
                    log_level="warning")
    finally:
        shutil.rmtree(uploads, ignore_errors=True)
    return 0


def _workers(value: str) -> int:
    import os

    from ..errors import InputError
    from ..units import parse_count

    if value == "auto":
        return max(1, min(4, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))
    n = parse_count(value, what="--workers", minimum=1)
    if n > 64:
        raise InputError(f"--workers: expected 1-64 (or auto), got {n}")
    return n
