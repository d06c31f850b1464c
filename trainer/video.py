"""Render a run's timelapse (the fixed latents as training went on) to an MP4, crisp and frame-exact.

Pure helpers choose frames and lay out the picture; `render_video` streams shard by shard into ffmpeg.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from installation.atomic import atomic_path
from trainer import runs
from trainer.image_grid import grid, grid_shape

CAPTION_SHARE = 0.07  # height of the epoch counter bar, as a share of the picture's width
BLACK = (0, 0, 0)  # the empty cells of a grid that the latents do not fill
CAPTION_BG = (17, 17, 17)
CAPTION_FG = (232, 232, 232)
QUALITY = 8  # imageio-ffmpeg's 0-10 scale; high, because nearest-neighbour edges blur easily


def select_frames(total: int, every: int) -> list[int]:
    """Every `every`-th of `total` recorded frames from the first, plus the last, so the video ends
    where training ended."""
    if total < 1 or every < 1:
        raise ValueError("total and every must be positive")
    chosen = list(range(0, total, every))
    if chosen[-1] != total - 1:
        chosen.append(total - 1)
    return chosen


def upscale_factor(native_px: int, size_px: int) -> int:
    """Whole-number scale so the longer side is at most `size_px` (at least 1): pixels stay square."""
    return max(1, size_px // native_px)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    return image.repeat(factor, axis=0).repeat(factor, axis=1) if factor > 1 else image


def caption_height(width_px: int) -> int:
    return max(16, round(width_px * CAPTION_SHARE / 2) * 2)  # even: H.264 wants even frame sides


def pad_even(image: np.ndarray) -> np.ndarray:
    """Pad one black row/column where a side is odd (H.264 with 4:2:0 colour needs even sides)."""
    h, w, _ = image.shape
    if h % 2 == 0 and w % 2 == 0:
        return image
    return np.pad(image, ((0, h % 2), (0, w % 2), (0, 0)))


def counter_text(epoch: int, step: int) -> str:
    return f"epoch {epoch}  ·  step {step:,}"


def add_caption(image: np.ndarray, text: str, font: ImageFont.ImageFont | ImageFont.FreeTypeFont) -> np.ndarray:
    """The picture with a dark bar beneath it holding `text` (the epoch counter)."""
    h, w, _ = image.shape
    bar_h = caption_height(w)
    canvas = Image.new("RGB", (w, h + bar_h), CAPTION_BG)
    canvas.paste(Image.fromarray(image), (0, 0))
    draw = ImageDraw.Draw(canvas)
    left, top, _, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text((bar_h // 3 - left, h + (bar_h - (bottom - top)) // 2 - top), text, font=font, fill=CAPTION_FG)
    return np.asarray(canvas)


def caption_font(width_px: int):
    size = max(8, round(caption_height(width_px) * 0.55))
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow older than 10.1: the fixed-size bitmap font
        return ImageFont.load_default()


@dataclass(frozen=True)
class VideoPlan:
    recorded: int  # frames in the run's timelapse
    frames: list[int]  # indices into the recording, in order
    latents: list[int]  # which fixed latents, in grid order
    rows: int
    cols: int
    factor: int  # nearest-neighbour upscale
    picture_w_px: int  # the tiled, upscaled latents, before the caption bar and even padding
    width_px: int
    height_px: int
    first_step: int
    last_step: int
    epochs: tuple[int, int]


def plan_video(shards: list[runs.TimelapseShard], cell_hw: tuple[int, int], every: int,
               latents: list[int], size_px: int, epoch_counter: bool) -> VideoPlan:
    """What the video will hold: which recorded frames, which latents in what grid, at what size."""
    steps = np.concatenate([s.steps for s in shards])
    rows, cols = grid_shape(len(latents))
    factor = upscale_factor(max(rows * cell_hw[0], cols * cell_hw[1]), size_px)
    width, height = cols * cell_hw[1] * factor, rows * cell_hw[0] * factor
    if epoch_counter:
        height += caption_height(width)
    return VideoPlan(len(steps), select_frames(len(steps), every), latents, rows, cols, factor, width,
                     width + width % 2, height + height % 2, int(steps[0]), int(steps[-1]),
                     (shards[0].epoch, shards[-1].epoch))


def frame_picture(images: np.ndarray, plan: VideoPlan) -> np.ndarray:
    """One video frame (without caption) from one recorded frame uint8 [K, H, W, 3]."""
    cells = grid(images[plan.latents], columns=plan.cols, rows=plan.rows, pad_px=0, background=BLACK)
    return upscale(cells, plan.factor)


def render_video(shards: list[runs.TimelapseShard], plan: VideoPlan, out: Path, fps: float,
                 epoch_counter: bool, progress=None) -> int:
    """Write the planned frames to `out` (temp file, then rename). Returns the frames written."""
    import imageio_ffmpeg  # the encoder ships its own ffmpeg binary

    font = caption_font(plan.picture_w_px) if epoch_counter else None
    out.parent.mkdir(parents=True, exist_ok=True)
    wanted = iter(plan.frames)
    target = next(wanted)
    written, offset = 0, 0
    # the temp name keeps an extension: ffmpeg picks the container from it
    with atomic_path(out, suffix=out.suffix or ".mp4") as partial:
        writer = imageio_ffmpeg.write_frames(str(partial), (plan.width_px, plan.height_px), fps=fps,
                                             quality=QUALITY, macro_block_size=2, ffmpeg_log_level="error")
        try:
            writer.send(None)  # start ffmpeg
            for shard in shards:
                n = len(shard.steps)
                if target is not None and target < offset + n:
                    images = runs.load_timelapse_images(shard)
                    while target is not None and target < offset + n:
                        local = target - offset
                        picture = frame_picture(images[local], plan)
                        if epoch_counter:
                            picture = add_caption(picture, counter_text(shard.epoch, int(shard.steps[local])),
                                                  font)
                        writer.send(np.ascontiguousarray(pad_even(picture)))
                        written += 1
                        if progress:
                            progress()
                        target = next(wanted, None)
                offset += n
        finally:
            writer.close()
    return written
