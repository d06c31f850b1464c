"""Calibration maths, exactly: colour LUT values, geometry composition, placement, profile files."""

import numpy as np
import pytest

from installation.calibration import profile as cal
from installation.calibration import patterns as tp
from installation.calibration.profile import Colour, Geometry, Profile

IDENT = np.arange(256, dtype=np.uint8)


def test_identity_profile_is_the_identity_lut():
    lut = cal.colour_lut(Colour())
    assert lut.shape == (3, 256) and lut.dtype == np.uint8
    assert (lut == IDENT).all() and cal.is_identity_lut(lut)


@pytest.mark.parametrize("colour, level, expected", [
    (Colour(gamma=2.2), 128, (186, 186, 186)),   # 255 * (128/255) ** (1/2.2) = 186.415
    (Colour(gamma=2.2), 0, (0, 0, 0)),
    (Colour(gamma=2.2), 255, (255, 255, 255)),
    (Colour(gamma=0.5), 128, (64, 64, 64)),      # 255 * 0.50196 ** 2 = 64.25
    (Colour(brightness=0.1), 100, (126, 126, 126)),  # 100 + 25.5 = 125.5 -> rounds half up
    (Colour(brightness=-0.5), 100, (0, 0, 0)),
    (Colour(contrast=1.5), 100, (86, 86, 86)),   # 1.5 * 100 - 63.75 = 86.25
    (Colour(contrast=1.5), 200, (236, 236, 236)),  # 236.25
    (Colour(contrast=1.5), 30, (0, 0, 0)),       # -18.75, clipped
    (Colour(red=0.5, green=1.0, blue=0.0), 200, (100, 200, 0)),
    (Colour(red=2.0), 200, (255, 200, 200)),     # clipped
])
def test_lut_values(colour, level, expected):
    assert tuple(cal.colour_lut(colour)[:, level]) == expected


def test_lut_is_monotonic_for_any_sane_profile():
    lut = cal.colour_lut(Colour(gamma=1.7, brightness=-0.05, contrast=1.3, red=0.9, green=1.1, blue=0.8))
    assert (np.diff(lut.astype(int), axis=1) >= 0).all()


def test_apply_lut_maps_each_channel_through_its_own_table():
    rng = np.random.default_rng(1)
    img = rng.integers(0, 256, (7, 5, 3), dtype=np.uint8)
    lut = cal.colour_lut(Colour(gamma=2.2, red=0.8, blue=1.2))
    out = cal.apply_lut(img, lut)
    for c in range(3):
        assert (out[..., c] == lut[c][img[..., c]]).all()
    assert (cal.apply_lut(img, cal.colour_lut(Colour())) == img).all()


A = np.arange(6).reshape(2, 3)  # [[0 1 2], [3 4 5]]: 3 wide, 2 high


@pytest.mark.parametrize("geometry, expected", [
    (Geometry(), [[0, 1, 2], [3, 4, 5]]),
    (Geometry(rotation_deg=90), [[3, 0], [4, 1], [5, 2]]),   # clockwise: left column becomes the top row
    (Geometry(rotation_deg=180), [[5, 4, 3], [2, 1, 0]]),
    (Geometry(rotation_deg=270), [[2, 5], [1, 4], [0, 3]]),
    (Geometry(mirror_h=True), [[2, 1, 0], [5, 4, 3]]),
    (Geometry(mirror_v=True), [[3, 4, 5], [0, 1, 2]]),
    (Geometry(rotation_deg=90, mirror_h=True), [[0, 3], [1, 4], [2, 5]]),  # mirrored as seen on screen
])
def test_orient_array(geometry, expected):
    assert cal.orient_array(A, geometry).tolist() == expected


@pytest.mark.parametrize("a, b", [
    (Geometry(rotation_deg=180), Geometry(mirror_h=True, mirror_v=True)),
    (Geometry(rotation_deg=90, mirror_h=True), Geometry(rotation_deg=270, mirror_v=True)),
    (Geometry(rotation_deg=90, mirror_h=True, mirror_v=True), Geometry(rotation_deg=270)),
])
def test_rotations_and_mirrors_compose(a, b):
    img = np.arange(12).reshape(3, 4)
    assert (cal.orient_array(img, a) == cal.orient_array(img, b)).all()


def test_two_quarter_turns_are_a_half_turn():
    img = np.arange(12).reshape(3, 4)
    once = cal.orient_array(img, Geometry(rotation_deg=90))
    assert (cal.orient_array(once, Geometry(rotation_deg=90)) == cal.orient_array(img, Geometry(rotation_deg=180))).all()


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("mh", [False, True])
@pytest.mark.parametrize("mv", [False, True])
def test_orient_point_agrees_with_orient_array(rotation, mh, mv):
    g = Geometry(rotation_deg=rotation, mirror_h=mh, mirror_v=mv)
    img = np.arange(20).reshape(4, 5)
    out = cal.orient_array(img, g)
    for y in range(4):
        for x in range(5):
            ox, oy = cal.orient_point(x, y, 5, 4, g)
            assert out[oy, ox] == img[y, x]


@pytest.mark.parametrize("src, screen, geometry, expected", [
    ((1920, 1080), (1920, 1080), Geometry(), (0, 0, 1920, 1080)),
    ((1920, 1080), (1920, 1080), Geometry(scale=0.5), (480, 270, 960, 540)),
    ((1920, 1080), (1920, 1080), Geometry(offset_x_px=-12, offset_y_px=7), (-12, 7, 1920, 1080)),
    ((1920, 1080), (1920, 1080), Geometry(rotation_deg=90), (656, 0, 608, 1080)),  # pillarboxed
    ((1080, 1920), (1920, 1080), Geometry(rotation_deg=270), (0, 0, 1920, 1080)),  # portrait content, turned
    ((1280, 720), (1920, 1200), Geometry(), (0, 60, 1920, 1080)),  # letterboxed on 16:10
])
def test_placement(src, screen, geometry, expected):
    assert cal.placement(*src, *screen, geometry) == expected


@pytest.mark.parametrize("index, steps, where, value", [
    (0, 1, ("colour", "gamma"), 1.05),
    (0, 24, ("colour", "gamma"), 2.2),            # 24 presses stay exact, no float drift
    (0, -100, ("colour", "gamma"), 0.3),          # clamped at the lower bound
    (1, -10, ("colour", "brightness"), -0.1),
    (6, -15, ("geometry", "offset_x_px"), -15),
    (8, 2, ("geometry", "scale"), 1.01),
    (9, 1, ("geometry", "rotation_deg"), 90),
    (9, -1, ("geometry", "rotation_deg"), 270),
    (9, 4, ("geometry", "rotation_deg"), 0),
    (10, 1, ("geometry", "mirror_h"), True),
    (10, 2, ("geometry", "mirror_h"), False),
])
def test_adjust(index, steps, where, value):
    p = cal.adjust(Profile(), index, steps)
    assert getattr(getattr(p, where[0]), where[1]) == value


def test_adjust_one_press_at_a_time_equals_many_at_once():
    p = Profile()
    for _ in range(24):
        p = cal.adjust(p, 0, 1)
    assert p.colour.gamma == 2.2 and cal.colour_lut(p.colour)[0, 128] == 186


def test_reset_one_setting_keeps_the_others():
    p = cal.adjust(cal.adjust(Profile(), 0, 10), 1, 5)
    p = cal.reset(p, 0)
    assert p.colour.gamma == 1.0 and p.colour.brightness == 0.05


def test_profile_round_trips_through_toml(tmp_path):
    p = Profile(colour=Colour(gamma=2.2, brightness=-0.03, red=0.95),
                geometry=Geometry(offset_x_px=-12, scale=0.985, rotation_deg=270, mirror_h=True))
    path = tmp_path / "cal.toml"
    cal.save_profile(path, p)
    assert cal.load_profile(path) == p
    text = path.read_text()
    assert "gamma = 2.2  # above 1 lifts mid-greys" in text and "mirror_h = true" in text
    assert [f.name for f in tmp_path.iterdir()] == ["cal.toml"]


@pytest.mark.parametrize("text, message", [
    ("[colour]\ngamma = 9\n", "cal.toml: colour.gamma: 9 is too large; allowed: at most 4"),
    ("[geometry]\nrotation_deg = 45\n", "cal.toml: geometry.rotation_deg: 45 is not allowed; allowed: 0, 90, 180, 270"),
    ("[colour]\ngama = 2.2\n", "cal.toml: colour.gama: unknown key (check the spelling)"),
    ("[colour\n", "cal.toml: TOML syntax error"),
])
def test_bad_profiles_name_the_file_and_the_key(tmp_path, text, message):
    path = tmp_path / "cal.toml"
    path.write_text(text)
    with pytest.raises(cal.ProfileError, match=message.replace("(", r"\(").replace(")", r"\)")):
        cal.load_profile(path)


def test_missing_profile():
    with pytest.raises(cal.ProfileError, match="calibration profile not found"):
        cal.load_profile("/nonexistent/cal.toml")


# --- test patterns ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", list(tp.PATTERNS))
@pytest.mark.parametrize("size", [(1920, 1080), (1080, 1920), (333, 201)])
def test_patterns_fill_the_screen(name, size):
    img = tp.PATTERNS[name](*size)
    assert img.shape == (size[1], size[0], 3) and img.dtype == np.uint8


def test_colour_bars_values():
    img = tp.colour_bars(700, 300)
    assert [tuple(img[10, x]) for x in range(50, 700, 100)] == tp.BARS_75
    assert [tuple(img[290, x]) for x in range(70, 700, 140)] == tp.BARS_100


def test_grey_ramp_runs_from_black_to_white_in_steps_of_17():
    img = tp.grey_ramp(1600, 500)
    assert img[0, 0, 0] == 0 and img[0, -1, 0] == 255 and (np.diff(img[0, :, 0].astype(int)) >= 0).all()
    assert [int(img[300, x, 0]) for x in range(50, 1600, 100)] == list(range(0, 256, 17))
    assert int(img[450, 0, 0]) == 0 and int(img[450, -1, 0]) == 255


@pytest.mark.parametrize("gamma, level", [(1.8, 174), (2.0, 180), (2.2, 186), (2.4, 191), (2.6, 195)])
def test_gamma_patches_match_the_striped_background(gamma, level):
    assert tp.gamma_patch_level(gamma) == level
    img = tp.gamma_check(1920, 1080)
    x, y, w, h = tp.gamma_patch_rects(1920, 1080)[tp.GAMMAS.index(gamma)]
    assert (img[y:y + h, x:x + w] == level).all()
    assert img[0, 0, 0] == 255 and img[1, 0, 0] == 0  # 50 % stripes outside the patches


def test_grid_is_centred_and_framed():
    img = tp.grid(1920, 1080)
    assert tuple(img[540, 960]) == (255, 0, 0)  # centre cross
    cell = tp.grid_cell_px(1920, 1080)
    assert tuple(img[540 + cell + 3, 960 + cell]) == (255, 255, 255)  # a vertical line one cell right
    assert tuple(img[0, 500]) == (255, 255, 255) and tuple(img[1079, 500]) == (255, 255, 255)


def test_safe_area_frames():
    img = tp.safe_area(2000, 1000)
    assert tuple(img[0, 1000]) == (255, 255, 255)
    assert tuple(img[500, 70]) == (0, 255, 0)  # action safe, 3.5 % of 2000
    assert tuple(img[500, 100]) == (255, 255, 0)  # title safe, 5 %


def test_fit_image_blows_up_by_whole_pixels_and_centres():
    small = np.zeros((64, 64, 3), np.uint8)
    small[0, 0] = (255, 0, 0)
    img = tp.fit_image(small, 1920, 1080, background=(9, 9, 9))
    k = int(1080 * 0.9) // 64  # 15
    y0, x0 = (1080 - 64 * k) // 2, (1920 - 64 * k) // 2
    assert (img[y0:y0 + k, x0:x0 + k] == (255, 0, 0)).all()
    assert tuple(img[y0 + k, x0]) == (0, 0, 0) and tuple(img[0, 0]) == (9, 9, 9)

