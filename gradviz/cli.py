"""The ``gradviz`` command.

    gradviz serve [tutorial|playground] [--port N] [--address A] [--no-show]
    gradviz snapshot [example-or-app] [--step K] [--out file.png]   (when gradviz.testing has it)
    gradviz --version | --help

``serve`` runs the apps shipped inside the package (``gradviz.apps``), so it works from any
directory, not only from a checkout that has ``apps/``. Panel is imported only by the
subcommands that need it, so ``gradviz --help`` stays instant.
"""
from __future__ import annotations

import argparse
import signal
import sys

from . import __version__
from .apps import APPS


def _serve(args) -> int:
    import panel as pn

    from .apps import factory

    create_app = factory(args.app)
    origins = list(args.allow_websocket_origin or [])
    if args.address not in (None, "localhost", "127.0.0.1") and not origins:
        origins = [f"{args.address}:{args.port}"] if args.port else ["*"]
    server = pn.serve(create_app, port=args.port, address=args.address,
                      websocket_origin=origins or None, show=False, start=False,
                      title=f"gradviz {args.app}", verbose=False)
    server.start()
    host = args.address or "localhost"
    url = f"http://{'localhost' if host in ('0.0.0.0', '::') else host}:{server.port}/"
    print(f"gradviz {args.app} is running at {url}  (Ctrl+C to stop)", flush=True)

    # Panel stops the loop on SIGINT; do the same on SIGTERM so `kill` and process managers
    # get a clean shutdown (sockets closed, sessions destroyed) instead of an abrupt exit.
    def stop(*_):
        server.io_loop.add_callback_from_signal(server.io_loop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not args.no_show:
        server.io_loop.add_callback(lambda: server.show("/"))
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("gradviz: server stopped", flush=True)
    return 0


# --- snapshot: wired to gradviz.testing.snapshot when that exists ---------------------------
def _snapshot_function():
    """``gradviz.testing.snapshot`` if the testing package provides it, else None."""
    try:
        from .testing import snapshot
    except ImportError:
        return None
    return snapshot if callable(snapshot) else None


def _snapshot_factory(name: str):
    """A function building the view to photograph: an app by name, or an example's explorer."""
    from . import examples
    from .apps import factory

    if name in APPS:
        return factory(name)
    if name in examples.EXAMPLES:
        def build():
            from .apps.graphs import explorer
            ex = examples.build(name)
            return explorer(ex.root, ex.names, **ex.kwargs)
        return build
    raise SystemExit(f"gradviz snapshot: no app or example named {name!r} "
                     f"(apps: {', '.join(APPS)}; examples: {', '.join(examples.EXAMPLES)})")


def _snapshot(args) -> int:
    from .apps import APPS as app_names

    snapshot = _snapshot_function()
    if args.step is not None and args.target in app_names:
        raise SystemExit("gradviz snapshot: --step applies to an example's explorer, "
                         f"not to the {args.target} app")
    out = args.out or f"gradviz-{args.target}.png"
    kwargs = {"path": out}
    if args.step is not None:
        kwargs["step"] = args.step
    if args.width:
        kwargs["width"] = args.width
    if args.height:
        kwargs["height"] = args.height
    snapshot(_snapshot_factory(args.target), **kwargs)
    print(f"gradviz: wrote {out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradviz",
        description="See backpropagation happen: serve the gradviz apps in your browser.")
    parser.add_argument("--version", action="version", version=f"gradviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve an app (the tutorial by default)",
                           description="Serve a gradviz app and open it in the browser.")
    serve.add_argument("app", nargs="?", default="tutorial", choices=APPS,
                       help="which app: the guided tutorial or the example playground "
                            "(default: tutorial)")
    serve.add_argument("--port", type=int, default=5006, help="port to listen on (default 5006; "
                       "0 picks a free one)")
    serve.add_argument("--address", default=None,
                       help="address to listen on (default: all interfaces, as panel serve)")
    serve.add_argument("--allow-websocket-origin", action="append", metavar="HOST[:PORT]",
                       help="extra host allowed to connect (needed behind a proxy)")
    serve.add_argument("--no-show", action="store_true", help="do not open a browser")
    serve.set_defaults(run=_serve)

    if _snapshot_function() is not None:
        snap = sub.add_parser("snapshot", help="save a PNG of an app or example graph",
                              description="Render an app or an example's explorer in headless "
                                          "Chromium and save a PNG.")
        snap.add_argument("target", nargs="?", default="seed",
                          help="an example (seed, eye, mlp, broadcast, nan) or an app "
                               "(tutorial, playground); default: seed")
        snap.add_argument("--step", type=int, default=None,
                          help="step the backward pass K events before the picture")
        snap.add_argument("--out", default=None,
                          help="PNG file to write (default: gradviz-<target>.png)")
        snap.add_argument("--width", type=int, default=None)
        snap.add_argument("--height", type=int, default=None)
        snap.set_defaults(run=_snapshot)
    return parser


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    return args.run(args)


if __name__ == "__main__":  # python -m gradviz.cli
    sys.exit(main())
