"""What the screen scales into a surface it already has, and what a view draws again or keeps (the
2160p work per frame, docs/player.md "4K"): each must show exactly what drawing afresh shows."""

import numpy as np
import pygame
import pytest

from installation.display.screen import Screen
from installation.geometry import Rect
from installation.scenes.base import Frame
from installation.scenes.grid import GridPlan, GridView, blend_turns
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams

RNG = np.random.default_rng(24)
IMAGES = [RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(6)]
BACKGROUND = (30, 60, 90)


def _pixels(surface: pygame.Surface) -> np.ndarray:
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2)


@pytest.mark.parametrize("mode", ["smooth", "sharp", "pixel"])
def test_an_image_scaled_into_the_surface_it_replaces_is_the_image_scaled_afresh(mode):
    screen = Screen(pygame.Surface((1920, 1080)))
    rect = Rect(420, 0, 1080, 1080)
    first = screen.place(IMAGES[0], rect, mode)
    second = screen.place(IMAGES[1], rect, mode, replacing=first)
    assert second.surface is first.surface           # no new 1080 px surface for the new image
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


def _fresh_grid(t: float) -> np.ndarray:
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    _grid().draw(screen, t)
    return screen.pixels()


def test_a_2160p_grid_blends_a_quarter_of_its_tiles_a_frame_and_each_keeps_its_last_blend_between():
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    view = _grid()
    tile = SIZE_4K[0] // COLS
    times = [0.10 + n / 60 for n in range(6)]
    fresh = [_fresh_grid(t) for t in times]
    assert not np.array_equal(fresh[0], fresh[1])      # every tile moves from frame to frame
    view.draw(screen, times[0])                        # the first frame: every tile
    assert np.array_equal(screen.pixels(), fresh[0])
    for n in range(1, 6):
        assert view.draw(screen, times[n])             # a fresh frame: the grid moves
        shown = screen.pixels()
        for i in range(COLS * ROWS):
            y, x = (i // COLS) * tile, (i % COLS) * tile
            # its turn (every 4th frame), else its blend of its last turn (or of the first frame)
            last = max([0] + [m for m in range(1, n + 1) if m % 4 == i % 4])
            assert np.array_equal(shown[y:y + tile, x:x + tile], fresh[last][y:y + tile, x:x + tile]), (n, i)


def test_an_invalidated_grid_draws_every_tile_and_its_margins_again():
    screen = Screen(pygame.Surface(SIZE_4K), background=BACKGROUND)
    view = _grid()
    view.draw(screen, 0.10)
    screen.fill((255, 0, 0), Rect(0, 0, *SIZE_4K))
    view.invalidate()
    view.draw(screen, 0.10 + 1 / 60)
    assert np.array_equal(screen.pixels(), _fresh_grid(0.10 + 1 / 60))
