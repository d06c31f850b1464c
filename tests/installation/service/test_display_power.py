"""Display power: the wanted state as a table, the send/retry machine on a fake clock, and the thread
that runs the commands (a fake runner through `run=`, a real hung process for the timeout)."""

import logging
import subprocess
import sys
import threading
import time

import pytest

from installation.service.power.display_power import (DisplayPower, PowerMachine, desired_power,
                                                retry_delay_s)
from installation.service.power.power_commands import PowerCommands, PowerConfigError
from installation.show.config import OutsideHours

OFF, ON = ["display", "off"], ["display", "on"]
COMMANDS = PowerCommands(off=OFF, on=ON)
DISPLAY_OFF, BLACK, DIM = (OutsideHours(action=a) for a in ("display_off", "black", "dim"))


@pytest.mark.parametrize("is_open, action, has_commands, expected", [
    (False, "display_off", True, "off"),
    (True, "display_off", True, "on"),
    (False, "black", True, "on"),    # black on a powered screen, even if an earlier show switched it off
    (False, "dim", True, "on"),
    (True, "black", True, "on"),
    (False, "display_off", False, None),  # nothing to switch with: the player shows black
    (True, "black", False, None),
])
def test_desired_power(is_open, action, has_commands, expected):
    assert desired_power(is_open, action, has_commands) == expected


@pytest.mark.parametrize("failures, delay_s", [(1, 5), (2, 10), (3, 20), (6, 160), (7, 300), (40, 300)])
def test_retry_delay_doubles_up_to_five_minutes(failures, delay_s):
    assert retry_delay_s(failures) == delay_s


@pytest.mark.parametrize("confirmed, desired, send", [
    (None, "on", "on"),    # start: the wanted state is applied once
    (None, "off", "off"),
    ("on", "on", None),
    ("off", "off", None),
    ("on", "off", "off"),
    ("off", "on", "on"),
    ("off", None, None),   # no commands: nothing to send
])
def test_machine_sends_what_differs_from_the_last_success(confirmed, desired, send):
    machine = PowerMachine(confirmed=confirmed)
    assert machine.step(desired, now=0.0) == (send, None)


def test_failures_are_retried_with_back_off_and_each_error_logged_once():
    machine, now, lines, tries = PowerMachine(), 0.0, [], []
    errors = ["exit 1: no monitor"] * 3 + ["timed out after 15 s", "exit 1: no monitor"]
    for error in [*errors, None]:
        send, wait_s = machine.step("off", now)
        while send is None:            # the worker sleeps until the retry is due
            now += wait_s
            send, wait_s = machine.step("off", now)
        tries.append(now)
        lines.append(machine.done(error, now))
    assert tries == [0, 5, 15, 35, 75, 155]
    assert [line is not None for line in lines] == [True, False, False, True, False, True]
    assert lines[0].startswith("display off failed (exit 1: no monitor); retrying after 5 s")
    assert lines[-1] == "display off: ok after 5 failed tries"
    assert machine.confirmed == "off" and machine.status() == "off"
    assert machine.step("off", now + 1000) == (None, None)  # no more tries


def test_a_new_wish_is_tried_at_once_and_forgets_the_back_off():
    machine = PowerMachine(confirmed="on")
    assert machine.step("off", 0.0) == ("off", None)
    machine.done("exit 1: busy", 0.0)
    assert machine.step("off", 1.0) == (None, 4.0)
    assert machine.status() == "switching off: failed 1 time in a row, last: exit 1: busy"
    # the show opens again: the failed 'off' may have half-worked (state unknown), so 'on' goes out now
    assert machine.step("on", 2.0) == ("on", None)
    assert machine.done(None, 2.0) is None           # a first-try success is the shell's info line
    assert machine.step("on", 3.0) == (None, None) and machine.status() == "on"


def test_switched_off_then_edited_to_black_while_closed_switches_the_display_on():
    machine = PowerMachine()
    closed_action = lambda action: desired_power(False, action, True)  # noqa: E731
    assert machine.step(closed_action("display_off"), 0.0) == ("off", None)
    machine.done(None, 0.0)
    assert machine.step(closed_action("display_off"), 60.0) == (None, None)
    assert machine.step(closed_action("black"), 120.0) == ("on", None)


# ---- the thread ------------------------------------------------------------------------------------

class FakeRunner:
    """Stands in for subprocess.run: records each argv, answers from a script of exit codes."""

    def __init__(self, codes=(), block: threading.Event | None = None):
        self.ran, self.codes, self.block = [], list(codes), block
        self.changed = threading.Condition()

    def __call__(self, argv, **kwargs):
        if self.block is not None:
            self.block.wait(5)
        code = self.codes.pop(0) if self.codes else 0
        with self.changed:
            self.ran.append(argv)
            self.changed.notify_all()
        return subprocess.CompletedProcess(argv, code, "", "no monitor\n" if code else "")

    def wait_for(self, n: int, timeout_s: float = 5.0) -> list:
        with self.changed:
            self.changed.wait_for(lambda: len(self.ran) >= n, timeout_s)
        return list(self.ran)


def _wait_status(power, text, timeout_s=5.0):
    deadline = time.monotonic() + timeout_s
    while power.status != text and time.monotonic() < deadline:
        time.sleep(0.01)
    return power.status


def test_update_never_blocks_and_only_the_newest_wish_is_sent():
    release = threading.Event()
    runner = FakeRunner(block=release)
    power = DisplayPower(DISPLAY_OFF, COMMANDS, run=runner)
    t0 = time.monotonic()
    power.update(True)   # start: ON, which hangs until released
    time.sleep(0.05)
    power.update(False)
    power.update(True)
    power.update(False)  # only this last wish matters once ON has finished
    assert time.monotonic() - t0 < 0.2
    release.set()
    assert runner.wait_for(2) == [ON, OFF]
    assert _wait_status(power, "off") == "off"
    power.close()
    assert runner.ran == [ON, OFF]


def test_thread_retries_a_failing_command_until_it_works(caplog):
    runner = FakeRunner(codes=[1, 1, 1, 0])
    with caplog.at_level(logging.INFO, logger="aimoji.display_power"):
        power = DisplayPower(DISPLAY_OFF, COMMANDS, run=runner, first_retry_s=0.01, max_retry_s=0.04)
        power.update(False)
        assert runner.wait_for(4) == [OFF] * 4
        assert _wait_status(power, "off") == "off"
        power.close()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["display off failed (exit 1: no monitor); retrying after 0.01 s, then less often, at "
                     "least every 0.04 s, until it works or the wish changes: display off",
                     "display off: ok after 3 failed tries: display off"]


def test_thread_switches_on_when_the_show_is_edited_to_black_while_closed():
    runner = FakeRunner()
    power = DisplayPower(DISPLAY_OFF, COMMANDS, run=runner)
    power.update(False)
    assert runner.wait_for(1) == [OFF]
    power.set_outside(BLACK)
    assert runner.wait_for(2) == [OFF, ON]
    power.close()


def test_without_commands_display_off_shows_black_logged_once_and_said_in_status(caplog):
    missing = PowerConfigError("/etc/aimoji/display-power.toml: not found", missing=True)
    runner = FakeRunner()
    with caplog.at_level(logging.INFO, logger="aimoji.display_power"):
        power = DisplayPower(BLACK, None, missing, run=runner)
        power.update(False)
        assert _wait_status(power, "no display commands (/etc/aimoji/display-power.toml: not found)") == \
            "no display commands (/etc/aimoji/display-power.toml: not found)"
        assert caplog.records == []       # a missing file is fine while no show asks for display_off
        for _ in range(3):
            power.set_outside(DISPLAY_OFF)
            power.update(True)
            power.update(False)
        expected = "black instead of display_off: /etc/aimoji/display-power.toml: not found"
        assert _wait_status(power, expected) == expected
        power.close()
    assert [r.getMessage() for r in caplog.records] == [
        "/etc/aimoji/display-power.toml: not found; outside hours the screen shows black instead of display_off"]
    assert runner.ran == []


def test_a_refused_file_is_logged_at_start_even_before_a_show_needs_it(caplog):
    refused = PowerConfigError("/etc/aimoji/display-power.toml: refused, writable by others (mode 0666)")
    with caplog.at_level(logging.INFO, logger="aimoji.display_power"):
        power = DisplayPower(DISPLAY_OFF, None, refused)
        power.update(False)
        _wait_status(power, f"black instead of display_off: {refused}")
        power.close()
    assert len(caplog.records) == 1 and "refused, writable by others" in caplog.text


def test_a_hung_command_is_killed_after_the_timeout(caplog):
    hang = [sys.executable, "-c", "import time; time.sleep(30)"]
    commands = PowerCommands(off=hang, on=ON, timeout_s=0.3)
    power = DisplayPower(DISPLAY_OFF, commands, first_retry_s=60)
    t0 = time.monotonic()
    with caplog.at_level("ERROR", logger="aimoji.display_power"):
        power.update(False)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    power.close()
    assert time.monotonic() - t0 < 3
    assert "display off failed (timed out after 0.3 s)" in caplog.text


@pytest.mark.parametrize("argv, error", [
    ([sys.executable, "-c", "import sys; sys.exit('no monitor on DDC bus')"], "exit 1: no monitor on DDC bus"),
    (["/nonexistent/ddcutil"], "cannot run: No such file or directory"),
])
def test_a_failing_command_is_logged_with_its_error(caplog, argv, error):
    power = DisplayPower(DISPLAY_OFF, PowerCommands(off=OFF, on=argv), first_retry_s=60)
    with caplog.at_level("ERROR", logger="aimoji.display_power"):
        power.update(True)
        deadline = time.monotonic() + 5
        while not caplog.records and time.monotonic() < deadline:
            time.sleep(0.02)
    power.close()
    assert f"display on failed ({error})" in caplog.text
    assert power.status == f"switching on: failed 1 time in a row, last: {error}"
