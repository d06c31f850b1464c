"""The wiring's pure parts: when systemd may hear READY, the test stall hook, the calibration source
(keep the last good profile), and the calibrated canvas/margins arithmetic."""

import logging

import pytest

from installation import calibration as cal
from installation.messages import UNCHANGED
from installation.player_io import canvas_size, margins
from installation.runtime import Calibrations, parse_stall, ready_gated
from installation.show import parse_show


@pytest.mark.parametrize("snap,passes", [
    ({"frames": 0, "state": "starting", "uptime_s": 1.0, "last_frame_monotonic": 5.0}, False),
    ({"frames": 1, "state": "playing", "uptime_s": 1.0, "last_frame_monotonic": 5.0}, True),
    ({"frames": 0, "state": "closed", "uptime_s": 1.0, "last_frame_monotonic": 5.0}, True),
    ({"frames": 0, "state": "starting", "uptime_s": 61.0, "last_frame_monotonic": 5.0}, True),
])
def test_ready_waits_for_the_first_emoji(snap, passes):
    gated = ready_gated(lambda: snap, grace_s=60)()
    assert gated["last_frame_monotonic"] == (5.0 if passes else None)
    assert snap["last_frame_monotonic"] == 5.0              # the player's own snapshot is untouched


@pytest.mark.parametrize("text,want", [(None, None), ("", None), ("4:3", (4.0, 3.0)), ("0.5:2.5", (0.5, 2.5))])
def test_parse_stall(text, want):
    assert parse_stall(text) == want


def test_calibrations_keep_the_last_good_profile(tmp_path):
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logging.getLogger("aimoji.runtime").addHandler(handler)  # 'aimoji' may not propagate (logs.setup)
    show_file = tmp_path / "show.toml"
    show = parse_show({"calibration": "cal.toml"})
    source = Calibrations()
    assert source.for_show(show, show_file) is UNCHANGED      # missing at start: uncalibrated
    assert source.current is None
    good = cal.Profile(colour=cal.Colour(gamma=1.5))
    cal.save_profile(tmp_path / "cal.toml", good)
    first = source.for_show(show, show_file)
    assert first.profile == good
    assert source.for_show(show, show_file) is first          # unchanged file: the same object
    (tmp_path / "cal.toml").write_text("[colour]\ngamma = 99\n")
    assert source.for_show(show, show_file) is UNCHANGED      # bad edit: keep the last good one
    assert source.current is first
    logging.getLogger("aimoji.runtime").removeHandler(handler)
    assert len(lines) == 2 and "playing uncalibrated" in lines[0]
    assert "keeping the previous calibration" in lines[1] and "gamma" in lines[1]
    assert source.for_show(parse_show({}), show_file) is None  # the show no longer names one


@pytest.mark.parametrize("rect,screen,want", [
    ((0, 0, 160, 120), (160, 120), []),
    ((20, 0, 120, 120), (160, 120), [(0, 0, 20, 120), (140, 0, 20, 120)]),
    ((10, 5, 100, 100), (160, 120), [(0, 0, 10, 120), (110, 0, 50, 120), (10, 0, 100, 5), (10, 105, 100, 15)]),
    ((-30, 0, 160, 120), (160, 120), [(130, 0, 30, 120)]),     # shifted left past the edge
    ((200, 0, 160, 120), (160, 120), [(0, 0, 160, 120)]),      # off screen entirely: all black
])
def test_margins_around_the_picture(rect, screen, want):
    assert margins(rect, screen) == want


@pytest.mark.parametrize("geometry,want", [
    (cal.Geometry(), (1920, 1080)),
    (cal.Geometry(rotation_deg=180, mirror_h=True), (1920, 1080)),
    (cal.Geometry(rotation_deg=90), (1080, 608)),             # turned upright: 608 x 1080 on screen
    (cal.Geometry(scale=0.5, offset_x_px=100), (960, 540)),
])
def test_canvas_is_the_picture_before_turning(geometry, want):
    class Calibrated:
        profile = cal.Profile(geometry=geometry)
    assert canvas_size(Calibrated(), (1920, 1080)) == want
    assert canvas_size(object(), (1920, 1080)) == (1920, 1080)  # test doubles without a profile
