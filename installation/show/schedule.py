"""The schedule (pure): what a show puts on screen at an instant, and until when.

The playlist position counts from the start of the current opening, in real elapsed time, so every
screen running the same show agrees without talking to the others, across DST changes and midnights.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, NamedTuple
from zoneinfo import ZoneInfo

from installation.show.config import WEEKDAYS, Hours, Scene, Show, parse_range

UTC = timezone.utc
# An opening that has lasted "forever" (24/7, no closed days) counts its playlist from here.
HORIZON = datetime(1970, 1, 1, tzinfo=UTC)
WEEK_MIN = 7 * 1440
US = timedelta(microseconds=1)


class Showing(NamedTuple):
    scene: Scene | None  # None while closed
    model: str | None  # the scene's model name or 'latest'; None while closed
    until: datetime | None  # next change (UTC); None: nothing ever changes
    index: int | None  # position of `scene` in the playlist


Interval = tuple[datetime, datetime]


def wall_to_utc(wall: datetime, zone: ZoneInfo) -> datetime:
    """A local wall time as a UTC instant: the first one if it happens twice (DST ends), and
    the moment of the jump if it never happens (in the hour skipped when DST starts)."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first
    # In a DST gap: fold=1 reads the wall with the later offset, landing before the jump.
    lo, hi = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid.astimezone(zone).replace(tzinfo=None) >= wall:
            hi = mid
        else:
            lo = mid
    return hi


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return wall_to_utc(datetime.combine(day, time()), zone)


def opening_intervals(hours: Hours, zone: ZoneInfo, first: date, last: date) -> list[Interval]:
    """Merged UTC intervals [start, end) of the ranges that open on the days first..last."""
    raw = []
    day = first
    while day <= last:
        base = datetime.combine(day, time())
        for start_min, end_min in hours.ranges_on(day):
            start = wall_to_utc(base + timedelta(minutes=start_min), zone)
            end = wall_to_utc(base + timedelta(minutes=end_min), zone)
            if end > start:
                raw.append((start, end))
        day += timedelta(days=1)
    merged: list[Interval] = []
    for start, end in sorted(raw):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _weekly_minutes(hours: Hours) -> list[tuple[int, int]]:
    out = []
    for i, name in enumerate(WEEKDAYS):
        for r in getattr(hours, name):
            s, e = parse_range(r)
            out.append((i * 1440 + s, i * 1440 + e))
    return out


def always_open_weekly(hours: Hours) -> bool:
    """Do the weekday hours (ignoring dated exceptions) cover the whole week without a gap?"""
    pieces = []
    for s, e in _weekly_minutes(hours):  # Sunday's overnight ranges wrap into Monday
        pieces += [(s, e)] if e <= WEEK_MIN else [(s, WEEK_MIN), (0, e - WEEK_MIN)]
    reach = 0
    for s, e in sorted(pieces):
        if s > reach:
            return False
        reach = max(reach, e)
    return reach >= WEEK_MIN


def _locate(show: Show, now: datetime) -> tuple[bool, datetime | None, datetime | None]:
    """(open, period_start, period_end) for open, or (False, None, next_opening) when closed.
    period_start is HORIZON for an opening without a known start; an end of None means never."""
    hours, zone = show.hours, ZoneInfo(show.timezone)
    today = now.astimezone(zone).date()
    exceptional = sorted(set(hours.closed_dates) | set(hours.special_dates))
    always = always_open_weekly(hours)
    weekly_any = bool(_weekly_minutes(hours))
    # A range opening on day D ends before D+2 00:00, so [today-2, today+1] holds all that touch now.
    lo, hi = today - timedelta(days=2), today + timedelta(days=1)
    start_known: datetime | None = None
    end_known, end_never = None, False
    while True:
        intervals = opening_intervals(hours, zone, lo, hi)
        left_edge = _midnight(lo + timedelta(days=2), zone)  # ranges from before `lo` end by here
        right_edge = _midnight(hi + timedelta(days=1), zone)  # ranges from after `hi` start here
        current = next((iv for iv in intervals if iv[0] <= now < iv[1]), None)
        if current is None:
            upcoming = next((s for s, _ in intervals if s > now), None)
            if upcoming is not None:
                return False, None, upcoming
            if hi > today + timedelta(days=366 * 50):
                return False, None, None  # nothing opens in the next 50 years: treat as never
            if not weekly_any:
                later = [d for d in hours.special_dates if d > hi and hours.ranges_on(d)]
                if not later:
                    return False, None, None
                hi = min(later) + timedelta(days=1)
            else:
                hi += timedelta(days=7)
            continue
        start, end = current
        need_left = start_known is None and start <= left_edge
        need_right = not end_never and end_known is None and end >= right_edge
        if not need_left and start_known is None:
            start_known = start
        if not need_right and end_known is None and not end_never:
            end_known = end
        if not need_left and not need_right:
            return True, start_known, end_known
        if need_left:
            earlier = [d for d in exceptional if d < lo]
            if lo <= HORIZON.date():
                start_known = HORIZON
            elif always and not earlier:
                start_known = HORIZON  # open without a break as far back as the show can say
            else:
                lo = min(lo - timedelta(days=7), earlier[-1] - timedelta(days=2)) if always \
                    else lo - timedelta(days=7)
        if need_right:
            later = [d for d in exceptional if d > hi]
            if always and not later:
                end_never = True
            else:
                hi = max(hi + timedelta(days=7), later[0] + timedelta(days=1)) if always \
                    else hi + timedelta(days=7)
        if start_known is not None and (end_known is not None or end_never):
            return True, start_known, end_known


def opening_at(show: Show, now: datetime) -> tuple[datetime, datetime | None] | None:
    """The opening that holds an aware `now` as UTC (start, end), or None while closed. The start is
    HORIZON for an opening without a known start; an end of None means it never closes."""
    is_open, start, end = _locate(show, now.astimezone(UTC))
    return (start, end) if is_open else None


def what_to_show(show: Show, now: datetime) -> Showing:
    """The scene, its model and the instant of the next change, for an aware `now`."""
    if now.tzinfo is None:
        raise ValueError("what_to_show needs an aware datetime (with a time zone)")
    now = now.astimezone(UTC)
    is_open, start, end = _locate(show, now)
    if not is_open:
        return Showing(None, None, end, None)
    durations = [round(scene.duration_s * 1_000_000) for scene in show.playlist]
    position = ((now - start) // US) % sum(durations)
    index, slot_end = 0, durations[0]
    while position >= slot_end:
        index += 1
        slot_end += durations[index]
    # A one-scene playlist only changes when the opening ends.
    scene_end = now + (slot_end - position) * US if len(durations) > 1 else None
    until = min((t for t in (scene_end, end) if t is not None), default=None)
    scene = show.playlist[index]
    return Showing(scene, scene.model, until, index)


def next_change(show: Show, now: datetime) -> datetime | None:
    """The first instant after `now` at which what_to_show gives another scene (None: never)."""
    return what_to_show(show, now).until


def schedule_hook(show: Show) -> Callable[[float], tuple[int | None, float]]:
    """For the player: (unix seconds) -> (playlist index or None when closed, until in unix seconds)."""
    def hook(now_s: float) -> tuple[int | None, float]:
        showing = what_to_show(show, datetime.fromtimestamp(now_s, UTC))
        until = showing.until.timestamp() if showing.until is not None else math.inf
        return showing.index, until
    return hook
