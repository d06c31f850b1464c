"""Dropped frames per model swap: the real player at 1080p60 (headless), N swaps between the two shipped
models, each either handed over ready (`--preloaded`: the hand-over alone) or loaded and checked by
the same loader hot reload uses, on a side thread, just before it is posted (the default: what a
dropped file costs, validation CPU included).

  .venv/bin/python -m benchmarks.swaps --swaps 100
"""

from __future__ import annotations

import argparse
import os
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
from installation.player.messages import ModelReady, Quit
from installation.show.config import parse_show

MODELS = [ROOT / "exported_models" / "default.onnx", ROOT / "exported_models" / "faithful.onnx"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--swaps", type=int, default=100)
    ap.add_argument("--every", type=float, default=1.5, help="seconds between swaps (default 1.5)")
    ap.add_argument("--preloaded", action="store_true", help="hand over models loaded before the run")
    args = ap.parse_args()
    show = parse_show({"title": "swaps", "display": {"resolution": "1920x1080", "fps": 60},
                       "transitions": {"crossfade_s": 0.5}, "playlist": [{"scene": "morph"}]})
    pygame.display.init()
    screen = pygame.display.set_mode((1920, 1080))
    ready = [load(path) for path in MODELS]
    player = Player(show, {"default": ready[0]}, "default", Window(screen), log=lambda line: None)
    marks = []   # (dropped frames before the swap, after it settled)

    def swapper():
        while player.snapshot().activity != "playing":
            time.sleep(0.05)
        time.sleep(1.0)
        for i in range(args.swaps):
            path = MODELS[(i + 1) % 2]
            before = player.stats.dropped_frames
            model = ready[(i + 1) % 2] if args.preloaded else load(path)   # hot reload's own work
            player.post(ModelReady("default", model))
            time.sleep(args.every)
            marks.append(player.stats.dropped_frames - before)
        player.post(Quit())
    threading.Thread(target=swapper, daemon=True).start()
    stats = player.run(seconds=args.swaps * (args.every + 1.0) + 30)
    per = sorted(marks)
    with_drops = sum(1 for m in marks if m)
    print(f"{'preloaded' if args.preloaded else 'loaded on a side thread'}: {len(marks)} swaps at 1080p60, "
          f"model_swaps {stats['model_swaps']}; dropped frames per swap: total {sum(marks)}, "
          f"median {per[len(per) // 2]}, max {per[-1]}, swaps with any drop {with_drops}; "
          f"frame_ms p50 {stats['frame_ms_p50']} p99 {stats['frame_ms_p99']}; "
          f"{os.cpu_count()} cores")
    return 0


if __name__ == "__main__":
    sys.exit(main())
