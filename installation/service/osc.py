"""OSC in: a lighting desk, QLab or TouchOSC steers the wall from outside the room. Off by default.

A UDP server thread that only checks the sender against the allowed networks, parses and validates
each message (`parse`, pure) and posts a `Control` to the player; `/aimoji/cue` loads a show file here,
off the render loop, and posts it like hot reload does. A bad message or a refused sender is one log
line (logs.py's RepeatFilter folds repeats) and changes nothing. Addresses: docs/operations.md.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from installation.player.messages import Control

log = logging.getLogger("aimoji.osc")

PREFIX = "/aimoji/"
ADDRESSES = ("scene", "next", "previous", "mood", "model", "speed", "blackout", "freeze", "cue", "release")
MOODS = ("neutral", "horror", "happy", "sad", "none")
SPEED_RANGE = (0.1, 10.0)
FADE_MAX_S = 60.0
SHOW_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")   # a file in the show folder, no path


@dataclass(frozen=True)
class Settings:
    """Where to listen and whom to hear: the show's [osc] section, overridden by `aimoji play --osc*`."""
    port: int
    bind: str = "127.0.0.1"
    allow: tuple[str, ...] = ("127.0.0.1/32",)
    override: str = "until_released"

    @classmethod
    def resolve(cls, show_osc, port: int | None, bind: str | None, allow: Sequence[str] | None):
        """The settings, or None when OSC is off (no --osc and no [osc] in the show)."""
        if port is None and show_osc is None:
            return None
        base = show_osc
        return cls(port=port if port is not None else base.port,
                   bind=bind or (base.bind if base else cls.bind),
                   allow=tuple(allow) if allow else (tuple(base.allow) if base else cls.allow),
                   override=base.override if base else cls.override)


@dataclass(frozen=True)
class Cue:
    """/aimoji/cue: load this show file (in the OSC thread), then post it."""
    name: str


@dataclass(frozen=True)
class Known:
    """What the player holds, from its snapshot: the playlist's scene kinds and the loaded models."""
    scenes: tuple[str, ...]
    models: tuple[str, ...]


def allowed(host: str, networks: Sequence) -> bool:
    """Whether a sender's address lies in one of the networks (ipaddress networks)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(address.version == n.version and address in n for n in networks)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _switch(v) -> bool | None:
    """0 / 1 as int, float (TouchOSC sends floats) or OSC bool; None for anything else."""
    if isinstance(v, bool):
        return v
    if _number(v) and v in (0, 1):
        return bool(v)
    return None


def parse(address: str, args: Sequence, known: Known, sender: str = "") -> Control | Cue | str:
    """One OSC message -> a Control, a Cue, or why it is refused (one line, nothing changes)."""
    what, args = address[len(PREFIX):], list(args)
    if not address.startswith(PREFIX) or what not in ADDRESSES:
        return f"unknown address {address}; allowed: {PREFIX}{'|'.join(ADDRESSES)}"
    if what in ("next", "previous", "release"):
        if args:
            return f"{address} takes no arguments, got {len(args)}"
        if what == "release":
            return Control("release", None, sender)
        return Control("step", 1 if what == "next" else -1, sender)
    if what == "blackout":
        if len(args) not in (1, 2) or _switch(args[0]) is None:
            return f"{address} {_show(args)}: allowed: 0 or 1, then an optional fade in seconds"
        fade_s = args[1] if len(args) == 2 else 0.0
        if not _number(fade_s) or not 0 <= fade_s <= FADE_MAX_S:
            return f"{address} fade {_show([fade_s])}: allowed: 0..{FADE_MAX_S:g} seconds"
        return Control("blackout", (_switch(args[0]), float(fade_s)), sender)
    if len(args) != 1:
        return f"{address} takes one argument, got {len(args)}"
    value = args[0]
    if what == "scene":
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= len(known.scenes):
                return f"{address} {value}: no such scene; allowed: 1..{len(known.scenes)} or a scene kind " \
                       f"({', '.join(sorted(set(known.scenes)))})"
            return Control("scene", value - 1, sender)
        if isinstance(value, str) and value in known.scenes:
            return Control("scene", known.scenes.index(value), sender)
        return f"{address} {_show(args)}: allowed: 1..{len(known.scenes)} or a scene kind in the playlist " \
               f"({', '.join(sorted(set(known.scenes)))})"
    if what == "mood":
        if value not in MOODS:
            return f"{address} {_show(args)}: allowed: {', '.join(MOODS)}"
        return Control("mood", value, sender)
    if what == "model":
        if not isinstance(value, str) or value not in known.models:
            return f"{address} {_show(args)}: not a loaded model; allowed: {', '.join(known.models)}"
        return Control("model", value, sender)
    if what == "speed":
        low, high = SPEED_RANGE
        if not _number(value) or not low <= value <= high:
            return f"{address} {_show(args)}: allowed: a number {low:g}..{high:g}"
        # OSC floats are 32-bit: 2.4 arrives as 2.4000000953...
        return Control("speed", round(float(value), 4), sender)
    if what == "freeze":
        if _switch(value) is None:
            return f"{address} {_show(args)}: allowed: 0 or 1"
        return Control("freeze", _switch(value), sender)
    if what == "cue":
        name = value[:-5] if isinstance(value, str) and value.endswith(".toml") else value
        if not isinstance(name, str) or not SHOW_NAME.match(name):
            return f"{address} {_show(args)}: allowed: the name of a show file in the show folder, " \
                   "e.g. 'evening' for evening.toml"
        return Cue(name)
    raise AssertionError(what)   # every name in ADDRESSES is handled above


def _show(args) -> str:
    return " ".join(repr(a) for a in args) or "(no arguments)"


class OscServer:
    """The UDP server on its own thread. player: post() and snapshot(). on_cue(show, path): posts a
    loaded show (runtime.ReloadHooks.on_show). show_folder: where /aimoji/cue looks."""

    def __init__(self, settings: Settings, player, show_folder: Path, on_cue: Callable[[object, Path], None]):
        from pythonosc.dispatcher import Dispatcher
        from pythonosc.osc_server import BlockingOSCUDPServer

        self.settings, self.player, self.show_folder, self.on_cue = settings, player, Path(show_folder), on_cue
        self.networks = [ipaddress.ip_network(n, strict=False) for n in settings.allow]
        self.received = self.refused = self.invalid = 0
        dispatcher = Dispatcher(strict_timing=False)   # a bundle timed in the future must not park the thread
        dispatcher.set_default_handler(self._handle, needs_reply_address=True)
        outer = self

        class Server(BlockingOSCUDPServer):
            def verify_request(self, request, client_address) -> bool:
                # Before parsing: a sender outside `allow` costs one address check, nothing more.
                if allowed(client_address[0], outer.networks):
                    return True
                outer.refused += 1
                log.warning("OSC from %s refused: not in the allowed networks (%s)", client_address[0],
                            ", ".join(outer.settings.allow))
                return False

        self.server = Server((settings.bind, settings.port), dispatcher)
        self.port = self.server.server_address[1]   # the real one when port 0 asked for any
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2},
                                       name="aimoji-osc", daemon=True)

    def start(self) -> "OscServer":
        self.thread.start()
        log.info("OSC: listening on %s:%d (UDP), accepting %s", self.settings.bind, self.port,
                 ", ".join(self.settings.allow))
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(2.0)

    def _known(self) -> Known:
        snap = self.player.snapshot()
        return Known(tuple(snap.get("playlist") or ()), tuple(snap.get("models") or ()))

    def _handle(self, client_address, address: str, *args) -> None:
        self.received += 1
        sender = f"{client_address[0]}:{client_address[1]}"
        result = parse(address, args, self._known(), sender)
        if isinstance(result, str):
            self.invalid += 1
            log.warning("OSC from %s: %s; nothing changed", sender, result)
        elif isinstance(result, Cue):
            self._cue(result.name, sender)
        else:
            self.player.post(result)

    def _cue(self, name: str, sender: str) -> None:
        from installation.show.config import ShowError, load_show

        path = self.show_folder / f"{name}.toml"
        try:
            show = load_show(path)
        except ShowError as exc:
            self.invalid += 1
            log.warning("OSC from %s: /aimoji/cue %s: %s; still playing the previous show", sender, name,
                        "; ".join(exc.problems))
            return
        log.info("OSC from %s: cue '%s' (%s)", sender, show.title, path)
        self.on_cue(show, path)

    def status(self) -> str:
        return f"on {self.settings.bind}:{self.port}, {self.received} received, {self.invalid} invalid, " \
               f"{self.refused} refused"
