"""Is a panel plugged in? The display connectors as DRM's sysfs tells it (`card*-*/status`: connected,
disconnected or unknown; `enabled`: a CRTC scans out to it), which one the display uses, and a thread
that polls them (sysfs sends no inotify events) and says when the panel goes away or comes back.

The reader and the judgements are pure over a sysfs root, so tests hand in a fake tree. The watcher
sits here, beside the display it watches, rather than in service/power (which switches the screen by
command): the player re-opens its display on a reconnect and the runtime reports the status, and both
layers sit above this one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

SYSFS_DRM = Path("/sys/class/drm")
POLL_S = 2.0          # how often the watcher looks: an unplugged panel is a status within 2 s
FLAP_LINES = 4        # change lines said per FLAP_WINDOW_S; a loose cable says one more, then waits
FLAP_WINDOW_S = 60.0
SETTLE_S = 10.0       # a flapping connector is said again once it has held still this long

log = logging.getLogger("aimoji.display")


@dataclass(frozen=True)
class Connector:
    name: str       # 'card0-HDMI-A-1': the card, then the connector's type and number
    status: str     # what sysfs says: 'connected', 'disconnected' or 'unknown'
    enabled: bool   # a CRTC scans out to it: the display is using it

    @property
    def connected(self) -> bool:
        # 'unknown' is what a connector that cannot sense a panel says (VGA without load detection):
        # enabled, nothing says the panel is gone.
        return self.status == "connected" or (self.status == "unknown" and self.enabled)


def read_connectors(root: Path = SYSFS_DRM) -> list[Connector]:
    """The display connectors under a sysfs DRM folder, by name; [] when there is no DRM (a container, a
    machine without a KMS driver). Writeback connectors are no display. A connector that vanishes while
    it is read (a DisplayPort hub unplugged) is left out."""
    out = []
    try:
        folders = sorted(p for p in root.glob("card*-*") if "Writeback" not in p.name)
    except OSError:
        return []
    for folder in folders:
        try:
            status = (folder / "status").read_text().strip()
            enabled = (folder / "enabled").read_text().strip() == "enabled"
        except OSError:
            continue
        out.append(Connector(folder.name, status, enabled))
    return out


def in_use(connectors: list[Connector], previous: str | None = None) -> tuple[Connector | None, list[str]]:
    """(the connector the display uses, the other connected ones). A connected one first: the one used
    before, else one a CRTC scans out to, else the first; with none connected, the one used before, else
    the enabled one, else the only one; None when that cannot be told."""
    connected = [c for c in connectors if c.connected]
    by_name = {c.name: c for c in connectors}
    ranked = ([by_name[previous]] if previous in by_name and by_name[previous].connected else []) + \
        [c for c in connected if c.enabled] + connected
    if ranked:
        return ranked[0], [c.name for c in connected if c.name != ranked[0].name]
    enabled = [c for c in connectors if c.enabled]
    chosen = by_name.get(previous) if previous in by_name else (
        enabled[0] if len(enabled) == 1 else connectors[0] if len(connectors) == 1 else None)
    return chosen, []


@dataclass(frozen=True)
class DisplayLink:
    """What the watcher knows, replaced whole on each change (reading it needs no lock)."""
    connected: bool | None        # None: no DRM connectors to read, so nobody knows
    connector: str | None         # the one the display uses (None: none, or not to be told)
    since: float                  # wall time of the last change (or of the first look)
    others: tuple[str, ...] = ()  # other connectors with a panel on them
    root: str = str(SYSFS_DRM)

    def status(self, now: float) -> str:
        """One line for `aimoji status` and the log, e.g. 'display disconnected since 14:02 (card0-HDMI-A-1)'."""
        if self.connected is None:
            return f"display connector unknown: no DRM connectors in {self.root}, so unplugging goes unnoticed"
        if self.connected:
            also = f"; also connected: {', '.join(self.others)}" if self.others else ""
            return f"display connected ({self.connector}{also})"
        return (f"display disconnected since {clock_time(self.since, now)} "
                f"({self.connector or 'no panel on any connector'})")


def clock_time(t: float, now: float) -> str:
    """'14:02' today, 'Mar 03 14:02' on another day (local time)."""
    same_day = time.localtime(t)[:3] == time.localtime(now)[:3]
    return time.strftime("%H:%M" if same_day else "%b %d %H:%M", time.localtime(t))


def look(previous: DisplayLink | None, connectors: list[Connector], wall: float,
         root: Path = SYSFS_DRM) -> DisplayLink:
    """The link after one look at the connectors; `since` moves only when connected or the connector
    in use changes."""
    if not connectors:
        connected, name, others = None, None, ()
    else:
        chosen, rest = in_use(connectors, previous.connector if previous else None)
        connected, name, others = chosen is not None and chosen.connected, chosen and chosen.name, tuple(rest)
    if previous is not None and (previous.connected, previous.connector) == (connected, name):
        return previous if previous.others == others else replace(previous, others=others)
    return DisplayLink(connected, name, wall, others, str(root))


def came_back(before: DisplayLink, after: DisplayLink) -> bool:
    """A panel to re-open the display on: plugged in again, moved to another connector, or DRM appeared."""
    return bool(after.connected) and (not before.connected or before.connector != after.connector)


@dataclass
class Quiet:
    """Bounds what a loose cable writes: up to `lines` changes per `window_s` are said; the next one is
    said as 'flapping' and the rest are held until the link holds still for `settle_s`."""
    lines: int = FLAP_LINES
    window_s: float = FLAP_WINDOW_S
    settle_s: float = SETTLE_S
    said: deque = field(default_factory=deque)   # when the change lines within the window were said
    held: int = 0                                # changes not said since the 'flapping' line
    last_change: float = 0.0

    def change(self, t: float) -> str:
        """'say', 'flapping' (say that instead) or 'hold' for a change at monotonic time t."""
        self.last_change = t
        while self.said and t - self.said[0] > self.window_s:
            self.said.popleft()
        if self.held or len(self.said) > self.lines:
            self.held += 1
            return "hold"
        self.said.append(t)
        return "say" if len(self.said) <= self.lines else "flapping"

    def settled(self, t: float) -> int | None:
        """The number of changes held back, once the link has held still long enough (then said again)."""
        if not self.held or t - self.last_change < self.settle_s:
            return None
        held, self.held = self.held, 0
        return held


class ConnectorWatch(threading.Thread):
    """Polls the connectors every `every_s` on its own thread; `state` (a DisplayLink) is always the last
    look, `status()` its line. One log line per change (bounded while a cable flaps, class Quiet), and
    `on_reconnect(state)` on this thread when a panel comes back: it must only queue (the player re-opens
    its display between frames). The first look happens in the constructor, so `state` is true at once."""

    def __init__(self, on_reconnect: Callable[[DisplayLink], None] | None = None, *, root: Path = SYSFS_DRM,
                 every_s: float = POLL_S, clock: Callable[[], float] = time.monotonic,
                 wall: Callable[[], float] = time.time):
        super().__init__(name="aimoji-connector", daemon=True)
        self.on_reconnect, self.root, self.every_s = on_reconnect, Path(root), every_s
        self.clock, self.wall = clock, wall
        self.quiet = Quiet()
        self._stopping = threading.Event()
        self.state = look(None, read_connectors(self.root), wall(), self.root)
        (log.info if self.state.connected else log.warning)(self.status())   # once, whatever it is

    def status(self) -> str:
        return self.state.status(self.wall())

    def poll(self) -> DisplayLink:
        """One look: the new state, its line if it changed, the callback if a panel came back."""
        before = self.state
        after = self.state = look(before, read_connectors(self.root), self.wall(), self.root)
        t = self.clock()
        if (before.connected, before.connector) != (after.connected, after.connector):
            said = self.quiet.change(t)
            if said == "say":
                self._say(after, came_back(before, after))
            elif said == "flapping":
                log.warning("%s; the connector keeps changing (%d times in %.0f s): saying nothing more "
                            "until it holds still for %.0f s", after.status(self.wall()), len(self.quiet.said),
                            self.quiet.window_s, self.quiet.settle_s)
        elif (held := self.quiet.settled(t)) is not None:
            log.warning("%s; it held still after %d more changes", after.status(self.wall()), held)
            if after.connected:
                self._reconnect(after)   # the reconnects held back: re-open once, now it stays
        return after

    def _say(self, after: DisplayLink, back: bool) -> None:
        if back:
            log.warning("%s again; re-opening the display", after.status(self.wall()))
            self._reconnect(after)
        else:
            (log.info if after.connected else log.warning)(after.status(self.wall()))

    def _reconnect(self, state: DisplayLink) -> None:
        if self.on_reconnect is None:
            return
        try:
            self.on_reconnect(state)
        except Exception as exc:   # the watcher outlives a broken callback: one line, next change again
            log.error("display re-open after reconnect failed: %s: %s", type(exc).__name__, exc)

    def run(self) -> None:
        while not self._stopping.wait(self.every_s):
            self.poll()

    def stop(self, timeout_s: float = 2.0) -> None:
        self._stopping.set()
        if self.is_alive():
            self.join(timeout_s)
