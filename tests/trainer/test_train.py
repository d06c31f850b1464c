"""Training end to end on a toy set: losses move, the run folder holds what the contract says, bad input is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from trainer.cli import main
from trainer.config import TrainConfig, load_run_config
from trainer.runs import load_first_images, read_timelapse
from trainer.train import train


def test_a_few_real_steps_lower_the_discriminator_loss(tmp_path, tiny_options):
    cfg = TrainConfig(fake_images=256, fake_size_px=16, epochs=3, **{**tiny_options, "batch_size": 32})
    train(cfg, tmp_path / "run", progress=False)
    records = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    losses = [r["loss_d"] for r in records if r["kind"] == "step"]
    assert len(losses) == 24
    # an untrained D scores 2*ln 2 = 1.39; on blobs vs noise it learns quickly
    assert np.mean(losses[:3]) > 1.2
    assert np.mean(losses[-3:]) < 0.8 * np.mean(losses[:3])


def test_run_folder_follows_the_contract(tiny_run):
    saved = load_run_config(tiny_run / "config.json")
    cfg, facts = saved.options, saved.facts
    assert cfg.image_size == 16 and cfg.ema == 0.9
    assert facts["dataset_images"] == 48
    assert facts["data_licences"] == {"CC-BY-4.0": 32, "Apache-2.0": 16}
    # 48 images / batch 16 = 3 steps per epoch, 2 epochs
    assert np.load(tiny_run / "timelapse" / "fixed_z.npy").shape == (4, 100)
    images, steps, epochs = read_timelapse(tiny_run)
    assert images.shape == (4, 4, 16, 16, 3) and images.dtype == np.uint8
    assert steps.tolist() == [0, 2, 4, 6] and epochs.tolist() == [1, 1, 2, 2]
    with np.load(tiny_run / "timelapse" / "epoch-002.npz") as shard:
        assert int(shard["epoch"]) == 2
    first, first_steps = load_first_images(tiny_run, cfg.first_images)
    assert first.shape == (40, 16, 16, 3)  # 6 steps x 16 fakes = 96 made, the first 40 kept
    assert first_steps.tolist() == [1] * 16 + [2] * 16 + [3] * 8
    for name in ("samples/epoch-001.png", "samples/epoch-002.png", "samples/epoch-002-train-mode.png",
                 "loss.png"):
        assert Image.open(tiny_run / name).size[0] > 32
    records = [json.loads(x) for x in (tiny_run / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "epoch"] == [3, 6]
    assert {"loss_d", "loss_g", "img_s", "d_real", "d_fake"} <= set(records[0])


def test_first_images_span_shards_in_order(tmp_path, tiny_cfg):
    from trainer import timelapse

    cfg = replace(tiny_cfg, epochs=1, first_images=30)
    original = timelapse.FirstImagesRecorder.__init__

    def small_shards(self, run_dir, limit, shard_size=1000):
        original(self, run_dir, limit, shard_size=12)

    timelapse.FirstImagesRecorder.__init__ = small_shards
    try:
        train(cfg, tmp_path / "run", progress=False)
    finally:
        timelapse.FirstImagesRecorder.__init__ = original
    names = sorted(p.name for p in (tmp_path / "run" / "first_images").iterdir())
    assert names == ["shard-000.npz", "shard-001.npz", "shard-002.npz"]
    images, steps = load_first_images(tmp_path / "run", cfg.first_images)
    assert len(images) == 30 and np.all(np.diff(steps) >= 0)


def _cli(capsys, *argv):
    code = main(["train", "--no-progress", "--ngf", "8", "--ndf", "8", "--batch-size", "8", *argv])
    return code, capsys.readouterr().err.strip()


def test_missing_data_folder(tmp_path, capsys):
    code, err = _cli(capsys, "--data", str(tmp_path / "nowhere"), "--out", str(tmp_path / "run"))
    assert code == 2 and "nowhere: data folder not found" in err and len(err.splitlines()) == 1


def test_empty_data_folder(tmp_path, capsys):
    (tmp_path / "empty" / "images").mkdir(parents=True)
    code, err = _cli(capsys, "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run"))
    assert code == 2 and "empty: no images" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "run").exists()


def test_mixed_image_sizes(tmp_path, capsys, make_dataset):
    make_dataset(tmp_path / "mixed", count=8)
    Image.new("RGB", (32, 32), "white").save(tmp_path / "mixed" / "images" / "0005.png")
    code, err = _cli(capsys, "--data", str(tmp_path / "mixed"), "--out", str(tmp_path / "run"))
    assert code == 2 and "0005.png: image is 32x32 but 0000.png is 16x16" in err


def test_unwritable_out_folder(tmp_path, tiny_data, capsys):
    (tmp_path / "a-file").write_text("not a folder")
    code, err = _cli(capsys, "--data", str(tiny_data), "--out", str(tmp_path / "a-file" / "run"))
    assert code == 2 and "cannot write to the run folder" in err and len(err.splitlines()) == 1


def test_existing_run_needs_resume(tiny_run, tiny_data, capsys):
    code, err = _cli(capsys, "--data", str(tiny_data), "--out", str(tiny_run))
    assert code == 2 and "already holds checkpoints; add --resume" in err


def test_bad_option_values(tmp_path, tiny_data, capsys):
    code, err = _cli(capsys, "--data", str(tiny_data), "--out", str(tmp_path / "run"), "--ema", "1.5")
    assert code == 2 and "--ema must be a decay" in err
    code, err = _cli(capsys, "--data", str(tiny_data), "--out", str(tmp_path / "run"), "--batch-size", "500")
    assert code == 2 and "fewer than one batch of 500" in err


def test_cli_fake_data_smoke(tmp_path, capsys):
    code = main(["train", "--fake-data", "64", "--fake-size", "16", "--out", str(tmp_path / "run"), "--epochs", "1",
                 "--ngf", "8", "--ndf", "8", "--batch-size", "32", "--no-progress", "--ema", "0.99",
                 "--diffaugment", "--spectral-norm", "--loss", "hinge", "--bf16", "--threads", "1"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["steps"] == 2 and summary["epochs"] == 1
    saved = load_run_config(tmp_path / "run" / "config.json").options
    assert (saved.loss, saved.spectral_norm, saved.diffaugment, saved.bf16) == ("hinge", True, True, True)


def test_fresh_run_clears_leftovers_of_a_run_that_never_checkpointed(tmp_path, tiny_cfg):
    run_dir = tmp_path / "run"
    for folder, name in (("first_images", "shard-007.npz"), ("timelapse", "epoch-009.npz")):
        (run_dir / folder).mkdir(parents=True)
        np.savez_compressed(run_dir / folder / name, images=np.zeros((1, 16, 16, 3), np.uint8),
                            steps=np.array([999]))
    train(replace(tiny_cfg, epochs=1), run_dir, progress=False)
    assert sorted(p.name for p in (run_dir / "first_images").iterdir()) == ["shard-000.npz"]
    assert read_timelapse(run_dir)[1].tolist() == [0, 2]


@pytest.mark.parametrize("module", ["trainer.train", "trainer.dataset.load", "installation.model.pixels"])
def test_training_does_not_load_onnxruntime(module):
    """Training needs torch, not the player's runtime: the pixel conversion they share is numpy only."""
    code = f"import sys, {module}; print(sorted(m for m in sys.modules if m.startswith('onnxruntime')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
