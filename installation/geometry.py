"""The one rectangle type: x, y, w, h in whole pixels (a scene's layout, a frame's place on a screen), and
a screen's region of a wall of screens."""

from __future__ import annotations

from typing import NamedTuple


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int


def intersect(a: Rect, b: Rect) -> Rect | None:
    """The rect two rects share, or None where they do not overlap."""
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    return Rect(x0, y0, x1 - x0, y1 - y0) if x0 < x1 and y0 < y1 else None


class Region(NamedTuple):
    """One screen's part of a wall (show/wall.py), in the layout pixels its scenes lay out in: the whole
    canvas the scenes lay out on, the rect of it this screen shows, and how the panel is mounted
    (0, 90, 180, 270 degrees clockwise)."""
    canvas: tuple[int, int]
    visible: Rect
    rotation: int = 0
