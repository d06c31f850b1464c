"""service/remote/limits.py: a token bucket per sender, bounded in senders, one line per burst."""

import pytest

from installation.service.remote.limits import SourceLimit


def test_a_sender_within_its_rate_is_never_refused():
    limit = SourceLimit("OSC", rate_hz=50, burst=10)
    assert all(limit.check("10.0.0.5", k / 50).allowed for k in range(500))   # 50 a second, ten seconds


def test_a_burst_over_the_limit_is_one_line_at_its_start_and_one_with_the_count_at_its_end():
    limit = SourceLimit("OSC", rate_hz=50, burst=10)
    verdicts = [limit.check("10.0.0.5", 1.0) for _ in range(5_000)]      # all at once
    assert sum(v.allowed for v in verdicts) == 10
    lines = [v.line for v in verdicts if v.line]
    assert lines == ["OSC from 10.0.0.5: more than 50 messages a second (burst 10); dropping the rest until it "
                     "slows down"]
    still = limit.check("10.0.0.5", 1.5)      # half a second on: a new token, but the burst is not over
    assert still.allowed and still.line is None
    back = limit.check("10.0.0.5", 2.0)
    assert back.allowed and back.line == "OSC from 10.0.0.5: back within the limit; 4990 messages were dropped"
    assert limit.dropped == 4990


def test_a_sender_that_keeps_flooding_is_one_burst_however_its_tokens_trickle_in():
    limit = SourceLimit("OSC", rate_hz=50, burst=10)
    lines = [v.line for k in range(20_000) if (v := limit.check("10.0.0.5", k / 5000)).line]   # 5,000 a second
    assert lines == ["OSC from 10.0.0.5: more than 50 messages a second (burst 10); dropping the rest until it "
                     "slows down"]


def test_one_flooding_sender_does_not_starve_another():
    limit = SourceLimit("OSC", rate_hz=50, burst=10)
    for _ in range(1000):
        limit.check("10.0.0.66", 1.0)
    assert limit.check("10.0.0.5", 1.0).allowed


@pytest.mark.parametrize("senders", [300, 10_000])
def test_forged_senders_cost_bounded_memory(senders):
    limit = SourceLimit("OSC", max_sources=256)
    for n in range(senders):
        limit.check(f"10.{n // 65536}.{n // 256 % 256}.{n % 256}", 1.0)
    assert limit.senders == 256
