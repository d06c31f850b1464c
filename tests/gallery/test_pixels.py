"""The gallery VM's judgement of a screendump: emoji present, black, dim (pure, no QEMU)."""

import numpy as np
import pytest

from gallery.pixels import black_problem, dim_problem, emoji_problem, look, read_ppm, seam_problem, stitch


def _wall(seed: int, brightness: float = 1.0, size=(80, 128)) -> np.ndarray:
    """A black screen with a bright, textured emoji-sized square in the middle."""
    rng = np.random.default_rng(seed)
    img = np.zeros((*size, 3), np.uint8)
    face = rng.integers(60, 255, (40, 40, 3))
    img[20:60, 44:84] = (face * brightness).astype(np.uint8)
    return img


def test_ppm_from_qemu_is_decoded_with_comments_and_odd_whitespace():
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = b"P6\n# qemu screendump\n3 2\n255\n" + pixels.tobytes()
    assert (read_ppm(data) == pixels).all()
    with pytest.raises(ValueError, match="8-bit binary PPM"):
        read_ppm(b"P3\n1 1\n255\n0 0 0\n")


def test_moving_pictures_are_emoji():
    assert emoji_problem(_wall(1), _wall(2)) is None


@pytest.mark.parametrize("first, second, why", [
    (np.zeros((80, 128, 3), np.uint8), np.zeros((80, 128, 3), np.uint8), "black"),
    (np.full((80, 128, 3), 200, np.uint8), np.full((80, 128, 3), 200, np.uint8), "flat colour"),
    (_wall(1), _wall(1), "frozen"),
])
def test_a_black_flat_or_frozen_wall_is_not(first, second, why):
    assert why in emoji_problem(first, second)


def test_black_outside_hours_allows_nothing_lit():
    assert black_problem(np.zeros((80, 128, 3), np.uint8)) is None
    assert "not black" in black_problem(_wall(1))
    cursor = np.zeros((80, 128, 3), np.uint8)
    cursor[70:72, 2:10] = 170  # a console cursor is enough to fail: the wall must be dark
    assert "not black" in black_problem(cursor)


def test_dim_is_moving_and_well_below_the_open_brightness():
    open_mean = look(_wall(1)).mean
    assert dim_problem(_wall(3, 0.3), _wall(4, 0.3), open_mean) is None
    assert "not dim" in dim_problem(_wall(3), _wall(4), open_mean)
    assert "not a dim walk" in dim_problem(_wall(3, 0.3), _wall(3, 0.3), open_mean)


WHITE = (255, 255, 255)


def _canvas(centre_y: int = 182) -> np.ndarray:
    """A wall's canvas (vm-wall.toml's 1288x364): white, one big shaded face across the middle."""
    y, x = np.mgrid[0:364, 0:1288]
    r = np.hypot(x - 644, y - centre_y)
    img = np.full((364, 1288, 3), 255, np.uint8)
    face = r < 170
    shade = np.stack([230 - r * 0.4, 180 - r * 0.5 + (x - 644) * 0.3, 30 + r * 0.2], axis=-1)
    img[face] = shade[face].astype(np.uint8)
    return img


def _screens(canvas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the two 644 px screens with 2 px bezels show of the canvas."""
    return canvas[2:362, 2:642], canvas[2:362, 646:1286]


GAP = 5    # left's last visible canvas column 641, right's first 646


def test_one_picture_across_two_screens_continues_over_the_seam_and_its_bezels():
    left, right = _screens(_canvas())
    assert seam_problem(left, right, WHITE, GAP) is None
    assert stitch(left, right).shape == (360, 1280, 3)


def test_two_screens_each_showing_the_whole_picture_meet_on_background():
    whole = _canvas()[2:362, 324:964]                   # the face centred on each screen
    assert "background" in seam_problem(whole, whole, WHITE, GAP)


def test_screens_showing_different_frames_do_not_continue():
    left, _ = _screens(_canvas())
    _, right = _screens(_canvas(centre_y=120))           # the face moved between the two pictures
    assert "does not continue" in seam_problem(left, right, WHITE, GAP)


def _textured(seed: int) -> np.ndarray:
    """A busy picture: random patches the size of an emoji's features on the wall, smoothed a little."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 200, (13, 42, 3)).repeat(32, axis=0).repeat(32, axis=1)[13:378, 13:1302]
    return ((blocks[:-1, :-1].astype(np.int16) + blocks[1:, 1:]) // 2).astype(np.uint8)


def test_a_busy_picture_may_step_at_the_seam_as_much_as_it_changes_within_a_screen():
    left, right = _screens(_textured(1))
    assert seam_problem(left, right, WHITE, GAP) is None
    _, other = _screens(_textured(2))
    assert "does not continue" in seam_problem(left, other, WHITE, GAP)


def test_stitching_screens_of_different_heights_is_refused():
    with pytest.raises(ValueError, match="different heights"):
        stitch(np.zeros((360, 640, 3), np.uint8), np.zeros((300, 640, 3), np.uint8))
