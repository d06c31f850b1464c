"""The wiring's pure parts: when systemd may hear READY, and the calibration source
(keep the last good profile). The calibrated frame's arithmetic: tests/installation/calibration/test_frame_map.py."""

import logging

import pytest

from installation.calibration import profile as cal
from installation.player.messages import UNCHANGED
from installation.service.runtime import Calibrations, ready_gated
from installation.show.config import parse_show


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
