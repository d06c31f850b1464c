"""`aimoji render`: a seamless loop of the latent walk, or of the training replay, to MP4, GIF or a folder
of PNG frames."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from installation.model.load import ModelError, load
from installation.paths import MODELS_DIR, SHOWS_DIR, missing_model_message, model_candidates
from installation.player.render import LoopSpec, loop_frames, output_kind, write_loop
from installation.scenes.base import SceneUnavailable
from installation.scenes.factory import walk_for
from installation.scenes.layout import parse_colour
from installation.show.config import SCENE_TYPES, ShowError, load_show, resolve_show_path


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, default=None,
                   help="ONNX generator to render (default: the newest .onnx in exported_models/)")
    p.add_argument("--show", type=Path, default=None,
                   help="take seed, walk (keyframe_s, speed, wander), background and scaling from this "
                        "show (default: show_configs/active.toml, else default.toml)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="loop length in seconds (default 10); for evolution, one replay of training")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    p.add_argument("--size", type=int, default=512, help="output width and height in pixels (default 512)")
    p.add_argument("--out", type=Path, required=True,
                   help="loop.mp4 (H.264), loop.gif, or a folder name for PNG frames (replaced whole)")
    p.add_argument("--scene", choices=("morph", "grid", "evolution"), default="morph",
                   help="morph: one emoji; grid: COLS x ROWS tiles each on its own walk; evolution: "
                        "training replayed from noise to faces, the final face held, then a fade back "
                        "to noise (needs a model exported with its timelapse) (default morph)")
    p.add_argument("--cols", type=int, default=4, help="grid columns (default 4)")
    p.add_argument("--rows", type=int, default=4, help="grid rows (default 4)")
    p.add_argument("--tile-fps", type=float, default=2.0,
                   help="grid: new images per tile per second, blended between (default 2)")
    p.add_argument("--mood", choices=("neutral", "horror", "happy", "sad"), default=None,
                   help="morph/grid: keep the walk near this mood's region (needs a model with moods)")
    p.add_argument("--seed", type=int, default=None, help="walk seed (default: the show's)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    for name, value, ok in (("--seconds", args.seconds, args.seconds > 0), ("--fps", args.fps, args.fps > 0),
                            ("--size", args.size, 16 <= args.size <= 8192),
                            ("--cols", args.cols, 1 <= args.cols <= 64), ("--rows", args.rows, 1 <= args.rows <= 64),
                            ("--tile-fps", args.tile_fps, args.tile_fps > 0)):
        if not ok:
            print(f"aimoji render: {name} {value} is out of range", file=sys.stderr)
            return 2
    try:
        output_kind(args.out)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        show = load_show(resolve_show_path(args.show, SHOWS_DIR))
    except ShowError as exc:
        print(exc, file=sys.stderr)
        return 2
    path = args.model
    if path is None:
        found = model_candidates(MODELS_DIR)
        if not found:
            print(missing_model_message(MODELS_DIR), file=sys.stderr)
            return 2
        path = found[0]
    try:
        model = load(path, intra_op_threads=os.cpu_count() or 1)  # offline: use every core
    except ModelError as exc:
        print(exc, file=sys.stderr)
        return 2
    walk = walk_for(show, model.info.z_dim)
    if args.seed is not None:
        walk = replace(walk, seed=args.seed)
    # The same playlist entry a show would hold (checked above), so the player's factory builds it.
    entry = SCENE_TYPES[args.scene].model_construct(scene=args.scene, mood=args.mood, cols=args.cols,
                                                     rows=args.rows, tile_fps=args.tile_fps)
    spec = LoopSpec(seconds=args.seconds, fps=args.fps, size_px=args.size, scale=show.display.scale,
                    background=parse_colour(show.display.background))
    try:
        frames = loop_frames(model, entry, walk, spec)
    except SceneUnavailable as exc:
        print(f"aimoji render: {exc}", file=sys.stderr)
        return 2
    n = write_loop(frames, args.out, spec.frame_fps, total=spec.frames, progress=not args.quiet)
    print(f"wrote {n} frames ({args.seconds:g} s loop, {args.size} px, model {path.name}) to {args.out}")
    return 0
