"""The DCGAN training loop: train(cfg, run_dir) fills a run folder (see docs/training.md for its layout).

Runs alone or under torchrun (DDP: gloo on CPU, nccl on CUDA; only rank 0 writes files).
"""

from __future__ import annotations

import copy
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch
import torch.nn.functional as F
from torch.utils.data import DistributedSampler
from tqdm import tqdm

from trainer.augment import diff_augment
from trainer.checkpoint import list_checkpoints, load_newest_good, rng_state, save_checkpoint, set_rng_state
from trainer.config import TrainConfig, save_config, trainer_version
from trainer.dataset.load import Dataset, fake_dataset, load_dataset, to_model_range, to_uint8_hwc
from trainer.model import build_models
from trainer.plots import grid, plot_losses, save_png
from trainer.precision import decide_precision
from trainer.timelapse import FirstImagesRecorder, TimelapseRecorder


class TrainError(ValueError):
    """Training cannot start; the message is one line naming the file or option."""


def d_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor, kind: str) -> tuple[torch.Tensor, torch.Tensor]:
    """D's loss on the real and on the fake half, kept apart so each half gets its own backward pass."""
    if kind == "hinge":
        return F.relu(1 - real_logits).mean(), F.relu(1 + fake_logits).mean()
    # BCE with targets 1 (real) and 0 (fake), written with softplus: log(1+e^-x) and log(1+e^x)
    return F.softplus(-real_logits).mean(), F.softplus(fake_logits).mean()


def g_loss(fake_logits: torch.Tensor, kind: str) -> torch.Tensor:
    """Non-saturating G loss (maximise log D(G(z))) for BCE; -D(G(z)) for hinge."""
    return -fake_logits.mean() if kind == "hinge" else F.softplus(-fake_logits).mean()


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


class Metrics:
    """metrics.jsonl: one JSON object per line, appended and flushed as it goes."""

    def __init__(self, path: Path, keep_until_step: int | None):
        self.path = path
        self.records: list[dict] = []
        if keep_until_step is not None and path.exists():  # resuming: forget what came after the checkpoint
            lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
            self.records = [r for r in lines if r.get("step", 0) <= keep_until_step]
        self.fh = open(path, "w", encoding="utf-8")
        for r in self.records:
            self.fh.write(json.dumps(r) + "\n")
        self.fh.flush()

    def write(self, record: dict) -> None:
        self.records.append(record)
        self.fh.write(json.dumps(record) + "\n")
        self.fh.flush()


def _render(g: torch.nn.Module, z: torch.Tensor, train_mode: bool = False):
    """G's images of z as uint8 [n, S, S, 3]. Eval mode uses BatchNorm's running statistics, as the
    exported model will; train mode uses the batch's own statistics (on a copy, so G's stay put)."""
    net = copy.deepcopy(g) if train_mode else g
    was_training = net.training
    net.train(train_mode)
    with torch.no_grad():
        images = to_uint8_hwc(net(z))
    net.train(was_training)
    return images


def _saved_option(run_dir: Path, key: str):
    """An option from the run folder's config.json, or None if it cannot be read."""
    try:
        return json.loads((run_dir / "config.json").read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None


def _distributed() -> tuple[int, int, int]:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    return int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0"))


def train(cfg: TrainConfig, run_dir: str | Path, resume: bool = False, progress: bool = True,
          log=lambda line: print(line, file=sys.stderr)) -> dict:
    """Train and record into run_dir; returns a summary (steps, epochs, seconds, img_s). Raises TrainError."""
    try:
        cfg.validate()
    except ValueError as exc:
        raise TrainError(str(exc)) from None
    run_dir = Path(run_dir)
    rank, world, local_rank = _distributed()
    device = pick_device(cfg.device, local_rank)
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    data = load_data(cfg)
    if cfg.image_size and cfg.image_size != data.image_size:
        raise TrainError(f"{data.path}: images are {data.image_size} px but --image-size is {cfg.image_size}")
    cfg = replace(cfg, image_size=data.image_size)
    try:
        build_models(cfg.z_dim, 1, 1, cfg.image_size)
    except ValueError as exc:
        raise TrainError(f"{data.path}: {exc}") from None
    per_rank = len(data) // world
    if per_rank < cfg.batch_size:
        raise TrainError(f"{data.path}: {len(data)} images is fewer than one batch of {cfg.batch_size} per process")
    if rank == 0:
        check_writable(run_dir)
        if not resume and list_checkpoints(run_dir):
            raise TrainError(f"{run_dir}: already holds checkpoints; add --resume to continue it or pick a new --out")

    # --- precision: the first line a user sees says which and why ---
    asked_by = "by the run being resumed" if resume and cfg.bf16 is not None and \
        _saved_option(run_dir, "bf16") == cfg.bf16 else None
    use_bf16, lines = decide_precision(cfg.bf16, device, may_probe=world == 1, warn=rank == 0,
                                       asked_by=asked_by)
    if rank == 0:
        for line in lines:
            log(line)
    cfg = replace(cfg, bf16=use_bf16)  # saved with the run, so a resume trains in the same precision

    # --- models, optimisers and state (from the seed, or from the newest good checkpoint) ---
    torch.manual_seed(cfg.seed)
    g, d = build_models(cfg.z_dim, cfg.ngf, cfg.ndf, cfg.image_size, cfg.spectral_norm)
    ema = copy.deepcopy(g).requires_grad_(False) if cfg.ema else None
    fixed_z = torch.randn(cfg.timelapse_k, cfg.z_dim, generator=torch.Generator().manual_seed(cfg.seed + 1))
    epoch, batch_in_epoch, step, ckpt = 0, 0, 0, None
    if resume:
        from trainer.checkpoint import CheckpointError

        try:
            path, ckpt = load_newest_good(run_dir, log)
        except CheckpointError as exc:
            raise TrainError(str(exc)) from None
        g.load_state_dict(ckpt["generator"])
        d.load_state_dict(ckpt["discriminator"])
        if ema is not None and "ema" in ckpt:
            ema.load_state_dict(ckpt["ema"])
        epoch, batch_in_epoch, step = int(ckpt["epoch"]), int(ckpt["batch"]), int(ckpt["step"])
        log(f"resuming from {path} (epoch {epoch + 1}, step {step})")
    fmt = torch.channels_last if cfg.channels_last else torch.contiguous_format
    for net in (g, d, ema):
        if net is not None:
            net.to(device, memory_format=fmt)
    opt_g = torch.optim.Adam(g.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    opt_d = torch.optim.Adam(d.parameters(), lr=cfg.lr, betas=(cfg.beta1, cfg.beta2))
    if ckpt is not None:
        opt_g.load_state_dict(ckpt["opt_g"])
        opt_d.load_state_dict(ckpt["opt_d"])
        set_rng_state(ckpt["rng"], device)
    if rank > 0:  # each process draws its own latents and augmentations
        torch.manual_seed(cfg.seed + 1000 * rank + step)

    g_step, d_step = g, d  # what the loop calls: maybe DDP-wrapped, maybe compiled
    if world > 1:
        if not torch.distributed.is_initialized():
            torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
        ids = [device.index] if device.type == "cuda" else None
        g_step = torch.nn.parallel.DistributedDataParallel(g, device_ids=ids)
        d_step = torch.nn.parallel.DistributedDataParallel(d, device_ids=ids)
    if cfg.compile:
        g_step, d_step = torch.compile(g_step), torch.compile(d_step)
    images = data.images.to(device)
    fixed_z = fixed_z.to(device)
    shown = ema if ema is not None else g  # the network that gets exported

    # --- run folder (rank 0 only) ---
    writer = rank == 0
    if writer:
        save_config(cfg, run_dir / "config.json", {
            "dataset": data.path, "dataset_images": len(data), "data_licences": data.licences,
            "world_size": world, "trainer_version": trainer_version()})
        metrics = Metrics(run_dir / "metrics.jsonl", step if resume else None)
        timelapse = TimelapseRecorder(run_dir)
        timelapse.save_fixed_z(fixed_z.cpu().numpy())
        first = FirstImagesRecorder(run_dir, cfg.first_images)
        # trim the recordings to the checkpoint (a fresh run clears leftovers of one that never checkpointed)
        timelapse.resume(epoch + 1, step if resume else -1)
        first.resume(step if resume else -1)
        if not resume:
            timelapse.add(0, _render(shown, fixed_z))  # the untrained generator: where the timelapse starts

    sampler = DistributedSampler(range(len(data)), num_replicas=world, rank=rank, shuffle=True,
                                 seed=cfg.seed, drop_last=True)
    per_epoch = per_rank // cfg.batch_size
    total = cfg.epochs * per_epoch if not cfg.max_steps else min(cfg.max_steps, cfg.epochs * per_epoch)
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=cfg.bf16)
    aug = diff_augment if cfg.diffaugment else (lambda x: x)
    bar = tqdm(total=total, initial=min(step, total), disable=not (writer and progress), unit="step",
               dynamic_ncols=True, mininterval=1.0 if sys.stderr.isatty() else 30.0)
    started, img_s, last_ckpt = time.perf_counter(), 0.0, step

    def save(epoch_now: int, batch_now: int) -> None:
        timelapse.flush()
        first.flush()
        state = {"generator": g.state_dict(), "discriminator": d.state_dict(),
                 "opt_g": opt_g.state_dict(), "opt_d": opt_d.state_dict(), "rng": rng_state(device),
                 "epoch": epoch_now, "batch": batch_now, "step": step, "config": cfg.to_dict()}
        if ema is not None:
            state["ema"] = ema.state_dict()
        save_checkpoint(run_dir, state, cfg.keep_ckpts)

    while epoch < cfg.epochs and step < total:
        sampler.set_epoch(epoch)
        order = torch.tensor(list(sampler), dtype=torch.long)
        bar.set_description(f"epoch {epoch + 1}/{cfg.epochs}")
        epoch_losses: list[tuple[float, float]] = []
        if writer and batch_in_epoch == 0 and step > 0:  # step 0's frame already opened epoch 1
            timelapse.start_epoch(epoch + 1)
        while batch_in_epoch < per_epoch and step < total:
            t0 = time.perf_counter()
            idx = order[batch_in_epoch * cfg.batch_size:(batch_in_epoch + 1) * cfg.batch_size].to(device)
            real = to_model_range(images[idx]).contiguous(memory_format=fmt)
            z = torch.randn(real.shape[0], cfg.z_dim, device=device)

            # (1) update D: push D(x) up and D(G(z)) down
            d.zero_grad(set_to_none=True)
            with autocast:
                fake = g_step(z)
                out_real = d_step(aug(real)).float()
            loss_real, _ = d_loss(out_real, out_real, cfg.loss)
            loss_real.backward()
            with autocast:
                out_fake = d_step(aug(fake.detach())).float()
            _, loss_fake = d_loss(out_fake, out_fake, cfg.loss)
            loss_fake.backward()
            opt_d.step()

            # (2) update G: make D call G(z) real
            g.zero_grad(set_to_none=True)
            with autocast:
                out_g = d_step(aug(fake)).float()
            loss_g = g_loss(out_g, cfg.loss)
            loss_g.backward()
            opt_g.step()
            if ema is not None:
                with torch.no_grad():
                    for pe, p in zip(ema.parameters(), g.parameters()):
                        pe.lerp_(p, 1.0 - cfg.ema)
                    for be, b in zip(ema.buffers(), g.buffers()):
                        be.copy_(b)

            step += 1
            batch_in_epoch += 1
            dt = time.perf_counter() - t0
            img_s = real.shape[0] * world / dt if img_s == 0 else 0.9 * img_s + 0.1 * real.shape[0] * world / dt
            if writer:
                ld, lg = (loss_real + loss_fake).item(), loss_g.item()
                epoch_losses.append((ld, lg))
                if not first.full:
                    first.add(step, to_uint8_hwc(fake))
                if step % cfg.timelapse_every == 0:
                    timelapse.add(step, _render(shown, fixed_z))
                if step % cfg.log_every == 0:
                    metrics.write({"kind": "step", "step": step, "epoch": epoch + 1, "loss_d": ld, "loss_g": lg,
                                   "d_real": torch.sigmoid(out_real).mean().item(),
                                   "d_fake": torch.sigmoid(out_fake).mean().item(),
                                   "img_s": round(img_s, 1), "time_s": round(time.perf_counter() - started, 2)})
                bar.set_postfix_str(f"D {ld:.3f} G {lg:.3f} {img_s:.0f} img/s", refresh=False)
                bar.update(1)
                if step % cfg.ckpt_every == 0 and batch_in_epoch < per_epoch:
                    save(epoch, batch_in_epoch)
                    last_ckpt = step

        if batch_in_epoch < per_epoch:  # stopped by --max-steps in mid-epoch
            break
        epoch, batch_in_epoch = epoch + 1, 0
        if writer:
            save_png(grid(_render(shown, fixed_z)), run_dir / "samples" / f"epoch-{epoch:03d}.png", scale=2)
            save_png(grid(_render(shown, fixed_z, train_mode=True)),
                     run_dir / "samples" / f"epoch-{epoch:03d}-train-mode.png", scale=2)
            means = [sum(v) / max(len(epoch_losses), 1) for v in zip(*epoch_losses)] or [0.0, 0.0]
            metrics.write({"kind": "epoch", "step": step, "epoch": epoch, "loss_d": means[0], "loss_g": means[1],
                           "img_s": round(img_s, 1), "time_s": round(time.perf_counter() - started, 2)})
            save(epoch, 0)
            last_ckpt = step
            plot_losses(metrics.records, run_dir / "loss.png")
    if writer and last_ckpt != step:
        save(epoch, batch_in_epoch)
    bar.close()
    seconds = time.perf_counter() - started
    if world > 1:
        torch.distributed.barrier()
    return {"steps": step, "epochs": epoch, "seconds": round(seconds, 1), "img_s": round(img_s, 1),
            "run_dir": str(run_dir)}
