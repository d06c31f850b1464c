"""What is on the wall, in a few numbers (pure numpy): is the picture changing, is it blank or black?

The player looks at the small generated image(s) it shows, never at the scaled screen: a fingerprint
of an 8 x 8 grid of mean levels costs microseconds. Health (service/health/verdict.py) turns these facts into
a verdict; a frozen, flat or black picture is a fault the watchdog must hear about.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from installation.model.blank import is_dark, is_flat
from installation.player.state import PictureFacts

GRID = 8            # the fingerprint is GRID x GRID mean grey levels
CHANGE_LEVELS = 1   # a cell must move by more than this (of 255) for the picture to count as changed
LOOK_EVERY_S = 0.25  # how often the picture on the wall is looked at


def fingerprint(image: np.ndarray) -> np.ndarray:
    """[H, W, 3] uint8 -> [GRID, GRID] mean grey levels (uint8); H and W need not divide evenly."""
    grey = image.mean(axis=2) if image.ndim == 3 else image.astype(np.float64)
    h, w = grey.shape
    rows = np.linspace(0, h, min(GRID, h) + 1).astype(int)
    cols = np.linspace(0, w, min(GRID, w) + 1).astype(int)
    sums = np.add.reduceat(np.add.reduceat(grey, rows[:-1], axis=0), cols[:-1], axis=1)
    return (sums / np.outer(np.diff(rows), np.diff(cols))).round().astype(np.uint8)


@dataclass
class ContentWatch:
    """Looks at the picture on the wall now and then (`look`, `observe`); keeps when it last changed, how
    it looks, and the last small image seen with its brightness (`picture`: the status page's thumbnail,
    a reference the render loop stops using, never a copy or an encode on the render thread)."""
    changed_at: float | None = None   # monotonic time the picture last changed (None: nothing seen yet)
    flat_since: float | None = None   # monotonic time the picture became one flat colour (None: it is not)
    flat: bool = False
    dark: bool = False
    picture: tuple | None = None      # (image [H, W, 3] uint8, brightness 0..1), or None: none on the wall
    _last: np.ndarray | None = None
    _due: float = 0.0

    def look(self, view, now: float, brightness: float) -> bool:
        """Every LOOK_EVERY_S, a glance at the view on the wall (None: nothing there); True when it looked."""
        if now < self._due:
            return False
        self._due = now + LOOK_EVERY_S
        image = view.glance() if view is not None else None
        self.observe(image, now)
        self.picture = None if image is None else (image, brightness)
        return True

    def observe(self, image: np.ndarray | None, now: float) -> None:
        if image is None:
            return
        step = max(1, min(image.shape[:2]) // 64)   # a few thousand pixels tell all this needs
        image = image[::step, ::step]
        fp = fingerprint(image)
        if self._last is None or int(np.abs(fp.astype(np.int16) - self._last).max()) > CHANGE_LEVELS:
            self.changed_at, self._last = now, fp
        self.flat = is_flat(image)
        self.dark = is_dark(image)
        self.flat_since = (self.flat_since or now) if self.flat else None

    def reset(self) -> None:
        """A new scene or model: its first image counts as a change."""
        self._last, self.flat_since, self.flat, self.dark = None, None, False, False

    def facts(self, still_allowed_s: float, intended_still: bool) -> PictureFacts:
        return PictureFacts(self.changed_at, self.flat, self.dark, still_allowed_s, intended_still)
