"""Finding a Chromium to take screenshots with, and the flags that make its pictures stable.

Order of discovery (the first that exists wins):

1. an explicit setting: the ``GRADVIZ_BROWSER`` environment variable (a path, or a command
   name looked up on ``PATH``);
2. Playwright's own managed Chromium, what a user has after ``playwright install chromium``;
3. ``chromium``, ``chromium-browser``, ``google-chrome`` (and friends) on ``PATH``.

Nothing here imports Playwright or starts a process: discovery is a few ``stat`` calls, so it
is cheap enough to run at test collection time.
"""
from __future__ import annotations

import glob
import os
import shutil
import sys
from dataclasses import dataclass

#: Environment variable naming the browser executable to use.
BROWSER_ENV = "GRADVIZ_BROWSER"
#: Environment variable that turns "no browser, skip" into "no browser, fail" (set by CI).
REQUIRE_ENV = "GRADVIZ_REQUIRE_BROWSER"

INSTALL_HINT = (
    "Install one with `pip install playwright && playwright install chromium`, "
    "or `apt-get install chromium` (Debian/Ubuntu), or point GRADVIZ_BROWSER at a "
    "Chromium/Chrome executable."
)

#: Chromium flags for headless screenshots that come out the same on every run.
LAUNCH_ARGS = (
    "--no-sandbox",                      # CI containers run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--force-color-profile=srgb",        # no colour management differences between machines
    "--font-render-hinting=none",        # glyph shapes independent of the host's hinting setup
    "--force-device-scale-factor=1",
    "--hide-scrollbars",
)

# Commands tried on PATH, in order.
_PATH_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")

# Some distributions install a shell wrapper on PATH; the real binary is faster to start and
# does not print the wrapper's noise. Map wrapper -> real binary where we know it.
_REAL_BINARIES = {
    "/usr/bin/chromium": "/usr/lib/chromium/chromium",
    "/usr/bin/chromium-browser": "/usr/lib/chromium-browser/chromium-browser",
}


class BrowserNotFound(RuntimeError):
    """No usable Chromium was found. The message says how to install one."""


@dataclass(frozen=True)
class BrowserInfo:
    """Where a browser was found: ``path`` to the executable and ``source``, one of
    ``"env"``, ``"playwright"`` or ``"path"``."""

    path: str
    source: str


def browser_required() -> bool:
    """True when a missing browser must fail rather than skip (``GRADVIZ_REQUIRE_BROWSER=1``)."""
    return os.environ.get(REQUIRE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def _playwright_cache_dirs() -> list[str]:
    env = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if env and env != "0":
        return [env]
    dirs = []
    if env == "0":  # browsers installed inside the playwright package itself
        try:
            import importlib.util
            spec = importlib.util.find_spec("playwright")
            if spec and spec.origin:
                dirs.append(os.path.join(os.path.dirname(spec.origin), "driver", "package",
                                         ".local-browsers"))
        except Exception:  # pragma: no cover - defensive
            pass
    home = os.path.expanduser("~")
    if sys.platform == "darwin":
        dirs.append(os.path.join(home, "Library", "Caches", "ms-playwright"))
    elif sys.platform.startswith("win"):
        dirs.append(os.path.join(os.environ.get("LOCALAPPDATA", home), "ms-playwright"))
    else:
        dirs.append(os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.join(home, ".cache")),
                                 "ms-playwright"))
    return dirs


def _playwright_managed() -> str | None:
    """The newest Chromium that ``playwright install chromium`` left in its cache, if any."""
    patterns = (
        "chromium-*/chrome-linux*/chrome",
        "chromium-*/chrome-mac*/Chromium.app/Contents/MacOS/Chromium",
        "chromium-*/chrome-mac*/Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing",
        "chromium-*/chrome-win*/chrome.exe",
        "chromium_headless_shell-*/chrome-*/headless_shell",
        "chromium_headless_shell-*/chrome-*/chrome-headless-shell",
        "chromium_headless_shell-*/chrome-*/headless_shell.exe",
    )
    for cache in _playwright_cache_dirs():
        found = []
        for pattern in patterns:
            found.extend(p for p in glob.glob(os.path.join(cache, pattern)) if _executable(p))
        if found:
            # Directory names carry the revision number: the highest is the newest.
            def revision(p: str) -> int:
                part = os.path.relpath(p, cache).split(os.sep)[0].rsplit("-", 1)[-1]
                return int(part) if part.isdigit() else -1
            return max(found, key=revision)
    return None


def _resolve(cmd: str) -> str | None:
    path = cmd if os.sep in cmd else shutil.which(cmd)
    if not path or not _executable(path):
        return None
    real = _REAL_BINARIES.get(os.path.realpath(path)) or _REAL_BINARIES.get(path)
    return real if real and _executable(real) else path


def find_browser() -> BrowserInfo:
    """Find a Chromium for screenshots.

    Looks at ``GRADVIZ_BROWSER`` first, then Playwright's managed Chromium, then
    ``chromium``/``chromium-browser``/``google-chrome`` on ``PATH``.

    Returns:
        A :class:`BrowserInfo` with the executable ``path`` and where it came from.

    Raises:
        BrowserNotFound: nothing usable was found (or ``GRADVIZ_BROWSER`` names something that
            does not exist); the message says how to install a browser.
    """
    explicit = os.environ.get(BROWSER_ENV, "").strip()
    if explicit:
        path = _resolve(explicit)
        if path is None:
            raise BrowserNotFound(f"{BROWSER_ENV}={explicit!r} is not an executable file. "
                                  + INSTALL_HINT)
        return BrowserInfo(path, "env")
    managed = _playwright_managed()
    if managed:
        return BrowserInfo(managed, "playwright")
    for name in _PATH_NAMES:
        path = _resolve(name)
        if path:
            return BrowserInfo(path, "path")
    raise BrowserNotFound("No Chromium found for gradviz screenshots (looked at "
                          f"${BROWSER_ENV}, Playwright's browsers and {', '.join(_PATH_NAMES)} "
                          "on PATH). " + INSTALL_HINT)
