"""Thin pygame shells for the scenes: convert the images the pure selectors pick and blit them, straight
onto the canvas or through a calibration's FrameBlit (each small image turned before its upscale)."""

from __future__ import annotations

import numpy as np
import pygame

from installation.player.worker import Frame
from installation.scenes.grid import GridPlan, GridSelector
from installation.scenes.layout import grid_boxes, morph_box
from installation.scenes.morph import MorphPlan, MorphSelector


def to_surface(image: np.ndarray) -> pygame.Surface:
    """[H, W, 3] uint8 -> a Surface (copied, so the array may go), in the display's pixel format
    when a display is open (blits between equal formats are the fast path)."""
    surf = pygame.image.frombuffer(np.ascontiguousarray(image).tobytes(), image.shape[1::-1], "RGB")
    return surf.convert() if pygame.display.get_init() and pygame.display.get_surface() else surf


def scale_to(surf: pygame.Surface, size: tuple[int, int], crisp: bool) -> pygame.Surface:
    if surf.get_size() == size:
        return surf
    return pygame.transform.scale(surf, size) if crisp else pygame.transform.smoothscale(surf, size)


class DirectBlit:
    """No calibration geometry: the frame is the canvas itself (the fast path; calibration_hook.FrameBlit
    is the calibrated counterpart with the same four members)."""

    def __init__(self, canvas: pygame.Surface):
        self.screen, self.size = canvas, canvas.get_size()
        self.key = self.size

    def rect(self, rect):
        return rect

    def orient(self, surface: pygame.Surface) -> pygame.Surface:
        return surface

    def fill(self, colour, rect=None) -> None:
        self.screen.fill(colour, rect)


class MorphView:
    name = "morph"
    stale_tiles = 0

    def __init__(self, plan: MorphPlan, image_px: int, scale: str, background: tuple[int, int, int]):
        self.plan, self.image_px, self.crisp, self.background = plan, image_px, scale == "crisp", background
        self.selector = MorphSelector(plan.fps)
        self._layout = None   # the blit's key the layout was made for; None: repaint everything
        self._shown: tuple[int, pygame.Surface, tuple[int, int]] | None = None  # (id of image, scaled, at)
        self._image: np.ndarray | None = None

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, f.image)

    def ready(self, t: float) -> bool:
        return self.selector.has(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._layout = None

    def draw(self, canvas: pygame.Surface, t: float, blit=None) -> bool:
        """blit: a calibration_hook.FrameBlit onto canvas, or None to draw straight onto it."""
        blit = blit or DirectBlit(canvas)
        image, fresh = self.selector.select(t)
        if blit.key != self._layout:
            self._layout, self._shown = blit.key, None
            self._box = blit.rect(morph_box(*blit.size, self.image_px, "crisp" if self.crisp else "smooth"))
            blit.fill(self.background)
        if image is None:
            return False
        if self._shown is None or self._shown[0] != id(image):
            # Turned while small (microseconds), then one upscale straight into its place.
            x, y, w, h = self._box
            self._image = image
            self._shown = (id(image), scale_to(blit.orient(to_surface(image)), (w, h), self.crisp), (x, y))
        canvas.blit(self._shown[1], self._shown[2])
        return fresh

    def current_image(self) -> np.ndarray | None:
        return self._image


class GridView:
    name = "grid"

    def __init__(self, plan: GridPlan, cols: int, rows: int, image_px: int, scale: str,
                 background: tuple[int, int, int]):
        self.plan, self.cols, self.rows, self.image_px = plan, cols, rows, image_px
        self.crisp, self.background = scale == "crisp", background
        self.selector = GridSelector(cols * rows, plan.tile_fps)
        self.stale_tiles = 0
        self._layout = None   # the blit's key the layout was made for; None: repaint everything
        self._orient = None
        self._tile_px = 0
        self._last: list = []

    def _tile(self, image: np.ndarray) -> tuple[np.ndarray, pygame.Surface]:
        # Scaled once when it arrives (a few hundred per second), not on every displayed frame; turned
        # after scaling, so a calibrated wall is exactly the uncalibrated one turned (tiles are small).
        return image, self._orient(to_surface_scaled(image, self._tile_px, self.crisp))

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, self._tile(f.image) if self._tile_px else (f.image, None))

    def ready(self, t: float) -> bool:
        return self.selector.ready(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._layout = None

    def _relayout(self, blit) -> None:
        self._layout, self._orient = blit.key, blit.orient
        boxes = grid_boxes(*blit.size, self.cols, self.rows)
        self._tile_px = boxes[0].w
        # Each tile's rect through the same geometry: the whole wall turns as one picture.
        self._boxes = [blit.rect(box) for box in boxes]
        blit.fill(self.background)
        for samples in self.selector.samples:
            for j, (image, _) in list(samples.items()):
                samples[j] = self._tile(image)

    def draw(self, canvas: pygame.Surface, t: float, blit=None) -> bool:
        """blit: a calibration_hook.FrameBlit onto canvas, or None to draw straight onto it."""
        blit = blit or DirectBlit(canvas)
        if blit.key != self._layout:
            self._relayout(blit)
        pairs, self.stale_tiles = self.selector.select(t)
        base_blits, blend_blits = [], []
        for box, (base, nxt, alpha) in zip(self._boxes, pairs):
            if base is None:
                canvas.fill(self.background, box)
                continue
            base[1].set_alpha(None)  # it may have been blended in with an alpha last frame
            base_blits.append((base[1], box[:2]))
            if nxt is not None and alpha > 0:
                nxt[1].set_alpha(round(alpha * 255))
                blend_blits.append((nxt[1], box[:2]))
        canvas.blits(base_blits, doreturn=False)
        canvas.blits(blend_blits, doreturn=False)
        self._last = pairs
        return bool(blend_blits)

    def current_image(self) -> np.ndarray | None:
        """The small tiles on screen as one mosaic [rows*px, cols*px, 3]."""
        if not self._last or any(base is None for base, _, _ in self._last):
            return None
        tiles = np.stack([base[0] for base, _, _ in self._last])
        px = self.image_px
        return tiles.reshape(self.rows, self.cols, px, px, 3).transpose(0, 2, 1, 3, 4).reshape(
            self.rows * px, self.cols * px, 3)


def to_surface_scaled(image: np.ndarray, size_px: int, crisp: bool) -> pygame.Surface:
    return scale_to(to_surface(image), (size_px, size_px), crisp)
