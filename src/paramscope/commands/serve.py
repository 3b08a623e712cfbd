"""paramscope serve [--host 127.0.0.1] [--port 8000] [--allow-hub]: the web app (needs the [web] extra)."""

from __future__ import annotations


def register(sub) -> None:
    from ..cli import _lazy

    p = sub.add_parser("serve", help="the web app: the same answers in a browser, with charts and permalinks "
                                     "(needs the [web] extra)")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1: this machine only)")
    p.add_argument("--port", default="8000", help="port (default 8000)")
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
    import uvicorn

    app = create_app(allow_hub=args.allow_hub)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: serving on {args.host}: reachable from other machines; the app has no authentication",
              file=sys.stderr)
    print(f"paramscope: serving on http://{args.host}:{port}/ (Ctrl-C stops)", file=sys.stderr)
    uvicorn.run(app, host=args.host, port=port, log_level="warning")
    return 0
