"""The monitoring pack's alert rules (monitoring/aimoji.rules.yml), checked and unit-tested by Prometheus'
own promtool: every alert with series that must not fire yet and series that must, labels and text."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

MONITORING = Path(__file__).resolve().parents[2] / "monitoring"
PROMTOOL = shutil.which("promtool")
pytestmark = pytest.mark.skipif(PROMTOOL is None, reason="promtool not installed (Debian package 'prometheus'; "
                                                         "tools/system-packages.sh installs it as root)")


def promtool(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([PROMTOOL, *argv], cwd=MONITORING, capture_output=True, text=True, timeout=60)


def test_the_rules_are_valid():
    done = promtool("check", "rules", "aimoji.rules.yml")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS: 7 rules found" in done.stdout


def test_every_alert_fires_when_it_should_and_not_before():
    done = promtool("test", "rules", "aimoji.rules.test.yml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_alert_has_a_test_that_sees_it_fire():
    alerts = re.findall(r"^\s*- alert: (\w+)$", (MONITORING / "aimoji.rules.yml").read_text(), re.M)
    tests = (MONITORING / "aimoji.rules.test.yml").read_text()
    firing = set(re.findall(r"alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels", tests))
    assert len(alerts) == 7 and sorted(firing) == sorted(alerts)
