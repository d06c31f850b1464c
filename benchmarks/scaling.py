"""Cost of display.scale ("smooth", "pixel", "sharp") per frame, and what each looks like at 1080p.

A morph rescales only when a new image arrives (a degraded morph blends the small images first), so a
wall showing fps images/s pays this on every frame. Prints the CPU, then per screen, image size and
mode: ms per new image (to a surface, scaled into the morph's rect, blitted; median of 60, a different
image each time) and its share of a 60 fps frame; then a tile of an 8x8 grid (135 px at 1080p,
270 px at 2160p) and what the tiles cost per second at 4 images per tile per second. The 64 px
images are drawn by exported_models/default.onnx; the 128 px ones are the same enlarged (bicubic),
for timing. Run:
    .venv/bin/python -m benchmarks.scaling [--crops docs/scale-modes.png]
--crops writes one emoji's same region at 1080p in each mode, 480 px crops side by side.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
REPO = Path(__file__).resolve().parents[1]

import numpy as np
import PIL
import pygame
from PIL import Image

from benchmarks.framebuffer import cpu
from installation.model.load import load
from installation.display.screen import scale_to, to_surface
from installation.scenes.layout import grid_boxes, morph_box
from installation.text import size_text

MODES = ("smooth", "pixel", "sharp")
SCREENS = [(1920, 1080), (3840, 2160)]
FRAME_MS = 1000 / 60
REPEAT = 60
SEED, IMAGES = 3, 16
GRID, TILE_FPS = 8, 4.0
CROP_IMAGE, CROP_AT, CROP_PX = 10, (16, 14), 480   # which image, its generated pixel at the crop's corner
WHITE, LABEL = (255, 255, 255), (90, 90, 90)


def samples() -> np.ndarray:
    model = load(REPO / "exported_models" / "default.onnx")
    z = np.random.default_rng(SEED).standard_normal((IMAGES, model.info.z_dim)).astype(np.float32)
    return model.generate(z)


def enlarged(images: np.ndarray, px: int) -> np.ndarray:
    return np.stack([np.asarray(Image.fromarray(i).resize((px, px), Image.Resampling.BICUBIC)) for i in images])


def ms_per_image(display: pygame.Surface, images: np.ndarray, rect, mode: str, repeat: int = REPEAT) -> float:
    x, y, w, h = rect
    times = []
    for i in range(repeat + 1):
        t = time.perf_counter()
        display.blit(scale_to(to_surface(images[i % len(images)]), (w, h), mode), (x, y))
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times[1:])   # the first is a warm-up


def crops(display: pygame.Surface, image: np.ndarray, out: Path) -> None:
    """The same region of `image` in each mode as the 1080p morph shows it, side by side, labelled."""
    font = pygame.font.Font(None, 28)
    gap, label_h = 12, 32
    sheet = pygame.Surface((len(MODES) * (CROP_PX + gap) - gap, CROP_PX + label_h))
    sheet.fill(WHITE)
    for n, mode in enumerate(MODES):
        x, y, w, h = morph_box(*display.get_size(), len(image), mode)
        display.fill(WHITE)
        display.blit(scale_to(to_surface(image), (w, h), mode), (x, y))
        corner = (x + round(CROP_AT[0] * w / len(image)), y + round(CROP_AT[1] * h / len(image)))
        left = n * (CROP_PX + gap)
        sheet.blit(display, (left, label_h), (*corner, CROP_PX, CROP_PX))
        sheet.blit(font.render(mode, True, LABEL), (left, 6))
    rgb = pygame.surfarray.array3d(sheet).transpose(1, 0, 2)
    Image.fromarray(rgb).save(out, optimize=True)
    print(f"wrote {out} ({size_text(out.stat().st_size)})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--crops", type=Path, help="write the side-by-side crops to this PNG")
    args = ap.parse_args()
    pygame.init()
    display = pygame.display.set_mode(SCREENS[0])   # images converted to the display's format, as played
    print(f"CPU: {cpu()}; numpy {np.__version__}, pygame-ce {pygame.version.ver} "
          f"(SDL {'.'.join(map(str, pygame.get_sdl_version()))}), Pillow {PIL.__version__}")
    images = {64: samples()}
    images[128] = enlarged(images[64], 128)
    if args.crops:
        crops(display, images[64][CROP_IMAGE], args.crops)

    print(f"morph, ms per new image (median of {REPEAT}) and of a 60 fps frame ({FRAME_MS:.1f} ms):")
    print(f"{'screen':>9} {'image':>6} {'mode':>7} {'rect':>5} {'ms':>6} {'of frame':>9}")
    canvases = {size: pygame.Surface(size).convert() for size in SCREENS}
    for size, canvas in canvases.items():
        for px, batch in images.items():
            for mode in MODES:
                rect = morph_box(*size, px, mode)
                ms = ms_per_image(canvas, batch, rect, mode)
                print(f"{size[0]:>4}x{size[1]:<4} {px:>3} px {mode:>7} {rect.w:>5} {ms:6.2f} "
                      f"{ms / FRAME_MS:9.1%}")

    per_s = GRID * GRID * TILE_FPS
    print(f"grid {GRID}x{GRID}, ms per tile and per second at {TILE_FPS:g} images per tile per second "
          f"({per_s:g} tiles/s):")
    print(f"{'screen':>9} {'tile':>5} {'image':>6} {'mode':>7} {'ms/tile':>8} {'ms per s':>9}")
    for size, canvas in canvases.items():
        box = grid_boxes(*size, GRID, GRID)[0]
        for px, batch in images.items():
            for mode in MODES:
                ms = ms_per_image(canvas, batch, box, mode)
                print(f"{size[0]:>4}x{size[1]:<4} {box.w:>5} {px:>3} px {mode:>7} {ms:8.3f} {ms * per_s:9.0f}")


if __name__ == "__main__":
    main()
