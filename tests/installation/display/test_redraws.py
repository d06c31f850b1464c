"""What the screen scales into a surface it already has, and what a view draws again or keeps (the
2160p work per frame, docs/player.md "4K"): each must show exactly what drawing afresh shows."""

import time

import numpy as np
import pygame
import pytest

from installation.display import blender
from installation.display.screen import Screen, scale_to, to_surface
from installation.geometry import Rect
from installation.scenes.base import Frame
from installation.scenes import grid
from installation.scenes.grid import GridPlan, GridView, blend_turns, sample_position
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams

RNG = np.random.default_rng(24)
IMAGES = [RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(6)]
BACKGROUND = (30, 60, 90)


def _pixels(surface: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2)


@pytest.mark.parametrize("mode", ["smooth", "sharp", "pixel"])
def test_an_image_inside_the_picture_is_scaled_straight_into_the_display_and_put_back_when_covered(mode):
    screen = Screen(pygame.Surface((1920, 1080)))
    rect = Rect(420, 0, 1080, 1080)
    afresh = _pixels(scale_to(to_surface(IMAGES[1]), (1080, 1080), mode))
    first = screen.place(IMAGES[0], rect, mode)              # a view's first image: its own surface
    screen.draw(first)
    placed = screen.place(IMAGES[1], rect, mode, replacing=first)   # image after image: in place
    assert first.in_place is None and placed.in_place is not None   # no image of its own: the display's pixels
    screen.draw(placed)
    shown = screen.pixels()[0:1080, 420:1500]
    assert np.array_equal(shown, afresh)
    screen.fill((255, 0, 0), Rect(0, 0, 1920, 1080))          # a crossfade, a repaint: covered
    screen.draw(placed)
    assert np.array_equal(screen.pixels()[0:1080, 420:1500], shown)
    assert (screen.pixels()[:, :420] == (255, 0, 0)).all()   # around it, what was drawn stays


@pytest.mark.parametrize("mode", ["smooth", "sharp", "pixel"])
def test_an_image_reaching_off_the_picture_is_scaled_into_the_surface_it_replaces(mode):
    # panel care's shift pushes a full-height morph a pixel off the picture: scaled apart, then blitted
    # (clipped), into the surface of the image it replaces
    screen = Screen(pygame.Surface((1920, 1080)))
    screen.care((0, 1), 1.0)
    rect = Rect(420, 0, 1080, 1080)
    first = screen.place(IMAGES[0], rect, mode)
    second = screen.place(IMAGES[1], rect, mode, replacing=first)
    assert first.in_place is None and second.surface is first.surface   # no new 1080 px surface
    assert np.array_equal(_pixels(second.surface), _pixels(screen.place(IMAGES[1], rect, mode).surface))


def test_a_surface_of_another_size_is_not_reused():
    screen = Screen(pygame.Surface((1920, 1080)))
    small = screen.place(IMAGES[0], Rect(0, 0, 300, 300))
    big = screen.place(IMAGES[1], Rect(0, 0, 600, 600), replacing=small)
    assert big.surface is not small.surface and big.surface.get_size() == (600, 600)


def _morph(scale: str, frames_per_image: int = 2) -> MorphView:
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4), 60, frames_per_image=frames_per_image), 64, scale)
    view.accept([Frame(n, n / 60, IMAGES[n // 2 % len(IMAGES)]) for n in range(0, 12, 2)])
    return view


@pytest.mark.parametrize("mode", ["smooth", "sharp", "pixel"])
def test_a_morph_drawn_frame_after_frame_shows_each_frame_as_drawn_afresh(mode):
    # A degraded morph (every 2nd frame generated, blended between): every frame a new picture, each
    # scaled into the surface of the one before.
    kept = Screen(pygame.Surface((1280, 720)), background=BACKGROUND)
    view = _morph(mode)
    for n in range(6):
        view.draw(kept, n / 60)
        fresh = Screen(pygame.Surface((1280, 720)), background=BACKGROUND)
        _morph(mode).draw(fresh, n / 60)
        assert np.array_equal(kept.pixels(), fresh.pixels()), f"frame {n}"


def test_blend_turns_share_a_big_grid_over_frames_and_leave_1080p_grids_alone():
    assert blend_turns(144, 90) == 1       # 12x12 at 1080p
    assert blend_turns(64, 135) == 1       # 8x8 at 1080p
    assert blend_turns(144, 120) == 1      # 16x9 at 1080p
    assert blend_turns(144, 240) == 4      # 16x9 at 2160p
    assert blend_turns(144, 180) == 3      # 12x12 at 2160p
    assert blend_turns(24 * 24, 90) == 3   # 24x24 at 2160p


SIZE_4K, COLS, ROWS = (3840, 2160), 16, 9


def _grid() -> GridView:
    view = GridView(GridPlan(WalkParams(seed=1, z_dim=4), range(COLS * ROWS), 1.5), COLS, ROWS, 64, "smooth")
    view.accept([Frame((tile, j), 0.0, IMAGES[(tile + j) % len(IMAGES)])
                 for tile in range(COLS * ROWS) for j in (-1, 0, 1)])
    return view


def _full_grid(t: float, monkeypatch) -> np.ndarray:
    """Every tile blended at t: the grid of one turn (a 1080p one's way)."""
    with monkeypatch.context() as m:
        m.setattr(grid, "BLEND_PX_PER_FRAME", 10 ** 9)
        screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
        _grid().draw(screen, t)
    return screen.pixels()


def _unblended_grid(t: float) -> np.ndarray:
    """Every tile at its sample of t, nothing blended in (its next sample not there)."""
    view = GridView(GridPlan(WalkParams(seed=1, z_dim=4), range(COLS * ROWS), 1.5), COLS, ROWS, 64, "smooth")
    view.accept([Frame((tile, j), 0.0, IMAGES[(tile + j) % len(IMAGES)]) for tile in range(COLS * ROWS)
                 for j in [sample_position(t, 1.5, tile)[0]]])
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    view.draw(screen, t)
    return screen.pixels()


def _tile(pixels: np.ndarray, i: int) -> np.ndarray:
    side = SIZE_4K[0] // COLS
    y, x = (i // COLS) * side, (i % COLS) * side
    return pixels[y:y + side, x:x + side]


def test_a_2160p_grid_blends_a_quarter_of_its_tiles_a_frame_and_each_keeps_its_last_blend_between(monkeypatch):
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    view = _grid()
    times = [0.10 + n / 60 for n in range(6)]
    full = [_full_grid(t, monkeypatch) for t in times]
    first = _unblended_grid(times[0])
    assert not np.array_equal(full[0], full[1])        # every tile moves from frame to frame
    for n in range(6):
        assert view.draw(screen, times[n])             # a fresh frame: the grid moves
        shown = screen.pixels()
        for i in range(COLS * ROWS):
            # its turn (every 4th frame), else its blend of its last turn; before its first turn, the first
            # frame (a repaint) showed it at its sample, unblended
            turns = [m for m in range(n + 1) if m % 4 == i % 4]
            expected = full[turns[-1]] if turns else first
            assert np.array_equal(_tile(shown, i), _tile(expected, i)), (n, i)


def test_a_grid_composed_ahead_shows_what_it_draws_on_the_render_thread(monkeypatch):
    # The blends a frame names for the next are composed on a side thread (display/blender.py); waiting
    # for that thread before each frame, every frame takes them and shows the same pixels as drawing them.
    made = []
    real_take = blender.Blender.take

    def take(self, blends):
        deadline = time.monotonic() + 5
        while self._pending and time.monotonic() < deadline:
            time.sleep(0.001)
        time.sleep(0.02)
        got = real_take(self, blends)
        made.append(sum(t is not None for t in got))
        return got
    times = [0.10 + n / 60 for n in range(6)]
    drawn = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    plain = _grid()
    plain_frames = []
    with monkeypatch.context() as m:
        m.setattr(blender.Blender, "submit", lambda self, blends: None)   # nothing made ahead: all drawn here
        for t in times:
            plain.draw(drawn, t)
            plain_frames.append(drawn.pixels())
    monkeypatch.setattr(blender.Blender, "take", take)
    ahead = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    view = _grid()
    for n, t in enumerate(times):
        view.draw(ahead, t)
        assert np.array_equal(ahead.pixels(), plain_frames[n]), n
    assert made[1:] and all(made[2:]), made     # from the third frame on, every blend was made ahead


def test_an_invalidated_grid_draws_every_tile_and_its_margins_again(monkeypatch):
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    view = _grid()
    view.draw(screen, 0.10)
    screen.fill((255, 0, 0), Rect(0, 0, *SIZE_4K))
    view.invalidate()
    t = 0.10 + 1 / 60
    view.draw(screen, t)     # the second frame: a repaint, blended where it is tile i % 4 == 1's turn
    shown, full, unblended = screen.pixels(), _full_grid(t, monkeypatch), _unblended_grid(t)
    for i in range(COLS * ROWS):
        assert np.array_equal(_tile(shown, i), _tile(full if i % 4 == 1 else unblended, i)), i


def test_a_grid_laid_out_before_its_first_draw_places_its_samples_as_they_arrive(monkeypatch):
    # The hand-over's first draw then places nothing: placing 432 samples there took 45-55 ms at 2160p.
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    placed = []
    real = Screen.place_tile
    monkeypatch.setattr(Screen, "place_tile", lambda self, *a, **k: placed.append(1) or real(self, *a, **k))
    view = GridView(GridPlan(WalkParams(seed=1, z_dim=4), range(COLS * ROWS), 1.5), COLS, ROWS, 64, "smooth")
    view.lay_out(screen)
    assert placed == []                                    # nothing to place yet, nothing drawn
    frames = [Frame((tile, j), 0.0, IMAGES[(tile + j) % len(IMAGES)]) for tile in range(COLS * ROWS) for j in (-1, 0, 1)]
    view.accept(frames)
    assert len(placed) == len(frames)
    view.draw(screen, 0.10)
    assert len(placed) == len(frames)
    assert np.array_equal(screen.pixels(), _unblended_and_turn_0(monkeypatch))


def _unblended_and_turn_0(monkeypatch) -> np.ndarray:
    """A fresh 2160p grid's first frame at 0.10: every tile at its sample, the first turn's blended."""
    full, unblended = _full_grid(0.10, monkeypatch), _unblended_grid(0.10)
    out = unblended.copy()
    for i in range(0, COLS * ROWS, 4):
        _tile(out, i)[:] = _tile(full, i)
    return out
