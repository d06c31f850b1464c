"""A training run folder: the names of its numbered files, and readers for what the run recorded.

The trainer writes the shards and checkpoints named here (see the run folder contract); the map and
the video only read the shards, one by one, so a long run never has to fit in memory at once.
"""

from __future__ import annotations

import json
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
import numpy as np


@dataclass(frozen=True)
class Numbered:
    """One kind of numbered file in a run folder, `subdir/prefix-NNN.suffix`. The writer's name and the
    readers' pattern are both made from these fields, so the two cannot drift apart."""

    subdir: str
    prefix: str
    width: int   # the writer zero-pads to this many digits; readers take more (epoch-1000 follows epoch-999)
    suffix: str

    def folder(self, run_dir: Path) -> Path:
        return Path(run_dir) / self.subdir

    def path(self, run_dir: Path, number: int) -> Path:
        return self.folder(run_dir) / f"{self.prefix}-{number:0{self.width}d}{self.suffix}"

    @property
    def glob(self) -> str:
        """The names for a person: `shard-*.npz`."""
        return f"{self.prefix}-*{self.suffix}"

    def listed(self, run_dir: Path) -> list[tuple[int, Path]]:
        """(number, path) of each file present, in numeric order; the temp files of interrupted atomic
        writes (`.name.tmp-PID`) do not match."""
        folder = self.folder(run_dir)
        if not folder.is_dir():
            return []
        pattern = re.compile(rf"{re.escape(self.prefix)}-(\d{{{self.width},}}){re.escape(self.suffix)}")
        return sorted((int(m.group(1)), p) for p in folder.iterdir() if (m := pattern.fullmatch(p.name)))


TIMELAPSE = Numbered("timelapse", "epoch", 3, ".npz")         # frames of the fixed latents, one shard per epoch
FIRST_IMAGES = Numbered("first_images", "shard", 3, ".npz")   # the first generated images, in order
CHECKPOINTS = Numbered("checkpoints", "step", 8, ".pt")       # named by the step they were saved at
METRICS_FILE = "metrics.jsonl"                                # one JSON object per line, appended as it goes


class RunError(Exception):
    """A run folder that is missing, empty or malformed; the message names the file and the problem."""


@dataclass(frozen=True)
class TimelapseShard:
    """One `timelapse/epoch-NNN.npz`: how many frames it holds and at which steps, without the pixels."""

    path: Path
    epoch: int
    steps: np.ndarray  # int64 [n]


def _check_run_dir(run_dir: Path) -> None:
    if not run_dir.is_dir():
        raise RunError(f"{run_dir}: no such run folder")


def load_npz(path: Path, keys: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Load only `keys` from one shard (members are read lazily, so 'steps' alone is cheap); raises
    RunError naming the file. The one way shards are read: by the map, the video, the export and the
    recorders trimming their own shards on a resume."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in keys if k not in npz.files]
            if missing:
                raise RunError(f"{path}: missing array {missing[0]!r} (has {', '.join(npz.files) or 'none'})")
            return {k: npz[k] for k in keys}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError) as exc:
        raise RunError(f"{path}: cannot read ({exc})") from exc


def _check_images(path: Path, images: np.ndarray, ndim: int, steps: np.ndarray) -> None:
    if images.dtype != np.uint8 or images.ndim != ndim or images.shape[-1] != 3:
        shape = "[n, K, H, W, 3]" if ndim == 5 else "[n, H, W, 3]"
        raise RunError(f"{path}: 'images' must be uint8 {shape}, got {images.dtype} {list(images.shape)}")
    if steps.shape != images.shape[:1]:
        raise RunError(f"{path}: 'steps' has {steps.shape[0] if steps.ndim else 0} entries "
                       f"for {images.shape[0]} images")


def first_image_shards(run_dir: Path) -> list[Path]:
    _check_run_dir(run_dir)
    shards = [path for _, path in FIRST_IMAGES.listed(run_dir)]
    if not shards:
        raise RunError(f"{FIRST_IMAGES.folder(run_dir)}: no {FIRST_IMAGES.glob} files (has the run generated images yet?)")
    return shards


def load_first_images(run_dir: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `count` generated images (fewer if the run made fewer), in order.

    Returns images uint8 [n, H, W, 3] and steps int64 [n].
    """
    images, steps, have = [], [], 0
    for path in first_image_shards(run_dir):
        if have >= count:
            break
        data = load_npz(path, ("images", "steps"))
        _check_images(path, data["images"], 4, data["steps"])
        if images and data["images"].shape[1:] != images[0].shape[1:]:
            raise RunError(f"{path}: images are {list(data['images'].shape[1:3])} px, "
                           f"earlier shards {list(images[0].shape[1:3])} px")
        take = min(count - have, len(data["images"]))
        images.append(data["images"][:take])
        steps.append(data["steps"][:take].astype(np.int64))
        have += take
    if have == 0:
        raise RunError(f"{FIRST_IMAGES.folder(run_dir)}: the shards hold no images")
    return np.concatenate(images), np.concatenate(steps)


def timelapse_shards(run_dir: Path) -> list[TimelapseShard]:
    """Every timelapse shard in order, with its steps (the pixels stay on disk until asked for)."""
    _check_run_dir(run_dir)
    paths = [path for _, path in TIMELAPSE.listed(run_dir)]
    if not paths:
        raise RunError(f"{TIMELAPSE.folder(run_dir)}: no {TIMELAPSE.glob} files (has the run finished an epoch yet?)")
    shards = []
    for path in paths:
        data = load_npz(path, ("steps", "epoch"))
        shards.append(TimelapseShard(path, int(data["epoch"]), data["steps"].astype(np.int64).reshape(-1)))
    if sum(len(s.steps) for s in shards) == 0:
        raise RunError(f"{TIMELAPSE.folder(run_dir)}: the shards hold no frames")
    return shards


def load_timelapse_images(shard: TimelapseShard) -> np.ndarray:
    """The pixels of one shard: uint8 [n, K, H, W, 3], checked against its steps."""
    images = load_npz(shard.path, ("images",))["images"]
    _check_images(shard.path, images, 5, shard.steps)
    return images


def read_timelapse(run_dir: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every frame at once, in order: images uint8 [n, K, H, W, 3], steps int64 [n], epoch of each frame
    int64 [n]. For small reads (the export's strip); the video goes shard by shard instead."""
    shards = timelapse_shards(run_dir)
    images = np.concatenate([load_timelapse_images(shard) for shard in shards])
    epochs = [np.full(len(shard.steps), shard.epoch, np.int64) for shard in shards]
    return images, np.concatenate([shard.steps for shard in shards]), np.concatenate(epochs)


def read_metrics(run_dir: Path) -> list[dict]:
    """metrics.jsonl's records, [] when absent; a torn last line (run killed mid-write) is skipped."""
    path = run_dir / METRICS_FILE
    if not path.is_file():
        return []
    records = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def epoch_of_steps(records: list[dict], steps: np.ndarray) -> np.ndarray | None:
    """Epoch (1-based) of each step, from the metrics log; None when the log names no epochs.

    An epoch ends at the highest step logged for it (its end-of-epoch record makes that exact); a step
    belongs to the first epoch ending at or after it. Steps after the last logged epoch end belong to
    the next epoch.
    """
    ends: dict[int, int] = {}
    finished: set[int] = set()
    for r in records:
        step, epoch = r.get("step"), r.get("epoch")
        if isinstance(step, int) and isinstance(epoch, int):
            ends[epoch] = max(ends.get(epoch, step), step)
            if r.get("kind") == "epoch":
                finished.add(epoch)
    if not ends:
        return None
    epochs = sorted(ends)
    end_steps = np.maximum.accumulate(np.array([ends[e] for e in epochs]))
    where = np.searchsorted(end_steps, steps, side="left")
    after = epochs[-1] + (1 if epochs[-1] in finished else 0)
    return np.array(epochs + [after])[where]
