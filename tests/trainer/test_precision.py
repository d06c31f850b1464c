"""Precision chosen by the CPU: the decision table, the first line of a training run, the --bf16 warning."""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from trainer.cli import main
from trainer.config import TrainConfig, load_run_config
from trainer.precision import StepTimes, bf16_hardware, choose_precision, cpu_capability, decide_precision

ROOT = Path(__file__).resolve().parents[2]
SLOW_BF16 = StepTimes(fp32_s=0.004, bf16_s=0.050)
FAST_BF16 = StepTimes(fp32_s=0.004, bf16_s=0.002)


@pytest.mark.parametrize("capability, requested, times, use, why", [
    ("AVX512 AMX_BF16 AVX512_BF16", None, None, True, "CPU capability AVX512 AMX_BF16 AVX512_BF16 has bf16 hardware"),
    ("AVX512 AVX512_BF16", None, None, True, "has bf16 hardware"),
    ("AMX", None, None, True, "has bf16 hardware"),
    ("AVX512 NO_BF16", None, None, False, "CPU capability AVX512 NO_BF16 has no bf16 hardware"),
    ("AVX2", None, None, False, "CPU capability AVX2 has no bf16 hardware"),
    ("NO AVX", None, None, False, "has no bf16 hardware"),
    # the capability alone does not settle it: a measured probe does, else fp32
    ("AVX512", None, None, False, "does not say whether bf16 is fast; fp32 is the safe choice"),
    ("SVE256", None, FAST_BF16, True, "a probe step took 2.0 ms in bf16 vs 4.0 ms in fp32"),
    ("DEFAULT", None, SLOW_BF16, False, "a probe step took 50.0 ms in bf16 vs 4.0 ms in fp32"),
    # explicit requests are honoured whatever the CPU, and say so
    ("AVX2", True, None, True, "asked for with --bf16, although CPU capability AVX2 has no bf16 hardware"),
    ("AVX512 AMX_BF16", True, None, True, "asked for with --bf16"),
    ("AVX512 AMX_BF16", False, None, False, "asked for with --no-bf16"),
    ("SVE256", False, FAST_BF16, False, "asked for with --no-bf16"),
])
def test_decision_table(capability, requested, times, use, why):
    got_use, got_why = choose_precision(capability, requested, times)
    assert got_use is use
    assert why in got_why


@pytest.mark.parametrize("capability, hardware", [
    ("AVX512 AMX_BF16 AVX512_BF16", True), ("avx512 avx512_bf16", True), ("AVX512 NO_BF16", False),
    ("AVX2", False), ("NO AVX", False), ("AVX512", None), ("DEFAULT", None), ("VSX", None), ("", None),
])
def test_which_capabilities_settle_the_question(capability, hardware):
    assert bf16_hardware(capability) is hardware


def test_this_machines_capability_starts_with_torchs_own():
    assert cpu_capability().split()[0] == torch.backends.cpu.get_cpu_capability().split()[0]


def test_explicit_bf16_on_avx2_is_honoured_with_a_measured_warning():
    use, lines = decide_precision(True, torch.device("cpu"), capability="AVX2")
    assert use is True
    assert lines[0] == "precision: bf16 (asked for with --bf16, although CPU capability AVX2 has no bf16 hardware)"
    assert re.fullmatch(r"warning: --bf16 on AVX2: a probe convolution step took [\d.]+ ms in bf16 vs [\d.]+ ms "
                        r"in fp32 \([\d.]+x as long\); use --no-bf16 or leave --bf16 out", lines[1]), lines[1]


def test_no_warning_where_bf16_is_fast_or_not_asked_for():
    assert decide_precision(True, torch.device("cpu"), capability="AVX512 AMX_BF16")[1] == \
        ["precision: bf16 (asked for with --bf16)"]
    assert decide_precision(None, torch.device("cpu"), capability="AVX2") == \
        (False, ["precision: fp32 (CPU capability AVX2 has no bf16 hardware)"])


def _train_cli(capsys, out, *extra):
    code = main(["train", "--fake-data", "32", "--fake-size", "16", "--out", str(out), "--epochs", "1",
                 "--ngf", "4", "--ndf", "4", "--batch-size", "16", "--threads", "1", "--no-progress", *extra])
    captured = capsys.readouterr()
    return code, captured.err.splitlines()


def test_first_line_of_a_training_run_names_the_precision_and_the_run_keeps_it(tmp_path, capsys):
    code, err = _train_cli(capsys, tmp_path / "run")
    assert code == 0
    use, why = choose_precision(cpu_capability(), None)
    assert err[0] == f"precision: {'bf16' if use else 'fp32'} ({why})"
    assert load_run_config(tmp_path / "run" / "config.json").options.bf16 is use  # what ran, not "automatic"
    code, err = _train_cli(capsys, tmp_path / "run", "--resume", "--epochs", "2")
    assert code == 0
    assert err[0] == f"precision: {'bf16' if use else 'fp32'} (asked for by the run being resumed)"


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"), reason="ATEN_CPU_CAPABILITY=avx2 is x86 only")
def test_cli_on_an_avx2_cpu_trains_in_fp32(tmp_path):
    """torch's own ATEN_CPU_CAPABILITY (and oneDNN's ONEDNN_MAX_CPU_ISA) hold this CPU to AVX2."""
    env = {**os.environ, "ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2", "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-m", "trainer.cli", "train", "--fake-data", "32", "--fake-size", "16",
                           "--out", str(tmp_path / "run"), "--epochs", "1", "--ngf", "4", "--ndf", "4",
                           "--batch-size", "16", "--threads", "1", "--no-progress"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.splitlines()[0] == "precision: fp32 (CPU capability AVX2 has no bf16 hardware)"
    assert json.loads((tmp_path / "run" / "config.json").read_text())["bf16"] is False


@pytest.mark.parametrize("saved", [True, False, None])
def test_configs_of_every_age_load(saved):
    assert TrainConfig.from_dict({"bf16": saved}).bf16 is saved


def test_bf16_must_be_a_yes_no_or_automatic():
    with pytest.raises(ValueError, match="bf16 must be true, false or null"):
        TrainConfig(bf16="yes").validate()
