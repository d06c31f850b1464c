"""OSC in: a lighting desk, QLab or TouchOSC steers the wall from outside the room. Off by default.

A UDP server thread that only checks the sender against the allowed networks, parses and validates
each message (`parse`, pure: the address names one of service/remote/control.py's actions) and posts a
`Control` to the player; `/aimoji/cue` loads a show file here, off the render loop, and posts it like
hot reload does. A bad message or a refused sender is one log
line (logs.py's RepeatFilter folds repeats) and changes nothing. Addresses: docs/operations.md.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from installation.player.messages import Control
from installation.service.remote import control
from installation.service.health.verdict import verdict
from installation.service.remote.control import ACTIONS, ActionLog, Cue, Fetch, Known, Ping, allowed, describe
from installation.service.remote.feedback import Feedback
from installation.service.remote.limits import SourceLimit
from installation.service.remote.listen import Listen
from installation.service.remote.shelf import Shelf
from installation.text import first_line

log = logging.getLogger("aimoji.osc")

PREFIX = "/aimoji/"


@dataclass(frozen=True)
class Settings(Listen):
    """Where to listen and whom to hear (service/remote/listen.py), how long an override lasts, and a
    fixed address for feedback ('ADDRESS:PORT', or None: only the senders)."""
    override: str = "until_released"
    feedback: str | None = None

    @classmethod
    def extra(cls, section) -> dict:
        return {"override": section.override, "feedback": section.feedback} if section is not None else {}

    def feedback_address(self) -> tuple[str, int] | None:
        if self.feedback is None:
            return None
        host, _, port = self.feedback.rpartition(":")
        return host, int(port)


def parse(address: str, args: Sequence, known: Known, sender: str = ""):
    """One OSC message -> a Control, a Cue, a Fetch, a Ping, or why it is refused (one line, nothing
    changes). The address's action in any case (/aimoji/Scene is /aimoji/scene)."""
    action = address[len(PREFIX):] if address.lower().startswith(PREFIX) else None
    if action is None or action.lower() not in ACTIONS:
        return f"unknown address {address}; allowed: {PREFIX}{'|'.join(ACTIONS)}"
    return control.parse(action, args, known, sender, label=address)


# Datagrams that overtake a flood: an operator's blackout or release must reach the wall however much
# else a sender (or a forged address) sends.
URGENT = tuple(f"{PREFIX}{a}".encode() for a in ("blackout", "release"))


class OscServer:
    """The UDP server on its own thread. player: post() and snapshot(). cues: control.Cues (loads a
    cue's show and posts it, rate-limited). Everything a sender sends is bounded here: datagrams from
    outside `allow` are refused before parsing, each source address gets SourceLimit's rate (blackout
    and release exempt), a datagram python-osc cannot read is one line (never a traceback), and the
    player keeps only the latest control of each kind (player/controls.py)."""

    def __init__(self, settings: Settings, player, cues: control.Cues, shelf: Shelf | None = None,
                 clock=time.monotonic):
        """shelf: models the folder holds by name (loaded when asked for), or None (only those held)."""
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import BlockingOSCUDPServer

        self.settings, self.player, self.cues, self.shelf, self.clock = settings, player, cues, shelf, clock
        self.networks = settings.networks()
        self.limit = SourceLimit("OSC")
        self.actions = ActionLog(log, clock)
        self.received = self.refused = self.invalid = self.unreadable = 0
        dispatcher = Dispatcher(strict_timing=False)   # a bundle timed in the future must not park the thread
        dispatcher.set_default_handler(self._handle, needs_reply_address=True)
        outer = self

        class Server(BlockingOSCUDPServer):
            def verify_request(self, request, client_address) -> bool:
                return outer._admit(request[0], client_address[0])

            def handle_error(self, request, client_address) -> None:
                # socketserver would print a traceback per datagram (a nested bundle: ~2,000 lines each).
                outer.unreadable += 1
                log.warning("OSC from %s: unreadable datagram (%s); nothing changed", client_address[0],
                            first_line(sys.exc_info()[1]))

        self.server = Server((settings.bind, settings.port), dispatcher)
        self.port = self.server.server_address[1]   # the real one when port 0 asked for any
        self.feedback = Feedback(lambda data, to: self.server.socket.sendto(data, to), self._state,
                                 settings.feedback_address(), clock)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="aimoji-osc", daemon=True)

    def start(self) -> "OscServer":
        self.thread.start()
        self.feedback.start()
        log.info("OSC: listening on %s:%d (UDP), accepting %s", self.settings.bind, self.port,
                 ", ".join(self.settings.allow))
        return self

    def stop(self) -> None:
        self.feedback.stop()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2.0)

    def _admit(self, data: bytes, host: str) -> bool:
        """Before parsing: a sender outside `allow` costs one address check; one over its rate, a bucket."""
        if not allowed(host, self.networks):
            self.refused += 1
            log.warning("OSC from %s refused: not in the allowed networks (%s)", host, ", ".join(self.settings.allow))
            return False
        if data.startswith(URGENT):
            return True
        verdict = self.limit.check(host, self.clock())
        if verdict.line is not None:
            log.warning("%s", verdict.line)
        return verdict.allowed

    def _state(self):
        state = self.player.snapshot()
        return state, verdict(state, time.monotonic()).phase

    def _handle(self, client_address, address: str, *args) -> None:
        self.received += 1
        sender = f"{client_address[0]}:{client_address[1]}"
        who = f"OSC from {sender}"
        known = Known.of(self.player.snapshot(), self.shelf.names() if self.shelf is not None else ())
        result = parse(address, args, known, sender)
        if isinstance(result, Ping):
            self.feedback.ping(client_address)
            return
        if isinstance(result, Cue):
            result = self.cues.load(result, who)     # None, or why not (logged there)
            if result is None:
                self.feedback.heard(client_address)
            else:
                self.invalid += 1
            return
        if isinstance(result, Fetch):
            result = self.shelf.fetch(result, who)   # None, or why not
        elif isinstance(result, Control):
            self.player.post(result)
            self.actions.accepted(who, describe(result), result.kind)
            result = None
        if isinstance(result, str):
            self.invalid += 1
            self.actions.refused(who, result)
        else:
            self.feedback.heard(client_address)

    def status(self) -> str:
        return (f"on {self.settings.bind}:{self.port}, {self.received} received, {self.invalid} invalid, "
                f"{self.refused} refused, {self.limit.dropped} over the rate limit, {self.unreadable} unreadable")
