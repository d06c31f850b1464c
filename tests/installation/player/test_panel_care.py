"""Panel care in the player (player/panel_care.py): the orbit moves the picture only at the scene's seams
or in a crossfade, a pixel at a time; the brightness curve reaches the colour table at given times; the
light sensor is smoothed and an unreadable one is one line; the refresh at closing; end to end from
`aimoji play`."""

import time
from datetime import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import numpy as np
import pygame
import pytest

from installation.cli import main
from installation.display.screen import Screen
from installation.player.panel_care import AmbientSensor, PanelCare
from installation.scenes.layout import morph_box
from installation.scenes.morph import MorphPlan, MorphView
from installation.scenes.walk import WalkParams
from installation.show.config import Ambient, parse_show

ZONE = "Europe/Vienna"
WHITE = (255, 255, 255)


def _show(panel: dict, **extra):
    return parse_show({"timezone": ZONE, "panel": panel, **extra}, "panel.toml")


def _at(local: str) -> float:
    """Epoch seconds of a local time in the venue's zone."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(ZONE)).timestamp()


def _stage(view=None, fading=False):
    """What panel care uses of the player's stage: the view on the wall, whether a crossfade runs, and
    restart (counted)."""
    stage = SimpleNamespace(current=SimpleNamespace(view=view) if view else None,
                            fade_from=object() if fading else None, restarts=0)
    stage.restart = lambda: setattr(stage, "restarts", stage.restarts + 1)
    return stage


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_the_orbit_moves_only_at_the_scenes_seams_or_in_a_crossfade_a_pixel_at_a_time():
    show = _show({"orbit": {"amplitude_px": 16, "period_s": 60}}, walk={"keyframe_s": 2.0})
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4, keyframe_s=2.0), 60), 8, "smooth")
    screen = Screen(pygame.Surface((320, 240)), background=WHITE)
    panel, fps, t0 = PanelCare(print), 60, 1_765_000_000.0
    shifts, moves = [], 0
    for n in range(20 * 60 * fps):                               # 20 minutes of frames
        t = t0 + n / fps
        fading = 6000 <= n < 6090                                # a crossfade of 1.5 s
        before = screen.shift
        assert not panel.frame(show, t, False, _stage(view, fading), screen)
        after = screen.shift
        if after != before:
            moves += 1
            assert max(abs(a - b) for a, b in zip(after, before)) == 1            # never more than a pixel
            assert fading or view.seam(t) != view.seam(t - 1 / fps)             # only where it is safe
        shifts.append(after)
    shifts = np.array(shifts)
    assert np.abs(shifts).max() <= 16 and moves > 100
    assert len({tuple(s) for s in shifts}) > 100                 # it wanders over the square
    # in the crossfade it follows the orbit every frame (a keyframe is 2 s = 120 frames apart)
    assert len({tuple(s) for s in shifts[6000:6090]}) > 3


def test_a_moved_picture_keeps_its_background_to_the_edges_and_spills_nothing():
    from installation.calibration import profile as cal
    from installation.calibration.apply import Calibration
    screen = Screen(pygame.Surface((64, 48)), background=WHITE)
    screen.care((3, -2), 1.0)
    assert (screen.pixels() == 255).all()                                    # the background, edge to edge
    screen.draw(screen.place(np.zeros((4, 4, 3), np.uint8), (10, 10, 8, 8), "pixel"))
    black = np.argwhere((screen.pixels() == 0).all(axis=2))
    assert black.min(axis=0).tolist() == [8, 13] and black.max(axis=0).tolist() == [15, 20]   # moved (+3, -2)
    # a calibrated picture (half size, centred: x 16..47, y 12..35): what moves past its edge is cut off
    small = Screen(pygame.Surface((64, 48)), Calibration(cal.Profile(geometry=cal.Geometry(scale=0.5))), WHITE)
    small.care((-3, 0), 1.0)
    small.draw(small.place(np.zeros((4, 4, 3), np.uint8), (0, 0, 8, 8), "pixel"))
    pixels = small.pixels()
    assert (pixels[:, :16] == 0).all() and (pixels[12:20, 16:21] == 0).all() and (pixels[12:20, 21:48] == 255).all()
    small.flood(WHITE)                                                        # the refresh: the whole panel
    assert (small.pixels() == 255).all()


def test_on_a_screen_of_its_own_a_morph_keeps_the_orbits_reach_off_the_edges_and_is_scaled_in_place():
    show = _show({"orbit": {"amplitude_px": 3, "period_s": 60}}, walk={"keyframe_s": 2.0})
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4, keyframe_s=2.0), 60), 8, "smooth")
    screen = Screen(pygame.Surface((160, 90)), background=WHITE)
    key = screen.key
    PanelCare(print).frame(show, 1_765_000_000.0, False, _stage(view), screen)
    assert screen.inset == 3 and screen.key != key                    # the scene lays out again
    box = morph_box(*screen.size, 8, "smooth", screen.inset)
    assert box == (38, 3, 84, 84)                                      # 3 px clear above and below
    assert view.image_box(screen) == (84, 84)                          # what the worker enlarges 'sharp' for
    image = np.zeros((8, 8, 3), np.uint8)
    placed = screen.place(image, box, "smooth")                        # the first image of a morph
    for shift in [(3, 3), (-3, -3), (3, -3), (-3, 3), (0, 0)]:       # the orbit's corners
        screen.care(shift, 1.0, 3)
        placed = screen.place(image, box, "smooth", replacing=placed)  # image after image
        assert placed.in_place is not None                            # straight into the display: nothing spilled
        screen.draw(placed)
        black = np.argwhere((screen.pixels() == 0).all(axis=2))
        assert black.min(axis=0).tolist() == [3 + shift[1], 38 + shift[0]]   # moved, the whole image shown
        assert black.max(axis=0).tolist() == [86 + shift[1], 121 + shift[0]]


def test_on_a_wall_the_orbit_keeps_the_whole_frame_so_the_seams_still_meet():
    wall = {"canvas": [256, 64], "screens": [{"name": "left", "rect": [0, 0, 128, 64], "bezel": 4},
                                             {"name": "right", "rect": [128, 0, 128, 64], "bezel": 4}]}
    show = _show({"orbit": {"amplitude_px": 3, "period_s": 60}}, wall=wall)
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4), 60), 8, "smooth")
    screen = Screen(pygame.Surface((128, 64)), background=WHITE)
    PanelCare(print).frame(show, 1_765_000_000.0, False, _stage(view), screen)
    assert screen.inset == 0 and morph_box(*screen.size, 8, "smooth", screen.inset) == (32, 0, 64, 64)


@pytest.mark.parametrize("local, level", [
    ("2026-03-10 09:00", 0.8), ("2026-03-10 16:00", 0.7), ("2026-03-10 03:00", 0.5),
    ("2026-07-10 09:00", 0.8),              # summer time: the venue's clock, not UTC
])
def test_the_brightness_curve_reaches_the_colour_table_at_the_venues_time(local, level):
    show = _show({"brightness": {"points": [["08:00", 0.6], ["10:00", 1.0], ["22:00", 0.4]]}})
    screen = Screen(pygame.Surface((64, 48)), background=WHITE)
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4), 30), 8, "smooth")
    colour = screen.colour                    # what a worker was handed before the level changed
    PanelCare(print).frame(show, _at(local), False, _stage(view), screen)
    assert screen.level == pytest.approx(level)
    image = np.array([[[200, 100, 255]]], np.uint8)
    expected = [int(np.floor(v * level + 0.5)) for v in (200, 100, 255)]
    assert colour(image)[0, 0].tolist() == expected                       # the table the workers use
    assert screen.background == (expected[2],) * 3                          # and the background, repainted
    assert tuple(screen.pixels()[0, 0]) == (expected[2],) * 3


def test_a_level_change_waits_for_a_seam_and_a_change_below_one_step_is_none():
    show = _show({"brightness": {"points": [["00:00", 0.5], ["12:00", 1.0]]}}, walk={"keyframe_s": 4.0})
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4, keyframe_s=4.0), 30), 8, "smooth")
    screen, panel = Screen(pygame.Surface((32, 24)), background=WHITE), PanelCare(print)
    t = _at("2026-03-10 06:00")                                               # 0.75 wanted
    t -= t % 4.0                                                             # on a keyframe
    panel.frame(show, t, False, _stage(view), screen)
    assert screen.level == pytest.approx(0.75)
    panel.frame(show, t + 3.9, False, _stage(view), screen)                  # 0.75 + 0.00005: same keyframe
    assert screen.level == pytest.approx(0.75)
    panel.frame(show, t + 3600, False, _stage(view), screen)                  # an hour on: a new keyframe
    assert screen.level == pytest.approx(0.75 + 0.5 / 12)


def test_a_new_screen_recasts_the_scene_so_its_images_follow_the_new_colour_table():
    show = _show({"brightness": {"points": [["00:00", 0.5]]}})
    view = MorphView(MorphPlan(WalkParams(seed=1, z_dim=4), 30), 8, "smooth")
    panel, stage, t = PanelCare(print), _stage(view), _at("2026-03-10 12:00")
    first = Screen(pygame.Surface((32, 24)), background=WHITE)
    panel.frame(show, t, False, stage, first)
    panel.frame(show, t + 0.1, False, stage, first)
    assert stage.restarts == 0 and first.level == 0.5
    reopened = Screen(pygame.Surface((32, 24)), background=WHITE)   # the F key, a panel plugged back in
    panel.frame(show, t + 0.2, False, stage, reopened)
    assert stage.restarts == 1


def _sensor(tmp_path, clock, lines, **kw):
    path = tmp_path / "in_illuminance_raw"
    return path, AmbientSensor(Ambient(path=str(path), points=[(0, 0.4), (300, 1.0)], smoothing_s=30, **kw),
                               lines.append, clock)


def test_the_light_sensor_is_smoothed_and_maps_to_a_level(tmp_path):
    clock, lines = Clock(), []
    path, sensor = _sensor(tmp_path, clock, lines, scale=0.5)
    path.write_text("200\n")                       # 100 lux
    sensor.poll()
    assert sensor.lux == 100
    clock.now, _ = 30.0, path.write_text("800\n")  # 400 lux, one time constant later
    sensor.poll()
    assert sensor.lux == pytest.approx(100 + 300 * (1 - np.exp(-1)))
    assert lines == []


def test_the_light_sensors_level_multiplies_the_curves(tmp_path):
    path, lines = tmp_path / "in_illuminance_input", []
    path.write_text("150\n")
    show = _show({"ambient": {"path": str(path), "points": [[0, 0.4], [300, 1.0]], "poll_s": 0.5},
                  "brightness": {"points": [["00:00", 0.5]]}})
    panel, noon = PanelCare(lines.append), _at("2026-03-10 12:00")
    panel.frame(show, noon, False, _stage(), Screen(pygame.Surface((8, 8))))   # starts the sensor's thread
    try:
        deadline = time.monotonic() + 5
        while panel.sensor.lux is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert panel.level(noon) == pytest.approx(0.5 * 0.7)      # 150 lux: halfway from 0.4 to 1.0
    finally:
        panel.stop()


def test_an_unreadable_sensor_is_one_line_and_the_curve_alone(tmp_path):
    clock, lines = Clock(), []
    path, sensor = _sensor(tmp_path, clock, lines)
    for _ in range(3):
        sensor.poll()                              # no such file, three times
    assert sensor.lux is None and len(lines) == 1
    assert str(path) in lines[0] and "unreadable" in lines[0] and "curve only" in lines[0]
    path.write_text("x" * 100)                     # not a reading, and longer than one
    sensor.poll()
    assert len(lines) == 1 and sensor.lux is None and "more than 64 bytes" in sensor.problem
    path.write_text("150")
    sensor.poll()
    assert sensor.lux == 150 and len(lines) == 2 and "readable again" in lines[1]


def test_the_refresh_at_closing_is_white_then_black_and_only_at_a_closing():
    show = _show({"refresh_s": 10})
    clock = Clock()
    screen, panel = Screen(pygame.Surface((32, 24)), background=WHITE), PanelCare(print, clock)
    assert not panel.frame(show, 0.0, True, _stage(), screen)      # started while closed: no closing seen
    assert not panel.frame(show, 0.0, False, _stage(), screen)     # open
    seen = []
    for clock.now in (100.0, 104.0, 106.0, 109.9, 110.1):
        drawn = panel.frame(show, 0.0, True, _stage(), screen)
        seen.append(tuple(screen.pixels()[12, 16]) if drawn else None)
    assert seen == [WHITE, WHITE, (0, 0, 0), (0, 0, 0), None]


def test_play_with_a_dimming_curve_and_orbit_from_the_cli(models_dir, show_file, tmp_path):
    shot = tmp_path / "dim.png"
    show = show_file("morph", '[panel]\nrefresh_s = 5\n[panel.brightness]\npoints = [["00:00", 0.5]]\n'
                              '[panel.orbit]\namplitude_px = 2\nperiod_s = 60\n')
    assert main(["check", str(show), "--models", str(models_dir)]) == 0
    rc = main(["play", "--headless", "--seconds", "2.5", "--models", str(models_dir), "--show", str(show),
               "--screenshot", str(shot)])
    assert rc == 0
    from PIL import Image
    img = np.asarray(Image.open(shot).convert("RGB"))
    # the white background through the dimmed table: 255 * 0.5 -> 128, beside the emoji (320x240: x < 40)
    assert (img[100:140, 10:30] == 128).all()
