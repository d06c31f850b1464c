"""Logging for journald: one line per event with a priority prefix, repeats rate-limited, recent errors kept."""

import io
import logging

import pytest

from installation.service.health import logs


class FakeClock:
    def __init__(self):
        self.t = 0.0

    def __call__(self):
        return self.t


def _logger(journald=True):
    stream = io.StringIO()
    log = logs.setup(stream=stream, journald=journald)
    clock = FakeClock()
    for handler in log.handlers:
        for f in handler.filters:
            f.clock = clock
    return log, stream, clock


@pytest.mark.parametrize("level, prefix", [
    (logging.DEBUG, "<7>"), (logging.INFO, "<6>"), (logging.WARNING, "<4>"), (logging.ERROR, "<3>"),
    (logging.CRITICAL, "<2>")])
def test_priority_prefix_for_journald(level, prefix):
    log, stream, _ = _logger()
    log.setLevel(logging.DEBUG)
    logging.getLogger("aimoji.player").log(level, "model %s loaded", "e40")
    assert stream.getvalue() == f"{prefix}aimoji.player: model e40 loaded\n"


def test_terminal_format_has_time_and_level():
    log, stream, _ = _logger(journald=False)
    logging.getLogger("aimoji.x").warning("hello")
    line = stream.getvalue()
    assert line[2] == ":" and line[5] == ":" and line.endswith(" WARNING aimoji.x: hello\n")


def test_one_line_per_event_even_with_newlines_and_exceptions():
    log, stream, _ = _logger()
    try:
        raise OSError("disk gone")
    except OSError:
        logging.getLogger("aimoji.x").exception("cannot save\ncapture")
    assert stream.getvalue() == "<3>aimoji.x: cannot save | capture: OSError: disk gone\n"


def test_repeated_errors_are_rate_limited_and_counted():
    log, stream, clock = _logger()
    x = logging.getLogger("aimoji.gen")
    for i in range(5):
        clock.t = i * 10.0  # every 10 s, window 60 s
        x.error("model %s failed", f"m{i}")
    x.error("something else")
    clock.t = 61.0
    x.error("model %s failed", "m9")
    assert stream.getvalue().splitlines() == [
        "<3>aimoji.gen: model m0 failed",
        "<3>aimoji.gen: something else",
        "<3>aimoji.gen: model m9 failed (+4 identical since last shown)",
    ]


def test_info_is_never_rate_limited():
    log, stream, _ = _logger()
    for _ in range(3):
        logging.getLogger("aimoji.x").info("frame")
    assert len(stream.getvalue().splitlines()) == 3


def test_recent_errors_keep_the_last_ones_and_fold_repeats():
    log, _, clock = _logger()
    x = logging.getLogger("aimoji.x")
    x.info("not kept")
    x.error("a")
    x.error("a")
    x.warning("b")
    items = logs.recent_errors.snapshot()
    assert [(i.level, i.message, i.count) for i in items] == [("error", "a", 2), ("warning", "b", 1)]
    for n in range(20):
        x.error("e%d", n)
    items = logs.recent_errors.snapshot()
    assert len(items) == logs.RECENT_ERRORS and items[-1].message == "e19"
