"""The ``gradviz`` command.

    gradviz serve [tutorial|playground] [--port N] [--address A] [--allow-websocket-origin H]
                  [--num-procs N] [--unused-session-lifetime MS] [--no-show]
    gradviz export tutorial|playground DIR [--resources inline|cdn]
    gradviz snapshot [example-or-app] [--step K] [--out file.png] [--width W] [--height H]
    gradviz --version | --help

``serve`` runs the apps shipped inside the package (``gradviz.apps``), so it works from any
directory, not only from a checkout that has ``apps/``. Panel is imported only by the
subcommands that need it, so ``gradviz --help`` stays instant.

Every failure a user can fix (a taken port, a missing optional package, no browser) ends the
command with one line on stderr saying what to do, and a non-zero exit status; tracebacks are
kept for bugs.
"""
from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys

from . import __version__
from .apps import APPS

#: Exit status of a failure the user can fix (argparse uses 2 for bad usage).
FAILED = 1


class CommandError(Exception):
    """A failure the user can fix; its message is the one line ``gradviz`` prints."""


# --- serve -----------------------------------------------------------------------------------
_WILDCARD = (None, "", "0.0.0.0", "::")
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def has_display() -> bool:
    """True when a browser window can be opened here: macOS and Windows always have a desktop;
    elsewhere an X11 or Wayland display must be named in the environment."""
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def _free_port(address: str | None) -> int:
    family = socket.AF_INET6 if address and ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((address if address not in _WILDCARD else "", 0))
        return s.getsockname()[1]


def _this_machine_names() -> list[str]:
    """Names and addresses under which other machines may reach this one (best effort)."""
    names = []
    for lookup in (socket.gethostname, socket.getfqdn):
        try:
            name = lookup()
        except OSError:
            continue
        if name and name not in names:
            names.append(name)
    for name in list(names):
        try:
            addr = socket.gethostbyname(name)
        except OSError:
            continue
        if addr not in names and not addr.startswith("127."):
            names.append(addr)
    return names


def websocket_origins(address: str | None, port: int, extra) -> list[str]:
    """The ``host:port`` values a browser's page may come from (Bokeh refuses a websocket from
    any other origin). Loopback always; listening on every interface also allows this
    machine's own names, so students can type ``http://<hostname>:<port>/``; anything else
    (a proxy's public name) is added with ``--allow-websocket-origin``."""
    origins = [f"{host}:{port}" for host in ("localhost", "127.0.0.1")]
    if address in _WILDCARD:
        origins += [f"{name}:{port}" for name in _this_machine_names()]
    elif address not in _LOOPBACK:
        origins.append(f"{address}:{port}")
    for origin in extra or ():
        if origin not in origins:
            origins.append(origin)
    return origins


def _bind_error(exc: OSError, args, port: int) -> CommandError:
    where = f"{args.address or 'all interfaces'} port {port}"
    if exc.errno == errno.EADDRINUSE:
        return CommandError(
            f"port {port} is already in use (another gradviz or panel server?); "
            f"choose another with --port {port + 1}, or --port 0 for any free port")
    if exc.errno == errno.EACCES:
        return CommandError(f"not allowed to listen on {where}; ports below 1024 need root: "
                            f"use --port {5006 if port < 1024 else port + 1}")
    if exc.errno in (errno.EADDRNOTAVAIL, getattr(errno, "EAFNOSUPPORT", -1)):
        return CommandError(f"{args.address} is not an address of this machine; use "
                            "--address 127.0.0.1 (this machine only) or --address 0.0.0.0 "
                            "(every network interface)")
    return CommandError(f"cannot listen on {where}: {exc.strerror or exc}")


#: How long a session with no page connected is kept. A page's GET creates its session and
#: its websocket joins it a moment later; but when a class opens the page at once, the server
#: builds the pages one after another and a websocket can come long after its GET. Bokeh's
#: default (15 s) then discards sessions before their websocket arrives, and the server builds
#: those pages a second time, which makes everyone wait longer still
#: (benchmarks/bench_sessions.py counts them). A closed page's session is kept this long too.
UNUSED_SESSION_LIFETIME_MS = 120_000


def _raise_keyboard_interrupt(*_):
    raise KeyboardInterrupt


def _stop_with_parent(server, parent: int) -> None:
    """In a worker of --num-procs: stop when the parent process has gone (it was stopped)."""
    from tornado.ioloop import PeriodicCallback

    def check():
        if os.getppid() != parent:
            server.io_loop.stop()

    PeriodicCallback(check, 500).start()


def _serve(args) -> int:
    if args.num_procs < 1:
        raise CommandError("--num-procs must be 1 or more")
    if args.num_procs > 1 and sys.platform.startswith("win"):
        raise CommandError("--num-procs above 1 is not supported on Windows; run several "
                           "`gradviz serve --port N` behind a load balancer instead")
    if args.unused_session_lifetime < 1000:
        raise CommandError("--unused-session-lifetime is in milliseconds and must be 1000 "
                           f"or more, not {args.unused_session_lifetime}")
    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be between 0 and 65535, not {args.port}")
    import panel as pn

    from .apps import factory

    create_app = factory(args.app)
    # Port 0 is resolved here so that the allowed websocket origins can name the real port
    # (and every process of --num-procs shares it).
    port = args.port or _free_port(args.address)
    parent = os.getpid()
    if args.num_procs > 1:
        # The parent process waits inside pn.serve for its workers; make `kill` end that wait
        # the way Ctrl+C does (the workers notice their parent is gone and stop cleanly).
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        server = pn.serve(create_app, port=port, address=args.address,
                          websocket_origin=websocket_origins(args.address, port,
                                                             args.allow_websocket_origin),
                          num_procs=args.num_procs, show=False, start=False,
                          title=f"gradviz {args.app}", verbose=False,
                          unused_session_lifetime_milliseconds=args.unused_session_lifetime)
    except OSError as exc:
        raise _bind_error(exc, args, port) from None
    except KeyboardInterrupt:  # the parent of --num-procs workers, stopped
        print("gradviz: server stopped", flush=True)
        return 0

    # With --num-procs N the process forked above; only the first worker talks to the user.
    from tornado.process import task_id
    first = task_id() in (None, 0)
    if os.getpid() != parent:
        _stop_with_parent(server, parent)
    host = args.address or "localhost"
    url = f"http://{'localhost' if host in _WILDCARD else host}:{port}/"
    if first:
        procs = f" in {args.num_procs} processes" if args.num_procs > 1 else ""
        print(f"gradviz {args.app} is running at {url}{procs}  (Ctrl+C to stop)", flush=True)
        if args.address in _WILDCARD:
            others = [n for n in _this_machine_names() if n not in _LOOPBACK]
            if others:
                print(f"  from other machines: http://{others[0]}:{port}/  (other names need "
                      "--allow-websocket-origin NAME:PORT)", flush=True)
        if not args.no_show and not has_display():
            print(f"gradviz: no display here, so no browser was opened; open {url} in a "
                  "browser (or pass --no-show to silence this)", flush=True)

    server.start()

    # Panel stops the loop on SIGINT; do the same on SIGTERM so `kill` and process managers
    # get a clean shutdown (sockets closed, sessions destroyed) instead of an abrupt exit.
    def stop(*_):
        server.io_loop.add_callback_from_signal(server.io_loop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if first and not args.no_show and has_display():
        server.io_loop.add_callback(lambda: server.show("/"))
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    if first and args.num_procs == 1:  # with workers, their parent says it
        print("gradviz: server stopped", flush=True)
    return 0


# --- snapshot --------------------------------------------------------------------------------
def _missing_snapshot_packages() -> list[str]:
    """Which of the packages ``gradviz snapshot`` needs cannot be imported."""
    import importlib

    missing = []
    for module, package in (("playwright.sync_api", "playwright"), ("PIL", "pillow")):
        try:
            importlib.import_module(module)
        except ImportError:
            missing.append(package)
    return missing


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
    raise CommandError(f"no app or example named {name!r} "
                       f"(apps: {', '.join(APPS)}; examples: {', '.join(examples.EXAMPLES)})")


def _snapshot(args) -> int:
    missing = _missing_snapshot_packages()
    if missing:
        raise CommandError(f"gradviz snapshot needs {' and '.join(missing)}, which "
                           f"{'is' if len(missing) == 1 else 'are'} not installed: "
                           "pip install \"gradviz[snapshot]\" (then a browser: "
                           "apt-get install chromium, or playwright install chromium)")
    from .testing import BrowserNotFound, find_browser, snapshot

    if args.step is not None and args.target in APPS:
        raise CommandError("--step applies to an example's explorer, "
                           f"not to the {args.target} app")
    if args.step is not None and args.step < 0:
        raise CommandError(f"--step must be 0 or more, not {args.step}")
    build = _snapshot_factory(args.target)
    try:
        find_browser()
    except BrowserNotFound as exc:
        raise CommandError(str(exc)) from None
    out = args.out or f"gradviz-{args.target}.png"
    kwargs = {"path": out}
    if args.step is not None:
        kwargs["step"] = args.step
    if args.width:
        kwargs["width"] = args.width
    if args.height:
        kwargs["height"] = args.height
    try:
        snapshot(build, **kwargs)
    except OSError as exc:
        if getattr(exc, "filename", None):
            raise CommandError(f"cannot write {exc.filename}: {exc.strerror}; "
                               "choose another file with --out") from None
        raise
    except TimeoutError as exc:
        raise CommandError(f"{exc}; try again on a less busy machine") from None
    print(f"gradviz: wrote {out}")
    return 0


# --- the parser ------------------------------------------------------------------------------
_SERVE_EPILOG = """\
examples:
  gradviz serve                          the tutorial, at http://localhost:5006/
  gradviz serve playground --port 8000   another port (when 5006 is taken)
  gradviz serve --no-show                do not open a browser (a server without a desktop)

a shared machine or a classroom:
  gradviz serve --address 0.0.0.0
      listen on every network interface; students open http://<this machine's name>:5006/
      (for more cores, several servers on their own ports behind a sticky load balancer:
      with --num-procs a page's websocket often reaches another process, which builds the
      page a second time)
  gradviz serve --address 0.0.0.0 --allow-websocket-origin course.example.org
      behind a reverse proxy: name the host (and port, if not 80) the students' browsers
      see; repeat the option for several names
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gradviz",
        description="See backpropagation happen: serve the gradviz apps in your browser.")
    parser.add_argument("--version", action="version", version=f"gradviz {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="serve an app (the tutorial by default)",
                           description="Serve a gradviz app and open it in the browser.",
                           epilog=_SERVE_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("app", nargs="?", default="tutorial", choices=APPS,
                       help="which app: the guided tutorial or the example playground "
                            "(default: tutorial)")
    serve.add_argument("--port", type=int, default=5006,
                       help="port to listen on (default 5006; 0 picks a free one)")
    serve.add_argument("--address", default=None,
                       help="address to listen on: 127.0.0.1 for this machine only, 0.0.0.0 "
                            "for every network interface (default: all interfaces, as panel "
                            "serve; pages are still only accepted from this machine's names)")
    serve.add_argument("--allow-websocket-origin", action="append", metavar="HOST[:PORT]",
                       help="also accept pages opened under this host name (behind a proxy "
                            "or a DNS alias); repeatable. Loopback and, with --address "
                            "0.0.0.0, this machine's own names are always accepted")
    serve.add_argument("--num-procs", type=int, default=1, metavar="N",
                       help="serve from N processes sharing the port (default 1; not on "
                            "Windows). Each session lives in one process, and a page whose "
                            "websocket reaches another process is built again there")
    serve.add_argument("--unused-session-lifetime", type=int, default=UNUSED_SESSION_LIFETIME_MS,
                       metavar="MS",
                       help="keep a session with no page connected this many milliseconds "
                            f"(default {UNUSED_SESSION_LIFETIME_MS}): a page's websocket may "
                            "come long after its GET when a class opens the page at once; "
                            "closed pages are freed after this long")
    serve.add_argument("--no-show", action="store_true", help="do not open a browser")
    serve.set_defaults(run=_serve)

    snap = sub.add_parser("snapshot", help="save a PNG of an app or example graph",
                          description="Render an app or an example's explorer in headless "
                                      "Chromium and save a PNG. Needs the [snapshot] extra "
                                      "(playwright, pillow) and a Chromium.")
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

    export = sub.add_parser("export", help="write an app as static pages that step without "
                            "Python", description="Write an app as static HTML pages (an "
                            "index and one page per section or example) whose explorers step "
                            "in the browser without Python; serve the folder with any static "
                            "file server (python -m http.server) or open the files.")
    export.add_argument("app", choices=APPS, help="which app")
    export.add_argument("folder", help="folder to write into (made if missing)")
    export.add_argument("--resources", choices=("inline", "cdn"), default="inline",
                        help="inline: pages work offline (about 3.5 MB each; the default); "
                             "cdn: small pages that load Bokeh and Panel from their CDN")
    export.set_defaults(run=_export)
    return parser


def _export(args) -> int:
    from .viz.static_page import export_app

    try:
        files = export_app(args.app, args.folder, resources=args.resources,
                           log=lambda text: print(f"gradviz: {text}", flush=True))
    except OSError as exc:
        raise CommandError(f"cannot write {exc.filename or args.folder}: {exc.strerror}") from None
    print(f"gradviz: {len(files)} files in {args.folder}; serve them with "
          f"python -m http.server --directory {args.folder}")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 0
    try:
        return args.run(args)
    except CommandError as exc:
        print(f"gradviz {args.command}: error: {exc}", file=sys.stderr, flush=True)
        return FAILED


if __name__ == "__main__":  # python -m gradviz.cli
    sys.exit(main())
