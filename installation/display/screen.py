"""The screen the player draws on: the display surface, the calibration, and every way to draw on it.

Scenes lay their picture out on a frame of `size` pixels and draw each small generated image into a
rect of it. The Screen maps every rect and turns every small image through the calibration's geometry
(rotation, mirror, scale, offset: calibration/frame_map.py), so a calibrated wall costs no full-frame
pass; without a calibration the mapping is the identity. The show's background goes through the
calibration's colour table, as the generated images do in the worker. Nothing else touches the surface:
scenes (scenes/base.py's Canvas is what they may ask of it) and the player's loop draw through the
methods here; `pixels()` and `save_png()` read it back.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np
import pygame

from installation.calibration import frame_map
from installation.calibration.apply import Calibration
from installation.geometry import Rect
from installation.atomic import atomic_path
from installation.display import sharp

IDENTITY = Calibration()
GLANCE_PX = 320     # health's look at the presented frame: about this many pixels on its longer side


def to_surface(image: np.ndarray) -> pygame.Surface:
    """[H, W, 3] uint8 -> a Surface (copied, so the array may go), in the display's pixel format
    when a display is open (blits between equal formats are the fast path)."""
    surf = pygame.image.frombuffer(np.ascontiguousarray(image).tobytes(), image.shape[1::-1], "RGB")
    return surf.convert() if pygame.display.get_init() and pygame.display.get_surface() else surf


def scale_to(surf: pygame.Surface, size: tuple[int, int], scale: str,
             into: pygame.Surface | None = None) -> pygame.Surface:
    """`surf` enlarged (or shrunk) to `size` the show's way, display.scale: 'smooth' bilinear, 'pixel'
    nearest-neighbour, 'sharp' enlarged with its edges kept (display/sharp.py), then bilinear.
    `into`: a surface to scale into instead of a new one, used where it has that size and `surf`'s
    pixel format (a new 2160 px surface costs as much as the scaling: its pages are fresh memory)."""
    w, h = surf.get_size()
    if (w, h) == size:
        return surf
    k = sharp.factor((w, h), size) if scale == "sharp" else 0
    if k:
        small = np.frombuffer(pygame.image.tobytes(surf, "RGB"), np.uint8).reshape(h, w, 3)
        big = sharp.enlarge(small, k)
        # In the small surface's pixel format, so the scaled one blits on the fast path.
        surf = pygame.image.frombuffer(big.tobytes(), big.shape[1::-1], "RGB").convert(surf)
    scaler = pygame.transform.scale if scale == "pixel" else pygame.transform.smoothscale
    return scaler(surf, size, into) if fits(into, surf, size) else scaler(surf, size)


def fits(into: pygame.Surface | None, surf: pygame.Surface, size: tuple[int, int]) -> bool:
    """`into` can take `surf` scaled to `size` (what pygame's scalers ask of a destination)."""
    return into is not None and into.get_size() == size and into.get_bitsize() == surf.get_bitsize() \
        and into.get_masks() == surf.get_masks()


class Placed(NamedTuple):
    """A small image made ready for its place on the display: scaled, turned, and where it goes."""
    surface: pygame.Surface
    at: tuple[int, int]


class Snapshot(NamedTuple):
    """The whole display as it was at one moment (what a crossfade fades out of)."""
    surface: pygame.Surface


class Screen:
    """The display surface seen through the calibration. Scenes lay out on a frame of `size` pixels and
    draw through `place`/`place_tile`/`place_text` + `draw`/`draw_all`, `fill` and `clear`; the loop adds
    `black`, `darken`, `snapshot`/`fade_in_snapshot`. `key` changes whenever a scene's layout would:
    the surface's size or the calibration's geometry."""

    def __init__(self, surface: pygame.Surface, calibration: Calibration | None = None,
                 background: tuple[int, int, int] = (0, 0, 0)):
        self._surface = surface
        self.calibration = calibration
        self.show_background = background
        self._fonts: dict[int, object] = {}
        self._layout()

    def _layout(self) -> None:
        calibration = self.calibration or IDENTITY
        self.geometry = calibration.profile.geometry
        size = self._surface.get_size()
        self.picture = Rect(*frame_map.picture_rect(size, self.geometry))
        self.size = frame_map.frame_size(size, self.geometry)
        self.key = (size, self.geometry)
        self._orient = calibration.orient
        self.background = calibration.colour(self.show_background)

    def configure(self, *, surface: pygame.Surface | None = None, calibration: Calibration | None = None,
                  background: tuple[int, int, int] | None = None) -> None:
        """A new display surface (the F key), calibration (None: none) or show background."""
        self._surface = surface if surface is not None else self._surface
        self.calibration = calibration
        self.show_background = background if background is not None else self.show_background
        self._layout()

    @property
    def colour(self):
        """The calibration's colour table as a function on small images, or None (nothing to do)."""
        c = self.calibration
        return None if c is None or c.identity_colour else c.apply_colour

    @property
    def display_size(self) -> tuple[int, int]:
        return self._surface.get_size()

    def rect(self, rect: Rect) -> Rect:
        """A rect of the frame -> its rect on the display (same area, turned and shifted)."""
        return Rect(*frame_map.screen_rect(rect, self.size, self.picture[:2], self.geometry))

    # ---- scenes -------------------------------------------------------------------------------
    def place(self, image: np.ndarray | pygame.Surface, rect: Rect, scale: str = "smooth",
              replacing: Placed | None = None) -> Placed:
        """A small image ready to draw into `rect` of the frame: turned while small (microseconds),
        then one upscale (`scale_to`) straight to its size on the display. `replacing`: the caller's
        previous Placed, drawn already and no longer needed: scaled into its surface where the size
        and format allow (a morph's new image every frame then allocates nothing)."""
        x, y, w, h = self.rect(rect)
        small = image if isinstance(image, pygame.Surface) else to_surface(image)
        into = replacing.surface if replacing is not None and replacing.surface is not image else None
        return Placed(scale_to(self._orient(small), (w, h), scale, into), (x, y))

    def place_tile(self, image: np.ndarray, rect: Rect, scale: str = "smooth") -> Placed:
        """Like `place`, but scaled first and turned after: a calibrated grid is then exactly the plain
        one turned, whatever the scaling (a tile is small, so turning it scaled costs little)."""
        x, y, _, _ = self.rect(rect)
        return Placed(self._orient(scale_to(to_surface(image), (rect[2], rect[3]), scale)), (x, y))

    def place_text(self, text: str, size_px: int, colour: tuple[int, int, int],
                   bottom_right: tuple[int, int]) -> tuple[Placed, Rect] | None:
        """A line of text (pygame.freetype's built-in font) whose bottom-right corner sits at
        `bottom_right` of the frame, turned with the picture; with its rect in the frame. None where
        freetype is missing (text is an extra)."""
        font = self._font(size_px)
        if font is None:
            return None
        surface, _ = font.render(text, colour)
        rect = Rect(*surface.get_rect(bottomright=bottom_right))
        return Placed(self._orient(surface), self.rect(rect)[:2]), rect

    def _font(self, size_px: int):
        if size_px not in self._fonts:
            try:
                import pygame.freetype
                if not pygame.freetype.get_init():
                    pygame.freetype.init()
                self._fonts[size_px] = pygame.freetype.Font(None, size_px)
            except (ImportError, pygame.error, OSError):
                self._fonts[size_px] = None
        return self._fonts[size_px]

    def draw(self, placed: Placed) -> None:
        self._surface.blit(placed.surface, placed.at)

    def draw_all(self, placed: list[tuple[Placed, float | None]]) -> None:
        """Many placed images in one call, each at an opacity 0..1 (None: opaque)."""
        blits = []
        for p, alpha in placed:
            p.surface.set_alpha(None if alpha is None else round(alpha * 255))
            blits.append((p.surface, p.at))
        self._surface.blits(blits, doreturn=False)

    def fill(self, colour, rect: Rect | None = None) -> None:
        """Fill a rect of the frame; None: the whole picture, and black around it (no light from a
        projector outside the picture)."""
        if rect is not None:
            self._surface.fill(colour, self.rect(rect))
            return
        for margin in frame_map.margins(self.picture, self._surface.get_size()):
            self._surface.fill((0, 0, 0), margin)
        self._surface.fill(colour, self.picture)

    def clear(self) -> None:
        """The background over the whole picture."""
        self.fill(self.background)

    # ---- the loop -----------------------------------------------------------------------------
    def black(self) -> None:
        """The whole display black (closed)."""
        self._surface.fill((0, 0, 0))

    def darken(self, level: float) -> None:
        """Every pixel multiplied by `level` 0..1 (a dim walk, a blackout fading)."""
        if level < 1:
            grey = round(255 * max(0.0, level))
            self._surface.fill((grey, grey, grey), special_flags=pygame.BLEND_RGB_MULT)

    def snapshot(self) -> Snapshot:
        return Snapshot(self._surface.copy())

    def fade_in_snapshot(self, snapshot: Snapshot, opacity: float) -> None:
        """An earlier snapshot over the picture at `opacity` 0..1 (a crossfade out of it)."""
        snapshot.surface.set_alpha(round(255 * min(1.0, max(0.0, opacity))))
        self._surface.blit(snapshot.surface, (0, 0))

    def draw_overlay(self, surface: pygame.Surface, at: tuple[int, int]) -> None:
        """A surface as it is, at a display position, over the picture and not turned with it (the
        calibration's own legend)."""
        self._surface.blit(surface, at)

    # ---- reading it back ----------------------------------------------------------------------
    @property
    def on_panel(self) -> float:
        """The share of the picture that lies on the display (the calibration's offset or scale may
        push part of it off): 1.0 without a calibration."""
        x, y, w, h = self.picture
        sw, sh = self._surface.get_size()
        inside = max(0, min(sw, x + w) - max(0, x)) * max(0, min(sh, y + h) - max(0, y))
        return inside / max(1, w * h)

    def glance(self, longest_px: int = GLANCE_PX) -> np.ndarray:
        """The display as presented, sampled every k-th pixel down to about longest_px on its longer
        side, [h, w, 3] uint8 (a copy: microseconds, no scaling pass). What health judges, and the status
        page's thumbnail."""
        w, h = self._surface.get_size()
        k = max(1, -(-max(w, h) // longest_px))
        view = pygame.surfarray.pixels3d(self._surface)   # locks the surface until the view is gone
        try:
            return np.ascontiguousarray(view[k // 2::k, k // 2::k].transpose(1, 0, 2))
        finally:
            del view

    def pixels(self) -> np.ndarray:
        """The display as it is now, [H, W, 3] uint8 (a copy)."""
        return np.ascontiguousarray(pygame.surfarray.array3d(self._surface).transpose(1, 0, 2))

    def save_png(self, path: Path) -> Path:
        """The display as PNG (--screenshot). Raises OSError or pygame.error."""
        return write_png(self._surface, path)


def write_png(surface: pygame.Surface, path: Path) -> Path:
    """A surface as PNG, written atomically (pygame picks the format from the suffix). Raises OSError
    or pygame.error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, suffix=path.suffix) as tmp:
        pygame.image.save(surface, str(tmp))
    return path
