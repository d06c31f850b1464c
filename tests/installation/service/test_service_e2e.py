"""`aimoji play` as systemd runs it: READY/WATCHDOG on a notify socket, SIGTERM, SIGHUP, and `aimoji status`
reading the live state file; and no watchdog pings while the render loop stalls."""

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
from installation.service.health.report import read_report
from installation.model.load import load
from installation.display.output import Window
from installation.player.loop import Player
from installation.service.systemd.watchdog import WatchdogPinger
from installation.show.config import load_show

pytestmark = pytest.mark.realtime   # real processes under real signals and sockets

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


def _wait_state(path, check, timeout_s=15.0, logs=None):
    end = time.monotonic() + timeout_s
    while time.monotonic() < end:
        try:
            report = read_report(path)
            if report is not None and check(report):
                return report
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise AssertionError(f"state file {path} never matched" + (f"; log: {logs.lines}" if logs else ""))


def test_ready_watchdog_and_sigterm_exit_cleanly(models_dir, tmp_path):
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(title="notify", scene="morph"))
    sock_path = tmp_path / "notify.sock"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(sock_path))
    sock.settimeout(0.2)
    # WatchdogSec=2: pings every 0.5 s while frames flow.
    proc = _play(models_dir, show, tmp_path / "state.json", {
        "NOTIFY_SOCKET": str(sock_path), "WATCHDOG_USEC": "2000000"}, ["--no-watch"])
    logs = StderrLines(proc)
    got = []  # (monotonic time, datagram)
    try:
        end = time.monotonic() + 30
        while time.monotonic() < end and sum("WATCHDOG=1" in m for _, m in got) < 4:
            try:
                got.append((time.monotonic(), sock.recv(4096).decode()))
            except socket.timeout:
                continue
        assert proc.poll() is None, logs.lines
        texts = [m for _, m in got]
        ready = next(i for i, m in enumerate(texts) if "READY=1" in m)
        assert f"MAINPID={proc.pid}" in texts[ready]
        assert any("WATCHDOG=1" in m for m in texts[ready:])
        assert any("first frame" in line for line in logs.lines)
        pings = [t for t, m in got if "WATCHDOG=1" in m]
        assert max(b - a for a, b in zip(pings, pings[1:])) < 0.8
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


def test_no_watchdog_ping_while_the_render_loop_stalls(screen, tiny_model_path, show_file):
    """The real pinger on the real player's snapshot; the render loop is stalled once through the
    player's on_frame seam for 2.5 s. With WatchdogSec=1 the pings (every 0.25 s) stop during the
    stall, STATUS says so, and they come back after it."""
    sent = []  # (monotonic time, datagram)
    player = Player(load_show(show_file("morph")), {"tiny": load(tiny_model_path)}, "tiny", Window(screen))
    stalled = []

    def stall_once(p):
        if p.stats.frames == 30 and not stalled:
            stalled.append(time.monotonic())
            time.sleep(2.5)
    player.on_frame = stall_once
    pinger = WatchdogPinger(player.snapshot, notify=lambda m: sent.append((time.monotonic(), m)),
                            watchdog_s=1.0)
    pinger.start()
    try:
        player.run(seconds=5.0)
    finally:
        pinger.stop()
    assert stalled, "the stall never happened"
    pings = [t for t, m in sent if "WATCHDOG=1" in m]
    during = [t for t in pings if stalled[0] + 0.6 < t < stalled[0] + 2.5]
    assert not during, during                                   # no ping while the wall was frozen
    assert any(t < stalled[0] for t in pings) and any(t > stalled[0] + 2.5 for t in pings)
    assert any("STATUS=render loop stalled" in m for _, m in sent)
    assert sum("READY=1" in m for _, m in sent) == 1


def test_status_reads_live_state_sighup_rereads_show_and_kill_goes_stale(models_dir, tmp_path, capsys):
    show = tmp_path / "show.toml"
    show.write_text(SHOW.format(title="first", scene="morph"))
    state = tmp_path / "state.json"
    proc = _play(models_dir, show, state, extra=["--no-watch"])   # only SIGHUP may reload here
    logs = StderrLines(proc)
    try:
        logs.wait_for("first frame")
        _wait_state(state, lambda r: r.player.activity == "playing")
        assert main(["status", "--state", str(state)]) == 0
        out = capsys.readouterr().out
        assert "AImoji player: OK" in out and "first" in out and "morph" in out

        show.write_text(SHOW.format(title="second", scene="grid"))
        proc.send_signal(signal.SIGHUP)
        logs.wait_for("show re-read ('second')", 10)
        live = _wait_state(state, lambda r: r.player.show == "second" and r.player.scene == "grid")
        assert live.pid == proc.pid

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


CLOSED = """[hours]
mon = []
tue = []
wed = []
thu = []
fri = []
sat = []
sun = []
[outside_hours]
action = "{action}"
"""


def test_display_power_from_the_service_file_follows_the_show(models_dir, tmp_path):
    """Closed with display_off: the service file's 'off' runs and the state file says so; the show
    edited to black while closed (SIGHUP): 'on' runs, since black belongs on a powered screen."""
    marker = tmp_path / "power.log"
    record = [sys.executable, "-c", "import sys; open(sys.argv[1], 'a').write(sys.argv[2] + '\\n')", str(marker)]
    power = tmp_path / "display-power.toml"
    power.write_text(f"off = {json.dumps([*record, 'off'])}\non = {json.dumps([*record, 'on'])}\n")
    power.chmod(0o644)
    show, state = tmp_path / "show.toml", tmp_path / "state.json"
    show.write_text(SHOW.format(title="night", scene="morph") + CLOSED.format(action="display_off"))
    proc = _play(models_dir, show, state, extra=["--no-watch", "--display-power", str(power)])
    logs = StderrLines(proc)
    try:
        live = _wait_state(state, lambda r: r.companions.display_power == "off", logs=logs)
        assert live.player.activity == "closed" and marker.read_text() == "off\n"
        show.write_text(SHOW.format(title="night", scene="morph") + CLOSED.format(action="black"))
        proc.send_signal(signal.SIGHUP)
        _wait_state(state, lambda r: r.companions.display_power == "on", logs=logs)
        assert marker.read_text() == "off\non\n", logs.lines
    finally:
        if proc.poll() is None:
            proc.kill()
