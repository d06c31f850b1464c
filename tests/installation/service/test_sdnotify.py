"""sd_notify over a datagram socket the test binds, and the watchdog pinger in a real child process."""

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from installation.service.systemd import sdnotify
from installation.service.systemd.watchdog import notify_message
from tests.support.states import state


def _bind(path: str) -> socket.socket:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(5)
    return sock


def test_notify_sends_to_a_filesystem_socket(tmp_path):
    path = str(tmp_path / "notify")
    with _bind(path) as sock:
        assert sdnotify.notify("READY=1\nSTATUS=hi", {"NOTIFY_SOCKET": path})
        assert sock.recv(4096) == b"READY=1\nSTATUS=hi"


def test_notify_sends_to_an_abstract_socket_named_with_at():
    name = f"aimoji-test-{os.getpid()}-{time.monotonic_ns()}"
    with _bind("\0" + name) as sock:
        assert sdnotify.notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1"


@pytest.mark.parametrize("env", [{}, {"NOTIFY_SOCKET": ""}, {"NOTIFY_SOCKET": "vsock:2:1234"}])
def test_notify_without_a_usable_socket_is_a_no_op(env):
    assert sdnotify.notify("READY=1", env) is False


def test_notify_to_a_vanished_socket_returns_false(tmp_path):
    assert sdnotify.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False


@pytest.mark.parametrize("env, expected", [
    ({}, None),
    ({"WATCHDOG_USEC": "10000000"}, 10.0),
    ({"WATCHDOG_USEC": "0"}, None),
    ({"WATCHDOG_USEC": "junk"}, None),
    ({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "100"}, 4.0),  # our pid
    ({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "50"}, 4.0),  # our parent: cage
    ({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "7"}, None),  # someone else's
])
def test_watchdog_interval(env, expected):
    assert sdnotify.watchdog_interval_s(env, pid=100, parent_pid=50) == expected


BASE = {"uptime_s": 20.0, "frames__fps": 59.7, "frames__last_monotonic": 99.0, "picture__changed_monotonic": 99.5}
SNAP = state(**BASE)
OK = "STATUS=model emoji-e40, scene morph, 60 fps"


@pytest.mark.parametrize("change, ready_before, expected_lines, ready_after", [
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 1.0}, False,
     ["STATUS=starting: no emoji on screen yet"], False),
    ({}, False, ["READY=1", "MAINPID=42", "WATCHDOG=1", OK], True),
    ({}, True, ["WATCHDOG=1", OK], True),
    ({"frames__last_monotonic": 90.0}, True, ["STATUS=render loop stalled: no new frame for 10.0 s"], True),
    ({"frames__last_monotonic": 90.0}, False, ["STATUS=render loop stalled: no new frame for 10.0 s"], False),
    ({"picture__changed_monotonic": 80.0}, True, ["STATUS=picture frozen: unchanged for 20 s"], True),
    ({"picture__changed_monotonic": 80.0, "picture__still_allowed_s": 15.0}, True, ["WATCHDOG=1", OK], True),
    ({"picture__flat": True, "picture__dark": True}, True, ["STATUS=picture blank: one flat colour (black)"], True),
    ({"activity": "closed", "scene": "closed", "outside_action": "black", "picture__changed_monotonic": 10.0},
     False, ["READY=1", "MAINPID=42", "WATCHDOG=1", "STATUS=closed (black)"], True),
    ({"activity": "closed", "outside_action": "dim", "picture__changed_monotonic": 10.0}, True,
     ["STATUS=picture frozen: unchanged for 90 s"], True),
    ({"frames__last_monotonic": None, "activity": "starting", "uptime_s": 250.0, "generation__status": "model 'm' failed"},
     False, ["STATUS=starting for 250 s and no emoji on screen yet (model 'm' failed)"], False),
    # Slow is degraded, not dead: the watchdog stays fed, and STATUS says what is degraded.
    ({"frames__fps": 20.0}, True, ["WATCHDOG=1", "STATUS=model emoji-e40, scene morph, 20 fps; degraded: slow: 20.0 "
                                                "fps, target 60 fps"], True),
    ({"frames__fps": 20.0}, False, ["READY=1", "MAINPID=42", "WATCHDOG=1", "STATUS=model emoji-e40, scene morph, "
                                    "20 fps; degraded: slow: 20.0 fps, target 60 fps"], True),
    ({"picture__on_panel": 0.0}, True, ["STATUS=the calibration puts 100% of the picture off the panel (its "
                                        "offset or scale)"], True),

    # An empty wall waiting for its first image on a slow machine: fed (slow is not dead), not READY.
    ({"picture__flat": True, "picture__changed_monotonic": 95.0, "generation__making_since": 94.0}, False,
     ["WATCHDOG=1", "STATUS=model emoji-e40, scene morph, 60 fps; degraded: picture held: its next image in the "
                    "making for 6 s"], False),
])
def test_notify_message(change, ready_before, expected_lines, ready_after):
    snap = state(**{**BASE, **change})
    msg, ready, _ = notify_message(snap, now_mono=100.0, stale_s=5.0, ready_sent=ready_before,
                                   last_status=None, pid=42)
    assert msg.split("\n") == expected_lines
    assert ready == ready_after


def test_status_is_only_resent_when_it_changes():
    _, _, status = notify_message(SNAP, 100.0, 5.0, True, None, 42)
    msg, _, _ = notify_message(SNAP, 100.0, 5.0, True, status, 42)
    assert msg == "WATCHDOG=1"


CHILD = textwrap.dedent("""
    import sys, time
    from installation.player.state import FrameFacts, PictureFacts, PlayerState
    from installation.service.systemd.watchdog import WatchdogPinger
    start = time.monotonic()
    frames_for_s = float(sys.argv[1])

    def snapshot():  # frames start after 0.3 s, advance for frames_for_s, then freeze (a hung loop)
        now = time.monotonic()
        if now - start < 0.3:
            return PlayerState()
        return PlayerState("playing", uptime_s=now - start, model="m", scene="morph",
                           frames=FrameFacts(fps=60.0, target_fps=60, last_monotonic=min(now, start + 0.3 + frames_for_s)),
                           picture=PictureFacts(changed_monotonic=now))

    pinger = WatchdogPinger(snapshot)  # WatchdogSec from $WATCHDOG_USEC, socket from $NOTIFY_SOCKET
    pinger.start()
    time.sleep(float(sys.argv[2]))
""")


def test_child_process_sends_ready_then_watchdog_and_stops_pinging_when_frames_stop(tmp_path):
    path = str(tmp_path / "notify")
    sock = _bind(path)
    env = {**os.environ, "NOTIFY_SOCKET": path, "WATCHDOG_USEC": "400000"}  # 0.4 s: ping every 0.1 s
    env.pop("WATCHDOG_PID", None)
    root = Path(__file__).resolve().parents[3]
    child = subprocess.Popen([sys.executable, "-c", CHILD, "1.0", "2.6"], env=env, cwd=root)
    got = []  # (seconds since start, message lines)
    start = time.monotonic()
    sock.settimeout(0.2)
    while True:
        try:
            data = sock.recv(4096)
        except TimeoutError:
            if child.poll() is not None:
                break
            continue
        got.append((time.monotonic() - start, data.decode().split("\n")))
    ended = time.monotonic() - start
    sock.close()
    assert child.wait(5) == 0
    kinds = [line for _, lines in got for line in lines]
    assert kinds[0] == "STATUS=starting: no emoji on screen yet"
    assert kinds.index("READY=1") < kinds.index("WATCHDOG=1")
    assert f"MAINPID={child.pid}" in kinds
    pings = [t for t, lines in got if "WATCHDOG=1" in lines]
    assert len(pings) >= 5, got  # about 10 in the second of frames
    # Frames freeze 1.3 s after the child starts; pings stop for good, though it lives on for 1.3 s.
    stalled = next(t for t, lines in got if any(l.startswith("STATUS=render loop stalled") for l in lines))
    assert all(t < stalled for t in pings)
    assert ended - pings[-1] > 0.8, (ended, got)
