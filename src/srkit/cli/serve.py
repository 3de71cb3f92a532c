"""``srkit serve [--host 127.0.0.1] [--port 8000]``: the upscaling web page and its JSON API (``srkit[serve]``)."""

from __future__ import annotations

import argparse
import ipaddress
import sys
from typing import Any

import srkit


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "serve",
        help="a web page (and JSON API) to upscale images: drop an image, compare before/after, download",
        description="Serve srkit's upscaler as a web page with a JSON API under /api (OpenAPI page: /docs). Needs "
        "the serve extra: pip install 'srkit[serve]'. Jobs run in a bounded queue; uploads beyond the limits get "
        "413, requests beyond the queue 503 with Retry-After; results are deleted after --ttl seconds. There is no "
        "authentication: keep the default loopback host unless a proxy in front of it adds one.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.add_argument(
        "--model",
        action="append",
        dest="models",
        metavar="NAME|FILE",
        help="a model the page offers (repeat for several; the first is the default). Default: srkit, srkit_fast, "
        "srkit_real, srkit_real_gan. A checkpoint file is offered under its path as given here; requests only "
        "choose among these",
    )
    p.add_argument("--workers", type=int, default=1, help="jobs run at once, one model instance each (default 1)")
    p.add_argument("--queue", type=int, default=8, help="jobs that may wait; more get 503 (default 8)")
    p.add_argument("--max-upload-mb", type=float, default=25, help="largest upload in MB (default 25)")
    p.add_argument("--max-pixels", type=int, default=4_000_000, help="largest input in pixels (default 4000000)")
    p.add_argument("--ttl", type=float, default=3600, help="seconds a result is kept (default 3600)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from srkit.web.app import DEFAULT_MODELS, ServeSettings, create_app
    except ImportError:
        raise srkit.SrkitError("srkit serve needs the serve extra: pip install 'srkit[serve]'") from None
    if not 0 < args.port < 65536:
        raise srkit.SrkitError(f"--port must be in 1-65535, got {args.port}")
    if args.workers < 1 or args.queue < 0 or args.max_upload_mb <= 0 or args.max_pixels < 4 or args.ttl <= 0:
        raise srkit.SrkitError("--workers must be >= 1, --queue >= 0, and --max-upload-mb, --max-pixels, --ttl > 0")
    settings = ServeSettings(
        models=tuple(dict.fromkeys(args.models or DEFAULT_MODELS)),
        workers=args.workers,
        max_queued=args.queue,
        max_bytes=int(args.max_upload_mb * 1024 * 1024),
        max_pixels=args.max_pixels,
        ttl=args.ttl,
    )
    app = create_app(settings)
    try:
        loopback = ipaddress.ip_address(args.host).is_loopback
    except ValueError:
        loopback = args.host == "localhost"
    if not loopback:
        print(
            f"srkit: warning: listening on {args.host}: anyone who reaches it can use it (no authentication)",
            file=sys.stderr,
        )
    print(f"srkit serve: http://{args.host}:{args.port}/ (API docs: /docs); Ctrl-C stops", file=sys.stderr)
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except OSError as err:
        raise srkit.SrkitError(f"cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    return 0
