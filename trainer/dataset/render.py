"""Turn one emoji file (SVG or bitmap) into a square RGB image: content centred, alpha over white."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from installation.text import first_line

SVG_RENDER_PX = 256     # SVGs are rasterised this wide first, then reduced like the bitmaps
MARGIN_FRAC = 0.04      # white border on each side, as a fraction of the output size
ALPHA_INK = 16          # alpha above this counts as drawn content when finding the bounding box
WHITE_INK = 245         # in images without alpha, any channel below this counts as content


class RenderError(Exception):
    """The file cannot be decoded or has nothing drawn in it."""


def load_rgba(path: Path) -> Image.Image:
    """Decode an SVG (via resvg) or a bitmap into an RGBA image."""
    try:
        data = path.read_bytes()
        if path.suffix.lower() == ".svg":
            import resvg_py  # only SVG sources need it

            data = bytes(resvg_py.svg_to_bytes(svg_string=data.decode("utf-8"),
                                               width=SVG_RENDER_PX, skip_system_fonts=True))
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            return img.convert("RGBA")
    except Exception as exc:  # decoders raise many types; all mean "this file is unusable"
        raise RenderError(f"{type(exc).__name__}: {first_line(exc)}"[:200]) from None


def content_box(img: Image.Image, has_alpha: bool) -> tuple[int, int, int, int] | None:
    """Bounding box (left, top, right, bottom) of what is drawn, or None for an empty image."""
    px = np.asarray(img)
    mask = px[..., 3] > ALPHA_INK if has_alpha else (px[..., :3] < WHITE_INK).any(axis=2)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return None
    return int(cols[0]), int(rows[0]), int(cols[-1]) + 1, int(rows[-1]) + 1


def square_on_white(img: Image.Image, size: int, has_alpha: bool = True) -> Image.Image:
    """Crop to the content, centre it in a square with a small margin, composite over white,
    and resize with Lanczos to size x size. Cropping first evens out vendors' different padding."""
    box = content_box(img, has_alpha)
    if box is None:
        raise RenderError("nothing drawn in the image")
    left, top, right, bottom = box
    w, h = right - left, bottom - top
    side = max(w, h) / (1 - 2 * MARGIN_FRAC)
    canvas_px = max(1, round(side))
    canvas = Image.new("RGBA", (canvas_px, canvas_px), (255, 255, 255, 255))
    crop = img.crop(box)
    canvas.alpha_composite(crop, ((canvas_px - w) // 2, (canvas_px - h) // 2))
    return canvas.convert("RGB").resize((size, size), Image.LANCZOS)


def render_file(path: Path, size: int) -> Image.Image:
    """The dataset image for one source file (raises RenderError when unusable)."""
    img = load_rgba(path)
    has_alpha = bool(np.asarray(img)[..., 3].min() < 255)
    return square_on_white(img, size, has_alpha)


def render_job(job: tuple[str, int]) -> tuple[bytes | None, str]:
    """Pool worker: (path, size) -> (RGB pixel bytes, "") or (None, reason)."""
    path, size = job
    try:
        return render_file(Path(path), size).tobytes(), ""
    except RenderError as exc:
        return None, str(exc)
