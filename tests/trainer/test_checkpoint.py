"""Checkpoints: exact resume, atomic writes under a crash, fallback past a corrupt newest file."""

from __future__ import annotations

import json
import os
from dataclasses import replace

import numpy as np
import pytest
import torch

from trainer import checkpoint
from trainer.checkpoint import list_checkpoints, load_checkpoint, load_newest_good
from trainer.cli import main
from trainer.runs import load_first_images, read_timelapse
from trainer.train import train


def _same_state(run_a, run_b) -> bool:
    a, b = load_newest_good(run_a)[1], load_newest_good(run_b)[1]
    assert a["step"] == b["step"]
    return all(torch.equal(a[part][k], b[part][k]) for part in ("generator", "discriminator", "ema")
               for k in a[part])


@pytest.fixture(scope="module")
def straight(tmp_path_factory, tiny_cfg):
    """Two epochs in one go, with every feature that draws random numbers switched on."""
    cfg = replace(tiny_cfg, ema=0.9, diffaugment=True)
    run_dir = tmp_path_factory.mktemp("straight") / "run"
    train(cfg, run_dir, progress=False)
    return cfg, run_dir


def test_one_epoch_then_resume_equals_two_epochs_bit_for_bit(tmp_path, straight):
    cfg, straight_dir = straight
    train(replace(cfg, epochs=1), tmp_path / "run", progress=False)
    assert main(["train", "--out", str(tmp_path / "run"), "--resume", "--epochs", "2", "--no-progress"]) == 0
    assert _same_state(straight_dir, tmp_path / "run")
    # the recordings continue as if the run had never stopped
    for read in (read_timelapse, lambda run: load_first_images(run, cfg.first_images)):
        for x, y in zip(read(straight_dir), read(tmp_path / "run")):
            np.testing.assert_array_equal(x, y)


def test_resume_in_mid_epoch_is_exact_too(tmp_path, straight):
    cfg, straight_dir = straight
    train(replace(cfg, max_steps=4), tmp_path / "run", progress=False)  # stops in epoch 2, step 1 of 3
    assert load_newest_good(tmp_path / "run")[1]["step"] == 4
    train(cfg, tmp_path / "run", resume=True, progress=False)
    assert _same_state(straight_dir, tmp_path / "run")
    np.testing.assert_array_equal(read_timelapse(straight_dir)[0], read_timelapse(tmp_path / "run")[0])


def test_checkpoints_hold_only_plain_data_and_the_newest_are_kept(straight):
    _, run_dir = straight
    paths = list_checkpoints(run_dir)
    assert [p.name for p in paths] == ["step-00000006.pt", "step-00000003.pt"]  # epoch ends; 3 = ckpt_every
    state = torch.load(paths[0], weights_only=True)
    assert state["epoch"] == 2 and state["batch"] == 0 and state["config"]["ema"] == 0.9
    assert isinstance(state["rng"]["torch"], torch.Tensor)


def test_crash_while_writing_leaves_the_previous_checkpoint(tmp_path, tiny_cfg, monkeypatch):
    run_dir = tmp_path / "run"
    train(replace(tiny_cfg, epochs=1), run_dir, progress=False)
    before = list_checkpoints(run_dir)

    def crash(src, dst):
        raise OSError("simulated power cut")

    monkeypatch.setattr(os, "replace", crash)  # every atomic write goes through os.replace
    state = load_checkpoint(before[0])
    with pytest.raises(OSError, match="power cut"):
        checkpoint.save_checkpoint(run_dir, {**state, "step": 99}, keep=3)
    monkeypatch.undo()
    assert list_checkpoints(run_dir) == before
    assert sorted(os.listdir(run_dir / "checkpoints")) == [p.name for p in reversed(before)]  # no temp left
    # a process killed mid-write leaves a temp file; it is never mistaken for a checkpoint
    (run_dir / "checkpoints" / ".step-00000099.pt.tmp-4242").write_bytes(b"PK\x03\x04 half a zip")
    assert load_newest_good(run_dir)[0] == before[0]


def test_corrupt_newest_checkpoint_falls_back_to_the_previous(tmp_path, tiny_cfg, capsys):
    run_dir = tmp_path / "run"
    train(replace(tiny_cfg, epochs=1, ckpt_every=2), run_dir, progress=False)  # steps 2 and 3 (epoch end)
    older, newest = list_checkpoints(run_dir)[1], list_checkpoints(run_dir)[0]
    data = newest.read_bytes()
    newest.write_bytes(data[: len(data) // 2])  # truncated, as after a full disk
    lines = []
    path, state = load_newest_good(run_dir, log=lines.append)
    assert path == older and state["step"] == 2
    assert len(lines) == 1 and newest.name in lines[0] and "unreadable" in lines[0]
    # and training resumes from the older one, reporting the bad file in one line
    assert main(["train", "--out", str(run_dir), "--resume", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert f"skipping checkpoint {newest}" in err and "resuming from" in err
    assert load_newest_good(run_dir)[1]["step"] == 3


def test_no_readable_checkpoint_is_one_clear_error(tmp_path, tiny_cfg, capsys):
    run_dir = tmp_path / "run"
    train(replace(tiny_cfg, epochs=1, ckpt_every=100), run_dir, progress=False)
    for path in list_checkpoints(run_dir):
        path.write_bytes(b"garbage")
    assert main(["train", "--out", str(run_dir), "--resume", "--no-progress"]) == 2
    assert "none of 1 checkpoint(s) could be read" in capsys.readouterr().err


def test_a_damaged_timelapse_shard_on_resume_is_one_clear_error(tmp_path, tiny_cfg, capsys):
    run_dir = tmp_path / "run"
    train(replace(tiny_cfg, epochs=1, max_steps=2), run_dir, progress=False)  # stops in mid-epoch 1
    (run_dir / "timelapse" / "epoch-001.npz").write_bytes(b"not a zip")  # the shard a resume trims
    assert main(["train", "--out", str(run_dir), "--resume", "--epochs", "2", "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("error: ") and "epoch-001.npz: cannot read" in err


def test_resume_after_a_torn_metrics_line_drops_it(tmp_path, tiny_cfg):
    """A run killed while writing metrics.jsonl leaves half a line; the resume reads the log as the map does."""
    run_dir = tmp_path / "run"
    train(replace(tiny_cfg, epochs=1), run_dir, progress=False)
    with open(run_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"kind": "step", "st')
    train(replace(tiny_cfg, epochs=2), run_dir, resume=True, progress=False)
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records if r["kind"] == "epoch"] == [3, 6]
