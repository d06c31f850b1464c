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
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from installation.model import moods
from installation.player.messages import Control
from installation.player.state import PlayerState
from installation.service.remote.limits import SourceLimit

ACTIONS = ("scene", "next", "previous", "mood", "model", "speed", "blackout", "freeze", "cue", "release", "ping")
MOODS = (*moods.MOODS, "none")
SPEED_RANGE = (0.1, 10.0)
FADE_MAX_S = 60.0
SHOW_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")   # a file in the show folder, no path


@dataclass(frozen=True)
class Cue:
    """Load this show file from the show folder (off the render loop), then post it."""
    name: str


@dataclass(frozen=True)
class Fetch:
    """Play this model, which the player does not hold yet: a valid file in the models folder, loaded
    off the render loop (service/remote/shelf.py), then chosen."""
    name: str
    sender: str = ""


@dataclass(frozen=True)
class Ping:
    """Answer the sender (OSC: /aimoji/pong and the state, service/remote/feedback.py)."""


@dataclass(frozen=True)
class Known:
    """What the player holds, from its snapshot (the playlist's scene kinds, the loaded models), and the
    models it could load by name (the folder's .onnx files)."""
    scenes: tuple[str, ...]
    models: tuple[str, ...]
    files: tuple[str, ...] = ()

    @classmethod
    def of(cls, state: PlayerState, files: tuple[str, ...] = ()) -> "Known":
        return cls(state.playlist, state.models, files)


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


def _whole(v) -> int | None:
    """A whole number as int or float (TouchOSC sends 2.0 for 2); None for anything else."""
    if _number(v) and float(v).is_integer():
        return int(v)
    return None


def _named(value, names: Sequence[str]) -> str | None:
    """The name in `names` that value spells, whatever its case ('Grid' is grid); None if none."""
    if not isinstance(value, str):
        return None
    return next((n for n in names if n.lower() == value.strip().lower()), None)


def _switch(v) -> bool | None:
    """0 / 1 as int, float (TouchOSC sends floats) or bool; None for anything else."""
    if isinstance(v, bool):
        return v
    if _number(v) and v in (0, 1):
        return bool(v)
    return None


def parse(what: str, args: Sequence, known: Known, sender: str = "",
          label: str | None = None) -> Control | Cue | Fetch | Ping | str:
    """One action with its arguments -> a Control, a Cue, a Fetch (a model to load first), a Ping, or
    why it is refused (one line). Numbers may come as ints or floats, names in any case, as lighting
    desks and TouchOSC send them. label: how the action is named in that line (OSC: its address)."""
    label = label or what
    args = list(args)
    what = _named(what, ACTIONS) or what
    if what not in ACTIONS:
        return f"unknown action {label}; allowed: {'|'.join(ACTIONS)}"
    if what in ("next", "previous", "release", "ping"):
        if args:
            return f"{label} takes no arguments, got {len(args)}"
        if what == "ping":
            return Ping()
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
        number, kind = _whole(value), _named(value, known.scenes)
        if number is not None and 1 <= number <= len(known.scenes):
            return Control("scene", number - 1, sender)
        if kind is not None:
            return Control("scene", known.scenes.index(kind), sender)
        return f"{label} {_show(args)}: no such scene; allowed: 1..{len(known.scenes)} or a scene kind in the " \
               f"playlist ({', '.join(sorted(set(known.scenes)))})"
    if what == "mood":
        mood = _named(value, MOODS)
        if mood is None:
            return f"{label} {_show(args)}: allowed: {', '.join(MOODS)}"
        return Control("mood", mood, sender)
    if what == "model":
        held, on_file = _named(value, known.models), _named(value, known.files)
        if held is not None:
            return Control("model", held, sender)
        if on_file is not None:
            return Fetch(on_file, sender)
        return f"{label} {_show(args)}: no such model; allowed: {', '.join(sorted({*known.models, *known.files}))}"
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
        name = value[:-5] if isinstance(value, str) and value.lower().endswith(".toml") else value
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


def describe(control: Control) -> str:
    """A control as people say it, for its log line: 'scene 1', 'blackout on (fade 2 s)', 'release'."""
    kind, value = control.kind, control.value
    if kind == "scene":
        return f"scene {value + 1}"
    if kind == "step":
        return "next" if value > 0 else "previous"
    if kind == "blackout":
        on, fade_s = value
        return f"blackout {'on' if on else 'off'}" + (f" (fade {fade_s:g} s)" if fade_s else "")
    if kind == "freeze":
        return "freeze" if value else "unfreeze"
    if kind == "release":
        return "release"
    return f"{kind} {value}"


FOLD_S = 2.0          # a sender's controls of one kind within this long are one log line and a count
FOLD_SENDERS = 256    # senders remembered for folding


class ActionLog:
    """One log line per accepted or refused control, whoever sent it (OSC, the page); a sender's further
    controls of the same kind within FOLD_S are counted into its next line instead (a fader swept from
    TouchOSC: one line a couple of seconds, with how many it stood for)."""

    def __init__(self, log: logging.Logger, clock: Callable[[], float] = time.monotonic):
        self.log, self.clock = log, clock
        self._last: OrderedDict[tuple[str, str], list] = OrderedDict()   # (who, kind) -> [said at, held]

    def _fold(self, who: str, kind: str) -> int | None:
        """None: hold this one back (counted); else how many were held since the last line."""
        now, key = self.clock(), (who, kind)
        entry = self._last.pop(key, None)
        if entry is not None and now - entry[0] < FOLD_S:
            entry[1] += 1
            self._last[key] = entry
            return None
        held = entry[1] if entry is not None else 0
        self._last[key] = [now, 0]
        while len(self._last) > FOLD_SENDERS:
            self._last.popitem(last=False)
        return held

    def accepted(self, who: str, text: str, kind: str) -> None:
        held = self._fold(who, kind)
        if held is not None:
            self.log.info("%s: %s%s", who, text, f" (and {held} more of these before it)" if held else "")

    def refused(self, who: str, why: str) -> None:
        held = self._fold(who, why)
        if held is not None:
            self.log.warning("%s: %s; nothing changed%s", who, why, f" ({held} more like it)" if held else "")
