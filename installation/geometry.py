"""The one rectangle type: x, y, w, h in whole pixels (a scene's layout, a frame's place on a screen)."""

from __future__ import annotations

from typing import NamedTuple


class Rect(NamedTuple):
    x: int
    y: int
    w: int
    h: int
