"""The `timelapse` payload of a model file: the training replayed as a strip of small frames (one PNG).

The format is defined here, both ways: `encode_strip` is what the trainer's export writes, and
`parse_timelapse` + `decode_strip` read it back. Parsed and decoded once, where the model is loaded
(never inside a frame); the evolution scene only picks and blends the decoded frames (scenes/evolution.py).
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

FORMAT = "png-strip"   # N square frames side by side in one PNG, frame n = columns n*S .. n*S+S-1
MAX_FRAMES = 1000      # the trainer writes at most 120; far more means a damaged payload
MAX_FRAME_PX = 1024


class TimelapseError(ValueError):
    """The `timelapse` payload does not have the documented shape (one line)."""


@dataclass(frozen=True)
class Timelapse:
    frame_px: int          # side of one square frame in the strip
    frames: int            # N frames, side by side horizontally: the strip is N*frame_px x frame_px
    steps: tuple[int, ...]
    epochs: tuple[int, ...]
    png_base64: str


def parse_timelapse(payload) -> Timelapse:
    """Check the parsed `timelapse` metadata (see model/contract.py) without decoding the PNG."""
    if not isinstance(payload, dict):
        raise TimelapseError(f"timelapse metadata is a {type(payload).__name__}, expected an object")
    if payload.get("format") != FORMAT:
        raise TimelapseError(f"timelapse format {payload.get('format')!r} is not {FORMAT!r}")
    px, n = payload.get("frame_px"), payload.get("frames")
    if not isinstance(px, int) or not 1 <= px <= MAX_FRAME_PX:
        raise TimelapseError(f"timelapse frame_px {px!r} is not an integer in 1..{MAX_FRAME_PX}")
    if not isinstance(n, int) or not 1 <= n <= MAX_FRAMES:
        raise TimelapseError(f"timelapse frames {n!r} is not an integer in 1..{MAX_FRAMES}")
    lists = {}
    for key in ("steps", "epochs"):
        values = payload.get(key)
        if not isinstance(values, list) or len(values) != n or not all(isinstance(v, int) for v in values):
            raise TimelapseError(f"timelapse {key} should be {n} integers, one per frame")
        lists[key] = tuple(values)
    png = payload.get("png_base64")
    if not isinstance(png, str) or not png:
        raise TimelapseError("timelapse png_base64 is missing or empty")
    return Timelapse(px, n, lists["steps"], lists["epochs"], png)


def decode_strip(timelapse: Timelapse) -> np.ndarray:
    """The strip's frames as [N, S, S, 3] uint8 (frame n = columns n*S .. n*S+S-1 of the PNG)."""
    try:
        data = base64.b64decode(timelapse.png_base64, validate=True)
    except (binascii.Error, ValueError):
        raise TimelapseError("timelapse png_base64 is not valid base64") from None
    try:
        with Image.open(io.BytesIO(data)) as im:
            strip = np.asarray(im.convert("RGB"))
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise TimelapseError(f"timelapse PNG cannot be read ({exc})") from None
    s, n = timelapse.frame_px, timelapse.frames
    if strip.shape[:2] != (s, n * s):
        raise TimelapseError(f"timelapse PNG is {strip.shape[1]}x{strip.shape[0]}, expected "
                             f"{n * s}x{s} ({n} frames of {s} px)")
    return strip.reshape(s, n, s, 3).transpose(1, 0, 2, 3).copy()


def encode_strip(frames: np.ndarray, steps, epochs) -> dict:
    """The payload for frames uint8 [N, S, S, 3] recorded at `steps` in `epochs` (N each): the inverse
    of parse_timelapse + decode_strip."""
    strip = np.concatenate(list(frames), axis=1)         # [S, N*S, 3]
    buffer = io.BytesIO()
    Image.fromarray(strip).save(buffer, format="PNG", optimize=True)
    return {"format": FORMAT, "frame_px": int(frames.shape[1]), "frames": int(len(frames)),
            "steps": [int(s) for s in steps], "epochs": [int(e) for e in epochs],
            "png_base64": base64.b64encode(buffer.getvalue()).decode("ascii")}


@dataclass(frozen=True)
class Replay:
    """A decoded timelapse: what the evolution scene shows."""
    timelapse: Timelapse
    frames: np.ndarray     # [N, S, S, 3] uint8


def load_replay(payload, adopted_from: str | None = None) -> tuple[Replay | None, str | None]:
    """(replay, None), or (None, why the model has no usable replay and what it can play) for the
    evolution scene to report. `adopted_from`: the source file of a model made by aimoji-train adopt,
    which never has one (its training happened elsewhere, unrecorded)."""
    if payload is None and adopted_from:
        return None, (f"was adopted from {adopted_from}, and only a model trained with aimoji-train has a "
                      "training timelapse; morph and grid play it (for evolution, train one with aimoji-train "
                      "train and export it)")
    if payload is None:
        return None, ("has no training timelapse; morph and grid play it (for evolution, export its run again "
                      "with this version of aimoji-train export)")
    try:
        timelapse = parse_timelapse(payload)
        return Replay(timelapse, decode_strip(timelapse)), None
    except TimelapseError as exc:
        return None, f"has a damaged training timelapse: {exc}"
