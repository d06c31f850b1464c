"""Frame pacing on a fake clock: deadlines, dropped-frame counting, wall-clock alignment."""

import pytest

from installation.player.pacing import Pacer, VsyncPacer, aligned_start
from installation.player.stats import FrameStats

FPS = 50  # 20 ms period: exact in binary-friendly milliseconds


@pytest.mark.parametrize("shown_at_ms,next_index,dropped", [
    (0.0, 1, 0),      # shown on time
    (19.0, 1, 0),     # late but before the next deadline: the flip still made its slot
    (20.5, 2, 1),     # the next slot has passed: it is missed
    (45.0, 3, 2),     # two slots passed
    (100.5, 6, 5),
])
def test_advance_counts_every_missed_slot(shown_at_ms, next_index, dropped):
    p = Pacer(FPS, start=10.0)
    assert p.advance(10.0 + shown_at_ms / 1000) == dropped
    assert p.index == next_index
    assert p.due() == pytest.approx(10.0 + next_index / FPS)


def test_fake_clock_run_with_one_slow_frame():
    """A loop that works 5 ms per frame and once 45 ms (from 120 ms to 165 ms): the 140 ms slot
    shows no new image (one drop) and the late frame takes the 160 ms slot."""
    p, now, stats = Pacer(FPS, start=0.0), 0.0, FrameStats()
    for i in range(20):
        work = 0.045 if i == 7 else 0.005
        now += work
        now += p.sleep_s(now)          # the loop sleeps until the deadline
        dropped = p.advance(now)       # then flips
        stats.record(work * 1000, dropped)
    assert stats.frames == 20
    assert stats.dropped_frames == 1
    assert p.index == 21  # 20 frames shown plus one skipped slot
    assert stats.summary()["frame_ms_p50"] == pytest.approx(5.0)
    assert stats.summary()["frame_ms_p99"] == pytest.approx(45.0)


def test_sleep_is_zero_when_late():
    p = Pacer(FPS, start=1.0)
    assert p.sleep_s(0.99) == pytest.approx(0.01)
    assert p.sleep_s(1.5) == 0.0


@pytest.mark.parametrize("now_mono,offset", [(0.0, 1_790_000_000.0), (123.456, 1_790_000_000.001),
                                             (5.0, 1_789_999_999.9913)])
def test_aligned_start_puts_frames_on_wall_clock_multiples(now_mono, offset):
    start = aligned_start(now_mono, offset, 60, lead_s=0.05)
    assert start >= now_mono + 0.05 - 1e-6  # epoch-sized floats resolve ~0.2 us
    assert start < now_mono + 0.05 + 1 / 60 + 1e-9
    frames = (start + offset) * 60
    assert frames == pytest.approx(round(frames), abs=1e-3)


def test_two_players_started_apart_share_frame_instants():
    offset = 1_790_000_000.0
    a = aligned_start(10.0, offset, 60, 0.05)
    b = aligned_start(12.3456, offset, 60, 0.05)
    assert ((b - a) * 60) == pytest.approx(round((b - a) * 60), abs=1e-3)


@pytest.mark.parametrize("interval_ms,dropped", [(16.7, 0), (33.3, 1), (50.0, 2), (10.0, 0)])
def test_vsync_pacer_counts_missed_refreshes(interval_ms, dropped):
    p = VsyncPacer(60, last_shown=1.0)
    assert p.sleep_s(1.0) == 0.0
    assert p.advance(1.0 + interval_ms / 1000) == dropped
