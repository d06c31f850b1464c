"""The clock's sync from what the kernel and the time daemons say (clocksync/readings.py): the parsers
over the tools' real outputs (fixtures/README.md says where each came from) and the judgement by table."""

from pathlib import Path

import pytest

from installation.clocksync.readings import (ClockSync, DaemonClock, KernelClock, judge, kernel_clock,
                                             parse_chrony_tracking, parse_timesync_status, timespan_s)

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


@pytest.mark.parametrize("name, expected", [
    # chronyc says "0.000001306 seconds fast": this clock is ahead
    ("chrony-synced.csv", DaemonClock("chrony", True, 0.000001307, "127.0.0.1", 0.000006749 / 2 + 0.000001912)),
    ("chrony-unsynced.csv", DaemonClock("chrony", False, None, None, None)),
    ("chrony-far.csv", DaemonClock("chrony", True, -0.023104771, "192.168.1.10", 0.000412733 / 2 + 0.000188316)),
])
def test_chrony_tracking(name, expected):
    got = parse_chrony_tracking(fixture(name))
    assert got.daemon == expected.daemon and got.synced == expected.synced and got.server == expected.server
    assert got.offset_s == pytest.approx(expected.offset_s) if expected.offset_s is not None else got.offset_s is None
    assert got.root_distance_s == pytest.approx(expected.root_distance_s) if expected.synced else \
        got.root_distance_s is None


@pytest.mark.parametrize("text", ["", "506 Cannot talk to daemon", "a,b,c", "7F000001,x,9,1,fast,0,0,0,0,0,0,0,0,Normal"])
def test_chrony_output_that_is_not_tracking_is_refused(text):
    with pytest.raises(ValueError, match="chronyc tracking"):
        parse_chrony_tracking(text)


@pytest.mark.parametrize("name, synced, offset_s, server", [
    ("timesyncd-synced.txt", True, 0.002346, "192.168.1.10"),     # the server 2.3 ms behind: this clock ahead
    ("timesyncd-nopacket.txt", False, None, "192.168.1.10"),      # no answer yet
    ("timesyncd-unsynced.txt", False, None, "192.168.1.10"),      # the leap says so
])
def test_timesyncd_status(name, synced, offset_s, server):
    got = parse_timesync_status(fixture(name))
    assert (got.daemon, got.synced, got.server) == ("systemd-timesyncd", synced, server)
    assert got.offset_s == pytest.approx(offset_s) if offset_s is not None else got.offset_s is None
    if synced:
        assert got.root_distance_s == pytest.approx(0.001216)


def test_timesyncd_output_without_a_server_is_refused():
    with pytest.raises(ValueError, match="no 'Server:' line"):
        parse_timesync_status("Failed to query server: Connection refused\n")


@pytest.mark.parametrize("text, seconds", [
    ("-2.346ms", -0.002346), ("+352us", 0.000352), ("+352μs", 0.000352), ("1.5s", 1.5),
    ("+1min 3.250s", 63.25), ("2h", 7200.0), ("0", 0.0), ("soon", None), ("3ms later", None)])
def test_timespans_as_systemd_writes_them(text, seconds):
    if seconds is None:
        with pytest.raises(ValueError):
            timespan_s(text)
    else:
        assert timespan_s(text) == pytest.approx(seconds)


@pytest.mark.parametrize("answer, status, synced", [(0, 0x2001, True), (5, 0x2001, False), (0, 0x40, False),
                                                     (5, 0x40, False), (1, 0x2011, True)])   # 1: a leap second to insert
def test_the_kernels_view(answer, status, synced):
    got = kernel_clock(answer, status, 16_000_000, 250)
    assert got == KernelClock(synced, 16.0, 0.00025)


SYNCED_K = KernelClock(True, 0.05, 0.0002)
UNSYNCED_K = KernelClock(False, 16.0, 16.0)


def chrony(offset_s, synced=True):
    return DaemonClock("chrony", synced, offset_s if synced else None, "192.168.1.10", 0.0005)


@pytest.mark.parametrize("kernel, daemon, fps, state, line", [
    (SYNCED_K, chrony(0.0004), 25, "synced",
     "clock synchronised by chrony (192.168.1.10), off by +0.4 ms (half a frame at 25 fps: 20.0 ms)"),
    # the threshold is half a frame at the show's rate: 8.3 ms at 60 fps, 20 ms at 25 fps
    (SYNCED_K, chrony(-0.009), 60, "far",
     "clock off by -9.0 ms by chrony (192.168.1.10): more than half a frame (8.3 ms at 60 fps), so this screen "
     "can show another frame than its neighbours"),
    (SYNCED_K, chrony(-0.009), 25, "synced", None),
    (SYNCED_K, chrony(0.0083), 60, "synced", None),
    (SYNCED_K, chrony(0.0084), 60, "far", None),
    (SYNCED_K, chrony(None, synced=False), 60, "unsynced",
     "clock not synchronised: chrony has no time server it follows"),
    (UNSYNCED_K, chrony(0.0001), 60, "unsynced",                    # chronyd -x: measuring, not setting the clock
     "clock not synchronised: the kernel says so (no time daemon has set it lately; its error may be up to 16 s)"),
    (UNSYNCED_K, None, 60, "unsynced", None),
    (None, chrony(0.001), 60, "synced", None),                      # adjtimex refused: the daemon alone
    (SYNCED_K, None, 60, "synced",                                  # no daemon answered: the kernel's estimate
     "clock synchronised by the kernel's estimate, estimated error 0.2 ms (half a frame at 60 fps: 8.3 ms)"),
    (KernelClock(True, 0.4, 0.0), None, 60, "synced",               # timesyncd sets no estimate
     "clock synchronised (the kernel says so; no daemon gave its offset)"),
    (KernelClock(True, 0.4, 0.012), None, 60, "far", None),
    (None, None, 60, "unknown", "clock sync unknown: adjtimex refused: Operation not permitted; no chronyc"),
])
def test_the_judgement(kernel, daemon, fps, state, line):
    got = judge(kernel, daemon, fps, 1000.0, why_unknown="adjtimex refused: Operation not permitted; no chronyc")
    assert got.state == state and got.since == 1000.0 and got.fps == fps
    if line is not None:
        assert got.line == line
    assert got.synced == {"synced": True, "far": True, "unsynced": False, "unknown": None}[state]


def test_a_far_clock_comes_back_only_well_inside_the_threshold():
    half = 0.5 / 60
    far = judge(SYNCED_K, chrony(0.0090), 60, 100.0)
    assert far.state == "far"
    wandering = judge(SYNCED_K, chrony(0.0075), 60, 130.0, far)        # just under half a frame: still far
    assert wandering.state == "far" and wandering.since == 100.0
    back = judge(SYNCED_K, chrony(0.79 * half * 1.0), 60, 160.0, wandering)
    assert back.state == "synced" and back.since == 160.0
    assert judge(SYNCED_K, chrony(0.0075), 60, 190.0, back).state == "synced"   # and stays so below it


def test_since_is_the_last_change():
    first = judge(SYNCED_K, chrony(0.001), 60, 100.0)
    assert judge(SYNCED_K, chrony(0.002), 60, 130.0, first).since == 100.0
    assert judge(UNSYNCED_K, None, 60, 160.0, first).since == 160.0
    assert isinstance(first, ClockSync)
