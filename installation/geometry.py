"""The one rectangle type: x, y, w, h in whole pixels (a scene's layout, a frame's place on a screen), and
a screen's region of a wall of screens."""

from __future__ import annotations

from typing import NamedTuple


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int


class Region(NamedTuple):
    """One screen's part of a wall (show/wall.py), in the layout pixels its scenes lay out in: the whole
    canvas the scenes lay out on, the rect of it this screen shows, and how the panel is mounted
    (0, 90, 180, 270 degrees clockwise)."""
    canvas: tuple[int, int]
    visible: Rect
    rotation: int = 0
