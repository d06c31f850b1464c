"""Pure layout maths for scenes: where the emoji or the tiles go on a screen (x, y, w, h in pixels)."""

from __future__ import annotations

from typing import NamedTuple


class Box(NamedTuple):
    x: int
    y: int
    w: int
    h: int


def morph_box(screen_w: int, screen_h: int, image_px: int, scale: str) -> Box:
    """One square emoji as tall as the screen (or as wide, on a portrait screen), centred.

    Pixel scaling uses the largest whole multiple of the image size, so every generated pixel
    becomes an equal block; the other scalings fill the whole height.
    """
    side = min(screen_w, screen_h)
    if scale == "pixel" and side >= image_px:
        side = (side // image_px) * image_px
    return Box((screen_w - side) // 2, (screen_h - side) // 2, side, side)


def grid_boxes(screen_w: int, screen_h: int, cols: int, rows: int) -> list[Box]:
    """Equal square tiles, row by row (index = row * cols + col), the whole grid centred."""
    tile = max(1, min(screen_w // cols, screen_h // rows))
    x0 = (screen_w - tile * cols) // 2
    y0 = (screen_h - tile * rows) // 2
    return [Box(x0 + c * tile, y0 + r * tile, tile, tile) for r in range(rows) for c in range(cols)]


def parse_colour(hex_rgb: str) -> tuple[int, int, int]:
    """'#rrggbb' -> (r, g, b)."""
    h = hex_rgb.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
