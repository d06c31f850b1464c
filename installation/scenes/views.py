"""Thin pygame shells for the morph and grid scenes: convert the images the pure selectors pick and draw
them through the player's Screen (each small image turned before its one upscale)."""

from __future__ import annotations

import numpy as np
import pygame

from installation.display.screen import Screen, scale_to, to_surface
from installation.player.worker import Frame
from installation.scenes.grid import GridPlan, GridSelector
from installation.scenes.layout import grid_boxes, morph_box
from installation.scenes.morph import MorphPlan, MorphSelector, blend


class MorphView:
    name = "morph"
    stale_tiles = 0

    def __init__(self, plan: MorphPlan, image_px: int, scale: str, background: tuple[int, int, int]):
        self.plan, self.image_px, self.scale, self.background = plan, image_px, scale, background
        self.selector = MorphSelector(plan.fps, plan.frames_per_image)
        self._layout = None   # the screen's key the layout was made for; None: repaint everything
        self._shown: tuple | None = None   # (image, blended in, weight, scaled, at)
        self._image: np.ndarray | None = None

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, f.image)

    def ready(self, t: float) -> bool:
        return self.selector.has(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._layout = None

    def draw(self, screen: Screen, t: float) -> bool:
        image, towards, weight, fresh = self.selector.select(t)
        if screen.key != self._layout:
            self._layout, self._shown = screen.key, None
            self._box = screen.rect(morph_box(*screen.size, self.image_px, self.scale))
            screen.fill(self.background)
        if image is None:
            return False
        shown = self._shown
        if shown is None or shown[0] is not image or shown[1] is not towards or shown[2] != weight:
            # Blended and turned while small (microseconds), then one upscale straight into its place;
            # kept for the frames that repeat it.
            x, y, w, h = self._box
            self._image = blend(image, towards, weight)
            scaled = scale_to(screen.orient(to_surface(self._image)), (w, h), self.scale)
            self._shown = (image, towards, weight, scaled, (x, y))
        screen.surface.blit(self._shown[3], self._shown[4])
        return fresh

    def current_image(self) -> np.ndarray | None:
        return self._image

    def glance(self) -> np.ndarray | None:
        """What health looks at: the image on screen, blended as shown (small already)."""
        return self._image


class GridView:
    name = "grid"

    def __init__(self, plan: GridPlan, cols: int, rows: int, image_px: int, scale: str,
                 background: tuple[int, int, int]):
        self.plan, self.cols, self.rows, self.image_px = plan, cols, rows, image_px
        self.scale, self.background = scale, background
        self.selector = GridSelector(cols * rows, plan.tile_fps)
        self.stale_tiles = 0
        self._layout = None   # the screen's key the layout was made for; None: repaint everything
        self._orient = None
        self._tile_px = 0
        self._last: list = []

    def _tile(self, image: np.ndarray) -> tuple[np.ndarray, pygame.Surface]:
        # Scaled once when it arrives (a few hundred per second), not on every displayed frame; turned
        # after scaling, so a calibrated wall is exactly the uncalibrated one turned (tiles are small).
        return image, self._orient(scale_to(to_surface(image), (self._tile_px, self._tile_px), self.scale))

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, self._tile(f.image) if self._tile_px else (f.image, None))

    def ready(self, t: float) -> bool:
        return self.selector.ready(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._layout = None

    def _relayout(self, screen: Screen) -> None:
        self._layout, self._orient = screen.key, screen.orient
        boxes = grid_boxes(*screen.size, self.cols, self.rows)
        self._tile_px = boxes[0].w
        # Each tile's rect through the same geometry: the whole wall turns as one picture.
        self._boxes = [screen.rect(box) for box in boxes]
        screen.fill(self.background)
        for samples in self.selector.samples:
            for j, (image, _) in list(samples.items()):
                samples[j] = self._tile(image)

    def draw(self, screen: Screen, t: float) -> bool:
        if screen.key != self._layout:
            self._relayout(screen)
        canvas = screen.surface
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

    def current_image(self, most_tiles: int | None = None) -> np.ndarray | None:
        """The small tiles on screen as one mosaic [rows*px, cols*px, 3]; with most_tiles, every k-th
        row and column only, at most most_tiles x most_tiles (a cheap look for health: a 12x12
        wall is 1.7 MB)."""
        if not self._last or any(base is None for base, _, _ in self._last):
            return None
        k = 1 if most_tiles is None else max(1, -(-max(self.rows, self.cols) // most_tiles))
        rows, cols = range(0, self.rows, k), range(0, self.cols, k)
        px = self.image_px
        tiles = np.stack([self._last[r * self.cols + c][0][0] for r in rows for c in cols])
        return tiles.reshape(len(rows), len(cols), px, px, 3).transpose(0, 2, 1, 3, 4).reshape(
            len(rows) * px, len(cols) * px, 3)

    def glance(self) -> np.ndarray | None:
        """What health looks at: a few tiles spread over the wall."""
        return self.current_image(most_tiles=3)
