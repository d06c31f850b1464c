"""torchrun with 2 CPU processes (gloo): the same command trains with DDP and only rank 0 writes."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from trainer.checkpoint import list_checkpoints, load_newest_good

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_share_the_data_and_rank_0_writes(tiny_data, tmp_path):
    run_dir = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes", "1",
           "--master_addr", "127.0.0.1", "--master_port", str(_free_port()),
           "-m", "trainer.cli", "train", "--data", str(tiny_data), "--out", str(run_dir), "--epochs", "1",
           "--ngf", "8", "--ndf", "8", "--batch-size", "8", "--threads", "1", "--no-progress",
           "--device", "cpu", "--timelapse-every", "1", "--ckpt-every", "2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[:3000] + "\n...\n" + done.stderr[-1500:]
    summaries = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
    assert len(summaries) == 2  # each process reports; 48 images / 2 processes / batch 8 = 3 steps
    assert {s["steps"] for s in summaries} == {3}
    config = json.loads((run_dir / "config.json").read_text())
    assert config["world_size"] == 2
    assert [p.name for p in list_checkpoints(run_dir)] == ["step-00000003.pt", "step-00000002.pt"]
    state = load_newest_good(run_dir)[1]
    assert not any(k.startswith("module.") for k in state["generator"])  # saved without the DDP wrapper
    steps = [json.loads(x)["step"] for x in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert steps == sorted(steps) and len(steps) == len(set(steps))  # one writer, no interleaving
