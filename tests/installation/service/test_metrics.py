"""/metrics (service/remote/metrics.py): the state file's figures in Prometheus' text format, read per scrape."""

from prometheus_client.parser import text_string_to_metric_families

from dataclasses import replace

from installation.player.state import Override, PlayerState
from installation.service.health.logs import LogEntry
from installation.service.health.report import Companions, build_report
from installation.service.remote import metrics
from tests.support.states import state

PLAYER = state(show="Museum", model="night", scene="grid", uptime_s=41.5, model_swaps=2, rejected_files=1,
               overrides={"blackout": Override({"on": True, "fade_s": 0.0}, "x")},
               next_change="2026-10-25T18:00:00+01:00", frames__fps=29.5, frames__target_fps=30,
               frames__shown=1200, frames__dropped=3, generation__generated=9000,
               picture__changed_monotonic=460.0)
STATE = build_report(PLAYER, Companions(), 0.0, 500.0, 1, (LogEntry("t", "error", "a"),))


def samples(state, server=None) -> dict:
    text = metrics.exposition(metrics.registry(lambda: state, server)).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_state_becomes_metrics():
    got = samples(STATE)
    assert got[("aimoji_healthy", ())] == 0 and got[("aimoji_problems", ())] == 1
    assert got[("aimoji_fps", ())] == 29.5 and got[("aimoji_fps_target", ())] == 30
    assert got[("aimoji_frames_total", ())] == 1200 and got[("aimoji_dropped_frames_total", ())] == 3
    assert got[("aimoji_model_swaps_total", ())] == 2 and got[("aimoji_rejected_files_total", ())] == 1
    assert got[("aimoji_uptime_seconds", ())] == 41.5 and got[("aimoji_open", ())] == 1
    assert got[("aimoji_override", (("kind", "blackout"),))] == 1
    assert got[("aimoji_next_change_timestamp_seconds", ())] == 1792947600
    info = [k for k in got if k[0] == "aimoji_player_info"]
    assert dict(info[0][1]) == {"show": "Museum", "model": "night", "scene": "grid", "state": "playing",
                                "phase": "unhealthy"}


def test_each_scrape_reads_the_state_again():
    reports = [STATE]
    reg = metrics.registry(lambda: reports[-1])
    first = metrics.exposition(reg)
    reports.append(replace(STATE, player=replace(PLAYER, frames=replace(PLAYER.frames, shown=1500))))
    assert b"aimoji_frames_total 1200.0" in first and b"aimoji_frames_total 1500.0" in metrics.exposition(reg)


def test_a_starting_player_has_no_figures_yet_but_says_so():
    got = samples(build_report(PlayerState(), Companions(), 0.0, 10.0, 1))
    assert got[("aimoji_healthy", ())] == 0 and ("aimoji_fps", ()) not in got


def test_the_page_counters_are_there():
    got = samples(STATE, lambda: {"open": 3, "waiting": 2, "refused": 1, "evicted": 900, "busy": 168, "timed_out": 32,
                                   "requests": {200: 9}})
    assert got[("aimoji_http_connections", ())] == 3 and got[("aimoji_http_connections_waiting", ())] == 2
    assert got[("aimoji_http_connections_closed_total", (("reason", "busy"),))] == 168
    assert got[("aimoji_http_connections_closed_total", (("reason", "evicted"),))] == 900
    assert got[("aimoji_http_requests_total", (("code", "200"),))] == 9
