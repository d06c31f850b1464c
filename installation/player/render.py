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

import numpy as np

from installation.atomic import atomic_path, replace_dir
from installation.player.worker import generate_now
from installation.scenes.walk import WalkParams, loop_params


@dataclass(frozen=True)
class LoopSpec:
    seconds: float
    fps: float
    size_px: int
    scene: str = "morph"          # 'morph', 'grid' or 'evolution'
    cols: int = 4
    rows: int = 4
    tile_fps: float = 2.0
    scale: str = "smooth"
    background: tuple[int, int, int] = (255, 255, 255)

    @property
    def frames(self) -> int:
        return max(1, round(self.seconds * self.fps))


def output_kind(out: Path | str) -> str:
    """'mp4', 'gif' or 'frames' (a folder) from the output path."""
    suffix = Path(out).suffix.lower()
    if suffix in (".mp4", ".gif"):
        return suffix[1:]
    if suffix:
        raise ValueError(f"{out}: unknown output type '{suffix}' (use .mp4, .gif or a folder name)")
    return "frames"


def _loop_view(model, walk: WalkParams, spec: LoopSpec):
    """(view, fps); raises scenes.SceneUnavailable for an evolution of a model without a timelapse."""
    from installation.scenes import SceneUnavailable, make_evolution_view
    from installation.scenes.evolution import TimelapseError
    from installation.scenes.grid import GridPlan
    from installation.scenes.morph import MorphPlan
    from installation.scenes.views import GridView, MorphView

    info = model.info
    looped = loop_params(walk, spec.seconds)
    fps = spec.frames / spec.seconds   # a whole number of frames per loop
    if spec.scene == "evolution":
        view = make_evolution_view(info, spec.seconds, spec.scale, spec.background, model.path.name)
        try:
            view.load()
        except TimelapseError as exc:
            raise SceneUnavailable(f"model {model.path.name}: {exc}") from None
        return view, fps
    if spec.scene == "grid":
        # A whole number of tile samples per loop too, or the blend would not meet itself.
        tile_fps = max(1, round(spec.tile_fps * spec.seconds)) / spec.seconds
        plan = GridPlan(looped, spec.cols * spec.rows, tile_fps, live=False)
        return GridView(plan, spec.cols, spec.rows, info.image_size, spec.scale, spec.background), fps
    return MorphView(MorphPlan(looped, fps), info.image_size, spec.scale, spec.background), fps


def loop_frames(model, walk: WalkParams, spec: LoopSpec) -> Iterator[np.ndarray]:
    """[size, size, 3] uint8 frames of one loop: frame i shows t = i / fps, i < seconds * fps.
    The scene is built here, before any frame, so a model that cannot show it fails before a file
    is opened (scenes.SceneUnavailable)."""
    view, fps = _loop_view(model, walk, spec)
    return _frames(model, view, fps, spec)


def _frames(model, view, fps: float, spec: LoopSpec) -> Iterator[np.ndarray]:
    import pygame

    canvas = pygame.Surface((spec.size_px, spec.size_px))
    canvas.fill(spec.background)
    for i in range(spec.frames):
        t = i / fps
        if view.plan is not None:
            view.accept(generate_now(model, view.plan, t))
        view.draw(canvas, t)
        yield pygame.surfarray.array3d(canvas).transpose(1, 0, 2).copy()


def _atomic_file(out: Path, write) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out, suffix=out.suffix) as tmp:  # the suffix tells ffmpeg the container
        write(tmp)


def write_loop(frames: Iterator[np.ndarray], out: Path | str, fps: float, total: int | None = None,
               progress: bool = True) -> int:
    """Write frames to out (.mp4, .gif or a folder); returns the number of frames written."""
    from tqdm import tqdm

    out = Path(out)
    kind = output_kind(out)
    frames = tqdm(frames, total=total, unit="frame", desc=f"rendering {out.name}", disable=not progress)
    count = 0

    def mp4(tmp: Path) -> None:
        nonlocal count
        import imageio_ffmpeg
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
        from PIL import Image
        images = [Image.fromarray(f).quantize(colors=255, method=Image.Quantize.MEDIANCUT) for f in frames]
        count = len(images)
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=round(1000 / fps), loop=0, disposal=1)

    if kind == "mp4":
        _atomic_file(out, mp4)
    elif kind == "gif":
        _atomic_file(out, gif)
    else:
        from PIL import Image
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
