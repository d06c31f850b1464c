"""Dropped frames with the status page on, without and with hostile clients: the real player (headless,
1080p60 morph of the shipped default model) serving the page on loopback, first for --seconds alone,
then as long again while 200 connections trickle a request one byte a second and 20 send nothing
(tests/installation/slow_clients.py, in a process of its own), dialling again when dropped. A technician's GET of /status.json
is timed every second in both runs.

  .venv/bin/python -m benchmarks.http_clients --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import os
import logging
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
os.environ["SDL_VIDEODRIVER"] = "dummy"

import installation  # noqa: F401  (quiets pygame's banner before it is imported)
import pygame

from installation.model.load import load
from installation.display.output import Window
from installation.player.loop import Player
from installation.service.remote.http_status import HttpStatus, Settings, StatusApp
from installation.service.health.writer import StateWriter
from installation.service.remote.control import Cues
from installation.show.config import parse_show
from tests.support import slow_clients


def technician(port: int, seconds: float, out: list) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        start = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/status.json")
            ok = conn.getresponse().read() and True
            conn.close()
        except OSError:
            ok = False
        out.append((time.monotonic() - start) * 1000 if ok else None)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - start)))


def thread_cpu_s(native_id: int) -> float:
    """CPU seconds (user + system) one thread of this process has used (Linux /proc)."""
    fields = Path(f"/proc/self/task/{native_id}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(seconds: float, slow: bool, timeout_s: float) -> dict:
    pygame.display.init()
    surface = pygame.display.set_mode((1920, 1080))
    show = parse_show({"title": "http", "display": {"resolution": "1920x1080", "fps": 60},
                       "playlist": [{"scene": "morph"}]})
    model = load(ROOT / "exported_models" / "default.onnx")
    player = Player(show, {model.name: model}, model.name, Window(surface), schedule=lambda now: (0, now + 3600))
    writer = StateWriter(player.snapshot, path=ROOT / "out" / "bench-http-status.json")
    cues = Cues(ROOT / "show_configs", lambda show, path, by: None, logging.getLogger("aimoji.http"))
    server = HttpStatus(Settings(port=0), lambda s: StatusApp(writer.report, player, cues, None, "off",
                                                              server=s.counters), timeout_s=timeout_s).start()
    clients, counts = None, {}
    gets: list = []
    warm = 2.0   # model warm-up and first frame are not counted by the player either

    def beside():
        nonlocal clients
        time.sleep(warm)
        if slow:
            clients = slow_clients.apart(server.port, trickling=200, silent=20, seconds=seconds)
        technician(server.port, seconds, gets)
        if clients is not None:
            counts.update(slow_clients.report(clients))
    t = threading.Thread(target=beside, daemon=True)
    t.start()
    stats = player.run(seconds=warm + seconds + 0.5)
    t.join()
    server_cpu = thread_cpu_s(server.thread.native_id)
    server.stop()
    pygame.display.quit()
    answered = [g for g in gets if g is not None]
    return {"frames": stats["frames"], "dropped": stats["dropped_frames"], "p99": stats["frame_ms_p99"],
            "connections": counts.get("connects", 0), "cut": server.closed["timed_out"],
            "evicted": server.closed["evicted"], "gets": f"{len(answered)}/{len(gets)}",
            "get_ms": max(answered) if answered else float("nan"), "server_cpu": server_cpu,
            "clients_cpu": counts.get("cpu_s", 0.0)}


def main() -> int:
    from installation.service.health import logs
    logs.setup()   # as the player has it: repeated lines folded
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=10.0, help="length of each run (default 10)")
    ap.add_argument("--timeout", type=float, default=5.0, help="the server's request time (default 5 s)")
    args = ap.parse_args()
    quiet, hostile = run(args.seconds, False, args.timeout), run(args.seconds, True, args.timeout)
    print(f"status page on, 1080p60 morph, {args.seconds:g} s each (request time {args.timeout:g} s)")
    print(f"{'':34}{'no clients':>14}{'220 slow clients':>18}")
    rows = [("frames shown", "frames", "{:d}"), ("frames dropped", "dropped", "{:d}"),
            ("frame work ms p99", "p99", "{:.1f}"), ("slow connections made", "connections", "{:d}"),
            ("cut at the request time", "cut", "{:d}"), ("cut to make room (32 waiting)", "evicted", "{:d}"),
            ("technician GETs answered", "gets", "{}"), ("slowest technician GET ms", "get_ms", "{:.1f}"),
            ("page thread CPU s", "server_cpu", "{:.2f}"), ("slow clients' process CPU s", "clients_cpu", "{:.2f}")]
    for label, key, fmt in rows:
        print(f"{label:34}{fmt.format(quiet[key]):>14}{fmt.format(hostile[key]):>18}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
