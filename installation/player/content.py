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
LOOK_EVERY_S = 0.25  # how often the picture is looked at


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
    """Fed a picture now and then (`observe`); keeps when it last changed, how it looks, and the last
    image seen (`image`: for the panel, the status page's thumbnail: a copy the loop made small, never
    encoded on the render thread)."""
    changed_at: float | None = None   # monotonic time the picture last changed (None: nothing seen yet)
    flat_since: float | None = None   # monotonic time the picture became one flat colour (None: it is not)
    flat: bool = False
    dark: bool = False
    image: np.ndarray | None = None
    _last: np.ndarray | None = None

    def observe(self, image: np.ndarray | None, now: float) -> None:
        self.image = image
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

    def facts(self, still_allowed_s: float, intended_still: bool, on_panel: float = 1.0) -> PictureFacts:
        return PictureFacts(self.changed_at, self.flat, self.dark, still_allowed_s, intended_still, on_panel)


class Witness:
    """The player's two looks at the picture, every LOOK_EVERY_S: the panel (the frame as presented,
    sampled by the Screen: what health judges, and the status page's thumbnail) and the image the
    generator made (what supervision judges), on consecutive frames: together they were 1.3-2.5 ms of one
    frame in 15 at 2160p, which set every scene's frame-work p99 (docs/player.md, "4K")."""

    def __init__(self):
        self.panel, self.generated = ContentWatch(), ContentWatch()
        self._due = 0.0
        self._panel_seen = False   # this round's look at the panel is done; the generated image is next

    def look(self, screen, view, now: float) -> bool:
        """screen: the display/screen.py Screen; view: the scene view on the wall, or None. True when it
        looked at the generated image (not more often than LOOK_EVERY_S, the frame after the panel)."""
        if now < self._due:
            return False
        if not self._panel_seen:
            self.panel.observe(screen.glance(), now)
            self._panel_seen = True
            return False
        self._due, self._panel_seen = now + LOOK_EVERY_S, False
        self.generated.observe(view.glance() if view is not None else None, now)
        return True

    def reset(self) -> None:
        """A new scene or model, or a picture moving again: its next look counts as a change."""
        self.panel.reset()
        self.generated.reset()
