"""The show's [wall]: validation (one line naming the file), each screen's region in layout pixels,
this PC's screen name (--screen or /etc/aimoji/screen), and `aimoji check --screen`."""

import tomllib

import pytest

from installation.cli import main
from installation.geometry import Rect, Region
from installation.show.config import ShowError, load_show, parse_show
from installation.show.wall import LAYOUT_PX_PER_MM, ScreenError, region_for, screen_name

TWO = """
[wall]
canvas = [1930, 540]
units = "px"
morph = "span"
[[wall.screens]]
name = "left"
rect = [0, 0, 965, 540]
bezel = 5
[[wall.screens]]
name = "right"
rect = [965, 0, 965, 540]
bezel = [5, 10, 5, 10]
rotation = 180
"""


def wall_of(text: str):
    return parse_show(tomllib.loads(text), "wall.toml").wall


def test_the_syntax_reads_into_regions_in_layout_pixels():
    wall = wall_of(TWO)
    assert wall.names == ("left", "right") and wall.morph == "span"
    assert wall.region("left") == Region((1930, 540), Rect(5, 5, 955, 530), 0)
    assert wall.region("right") == Region((1930, 540), Rect(970, 10, 955, 520), 180)
    # morph = "each": the screen's visible area is a canvas of its own
    assert wall.region("right", spanning=False) == Region((955, 520), Rect(0, 0, 955, 520), 180)


def test_a_wall_in_millimetres_is_laid_out_alike_on_every_pc():
    wall = wall_of('[wall]\ncanvas = [2420.5, 680]\nunits = "mm"\n'
                   '[[wall.screens]]\nname = "a"\nrect = [0, 0, 1210.25, 680]\nbezel = 3.5\n'
                   '[[wall.screens]]\nname = "b"\nrect = [1210.25, 0, 1210.25, 680]\nbezel = 3.5\n')
    k = LAYOUT_PX_PER_MM
    assert wall.region("a") == Region((round(2420.5 * k), 680 * k), Rect(14, 14, round(1203.25 * k), 673 * k), 0)
    assert wall.region("b").visible.x == round(1213.75 * k)


SCREEN = '[[wall.screens]]\nname = "{name}"\nrect = {rect}\n{more}\n'


def screens(*specs):
    return "".join(SCREEN.format(name=n, rect=r, more=m) for n, r, m in specs)


@pytest.mark.parametrize("body, line", [
    (screens(("a", "[0, 0, 60, 100]", ""), ("b", "[50, 0, 50, 100]", "")),
     "wall.toml: wall: screens 'a' and 'b' overlap; allowed: panels side by side"),
    (screens(("a", "[0, 0, 160, 100]", "")),
     "wall.toml: wall: screen 'a' [0, 0, 160, 100] reaches off the canvas (100 x 100 px); "
     "allowed: rects inside the canvas"),
    (screens(("a", "[0, 0, 50, 100]", ""), ("a", "[50, 0, 50, 100]", "")),
     "wall.toml: wall: screen 'a' is named twice; allowed: one name per screen"),
    (screens(("a", "[0, 0, 50, 100]", "bezel = 25")),
     "wall.toml: wall.screens.1: screen 'a': bezel [25.0, 25.0, 25.0, 25.0] is wider than the panel "
     "(50 x 100); allowed: bezels that leave a visible area"),
    (screens(("a", "[0, 0, 50, 100]", "bezel = [1, 2, 3]")),
     "wall.toml: wall.screens.1.bezel: [1, 2, 3] is not a bezel; allowed: a number, or [left, top, right, bottom]"),
    (screens(("a b", "[0, 0, 50, 100]", "")),
     "wall.toml: wall.screens.1: screen name 'a b' is not one word; allowed: letters, digits, _ . -"),
    (screens(("a", "[0, 0, 50, 100]", "rotation = 45")),
     "wall.toml: wall.screens.1.rotation: 45 is not allowed; allowed: 0, 90, 180, 270"),
    ("", "wall.toml: wall.screens: missing; this key is required"),
])
def test_a_bad_wall_is_one_line_naming_the_file(body, line):
    with pytest.raises(ShowError) as exc:
        wall_of("[wall]\ncanvas = [100, 100]\n" + body)
    assert exc.value.problems == [line]


def test_panels_that_touch_do_not_overlap():
    assert wall_of("[wall]\ncanvas = [100, 100]\n" + screens(("a", "[0, 0, 50, 100]", ""),
                                                              ("b", "[50, 0, 50, 100]", ""))).names == ("a", "b")


def test_screen_name_from_the_flag_else_the_files_first_word(tmp_path):
    file = tmp_path / "screen"
    file.write_text("  right   # swapped 2026-11-02\n")
    assert screen_name("left", file) == "left"
    assert screen_name(None, file) == "right"
    file.write_text("\n")
    with pytest.raises(ScreenError, match=f"^{file}: empty; allowed: this PC's screen name"):
        screen_name(None, file)
    with pytest.raises(ScreenError, match=f"^{tmp_path / 'none'}: not found; a show with a \\[wall\\]"):
        screen_name(None, tmp_path / "none")


def test_a_name_not_on_the_wall_names_the_show_and_the_known_names():
    wall = wall_of(TWO)
    assert region_for(None, "anything", "show.toml") is None          # no wall: the whole picture
    with pytest.raises(ScreenError) as exc:
        region_for(wall, "middle", "show.toml")
    assert str(exc.value) == "show.toml: screen 'middle' is not on the wall; known: left, right"


def test_check_validates_the_wall_and_the_screen_name(tmp_path, capsys):
    show = tmp_path / "wall.toml"
    show.write_text("title = 'wall'\n" + TWO)
    assert load_show(show).wall is not None
    assert main(["check", str(show), "--screen", "right"]) == 0
    assert capsys.readouterr().out.strip() == (f"{show}: OK (show 'wall', 1 scene, UTC, a wall of 2 screens "
                                               "(left, right; this PC: right))")
    assert main(["check", str(show), "--screen", "middle"]) == 1
    assert capsys.readouterr().out.strip() == f"{show}: screen 'middle' is not on the wall; known: left, right"
