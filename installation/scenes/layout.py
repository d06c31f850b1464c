"""Pure layout maths for scenes: where the emoji or the tiles go on a frame (x, y, w, h in pixels)."""

from __future__ import annotations

from installation.geometry import Rect


def morph_box(screen_w: int, screen_h: int, image_px: int, scale: str, inset: int = 0) -> Rect:
    """One square emoji as tall as the screen (or as wide, on a portrait screen), centred, `inset`
    pixels clear of the edges at least (panel care's orbit moves it that far).

    Pixel scaling uses the largest whole multiple of the image size, so every generated pixel
    becomes an equal block; the other scalings fill the whole height.
    """
    side = max(1, min(screen_w, screen_h) - 2 * inset)
    if scale == "pixel" and side >= image_px:
        side = (side // image_px) * image_px
    return Rect((screen_w - side) // 2, (screen_h - side) // 2, side, side)


def grid_boxes(screen_w: int, screen_h: int, cols: int, rows: int) -> list[Rect]:
    """Equal square tiles, row by row (index = row * cols + col), the whole grid centred."""
    tile = max(1, min(screen_w // cols, screen_h // rows))
    x0 = (screen_w - tile * cols) // 2
    y0 = (screen_h - tile * rows) // 2
    return [Rect(x0 + c * tile, y0 + r * tile, tile, tile) for r in range(rows) for c in range(cols)]
