"""The wiring's pure parts: the calibration source
(keep the last good profile). The calibrated frame's arithmetic: tests/installation/calibration/test_frame_map.py."""

import logging


from installation.calibration import profile as cal
from installation.player.messages import UNCHANGED
from installation.service.runtime import Calibrations
from installation.show.config import parse_show


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
