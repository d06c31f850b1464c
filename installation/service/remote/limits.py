"""How much a sender may ask of the player (pure, the time handed in): a token bucket per source address,
so one flooding sender (or a forged address in the allowed network) cannot starve the others; at most
MAX_SOURCES remembered, the least recently heard forgotten first. A burst over the limit is one log
line when it starts; what it cost is counted, and said when the sender is heard within the limit again.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

PER_SOURCE_HZ = 50.0      # a TouchOSC fader sends ~30-60 messages a second while it moves
BURST = 100               # what a sender may send at once (a QLab cue list firing several messages)
MAX_SOURCES = 256         # senders remembered; a flood of forged addresses cycles through these
QUIET_S = 1.0             # a burst is over when the sender has gone this long without being refused


@dataclass
class _Bucket:
    tokens: float
    at: float
    dropped: int = 0          # in the current burst over the limit
    last_drop: float = 0.0


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    line: str | None = None   # what to log, at most once per burst (its start, and its end with the count)


class SourceLimit:
    def __init__(self, what: str, rate_hz: float = PER_SOURCE_HZ, burst: int = BURST,
                 max_sources: int = MAX_SOURCES):
        self.what, self.rate_hz, self.burst, self.max_sources = what, rate_hz, burst, max_sources
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self.dropped = 0      # over the limit, ever

    @property
    def senders(self) -> int:
        """Senders remembered now (at most max_sources)."""
        return len(self._buckets)

    def check(self, source: str, now: float) -> Verdict:
        """May a message from `source` (an address) go on at monotonic time `now`?"""
        bucket = self._buckets.pop(source, None) or _Bucket(float(self.burst), now)
        self._buckets[source] = bucket
        while len(self._buckets) > self.max_sources:
            self._buckets.popitem(last=False)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.at) * self.rate_hz)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            if bucket.dropped and now - bucket.last_drop >= QUIET_S:
                line = f"{self.what} from {source}: back within the limit; {bucket.dropped} messages were dropped"
                bucket.dropped = 0
                return Verdict(True, line)
            return Verdict(True)
        self.dropped += 1
        bucket.dropped += 1
        bucket.last_drop = now
        if bucket.dropped == 1:
            return Verdict(False, f"{self.what} from {source}: more than {self.rate_hz:g} messages a second "
                                  f"(burst {self.burst}); dropping the rest until it slows down")
        return Verdict(False)
