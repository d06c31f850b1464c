"""The display connector (display/connector.py) on a fake sysfs tree: which connector the display uses,
what the status says, one log line per unplug and replug, a re-open on reconnect, a loose cable that
cannot flood the journal, and a machine without DRM that is said once and never crashes."""

import logging
import threading
import time

import pytest

from installation.display.connector import (SETTLE_S, Connector, ConnectorWatch, DisplayLink, in_use,
                                            read_connectors)
from tests.support.drm import plug

HDMI, DP = "card0-HDMI-A-1", "card0-DP-1"
TODAY_1402 = time.mktime(time.localtime()[:3] + (14, 2, 0, 0, 0, -1))


class Clocks:
    """Monotonic and wall time, moved by hand."""

    def __init__(self, wall=TODAY_1402):
        self.t, self.wall_t = 1000.0, wall

    def clock(self):
        return self.t

    def wall(self):
        return self.wall_t

    def advance(self, seconds):
        self.t += seconds
        self.wall_t += seconds


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger="aimoji.display")
    return lambda: [r.getMessage() for r in caplog.records if r.name == "aimoji.display"]


def test_the_connectors_are_read_from_sysfs(tmp_path):
    plug(tmp_path, HDMI)
    plug(tmp_path, DP, "disconnected", enabled=False)
    plug(tmp_path, "card0-Writeback-1", "unknown", enabled=False)
    (tmp_path / "card0").mkdir()           # the card itself, not a connector
    (tmp_path / "card1-VGA-1").mkdir()     # vanished while read: no status file
    assert read_connectors(tmp_path) == [Connector(DP, "disconnected", False), Connector(HDMI, "connected", True)]
    assert read_connectors(tmp_path / "nowhere") == []


C = Connector
@pytest.mark.parametrize("connectors, previous, used, others", [
    ([C(HDMI, "connected", True)], None, HDMI, []),
    ([C(DP, "connected", False), C(HDMI, "connected", True)], None, HDMI, [DP]),      # the one scanned out
    ([C(DP, "connected", True), C(HDMI, "connected", True)], HDMI, HDMI, [DP]),       # the one used before
    ([C(DP, "connected", False), C(HDMI, "disconnected", True)], HDMI, DP, []),       # moved to another port
    ([C(DP, "disconnected", False), C(HDMI, "disconnected", True)], None, HDMI, []),  # unplugged: the enabled
    ([C(DP, "disconnected", True), C(HDMI, "disconnected", False)], HDMI, HDMI, []),  # unplugged: as before
    ([C(DP, "disconnected", False), C(HDMI, "disconnected", False)], None, None, []),  # cannot be told
    ([C("card0-VGA-1", "unknown", True)], None, "card0-VGA-1", []),                   # cannot sense a panel
    ([C("card0-VGA-1", "unknown", False)], None, "card0-VGA-1", []),
])
def test_which_connector_the_display_uses(connectors, previous, used, others):
    chosen, rest = in_use(connectors, previous)
    assert (chosen and chosen.name, rest) == (used, others)


@pytest.mark.parametrize("link, text", [
    (DisplayLink(True, HDMI, TODAY_1402), f"display connected ({HDMI})"),
    (DisplayLink(True, HDMI, TODAY_1402, (DP,)), f"display connected ({HDMI}; also connected: {DP})"),
    (DisplayLink(False, HDMI, TODAY_1402), f"display disconnected since 14:02 ({HDMI})"),
    (DisplayLink(False, None, TODAY_1402), "display disconnected since 14:02 (no panel on any connector)"),
    (DisplayLink(False, HDMI, TODAY_1402 - 86400),
     f"display disconnected since {time.strftime('%b %d', time.localtime(TODAY_1402 - 86400))} 14:02 ({HDMI})"),
    (DisplayLink(None, None, TODAY_1402),
     "display connector unknown: no DRM connectors in /sys/class/drm, so unplugging goes unnoticed"),
])
def test_the_status_line(link, text):
    assert link.status(TODAY_1402 + 600) == text


def test_unplug_and_replug_are_one_line_each_and_the_replug_reopens_the_display(tmp_path, lines):
    plug(tmp_path, HDMI)
    clocks, reopened = Clocks(TODAY_1402 - 60), []
    watch = ConnectorWatch(reopened.append, root=tmp_path, clock=clocks.clock, wall=clocks.wall)
    assert watch.state.connected and lines() == [f"display connected ({HDMI})"]

    clocks.advance(60)
    plug(tmp_path, HDMI, "disconnected")   # the panel's cable pulled; the CRTC still points at it
    for _ in range(30):                    # a minute of looks
        watch.poll()
        clocks.advance(2)
    assert watch.state == DisplayLink(False, HDMI, TODAY_1402, root=str(tmp_path))
    assert watch.status() == f"display disconnected since 14:02 ({HDMI})"
    assert lines()[1:] == [f"display disconnected since 14:02 ({HDMI})"] and reopened == []

    plug(tmp_path, HDMI)
    watch.poll()
    watch.poll()
    assert watch.state.connected and watch.state.since == clocks.wall()
    assert lines()[2:] == [f"display connected ({HDMI}) again; re-opening the display"]
    assert reopened == [watch.state]


def test_a_loose_cable_writes_a_bounded_number_of_lines_and_reopens_once_it_holds(tmp_path, lines):
    plug(tmp_path, HDMI)
    clocks, reopened = Clocks(), []
    watch = ConnectorWatch(reopened.append, root=tmp_path, clock=clocks.clock, wall=clocks.wall)
    for n in range(1800):   # an hour, a change at every look
        plug(tmp_path, HDMI, "disconnected" if n % 2 == 0 else "connected")
        watch.poll()
        assert watch.state.connected is (n % 2 == 1)   # the status is the truth at every look
        clocks.advance(2)
    said = lines()
    assert len(said) == 1 + 4 + 1, said                 # the first look, 4 changes, 'keeps changing'
    assert "the connector keeps changing (5 times in 60 s)" in said[-1]
    assert len(reopened) == 2                           # the replugs said before it flapped
    for _ in range(int(SETTLE_S / 2) + 1):              # it holds still, connected
        watch.poll()
        clocks.advance(2)
    assert lines()[6:] == [f"display connected ({HDMI}); it held still after 1795 more changes"]
    assert len(reopened) == 3 and reopened[-1].connected


def test_no_drm_at_all_is_said_once_and_a_late_driver_is_noticed(tmp_path, lines):
    root = tmp_path / "drm"
    clocks, reopened = Clocks(), []
    watch = ConnectorWatch(reopened.append, root=root, clock=clocks.clock, wall=clocks.wall)
    for _ in range(100):
        watch.poll()
        clocks.advance(2)
    assert watch.state.connected is None and "no DRM connectors" in watch.status()
    assert lines() == [f"display connector unknown: no DRM connectors in {root}, so unplugging goes unnoticed"]
    plug(root, "card0-Virtual-1")   # the KMS driver loaded late
    watch.poll()
    assert watch.state.connected and len(lines()) == 2 and len(reopened) == 1


def test_a_callback_that_raises_is_one_line_and_the_watch_goes_on(tmp_path, lines):
    plug(tmp_path, HDMI, "disconnected")
    watch = ConnectorWatch(lambda state: 1 / 0, root=tmp_path)
    plug(tmp_path, HDMI)
    watch.poll()
    assert lines()[-1] == "display re-open after reconnect failed: ZeroDivisionError: division by zero"
    plug(tmp_path, HDMI, "disconnected")
    assert watch.poll().connected is False


def test_the_thread_polls_until_stopped(tmp_path):
    plug(tmp_path, HDMI)
    back = threading.Event()
    watch = ConnectorWatch(lambda state: back.set(), root=tmp_path, every_s=0.01)
    watch.start()
    plug(tmp_path, HDMI, "disconnected")
    deadline = time.monotonic() + 5
    while watch.state.connected and time.monotonic() < deadline:
        time.sleep(0.01)
    assert watch.state.connected is False
    plug(tmp_path, HDMI)
    assert back.wait(5)
    watch.stop()
    assert not watch.is_alive()
