"""Trainer test fixtures: a tiny dataset folder on disk and a tiny finished run, made once per session."""

from __future__ import annotations

import csv
import io
import shutil

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


GAIN = 40.0   # six steps leave the last layer's weights at their initial N(0, 0.02); trained ones are larger


@pytest.fixture(scope="session")
def exportable_run(tiny_run, tmp_path_factory):
    """tiny_run with contrast. Six steps leave a DCGAN as initialised: it draws a flat grey (outputs
    within +-0.013), which the player's loader, and so export, refuses. Here the last layer's weights in
    each checkpoint (generator and EMA) are GAIN times larger, as training grows them, so the run exports
    a generator that draws; steps, epochs, timelapse and config stay tiny_run's. Do not modify it."""
    import torch

    from trainer.checkpoint import list_checkpoints, load_checkpoint

    run = tmp_path_factory.mktemp("runs") / "tiny"
    shutil.copytree(tiny_run, run)
    for path in list_checkpoints(run):
        state = load_checkpoint(path)
        for key in ("generator", "ema"):
            if key in state:
                convs = [k for k, v in state[key].items() if k.startswith("main.") and v.ndim == 4]
                last = max(convs, key=lambda k: int(k.split(".")[1]))
                state[key][last] = state[key][last] * GAIN
        buffer = io.BytesIO()
        torch.save(state, buffer)
        path.write_bytes(buffer.getvalue())
    return run
