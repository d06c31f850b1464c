"""Frame skew on a wall against clock offset: N headless players, each its own process as each screen is
its own PC, on this machine's clock shifted by 0, 1, 5, 20 and 50 ms (a second player at 0 ms shows
what the processes' own jitter costs). Each records when it presented which frame (its number,
floor(wall time x fps), from the player's state); at thousands of common instants on CLOCK_MONOTONIC
(shared by every process of one boot) the frame each one shows is compared with the first's.

  .venv/bin/python -m benchmarks.wall [--seconds 12] [--fps 60] [--offsets-ms 0,0,1,5,20,50]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "tests" / "installation" / "fixtures" / "tiny.onnx"   # 32 px: generation is not the point
SETTLE_S = 3.0      # the start-up (model load, first images) left out of the comparison
SAMPLES = 5000


def show(fps: int) -> dict:
    """A two-screen wall, one emoji spanning it, each screen 320 x 180."""
    screens = [{"name": name, "rect": [x, 0, 320, 180]} for name, x in (("left", 0), ("right", 320))]
    return {"title": "wall benchmark", "seed": 7, "display": {"resolution": "320x180", "fps": fps},
            "transitions": {"crossfade_s": 0}, "wall": {"canvas": [640, 180], "screens": screens}}


def child(offset_s: float, screen: str, fps: int, seconds: float, out: Path) -> None:
    """One player on the clock shifted by offset_s: [(monotonic present time, frame number)] to `out`."""
    os.environ["SDL_VIDEODRIVER"] = "dummy"
    import installation  # noqa: F401  (quiets pygame's banner before it is imported)
    import pygame

    from installation.display.output import Window
    from installation.model.load import load
    from installation.player.loop import Player
    from installation.show.config import parse_show

    pygame.display.init()
    model = load(MODEL)
    presents = []

    def on_frame(player):   # the state holds the frame presented last, and when
        facts = player.snapshot().frames
        if facts.last_monotonic is not None:
            presents.append((facts.last_monotonic, facts.number))

    player = Player(parse_show(show(fps)), {model.name: model}, model.name,
                    Window(pygame.display.set_mode((320, 180))), screen=screen, on_frame=on_frame,
                    wall=lambda: time.time() + offset_s, log=lambda line: None)
    stats = player.run(seconds=seconds)
    out.write_text(json.dumps({"presents": presents, "dropped": stats["dropped_frames"], "frames": stats["frames"]}))


def shown_at(presents: list, instants: list[float]) -> list[int | None]:
    """The frame on the screen at each instant: the last one presented at or before it."""
    out, i = [], -1
    for t in instants:
        while i + 1 < len(presents) and presents[i + 1][0] <= t:
            i += 1
        out.append(presents[i][1] if i >= 0 else None)
    return out


def cpu() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            names = [line.split(":", 1)[1].strip() for line in f if line.startswith("model name")]
        return f"{names[0]} ({len(names)} logical CPUs)" if names else f"{os.cpu_count()} CPUs"
    except OSError:
        return f"{os.cpu_count()} CPUs"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=12.0)
    ap.add_argument("--fps", type=int, default=60)
    ap.add_argument("--offsets-ms", default="0,0,1,5,20,50")
    ap.add_argument("--child", nargs=4, metavar=("OFFSET_S", "SCREEN", "FPS", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        offset, screen, fps, out = args.child
        child(float(offset), screen, int(fps), args.seconds, Path(out))
        return 0
    offsets = [float(v) / 1000 for v in args.offsets_ms.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        outs = [Path(tmp) / f"player{i}.json" for i in range(len(offsets))]
        procs = [subprocess.Popen([sys.executable, "-m", "benchmarks.wall", "--seconds", str(args.seconds),
                                   "--child", str(off), ("left", "right")[i % 2], str(args.fps), str(out)],
                                  cwd=ROOT) for i, (off, out) in enumerate(zip(offsets, outs))]
        for p in procs:
            p.wait()
        runs = [json.loads(out.read_text()) for out in outs]
    start = max(r["presents"][0][0] for r in runs) + SETTLE_S
    end = min(r["presents"][-1][0] for r in runs)
    instants = [start + (end - start) * (i + 0.5) / SAMPLES for i in range(SAMPLES)]
    shown = [shown_at(r["presents"], instants) for r in runs]
    print(f"{len(offsets)} players (processes), {args.fps} fps, {end - start:.1f} s compared at {SAMPLES} "
          f"instants; CPU: {cpu()}; load average {os.getloadavg()[0]:.2f}")
    print(f"{'offset ms':>9} {'expected':>8} {'mean skew':>9} {'0':>6} {'1':>6} {'2':>6} {'3':>6} {'>3':>6}"
          f" {'dropped':>7}   (skew in frames against the first player, at each skew the share of instants; "
          "expected: offset x fps, the mean a player presenting exactly on its clock would show)")
    for off, frames, run in zip(offsets, shown, runs):
        skews = [a - b for a, b in zip(frames, shown[0]) if a is not None and b is not None]
        share = {k: sum(1 for s in skews if abs(s) == k) / len(skews) for k in range(4)}
        beyond = sum(1 for s in skews if abs(s) > 3) / len(skews)
        print(f"{off * 1000:>9g} {off * args.fps:>8.2f} {sum(skews) / len(skews):>9.2f} "
              + " ".join(f"{share[k]:>6.1%}" for k in range(4)) + f" {beyond:>6.1%} {run['dropped']:>7}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
