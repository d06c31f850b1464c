"""Atomic checkpoints of plain tensors (loadable with weights_only=True), newest good one wins."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import torch

from installation.atomic import write_bytes_atomic
from installation.text import first_line
from trainer.runs import CHECKPOINTS

REQUIRED = ("generator", "discriminator", "opt_g", "opt_d", "rng", "epoch", "batch", "step", "config")


class CheckpointError(ValueError):
    """No usable checkpoint; the message is one line naming the folder or file."""


def rng_state(device: torch.device) -> dict:
    """Every RNG the loop draws from, as tensors (weights_only cannot hold numpy/random states)."""
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict, device: torch.device) -> None:
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def list_checkpoints(run_dir: Path) -> list[Path]:
    """Checkpoint files, newest (highest step) first; temp files of interrupted writes are ignored."""
    return [path for _, path in reversed(CHECKPOINTS.listed(run_dir))]


def save_checkpoint(run_dir: Path, state: dict, keep: int) -> Path:
    """Serialise in memory, write atomically, then delete all but the `keep` newest."""
    missing = [k for k in REQUIRED if k not in state]
    if missing:
        raise ValueError(f"checkpoint state lacks {missing}")
    path = CHECKPOINTS.path(run_dir, int(state["step"]))
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save(state, buffer)
    write_bytes_atomic(path, buffer.getvalue())
    for old in list_checkpoints(run_dir)[keep:]:
        old.unlink(missing_ok=True)
    return path


def load_checkpoint(path: Path) -> dict:
    """Load one file with weights_only=True and check its keys; raises CheckpointError."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, bad pickle, unreadable file: all mean "not usable"
        raise CheckpointError(f"{path}: unreadable ({type(exc).__name__}: {first_line(exc, 120)})") from None
    if not isinstance(state, dict) or any(k not in state for k in REQUIRED):
        raise CheckpointError(f"{path}: not an AImoji checkpoint (missing keys)")
    return state


def load_newest_good(run_dir: Path, log=None) -> tuple[Path, dict]:
    """The newest checkpoint that loads; each bad one is reported in one line and skipped."""
    log = log or (lambda line: print(line, file=sys.stderr))
    paths = list_checkpoints(run_dir)
    if not paths:
        raise CheckpointError(f"{CHECKPOINTS.folder(run_dir)}: no checkpoints")
    for path in paths:
        try:
            return path, load_checkpoint(path)
        except CheckpointError as exc:
            log(f"warning: skipping checkpoint {exc}")
    raise CheckpointError(f"{CHECKPOINTS.folder(run_dir)}: none of {len(paths)} checkpoint(s) could be read")
