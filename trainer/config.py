"""The training configuration: one frozen dataclass, saved as config.json in the run folder and in every checkpoint."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from installation.atomic import write_json_atomic

LOSSES = ("bce", "hinge")


def trainer_version() -> str:
    """The installed aimoji version (read from package metadata, so it works however `trainer` was imported)."""

    try:
        return version("aimoji")
    except PackageNotFoundError:
        return "unknown"
DEVICES = ("auto", "cpu", "cuda")


@dataclass(frozen=True)
class TrainConfig:
    # --- data ---
    data: str = "data/emoji"      # dataset folder (images/*.png + manifest.csv); ignored when fake_images > 0
    fake_images: int = 0          # > 0: train on this many synthetic blobs instead of `data` (smoke tests)
    fake_size_px: int = 32        # side of the synthetic images when fake_images > 0
    image_size: int = 0           # side in px; 0 = taken from the dataset (must be a power of two >= 16)
    # --- model (faithful DCGAN defaults, pytorch/examples) ---
    z_dim: int = 100              # latent size; z ~ N(0, I)
    ngf: int = 64                 # generator width: channels of its last hidden layer
    ndf: int = 64                 # discriminator width: channels of its first layer
    spectral_norm: bool = False   # spectral norm on D's convolutions (and no BatchNorm in D)
    # --- optimisation ---
    epochs: int = 25              # passes over the dataset
    max_steps: int = 0            # > 0: stop after this many steps in all (benchmarks, tests)
    batch_size: int = 64          # images per step per process (torchrun multiplies it)
    lr: float = 2e-4              # Adam learning rate, both networks
    beta1: float = 0.5            # Adam beta1: 0.5 as in the DCGAN paper, keeps the GAN game stable
    beta2: float = 0.999          # Adam beta2
    loss: str = "bce"             # "bce" (the DCGAN loss, non-saturating G) or "hinge"
    ema: float = 0.0              # > 0: keep an EMA of G's weights with this decay; exported instead of G
    diffaugment: bool = False     # differentiable colour/translation/cutout on everything D sees
    seed: int = 0                 # seeds weights, latents, data order and augmentation
    # --- speed (off by default where they change the numbers; channels_last only changes memory layout) ---
    device: str = "auto"          # "auto" (cuda when present), "cpu" or "cuda"
    threads: int = 0              # torch CPU threads; 0 = torch's default
    channels_last: bool = True    # NHWC memory layout: same maths, ~25 % faster convolutions on CPU
    compile: bool = False         # torch.compile both networks (slow first steps)
    bf16: bool | None = None      # bfloat16 autocast for the forward passes (weights stay float32);
                                  # None = the faster one for this CPU (trainer/precision.py).
                                  # A run saves the choice it made, so a resume keeps it.
    # --- recording ---
    log_every: int = 10           # steps between metrics.jsonl lines
    ckpt_every: int = 500         # steps between checkpoints (also one at every epoch end)
    keep_ckpts: int = 3           # newest checkpoints kept on disk
    timelapse_every: int = 8      # steps between timelapse frames of the fixed latents
    timelapse_k: int = 16         # number of fixed latents in the timelapse and sample grids
    first_images: int = 10000     # how many of the first generated images to keep

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        """Build from a dict (config.json, a checkpoint); unknown keys are an error naming the key."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown training option(s): {', '.join(unknown)}")
        return cls(**values)

    def validate(self) -> None:
        """Raise ValueError with one line for the first impossible value."""
        if self.loss not in LOSSES:
            raise ValueError(f"--loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        if self.device not in DEVICES:
            raise ValueError(f"--device must be one of {', '.join(DEVICES)}, got {self.device!r}")
        for name in ("epochs", "batch_size", "z_dim", "ngf", "ndf", "log_every", "ckpt_every",
                     "keep_ckpts", "timelapse_every", "timelapse_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if not 0.0 <= self.ema < 1.0:
            raise ValueError(f"--ema must be a decay in [0, 1), got {self.ema}")
        if self.bf16 not in (None, True, False):
            raise ValueError(f"bf16 must be true, false or null (automatic), got {self.bf16!r}")
        if self.lr <= 0:
            raise ValueError(f"--lr must be positive, got {self.lr}")


def save_config(cfg: TrainConfig, path: Path, extra: dict | None = None) -> None:
    """Write config.json: every option plus facts about the data (image count, licences)."""
    payload = {**cfg.to_dict(), **(extra or {})}
    write_json_atomic(path, payload, indent=2, sort_keys=True)


def load_config(path: Path) -> TrainConfig:
    """Read a run's config.json back (facts about the data are dropped)."""
    try:
        values = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: cannot read the run's config ({exc})") from None
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig.from_dict({k: v for k, v in values.items() if k in names})
