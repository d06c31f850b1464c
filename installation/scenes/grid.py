"""The grid scene: N x M tiles, each on its own phase of the walk, generated at tile_fps and
cross-blended between its samples so every displayed frame moves.

Tile i takes sample j at walk time s(i, j) = (j + offset_i) / tile_fps; the offsets spread the tiles'
samples evenly over time, so the worker's load is smooth instead of one burst per tick.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Literal

import numpy as np
from pydantic import Field

from installation.geometry import Region
from installation.scenes.base import Canvas, Frame, Request, SceneEntry, SceneKind, Sustained, ViewSpec
from installation.scenes.layout import grid_boxes
from installation.scenes.walk import WalkParams, keyframe_position, latent_at

class GridScene(SceneEntry):
    scene: Literal["grid"]
    cols: int = Field(8, ge=1, le=24, description="tiles across")
    rows: int = Field(8, ge=1, le=24, description="tiles down")
    tile_fps: float = Field(4.0, gt=0, le=60, description="new images per tile per second (blended between)")

    def label(self) -> str:
        return f"grid {self.cols}x{self.rows}"


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
    soon as the blend from j towards it starts, at s(i, j). `tiles`: the tile indices this screen
    shows (all of them, or on a wall the ones its part of the canvas holds)."""

    def __init__(self, walk: WalkParams, tiles: Sequence[int], tile_fps: float, steer=None, live: bool = True):
        self.walk, self.tiles, self.tile_fps, self.steer = walk, len(tiles), tile_fps, steer
        self.live = live  # False for offline rendering: no need to start ahead of the clock
        self.rate_hz = len(tiles) * tile_fps
        self.order = sorted(tiles, key=tile_offset)
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
# Screen pixels of tiles one frame blends at most: about a 1080p grid's. A blended tile is an opaque
# blit and an alpha blit of its two samples (SDL's, ~1 ns a pixel and more on the 2-core dev machine):
# a 16x9 grid at 2160p is 8.3 Mpx, 9-12 ms a frame if every tile were blended every frame
# (docs/player.md, "4K").
BLEND_PX_PER_FRAME = 2_100_000


def blend_turns(tiles: int, tile_side: int) -> int:
    """Frames over which the tiles take turns to be blended anew: 1 (every tile every frame) while the
    grid covers at most BLEND_PX_PER_FRAME pixels; else tile i is blended on frames where frame % n == i
    % n (a 16x9 grid at 2160p: every 4th frame, its blend moving at 15 Hz; 12x12: every 3rd), and
    between its turns keeps the blend it showed."""
    return max(1, math.ceil(tiles * tile_side * tile_side / BLEND_PX_PER_FRAME))


class GridSelector:
    """Per tile, the generated samples by index; picks the pair to blend at time t. Bounded: a tile
    keeps the shown and blended-in samples and KEEP_AHEAD_S of later ones, oldest dropped first, even
    while the scene waits to be shown."""

    def __init__(self, tiles: Sequence[int], tile_fps: float):
        self.tiles, self.tile_fps = tuple(tiles), tile_fps
        self.max_samples = 2 + math.ceil(tile_fps * KEEP_AHEAD_S)
        self.samples: dict[int, dict[int, object]] = {i: {} for i in self.tiles}

    def accept(self, key: tuple[int, int], payload: object) -> None:
        tile, j = key
        samples = self.samples[tile]
        samples[j] = payload
        if len(samples) > self.max_samples:
            del samples[min(samples)]

    def ready(self, t: float) -> bool:
        """Every tile has its sample for t and the one it blends towards."""
        for i in self.tiles:
            j = sample_position(t, self.tile_fps, i)[0]
            if j not in self.samples[i] or j + 1 not in self.samples[i]:
                return False
        return True

    def _base(self, i: int, j: int):
        got = [k for k in self.samples[i] if k <= j]
        return max(got) if got else None

    def select(self, t: float) -> tuple[list[tuple[object | None, object | None, float]], int]:
        """Per tile, in `tiles` order, (shown, blended-in or None, alpha), and how many tiles are stale
        (not moving: their next sample is late). Samples older than the one shown are forgotten."""
        out = [self.pair(i, t, forget=True) for i in self.tiles]
        return out, sum(nxt is None for _, nxt, _ in out)

    def pair(self, i: int, t: float, forget: bool = False) -> tuple[object | None, object | None, float]:
        """Tile i's (shown, blended-in or None, alpha) at t; `forget`: drop its samples older than the
        one shown (a look ahead at a frame to come keeps them)."""
        j, a = sample_position(t, self.tile_fps, i)
        s = self.samples[i]
        base = self._base(i, j)
        if forget and base is not None:
            for k in [k for k in s if k < base]:
                del s[k]
        nxt = s.get(j + 1) if base == j else None
        return s.get(base) if base is not None else None, nxt, a if nxt is not None else 0.0


class GridView:
    """Each tile's samples are scaled (and turned) once when they arrive, a few hundred per second, not
    on every displayed frame; a frame is then one batch of opaque blits and one of blended ones, of the
    tiles whose turn it is (`blend_turns`), or of all of them after `invalidate` (a repaint: each tile at
    its sample, blended where it is its turn, the others within `turns` - 1 frames on theirs: blending
    all 144 tiles of a 2160p grid in one frame is 144 alpha blits of 240 px, some 18 ms at the 4.5-5 ms
    measured for 36, a dropped frame at each repaint); each frame names the
    next one's blended tiles, which the CPU screen composes ahead off the render loop (display/blender.py)."""
    name = "grid"
    still_s = 0.0

    def __init__(self, plan: GridPlan, cols: int, rows: int, image_px: int, scale: str,
                 tiles: Sequence[int] | None = None):
        self.plan, self.cols, self.rows, self.image_px, self.scale = plan, cols, rows, image_px, scale
        self.tiles = tuple(range(cols * rows) if tiles is None else tiles)   # the ones this screen shows
        self.selector = GridSelector(self.tiles, plan.tile_fps)
        self.stale_tiles = 0
        self._layout = None   # the canvas key the layout was made for
        self._repaint = True  # draw every tile and the background around them on the next draw
        self._canvas: Canvas | None = None
        self._boxes: list = []
        self._last: list = []
        self._turns, self._frame = 1, 0
        self._t: float | None = None   # the walk time last drawn

    def _tile(self, tile: int, image: np.ndarray, enlarged: np.ndarray | None) -> tuple:
        """(image, placed on its tile, enlarged ahead or None), or (image, None, enlarged) before the
        first layout."""
        if self._canvas is None:
            return image, None, enlarged
        return image, self._canvas.place_tile(image, self._boxes[tile], self.scale, enlarged), enlarged

    def accept(self, frames: list[Frame]) -> None:
        for f in frames:
            self.selector.accept(f.key, self._tile(f.key[0], f.image, f.enlarged))

    def ready(self, t: float) -> bool:
        return self.selector.ready(t)

    def invalidate(self) -> None:
        """Repaint everything (margins included) on the next draw."""
        self._repaint = True

    def image_box(self, canvas: Canvas) -> tuple[int, int]:
        return grid_boxes(*canvas.size, self.cols, self.rows)[0][2:]

    def lay_out(self, canvas: Canvas) -> None:
        """Its tiles' samples placed for `canvas` as they arrive from now on: placing the 400-odd samples a
        2160p 16x9 grid holds at its first draw took 45-55 ms, three dropped frames at each hand-over."""
        if canvas.key != self._layout:
            self._relayout(canvas)

    def _relayout(self, canvas: Canvas) -> None:
        self._layout, self._canvas, self._repaint = canvas.key, canvas, True
        self._boxes = grid_boxes(*canvas.size, self.cols, self.rows)
        self._turns = blend_turns(len(self.tiles), self._boxes[0][2])
        for tile, samples in self.selector.samples.items():
            for j, (image, _, enlarged) in list(samples.items()):
                samples[j] = self._tile(tile, image, enlarged)

    def draw(self, canvas: Canvas, t: float) -> bool:
        self.lay_out(canvas)
        pairs, self.stale_tiles = self.selector.select(t)
        turns, turn = self._turns, self._frame % self._turns
        if self._repaint:   # every tile, blended only where it is its turn: the others' on theirs
            canvas.fill(canvas.background)
        tiles = []
        for n in range(0 if self._repaint else turn, len(pairs), 1 if self._repaint else turns):
            base, nxt, alpha = pairs[n]
            if base is None:
                canvas.fill(canvas.background, self._boxes[self.tiles[n]])
                continue
            tiles.append((base[1], None if nxt is None or n % turns != turn else nxt[1], alpha))
        canvas.draw_blends(tiles, self._upcoming(t))
        self._last, self._repaint, self._frame, self._t = pairs, False, self._frame + 1, t
        return any(nxt is not None and alpha > 0 for _, nxt, alpha in pairs)

    def _upcoming(self, t: float) -> list:
        """The blended tiles the next frame will likely draw (its turn, at t plus the last frame's step),
        for the canvas to make ahead; none before a step is known, and none for a grid that blends every
        tile every frame (small tiles: making them ahead cost a 2-core PC more than it saved, +1.5 ms a
        1080p 16x9 frame; docs/player.md, "4K")."""
        step = t - self._t if self._t is not None else 0.0
        if self._turns == 1 or not 0 < step < 1.0:
            return []
        turn = (self._frame + 1) % self._turns
        pairs = [self.selector.pair(i, t + step) for i in self.tiles[turn::self._turns]]
        return [(base[1], nxt[1], alpha) for base, nxt, alpha in pairs
                if base is not None and nxt is not None and alpha > 0]

    def current_image(self, most_tiles: int | None = None) -> np.ndarray | None:
        """The small tiles on screen (the block of them this screen shows) as one mosaic [rows*px,
        cols*px, 3]; with most_tiles, every k-th row and column only, at most most_tiles x most_tiles
        (a cheap look for health: a 12x12 wall is 1.7 MB)."""
        if not self._last or any(base is None for base, _, _ in self._last):
            return None
        shown = dict(zip(self.tiles, self._last))
        all_rows = sorted({i // self.cols for i in self.tiles})
        all_cols = sorted({i % self.cols for i in self.tiles})
        k = 1 if most_tiles is None else max(1, -(-max(len(all_rows), len(all_cols)) // most_tiles))
        rows, cols = all_rows[::k], all_cols[::k]
        px = self.image_px
        tiles = np.stack([shown[r * self.cols + c][0][0] for r in rows for c in cols])
        return tiles.reshape(len(rows), len(cols), px, px, 3).transpose(0, 2, 1, 3, 4).reshape(
            len(rows) * px, len(cols) * px, 3)

    def glance(self) -> np.ndarray | None:
        """What health looks at: a few tiles spread over the wall."""
        return self.current_image(most_tiles=3)

    def seam(self, t: float) -> int:
        """The walk's keyframe (every tile walks on it, each from its own phase)."""
        return keyframe_position(self.plan.walk, t)[0]


def shown_tiles(cols: int, rows: int, region: Region | None) -> list[int]:
    """The tiles a screen shows: all of them, or on a wall those of the grid laid out on the whole
    canvas that reach into this screen's visible area (only these are generated here)."""
    if region is None:
        return list(range(cols * rows))
    vx, vy, vw, vh = region.visible
    return [i for i, (x, y, w, h) in enumerate(grid_boxes(*region.canvas, cols, rows))
            if x < vx + vw and vx < x + w and y < vy + vh and vy < y + h]


def view(entry: GridScene, model, spec: ViewSpec) -> GridView:
    tiles = shown_tiles(entry.cols, entry.rows, spec.region)
    plan = GridPlan(spec.walk, tiles, entry.tile_fps, steer=spec.steer, live=spec.live)
    return GridView(plan, entry.cols, entry.rows, model.info.image_size, spec.scale, tiles)


def sustainable(entry: GridScene, fps: float, images_per_s: float) -> Sustained:
    """A grid asking more images than the machine makes gets a lower tile rate (its tiles blend more
    slowly; the frame rate stays)."""
    tiles = entry.cols * entry.rows
    if images_per_s <= 0 or tiles * entry.tile_fps <= images_per_s:
        return Sustained(entry)
    tile_fps = images_per_s / tiles
    return Sustained(entry.model_copy(update={"tile_fps": tile_fps}), 1,
                     f"a {entry.cols}x{entry.rows} grid at {entry.tile_fps:g} Hz/tile asks "
                     f"{tiles * entry.tile_fps:.0f} images/s", f"showing {tile_fps:.2f} Hz/tile")


def looped(entry: GridScene, seconds: float) -> GridScene:
    """A whole number of samples per loop, or the blend would not meet itself."""
    return entry.model_copy(update={"tile_fps": max(1, round(entry.tile_fps * seconds)) / seconds})


KIND = SceneKind("grid", GridScene, view, sustainable, looped, colour="#f0a030")
