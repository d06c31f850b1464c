"""display.scale as the wall shows it: every mode fills its rect, pixel gives exact blocks, sharp keeps
edges steeper than smooth without inventing values, and calms the mottle instead of sharpening it."""

import numpy as np
import pygame
import pytest

from installation.display.screen import scale_to, to_surface

MODES = ["smooth", "pixel", "sharp"]
RNG = np.random.default_rng(16)


def scaled(image: np.ndarray, size: tuple[int, int], mode: str) -> np.ndarray:
    return pygame.surfarray.array3d(scale_to(to_surface(image), size, mode)).transpose(1, 0, 2)


def edge_with_mottle() -> np.ndarray:
    """A 64 px image: dark left half, light right half (a hard vertical edge), both mottled by +-8."""
    image = np.full((64, 64, 3), 40, np.int16)
    image[:, 32:] = 200
    return (image + RNG.integers(-8, 9, image.shape)).astype(np.uint8)


def edge_width(picture: np.ndarray) -> int:
    """Screen columns the edge takes to rise from 10 % to 90 % of the way (rows averaged)."""
    row = picture[:, :, 0].mean(axis=0)
    return int(np.count_nonzero((row > 40 + 0.1 * 160) & (row < 40 + 0.9 * 160)))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("small, size", [
    (64, (1080, 1080)),   # a morph at 1080p
    (128, (1080, 1080)),  # a 128 px model's morph
    (64, (135, 135)),     # an 8 x 8 grid's tile
    (16, (112, 112)),     # an evolution frame
    (64, (300, 170)),     # not square
    (64, (40, 40)),       # smaller than the image
])
def test_every_mode_fills_the_rect_it_is_given(mode, small, size):
    image = RNG.integers(0, 256, (small, small, 3), np.uint8)
    assert scaled(image, size, mode).shape == (size[1], size[0], 3)


@pytest.mark.parametrize("mode", MODES)
def test_an_image_already_the_right_size_is_shown_as_it_is(mode):
    image = RNG.integers(0, 256, (64, 64, 3), np.uint8)
    assert np.array_equal(scaled(image, (64, 64), mode), image)


def test_pixel_makes_every_generated_pixel_an_exact_block():
    image = RNG.integers(0, 256, (16, 16, 3), np.uint8)
    blocks = image.repeat(7, axis=0).repeat(7, axis=1)
    assert np.array_equal(scaled(image, (112, 112), "pixel"), blocks)
    # At a size that is no whole multiple, every screen pixel is still one of the image's pixels.
    colours = {tuple(c) for c in image.reshape(-1, 3)}
    assert {tuple(c) for c in scaled(image, (100, 100), "pixel").reshape(-1, 3)} <= colours


def test_sharp_keeps_an_edge_much_steeper_than_smooth():
    image = edge_with_mottle()
    smooth = edge_width(scaled(image, (1080, 1080), "smooth"))
    sharp = edge_width(scaled(image, (1080, 1080), "sharp"))
    assert smooth >= 12                 # bilinear at 16.9x: the edge is a ramp of ~14 screen pixels
    assert sharp <= smooth / 2


def test_sharp_calms_the_mottle_where_smooth_keeps_it():
    image = edge_with_mottle()
    flat = (slice(100, 900), slice(50, 400))   # inside the dark half, away from the edge
    sharp, smooth = (scaled(image, (1080, 1080), mode)[flat].std() for mode in ("sharp", "smooth"))
    assert sharp < 0.8 * smooth


def test_sharp_leaves_an_image_magnified_less_than_4x_to_smooth():
    # Under 4x (an 8 x 8 grid's 135 px tile at 1080p is 2.1x), smooth's edges are within 4 screen pixels.
    image = edge_with_mottle()
    assert np.array_equal(scaled(image, (250, 250), "sharp"), scaled(image, (250, 250), "smooth"))
    assert not np.array_equal(scaled(image, (260, 260), "sharp"), scaled(image, (260, 260), "smooth"))


@pytest.mark.parametrize("small, size", [(64, (1080, 1080)), (128, (1080, 1080)), (64, (300, 300)),
                                         (64, (2160, 2160))])
def test_sharp_stays_within_the_values_of_the_image(small, size):
    image = RNG.integers(30, 220, (small // 8, small // 8, 3)).repeat(8, 0).repeat(8, 1)   # hard edges
    image = np.clip(image + RNG.integers(-10, 11, image.shape), 0, 255).astype(np.uint8)
    out = scaled(image, size, "sharp")
    assert (out.min(axis=(0, 1)) >= image.min(axis=(0, 1))).all()
    assert (out.max(axis=(0, 1)) <= image.max(axis=(0, 1))).all()
