"""The gallery VM's judgement of a screendump: emoji present, black, dim (pure, no QEMU)."""

import numpy as np
import pytest

from gallery.pixels import black_problem, dim_problem, emoji_problem, look, read_ppm


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
