"""display.scale 'sharp' enlarged by the generation worker (player/capacity.py `enlarger`, display/sharp.py
`ahead`) instead of on the render thread: the wall shows exactly the pixels it showed when the screen
enlarged each image itself, and the render thread enlarges nothing it was handed enlarged."""

import numpy as np
import pygame
import pytest

from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.display import sharp
from installation.display.screen import Screen
from installation.player.capacity import enlarger
from installation.scenes.base import Frame
from installation.scenes.grid import GridPlan, GridView
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams

RNG = np.random.default_rng(7)
IMAGES = [RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(4)]
for _image in IMAGES:
    _image[16:48, 20:44] = (240, 200, 40)    # an edge for 'sharp' to keep
WALK = WalkParams(seed=0, z_dim=8)
SIZE = (1280, 1024)        # a morph magnified 16 times: enlarged 4 times ahead, then smoothed


def _pixels(screen: Screen) -> np.ndarray:
    return pygame.surfarray.array3d(screen._surface).transpose(1, 0, 2)


def _morph(frames_per_image: int = 1) -> MorphView:
    return MorphView(MorphPlan(WALK, 60, frames_per_image=frames_per_image), 64, "sharp")


def _frames(view, keys, screen: Screen, ahead: bool) -> list[Frame]:
    """What the worker hands the view: with `ahead`, each image enlarged for the screen's frame as the
    player's cast does it."""
    enlarge = enlarger(view, "sharp", lambda: screen) if ahead else None
    return [Frame(key, 0.0, image, enlarge and enlarge(image)) for key, image in zip(keys, IMAGES)]


def _drawn(view, frames, screen: Screen, t: float, handed_enlarged: bool = False) -> np.ndarray:
    """The view fed `frames` and drawn at t; `handed_enlarged`: the render thread must enlarge nothing."""
    with pytest.MonkeyPatch.context() as patch:
        if handed_enlarged:
            patch.setattr(sharp, "enlarge", lambda *a: pytest.fail("enlarged on the render thread"))
        view.accept(frames)
        view.draw(screen, t)
    return _pixels(screen)


@pytest.mark.parametrize("geometry", [cal.Geometry(), cal.Geometry(rotation_deg=180),
                                      cal.Geometry(mirror_h=True, mirror_v=True)])
def test_a_sharp_morph_frame_enlarged_ahead_is_the_frame_enlarged_on_screen(geometry):
    old_screen, new_screen = (Screen(pygame.Surface(SIZE), Calibration(cal.Profile(geometry=geometry)))
                              for _ in range(2))
    old = _drawn(_morph(), _frames(_morph(), [0], old_screen, ahead=False), old_screen, 0.0)
    view = _morph()
    frames = _frames(view, [0], new_screen, ahead=True)
    assert frames[0].enlarged.shape == (256, 256, 3)      # factor 4, made before the view draws
    new = _drawn(view, frames, new_screen, 0.0, handed_enlarged=True)
    assert np.array_equal(new, old)


def test_a_quarter_turned_screen_enlarges_itself_and_shows_the_same_pixels():
    """PIL's two resize passes swap under a quarter turn, so an image enlarged ahead and then turned
    would differ by a few levels: that screen enlarges the turned image itself, as before."""
    old_screen, new_screen = (Screen(pygame.Surface(SIZE), Calibration(cal.Profile(geometry=cal.Geometry(
        rotation_deg=90)))) for _ in range(2))
    old = _drawn(_morph(), _frames(_morph(), [0], old_screen, ahead=False), old_screen, 0.0)
    view = _morph()
    frames = _frames(view, [0], new_screen, ahead=True)
    assert frames[0].enlarged is not None
    new = _drawn(view, frames, new_screen, 0.0)
    assert np.array_equal(new, old)


def test_a_blended_morph_frame_is_enlarged_from_the_blend_as_before():
    """Generating every 2nd frame: the frame between blends two small images and enlarges the blend
    (enlarging is not linear: a blend of two enlarged images would differ)."""
    keys = [0, 2]
    old_view, new_view = _morph(2), _morph(2)
    old_screen, new_screen = Screen(pygame.Surface(SIZE)), Screen(pygame.Surface(SIZE))
    old = _drawn(old_view, _frames(old_view, keys, old_screen, ahead=False), old_screen, 1 / 60)
    new = _drawn(new_view, _frames(new_view, keys, new_screen, ahead=True), new_screen, 1 / 60)
    assert np.array_equal(new, old)


def test_an_image_enlarged_for_the_display_before_a_resize_is_drawn_as_the_new_display_wants():
    """Frames made for 1280x1024 (enlarged 4 times) reach a display reopened at 640x480 (magnified 7.5
    times: enlarged once): the screen enlarges those again itself, so the picture is still right."""
    old_screen, new_screen = Screen(pygame.Surface((640, 480))), Screen(pygame.Surface((640, 480)))
    old = _drawn(_morph(), _frames(_morph(), [0], old_screen, ahead=False), old_screen, 0.0)
    view = _morph()
    frames = _frames(view, [0], Screen(pygame.Surface(SIZE)), ahead=True)
    assert frames[0].enlarged.shape == (256, 256, 3)
    new = _drawn(view, frames, new_screen, 0.0)
    assert np.array_equal(new, old)


def test_a_sharp_grid_with_tiles_enlarged_ahead_is_the_grid_enlarged_on_screen():
    def grid():
        return GridView(GridPlan(WALK, range(4), 1.0), 2, 2, 64, "sharp")

    size = (1280, 720)     # 360 px tiles: magnified 5.6 times, enlarged once ahead
    old_view, new_view = grid(), grid()
    keys = [(tile, 0) for tile in range(4)]
    old_screen, new_screen = Screen(pygame.Surface(size)), Screen(pygame.Surface(size))
    old_view.draw(old_screen, 0.0)     # laid out: tiles are placed as they arrive
    new_view.draw(new_screen, 0.0)
    old = _drawn(old_view, _frames(old_view, keys, old_screen, ahead=False), old_screen, 0.0)
    frames = _frames(new_view, keys, new_screen, ahead=True)
    assert all(f.enlarged is not None for f in frames)
    new = _drawn(new_view, frames, new_screen, 0.0, handed_enlarged=True)
    assert np.array_equal(new, old)


def test_only_sharp_on_a_whole_screen_is_enlarged_ahead():
    view = _morph()
    whole, small = Screen(pygame.Surface(SIZE)), Screen(pygame.Surface((100, 100)))
    assert enlarger(view, "smooth", lambda: whole) is None
    assert enlarger(view, "sharp", None) is None
    assert enlarger(view, "sharp", lambda: small)(IMAGES[0]) is None    # magnified too little
