"""OSC feedback: the state a TouchOSC layout (or a lighting desk's display) needs, sent back so faders
and labels follow the wall, whoever changed it.

`messages` (pure) turns the player's state into OSC messages on the control addresses themselves
(a fader on /aimoji/speed moves when the speed changes) and on /aimoji/state/* for labels. `Feedback`
sends what changed, every SEND_EVERY_S, to the senders heard within SUBSCRIBED_S (at most SUBSCRIBERS)
and to the show's fixed feedback address; everything every REFRESH_S for a layout that just woke up;
/aimoji/pong and everything at once to a ping. Out of the OSC server's own socket, so the reply comes
from the port the sender sent to.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from pythonosc.osc_message_builder import OscMessageBuilder

from installation.player.state import PlayerState

SEND_EVERY_S = 0.5
REFRESH_S = 10.0
SUBSCRIBED_S = 600.0      # a sender heard within this long gets feedback
SUBSCRIBERS = 8

log = logging.getLogger("aimoji.osc")


def messages(state: PlayerState, phase: str = "") -> dict[str, tuple]:
    """address -> arguments for every piece of state a layout shows (strings never None)."""
    held = state.overrides
    pending = "" if state.pending is None else f"{state.pending.show} at {(state.pending.at or 'T?')[11:16]}"
    return {
        "/aimoji/scene": (state.scene_index or 0,),
        "/aimoji/speed": (float(state.speed),),
        "/aimoji/mood": (state.mood or "none",),
        "/aimoji/model": (state.model or "",),
        "/aimoji/blackout": (1 if "blackout" in held else 0,),
        "/aimoji/freeze": (1 if "freeze" in held else 0,),
        "/aimoji/state/show": (state.show,),
        "/aimoji/state/scene": (f"{state.scene or ''} {state.scene_index or ''}/{len(state.playlist)}".strip(),),
        "/aimoji/state/activity": (state.activity,),
        "/aimoji/state/health": (phase,),
        "/aimoji/state/pending": (pending,),
        "/aimoji/state/cue": (held["cue"].value if "cue" in held else "",),
    }


def encode(address: str, args: tuple) -> bytes:
    builder = OscMessageBuilder(address=address)
    for a in args:
        builder.add_arg(a)
    return builder.build().dgram


class Feedback(threading.Thread):
    """send(datagram, (host, port)): the OSC server's socket. state(): (PlayerState, health phase)."""

    def __init__(self, send: Callable[[bytes, tuple], None], state: Callable[[], tuple[PlayerState, str]],
                 fixed: tuple[str, int] | None = None, clock: Callable[[], float] = time.monotonic):
        super().__init__(name="aimoji-osc-feedback", daemon=True)
        self.send, self.state, self.fixed, self.clock = send, state, fixed, clock
        self._heard: OrderedDict[tuple[str, int], float] = OrderedDict()
        self._sent: dict[tuple[str, int], dict[str, tuple]] = {}
        self._refreshed = -REFRESH_S
        self._lock = threading.Lock()
        self._quit = threading.Event()
        self.sent = 0

    def heard(self, address: tuple[str, int]) -> None:
        """A sender whose control was accepted: it follows the state from now on."""
        with self._lock:
            self._heard.pop(address, None)
            self._heard[address] = self.clock()
            while len(self._heard) > SUBSCRIBERS:
                gone, _ = self._heard.popitem(last=False)
                self._sent.pop(gone, None)

    def ping(self, address: tuple[str, int]) -> None:
        """/aimoji/pong and the whole state, at once."""
        self.heard(address)
        self._to(address, {"/aimoji/pong": (), **messages(*self.state())}, everything=True)

    def subscribers(self) -> list[tuple[str, int]]:
        now = self.clock()
        with self._lock:
            heard = [a for a, at in self._heard.items() if now - at < SUBSCRIBED_S]
        return heard + ([self.fixed] if self.fixed and self.fixed not in heard else [])

    def tick(self) -> None:
        """One round: what changed to everyone, or everything every REFRESH_S."""
        now = self.clock()
        everything = now - self._refreshed >= REFRESH_S
        if everything:
            self._refreshed = now
        current = messages(*self.state())
        for address in self.subscribers():
            self._to(address, current, everything)

    def _to(self, address: tuple[str, int], current: dict[str, tuple], everything: bool) -> None:
        last = self._sent.get(address, {})
        for path, args in current.items():
            if everything or last.get(path) != args:
                try:
                    self.send(encode(path, args), address)
                    self.sent += 1
                except OSError as exc:   # a sender gone away: nothing to do but say it once in a while
                    log.warning("OSC feedback to %s:%d: %s", address[0], address[1], exc.strerror or exc)
                    return
        self._sent[address] = {k: v for k, v in current.items() if not k.startswith("/aimoji/pong")}

    def run(self) -> None:
        while not self._quit.wait(SEND_EVERY_S):
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - feedback must never take OSC (or the wall) down
                log.warning("OSC feedback: %s: %s", type(exc).__name__, exc)

    def stop(self) -> None:
        self._quit.set()
        self.join(2.0)
