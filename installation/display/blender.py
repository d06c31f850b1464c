"""Blended tiles made ahead, off the render loop: a grid's crossfading tiles for the next frame.

A grid tile on its way from one sample to the next is its sample blitted, then the next one blitted over
it at the blend's opacity: at 2160p a 16x9 grid's turn (36 tiles of 240x240) is 4.5-5 ms of SDL's alpha
blits, which on the render thread set the frame-work p99 (11-12 ms). The Screen composes such a tile the
same way into a surface of its own instead, and the render thread only blits finished tiles (0.3 ms for
36). `Blender` composes the tiles the view says the next frame will show (at most AHEAD_MAX of them) on a
thread of its own, on the side CPUs below the render loop (installation/priority.py), while the render
thread waits for its next frame; what the next frame asks and finds ready is taken, anything else (a
frame the pacer skipped, a sample that arrived late, the tiles over AHEAD_MAX) is drawn on the render
thread as before: the pixels are the same either way (tests/installation/display/test_redraws.py).

Nothing here changes a shared surface's opacity: each blit goes through a subsurface of its own (SDL
keeps the opacity per surface), so the two threads never need a lock around a blit. Bounded: one batch
pending (a newer one replaces it, and a batch overtaken is abandoned), the results of one batch held,
their surfaces reused; the thread ends after IDLE_S without work and starts again with the next batch.
"""

from __future__ import annotations

import threading
from typing import NamedTuple

import pygame

from installation.priority import WORKER_NICE, lower_this_thread

IDLE_S = 2.0
# Blended tiles composed ahead a frame at most: a 16x9 grid's turn at 2160p is 36. Each costs the side
# thread some 20 us of Python beside its blits; a 1080p 16x9 grid blends all 144 tiles every frame, and a
# thread composing all of them kept the GIL from the render loop often enough to drop a third of its
# frames (docs/player.md, "4K"). The rest are drawn on the render thread.
AHEAD_MAX = 48


class Blend(NamedTuple):
    """One tile: `base` (a display-format surface) with `over` blitted over it at opacity `alpha` 1..255."""
    base: pygame.Surface
    over: pygame.Surface
    alpha: int

    @property
    def key(self) -> tuple[int, int, int]:
        return id(self.base), id(self.over), self.alpha


def at_opacity(surface: pygame.Surface, alpha: int | None) -> pygame.Surface:
    """`surface`'s pixels as a surface of their own opacity (255 or None: opaque); `surface` unchanged."""
    view = surface.subsurface(surface.get_rect())
    view.set_alpha(alpha)
    return view


def compose(blend: Blend, into: pygame.Surface | None = None) -> pygame.Surface:
    """The tile as drawing base, then over at alpha, onto the display would leave it: in `into` (a
    surface of base's size and format) or a new surface."""
    tile = into if into is not None else pygame.Surface(blend.base.get_size(), 0, blend.base)
    tile.blit(at_opacity(blend.base, None), (0, 0))
    tile.blit(at_opacity(blend.over, blend.alpha), (0, 0))
    return tile


class Blender:
    """Composes batches of Blends on a side thread; `take` hands the render thread the finished ones."""

    def __init__(self):
        self._cond = threading.Condition()
        self._pending: list[Blend] = []
        self._batch = 0                          # bumped by each submit: a batch overtaken is abandoned
        self._ready: dict[tuple[int, int, int], tuple[Blend, pygame.Surface]] = {}
        self._spare: list[pygame.Surface] = []   # surfaces of results that were drawn or dropped
        self._thread: threading.Thread | None = None

    @property
    def holding(self) -> bool:
        """A batch was submitted and not yet taken: `take` may find something."""
        return bool(self._ready or self._pending)

    def take(self, blends: list[Blend | None]) -> list[pygame.Surface | None]:
        """The finished tile for each of `blends` (exactly that blend), or None where there is none (or
        no blend)."""
        with self._cond:
            found = [None if b is None else self._ready.pop(b.key, None) for b in blends]
            self._spare.extend(tile for _, tile in self._ready.values())   # made for a frame not drawn
            self._ready = {}
        return [None if f is None or f[0].base is not b.base or f[0].over is not b.over else f[1]
                for b, f in zip(blends, found)]

    def recycle(self, tiles: list[pygame.Surface]) -> None:
        """Tiles drawn already: their surfaces may be composed into again."""
        with self._cond:
            self._spare.extend(tiles)
            del self._spare[:-2 * AHEAD_MAX]

    def submit(self, blends: list[Blend]) -> None:
        """The next frame's tiles (the first AHEAD_MAX), replacing any batch not yet done."""
        with self._cond:
            self._pending = list(blends[:AHEAD_MAX])
            self._batch += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="aimoji-blender", daemon=True)
                self._thread.start()
            self._cond.notify()

    def _run(self) -> None:
        lower_this_thread(WORKER_NICE)   # below the render loop, on the side CPUs
        while True:
            with self._cond:
                if not self._cond.wait_for(lambda: self._pending, IDLE_S):
                    self._thread = None
                    return
                batch, blends, self._pending = self._batch, self._pending, []
                spare = [self._spare.pop() for _ in range(min(len(blends), len(self._spare)))]
            for blend in blends:
                like = blend.base.get_size()
                into = next((s for s in spare if s.get_size() == like), None)
                if into is not None:
                    spare.remove(into)
                tile = compose(blend, into)
                with self._cond:
                    if batch != self._batch:   # overtaken: the frame it was for has been drawn
                        self._spare.extend([tile, *spare])
                        break
                    self._ready[blend.key] = (blend, tile)
            else:
                with self._cond:
                    self._spare.extend(spare)
