"""The training configuration: one frozen dataclass, saved as config.json in the run folder and in every checkpoint.

config.json is written by `save_config` and read by `load_run_config` alone (resume, export, map).
"""

from __future__ import annotations

import dataclasses
import json
import typing
from dataclasses import dataclass
from pathlib import Path

from installation.atomic import write_json_atomic
from installation.text import first_line

CONFIG_FILE = "config.json"  # in the run folder
LOSSES = ("bce", "hinge")
DEVICES = ("auto", "cpu", "cuda")

# What config.json holds beside the options: facts about the data and the run (all optional on reading).
FACTS: dict[str, type] = {
    "dataset": str,           # the data folder, or "fake:N"
    "dataset_images": int,
    "data_licences": dict,    # licence -> image count, from manifest.csv
    "world_size": int,        # processes that trained (torchrun)
    "trainer_version": str,
    "title": str,             # never written by the trainer: a heading for the map page, added by hand
}


class ConfigError(ValueError):
    """A run's config.json cannot be used; the message is one line naming the file (and the key)."""


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
        """Build from a checkpoint's options; unknown keys are an error naming the key."""
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


@dataclass(frozen=True)
class RunConfig:
    """A run's config.json as read back: its options, and the facts saved beside them."""
    options: TrainConfig
    facts: dict  # the keys of FACTS that the file has


def save_config(cfg: TrainConfig, path: Path, facts: dict | None = None) -> None:
    """Write config.json: every option plus facts about the data (image count, licences)."""
    unknown = sorted(set(facts or {}) - set(FACTS))
    if unknown:  # the writer never writes what load_run_config would refuse
        raise ValueError(f"{path}: not a fact config.json holds: {', '.join(unknown)}")
    write_json_atomic(path, {**cfg.to_dict(), **(facts or {})}, indent=2, sort_keys=True)


_OPTION_TYPES = typing.get_type_hints(TrainConfig)


def _fits(value, kind) -> bool:
    """Whether a JSON value fits a type: true/false only where a bool is meant (Python counts bools as
    ints), whole numbers where a float is."""
    if isinstance(value, bool):
        return kind in (bool, bool | None)
    if kind is float:
        return isinstance(value, (int, float))
    return isinstance(value, kind)


def load_run_config(path: str | Path) -> RunConfig:
    """Read a run's config.json: each key an option or a fact of its type, missing options at their
    defaults. The one reader of the file; raises ConfigError, one line naming the file."""
    path = Path(path)
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the run's config ({exc.strerror or first_line(exc)})") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError
        raise ConfigError(f"{path}: not valid JSON ({first_line(exc)})") from None
    if not isinstance(values, dict):
        raise ConfigError(f"{path}: expected a JSON object of options, got {type(values).__name__}")
    for key, value in values.items():
        kind = _OPTION_TYPES.get(key) or FACTS.get(key)
        if kind is None:
            raise ConfigError(f"{path}: unknown key '{key}' (neither a training option nor a fact about the run)")
        if not _fits(value, kind):
            raise ConfigError(f"{path}: '{key}' must be {getattr(kind, '__name__', kind)}, "
                              f"got {json.dumps(value)[:40]}")
    options = TrainConfig(**{k: v for k, v in values.items() if k in _OPTION_TYPES})
    return RunConfig(options, {k: v for k, v in values.items() if k in FACTS})
