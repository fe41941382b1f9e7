"""Serving a class: many students stepping through backward at once on one ``gradviz serve``.

    python benchmarks/bench_sessions.py                    # 30 students, writes nothing
    python benchmarks/bench_sessions.py --write            # and puts the numbers in RESULTS.md
    python benchmarks/bench_sessions.py --num-procs 2 --unused-session-lifetime 15000 --write
    python benchmarks/bench_sessions.py --sessions 10 --rounds 1 --lessons 1   # a quick look

What runs: a real ``gradviz serve tutorial --address 127.0.0.1 --no-show`` process (the command
the README gives a class; ``--num-procs`` and ``--unused-session-lifetime`` are passed on), its
stdout and stderr captured as the server log. The students are
``gradviz.testing.session_client.HeadlessPage`` clients, which speak Bokeh's websocket protocol
as the page's BokehJS does: GET the page (the server builds the session's tutorial then), open
the websocket with the page's token, pull the document, say ``document_ready``, then click by
sending the ``button_click`` events a browser sends. A step's latency is from sending the click
to receiving the patch that changes the counter: the server's share of what a student waits
for (the browser then paints on the student's own machine; ``bench_explorer.py`` measures that
part). Protocol clients rather than 30 Chromium pages, because 30 pages rendering on this
2-core machine would take the CPU from the server being measured, which a class's own laptops
do not.

Each student does ``--lessons`` lessons on the tutorial's first section (the seed graph, 8
events per pass): Step x4, Run, Backward again, Reset, Step x4, Run, Zero grads (retain_graph
ticked once, first), 0.5-1.5 s between clicks (a person reading the sentence), all students
at once. First one student alone, then ``--sessions`` together, on the same server, so the
latencies compare side by side. A page whose websocket found its session already discarded
(so the server built the page twice) is counted.

Errors counted: any ERROR reply or lost connection, a click whose answer does not come within
60 s, a counter that does not read what the click must give (Step from "step 3 of 8" must show
"step 4 of 8"), and any line of the server log that is a traceback, an error or a warning.

Server memory: resident set (``/proc/<pid>/status`` VmRSS of the server and its workers, Linux)
idle after start, after one warm-up session was closed, with all sessions open, and after they
were closed and discarded (the lifetime, plus Bokeh's 17 s check, plus 5 s); with ``--rounds
2`` the class comes twice, so memory that is not given back shows as growth between rounds.
Each run writes its own subsection (server configuration) of the RESULTS.md section.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "RESULTS.md"
SECTION = "## Serving a class: 30 students stepping at once (issue 13)"

STEPS_PER_PASS = 8  # the tutorial's first section: the seed graph's backward pass
TIMEOUT_S = 60.0
# Bokeh checks for sessions to discard every 17 s.
CHECK_UNUSED_S = 17

_COUNTER = re.compile(r"(?:pass (\d+) · )?step (\d+) of (\d+)")


# --- the server ------------------------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``gradviz serve tutorial`` in its own process, its output in a log file."""

    def __init__(self, app: str = "tutorial", num_procs: int = 1, lifetime_ms: int | None = None):
        self.port = free_port()
        extra = [] if lifetime_ms is None else ["--unused-session-lifetime", str(lifetime_ms)]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log_path = Path(tempfile.mkstemp(prefix="gradviz-serve-", suffix=".log")[1])
        self._log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gradviz.cli", "serve", app, "--port", str(self.port),
             "--address", "127.0.0.1", "--no-show", "--num-procs", str(num_procs)] + extra,
            stdout=self._log, stderr=subprocess.STDOUT, cwd=HERE.parent)
        deadline = time.time() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "static/extensions/panel/css/loading.css",
                                       timeout=5).read()
                break
            except Exception:  # noqa: BLE001 - not listening yet
                if self.proc.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"gradviz serve did not start:\n{self.log()}")
                time.sleep(0.3)

    def pids(self) -> list[int]:
        """The server's process and, with --num-procs, its workers."""
        pids = [self.proc.pid]
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def cpu_s(self) -> float:
        """CPU seconds (user + system) the server's processes have used so far."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in self.pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / tick

    def rss_mb(self) -> float:
        """Resident memory of the server, all its processes together (MB)."""
        total = 0
        for pid in self.pids():
            try:
                with open(f"/proc/{pid}/status") as f:
                    total += next(int(line.split()[1]) for line in f
                                  if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                pass
        return total / 1024

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text()

    def errors(self) -> list[str]:
        """Log lines that report a failure (tracebacks, logged errors and warnings)."""
        bad = ("Traceback", "ERROR", "Error", "Exception", "WARNING")
        return [line for line in self.log().splitlines() if any(b in line for b in bad)]

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


# --- one student -----------------------------------------------------------------------------
class Student:
    """One page of the tutorial (a ``gradviz.testing.session_client.HeadlessPage``), clicking
    through the first section's explorer as a student does."""

    def __init__(self, url: str, rng: random.Random, think=(0.5, 1.5)):
        from gradviz.testing.session_client import HeadlessPage

        self.page = HeadlessPage(url)
        self.rng, self.think = rng, think
        self.step_ms: list[float] = []
        self.action_ms: dict[str, list[float]] = {}
        self.errors: list[str] = []

    @property
    def open_s(self):
        return self.page.open_seconds

    @property
    def panes(self) -> dict:
        return self.page.texts

    async def open(self) -> None:
        page = await self.page.open()
        self.buttons = {}
        for label in ("Step", "Run", "Reset", "Backward again", "Zero grads"):
            # The first section's explorer is the only one on the page when it opens.
            self.buttons[label] = page.find(label=label)[0]
        self.retain = page.find(label="retain_graph")[0]
        self.counter = next(i for i, t in page.texts.items() if _COUNTER.fullmatch(t))

    def counter_value(self) -> tuple[int, int, int]:
        """(pass, step, steps in the pass) as the counter shows them."""
        m = _COUNTER.search(self.panes[self.counter])
        if m is None:
            return (0, -1, -1)
        return (int(m.group(1) or 1), int(m.group(2)), int(m.group(3)))

    async def _wait(self, done, what: str) -> float:
        """Seconds until ``done()`` holds after the click just sent (NaN, and an error, when it
        does not within ``TIMEOUT_S``)."""
        try:
            return await self.page.wait(done, TIMEOUT_S)
        except TimeoutError:
            self.errors.append(f"{what}: not shown within {TIMEOUT_S:.0f} s "
                               f"(counter {self.panes[self.counter]!r})")
            return float("nan")

    def _expected(self, label: str):
        """What the page must show once ``label`` has acted, as a test of the panes."""
        p, k, n = self.counter_value()
        if label == "Step":
            return f"step {k + 1} of {n}", lambda: self.counter_value() == (p, k + 1, n)
        if label == "Run":
            return f"step {n} of {n}", lambda: self.counter_value() == (p, n, n)
        if label == "Reset":
            return f"step 0 of {n}", lambda: self.counter_value() == (p, 0, n)
        if label == "Backward again":
            return (f"pass {p + 1} · step {n} of {n}",
                    lambda: self.counter_value() == (p + 1, n, n))
        if label == "Zero grads":
            return ("Zeroed .grad ...",
                    lambda: any(t.startswith("Zeroed") for t in self.panes.values()))
        raise ValueError(label)

    async def click(self, label: str) -> None:
        want, done = self._expected(label)
        await self.page.click(self.buttons[label])
        ms = await self._wait(done, f"{label} -> {want!r}") * 1e3
        (self.step_ms if label == "Step" else self.action_ms.setdefault(label, [])).append(ms)

    async def set_retain_graph(self, value: bool) -> None:
        await self.page.set(self.retain, "active", value)

    async def pause(self) -> None:
        await asyncio.sleep(self.rng.uniform(*self.think))

    async def lesson(self) -> None:
        """What the tutorial asks of a student, on its first section: step through the pass,
        run it, run backward again (gradients accumulate), step through that pass too, zero
        the gradients."""
        if self.counter_value()[1] == 0 and self.counter_value()[0] == 1:
            await self.set_retain_graph(True)  # so that Backward again works
            await self.pause()
        for _ in range(2):
            p, k, n = self.counter_value()
            if k == n:  # a pass already over: start the next one and go to its start
                await self.click("Backward again")
                await self.pause()
                await self.click("Reset")
                await self.pause()
            for _ in range(4):
                await self.click("Step")
                await self.pause()
            await self.click("Run")
            await self.pause()
        await self.click("Zero grads")
        await self.pause()

    async def close(self) -> None:
        await self.page.idle()  # a student closes the tab once the page has settled
        self.errors.extend(self.page.errors)
        await self.page.close()


async def class_session(url: str, n: int, lessons: int, seed: int, think,
                        server: "Server | None" = None, cpu: dict | None = None) -> list[Student]:
    """``n`` students open the page at once, then do their lessons at once. ``cpu`` gets the
    server's CPU seconds for the opening and for the lessons."""
    students = [Student(url, random.Random(seed + i), think) for i in range(n)]
    cpu0 = server.cpu_s() if server else 0.0
    results = await asyncio.gather(*(s.open() for s in students), return_exceptions=True)
    cpu1 = server.cpu_s() if server else 0.0
    for s, r in zip(students, results):
        if isinstance(r, BaseException):
            s.errors.append(f"open: {r!r}")
    opened = [s for s, r in zip(students, results) if not isinstance(r, BaseException)]

    async def work(s: Student):
        await asyncio.sleep(s.rng.uniform(0, 1))  # they do not all click in the same ms
        for _ in range(lessons):
            await s.lesson()

    results = await asyncio.gather(*(work(s) for s in opened), return_exceptions=True)
    if cpu is not None:
        cpu["open"] = cpu1 - cpu0
        cpu["lessons"] = server.cpu_s() - cpu1
    for s, r in zip(opened, results):
        if isinstance(r, BaseException):
            s.errors.append(f"lesson: {r!r}")
    return students


# --- the run ---------------------------------------------------------------------------------
def pct(values, q):
    v = sorted(x for x in values if x == x)
    if not v:
        return float("nan")
    return v[min(len(v) - 1, int(round(q / 100 * (len(v) - 1))))]


def summary(students) -> dict:
    """Latencies and errors of a class (call after the students closed their pages)."""
    steps = [x for s in students for x in s.step_ms]
    actions: dict = {}
    for s in students:
        for k, v in s.action_ms.items():
            actions.setdefault(k, []).extend(v)
    opens = [s.open_s for s in students if s.open_s is not None]
    clicks = len(steps) + sum(len(v) for v in actions.values())
    return {"n": len(students), "rebuilt": sum(s.page.rebuilt for s in students),
            "clicks": clicks, "steps": len(steps), "step_median": pct(steps, 50),
            "step_p95": pct(steps, 95), "step_max": max(steps) if steps else float("nan"),
            "open_median": pct(opens, 50), "open_max": max(opens) if opens else float("nan"),
            "actions": {k: (pct(v, 50), pct(v, 95)) for k, v in actions.items()},
            "errors": [e for s in students for e in s.errors]}


async def settle(server: Server, seconds: float) -> float:
    await asyncio.sleep(seconds)
    return server.rss_mb()


async def run(args, num_procs: int, lifetime_ms: int | None) -> dict:
    from gradviz.cli import UNUSED_SESSION_LIFETIME_MS

    server = Server(args.app, num_procs, lifetime_ms)
    given = lifetime_ms
    lifetime_ms = UNUSED_SESSION_LIFETIME_MS if lifetime_ms is None else lifetime_ms
    # Long enough for every closed session to be discarded.
    discard_wait = lifetime_ms / 1000 + CHECK_UNUSED_S + 5
    out = {"rounds": [], "num_procs": num_procs, "lifetime_ms": lifetime_ms,
           "lifetime_given": given, "when": time.strftime("%Y-%m-%d %H:%M")}
    try:
        url = server.url
        out["rss_idle"] = await settle(server, 2)
        solo = await class_session(url, 1, args.lessons, 1000, args.think)
        await _close_all(solo)
        out["solo"] = summary(solo)
        print(f"alone: {fmt_row(out['solo'])}", flush=True)
        out["rss_warm"] = await settle(server, discard_wait)
        for r in range(args.rounds):
            t0 = time.perf_counter()
            peak = {"rss": 0.0}
            sampler = asyncio.ensure_future(_sample_rss(server, peak))
            cpu: dict = {}
            students = await class_session(url, args.sessions, args.lessons, 2000 + 100 * r,
                                           args.think, server, cpu)
            rss_open = server.rss_mb()
            await _close_all(students)
            sampler.cancel()
            row = summary(students)
            row["wall_s"] = time.perf_counter() - t0
            row["rss_open"] = rss_open
            row["cpu"] = cpu
            row["rss_peak"] = peak["rss"]
            row["rss_closed"] = await settle(server, discard_wait)
            out["rounds"].append(row)
            print(f"round {r + 1}: {fmt_row(row)}", flush=True)
        out["load"] = os.getloadavg()
    finally:
        server.stop()
        out["server_errors"] = server.errors()
        out["log"] = str(server.log_path)
    return out


async def _close_all(students) -> None:
    await asyncio.gather(*(s.close() for s in students if s.page.ws is not None))
    await asyncio.sleep(0.5)


async def _sample_rss(server: Server, peak: dict) -> None:
    while True:
        peak["rss"] = max(peak["rss"], server.rss_mb())
        await asyncio.sleep(0.5)


def fmt_row(row) -> str:
    return (f"{row['n']} sessions, {row['steps']} steps: median {row['step_median']:.0f} ms, "
            f"p95 {row['step_p95']:.0f} ms, max {row['step_max']:.0f} ms; page open median "
            f"{row['open_median']:.1f} s (max {row['open_max']:.1f}); built twice "
            f"{row['rebuilt']}; errors {len(row['errors'])}")


INTRO = (
    "Students are headless clients of Bokeh's websocket protocol "
    "(`gradviz.testing.session_client.HeadlessPage`: GET the page, open the websocket, pull the "
    "document, say `document_ready`, send the same `button_click` events a browser sends), "
    "against a real `gradviz serve tutorial` process. A step is timed from sending the click to "
    "receiving the patch that changes the counter: the server's share of what a student waits "
    "for (the browser paints on the student's own machine; `bench_explorer.py` measures that). "
    "Each student, per lesson, on the tutorial's first section: Step x4, Run, Backward again, "
    "Reset, Step x4, Run, Zero grads (retain_graph ticked first), 0.5-1.5 s between clicks, all "
    "students at once. \"Page open\": from the GET to the document in the client, the whole "
    "class opening the page in the same second. \"Built twice\": the page's websocket came "
    "after the server had discarded the session its GET created (unused for longer than "
    "`--unused-session-lifetime`), so the server built that page again. Memory: resident set of "
    "the server's processes together; \"closed\" is measured once the closed sessions were "
    "discarded (lifetime + 17 s check + 5 s).")


def report(outs, args) -> str:
    """The section: the intro, then one subsection per server configuration run."""
    return SECTION + "\n\n" + INTRO + "\n\n" + "\n".join(
        "\n".join(_report_one(out, args)) for out in outs)


def _title(out) -> str:
    n = out["num_procs"]
    return (f"### {'one process' if n == 1 else f'--num-procs {n}'}, "
            f"--unused-session-lifetime {out['lifetime_ms']}")


def _report_one(out, args) -> list[str]:
    solo, rounds = out["solo"], out["rounds"]
    load = " / ".join(f"{x:.2f}" for x in out["load"])
    lifetime = ("" if out["lifetime_given"] is None
                else f" --unused-session-lifetime {out['lifetime_ms']}")
    lines = [_title(out), "",
             f"`python benchmarks/bench_sessions.py --sessions {args.sessions} --rounds "
             f"{args.rounds} --lessons {args.lessons} --num-procs {out['num_procs']}{lifetime} "
             f"--write`, {out['when']} UTC, Panel {_version('panel')}, Bokeh "
             f"{_version('bokeh')}, 2 cores shared with other work: load average {load} "
             "(1/5/15 min) at the end.", "",
             "| students at once | steps timed | step median (ms) | step p95 (ms) | step max (ms) "
             "| Run / Backward again / Zero grads median (ms) | page open median / max (s) "
             "| pages built twice | errors |",
             "| ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |"]
    for label, row in [("1 (alone)", solo)] + [(f"{r['n']} (round {i + 1})", r)
                                                for i, r in enumerate(rounds)]:
        acts = " / ".join(f"{row['actions'].get(k, (float('nan'),))[0]:.0f}"
                          for k in ("Run", "Backward again", "Zero grads"))
        lines.append(f"| {label} | {row['steps']} | {row['step_median']:.0f} "
                     f"| {row['step_p95']:.0f} | {row['step_max']:.0f} | {acts} "
                     f"| {row['open_median']:.1f} / {row['open_max']:.1f} "
                     f"| {row['rebuilt']} | {len(row['errors'])} |")
    lines += ["", "Server memory (resident set, MB):", "",
              "| idle after start | after 1 session, closed | "
              + " | ".join(f"round {i + 1}: {r['n']} open | round {i + 1}: closed and "
                           "discarded" for i, r in enumerate(rounds)) + " |",
              "| ---: | ---: | " + " | ".join("---: | ---:" for _ in rounds) + " |",
              f"| {out['rss_idle']:.0f} | {out['rss_warm']:.0f} | "
              + " | ".join(f"{r['rss_open']:.0f} | {r['rss_closed']:.0f}" for r in rounds)
              + " |", ""]
    for i, r in enumerate(rounds):
        per = (r["rss_open"] - out["rss_warm"]) / r["n"]
        lines.append(f"- round {i + 1}: {per:.1f} MB per open session "
                     f"(({r['rss_open']:.0f} - {out['rss_warm']:.0f}) / {r['n']}); peak "
                     f"{r['rss_peak']:.0f} MB; {r['rss_closed'] - out['rss_warm']:+.0f} MB "
                     "after the sessions were discarded, against the warm baseline.")
    for i, r in enumerate(rounds):
        if r.get("cpu"):
            lines.append(
                f"- round {i + 1}, server CPU: {r['cpu']['open']:.1f} s to build the "
                f"{r['n']} pages ({r['cpu']['open'] / max(r['n'] + r['rebuilt'], 1):.2f} s "
                f"a page), {r['cpu']['lessons']:.1f} s for the lessons' {r['clicks']} clicks "
                f"({1e3 * r['cpu']['lessons'] / max(r['clicks'], 1):.0f} ms a click, "
                "timers and websocket traffic included).")
    errs = out["server_errors"]
    client = [e for r in [solo] + rounds for e in r["errors"]]
    kinds: dict = {}
    for e in client:
        kinds[re.sub(r"\d+", "N", e)[:90]] = kinds.get(re.sub(r"\d+", "N", e)[:90], 0) + 1
    lines.append(f"- errors: {len(client)} on the clients"
                 + (" (" + "; ".join(f"{n} x `{k}`" for k, n in kinds.items()) + ")"
                    if kinds else "")
                 + f", {len(errs)} lines of errors in the server log"
                 + (f" (first: `{errs[0]}`)" if errs else "") + ".")
    return lines + [""]


def _version(name: str) -> str:
    from importlib.metadata import version

    return version(name)


def write_section(outs, args) -> None:
    """Put each run's subsection into this script's section of RESULTS.md, replacing an older
    one of the same configuration (others own the rest of the file)."""
    existing = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    start = existing.find(SECTION)
    if start == -1:
        before, body, after = existing.rstrip("\n") + "\n\n", "", ""
    else:
        nxt = existing.find("\n## ", start + len(SECTION))
        end = nxt + 1 if nxt != -1 else len(existing)
        before, body, after = existing[:start], existing[start:end], existing[end:]
    subsections = {}
    for chunk in body.split("\n### ")[1:]:
        subsections["### " + chunk.split("\n", 1)[0]] = "### " + chunk.rstrip("\n")
    for out in outs:
        subsections[_title(out)] = "\n".join(_report_one(out, args)).rstrip("\n")
    text = SECTION + "\n\n" + INTRO + "\n\n" + "\n\n".join(subsections.values()) + "\n"
    RESULTS.write_text(before + text + ("\n" + after if after else ""))


def per_click_cpu(idle_counts=(0, 9, 19), clicks: int = 16) -> list[tuple[int, float, float]]:
    """CPU (ms) of one Step click in a server that holds ``n`` other, idle, pages: the server
    runs in this process (``pn.serve``, threaded) so ``time.process_time`` counts it; one
    student steps ``clicks`` times. Returns ``(n, cpu ms per click, median latency ms)``."""
    import panel as pn

    from gradviz.apps.tutorial import create_app
    from gradviz.testing.session_client import HeadlessPage

    port = free_port()
    server = pn.serve({"app": create_app}, port=port, address="127.0.0.1",
                      websocket_origin=[f"127.0.0.1:{port}"], threaded=True, show=False)
    url = f"http://127.0.0.1:{port}/app"
    rows = []

    async def go():
        idle = []
        for n in idle_counts:
            while len(idle) < n:
                idle.append(await HeadlessPage(url).open())
            page = await HeadlessPage(url).open()
            counter = next(i for i, t in page.texts.items() if _COUNTER.fullmatch(t))
            step, reset = page.find(label="Step")[0], page.find(label="Reset")[0]
            await page.idle()
            lat = []
            cpu0 = time.process_time()
            for k in range(clicks):
                if k and k % STEPS_PER_PASS == 0:
                    await page.click(reset)
                    await page.wait(lambda: page.text(counter).startswith("step 0 "))
                want = f"step {k % STEPS_PER_PASS + 1} of {STEPS_PER_PASS}"
                t0 = time.perf_counter()
                await page.click(step)
                await page.wait(lambda: page.text(counter) == want)
                lat.append(1e3 * (time.perf_counter() - t0))
            n_clicks = clicks + (clicks - 1) // STEPS_PER_PASS
            rows.append((n, 1e3 * (time.process_time() - cpu0) / n_clicks, pct(lat, 50)))
            print(f"{n} idle pages: {rows[-1][1]:.1f} ms CPU a click", flush=True)
            await page.close()
        for q in idle:
            await q.close()

    try:
        time.sleep(1)
        asyncio.run(go())
    finally:
        server.stop()
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sessions", type=int, default=30)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--lessons", type=int, default=2, help="lessons per student")
    p.add_argument("--app", default="tutorial")
    p.add_argument("--num-procs", type=lambda v: [int(x) for x in v.split(",")], default=[1],
                   help="gradviz serve --num-procs; several (1,2) run one after the other")
    p.add_argument("--unused-session-lifetime", type=int, default=None, metavar="MS",
                   help="passed to gradviz serve (default: gradviz serve's own)")
    p.add_argument("--think", type=lambda s: tuple(map(float, s.split(","))), default=(0.5, 1.5),
                   help="seconds between a student's clicks: min,max (default 0.5,1.5)")
    p.add_argument("--write", action="store_true", help="replace this section of RESULTS.md")
    p.add_argument("--per-click-cpu", action="store_true",
                   help="instead: CPU of a click against the number of idle pages open")
    args = p.parse_args(argv)
    if args.per_click_cpu:
        rows = per_click_cpu()
        print("| other pages open (idle) | server + client CPU per click (ms) | step latency "
              "median (ms) |\n| ---: | ---: | ---: |")
        for n, cpu, lat in rows:
            print(f"| {n} | {cpu:.1f} | {lat:.0f} |")
        return 0
    outs = []
    for n in args.num_procs:
        print(f"--- gradviz serve tutorial --num-procs {n}", flush=True)
        outs.append(asyncio.run(run(args, n, args.unused_session_lifetime)))
    text = report(outs, args)
    print(text)
    failed = False
    for out in outs:
        if out["server_errors"]:
            print("server log errors:\n" + "\n".join(out["server_errors"][:20]), file=sys.stderr)
        for r in [out["solo"]] + out["rounds"]:
            for e in r["errors"][:10]:
                print("client error:", e, file=sys.stderr)
        failed = failed or bool(out["server_errors"]) or any(
            r["errors"] for r in [out["solo"]] + out["rounds"])
    if args.write:
        write_section(outs, args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
