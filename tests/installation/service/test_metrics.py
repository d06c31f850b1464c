"""/metrics (service/remote/metrics.py): the state file's figures in Prometheus' text format, read per scrape,
with the build, the process and the player's start time."""

import time
from dataclasses import replace
from importlib.metadata import version

from prometheus_client.parser import text_string_to_metric_families

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
NOW = 1_800_000_000.0
STATE = build_report(PLAYER, Companions(), NOW, 500.0, 1, (LogEntry("t", "error", "a"),))


def samples(state, server=None) -> dict:
    text = metrics.exposition(metrics.registry(lambda: state, server)).decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def test_the_state_becomes_metrics():
    got = samples(STATE)
    assert got[("aimoji_healthy", ())] == 0 and got[("aimoji_problems", ())] == 1
    assert got[("aimoji_frames_per_second", ())] == 29.5 and got[("aimoji_target_frames_per_second", ())] == 30
    assert got[("aimoji_frames_total", ())] == 1200 and got[("aimoji_dropped_frames_total", ())] == 3
    assert got[("aimoji_model_swaps_total", ())] == 2 and got[("aimoji_rejected_files_total", ())] == 1
    assert got[("aimoji_start_time_seconds", ())] == NOW - 41.5 and got[("aimoji_open", ())] == 1
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
    got = samples(build_report(PlayerState(), Companions(), NOW, 10.0, 1))
    assert got[("aimoji_healthy", ())] == 0 and ("aimoji_frames_per_second", ()) not in got
    assert ("aimoji_start_time_seconds", ()) not in got   # not published yet: no start time to tell


def test_the_start_time_is_the_same_in_every_scrape_of_one_run():
    """Reports are written at other moments, a frame or so after the uptime was taken: the start time
    worked out from each would wander by milliseconds; the first one known is kept."""
    reports = [STATE]
    reg = metrics.registry(lambda: reports[-1])
    first = metrics.exposition(reg)
    reports.append(replace(STATE, written_at=NOW + 60.017, player=replace(PLAYER, uptime_s=101.5)))
    assert b"aimoji_start_time_seconds 1.7999999585e+09" in first and b"1.7999999585e+09" in metrics.exposition(reg)


def test_build_and_process_figures_by_prometheus_names():
    got = samples(STATE)
    assert got[("aimoji_build_info", (("version", version("aimoji")),))] == 1
    assert got[("process_resident_memory_bytes", ())] > 10e6 and got[("process_open_fds", ())] >= 3
    assert time.time() - 86400 < got[("process_start_time_seconds", ())] <= time.time()   # this test's process
    assert not [name for name, _ in got if name.startswith("aimoji_") and ("fps" in name or "uptime" in name)]


def test_the_page_counters_are_there():
    got = samples(STATE, lambda: {"open": 3, "waiting": 2, "refused": 1, "evicted": 900, "busy": 168, "timed_out": 32,
                                   "requests": {200: 9}})
    assert got[("aimoji_http_connections", ())] == 3 and got[("aimoji_http_connections_waiting", ())] == 2
    assert got[("aimoji_http_connections_closed_total", (("reason", "busy"),))] == 168
    assert got[("aimoji_http_connections_closed_total", (("reason", "evicted"),))] == 900
    assert got[("aimoji_http_requests_total", (("code", "200"),))] == 9


def test_frame_work_is_a_histogram_in_seconds():
    player = state(frames__shown=7, frames__work_s_buckets=(1, 2, 2, 3, 4, 4, 5, 5, 5, 6), frames__work_s_sum=2.376)
    got = samples(build_report(player, Companions(), NOW, 500.0, 1))
    assert got[("aimoji_frame_seconds_bucket", (("le", "0.0167"),))] == 3
    assert got[("aimoji_frame_seconds_bucket", (("le", "+Inf"),))] == 7 == got[("aimoji_frame_seconds_count", ())]
    assert got[("aimoji_frame_seconds_sum", ())] == 2.376


def test_degradations_and_the_panel_are_there():
    from installation.display.connector import DisplayLink
    unplugged = state(frames__fps=20.0, display=DisplayLink(False, "card0-HDMI-A-1", 1_800_000_000.0))
    got = samples(build_report(unplugged, Companions(), 0.0, 500.0, 1))
    assert got[("aimoji_degradations", ())] == 2 and got[("aimoji_problems", ())] == 0   # slow, unplugged
    assert got[("aimoji_display_connected", ())] == 0 and got[("aimoji_healthy", ())] == 0
    assert ("aimoji_display_connected", ()) not in samples(STATE)                          # not watched


def test_the_clock_is_there_when_it_was_looked_at():
    from installation.clocksync.readings import ClockSync
    far = ClockSync("far", "clock off by -23.1 ms", "chrony", -0.0231, None, 60.0)
    got = samples(build_report(state(clock=far), Companions(), 0.0, 500.0, 1))
    assert got[("aimoji_clock_synced", ())] == 1 and got[("aimoji_clock_offset_seconds", ())] == -0.0231
    lost = samples(build_report(state(clock=ClockSync("unsynced", "clock not synchronised", "kernel", None, 16.0)),
                                Companions(), 0.0, 500.0, 1))
    assert lost[("aimoji_clock_synced", ())] == 0 and ("aimoji_clock_offset_seconds", ()) not in lost
    unknown = samples(build_report(state(clock=ClockSync("unknown", "clock sync unknown", "none")),
                                   Companions(), 0.0, 500.0, 1))
    assert ("aimoji_clock_synced", ()) not in unknown          # nobody can tell: no claim either way
    assert ("aimoji_clock_synced", ()) not in samples(STATE)   # not watched
    text = metrics.exposition(metrics.registry(lambda: build_report(state(clock=far), Companions(), 0.0, 500.0, 1)))
    assert b"\naimoji_clock_synced 1.0\n" in text and b"\naimoji_clock_offset_seconds -0.0231\n" in text
