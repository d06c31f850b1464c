"""Scenes drawn through a calibrated Screen: each small image turned and placed on its own must
give exactly the uncalibrated frame turned, mirrored and placed (calibration.orient_array, placement);
and a player with a calibration geometry keeps black around the picture through a crossfade."""

import numpy as np
import pygame
import pytest

from installation.calibration import profile as cal
from installation.calibration.apply import Calibration
from installation.scenes.base import Frame
from installation.player.messages import ShowReady
from installation.model.load import load
from installation.model.timelapse import Replay, Timelapse
from installation.display.output import Window
from installation.player.loop import Player
from installation.display.screen import Screen
from installation.scenes.evolution import EvolutionView
from installation.scenes.grid import GridPlan, GridView
from installation.scenes.morph import MorphPlan, MorphView
from installation.show.config import load_show
from installation.scenes.walk import WalkParams

SCREEN = (960, 720)   # big enough for the evolution caption (12 px) under every geometry below
BACKGROUND = (40, 90, 200)
GEOMETRIES = [cal.Geometry(rotation_deg=90, mirror_v=True), cal.Geometry(rotation_deg=180),
              cal.Geometry(rotation_deg=270, mirror_h=True, offset_x_px=-9, offset_y_px=4),
              cal.Geometry(mirror_h=True, scale=0.8)]
RNG = np.random.default_rng(3)
IMAGES = [RNG.integers(0, 256, (8, 8, 3), dtype=np.uint8) for _ in range(6)]


def _array(surface):
    return pygame.surfarray.array3d(surface).transpose(1, 0, 2)


def _expected(frame: np.ndarray, geometry) -> np.ndarray:
    """The pure maths: the frame turned and mirrored, placed, black around it."""
    out = np.zeros((SCREEN[1], SCREEN[0], 3), np.uint8)
    x, y, w, h = cal.placement(*SCREEN, *SCREEN, geometry)
    picture = cal.orient_array(frame, geometry)
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(SCREEN[0], x + w), min(SCREEN[1], y + h)
    out[y0:y1, x0:x1] = picture[y0 - y:y1 - y, x0 - x:x1 - x]
    return out


def _morph():
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4), 30), 8, "pixel")
    view.accept([Frame(0, 0.0, IMAGES[0])])
    return view


def _grid():
    view = GridView(GridPlan(WalkParams(seed=1, z_dim=4), range(6), 1.0), 3, 2, 8, "smooth")
    view.accept([Frame((tile, j), 0.0, IMAGES[(tile + j) % 6]) for tile in range(6) for j in (-1, 0, 1)])
    return view


def _evolution():
    import base64
    import io

    from PIL import Image
    frames = np.stack(IMAGES[:3])
    buffer = io.BytesIO()
    Image.fromarray(np.concatenate(list(frames), axis=1)).save(buffer, format="PNG")
    timelapse = Timelapse(8, 3, (0, 8, 16), (1, 2, 3), base64.b64encode(buffer.getvalue()).decode())
    return EvolutionView(Replay(timelapse, frames), 10.0, "pixel")


@pytest.mark.parametrize("make", [_morph, _grid, _evolution], ids=["morph", "grid", "evolution"])
@pytest.mark.parametrize("geometry", GEOMETRIES, ids=lambda g: f"rot{g.rotation_deg}-h{g.mirror_h:d}"
                         f"-v{g.mirror_v:d}-s{g.scale}")
def test_drawing_through_a_calibrated_screen_is_the_frame_turned_exactly(make, geometry):
    pygame.display.init()
    try:
        display = pygame.display.set_mode(SCREEN)
        screen = Screen(display, Calibration(cal.Profile(geometry=geometry)), BACKGROUND)
        frame = Screen(pygame.Surface(screen.size), background=BACKGROUND)   # the same scene, plain, frame-sized
        frame.fill(BACKGROUND)
        display.fill((255, 0, 255))                     # whatever was there before: must be painted over
        plain, calibrated = make(), make()
        t = 0.35                                        # grid: every tile halfway through a blend
        plain.draw(frame, t)
        calibrated.draw(screen, t)
        assert np.array_equal(_array(display), _expected(frame.pixels(), geometry))
        if make is _evolution:                          # the caption turned with the picture
            assert plain._caption_rect is not None and calibrated._caption_rect is not None
    finally:
        pygame.display.quit()


def test_a_colour_only_calibration_maps_rects_to_themselves(screen, tiny_model_path, show_file):
    player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", Window(screen),
                    calibration=Calibration(cal.Profile(colour=cal.Colour(gamma=2.0))))
    assert player.screen.display_size == screen.get_size() and player.screen.size == screen.get_size()
    assert player.screen.rect((3, 4, 50, 60)) == (3, 4, 50, 60)
    assert player.screen.background == Calibration(cal.Profile(colour=cal.Colour(gamma=2.0))).colour((255, 255, 255))


def test_crossfade_under_a_calibration_keeps_the_margins_black(screen, tiny_model_path, show_file):
    """Rotation 90 on a landscape screen: black bars left and right on every frame, the picture changes
    from morph to grid through a crossfade (no crash, no smear into the bars)."""
    calibration = Calibration(cal.Profile(geometry=cal.Geometry(rotation_deg=90, mirror_h=True)))
    fade = "[transitions]\ncrossfade_s = 0.4\n"
    player = Player(load_show(show_file("morph", fade)), {"tiny": load(tiny_model_path)}, "tiny",
                    Window(screen), calibration=calibration)
    x, y, w, h = cal.placement(160, 120, 160, 120, calibration.profile.geometry)
    seen = {"frames": 0, "bars_lit": 0, "fading": 0}

    grid = load_show(show_file("grid", "cols = 2\nrows = 2\n" + fade))

    def check(p):
        shot = p.screen.pixels()
        seen["frames"] += 1
        seen["bars_lit"] += int(shot[:, :x].any() or shot[:, x + w:].any())
        seen["fading"] += p.stage.fade_from is not None
        if p.snapshot().activity == "playing" and "posted" not in seen:
            seen["posted"] = p.post(ShowReady(grid))    # the grid arrives once the morph is on the wall
    player.on_frame = check
    stats = player.run(seconds=2.0)
    assert stats["scene"] == "grid" and seen["fading"] > 3
    assert seen["bars_lit"] == 0 and seen["frames"] > 30
    picture = _array(screen)[y:y + h, x:x + w]
    assert picture.std() > 20                                           # the grid is on screen
