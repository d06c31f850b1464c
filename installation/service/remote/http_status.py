"""The status page over HTTP, off by default: `/` for a technician's phone, `/metrics` for Prometheus,
`/status.json` (the state file), `/thumbnail.png`, `/timeline.svg` (today), and POST `/control` with the
token (service/remote/control_token.py) for the same actions as OSC (service/remote/control.py).

One thread runs an asyncio event loop; h11 parses HTTP (no parsing by hand). Nothing here runs on the
render loop or changes the player: GETs read the state file's report, the player's published picture
and its show (for the timeline), and a control is `player.post(...)`.
A client outside `allow` is dropped on connect. A newcomer's first bytes are read before it counts
against any limit, so a client that sends its request at once is answered and never cut, however many
connections a flood opens around it. Any other wait for a request (the rest of a trickle, a silent
client after FIRST_READ_S, a kept-alive connection between requests) takes one of MAX_WAITING places:
when they are full, the connection that has waited longest is cut to make room. At most MAX_OPEN
sockets are open in all; a newcomer beyond that is dropped unless a waiting one can be cut. Every
request must arrive, and its answer leave, within TIMEOUT_S, or the connection is cut.
Why this stack: docs/operations.md, "The status page".
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from http import HTTPStatus
from importlib import resources
from typing import NamedTuple
from zoneinfo import ZoneInfo

import h11

from installation.player.messages import Control
from installation.service.health import report
from installation.service.remote import control, control_token, metrics
from installation.service.remote.control import ActionLog, Cue, Fetch, Known, Ping, allowed
from installation.service.remote.limits import SourceLimit
from installation.service.remote.shelf import Shelf
from installation.service.remote.listen import Listen
from installation.service.remote.thumbnail import Thumbnails

log = logging.getLogger("aimoji.http")

MAX_WAITING = 32          # connections waiting for their request at once; a phone's browser opens up to 6
MAX_OPEN = 256            # sockets in all: waiting, read for the first time, being answered
FIRST_READ_S = 0.25       # a newcomer's first read, before it waits among the others
TIMEOUT_S = 5.0           # for a whole request to arrive (headers and body), and for its answer to leave
MAX_HEADER_BYTES = 8192
MAX_BODY_BYTES = 4096
PAGE_FILES = {"/": ("status_page.html", "text/html; charset=utf-8"),
              "/status.js": ("status_page.js", "text/javascript; charset=utf-8")}
SECURITY_HEADERS = (
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'self'; img-src 'self' blob:; style-src 'self' 'unsafe-inline'; "
                                "frame-ancestors 'none'; form-action 'none'; base-uri 'none'"),
)


@dataclass(frozen=True)
class Settings(Listen):
    """Where the page listens and whom it serves (service/remote/listen.py): the show's [http], `--http*`."""


class Response(NamedTuple):
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple = ()


def _json(status: int, data) -> Response:
    return Response(status, json.dumps(data, indent=1, sort_keys=True).encode() + b"\n")


def _reason(status: int) -> bytes:
    return HTTPStatus(status).phrase.encode()


def _page_file(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


class StatusApp:
    """What each path answers; no sockets here (HttpStatus carries requests to it).

    state(): the state file's report now (StateWriter.report). player: snapshot(), picture(), post()
    and .show. cues: control.Cues (a cue's show, loaded and posted, rate-limited). token: the control
    token, or None with `why` control is off. server(): the transport's counters for /metrics."""

    def __init__(self, state: Callable[[], report.Report], player, cues: control.Cues, token: bytes | None,
                 why: str, server: Callable[[], Mapping] | None = None, shelf: Shelf | None = None):
        self.state, self.player, self.cues, self.shelf = state, player, cues, shelf
        self.limit = SourceLimit("HTTP control")
        self.actions = ActionLog(log)
        self.token, self.why = token, why
        self.thumbnails = Thumbnails(player.picture)
        self.registry = metrics.registry(state, server)
        self._page = {path: (_page_file(name), kind) for path, (name, kind) in PAGE_FILES.items()}
        self._timeline: tuple[tuple, bytes] | None = None

    def get(self, path: str) -> Response:
        """Every GET only reads."""
        path = path.split("?", 1)[0]
        if path in self._page:
            body, kind = self._page[path]
            return Response(200, body, kind)
        if path == "/status.json":
            return Response(200, report.to_json(self.state()) + b"\n")
        if path == "/metrics":
            return Response(200, metrics.exposition(self.registry), metrics.CONTENT_TYPE)
        if path == "/thumbnail.png":
            png = self.thumbnails.png()
            return Response(200, png, "image/png") if png is not None else Response(204, b"", "image/png")
        if path == "/timeline.svg":
            return Response(200, self.timeline(datetime.now(timezone.utc)), "image/svg+xml")
        return _json(404, {"error": f"no such page {path[:80]}; allowed: /, /status.json, /metrics, "
                                    "/thumbnail.png, /timeline.svg, POST /control"})

    def timeline(self, now: datetime) -> bytes:
        """Today at the venue as SVG (show/week_picture.py, as `aimoji schedule --svg`), with a mark at
        now; drawn again when the show, the day or the minute changes."""
        from installation.show.week_picture import now_marker, to_svg, week_shapes

        show = self.player.show
        today = now.astimezone(ZoneInfo(show.timezone)).date()
        key = (id(show), today, now.replace(second=0, microsecond=0))
        if self._timeline is None or self._timeline[0] != key:
            size, shapes = week_shapes(show, today, 1)
            self._timeline = (key, to_svg(size, shapes + now_marker(show, today, now)).encode())
        return self._timeline[1]

    def post(self, path: str, headers: Mapping[str, str], body: bytes, host: str) -> Response:
        """POST /control with 'Authorization: Bearer TOKEN' and {"action": ..., "args": [...]}."""
        if path != "/control":
            return _json(404, {"error": f"no such action path {path[:80]}; allowed: POST /control"})
        who = f"HTTP from {host}"
        if self.token is None:
            log.warning("%s: POST /control refused: %s", who, self.why)
            return _json(403, {"error": self.why})
        if not control_token.authorised(headers.get("authorization"), self.token):
            log.warning("%s: POST /control refused: no or wrong token; nothing changed", who)
            return Response(401, json.dumps({"error": "no or wrong token (Authorization: Bearer ...)"}).encode(),
                            "application/json", (("WWW-Authenticate", 'Bearer realm="aimoji"'),))
        verdict = self.limit.check(host, time.monotonic())
        if verdict.line is not None:
            log.warning("%s", verdict.line)
        if not verdict.allowed:
            return _json(429, {"error": f"more than {self.limit.rate_hz:g} controls a second; refused"})
        if headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return _json(415, {"error": "send JSON (Content-Type: application/json)"})
        try:
            data = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            data = None
        if not isinstance(data, dict) or not isinstance(data.get("action"), str) or \
                not isinstance(data.get("args", []), list) or set(data) - {"action", "args"}:
            return self._refused(who, 'not a control; allowed: {"action": "scene", "args": [2]} with '
                                      f"action one of {', '.join(control.ACTIONS)}")
        known = Known.of(self.player.snapshot(), self.shelf.names() if self.shelf is not None else ())
        result = control.parse(data["action"], data.get("args", []), known, f"http {host}")
        if isinstance(result, Ping):
            return _json(200, {"pong": True})
        if isinstance(result, Cue):
            why = self.cues.load(result, who)
            if why is not None:
                return _json(400, {"error": why})
            return _json(202, {"accepted": data["action"], "args": data.get("args", [])})
        if isinstance(result, Fetch):
            result = self.shelf.fetch(result, who)   # None, or why not
        elif isinstance(result, Control):
            self.actions.accepted(who, control.describe(result), result.kind)
            self.player.post(result)
            result = None
        if isinstance(result, str):
            return self._refused(who, result)
        return _json(202, {"accepted": data["action"], "args": data.get("args", [])})

    def _refused(self, who: str, why: str) -> Response:
        self.actions.refused(who, why)
        return _json(400, {"error": why})


class HttpStatus:
    """The transport: an asyncio server on its own thread, h11 per connection. app_for(server) makes the
    StatusApp (it reads this server's counters for /metrics). The port is bound in the constructor, so a
    port that cannot be had is an OSError here, before anything starts."""

    def __init__(self, settings: Settings, app_for: Callable[["HttpStatus"], StatusApp],
                 max_waiting: int = MAX_WAITING, max_open: int = MAX_OPEN, timeout_s: float = TIMEOUT_S):
        self.settings, self.timeout_s = settings, timeout_s
        self.max_waiting, self.max_open = max_waiting, max_open
        self.networks = settings.networks()
        self.closed = Counter()       # refused (not allowed), evicted / busy (at the limit), timed_out
        self.requests = Counter()     # by status code
        family = socket.AF_INET6 if ":" in settings.bind else socket.AF_INET
        self.sock = socket.create_server((settings.bind, settings.port), family=family, backlog=128)
        self.port = self.sock.getsockname()[1]   # the real one when port 0 asked for any
        self.app = app_for(self)
        self.loop = asyncio.new_event_loop()
        self._control = ThreadPoolExecutor(1, thread_name_prefix="aimoji-http-control")  # a cue may load models
        self.thread = threading.Thread(target=self._run, name="aimoji-http", daemon=True)
        self._server: asyncio.AbstractServer | None = None
        # Open connections: their transport -> since when each has waited for its request (accepted, or
        # its last answer sent); those in _waiting compete for its places. Only the loop's thread changes them.
        self._open: dict[asyncio.Transport, float] = {}
        self._waiting: set[asyncio.Transport] = set()

    @property
    def open(self) -> int:
        return len(self._open)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    def counters(self) -> dict:
        return {"open": self.open, "waiting": self.waiting, "refused": self.closed["refused"],
                "evicted": self.closed["evicted"], "busy": self.closed["busy"], "timed_out": self.closed["timed_out"],
                "requests": dict(self.requests)}

    def start(self) -> "HttpStatus":
        self.thread.start()
        control_state = "on" if self.app.token is not None else "off"
        log.info("HTTP: status page on http://%s:%d/, accepting %s; control %s", self.settings.bind, self.port,
                 ", ".join(self.settings.allow), control_state)
        return self

    def stop(self) -> None:
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self._close)
        self.thread.join(2.0)
        self._control.shutdown(wait=False, cancel_futures=True)

    def status(self) -> str:
        control_state = "control on" if self.app.token is not None else "control off"
        return (f"on {self.settings.bind}:{self.port}, {control_state}, {self.open} open "
                f"({self.waiting} waiting), {sum(self.requests.values())} requests, {self.closed['refused']} refused, "
                f"{self.closed['evicted'] + self.closed['busy']} at the limit, {self.closed['timed_out']} timed out")

    # ---- the event loop's thread ----------------------------------------------------------------
    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(asyncio.start_server(self._connection, sock=self.sock))
        try:
            self.loop.run_forever()
        finally:
            self.loop.run_until_complete(self.loop.shutdown_asyncgens())
            self.loop.close()

    def _close(self) -> None:
        self._server.close()
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.loop.call_soon(self.loop.stop)

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        host = str(writer.get_extra_info("peername")[0])
        if not allowed(host, self.networks):
            self.closed["refused"] += 1
            log.warning("HTTP from %s refused: not in the allowed networks (%s)", host,
                        ", ".join(self.settings.allow))
            writer.transport.abort()
            return
        if self.open >= self.max_open and not self._make_room(host):
            writer.transport.abort()
            return
        transport = writer.transport
        conn = h11.Connection(h11.SERVER, max_incomplete_event_size=MAX_HEADER_BYTES)
        served, clean = 0, False
        try:
            while True:
                self._open[transport] = time.monotonic()
                async with asyncio.timeout(self.timeout_s):   # the whole request, however it trickles in
                    request, body = await self._receive(conn, reader, transport, first=served == 0)
                if request is None:
                    break
                self._waiting.discard(transport)              # being answered: never cut
                response = await self._answer(request, body, host)
                async with asyncio.timeout(self.timeout_s):   # a client that does not read is cut off too
                    await self._send(conn, writer, request, response)
                served += 1
                if conn.our_state is not h11.DONE or conn.their_state is not h11.DONE:
                    break
                conn.start_next_cycle()
            clean = True
        except TimeoutError:
            # A kept-alive connection that asks nothing more is just closed; one that trickles is cut.
            if served == 0 or conn.their_state is not h11.IDLE or conn.trailing_data[0]:
                self.closed["timed_out"] += 1
        except h11.RemoteProtocolError as exc:
            if conn.our_state in (h11.IDLE, h11.SEND_RESPONSE) and transport in self._open:
                await self._send_error(conn, writer, exc.error_status_hint, str(exc))
                clean = True
        except (ConnectionError, OSError, h11.LocalProtocolError):
            pass
        finally:
            self._waiting.discard(transport)
            if self._open.pop(transport, "evicted") == "evicted":
                clean = False
            await self._hang_up(writer, clean)

    def _make_room(self, host: str) -> bool:
        """MAX_OPEN sockets are open: cut the one that has waited longest for its request; False (drop
        the newcomer) when none is waiting (all are being read for the first time or answered)."""
        if self._waiting:
            self._cut_longest_waiting()
            return True
        self.closed["busy"] += 1
        log.warning("HTTP from %s dropped: %d connections open, none of them waiting for a request (the most "
                    "allowed)", host, self.open)
        return False

    def _wait(self, transport: asyncio.Transport) -> None:
        """This connection waits for more of its request: it takes a place among the waiting, cutting the
        one that has waited longest when all MAX_WAITING are taken."""
        if transport in self._waiting:
            return
        if len(self._waiting) >= self.max_waiting:
            self._cut_longest_waiting()
        self._waiting.add(transport)

    def _cut_longest_waiting(self) -> None:
        oldest = min(self._waiting, key=self._open.__getitem__)
        self._waiting.discard(oldest)
        self._open.pop(oldest)
        oldest.abort()   # its reader sees the end; its task finishes without answering
        self.closed["evicted"] += 1
        # One template, so a flood is one line a minute in the journal (logs.RepeatFilter counts the rest).
        log.warning("HTTP: %d connections wait for their request (the most allowed): cut the one waiting "
                    "longest", self.max_waiting)

    async def _hang_up(self, writer: asyncio.StreamWriter, clean: bool) -> None:
        """Let what was written leave (within the timeout), else drop the connection at once."""
        if clean:
            writer.close()
            try:
                async with asyncio.timeout(self.timeout_s):
                    await writer.wait_closed()
                return
            except (TimeoutError, ConnectionError, OSError):
                pass
        writer.transport.abort()

    async def _receive(self, conn: h11.Connection, reader: asyncio.StreamReader, transport: asyncio.Transport,
                       first: bool):
        """(h11.Request, body) or (None, b"") when the client closed between requests. `first`: the
        connection's first request, whose first read is its own (see _read)."""
        request, body = None, bytearray()
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                conn.receive_data(await self._read(reader, transport, first))
                first = False
            elif isinstance(event, h11.Request):
                request = event
                length = dict(event.headers).get(b"content-length")
                if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
                    raise h11.RemoteProtocolError("body too large", error_status_hint=413)
            elif isinstance(event, h11.Data):
                body += event.data
                if len(body) > MAX_BODY_BYTES:
                    raise h11.RemoteProtocolError("body too large", error_status_hint=413)
            elif isinstance(event, h11.EndOfMessage):
                return request, bytes(body)
            elif isinstance(event, h11.ConnectionClosed):
                return None, b""

    async def _read(self, reader: asyncio.StreamReader, transport: asyncio.Transport, first: bool) -> bytes:
        """The next bytes. A newcomer's first read (up to FIRST_READ_S) takes no place among the waiting:
        a request sent at once is whole in it, and is answered before a flood could cut it. Any further
        wait does (_wait)."""
        if first:
            try:
                async with asyncio.timeout(FIRST_READ_S):
                    return await reader.read(8192)
            except TimeoutError:
                pass
        self._wait(transport)
        return await reader.read(8192)

    async def _answer(self, request: h11.Request, body: bytes, host: str) -> Response:
        method, target = request.method.decode(), request.target.decode("ascii", "replace")
        headers = {k.decode().lower(): v.decode("latin-1") for k, v in request.headers}
        try:
            if method in ("GET", "HEAD"):
                return self.app.get(target)
            if method == "POST":
                return await self.loop.run_in_executor(self._control, self.app.post, target.split("?", 1)[0],
                                                       headers, body, host)
        except Exception:  # noqa: BLE001 - one broken answer must not take the page (or the player) down
            log.exception("HTTP %s %s", method, target[:80])
            return _json(500, {"error": "internal error (see the player's log)"})
        return Response(405, b"", "text/plain", (("Allow", "GET, HEAD, POST"),))

    async def _send(self, conn: h11.Connection, writer: asyncio.StreamWriter, request: h11.Request,
                    response: Response) -> None:
        self.requests[response.status] += 1
        headers = [("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
                   *SECURITY_HEADERS, *response.headers]
        data = conn.send(h11.Response(status_code=response.status, headers=headers, reason=_reason(response.status)))
        if request.method != b"HEAD":
            data += conn.send(h11.Data(data=response.body))
        data += conn.send(h11.EndOfMessage())
        writer.write(data)
        await writer.drain()

    async def _send_error(self, conn: h11.Connection, writer: asyncio.StreamWriter, status: int,
                          why: str) -> None:
        self.requests[status] += 1
        body = json.dumps({"error": why}).encode()
        try:
            data = conn.send(h11.Response(status_code=status, reason=_reason(status), headers=[
                ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
                ("Connection", "close")]))
            writer.write(data + conn.send(h11.Data(data=body)) + conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:
            pass
