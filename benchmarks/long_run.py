"""Three days of a museum in minutes: the real player on a fast clock, through opening hours, closings
and a DST change, with its resources printed at every simulated hour (they must stay flat).

The player's monotonic clock and its wall clock run `--speed` times faster than real time from a
chosen start (default 2026-10-23 00:00 in Vienna: the clocks go back on Sunday the 25th). Pacing
cannot keep up at that speed, so frames are fewer and counted as dropped; what is measured here is
that schedule, walk, health and the resource counters behave over days: RSS, open file descriptors
and threads per simulated hour, scenes and hand-overs, and the health verdict at each hour.

  .venv/bin/python -m benchmarks.long_run                  # 72 h at 720x: about 6 minutes
  .venv/bin/python -m benchmarks.long_run --hours 6 --speed 2000
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
from dataclasses import replace
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
os.environ["SDL_VIDEODRIVER"] = "dummy"

import installation  # noqa: F401  (quiets pygame's banner before it is imported)
import pygame

from installation.model.load import load
from installation.display.output import Window
from installation.player.loop import Player
from installation.player.messages import Quit
from installation.service.health import verdict as health
from installation.show.config import parse_show
from installation.text import MB

SHOW = {
    "title": "long run", "timezone": "Europe/Vienna", "seed": 5,
    "display": {"resolution": "320x240", "fps": 30},
    "transitions": {"crossfade_s": 2.0},
    "hours": {"mon": [], "tue": ["10:00-18:00"], "wed": ["10:00-18:00"], "thu": ["10:00-21:00"],
              "fri": ["10:00-18:00"], "sat": ["10:00-18:00"], "sun": ["10:00-18:00"]},
    "outside_hours": {"action": "dim", "dim_level": 0.2},
    "playlist": [{"scene": "morph", "duration_s": 1200}, {"scene": "grid", "cols": 4, "rows": 3, "duration_s": 900},
                 {"scene": "morph", "mood": None, "duration_s": 600}],
}


def resources() -> tuple[float, int, int]:
    with open("/proc/self/status") as fh:
        rss = next(int(line.split()[1]) * 1024 / MB for line in fh if line.startswith("VmRSS:"))
    return rss, len(os.listdir("/proc/self/fd")), threading.active_count()


class FastClock:
    """Monotonic and wall clocks `speed` times faster than real time, wall starting at `start`. The wall
    clock reads the monotonic one's last value: two separate readings a few real milliseconds apart
    would differ by seconds at this speed, which the player would rightly take for a clock step."""

    def __init__(self, speed: float, start: float):
        self.speed, self.start, self.t0 = speed, start, time.monotonic()
        self.last = 0.0

    def mono(self) -> float:
        self.last = (time.monotonic() - self.t0) * self.speed
        return self.last

    def wall(self) -> float:
        return self.start + self.last


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hours", type=float, default=72.0, help="simulated hours (default 72)")
    ap.add_argument("--speed", type=float, default=720.0, help="simulated seconds per real second (default 720)")
    ap.add_argument("--start", default="2026-10-23T00:00", help="local start in the show's zone")
    args = ap.parse_args()
    zone = ZoneInfo(SHOW["timezone"])
    start = datetime.fromisoformat(args.start).replace(tzinfo=zone).timestamp()
    fake = FastClock(args.speed, start)
    pygame.display.init()
    screen = pygame.display.set_mode((320, 240))
    model = load(ROOT / "tests" / "installation" / "fixtures" / "tiny.onnx", batch=4)
    lines: list[str] = []
    player = Player(parse_show(SHOW), {"tiny": model}, "tiny", Window(screen), batch=4, clock=fake.mono,
                    wall=fake.wall, log=lines.append)
    rows = []

    def sample():
        hour = 0
        while hour <= args.hours:
            while fake.mono() < hour * 3600:
                time.sleep(0.005)
            snap = player.snapshot()
            # The frame rate means nothing on a fast clock (pacing cannot keep up): judge the rest.
            judged = health.verdict(replace(snap, frames=replace(snap.frames, target_fps=0)), fake.mono(),
                                    stall_s=max(health.STALL_S, 0.05 * args.speed))
            if judged.problems:
                lines.append(f"hour {hour}: {'; '.join(judged.problems)}")
            local = datetime.fromtimestamp(fake.wall(), zone)
            rows.append((hour, local, snap.activity, snap.scene, snap.model_swaps, judged.phase,
                         *resources()))
            hour += 1
        player.post(Quit())
    threading.Thread(target=sample, daemon=True).start()
    player.run(seconds=args.hours * 3600 + 3600)
    print(f"{'hour':>4}  {'local time':<22} {'state':<8} {'scene':<8} {'health':<9} "
          f"{'RSS MB':>7} {'fds':>4} {'threads':>7}")
    for hour, local, state, scene, _, phase, rss, fds, threads in rows:
        print(f"{hour:>4}  {local:%a %Y-%m-%d %H:%M %Z}  {state:<8} {str(scene):<8} {phase:<9} "
              f"{rss:7.1f} {fds:>4} {threads:>7}")
    settled = [r for r in rows if r[0] >= 2]          # after start-up and the first scene changes
    rss = [r[6] for r in settled]
    fds = {r[7] for r in settled}
    threads = {r[8] for r in settled}
    unhealthy = [r[0] for r in rows if r[5] == "unhealthy"]
    print(f"\nRSS {min(rss):.1f}..{max(rss):.1f} MB (growth {rss[-1] - rss[0]:+.1f} MB over {settled[-1][0] - 2} h); "
          f"open fds {min(fds)}..{max(fds)}; threads {min(threads)}..{max(threads)}; "
          f"unhealthy at hours {unhealthy or 'none'}; {len(lines)} log lines")
    for line in lines[:20]:
        print("  " + line)
    flat = rss[-1] - rss[0] < 20 and max(fds) - min(fds) <= 2 and max(threads) - min(threads) <= 2
    print("resources flat: " + ("yes" if flat else "NO"))
    return 0 if flat else 1


if __name__ == "__main__":
    sys.exit(main())
