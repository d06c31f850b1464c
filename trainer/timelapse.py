"""Record what the generator draws during training: the timelapse of fixed latents and the first N fakes.

Both recorders keep the current shard in memory and rewrite it atomically at every checkpoint, so a
resumed run trims them back to the checkpoint's step and carries on as if it had never stopped.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from installation.atomic import write_bytes_atomic
from installation.model.timelapse import encode_strip
from trainer.runs import FIRST_IMAGES, TIMELAPSE, load_npz, read_timelapse


def _save_npz(path: Path, **arrays) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


class TimelapseRecorder:
    """timelapse/epoch-NNN.npz: images uint8 [n, K, S, S, 3], steps int64 [n], epoch int."""

    def __init__(self, run_dir: Path):
        self.run_dir = Path(run_dir)
        TIMELAPSE.folder(run_dir).mkdir(parents=True, exist_ok=True)
        self.epoch = 1
        self.frames: list[np.ndarray] = []
        self.steps: list[int] = []

    def save_fixed_z(self, fixed_z: np.ndarray) -> None:
        buffer = io.BytesIO()
        np.save(buffer, fixed_z.astype(np.float32))
        write_bytes_atomic(TIMELAPSE.folder(self.run_dir) / "fixed_z.npy", buffer.getvalue())

    def start_epoch(self, epoch: int) -> None:
        self.epoch, self.frames, self.steps = epoch, [], []

    def add(self, step: int, images: np.ndarray) -> None:
        self.frames.append(images)
        self.steps.append(step)

    def flush(self) -> None:
        if not self.frames:
            return
        _save_npz(TIMELAPSE.path(self.run_dir, self.epoch), images=np.stack(self.frames),
                  steps=np.asarray(self.steps, np.int64), epoch=np.int64(self.epoch))

    def resume(self, epoch: int, step: int) -> None:
        """Keep frames up to `step`: the current epoch's shard is reloaded, later ones deleted."""
        self.start_epoch(epoch)
        for number, path in TIMELAPSE.listed(self.run_dir):
            if number > epoch:
                path.unlink()
            elif number == epoch:
                shard = load_npz(path, ("images", "steps"))
                keep = shard["steps"] <= step
                self.frames = list(shard["images"][keep])
                self.steps = [int(s) for s in shard["steps"][keep]]
                if self.frames:
                    self.flush()
                else:
                    path.unlink()


class FirstImagesRecorder:
    """first_images/shard-NNN.npz: images uint8 [n, S, S, 3], steps int64 [n]; `limit` images in all."""

    def __init__(self, run_dir: Path, limit: int, shard_size: int = 1000):
        self.run_dir = Path(run_dir)
        FIRST_IMAGES.folder(run_dir).mkdir(parents=True, exist_ok=True)
        self.limit, self.shard_size = limit, shard_size
        self.count = 0      # images already in full shards on disk
        self.shard = 0
        self.images: list[np.ndarray] = []
        self.steps: list[int] = []

    @property
    def full(self) -> bool:
        return self.count + len(self.images) >= self.limit

    def add(self, step: int, images: np.ndarray) -> None:
        for image in images[: self.limit - self.count - len(self.images)]:
            self.images.append(image)
            self.steps.append(step)
            if len(self.images) == self.shard_size:
                self.flush()
                self.count += self.shard_size
                self.shard += 1
                self.images, self.steps = [], []

    def flush(self) -> None:
        if self.images:
            _save_npz(FIRST_IMAGES.path(self.run_dir, self.shard), images=np.stack(self.images),
                      steps=np.asarray(self.steps, np.int64))

    def resume(self, step: int) -> None:
        """Trim the record back to images made at or before `step`."""
        self.count, self.shard, self.images, self.steps = 0, 0, [], []
        for number, path in FIRST_IMAGES.listed(self.run_dir):
            shard = load_npz(path, ("images", "steps"))
            keep = shard["steps"] <= step
            images, steps = shard["images"][keep], shard["steps"][keep]
            if len(steps) == self.shard_size and self.shard == number:
                self.count += self.shard_size
                self.shard += 1
            elif len(steps) and self.shard == number:
                self.images, self.steps = list(images), [int(s) for s in steps]
            else:
                path.unlink()
        self.flush()  # the partial shard on disk may hold images from after `step`


def even_subsample(n: int, most: int) -> np.ndarray:
    """Indices of at most `most` items spread evenly over n, always keeping the first and the last."""
    if n <= most:
        return np.arange(n)
    return np.unique(np.round(np.linspace(0, n - 1, most)).astype(np.int64))


def png_strip(run_dir: Path, latent: int = 0, max_frames: int = 120) -> dict:
    """The `timelapse` ONNX payload: one latent's history, at most max_frames spread evenly, in the
    format installation/model/timelapse.py defines. Raises RunError naming the file."""
    images, steps, epochs = read_timelapse(run_dir)
    pick = even_subsample(len(steps), max_frames)
    return encode_strip(images[pick, latent], steps[pick], epochs[pick])
