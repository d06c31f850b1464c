"""Reading the clock off the render loop (clocksync/watch.py): the time daemons' tools found on PATH and
run with a time limit and a cap on their output (fake tools in a temporary folder, through the real
subprocess seam), the kernel's adjtimex, one log line per change, and `aimoji play` end to end."""

import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from installation.cli import main
from installation.clocksync import watch
from installation.clocksync.readings import DaemonClock, KernelClock
from installation.service.health.report import read_report

FIXTURES = Path(__file__).parent / "fixtures"
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def tools(tmp_path, monkeypatch):
    """The only folder on PATH, where a test writes fake `chronyc` and `timedatectl` scripts: the real
    ones (if any) are out of reach, so the machine's own daemon cannot answer."""
    folder = tmp_path / "bin"
    folder.mkdir()
    for util in ("cat", "yes", "sleep"):   # what the fake tools use
        (folder / util).symlink_to(shutil.which(util))
    monkeypatch.setenv("PATH", str(folder))

    def tool(name: str, script: str) -> Path:
        path = folder / name
        path.write_text("#!/bin/sh\n" + script)
        path.chmod(0o755)
        return path
    return tool


def test_chrony_is_asked_first(tools):
    tools("chronyc", f"cat {FIXTURES / 'chrony-far.csv'}\n")
    tools("timedatectl", f"cat {FIXTURES / 'timesyncd-synced.txt'}\n")
    daemon, why = watch.read_daemon()
    assert why == "" and daemon.daemon == "chrony" and daemon.offset_s == pytest.approx(-0.023104771)


def test_timesyncd_when_chronyd_is_not_running(tools):
    tools("chronyc", "echo '506 Cannot talk to daemon' >&2; exit 1\n")
    tools("timedatectl", f"cat {FIXTURES / 'timesyncd-synced.txt'}\n")
    daemon, why = watch.read_daemon()
    assert why == "" and daemon == DaemonClock("systemd-timesyncd", True, pytest.approx(0.002346), "192.168.1.10",
                                               pytest.approx(0.001216))


def test_neither_daemon_says_why(tools):
    tools("chronyc", "echo '506 Cannot talk to daemon' >&2; exit 1\n")
    daemon, why = watch.read_daemon()
    assert daemon is None
    assert why == "chronyc: exit status 1 (506 Cannot talk to daemon); no timedatectl"


def test_garbage_from_a_tool_is_one_reason(tools):
    tools("chronyc", "echo 'hello'\n")
    tools("timedatectl", "echo 'Failed to connect to bus: No such file or directory'; exit 1\n")
    daemon, why = watch.read_daemon()
    assert daemon is None and why.startswith("chronyc tracking: expected 14 comma-separated fields, got 1")
    assert why.endswith("timedatectl: exit status 1 (Failed to connect to bus: No such file or directory)")


def _gone(pid: int, within_s: float = 2.0) -> bool:
    end = time.monotonic() + within_s
    while time.monotonic() < end:
        if not Path(f"/proc/{pid}").exists():
            return True
        time.sleep(0.02)
    return False


@pytest.mark.realtime
def test_a_flooding_tool_is_cut_at_the_cap_and_killed(tools, tmp_path):
    pidfile = tmp_path / "pid"
    chronyc = tools("chronyc", f"echo $$ > {pidfile}\nexec yes 7F000001,127.0.0.1,9,1,0,0,0,0,0,0,0,0,0,Normal\n")
    start = time.monotonic()
    text, why = watch.run_bounded((str(chronyc), "-n", "-c", "tracking"), timeout_s=5.0, limit=64 * 1024)
    took = time.monotonic() - start
    assert text is None and why == f"{chronyc}: printed more than 64 KiB; not read"
    assert took < 2.0, took       # cut at the cap, not at the time limit
    assert _gone(int(pidfile.read_text()))
    daemon, why = watch.read_daemon()   # the whole read: the flood is a reason, not an answer
    assert daemon is None and "chronyc: printed more than 64 KiB; not read" in why


@pytest.mark.realtime
def test_a_hung_tool_and_what_it_started_are_killed_at_the_time_limit(tools, tmp_path):
    pidfile = tmp_path / "pid"
    # a half line, then a child that keeps the pipe open after the tool itself has exited
    chronyc = tools("chronyc", f"printf '7F000001,'\nsleep 60 &\necho $! > {pidfile}\nexit 0\n")
    start = time.monotonic()
    text, why = watch.run_bounded((str(chronyc),), timeout_s=0.5)
    took = time.monotonic() - start
    assert text is None and why == f"{chronyc}: no answer within 0.5 s"
    assert 0.5 <= took < 1.5, took
    assert _gone(int(pidfile.read_text()))


def test_a_tool_is_not_handed_the_players_systemd_notify_socket(tools, monkeypatch):
    """Under systemd the player holds $NOTIFY_SOCKET; a clock tool started from it must not be able to
    speak for it (systemd logs every such message as refused)."""
    monkeypatch.setenv("NOTIFY_SOCKET", "/run/systemd/notify")
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")
    chronyc = tools("chronyc", 'echo "notify=$NOTIFY_SOCKET watchdog=$WATCHDOG_USEC path=$PATH"\n')
    text, why = watch.run_bounded((str(chronyc),))
    assert why == "" and text.startswith("notify= watchdog= path=")     # the rest of the environment kept


def test_a_missing_tool_is_a_reason():
    text, why = watch.run_bounded(("/nonexistent/chronyc",))
    assert text is None and why == "/nonexistent/chronyc: No such file or directory"


def test_the_kernels_view_is_read_without_changing_anything():
    before = time.time()
    kernel, why = watch.read_kernel()
    # Linux answers mode 0 without privilege (a seccomp filter such as ProtectClock=yes would refuse it).
    assert (isinstance(kernel, KernelClock) and why == "") or (kernel is None and why.startswith("adjtimex refused"))
    assert abs(time.time() - before) < 1.0


def test_one_log_line_per_change(caplog):
    readings = iter([
        (KernelClock(True, 0.1, 0.0), DaemonClock("chrony", True, 0.001, "10.0.0.1")),
        (KernelClock(True, 0.1, 0.0), DaemonClock("chrony", True, 0.002, "10.0.0.1")),   # still synced: quiet
        (KernelClock(True, 0.1, 0.0), DaemonClock("chrony", True, 0.030, "10.0.0.1")),   # far
        (KernelClock(True, 0.1, 0.0), DaemonClock("chrony", True, 0.031, "10.0.0.1")),
        (KernelClock(False, 16.0, 16.0), None),                                          # lost
    ])
    current = {}

    def kernel():
        current["k"], current["d"] = next(readings)
        return current["k"], ""
    clock = watch.ClockWatch(lambda: 30.0, kernel=kernel, daemon=lambda: (current["d"], ""), wall=lambda: 5.0)
    with caplog.at_level(logging.INFO, logger="aimoji.clock"):
        states = [clock.poll().state for _ in range(5)]
    assert states == ["synced", "synced", "far", "far", "unsynced"]
    assert [(r.levelname, r.getMessage()[:24]) for r in caplog.records] == [
        ("INFO", "clock synchronised by ch"), ("WARNING", "clock off by +30.0 ms by"),
        ("WARNING", "clock not synchronised: ")]
    assert clock.state.state == "unsynced"


def test_the_thread_looks_at_once_and_stops():
    clock = watch.ClockWatch(lambda: 25.0, every_s=60.0, kernel=lambda: (None, "adjtimex refused: x"),
                             daemon=lambda: (None, "no chronyc; no timedatectl"))
    clock.start()
    end = time.monotonic() + 5
    while clock.state is None and time.monotonic() < end:
        time.sleep(0.01)
    clock.stop()
    assert not clock.is_alive()
    assert clock.state.line == "clock sync unknown: adjtimex refused: x; no chronyc; no timedatectl"




@pytest.mark.realtime
def test_aimoji_play_reports_the_clock_in_its_state_and_status(models_dir, tmp_path, tools, capsys):
    tools("chronyc", f"cat {FIXTURES / 'chrony-far.csv'}\n")
    show, state = tmp_path / "show.toml", tmp_path / "state.json"
    show.write_text((FIXTURES / "show-60fps.toml").read_text())
    proc = subprocess.Popen([sys.executable, "-m", "installation.cli", "play", "--headless", "--no-watch",
                             "--models", str(models_dir), "--show", str(show), "--state", str(state)],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SDL_VIDEODRIVER": "dummy", "PYTHONPATH": str(ROOT)})
    try:
        end, report = time.monotonic() + 60, None
        while time.monotonic() < end:
            try:
                report = read_report(state)
            except ValueError:
                report = None
            if report is not None and report.player.clock is not None and report.player.activity == "playing":
                break
            time.sleep(0.1)
        assert report is not None and report.player.clock is not None, "no clock in the state file"
        clock = report.player.clock
        assert (clock.source, clock.offset_s) == ("chrony", pytest.approx(-0.023104771))
        # the machine's own kernel decides between far and unsynced; either way the line says it in words
        assert clock.state in ("far", "unsynced")
        main(["status", "--state", str(state)])
        out = capsys.readouterr().out
        assert f"  clock        {clock.line}" in out
        # a single screen reports its clock; only a wall is degraded by it
        assert clock.line not in report.degraded
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=10)
    assert clock.line in err     # said once in the log
    assert err.count(clock.line) == 1


# A child under a seccomp filter that refuses adjtimex and clock_adjtime with EPERM, as systemd's
# ProtectClock=yes does: the kernel's view is then None, with the reason (x86-64 system call numbers).
SECCOMP_CHILD = r"""
import ctypes
from installation.clocksync import watch

class Filter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint)]

class Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(Filter))]

LOAD_NR, JEQ, RET = 0x20, 0x15, 0x06
ALLOW, EPERM = 0x7FFF0000, 0x00050001
code = (Filter * 5)(Filter(LOAD_NR, 0, 0, 0), Filter(JEQ, 2, 0, 305), Filter(JEQ, 1, 0, 159),
                    Filter(RET, 0, 0, ALLOW), Filter(RET, 0, 0, EPERM))
libc = ctypes.CDLL(None, use_errno=True)
assert libc.prctl(38, 1, 0, 0, 0) == 0                                   # PR_SET_NO_NEW_PRIVS
assert libc.prctl(22, 2, ctypes.byref(Program(5, code)), 0, 0) == 0       # PR_SET_SECCOMP, filter
print(watch.read_kernel())
"""


@pytest.mark.skipif(os.uname().machine != "x86_64", reason="the filter uses x86-64 system call numbers")
def test_a_sandbox_that_denies_adjtimex_is_a_reason_not_a_crash():
    out = subprocess.run([sys.executable, "-c", SECCOMP_CHILD], capture_output=True, text=True, timeout=60,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "(None, 'adjtimex refused: Operation not permitted')"
