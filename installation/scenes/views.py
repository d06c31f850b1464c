"""Thin pygame shells for the scenes: convert the images the pure selectors pick and blit them."""

from __future__ import annotations

import numpy as np
import pygame

from installation.generator import Frame
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


class MorphView:
    name = "morph"
    stale_tiles = 0

    def __init__(self, plan: MorphPlan, image_px: int, scale: str, background: tuple[int, int, int]):
        self.plan, self.image_px, self.crisp, self.background = plan, image_px, scale == "crisp", background
        self.selector = MorphSelector(plan.fps)
        self._canvas_size: tuple[int, int] | None = None
        self._shown: tuple[int, pygame.Surface] | None = None  # (id of image, its scaled surface)
        self._image: np.ndarray | None = None

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, f.image)

    def ready(self, t: float) -> bool:
        return self.selector.has(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._canvas_size = None

    def draw(self, canvas: pygame.Surface, t: float) -> bool:
        image, fresh = self.selector.select(t)
        if canvas.get_size() != self._canvas_size:
            self._canvas_size, self._shown = canvas.get_size(), None
            canvas.fill(self.background)
        if image is None:
            return False
        box = morph_box(*canvas.get_size(), self.image_px, "crisp" if self.crisp else "smooth")
        if self._shown is None or self._shown[0] != id(image):
            self._image = image
            self._shown = (id(image), scale_to(to_surface(image), (box.w, box.h), self.crisp))
        canvas.blit(self._shown[1], (box.x, box.y))
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
        self._canvas_size: tuple[int, int] | None = None
        self._tile_px = 0
        self._last: list = []

    def _tile(self, image: np.ndarray) -> tuple[np.ndarray, pygame.Surface]:
        # Scaled once when it arrives (a few hundred per second), not on every displayed frame.
        return image, to_surface_scaled(image, self._tile_px, self.crisp)

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, self._tile(f.image) if self._tile_px else (f.image, None))

    def ready(self, t: float) -> bool:
        return self.selector.ready(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._canvas_size = None

    def _relayout(self, canvas: pygame.Surface) -> None:
        self._canvas_size = canvas.get_size()
        self._boxes = grid_boxes(*self._canvas_size, self.cols, self.rows)
        self._tile_px = self._boxes[0].w
        canvas.fill(self.background)
        for samples in self.selector.samples:
            for j, (image, _) in list(samples.items()):
                samples[j] = self._tile(image)

    def draw(self, canvas: pygame.Surface, t: float) -> bool:
        if canvas.get_size() != self._canvas_size:
            self._relayout(canvas)
        pairs, self.stale_tiles = self.selector.select(t)
        base_blits, blend_blits = [], []
        for box, (base, nxt, alpha) in zip(self._boxes, pairs):
            if base is None:
                canvas.fill(self.background, box)
                continue
            base[1].set_alpha(None)  # it may have been blended in with an alpha last frame
            base_blits.append((base[1], (box.x, box.y)))
            if nxt is not None and alpha > 0:
                nxt[1].set_alpha(round(alpha * 255))
                blend_blits.append((nxt[1], (box.x, box.y)))
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
