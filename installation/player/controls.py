"""Operators' controls on their way to the render loop, bounded whatever arrives: the latest value of each
kind wins (a fader swept from TouchOSC sends hundreds of `speed` values; only the last matters), steps
add up, and `release` and `blackout` overtake everything. Memory is one Control per kind, however fast
they come; the loop takes them all between two frames. Thread-safe; no pygame, no clock.
"""

from __future__ import annotations

import threading

from installation.player.messages import Control

FIRST = ("release", "blackout")    # applied before anything that arrived with them


class ControlBox:
    def __init__(self):
        self._lock = threading.Lock()
        self._latest: dict[str, Control] = {}
        self.received = 0       # every control put in
        self.merged = 0         # those replaced by a later one of the same kind before the loop took them

    def put(self, control: Control) -> None:
        with self._lock:
            self.received += 1
            if control.kind == "release":
                # Everything held before a release is moot: drop it, keep the release.
                self.merged += len(self._latest)
                self._latest = {"release": control}
                return
            held = self._latest.get(control.kind)
            if held is not None:
                self.merged += 1
                if control.kind == "step":   # next, next, previous: one step of +1
                    control = Control("step", int(held.value) + int(control.value), control.sender)
            self._latest[control.kind] = control

    def take(self) -> list[Control]:
        """Everything waiting, release and blackout first, then in arrival order; the box is empty after."""
        with self._lock:
            waiting, self._latest = self._latest, {}
        first = [waiting.pop(kind) for kind in FIRST if kind in waiting]
        return first + [c for c in waiting.values() if not (c.kind == "step" and c.value == 0)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._latest)
