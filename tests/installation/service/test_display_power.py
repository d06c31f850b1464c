"""Display off/on commands at opening-hour transitions, from a side thread with a timeout."""

import subprocess
import sys
import threading
import time

import pytest

from installation.service.display_power import DisplayPower, command_for
from installation.show.config import OutsideHours

OFF, ON = ["display", "off"], ["display", "on"]
POWER = OutsideHours(action="display_off", display_off_command=OFF, display_on_command=ON)


@pytest.mark.parametrize("outside, previous, now_open, expected", [
    (POWER, None, True, ON),  # after a restart: put the display in the wanted state
    (POWER, None, False, OFF),
    (POWER, True, False, OFF),
    (POWER, False, True, ON),
    (POWER, True, True, None),
    (POWER, False, False, None),
    (OutsideHours(action="black", display_off_command=OFF), True, False, None),
    (OutsideHours(action="dim"), False, True, None),
    (OutsideHours(action="display_off", display_off_command=OFF), False, True, None),  # no 'on' command
])
def test_command_for(outside, previous, now_open, expected):
    assert command_for(previous, now_open, outside) == expected


def test_update_never_blocks_and_runs_commands_in_order():
    ran, release = [], threading.Event()

    def slow_run(argv, **kwargs):
        release.wait(5)
        ran.append(argv)
        return subprocess.CompletedProcess(argv, 0, "", "")

    power = DisplayPower(POWER, run=slow_run)
    t0 = time.monotonic()
    power.update(True)   # starts ON, which hangs until released
    time.sleep(0.05)
    power.update(False)  # queued
    power.update(True)   # replaces the queued OFF: only the newest state matters
    power.update(False)
    assert time.monotonic() - t0 < 0.2
    release.set()
    deadline = time.monotonic() + 5
    while len(ran) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    power.close()
    assert ran == [ON, OFF]


def test_a_hung_command_is_killed_after_the_timeout(caplog):
    hang = [sys.executable, "-c", "import time; time.sleep(30)"]
    power = DisplayPower(OutsideHours(action="display_off", display_off_command=hang), timeout_s=0.3)
    t0 = time.monotonic()
    with caplog.at_level("ERROR", logger="aimoji.display_power"):
        power.update(False)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    power.close()
    assert time.monotonic() - t0 < 3
    assert "display command timed out after 0.3 s" in caplog.text


def test_a_failing_command_is_logged_with_its_error(caplog):
    fail = [sys.executable, "-c", "import sys; sys.exit('no monitor on DDC bus')"]
    power = DisplayPower(OutsideHours(action="display_off", display_off_command=OFF, display_on_command=fail))
    with caplog.at_level("ERROR", logger="aimoji.display_power"):
        power.update(True)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    power.close()
    assert "failed (exit 1)" in caplog.text and "no monitor on DDC bus" in caplog.text
