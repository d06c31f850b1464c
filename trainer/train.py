"""The DCGAN training loop: train(cfg, run_dir) fills a run folder (see docs/training.md for its layout).

Runs alone or under torchrun (DDP: gloo on CPU, nccl on CUDA); only rank 0 writes files, through
trainer/recorder.py, so the loop itself is the two updates of pytorch/examples' DCGAN. What it needs
(checked data, precision, networks and optimisers, a resume, the batches) is made by the set-up
functions above it, one piece each.
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DistributedSampler

from installation.version import package_version
from trainer.augment import diff_augment
from trainer.checkpoint import CheckpointError, list_checkpoints, load_newest_good, rng_state, set_rng_state
from trainer.config import CONFIG_FILE, ConfigError, TrainConfig, load_run_config, save_config
from trainer.dataset.load import Dataset, fake_dataset, load_dataset, to_model_range
from trainer.model import build_models
from trainer.precision import decide_precision
from trainer.recorder import Recorder
from trainer.runs import RunError


class TrainError(ValueError):
    """Training cannot start; the message is one line naming the file or option."""


def d_loss(logits: torch.Tensor, real: bool, kind: str) -> torch.Tensor:
    """D's loss on one half of its batch, the real images (target 1) or G's fakes (target 0); the halves
    are scored apart because each gets its own backward pass."""
    if kind == "hinge":
        return F.relu(1 - logits).mean() if real else F.relu(1 + logits).mean()
    # BCE written with softplus: -log(sigmoid(x)) = log(1+e^-x) for real, -log(1-sigmoid(x)) = log(1+e^x) for fake
    return F.softplus(-logits).mean() if real else F.softplus(logits).mean()


def g_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Non-saturating G loss (maximise log D(G(z))) for BCE; -D(G(z)) for hinge."""
    return -fake_logits.mean() if kind == "hinge" else F.softplus(-fake_logits).mean()


@torch.no_grad()
def ema_update(ema: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """Move ema's weights a (1 - decay) share of the way to model's. Buffers (BatchNorm's running
    statistics) are copied as they are: they are averages already."""
    for pe, p in zip(ema.parameters(), model.parameters()):
        pe.lerp_(p, 1.0 - decay)
    for be, b in zip(ema.buffers(), model.buffers()):
        be.copy_(b)


def pick_device(name: str, local_rank: int = 0) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise TrainError("--device cuda: no CUDA device is visible to torch")
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def check_writable(run_dir: Path) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=run_dir, prefix=".probe-"):
            pass
    except OSError as exc:
        raise TrainError(f"{run_dir}: cannot write to the run folder ({exc.strerror or exc})") from None


def load_data(cfg: TrainConfig) -> Dataset:
    from trainer.dataset.load import DatasetError

    try:
        return fake_dataset(cfg.fake_images, cfg.fake_size_px, cfg.seed) if cfg.fake_images else load_dataset(cfg.data)
    except DatasetError as exc:
        raise TrainError(str(exc)) from None


def _saved_bf16(run_dir: Path) -> bool | None:
    """The precision saved by the run being resumed, or None if its config.json cannot be read."""
    try:
        return load_run_config(run_dir / CONFIG_FILE).options.bf16
    except ConfigError:
        return None


def _distributed() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def _for_the_loop(g: torch.nn.Module, d: torch.nn.Module, device: torch.device, world: int,
                  use_compile: bool) -> tuple[torch.nn.Module, torch.nn.Module]:
    """What the loop calls to run G and D: wrapped in DDP when there are several processes (which
    averages the gradients), then compiled if asked. The weights stay g's and d's, so optimisers,
    EMA and checkpoints use the plain networks and saved keys carry no 'module.' prefix."""
    g_step, d_step = g, d
    if world > 1:
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
        ids = [device.index] if device.type == "cuda" else None
        g_step = torch.nn.parallel.DistributedDataParallel(g, device_ids=ids)
        d_step = torch.nn.parallel.DistributedDataParallel(d, device_ids=ids)
    if use_compile:
        g_step, d_step = torch.compile(g_step), torch.compile(d_step)
    return g_step, d_step


_LAST_WORK: list = []   # the final barrier's work, owned by this thread until the process ends (see _part_ways)


def _part_ways(take_down: bool) -> None:
    """The ranks' last meeting; then the process group this run set up is taken down.

    A finished gloo work holds a copy of the caller's contextvars Context, so whoever drops it last must
    take the GIL. When gloo's worker thread was the last owner of the final barrier's work, it took
    the GIL late and either aborted the rank because the interpreter was exiting ('terminate called
    without an active exception', about 1 run in 100 here; seen in a core dump) or deadlocked with
    the main thread joining it with the GIL held (in destroy_process_group or DDP's reducer: hangs
    seen in gdb). Kept here to the end, the work's last owner is this thread, and the worker has
    nothing left that needs the GIL when it is joined."""
    work = torch.distributed.barrier(async_op=True)
    work.wait()
    _LAST_WORK.append(work)
    if take_down:
        torch.distributed.destroy_process_group()


def _smoothed(img_s: float, now: float) -> float:
    """Images per second as an exponential average over about the last ten steps (the first step
    starts it), so the figure in the bar and the metrics does not jump with every step."""
    return now if img_s == 0 else 0.9 * img_s + 0.1 * now


def _memory_format(cfg: TrainConfig) -> torch.memory_format:
    return torch.channels_last if cfg.channels_last else torch.contiguous_format


def total_steps(cfg: TrainConfig, per_epoch: int) -> int:
    """The step a run ends at: the last of its epochs, or --max-steps where that comes first."""
    return min(cfg.max_steps, cfg.epochs * per_epoch) if cfg.max_steps else cfg.epochs * per_epoch


# ---------------- set-up: each piece the loop needs, in the order train() makes them ----------------

def _checked_data(cfg: TrainConfig, world: int) -> tuple[TrainConfig, Dataset]:
    """The dataset, and cfg with the image size taken from it; refuses data the networks cannot be
    built for or that holds less than one batch per process."""
    data = load_data(cfg)
    if cfg.image_size and cfg.image_size != data.image_size:
        raise TrainError(f"{data.path}: images are {data.image_size} px but --image-size is {cfg.image_size}")
    cfg = replace(cfg, image_size=data.image_size)
    try:
        build_models(cfg.z_dim, 1, 1, cfg.image_size)
    except ValueError as exc:
        raise TrainError(f"{data.path}: {exc}") from None
    if len(data) // world < cfg.batch_size:
        raise TrainError(f"{data.path}: {len(data)} images is fewer than one batch of {cfg.batch_size} per process")
    return cfg, data


def _check_run_dir(run_dir: Path, resume: bool) -> None:
    check_writable(run_dir)
    if not resume and list_checkpoints(run_dir):
        raise TrainError(f"{run_dir}: already holds checkpoints; add --resume to continue it or pick a new --out")


def _precision(cfg: TrainConfig, device: torch.device, run_dir: Path, resume: bool, rank: int, world: int,
               log) -> TrainConfig:
    """cfg with bf16 decided, the first line a user sees saying which and why. The choice is saved with
    the run, so a resume trains in the same precision."""
    asked_by = "by the run being resumed" if resume and cfg.bf16 is not None and \
        _saved_bf16(run_dir) == cfg.bf16 else None
    use_bf16, lines = decide_precision(cfg.bf16, device, may_probe=world == 1, warn=rank == 0,
                                       asked_by=asked_by)
    if rank == 0:
        for line in lines:
            log(line)
    return replace(cfg, bf16=use_bf16)


@dataclass
class Nets:
    """G, D, G's EMA and both optimisers: what a checkpoint saves and a resume restores."""

    g: torch.nn.Module
    d: torch.nn.Module
    ema: torch.nn.Module | None  # G's weights averaged over the steps (--ema); drawn and exported instead of G
    opt_g: torch.optim.Optimizer
    opt_d: torch.optim.Optimizer

    @property
    def shown(self) -> torch.nn.Module:
        """The generator the timelapse and sample grids draw with: the one that gets exported."""
        return self.ema if self.ema is not None else self.g

    def state(self, cfg: TrainConfig, device: torch.device, epoch: int, batch: int, step: int) -> dict:
        """Everything a resume needs to carry on bit for bit, as plain tensors, with the options."""
        state = {"generator": self.g.state_dict(), "discriminator": self.d.state_dict(),
                 "opt_g": self.opt_g.state_dict(), "opt_d": self.opt_d.state_dict(), "rng": rng_state(device),
                 "epoch": epoch, "batch": batch, "step": step, "config": cfg.to_dict()}
        if self.ema is not None:
            state["ema"] = self.ema.state_dict()
        return state

    def load(self, ckpt: dict) -> None:
        """Take a checkpoint's weights and optimiser state (a checkpoint without EMA leaves the EMA as built)."""
        self.g.load_state_dict(ckpt["generator"])
        self.d.load_state_dict(ckpt["discriminator"])
        if self.ema is not None and "ema" in ckpt:
            self.ema.load_state_dict(ckpt["ema"])
        self.opt_g.load_state_dict(ckpt["opt_g"])
        self.opt_d.load_state_dict(ckpt["opt_d"])


def build_nets(cfg: TrainConfig, device: torch.device) -> Nets:
    """Fresh networks from cfg.seed, on the device in the loop's memory format, with their optimisers."""
    torch.manual_seed(cfg.seed)
    g, d = build_models(cfg.z_dim, cfg.ngf, cfg.ndf, cfg.image_size, cfg.spectral_norm)
    ema = copy.deepcopy(g).requires_grad_(False) if cfg.ema else None
    for net in (g, d, ema):
        if net is not None:
            net.to(device, memory_format=_memory_format(cfg))
    betas = (cfg.beta1, cfg.beta2)
    return Nets(g, d, ema, torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=betas),
                torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=betas))


def _resume(nets: Nets, run_dir: Path, device: torch.device, log) -> tuple[int, int, int]:
    """Load the newest good checkpoint into nets and the RNGs; returns the (epoch, batch, step) it had done."""
    try:
        path, ckpt = load_newest_good(run_dir, log)
    except CheckpointError as exc:
        raise TrainError(str(exc)) from None
    nets.load(ckpt)
    set_rng_state(ckpt["rng"], device)
    epoch, batch, step = int(ckpt["epoch"]), int(ckpt["batch"]), int(ckpt["step"])
    log(f"resuming from {path} (epoch {epoch + 1}, step {step})")
    return epoch, batch, step


def fixed_latents(cfg: TrainConfig, device: torch.device) -> torch.Tensor:
    """The timelapse's latents [timelapse_k, z_dim], from a generator of their own (seed + 1): the same
    in every run with this seed, resumed or not, and no draw from the loop's random numbers."""
    z = torch.randn(cfg.timelapse_k, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 1))
    return z.to(device)


class Batches:
    """This process's share of the data on the device, an epoch at a time: DistributedSampler's order
    (shuffled by seed and epoch, so a resume sees the same batches), cut into batches of real images."""

    def __init__(self, data: Dataset, cfg: TrainConfig, device: torch.device, rank: int, world: int):
        self.images = data.images.to(device)
        self.sampler = DistributedSampler(range(len(data)), num_replicas=world, rank=rank, shuffle=True,
                                          seed=cfg.seed, drop_last=True)
        self.size, self.fmt = cfg.batch_size, _memory_format(cfg)
        self.per_epoch = len(data) // world // cfg.batch_size

    def order(self, epoch: int) -> torch.Tensor:
        self.sampler.set_epoch(epoch)
        return torch.tensor(list(self.sampler), dtype=torch.long)

    def real(self, order: torch.Tensor, batch: int) -> torch.Tensor:
        """Batch `batch` of the epoch in `order`: float [B, 3, S, S] in [-1, 1], in the loop's memory format."""
        idx = order[batch * self.size:(batch + 1) * self.size].to(self.images.device)
        return to_model_range(self.images[idx]).contiguous(memory_format=self.fmt)


class _Unrecorded:
    """The record kept by ranks other than 0: none (rank 0 writes the run's one record)."""

    def step(self, *args) -> None:
        pass

    def end_epoch(self, *args) -> None:
        pass

    def close(self, *args) -> None:
        pass


def _facts(data: Dataset, world: int) -> dict:
    """What config.json says beside the options (config.FACTS)."""
    return {"dataset": data.path, "dataset_images": len(data), "data_licences": data.licences,
            "world_size": world, "trainer_version": package_version()}


# ---------------- the loop ----------------

def train(cfg: TrainConfig, run_dir: str | Path, resume: bool = False, progress: bool = True,
          log=lambda line: print(line, file=sys.stderr)) -> dict:
    """Train and record into run_dir; returns a summary (steps, epochs, seconds, img_s). Raises TrainError."""
    # --- set-up: options, data, precision, networks (fresh from the seed, or resumed), the record ---
    try:
        cfg.validate()
    except ValueError as exc:
        raise TrainError(str(exc)) from None
    run_dir = Path(run_dir)
    rank, world, local_rank = _distributed()
    device = pick_device(cfg.device, local_rank)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    cfg, data = _checked_data(cfg, world)
    if rank == 0:
        _check_run_dir(run_dir, resume)
    cfg = _precision(cfg, device, run_dir, resume, rank, world, log)
    nets = build_nets(cfg, device)
    epoch, batch, step = _resume(nets, run_dir, device, log) if resume else (0, 0, 0)
    if rank > 0:  # each process draws its own latents and augmentations
        torch.manual_seed(cfg.seed + 1000 * rank + step)
    group_is_ours = world > 1 and not torch.distributed.is_initialized()
    g_step, d_step = _for_the_loop(nets.g, nets.d, device, world, cfg.compile)
    batches = Batches(data, cfg, device, rank, world)
    total = total_steps(cfg, batches.per_epoch)
    recorder = _Unrecorded()
    if rank == 0:
        save_config(cfg, run_dir / CONFIG_FILE, _facts(data, world))
        try:  # opening the record trims it back to the checkpoint being resumed
            recorder = Recorder(run_dir, cfg, nets.shown, fixed_latents(cfg, device),
                                partial(nets.state, cfg, device), epoch=epoch, step=step, resume=resume,
                                per_epoch=batches.per_epoch, total=total, progress=progress)
        except RunError as exc:  # a damaged shard it cannot read back
            raise TrainError(str(exc)) from None
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16)
    aug = diff_augment if cfg.diffaugment else (lambda x: x)
    started, img_s = time.perf_counter(), 0.0

    while epoch < cfg.epochs and step < total:
        order = batches.order(epoch)
        while batch < batches.per_epoch and step < total:
            t0 = time.perf_counter()
            real = batches.real(order, batch)
            z = torch.randn(real.shape[0], cfg.z_dim, device=device)

            # (1) update D: push D(x) up and D(G(z)) down, one backward pass per half as in pytorch/examples
            nets.d.zero_grad(set_to_none=True)
            with autocast:
                fake = g_step(z)
                out_real = d_step(aug(real)).float()
            loss_real = d_loss(out_real, real=True, kind=cfg.loss)
            loss_real.backward()
            with autocast:
                out_fake = d_step(aug(fake.detach())).float()
            loss_fake = d_loss(out_fake, real=False, kind=cfg.loss)
            loss_fake.backward()
            nets.opt_d.step()
            loss_d = (loss_real + loss_fake).detach()

            # (2) update G: make D call G(z) real
            nets.g.zero_grad(set_to_none=True)
            with autocast:
                out_g = d_step(aug(fake)).float()
            loss_g = g_loss(out_g, cfg.loss)
            loss_g.backward()
            nets.opt_g.step()
            if nets.ema is not None:
                ema_update(nets.ema, nets.g, cfg.ema)

            # (3) record: speed, losses, what G drew (rank 0)
            step, batch = step + 1, batch + 1
            img_s = _smoothed(img_s, real.shape[0] * world / (time.perf_counter() - t0))
            recorder.step(epoch, batch, step, fake, out_real, out_fake, loss_d, loss_g, img_s)

        if batch < batches.per_epoch:  # stopped by --max-steps in mid-epoch
            break
        epoch, batch = epoch + 1, 0
        recorder.end_epoch(epoch, step, img_s)
    recorder.close(epoch, batch, step)
    seconds = time.perf_counter() - started
    if world > 1:
        del g_step, d_step     # DDP's reducers hold the process group: without them it can go now
        _part_ways(take_down=group_is_ours)
    return {"steps": step, "epochs": epoch, "seconds": round(seconds, 1), "img_s": round(img_s, 1),
            "run_dir": str(run_dir)}
