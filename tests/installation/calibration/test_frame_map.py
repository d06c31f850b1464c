"""Where a scene's frame lands on a calibrated screen: frame size, rects turned with the picture, margins."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from installation.calibration import profile as cal
from installation.calibration.frame_map import frame_size, margins, picture_rect, screen_rect

GEOMETRIES = [cal.Geometry(rotation_deg=r, mirror_h=h, mirror_v=v)
              for r in (0, 90, 180, 270) for h in (False, True) for v in (False, True)]


@pytest.mark.parametrize("geometry,want", [
    (cal.Geometry(), (1920, 1080)),
    (cal.Geometry(rotation_deg=180, mirror_h=True), (1920, 1080)),
    (cal.Geometry(rotation_deg=90), (1080, 608)),             # turned upright: 608 x 1080 on screen
    (cal.Geometry(scale=0.5, offset_x_px=100), (960, 540)),
])
def test_frame_is_the_picture_before_turning(geometry, want):
    assert frame_size((1920, 1080), geometry) == want
    x, y, w, h = picture_rect((1920, 1080), geometry)
    assert cal.oriented_size(*want, geometry.rotation_deg) == (w, h)


@pytest.mark.parametrize("rect,geometry,want", [
    ((10, 20, 30, 40), cal.Geometry(), (110, 220, 30, 40)),                         # only shifted
    ((10, 20, 30, 40), cal.Geometry(rotation_deg=180), (100 + 160 - 40, 200 + 90 - 60, 30, 40)),
    ((10, 20, 30, 40), cal.Geometry(rotation_deg=90), (100 + 90 - 60, 200 + 10, 40, 30)),
    ((10, 20, 30, 40), cal.Geometry(rotation_deg=270), (100 + 20, 200 + 160 - 40, 40, 30)),
    ((10, 20, 30, 40), cal.Geometry(mirror_h=True), (100 + 160 - 40, 220, 30, 40)),
    ((10, 20, 30, 40), cal.Geometry(mirror_v=True), (110, 200 + 90 - 60, 30, 40)),
    ((0, 0, 160, 90), cal.Geometry(rotation_deg=90, mirror_h=True), (100, 200, 90, 160)),  # the whole frame
    ((5, 5, 0, 7), cal.Geometry(rotation_deg=90), (100, 200, 0, 0)),               # empty stays empty
])
def test_screen_rect_of_a_160x90_frame_at_100_200(rect, geometry, want):
    assert screen_rect(rect, (160, 90), (100, 200), geometry) == want


@given(st.integers(1, 12), st.integers(1, 12), st.data(), st.sampled_from(GEOMETRIES))
def test_screen_rect_is_where_orient_array_puts_the_pixels(fw, fh, data, geometry):
    x = data.draw(st.integers(0, fw - 1))
    y = data.draw(st.integers(0, fh - 1))
    w = data.draw(st.integers(1, fw - x))
    h = data.draw(st.integers(1, fh - y))
    frame = np.zeros((fh, fw), dtype=bool)
    frame[y:y + h, x:x + w] = True
    ys, xs = np.nonzero(cal.orient_array(frame, geometry))
    want = (7 + xs.min(), 3 + ys.min(), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1)
    assert screen_rect((x, y, w, h), (fw, fh), (7, 3), geometry) == want


@pytest.mark.parametrize("rect,screen,want", [
    ((0, 0, 160, 120), (160, 120), []),
    ((20, 0, 120, 120), (160, 120), [(0, 0, 20, 120), (140, 0, 20, 120)]),
    ((10, 5, 100, 100), (160, 120), [(0, 0, 10, 120), (110, 0, 50, 120), (10, 0, 100, 5), (10, 105, 100, 15)]),
    ((-30, 0, 160, 120), (160, 120), [(130, 0, 30, 120)]),     # shifted left past the edge
    ((200, 0, 160, 120), (160, 120), [(0, 0, 160, 120)]),      # off screen entirely: all black
])
def test_margins_around_the_picture(rect, screen, want):
    assert margins(rect, screen) == want
