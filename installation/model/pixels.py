"""From a generator's output to pixels: the one conversion, for the player and the trainer alike.

numpy only (no onnxruntime), so the trainer's recorders can use it without loading the player's runtime.
"""

from __future__ import annotations

import numpy as np


def to_uint8(batch: np.ndarray, output_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """[B, C, H, W] floats in output_range -> [B, H, W, 3] uint8, rounded half up (grey repeated to RGB)."""
    lo, hi = output_range
    scaled = (np.asarray(batch, np.float32) - lo) * (255.0 / (hi - lo))
    img = np.clip(scaled + 0.5, 0, 255).astype(np.uint8).transpose(0, 2, 3, 1)
    if img.shape[3] == 1:
        img = np.repeat(img, 3, axis=3)
    return np.ascontiguousarray(img)
