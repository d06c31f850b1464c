"""Load a dataset folder into one uint8 tensor in memory (3,000 emoji at 64 px are 37 MB), or make toy data."""

from __future__ import annotations

import csv
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from installation.model.pixels import to_uint8
from trainer.dataset import DatasetError


@dataclass
class Dataset:
    images: torch.Tensor              # uint8 [N, 3, S, S]
    path: str                         # the folder, or "fake:N" for synthetic data
    licences: dict[str, int] = field(default_factory=dict)  # licence -> image count (from manifest.csv)

    @property
    def image_size(self) -> int:
        return int(self.images.shape[-1])

    def __len__(self) -> int:
        return int(self.images.shape[0])


def _listed_files(folder: Path) -> tuple[list[Path], Counter]:
    """The image files named by manifest.csv, or every PNG under images/ (or the folder) when there is none."""
    manifest = folder / "manifest.csv"
    if manifest.is_file():
        with manifest.open(newline="", encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        if rows and "file" not in rows[0]:
            raise DatasetError(f"{manifest}: no 'file' column")
        licences = Counter((r.get("licence") or "unknown").strip() for r in rows)
        return [folder / r["file"] for r in rows], licences
    images_dir = folder / "images" if (folder / "images").is_dir() else folder
    return sorted(images_dir.glob("*.png")), Counter()


def load_dataset(folder: str | Path) -> Dataset:
    """Read every image once; all must have the same square size. Raises DatasetError."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: data folder not found (build one with 'aimoji-train dataset build')")
    files, licences = _listed_files(folder)
    if not files:
        raise DatasetError(f"{folder}: no images (expected images/*.png or a manifest.csv listing them)")
    arrays = []
    first_size = None
    for path in files:
        try:
            with Image.open(path) as im:
                rgb = im.convert("RGB")
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{path}: cannot read image ({exc})") from None
        if first_size is None:
            first_size = (rgb.size, path)
            if rgb.size[0] != rgb.size[1]:
                raise DatasetError(f"{path}: image is {rgb.size[0]}x{rgb.size[1]}, expected a square")
        elif rgb.size != first_size[0]:
            raise DatasetError(
                f"{path}: image is {rgb.size[0]}x{rgb.size[1]} but {first_size[1].name} is "
                f"{first_size[0][0]}x{first_size[0][1]}; all images must have the same size")
        arrays.append(np.asarray(rgb, dtype=np.uint8))
    images = torch.from_numpy(np.stack(arrays)).permute(0, 3, 1, 2).contiguous()
    return Dataset(images=images, path=str(folder), licences=dict(licences))


def fake_dataset(count: int, size_px: int = 32, seed: int = 0) -> Dataset:
    """Toy emoji: coloured discs with two dark eyes on white. Learnable in a few hundred steps."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size_px, 0:size_px] / size_px
    out = np.full((count, size_px, size_px, 3), 255, np.uint8)
    for i in range(count):
        cx, cy = rng.uniform(0.4, 0.6, 2)
        r = rng.uniform(0.3, 0.42)
        colour = rng.integers(0, 256, 3)
        colour[0] = max(colour[0], 180)  # warm faces, like most emoji
        out[i][(xx - cx) ** 2 + (yy - cy) ** 2 < r * r] = colour
        for ex in (cx - r / 2.5, cx + r / 2.5):
            out[i][(xx - ex) ** 2 + (yy - (cy - r / 4)) ** 2 < (r / 6) ** 2] = (20, 20, 20)
    images = torch.from_numpy(out).permute(0, 3, 1, 2).contiguous()
    return Dataset(images=images, path=f"fake:{count}", licences={"synthetic": count})


def to_model_range(batch: torch.Tensor) -> torch.Tensor:
    """uint8 [B, 3, S, S] -> float [-1, 1], the range of the generator's tanh."""
    return batch.float().div_(127.5).sub_(1.0)


def to_uint8_hwc(images: torch.Tensor) -> np.ndarray:
    """float [B, 3, S, S] in [-1, 1] -> uint8 [B, S, S, 3] for PNGs and npz shards, by the player's own
    conversion (so a recorded frame and the same latent on the wall have the same pixels)."""
    return to_uint8(images.detach().float().cpu().numpy())
