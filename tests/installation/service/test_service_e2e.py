"""`aimoji play` as systemd runs it: READY/WATCHDOG on a notify socket (and no pings while the render
loop stalls), SIGTERM, SIGHUP, and `aimoji status` reading the live state file."""

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from installation.cli import main

ROOT = Path(__file__).resolve().parents[3]

SHOW = """title = "{title}"
seed = 3
[display]
resolution = "160x120"
fps = 30
[transitions]
crossfade_s = 0
[[playlist]]
scene = "{scene}"
duration_s = 600
"""


def _play(models_dir, show, state, env=None, extra=()):
    cmd = [sys.executable, "-m", "installation.cli", "play", "--headless", "--models", str(models_dir),
           "--show", str(show), "--state", str(state), *extra]
    return subprocess.Popen(cmd, cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "SDL_VIDEODRIVER": "dummy", **(env or {})})


class StderrLines(threading.Thread):
    """Collects the player's log lines so a test can wait for one."""

    def __init__(self, proc):
        super().__init__(daemon=True)
        self.proc, self.lines = proc, []
        self.start()

    def run(self):
        for line in self.proc.stderr:
            self.lines.append(line.rstrip("\n"))

    def wait_for(self, text, timeout_s=30.0):
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if any(text in line for line in self.lines):
                return
            time.sleep(0.02)
        raise AssertionError(f"no log line with {text!r}; got: {self.lines}")


def _wait_state(path, check, timeout_s=15.0):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            state = json.loads(path.read_text())
            if check(state):
                return state
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"state file {path} never matched")


def test_ready_watchdog_stops_while_stalled_and_sigterm_exits_cleanly(models_dir, tmp_path):
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(title="notify", scene="morph"))
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.2)
    # WatchdogSec=2: pings every 0.5 s, none once the last frame is older than 1 s. The test-only
    # hook stalls the render loop for 3 s once it has run 4 s (the process stays alive).
    proc = _play(models_dir, show, tmp_path / "state.json", {
        "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000", "AIMOJI_TEST_STALL": "4:3"},
        ["--no-watch"])
    logs = StderrLines(proc)
    got = []  # (monotonic time, datagram)
    try:
        end = time.monotonic() + 40
        while time.monotonic() < end:
            try:
                got.append((time.monotonic(), sock.recv(4096).decode()))
            except socket.timeout:
                continue
            if any("stalling" in line for line in logs.lines) and got[-1][0] > _stall_end(got) + 1.0:
                break
        assert proc.poll() is None, logs.lines
        texts = [m for _, m in got]
        ready = next(i for i, m in enumerate(texts) if "READY=1" in m)
        assert f"MAINPID={proc.pid}" in texts[ready]
        assert any("WATCHDOG=1" in m for m in texts[ready:])
        assert any("first frame" in line for line in logs.lines)
        pings = [t for t, m in got if "WATCHDOG=1" in m]
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert max(gaps) >= 2.0, gaps            # the stall: no ping for 2+ s (0.5 s apart otherwise)
        assert sorted(gaps)[len(gaps) // 2] < 0.8
        assert any("STATUS=stalled" in m for m in texts)
        assert pings[-1] > pings[gaps.index(max(gaps))] + 0.1  # pings came back after the stall
        sent = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
        assert time.monotonic() - sent < 2.0
        tail = []
        try:
            while True:
                tail.append(sock.recv(4096).decode())
        except socket.timeout:
            pass
        assert any("STOPPING=1" in m for m in tail), tail
        assert not (tmp_path / "state.json").exists()  # a stopped player reads as 'not running'
    finally:
        if proc.poll() is None:
            proc.kill()
        sock.close()


def _stall_end(got):
    """Time of the first ping after the longest silence, or +inf while still silent."""
    pings = [t for t, m in got if "WATCHDOG=1" in m]
    gaps = [(b - a, b) for a, b in zip(pings, pings[1:])]
    if not gaps or max(gaps)[0] < 2.0:
        return float("inf")
    return max(gaps)[1]


def test_status_reads_live_state_sighup_rereads_show_and_kill_goes_stale(models_dir, tmp_path, capsys):
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(title="first", scene="morph"))
    state = tmp_path / "state.json"
    proc = _play(models_dir, show, state, extra=["--no-watch"])   # only SIGHUP may reload here
    logs = StderrLines(proc)
    try:
        logs.wait_for("first frame")
        _wait_state(state, lambda s: s.get("state") == "playing")
        assert main(["status", "--state", str(state)]) == 0
        out = capsys.readouterr().out
        assert "AImoji player: OK" in out and "first" in out and "morph" in out

        show.write_text(SHOW.format(title="second", scene="grid"))
        proc.send_signal(signal.SIGHUP)
        logs.wait_for("show re-read ('second')", 10)
        live = _wait_state(state, lambda s: s.get("show") == "second" and s.get("scene") == "grid")
        assert live["pid"] == proc.pid

        show.write_text("title = 'broken\n")              # a bad edit: one line, the show goes on
        proc.send_signal(signal.SIGHUP)
        logs.wait_for("still playing the previous show", 10)
        assert proc.poll() is None

        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=5)
        time.sleep(1.2)
        assert main(["status", "--state", str(state), "--max-age", "1"]) == 1
        assert "stale" in capsys.readouterr().out
    finally:
        if proc.poll() is None:
            proc.kill()


@pytest.mark.parametrize("bad", ["calibration = 'missing.toml'\n"])
def test_bad_calibration_profile_is_one_line_and_plays_uncalibrated(models_dir, tmp_path, capsys, bad):
    show = tmp_path / "show.toml"
    show.write_text(bad + SHOW.format(title="cal", scene="morph"))
    rc = main(["play", "--headless", "--seconds", "1", "--no-watch", "--models", str(models_dir),
               "--show", str(show), "--state", str(tmp_path / "s.json"), "--stats-json", str(tmp_path / "st.json")])
    assert rc == 0
    errors = [line for line in capsys.readouterr().err.splitlines() if "ERROR" in line or "<3>" in line]
    assert len(errors) == 1 and str(tmp_path / "missing.toml") in errors[0] and "uncalibrated" in errors[0]
    assert json.loads((tmp_path / "st.json").read_text())["frames"] > 10
