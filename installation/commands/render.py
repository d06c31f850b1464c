"""`aimoji render`: a seamless loop of the latent walk, or of the training replay, to MP4, GIF or a folder
of PNG frames."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path

from pydantic import ValidationError

from installation.errors import format_validation_error
from installation.model import last_shown
from installation.model.choose import Chooser
from installation.model.load import ModelError, load
from installation.model.moods import MOODS
from installation.paths import MODELS_DIR, SHOWS_DIR
from installation.player.render import LoopSpec, loop_frames, output_kind, write_loop
from installation.scenes.base import SceneUnavailable
from installation.scenes.registry import KINDS
from installation.scenes.walk import walk_for
from installation.show.config import ShowError, load_show, resolve_show_path

# Scene options as a show's [[playlist]] entry names them: given ones are checked by the scene's own
# entry model, so the limits are the show's.
SCENE_OPTIONS = ("cols", "rows", "tile_fps", "mood")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", type=Path, default=None,
                   help="ONNX generator to render (default: 'latest' in exported_models/, as `aimoji play` "
                        "picks it: the model shown last, else the newest that plays)")
    p.add_argument("--show", type=Path, default=None,
                   help="take seed, walk (keyframe_s, speed, wander), background and scaling from this "
                        "show (default: show_configs/active.toml, else default.toml)")
    p.add_argument("--seconds", type=float, default=10.0,
                   help="loop length in seconds (default 10); for evolution, one replay of training")
    p.add_argument("--fps", type=float, default=30.0, help="frames per second (default 30)")
    p.add_argument("--size", type=int, default=512, help="output width and height in pixels (default 512)")
    p.add_argument("--out", type=Path, required=True,
                   help="loop.mp4 (H.264), loop.gif, or a folder name for PNG frames (replaced whole)")
    p.add_argument("--scene", choices=tuple(KINDS), default="morph",
                   help="morph: one emoji; grid: COLS x ROWS tiles each on its own walk; evolution: "
                        "training replayed from noise to faces, the final face held, then a fade back "
                        "to noise (needs a model exported with its timelapse) (default morph)")
    p.add_argument("--cols", type=int, default=None, help="grid columns (default 4; at most as a show allows)")
    p.add_argument("--rows", type=int, default=None, help="grid rows (default 4)")
    p.add_argument("--tile-fps", type=float, default=None,
                   help="grid: new images per tile per second, blended between (default 2)")
    p.add_argument("--mood", choices=MOODS, default=None,
                   help="morph/grid: keep the walk near this mood's region (needs a model with moods)")
    p.add_argument("--seed", type=int, default=None, help="walk seed (default: the show's)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args) -> int:
    for name, value, ok in (("--seconds", args.seconds, args.seconds > 0), ("--fps", args.fps, args.fps > 0),
                            ("--size", args.size, 16 <= args.size <= 8192)):
        if not ok:
            print(f"aimoji render: {name} {value} is out of range", file=sys.stderr)
            return 2
    try:
        entry = scene_entry(args)
    except ValueError as exc:
        print(f"aimoji render: {exc}", file=sys.stderr)
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
    def load_one(path: Path):
        return load(path, intra_op_threads=os.cpu_count() or 1)  # offline: use every core
    try:
        model = load_one(args.model) if args.model is not None else \
            Chooser(MODELS_DIR, load_one, lambda line: print(line, file=sys.stderr)).latest(last_shown.path_for())
    except (ModelError, LookupError) as exc:
        print(exc, file=sys.stderr)
        return 2
    path = model.path
    walk = walk_for(show, model.info.z_dim)
    if args.seed is not None:
        walk = replace(walk, seed=args.seed)
    spec = LoopSpec(seconds=args.seconds, fps=args.fps, size_px=args.size, scale=show.display.scale,
                    background=show.display.background_rgb)
    try:
        frames = loop_frames(model, entry, walk, spec)
    except SceneUnavailable as exc:
        print(f"aimoji render: {exc}", file=sys.stderr)
        return 2
    n = write_loop(frames, args.out, spec.frame_fps, total=spec.frames, progress=not args.quiet)
    print(f"wrote {n} frames ({args.seconds:g} s loop, {args.size} px, model {path.name}) to {args.out}")
    return 0


RENDER_DEFAULTS = {"grid": {"cols": 4, "rows": 4, "tile_fps": 2.0}}   # a smaller grid than a show's default


def scene_entry(args):
    """The playlist entry a show would hold for --scene and its options, checked by that scene's own
    entry model (so the limits are a show's); ValueError naming the option for a bad one or one the
    scene does not take."""
    kind = KINDS[args.scene]
    given = {k: getattr(args, k) for k in SCENE_OPTIONS if getattr(args, k) is not None}
    foreign = sorted(set(given) - set(kind.entry.model_fields))
    if foreign:
        flags = ", ".join("--" + k.replace("_", "-") for k in foreign)
        raise ValueError(f"{flags}: not an option of the {args.scene} scene")
    try:
        return kind.entry.model_validate({"scene": args.scene, **RENDER_DEFAULTS.get(args.scene, {}), **given})
    except ValidationError as exc:
        problems = []
        for line in format_validation_error("", exc, kind.entry):   # ': field: what is wrong; allowed: ...'
            field, why = line[2:].split(": ", 1)
            problems.append(f"--{field.replace('_', '-')} {given.get(field, '')}: {why}")
        raise ValueError("; ".join(problems)) from None
