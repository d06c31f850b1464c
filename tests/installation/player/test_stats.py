"""The player's figures: counters, bounded windows, the one percentile rule, measured fps."""

import pytest

from installation.player.stats import FrameStats, measured_fps, percentile


def test_dry_frames_count_as_dropped():
    s = FrameStats()
    s.record(1.0)
    s.record(1.0, dry=True)
    s.record(1.0, dropped=2)
    assert (s.frames, s.dropped_frames, s.dry_frames) == (3, 3, 1)


def test_frame_work_is_counted_into_cumulative_buckets_since_start():
    s = FrameStats(window=2)                      # the percentile window forgets; the histogram does not
    for work_ms in (1, 3, 12, 16.7, 40, 300, 2000):
        s.record(work_ms)
    facts = s.facts(60, 1.0)
    assert facts.work_s_buckets == (1, 2, 2, 4, 4, 4, 5, 5, 5, 6)   # <= 2, 5, 10, 16.7, 25, 33.3, 50, 100, 250, 1000 ms
    assert facts.shown == 7 and facts.work_s_sum == pytest.approx(2.3727)


def test_stats_window_is_bounded():
    s = FrameStats(window=10)
    for i in range(100):
        s.record(float(i))
    assert len(s.frame_ms) == 10 and s.frames == 100 and s.summary()["frame_ms_p50"] == 94.0


@pytest.mark.parametrize("values,q,expected", [
    ([], 50, None), ([3.0], 99, 3.0), ([1, 2, 3, 4], 50, 2.0), (list(range(1, 101)), 99, 99.0),
    (list(range(1, 101)), 100, 100.0),
])
def test_percentile_nearest_rank(values, q, expected):
    assert percentile(values, q) == expected


def test_measured_fps():
    assert measured_fps([0.0, 0.5, 1.0]) == 2.0
    assert measured_fps([1.0]) == 0.0


def test_summary_of_an_empty_run_says_none_not_zero():
    figures = FrameStats().summary()
    assert figures["frames"] == 0 and figures["frame_ms_p99"] is None and figures["present_ms_p50"] is None


def test_windows_are_bounded_for_present_times_and_fps_too():
    s = FrameStats(window=5)
    for i in range(500):
        s.present_ms.append(float(i))
        s.shown.append(i / 60)
    assert len(s.present_ms) == 5 and len(s.shown) <= 121
    assert s.fps() == pytest.approx(60.0)
