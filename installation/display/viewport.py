"""One screen of a wall: the scenes lay out on the whole wall's canvas, and this PC draws the part its
panel shows (geometry.Region: the canvas in layout pixels, the visible rect of it, the mounting).

The visible area is mapped onto the Screen's whole frame keeping its aspect (bars where the aspects
differ), turned for a panel mounted on its side; the calibration comes after, in the Screen, as on a
single screen. A small image that lies partly outside the visible area is cropped while small (whole
source pixels, one more at each cut so the scaling blends across it as in the whole picture), then only
that crop is scaled: a morph spanning four 4K panels scales a quarter of the emoji here, never the canvas.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import pygame

from installation.calibration import frame_map
from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.display.screen import Placed, Screen, scale_to, to_surface
from installation.geometry import Rect, Region, intersect


# ---- the maths (pure) --------------------------------------------------------------------------
class Mapping(NamedTuple):
    """Canvas layout pixels -> the panel as its viewer sees it (before the mounting's turn)."""
    k: float            # panel pixels per layout pixel
    x0: float           # where the visible area's left edge lands on the panel
    y0: float
    panel: tuple[int, int]

    def x(self, v: float) -> int:
        return round(self.x0 + v * self.k)

    def y(self, v: float) -> int:
        return round(self.y0 + v * self.k)


def mapping(region: Region, panel: tuple[int, int]) -> Mapping:
    """The visible area fitted whole onto a panel of `panel` pixels, centred (letterboxed)."""
    vx, vy, vw, vh = region.visible
    k = min(panel[0] / vw, panel[1] / vh)
    return Mapping(k, (panel[0] - vw * k) / 2 - vx * k, (panel[1] - vh * k) / 2 - vy * k, panel)


def panel_rect(m: Mapping, rect: Rect) -> Rect:
    """A canvas rect on the panel: its edges mapped and rounded (neighbours meet without a gap)."""
    x, y = m.x(rect[0]), m.y(rect[1])
    return Rect(x, y, m.x(rect[0] + rect[2]) - x, m.y(rect[1] + rect[3]) - y)


def source_span(start: float, length: float, part_start: float, part_length: float, n: int) -> tuple[int, int]:
    """The whole source pixels [a, b) of an n-pixel image laid over [start, start + length) that cover
    [part_start, part_start + part_length), one more at each side where the image goes on (so a smooth
    scaling blends across the cut as it does in the whole picture)."""
    per = n / length
    a = math.floor((part_start - start) * per + 1e-9) - 1
    b = math.ceil((part_start + part_length - start) * per - 1e-9) + 1
    return max(0, a), min(n, b)


class Crop(NamedTuple):
    """How to draw one small image that lies partly outside the visible area."""
    rows: slice         # of the small image
    cols: slice
    scaled: Rect        # where the crop, scaled, lies on the panel
    shown: Rect         # the part of it inside the visible area, on the panel


def crop(m: Mapping, region: Region, rect: Rect, image_size: tuple[int, int]) -> Crop | None:
    """The crop of an image (w, h pixels) laid over canvas `rect`; None when none of it is visible."""
    part = intersect(rect, region.visible)
    if part is None:
        return None
    a, b = source_span(rect[0], rect[2], part[0], part[2], image_size[0])
    c, d = source_span(rect[1], rect[3], part[1], part[3], image_size[1])
    per_x, per_y = rect[2] / image_size[0], rect[3] / image_size[1]
    x0, x1 = m.x(rect[0] + a * per_x), m.x(rect[0] + b * per_x)
    y0, y1 = m.y(rect[1] + c * per_y), m.y(rect[1] + d * per_y)
    return Crop(slice(c, d), slice(a, b), Rect(x0, y0, x1 - x0, y1 - y0), panel_rect(m, part))


# ---- the canvas scenes draw on -------------------------------------------------------------------
class Viewport:
    """What a scene draws on (scenes/base.py Canvas) for one screen of a wall: a canvas of the wall's
    size whose every rect and image goes through `mapping` and `crop` onto the Screen."""

    inset = 0   # a wall's picture keeps its whole frame: panel care's orbit moves all its screens alike

    def __init__(self, screen: Screen, region: Region):
        self.screen, self.region = screen, region
        self.size = region.canvas
        mount = cal.Geometry(rotation_deg=region.rotation)
        self._mount, self._turn = mount, Calibration(cal.Profile(geometry=mount)).orient
        self._key = None

    @property
    def key(self):
        return (self.screen.key, self.region)

    @property
    def background(self) -> tuple[int, int, int]:
        return self.screen.background

    def _map(self) -> Mapping:
        if self._key != self.screen.key:   # the screen's size or calibration changed: map again
            self._key = self.screen.key
            self._m = m = mapping(self.region, cal.oriented_size(*self.screen.size, self.region.rotation))
            bars = frame_map.margins(panel_rect(m, self.region.visible), m.panel)
            self._bars = [self._on_frame(Rect(*bar)) for bar in bars]
        return self._m

    def _on_frame(self, rect: Rect) -> Rect:
        """A rect of the panel -> the Screen's frame (the mounting's turn)."""
        return Rect(*frame_map.screen_rect(rect, self._m.panel, (0, 0), self._mount))

    def _black_bars(self) -> None:
        """The bars beside the visible area black again: the Screen pads an image it places off its
        blit alignment with the background, which may reach a few pixels into them."""
        for bar in self._bars:
            self.screen.fill((0, 0, 0), bar)

    def _put(self, surface: pygame.Surface, scaled: Rect, shown: Rect) -> Placed | None:
        """A surface as large as `scaled` on the panel, cut to `shown`, turned, ready for the Screen."""
        cut = Rect(shown.x - scaled.x, shown.y - scaled.y, shown.w, shown.h)
        cut = intersect(cut, Rect(0, 0, *surface.get_size()))
        if cut is None:
            return None
        part = surface.subsurface(cut) if cut != (0, 0, *surface.get_size()) else surface
        return self.screen.place(self._turn(part), self._on_frame(Rect(scaled.x + cut.x, scaled.y + cut.y,
                                                                       cut.w, cut.h)))

    def place(self, image: np.ndarray, rect: Rect, scale: str = "smooth",
              replacing: Placed | None = None, enlarged: np.ndarray | None = None) -> Placed | None:
        """A small image laid over canvas `rect`: only its visible part, cropped while small, scaled once
        (into a new surface: `replacing` is the Screen's economy, for a whole image; `enlarged` too, for
        a whole image: a wall's worker enlarges nothing, `Spanned.image_box`)."""
        m = self._map()
        c = crop(m, self.region, Rect(*rect), (image.shape[1], image.shape[0]))
        if c is None or c.scaled.w <= 0 or c.scaled.h <= 0:
            return None
        small = to_surface(image[c.rows, c.cols])
        return self._put(scale_to(small, (c.scaled.w, c.scaled.h), scale), c.scaled, c.shown)

    place_tile = place   # a tile is scaled first and turned after, as `place` does

    def place_text(self, text: str, size_px: int, colour: tuple[int, int, int],
                   bottom_right: tuple[int, int]) -> tuple[Placed | None, Rect] | None:
        m = self._map()
        surface = self.screen.render_text(text, max(1, round(size_px * m.k)), colour)
        if surface is None:
            return None
        w, h = surface.get_size()
        rect = Rect(round(bottom_right[0] - w / m.k), round(bottom_right[1] - h / m.k), round(w / m.k), round(h / m.k))
        inside = intersect(rect, self.region.visible)
        if inside is None:
            return None, rect
        at = Rect(m.x(bottom_right[0]) - w, m.y(bottom_right[1]) - h, w, h)
        return self._put(surface, at, panel_rect(m, inside)), rect

    def draw(self, placed: Placed | None) -> None:
        if placed is not None:
            self.screen.draw(placed)
            self._black_bars()

    def draw_blends(self, tiles: list[tuple[Placed | None, Placed | None, float]], upcoming=()) -> None:
        """The Screen's, for the tiles with a visible part (None: outside this screen's part of the wall)."""
        self.screen.draw_blends([t for t in tiles if t[0] is not None], [t for t in upcoming if t[0] is not None])
        self._black_bars()

    def fill(self, colour, rect: Rect | None = None) -> None:
        """Fill a canvas rect (its visible part); None: the visible area, and black bars around it."""
        m = self._map()
        if rect is None:
            self.screen.fill((0, 0, 0))
            rect = self.region.visible
        inside = intersect(Rect(*rect), self.region.visible)
        if inside is not None:
            self.screen.fill(colour, self._on_frame(panel_rect(m, inside)))


class Spanned:
    """A scene laid out on the whole wall (its canvas), drawn through this screen's Viewport; to the
    player it is the scene itself (scenes/base.py SceneView)."""

    def __init__(self, view, region: Region):
        self.view, self.region = view, region
        self._viewport: Viewport | None = None

    name = property(lambda self: self.view.name)
    plan = property(lambda self: self.view.plan)
    stale_tiles = property(lambda self: self.view.stale_tiles)
    still_s = property(lambda self: self.view.still_s)

    def accept(self, frames) -> None:
        self.view.accept(frames)

    def ready(self, t: float) -> bool:
        return self.view.ready(t)

    def invalidate(self) -> None:
        self.view.invalidate()

    def lay_out(self, canvas: Screen) -> None:
        self.view.lay_out(self._on(canvas))

    def draw(self, canvas: Screen, t: float) -> bool:
        return self.view.draw(self._on(canvas), t)

    def _on(self, canvas: Screen) -> Viewport:
        """This screen's part of the wall on `canvas`."""
        if self._viewport is None or self._viewport.screen is not canvas:
            self._viewport = Viewport(canvas, self.region)
        return self._viewport

    def current_image(self):
        return self.view.current_image()

    def glance(self):
        return self.view.glance()

    def seam(self, t: float) -> int:
        return self.view.seam(t)

    def image_box(self, canvas: Screen) -> None:
        """None: each screen of a wall enlarges the part of an image it shows, cropped while small."""
        return None
