"""Control from outside the room, whatever it came by (OSC: service/remote/osc.py, the status page's POST
/control: service/remote/http_status.py): the one table of actions, their arguments and ranges.

`parse` is pure: an action name and its arguments become a validated `Control` for the player, a `Cue`,
or one line saying why not (nothing changes). Names come only from what the player holds (scene kinds
of its playlist, loaded models) or, for a cue, a bare file name in the show folder: nothing received
can name a path, run a program or write a file. `Cues` reads that one show file, a few times a minute
at most.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from installation.model import moods
from installation.player.messages import Control
from installation.player.state import PlayerState
from installation.service.remote.limits import SourceLimit

ACTIONS = ("scene", "next", "previous", "mood", "model", "speed", "blackout", "freeze", "cue", "release")
MOODS = (*moods.MOODS, "none")
SPEED_RANGE = (0.1, 10.0)
FADE_MAX_S = 60.0
SHOW_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")   # a file in the show folder, no path


@dataclass(frozen=True)
class Cue:
    """Load this show file from the show folder (off the render loop), then post it."""
    name: str


@dataclass(frozen=True)
class Known:
    """What the player holds, from its snapshot: the playlist's scene kinds and the loaded models."""
    scenes: tuple[str, ...]
    models: tuple[str, ...]

    @classmethod
    def of(cls, state: PlayerState) -> "Known":
        return cls(state.playlist, state.models)


def allowed(host: str, networks: Sequence) -> bool:
    """Whether a sender's address lies in one of the networks (ipaddress networks)."""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped   # a dual-stack socket reports 10.0.0.5 as ::ffff:10.0.0.5
    return any(address.version == n.version and address in n for n in networks)


def _number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def _switch(v) -> bool | None:
    """0 / 1 as int, float (TouchOSC sends floats) or bool; None for anything else."""
    if isinstance(v, bool):
        return v
    if _number(v) and v in (0, 1):
        return bool(v)
    return None


def parse(what: str, args: Sequence, known: Known, sender: str = "", label: str | None = None) -> Control | Cue | str:
    """One action with its arguments -> a Control, a Cue, or why it is refused (one line). label: how
    the action is named in that line (OSC: its address)."""
    label = label or what
    args = list(args)
    if what not in ACTIONS:
        return f"unknown action {label}; allowed: {'|'.join(ACTIONS)}"
    if what in ("next", "previous", "release"):
        if args:
            return f"{label} takes no arguments, got {len(args)}"
        if what == "release":
            return Control("release", None, sender)
        return Control("step", 1 if what == "next" else -1, sender)
    if what == "blackout":
        if len(args) not in (1, 2) or _switch(args[0]) is None:
            return f"{label} {_show(args)}: allowed: 0 or 1, then an optional fade in seconds"
        fade_s = args[1] if len(args) == 2 else 0.0
        if not _number(fade_s) or not 0 <= fade_s <= FADE_MAX_S:
            return f"{label} fade {_show([fade_s])}: allowed: 0..{FADE_MAX_S:g} seconds"
        return Control("blackout", (_switch(args[0]), float(fade_s)), sender)
    if len(args) != 1:
        return f"{label} takes one argument, got {len(args)}"
    value = args[0]
    if what == "scene":
        if isinstance(value, int) and not isinstance(value, bool):
            if not 1 <= value <= len(known.scenes):
                return f"{label} {value}: no such scene; allowed: 1..{len(known.scenes)} or a scene kind " \
                       f"({', '.join(sorted(set(known.scenes)))})"
            return Control("scene", value - 1, sender)
        if isinstance(value, str) and value in known.scenes:
            return Control("scene", known.scenes.index(value), sender)
        return f"{label} {_show(args)}: allowed: 1..{len(known.scenes)} or a scene kind in the playlist " \
               f"({', '.join(sorted(set(known.scenes)))})"
    if what == "mood":
        if value not in MOODS:
            return f"{label} {_show(args)}: allowed: {', '.join(MOODS)}"
        return Control("mood", value, sender)
    if what == "model":
        if not isinstance(value, str) or value not in known.models:
            return f"{label} {_show(args)}: not a loaded model; allowed: {', '.join(known.models)}"
        return Control("model", value, sender)
    if what == "speed":
        low, high = SPEED_RANGE
        if not _number(value) or not low <= value <= high:
            return f"{label} {_show(args)}: allowed: a number {low:g}..{high:g}"
        # OSC floats are 32-bit: 2.4 arrives as 2.4000000953...
        return Control("speed", round(float(value), 4), sender)
    if what == "freeze":
        if _switch(value) is None:
            return f"{label} {_show(args)}: allowed: 0 or 1"
        return Control("freeze", _switch(value), sender)
    if what == "cue":
        name = value[:-5] if isinstance(value, str) and value.endswith(".toml") else value
        if not isinstance(name, str) or not SHOW_NAME.match(name):
            return f"{label} {_show(args)}: allowed: the name of a show file in the show folder, " \
                   "e.g. 'evening' for evening.toml"
        return Cue(name)
    raise AssertionError(what)   # every name in ACTIONS is handled above


def _show(args) -> str:
    return " ".join(repr(a) for a in args) or "(no arguments)"


CUES_PER_S = 0.5   # a cue reads a show file and cross-fades the wall: one every two seconds is plenty
CUE_BURST = 3      # a QLab cue list may fire a few at once


class Cues:
    """Loads a cue's show file from the show folder, off the render loop, and hands it to
    on_cue(show, path, by) (runtime: posts it, and lets it lapse after the show's max_override_s).
    Shared by OSC and the status page: at most CUES_PER_S whoever sends them, one line per burst over."""

    def __init__(self, show_folder: Path, on_cue: Callable[[object, Path, str], None], log: logging.Logger,
                 clock: Callable[[], float] = time.monotonic):
        self.show_folder, self.on_cue, self.log, self.clock = Path(show_folder), on_cue, log, clock
        self.limit = SourceLimit("cue", rate_hz=CUES_PER_S, burst=CUE_BURST)

    def load(self, cue: Cue, who: str) -> str | None:
        """Load and post the cue's show; returns why not (logged after `who`, e.g. 'OSC from
        10.0.0.5:53000'), or None."""
        from installation.show.config import ShowError, load_show

        verdict = self.limit.check("any sender", self.clock())
        if verdict.line is not None:
            self.log.warning("%s", verdict.line)
        if not verdict.allowed:
            return f"cue {cue.name}: more than {CUES_PER_S:g} cues a second; refused"
        path = self.show_folder / f"{cue.name}.toml"   # parse() let only a bare name through
        try:
            show = load_show(path)
        except ShowError as exc:
            why = f"cue {cue.name}: {'; '.join(exc.problems)}"
            self.log.warning("%s: %s; still playing the previous show", who, why)
            return why
        self.log.info("%s: cue '%s' (%s)", who, show.title, path)
        self.on_cue(show, path, who)
        return None
