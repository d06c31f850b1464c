"""Trainer test fixtures: a tiny dataset folder on disk and a tiny finished run, made once per session."""

from __future__ import annotations

import csv

import pytest
from PIL import Image

from trainer.config import TrainConfig
from trainer.dataset.load import fake_dataset

TINY = dict(ngf=8, ndf=8, batch_size=16, threads=1, log_every=1, ckpt_every=3, timelapse_every=2,
            timelapse_k=4, first_images=40)


def write_dataset(folder, count: int = 48, size_px: int = 16) -> None:
    """images/*.png + manifest.csv in the layout `aimoji-train dataset build` writes."""
    images = fake_dataset(count, size_px, seed=3).images.permute(0, 2, 3, 1).numpy()
    (folder / "images").mkdir(parents=True)
    with open(folder / "manifest.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["file", "source", "version", "codepoints", "name", "category", "subcategory",
                      "licence", "sha256"])
        for i, image in enumerate(images):
            Image.fromarray(image).save(folder / "images" / f"{i:04d}.png")
            out.writerow([f"images/{i:04d}.png", "toy", "1", f"{0x1F600 + i:X}", f"toy {i}", "Smileys",
                          "face", "CC-BY-4.0" if i % 3 else "Apache-2.0", "0" * 64])


@pytest.fixture(scope="session")
def tiny_options():
    """Small, fast training options (add data=... or fake_images=...)."""
    return dict(TINY)


@pytest.fixture(scope="session")
def make_dataset():
    return write_dataset


@pytest.fixture(scope="session")
def tiny_data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data") / "emoji"
    write_dataset(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_cfg(tiny_data):
    return TrainConfig(data=str(tiny_data), epochs=2, **TINY)


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory, tiny_cfg):
    """A finished 2-epoch run (6 steps) with EMA, for export tests. Do not modify it."""
    from dataclasses import replace

    from trainer.train import train

    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    train(replace(tiny_cfg, ema=0.9), run_dir, progress=False)
    return run_dir
