"""One screen's viewport onto a wall's canvas: the pure maths (fit, crop) by table, then drawn pixels on a
plain surface (letterbox bars, crops at the visible edge, a panel mounted on its side)."""

import numpy as np
import pygame
import pytest

from installation.display.screen import Screen
from installation.display.viewport import Viewport, crop, mapping, source_span
from installation.geometry import Rect, Region


def test_the_visible_area_fills_the_panel_keeping_its_aspect():
    m = mapping(Region((1930, 540), Rect(970, 5, 955, 530)), (1910, 1080))
    assert m.k == pytest.approx(1910 / 955)
    assert (m.x(970), m.x(970 + 955)) == (0, 1910)                      # full width
    assert (m.y(5), m.y(535)) == (10, 1070)                              # 10 px bars top and bottom


@pytest.mark.parametrize("start, length, part_start, part_length, n, span", [
    (0, 320, 0, 320, 32, (0, 32)),         # all of it
    (0, 320, 100, 220, 32, (9, 32)),       # from source pixel 10, one more before the cut
    (0, 320, 0, 105, 32, (0, 12)),         # to the middle of pixel 10, whole pixels and one more
    (-50, 100, 0, 50, 10, (4, 10)),
])
def test_source_span_covers_the_visible_part_in_whole_pixels(start, length, part_start, part_length, n, span):
    assert source_span(start, length, part_start, part_length, n) == span


def test_an_image_partly_outside_is_cropped_small_and_cut_to_the_visible_area():
    region = Region((200, 100), Rect(100, 0, 100, 100))
    m = mapping(region, (100, 100))                                      # k = 1
    c = crop(m, region, Rect(60, 0, 80, 80), (8, 8))                     # 10 px per source pixel
    assert (c.cols.start, c.cols.stop, c.rows.start, c.rows.stop) == (3, 8, 0, 8)
    assert c.scaled == Rect(-10, 0, 50, 80) and c.shown == Rect(0, 0, 40, 80)
    assert crop(m, region, Rect(0, 0, 100, 100), (8, 8)) is None          # wholly on the other screen


def screen(size):
    return Screen(pygame.Surface(size), background=(255, 255, 255))


def colours():
    """A 2 x 4 image (w x h) whose pixels are all different."""
    return np.arange(24, dtype=np.uint8).reshape(4, 2, 3) * 10


def test_drawn_through_the_viewport_only_the_visible_part_lands_and_bars_are_black():
    s = screen((100, 60))
    view = Viewport(s, Region((200, 100), Rect(100, 0, 100, 100)))       # right half, on a wider panel
    view.fill((255, 255, 255))
    view.draw(view.place(colours(), Rect(50, 0, 100, 100), "pixel"))   # 2 source px of 50: only the right one
    px = s.pixels()
    assert (px[:, :20] == 0).all() and (px[:, 80:] == 0).all()           # letterbox bars (60 x 60 picture)
    assert tuple(px[0, 20]) == (30, 40, 50) and tuple(px[59, 49]) == (210, 220, 230)   # its right column
    assert (px[:, 50:80] == 255).all()                                   # beyond the image: background


def test_a_panel_on_its_side_turns_the_picture():
    s = screen((80, 40))                                                 # a landscape panel...
    view = Viewport(s, Region((40, 80), Rect(0, 0, 40, 80), rotation=90))   # ...showing a portrait canvas
    assert view.size == (40, 80)
    image = colours()
    view.draw(view.place(image, Rect(0, 0, 40, 80), "pixel"))
    px = s.pixels()
    assert tuple(px[0, 79]) == tuple(image[0, 0])       # the canvas's top-left: the display's top-right
    assert tuple(px[39, 0]) == tuple(image[3, 1])       # its bottom-right: the display's bottom-left


def test_the_bars_stay_black_where_an_image_meets_them_off_the_blit_alignment():
    s = screen((102, 60))                                                # bars of 21 px: off the 4 px grid
    view = Viewport(s, Region((200, 100), Rect(100, 0, 100, 100)))
    view.fill((255, 255, 255))
    view.draw(view.place(np.full((8, 8, 3), 100, np.uint8), Rect(100, 0, 100, 100), "smooth"))
    px = s.pixels()
    assert (px[:, :21] == 0).all() and (px[:, 81:] == 0).all()
    assert (px[:, 21:81] == 100).all()
