"""`aimoji-train video`: render the training timelapse (fixed latents from noise to faces) to an MP4."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from trainer import runs, video
from trainer.arg_types import positive_float, positive_int


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Render the training timelapse to a video: the run's fixed latents as the generator drew them "
        "during training (recorded every --timelapse-every training steps, 8 by default), from noise to "
        "faces. Pixels are upscaled by a whole number, so they stay sharp squares.")
    parser.add_argument("run", type=Path, metavar="RUN", help="run folder, e.g. runs/faithful (reads RUN/timelapse/)")
    parser.add_argument("--out", type=Path, help="video file to write, .mp4 (H.264) (default: RUN/training.mp4)")
    parser.add_argument("--every", type=positive_int, default=1, metavar="N",
                        help="keep every Nth recorded frame, plus the last one (default: 1 = all; "
                             "with the default recording every 8 steps, that is every 8th training step)")
    parser.add_argument("--fps", type=positive_float, default=30.0, help="frames per second of the video (default: 30)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--latent", type=int, default=0, metavar="I",
                       help="which fixed latent to show, 0 is the first (default: 0)")
    which.add_argument("--grid", action="store_true",
                       help="show all fixed latents side by side in a near-square grid (16 -> 4x4)")
    parser.add_argument("--size", type=positive_int, metavar="PX",
                        help="longest side of the picture in pixels, rounded down to a whole-number "
                             "upscale (default: 512, or 1024 with --grid)")
    parser.add_argument("--epoch-counter", action="store_true",
                        help="draw 'epoch E · step S' in a bar under the picture")


def _describe(plan: video.VideoPlan, k: int, cell: tuple[int, int], fps: float, every: int) -> str:
    epochs = f"epoch {plan.epochs[0]}" if plan.epochs[0] == plan.epochs[1] else f"epochs {plan.epochs[0]}–{plan.epochs[1]}"
    return (f"timelapse: {plan.recorded:,} recorded frames of {k} latents ({cell[1]}x{cell[0]} px), "
            f"steps {plan.first_step:,}–{plan.last_step:,}, {epochs}\n"
            f"video: {len(plan.frames):,} frames (every {every}, plus the last), {plan.width_px}x{plan.height_px} px, "
            f"{fps:g} fps = {len(plan.frames) / fps:.1f} s")


def run(args: argparse.Namespace) -> int:
    out = args.out or args.run / "training.mp4"
    try:
        shards = runs.timelapse_shards(args.run)
        first = next(runs.load_timelapse_images(s) for s in shards if len(s.steps))
        k, cell = first.shape[1], first.shape[2:4]
        if args.grid:
            latents = list(range(k))
        elif not 0 <= args.latent < k:
            raise runs.RunError(f"{shards[0].path}: --latent {args.latent} is out of range: "
                                f"the run recorded {k} latents (0–{k - 1})")
        else:
            latents = [args.latent]
        size = args.size or (1024 if args.grid else 512)
        plan = video.plan_video(shards, cell, args.every, latents, size, args.epoch_counter)
        print(_describe(plan, k, cell, args.fps, args.every))
        with tqdm(total=len(plan.frames), desc="frames", unit="frame", disable=None) as bar:
            written = video.render_video(shards, plan, out, args.fps, args.epoch_counter, progress=bar.update)
    except runs.RunError as exc:
        print(f"aimoji-train video: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"aimoji-train video: error: {out}: cannot write ({exc.strerror or exc})", file=sys.stderr)
        return 1
    print(f"wrote {out}: {written:,} frames")
    return 0
