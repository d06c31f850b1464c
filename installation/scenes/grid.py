"""Grid scene logic (pure): N x M tiles, each on its own phase of the walk, generated at tile_fps and
cross-blended between its samples so every displayed frame moves.

Tile i takes sample j at walk time s(i, j) = (j + offset_i) / tile_fps; the offsets spread the tiles'
samples evenly over time, so the worker's load is smooth instead of one burst per tick.
"""

from __future__ import annotations

import math

from installation.player.worker import Request
from installation.scenes.walk import WalkParams, latent_at

GOLDEN = (math.sqrt(5) - 1) / 2
# Tiles sit this many keyframes apart on the walk, so neighbours show unrelated emoji.
TILE_WALK_SPACING = 101.37


def tile_offset(i: int) -> float:
    """Fraction of a tile period by which tile i's samples are shifted (a low-discrepancy spread)."""
    return (i * GOLDEN) % 1.0


def sample_position(t: float, tile_fps: float, i: int) -> tuple[int, float]:
    """(sample j shown at t, blend 0..1 from sample j towards j+1)."""
    x = t * tile_fps - tile_offset(i)
    j = math.floor(x)
    return j, x - j


class GridPlan:
    """Requests (tile, sample) images in the order the screen needs them: sample j+1 is needed as
    soon as the blend from j towards it starts, at s(i, j)."""

    def __init__(self, walk: WalkParams, tiles: int, tile_fps: float, steer=None, live: bool = True):
        self.walk, self.tiles, self.tile_fps, self.steer = walk, tiles, tile_fps, steer
        self.live = live  # False for offline rendering: no need to start ahead of the clock
        self.rate_hz = tiles * tile_fps
        self.order = sorted(range(tiles), key=tile_offset)
        self.j: int | None = None   # sample index of the next request
        self.pos = 0                # position in self.order

    def need_t(self, j: int, pos: int) -> float:
        return (j - 1 + tile_offset(self.order[pos])) / self.tile_fps

    def _step(self) -> None:
        self.pos += 1
        if self.pos == self.tiles:
            self.pos, self.j = 0, self.j + 1

    def next_requests(self, now_t: float, max_n: int, until_t: float = math.inf) -> list[Request]:
        # A sample older than the one on screen is useless: skip to the first that is not.
        useful_from = now_t - 2.0 / self.tile_fps
        if self.j is None and self.live:
            # Start one tile period ahead: the screen can show the grid once every tile has two
            # samples, and a worker that starts behind catches up slowly (rate barely > demand).
            useful_from += 1.0 / self.tile_fps
        if self.j is None or self.need_t(self.j, self.pos) < useful_from:
            self.j, self.pos = math.floor(useful_from * self.tile_fps), 0
            while self.need_t(self.j, self.pos) < useful_from:
                self._step()
        out = []
        while len(out) < max_n:
            need = self.need_t(self.j, self.pos)
            if need > until_t:
                break
            tile = self.order[self.pos]
            sample_t = (self.j + tile_offset(tile)) / self.tile_fps
            z = latent_at(self.walk, sample_t, phase_keyframes=tile * TILE_WALK_SPACING)
            out.append(Request((tile, self.j), need, self.steer(z) if self.steer else z))
            self._step()
        return out


KEEP_AHEAD_S = 2.0   # a tile holds at most this much of its future (the worker's lead is 0.5 s)


class GridSelector:
    """Per tile, the generated samples by index; picks the pair to blend at time t. Bounded: a tile
    keeps the shown and blended-in samples and KEEP_AHEAD_S of later ones, oldest dropped first, even
    while the scene waits to be shown."""

    def __init__(self, tiles: int, tile_fps: float):
        self.tiles, self.tile_fps = tiles, tile_fps
        self.max_samples = 2 + math.ceil(tile_fps * KEEP_AHEAD_S)
        self.samples: list[dict[int, object]] = [dict() for _ in range(tiles)]

    def accept(self, key: tuple[int, int], payload: object) -> None:
        tile, j = key
        samples = self.samples[tile]
        samples[j] = payload
        if len(samples) > self.max_samples:
            del samples[min(samples)]

    def ready(self, t: float) -> bool:
        """Every tile has its sample for t and the one it blends towards."""
        for i in range(self.tiles):
            j = sample_position(t, self.tile_fps, i)[0]
            if j not in self.samples[i] or j + 1 not in self.samples[i]:
                return False
        return True

    def _base(self, i: int, j: int):
        got = [k for k in self.samples[i] if k <= j]
        return max(got) if got else None

    def select(self, t: float) -> tuple[list[tuple[object | None, object | None, float]], int]:
        """Per tile (shown, blended-in or None, alpha), and how many tiles are stale (not moving:
        their next sample is late). Samples older than the one shown are forgotten."""
        out, stale = [], 0
        for i in range(self.tiles):
            j, a = sample_position(t, self.tile_fps, i)
            s = self.samples[i]
            base = self._base(i, j)
            for k in [k for k in s if base is not None and k < base]:
                del s[k]
            nxt = s.get(j + 1) if base == j else None
            if nxt is None:
                stale += 1
            out.append((s.get(base) if base is not None else None, nxt, a if nxt is not None else 0.0))
        return out, stale
