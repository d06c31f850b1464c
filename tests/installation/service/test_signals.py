"""SIGTERM stops the player within 2 s (cleanly, or hard if the loop hangs); SIGHUP reloads the show."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.realtime   # real processes under real signals and sockets

ROOT = Path(__file__).resolve().parents[3]

CHILD = textwrap.dedent("""
    import queue, sys, time
    from installation.service.systemd import signals
    events = queue.Queue()  # stands in for player.post()
    hang = sys.argv[1] == "hang"
    signals.install(on_terminate=lambda: events.put("quit"), on_reload=lambda: events.put("reload"))
    print("ready", flush=True)
    while True:  # the render loop: handles queued events between frames
        time.sleep(0.016)
        try:
            event = events.get_nowait()
        except queue.Empty:
            continue
        print(event, flush=True)
        if event == "quit" and not hang:
            print("clean exit", flush=True)
            sys.exit(0)
        if event == "quit":
            time.sleep(60)  # a render loop stuck in a driver call
""")


def _start(mode):
    child = subprocess.Popen([sys.executable, "-c", CHILD, mode], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert child.stdout.readline() == "ready\n"
    return child


def test_sighup_reloads_and_sigterm_exits_cleanly_within_2_s():
    child = _start("clean")
    child.send_signal(signal.SIGHUP)
    assert child.stdout.readline() == "reload\n"
    t0 = time.monotonic()
    child.send_signal(signal.SIGTERM)
    assert child.wait(5) == 0
    assert time.monotonic() - t0 < 2.0
    assert child.stdout.read().splitlines() == ["quit", "clean exit"]


def test_sigterm_with_a_hung_loop_still_exits_before_systemd_would_kill_it():
    child = _start("hang")
    t0 = time.monotonic()
    child.send_signal(signal.SIGTERM)
    assert child.wait(5) == 0
    # Gone after the grace and before TimeoutStopSec=3 (the unit): no SIGKILL, one line saying why.
    assert time.monotonic() - t0 < 3.0
    assert child.stdout.read().splitlines() == ["quit"]
    assert "render loop did not stop within 1.8 s of SIGTERM: exiting without cleanup" in child.stderr.read()


def test_second_sigterm_exits_at_once():
    child = _start("hang")
    child.send_signal(signal.SIGTERM)
    assert child.stdout.readline() == "quit\n"
    t0 = time.monotonic()
    child.send_signal(signal.SIGTERM)
    assert child.wait(5) == 0
    assert time.monotonic() - t0 < 1.0
