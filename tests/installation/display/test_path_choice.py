"""Which path draws (display/path_choice.py) as a function of what opening SDL's renderer measured, and
the calibration's turn as a renderer draws it (calibration/frame_map.py): pure, no display."""

import itertools

import numpy as np
import pytest

from installation.calibration import frame_map
from installation.calibration import profile as cal
from installation.display.path_choice import Measured, choose, fast_ms

P2160, P1080 = (3840, 2160), (1920, 1080)


@pytest.mark.parametrize("size, frame_ms", [(P1080, 20.6), (P2160, 83.0), ((640, 360), 2.3)])
def test_auto_takes_the_cpu_on_llvmpipe_which_sdl_calls_hardware(size, frame_ms):
    """Mesa's software GL (llvmpipe) is an 'accelerated' opengl renderer to SDL; its frames (figures
    measured under Xvfb on this 2-core PC) are far slower than a GPU's, at every size."""
    choice = choose("auto", Measured("opengl", True, frame_ms, size))
    assert not choice.gpu
    assert choice.why == (f"cpu (opengl renderer, {frame_ms:.1f} ms a {size[1]}p frame, over "
                          f"{fast_ms(size):.1f} ms: software GL such as llvmpipe)")


def test_auto_takes_a_fast_hardware_renderer():
    choice = choose("auto", Measured("opengl", True, 0.42, P2160))
    assert choice == (True, "gpu (opengl renderer, 0.4 ms a 2160p frame)")


def test_the_bound_grows_with_the_picture():
    assert fast_ms(P2160) == pytest.approx(8.79, abs=0.01) and fast_ms(P1080) == pytest.approx(2.57, abs=0.01)
    assert choose("auto", Measured("opengl", True, 5.0, P2160)).gpu           # 5 ms at 2160p: a GPU
    assert not choose("auto", Measured("opengl", True, 5.0, P1080)).gpu       # 5 ms at 1080p: not one


def test_sdls_software_renderer_is_never_chosen_by_auto_however_fast():
    choice = choose("auto", Measured("software", False, 0.3, (320, 240)))
    assert choice == (False, "cpu (renderer is software: software renderer, 0.3 ms a 240p frame)")


def test_the_show_may_force_either_path():
    llvmpipe = Measured("opengl", True, 83.0, P2160)
    assert choose("gpu", llvmpipe) == (True, "gpu (the show asks for it; opengl renderer, 83.0 ms a 2160p frame)")
    assert choose("cpu", None) == (False, 'cpu (renderer = "cpu" asked for)')


def test_without_a_renderer_the_line_says_why():
    assert choose("auto", None, "dummy video driver") == (False, "cpu (no GPU renderer: dummy video driver)")
    assert choose("gpu", None, "x11 not available") == \
        (False, "cpu (the show asks for gpu, but no GPU renderer: x11 not available)")


def _renderer_draws(image: np.ndarray, angle: int, flip_x: bool, flip_y: bool) -> np.ndarray:
    """What SDL's RenderCopyEx puts on screen: the texture mirrored, then turned clockwise."""
    if flip_x:
        image = image[:, ::-1]
    if flip_y:
        image = image[::-1]
    return np.rot90(image, k=-(angle // 90))


@pytest.mark.parametrize("rotation, mirror_h, mirror_v", list(itertools.product((0, 90, 180, 270), (False, True),
                                                                                (False, True))))
def test_the_renderers_turn_is_the_calibrations(rotation, mirror_h, mirror_v):
    geometry = cal.Geometry(rotation_deg=rotation, mirror_h=mirror_h, mirror_v=mirror_v)
    image = np.arange(6 * 4).reshape(4, 6)
    assert np.array_equal(_renderer_draws(image, *frame_map.renderer_turn(geometry)),
                          cal.orient_array(image, geometry))


def test_a_quarter_turned_rect_is_handed_over_with_its_sides_swapped_about_its_centre():
    assert frame_map.unturned_rect((10, 20, 300, 100), 90) == (110.0, -80.0, 100, 300)
    assert frame_map.unturned_rect((10, 20, 300, 100), 180) == (10, 20, 300, 100)
