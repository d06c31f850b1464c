"""Panel care's pure maths (calibration/panel.py): the orbit never jumps, curves interpolate round
midnight, the colour table dims exactly, sensor readings are smoothed and parsed."""

import math

import numpy as np
import pytest

from installation.calibration import panel as care
from installation.calibration import profile as cal


@pytest.mark.parametrize("amplitude_px, period_s", [(1, 60), (3, 900), (16, 60), (8, 3600)])
def test_orbit_never_moves_more_than_a_pixel_between_frames_and_stays_within_its_amplitude(amplitude_px, period_s):
    fps = 60
    t0 = 1_765_000_000.0                        # walk time is epoch seconds in the player
    ts = t0 + np.arange(0, 2 * 3600 * fps) / fps   # two hours of frames
    path = np.array([care.orbit(t, amplitude_px, period_s) for t in ts[::7]])   # every 7th frame...
    steps = np.abs(np.diff(path, axis=0))
    # ...seven frames apart still move at most one pixel, so consecutive frames do too
    assert steps.max() <= 1
    assert np.abs(path).max() == amplitude_px
    # the picture visits the whole square, not one line: every sign combination on both axes
    assert {(int(np.sign(x)), int(np.sign(y))) for x, y in path} >= {(1, 1), (1, -1), (-1, 1), (-1, -1)}


def test_orbit_off_and_step_towards():
    assert care.orbit(12345.6, 0, 600) == (0, 0)
    assert care.step_towards((0, 0), (5, -3)) == (1, -1)
    assert care.step_towards((2, -1), (2, 4)) == (2, 0)
    assert care.step_towards((3, 3), (3, 3)) == (3, 3)


POINTS = [(8 * 60, 0.6), (10 * 60, 1.0), (22 * 60, 0.4)]


@pytest.mark.parametrize("minute, level", [
    (8 * 60, 0.6), (9 * 60, 0.8), (10 * 60, 1.0), (16 * 60, 0.7), (22 * 60, 0.4),
    (23 * 60, 0.42),          # after the last point, heading for 08:00's 0.6 over 10 hours
    (3 * 60, 0.5),            # after midnight, halfway from 22:00 to 08:00
    (0, 0.4 + 0.2 * 2 / 10),
])
def test_daily_level_is_linear_between_points_and_round_midnight(minute, level):
    assert care.daily_level(POINTS, minute) == pytest.approx(level)


def test_one_point_is_a_constant_level():
    assert care.daily_level([(720, 0.3)], 0) == pytest.approx(0.3) == care.daily_level([(720, 0.3)], 1439)


def test_dimmed_lut_scales_every_output_rounded_half_up():
    lut = cal.colour_lut(cal.Colour())
    half = care.dimmed_lut(lut, 0.5)
    assert half[:, 255].tolist() == [128, 128, 128] and half[:, 200].tolist() == [100, 100, 100]
    assert half[:, 1].tolist() == [1, 1, 1] and half[:, 0].tolist() == [0, 0, 0]
    assert care.dimmed_lut(lut, 1.0) is lut
    gamma = cal.colour_lut(cal.Colour(gamma=2.2, red=0.9))
    assert np.array_equal(care.dimmed_lut(gamma, 0.7), np.floor(gamma * 0.7 + 0.5).astype(np.uint8))


def test_smoothing_moves_by_the_share_an_rc_filter_would():
    assert care.smoothed(None, 120.0, 5.0, 30.0) == 120.0
    assert care.smoothed(100.0, 200.0, 30.0, 30.0) == pytest.approx(100 + 100 * (1 - math.exp(-1)))
    assert care.smoothed(100.0, 200.0, 0.0, 30.0) == 100.0
    assert care.smoothed(100.0, 200.0, 5.0, 0.0) == 200.0


@pytest.mark.parametrize("raw, scale, lux", [(b"123\n", 1.0, 123.0), (b"45.5", 2.0, 91.0), (b" 0 \n", 0.5, 0.0)])
def test_parse_reading(raw, scale, lux):
    assert care.parse_reading(raw, scale) == lux


@pytest.mark.parametrize("raw", [b"", b"dark", b"-3\n", b"nan", b"\xff"])
def test_parse_reading_refuses_what_is_not_a_light_level(raw):
    with pytest.raises(ValueError):
        care.parse_reading(raw, 1.0)


@pytest.mark.parametrize("elapsed_s, colour", [(0.0, (255, 255, 255)), (4.9, (255, 255, 255)),
                                               (5.0, (0, 0, 0)), (9.9, (0, 0, 0)), (10.0, None), (-1, None)])
def test_refresh_is_white_then_black_then_over(elapsed_s, colour):
    assert care.refresh_colour(elapsed_s, 10.0) == colour
