"""Offline rendering of a seamless loop (morph or grid walk, or the training evolution) to MP4, GIF or
a folder of PNGs.

The walk is made periodic (a whole number of keyframes per loop, keyframe index modulo that number),
so the frame after the last one is the first one again; the evolution replay is one loop long and
fades back to noise by itself. Files appear whole or not at all.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import imageio_ffmpeg
import numpy as np
import pygame
from PIL import Image
from tqdm import tqdm

from installation.atomic import atomic_path, replace_dir
from installation.model.load import Generator
from installation.display.screen import Screen
from installation.player.worker import generate_now
from installation.scenes import registry
from installation.scenes.base import SceneEntry, ViewSpec
from installation.scenes.walk import WalkParams, loop_params


@dataclass(frozen=True)
class LoopSpec:
    seconds: float
    fps: float
    size_px: int
    scale: str = "smooth"
    background: tuple[int, int, int] = (255, 255, 255)

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))

    @property
    def frame_fps(self) -> float:
        """A whole number of frames per loop."""
        return self.frames / self.seconds


def output_kind(out: Path | str) -> str:
    """'mp4', 'gif' or 'frames' (a folder) from the output path."""
    suffix = Path(out).suffix.lower()
    if suffix in (".mp4", ".gif"):
        return suffix[1:]
    if suffix:
        raise ValueError(f"{out}: unknown output type '{suffix}' (use .mp4, .gif or a folder name)")
    return "frames"


def gif_delays_cs(count: int, fps: float) -> list[int]:
    """Each frame's delay in centiseconds (GIF's unit) so that frame i starts at round(i * 100 / fps) cs:
    at 15 fps 7, 6, 7, 7, 6, ... and a 3 s loop lasts 300 cs. One rounded delay for all (6 cs) would
    play it in 2.7 s. (Browsers show delays under 2 cs as 10 cs: above 50 fps a GIF plays slow.)"""
    starts = [round(i * 100 / fps) for i in range(count + 1)]
    return [b - a for a, b in zip(starts, starts[1:])]


def loop_frames(model: Generator, entry: SceneEntry, walk: WalkParams, spec: LoopSpec) -> Iterator[np.ndarray]:
    """[size, size, 3] uint8 frames of one loop of playlist entry `entry`: frame i shows t = i / fps,
    i < seconds * fps. The view comes from the player's own registry, made to loop by the scene's own
    rule, and is built here, before any frame, so a model that cannot show the scene fails before a
    file is opened (scenes.base.SceneUnavailable)."""
    view = registry.make_view(registry.looped(entry, spec.seconds), model,
                              ViewSpec(spec.frame_fps, loop_params(walk, spec.seconds), spec.scale, live=False))
    return _frames(model, view, spec)


def _frames(model: Generator, view, spec: LoopSpec) -> Iterator[np.ndarray]:
    screen = Screen(pygame.Surface((spec.size_px, spec.size_px)), background=spec.background)
    screen.clear()
    for i in range(spec.frames):
        t = i / spec.frame_fps
        if view.plan is not None:
            view.accept(generate_now(model, view.plan, t))
        view.draw(screen, t)
        yield screen.pixels()


def _atomic_file(out: Path, write) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out, suffix=out.suffix) as tmp:  # the suffix tells ffmpeg the container
        write(tmp)


def write_loop(frames: Iterator[np.ndarray], out: Path | str, fps: float, total: int | None = None,
               progress: bool = True) -> int:
    """Write frames to out (.mp4, .gif or a folder); returns the number of frames written."""
    out = Path(out)
    kind = output_kind(out)
    frames = tqdm(frames, total=total, unit="frame", desc=f"rendering {out.name}", disable=not progress)
    count = 0

    def mp4(tmp: Path) -> None:
        nonlocal count
        writer = None
        for frame in frames:
            if writer is None:
                h, w = frame.shape[:2]
                writer = imageio_ffmpeg.write_frames(str(tmp), (w, h), fps=fps, codec="libx264",
                                                     pix_fmt_out="yuv420p", quality=8,
                                                     macro_block_size=2, ffmpeg_log_level="error")
                writer.send(None)
            writer.send(np.ascontiguousarray(frame))
            count += 1
        if writer is not None:
            writer.close()

    def gif(tmp: Path) -> None:
        nonlocal count
        images = [Image.fromarray(f).quantize(colors=255, method=Image.Quantize.MEDIANCUT) for f in frames]
        count = len(images)
        # durations in ms, each a whole number of cs: Pillow writes int(ms / 10), so 67 ms would be 6 cs
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=[10 * cs for cs in gif_delays_cs(count, fps)], loop=0, disposal=1)

    if kind == "mp4":
        _atomic_file(out, mp4)
    elif kind == "gif":
        _atomic_file(out, gif)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp_dir = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
        try:
            for frame in frames:
                Image.fromarray(frame).save(tmp_dir / f"frame_{count:05d}.png")
                count += 1
            replace_dir(tmp_dir, out)  # replace a previous render whole, never mix old and new frames
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
    return count
