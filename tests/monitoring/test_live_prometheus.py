"""The monitoring pack against the real thing: a headless player serving /metrics (`aimoji play --headless
--http PORT`), a real Prometheus on loopback scraping it every second with the pack's alert rules loaded,
and every query of the Grafana dashboard (monitoring/grafana-dashboard.json) asked of that Prometheus:
each must return data. Skipped, with the reason, where Debian's `prometheus` package is not installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "monitoring" / "grafana-dashboard.json"
RULES = ROOT / "monitoring" / "aimoji.rules.yml"
MODEL = ROOT / "tests" / "installation" / "fixtures" / "tiny.onnx"
CHRONY_TRACKING = ROOT / "tests" / "installation" / "clocksync" / "fixtures" / "chrony-synced.csv"
PROMETHEUS = shutil.which("prometheus")
# What Grafana would put in for the dashboard's variables: this job, every wall, and a rate window that
# holds a few of the test's one-second scrapes.
VARIABLES = {"$job": "aimoji", "$instance": ".+", "$__rate_interval": "5s"}
BUDGET_S = 30.0

pytestmark = [pytest.mark.slow, pytest.mark.realtime,
              pytest.mark.skipif(PROMETHEUS is None, reason="prometheus not installed (Debian package "
                                                            "'prometheus'; tools/system-packages.sh installs it "
                                                            "as root)")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def dashboard_queries() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every target, with the dashboard's variables filled in."""
    queries = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for name, value in sorted(VARIABLES.items(), key=lambda kv: -len(kv[0])):
                expr = expr.replace(name, value)
            assert "$" not in expr, f"{panel['title']}: a variable the test does not know: {expr}"
            queries.append((panel["title"], expr))
    return queries


def show_open_now(path: Path) -> Path:
    """A show open from an hour ago to two hours from now, every day: open, with a next change to tell."""
    now = datetime.now(timezone.utc)
    hours = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=2):%H:%M}"
    days = "\n".join(f'{day} = ["{hours}"]' for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
    path.write_text(f'title = "monitoring test"\ntimezone = "UTC"\n[display]\nresolution = "320x180"\n'
                    f'fps = 30\n[hours]\n{days}\n')
    return path


class Prometheus:
    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}/api/v1/"

    def get(self, path: str, **params) -> dict:
        url = self.base + path + ("?" + urllib.parse.urlencode(params) if params else "")
        with urllib.request.urlopen(url, timeout=5) as answer:
            body = json.loads(answer.read())
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list:
        return self.get("query", query=expr)["result"]


def wait_for(check, timeout_s: float, what: str):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass   # Prometheus not listening yet
        time.sleep(0.25)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")


@pytest.fixture
def scraped_player(tmp_path):
    """A headless player with its status page, and a Prometheus scraping it: the Prometheus client."""
    player_port, prom_port = free_port(), free_port()
    # chrony as on a wall PC: a chronyc first on PATH that prints what a real one printed (clocksync fixtures)
    tools = tmp_path / "bin"
    tools.mkdir()
    (tools / "chronyc").write_text(f"#!/bin/sh\nexec cat {CHRONY_TRACKING}\n")
    (tools / "chronyc").chmod(0o755)
    env = {**os.environ, "SDL_VIDEODRIVER": "dummy", "SDL_AUDIODRIVER": "dummy", "PYTHONPATH": str(ROOT),
           "PATH": f"{tools}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    player = subprocess.Popen(
        [sys.executable, "-m", "installation.cli", "play", "--headless", "--seconds", "60", "--no-watch",
         "--show", str(show_open_now(tmp_path / "show.toml")), "--model", str(MODEL),
         "--state", str(tmp_path / "status.json"), "--http", str(player_port)],
        cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "player.log", "w"))
    (tmp_path / "prometheus.yml").write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        f"rule_files: ['{RULES}']\n"
        "scrape_configs:\n"
        "  - job_name: aimoji\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{player_port}']}}]\n")
    prometheus = subprocess.Popen(
        [PROMETHEUS, f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{prom_port}", "--log.level=error"],
        cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "prometheus.log", "w"))
    try:
        yield Prometheus(prom_port)
    finally:
        for proc in (prometheus, player):
            proc.terminate()
        for proc in (prometheus, player):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


def test_every_dashboard_query_returns_data_from_a_real_prometheus(scraped_player, tmp_path):
    prom, start = scraped_player, time.monotonic()
    # a few scrapes of a playing wall: rates need two samples in their window, the start time a frame
    wait_for(lambda: prom.query('count_over_time(aimoji_frames_total{job="aimoji"}[10s]) >= 4 '
                                'and on () aimoji_start_time_seconds'), BUDGET_S - 5,
             "four scrapes of the player (logs: " + str(tmp_path) + ")")
    empty = [f"{title}: {expr}" for title, expr in dashboard_queries() if not prom.query(expr)]
    assert empty == [], "dashboard queries with no data:\n" + "\n".join(empty)

    # the alert rules load and evaluate against real series without an error
    wait_for(lambda: all(rule.get("lastEvaluation", "").startswith("2") and not rule["lastEvaluation"].startswith("0001")
                         for group in prom.get("rules")["groups"] for rule in group["rules"]), 5, "the rules' first evaluation")
    rules = [rule for group in prom.get("rules")["groups"] for rule in group["rules"]]
    assert len(rules) == 7 and {rule["health"] for rule in rules} == {"ok"}, rules
    firing = [rule["name"] for rule in rules if rule["state"] == "firing"]
    assert firing == [], f"alerts firing on a healthy wall: {firing}"
    healthy = prom.query('aimoji_healthy{job="aimoji"}')
    assert healthy and healthy[0]["value"][1] in ("0", "1")   # starting (0) or ok (1): judged, read
    elapsed = time.monotonic() - start
    assert elapsed < BUDGET_S, f"the live test took {elapsed:.1f} s"


def test_the_dashboard_is_importable_and_uses_its_variables():
    dashboard = json.loads(DASHBOARD.read_text())
    names = {v["name"] for v in dashboard["templating"]["list"]}
    assert names == {"datasource", "job", "instance"} and dashboard["uid"] == "aimoji-walls"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in dashboard["panels"]:
        assert panel["datasource"]["uid"] == "${datasource}" and panel["targets"], panel["title"]
        for target in panel["targets"]:
            # every series is chosen by the job and wall variables, so one dashboard serves many walls
            assert all(re.search(r'\{job=~"\$job", instance=~"\$instance"\}', part)
                       for part in re.findall(r"\b(?:aimoji|process)_\w+\{[^}]*\}", target["expr"])), target["expr"]
            assert re.findall(r"\b(?:aimoji|process)_\w+", target["expr"]) or "up{" in target["expr"]
