"""A headless page of a Panel/Bokeh server: what a browser tab does to a session, without a
browser. For load tests and session-lifecycle tests, where dozens of pages at once must not
take the CPU from the server being measured.

    page = HeadlessPage(url)          # in a coroutine, on the asyncio loop
    await page.open()                 # GET the page, open its websocket, pull the document
    page.find(label="Step")           # model ids, by attribute values
    await page.click(page.find(label="Step")[0])
    await page.set(model_id, "active", True)
    await page.wait(lambda: "step 1 of 8" in page.text(counter_id))
    await page.close()

It speaks Bokeh's websocket protocol as BokehJS does: the HTTP GET makes the server create
the session and build the app, the page's session token opens the websocket, ``PULL-DOC-REQ``
fetches the document (kept as JSON: no Bokeh models are built here), ``document_ready`` tells
Panel the page is up (as BokehJS does once it has rendered), clicks are the
``button_click`` events a browser sends and property changes are ``ModelChanged`` patches.
Text the server patches in (``text`` of HTML panes) is tracked for ``wait``.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time

_TOKEN = re.compile(r'"token":"([^"]+)"')
_ROOTS = re.compile(r'"roots":\{([^}]*)\}')
_msgids = itertools.count(1)


def plain_text(value) -> str:
    """The text a person reads in an HTML pane's ``text`` (tags dropped, entities decoded)."""
    return html.unescape(re.sub(r"<[^>]+>", "", html.unescape(str(value)))).strip()


def _objects(obj, found: dict) -> None:
    """Every model definition (``{"type": "object", "id", "attributes"}``) inside ``obj``."""
    if isinstance(obj, dict):
        if obj.get("type") == "object" and "id" in obj and "attributes" in obj:
            found[obj["id"]] = obj
        for v in obj.values():
            _objects(v, found)
    elif isinstance(obj, list):
        for v in obj:
            _objects(v, found)


class HeadlessPage:
    """One page (one Bokeh session) of the app at ``url``. Use from an asyncio coroutine."""

    def __init__(self, url: str, timeout: float = 300.0):
        self.url = url
        self.timeout = timeout
        self.models: dict = {}      # id -> {"name", "attributes", ...} from the document
        self.texts: dict = {}       # id -> current plain text of panes with a ``text``
        self.errors: list[str] = []  # ERROR replies, an unexpected end of the connection
        self.open_seconds = None
        self.rebuilt = False        # the websocket found the page's session gone: built twice
        self.ws = None
        self._closing = False

    async def open(self) -> "HeadlessPage":
        from bokeh.protocol import Protocol
        from bokeh.protocol.receiver import Receiver
        from tornado.httpclient import AsyncHTTPClient, HTTPRequest
        from tornado.websocket import websocket_connect

        t0 = time.perf_counter()
        # A client of its own: Tornado's shared one sends at most 10 requests at once and
        # fails the others after 20 s in its queue, which a class opening pages would hit.
        client = AsyncHTTPClient(force_instance=True)
        try:
            page = await client.fetch(self.url, request_timeout=self.timeout,
                                      connect_timeout=self.timeout)
        finally:
            client.close()
        found = _TOKEN.search(page.body.decode())
        if found is None:
            raise RuntimeError(f"{self.url} answered a page without a Bokeh session token")
        host = self.url.split("/")[2]
        # The app's websocket is next to its page: /ws for the app at /, /app/ws for /app.
        ws_url = "ws" + self.url.split("?")[0].rstrip("/")[len("http"):] + "/ws"
        self.ws = await websocket_connect(
            HTTPRequest(ws_url, headers={"Origin": f"http://{host}"},
                        request_timeout=self.timeout),
            subprotocols=["bokeh", found.group(1)], max_message_size=200 * 2**20)
        self._receiver = Receiver(Protocol())
        await self._read()  # ACK
        await self._send("PULL-DOC-REQ", {})
        while True:
            msg = await self._read()
            if msg.msgtype == "PULL-DOC-REPLY":
                break
        # BokehJS says so once it has rendered the document; Panel then counts the session
        # as connected (until then it defers periodic callbacks, such as Play's timer).
        await self._send("PATCH-DOC", {"events": [{
            "kind": "MessageSent", "msg_type": "bokeh_event",
            "msg_data": {"type": "event", "name": "document_ready",
                         "values": {"type": "map", "entries": []}}}]})
        self.open_seconds = time.perf_counter() - t0
        _objects(msg.content, self.models)
        # The page names the root models of the session its GET created; a websocket that
        # arrives after the server discarded that session (unused too long) gets a new
        # session, built again, with other roots.
        roots = _ROOTS.search(page.body.decode())
        page_roots = set(json.loads("{" + roots.group(1) + "}")) if roots else set()
        doc_roots = {r.get("id") for r in msg.content.get("doc", {}).get("roots", [])}
        self.rebuilt = bool(page_roots) and page_roots != doc_roots
        for mid, model in self.models.items():
            text = model["attributes"].get("text")
            if isinstance(text, str):
                self.texts[mid] = plain_text(text)
        self._changed = asyncio.Event()
        self._last_received = time.perf_counter()
        self._listener = asyncio.ensure_future(self._listen())
        return self

    def find(self, **attributes) -> list[str]:
        """Ids of the document's models whose attributes have these values (``label="Step"``);
        ``css_class="x"`` matches a model with that CSS class."""
        css = attributes.pop("css_class", None)
        out = []
        for mid, model in self.models.items():
            a = model["attributes"]
            if css is not None and css not in (a.get("css_classes") or []):
                continue
            if all(a.get(k) == v for k, v in attributes.items()):
                out.append(mid)
        return out

    def text(self, model_id: str) -> str:
        return self.texts.get(model_id, "")

    async def click(self, model_id: str) -> None:
        """What a click on a button does in the browser: a ``button_click`` event."""
        await self._send("PATCH-DOC", {"events": [{
            "kind": "MessageSent", "msg_type": "bokeh_event",
            "msg_data": {"type": "event", "name": "button_click",
                         "values": {"type": "map", "entries": [["model", {"id": model_id}]]}}}]})

    async def set(self, model_id: str, attr: str, value) -> None:
        """What a widget sends when the user changes it (a checkbox's ``active``...)."""
        await self._send("PATCH-DOC", {"events": [{
            "kind": "ModelChanged", "model": {"id": model_id}, "attr": attr, "new": value}]})

    async def wait(self, done, timeout: float = 60.0) -> float:
        """Seconds until ``done()`` holds; it is asked again whenever the server patches a
        text. Raises ``TimeoutError`` after ``timeout`` seconds."""
        t0 = time.perf_counter()
        while not done():
            self._changed.clear()
            left = timeout - (time.perf_counter() - t0)
            if left <= 0:
                raise TimeoutError(f"not shown within {timeout:.0f} s")
            try:
                await asyncio.wait_for(self._changed.wait(), left)
            except asyncio.TimeoutError:
                pass
        return time.perf_counter() - t0

    async def idle(self, quiet: float = 1.0, timeout: float = 60.0) -> None:
        """Wait until the server has sent nothing for ``quiet`` seconds (its updates are all
        in), at most ``timeout`` seconds."""
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < timeout:
            left = quiet - (time.perf_counter() - self._last_received)
            if left <= 0:
                return
            await asyncio.sleep(left)

    async def close(self) -> None:
        """Close the tab: the websocket goes; the server discards the session later."""
        self._closing = True
        if getattr(self, "_listener", None) is not None:
            self._listener.cancel()
        if self.ws is not None:
            self.ws.close()

    # --- the protocol ----------------------------------------------------------------------
    async def _read(self):
        while True:
            frag = await self.ws.read_message()
            if frag is None:
                raise ConnectionError("the server closed the websocket")
            msg = await self._receiver.consume(frag)
            if msg is not None:
                return msg

    async def _send(self, msgtype: str, content: dict) -> None:
        # A message is three frames: header, metadata, content.
        await self.ws.write_message(json.dumps({"msgid": str(next(_msgids)), "msgtype": msgtype}))
        await self.ws.write_message("{}")
        await self.ws.write_message(json.dumps(content))

    async def _listen(self) -> None:
        try:
            while True:
                msg = await self._read()
                self._last_received = time.perf_counter()
                if msg.msgtype == "ERROR":
                    self.errors.append(f"server replied ERROR: {msg.content}")
                elif msg.msgtype == "PATCH-DOC":
                    for ev in msg.content.get("events", []):
                        mid = (ev.get("model") or {}).get("id")
                        if ev.get("attr") == "text" and isinstance(ev.get("new"), str):
                            self.texts[mid] = plain_text(ev["new"])
                            self._changed.set()
        except ConnectionError as exc:
            if not self._closing:
                self.errors.append(str(exc))
        except asyncio.CancelledError:
            pass
