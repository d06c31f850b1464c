"""What plays when (pure): a show's local days walked change by change with the player's own
`what_to_show`, as text for `aimoji schedule`. UTC inside; wall time only in what is printed.

A playlist that comes round again inside one opening is listed once, then summed up in one line
("… repeats every 25 min until 18:00"): the position counts in real time from the opening, so each
pass takes exactly as long as the first, and the walk can jump to the last pass instead of stepping
through every scene of a long day.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from installation.show.config import WEEKDAYS, Hours, Scene, Show
from installation.show.schedule import HORIZON, UTC, US, Showing, opening_at, wall_to_utc, what_to_show

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_DAYS = 366


class Change(NamedTuple):
    at: datetime  # UTC; for a day's first entry, its midnight (the state the day starts in)
    showing: Showing


class Repeat(NamedTuple):
    period: timedelta  # one pass of the playlist, in real time
    cycle: tuple[Change, ...]  # the first pass, as listed before this line
    until: datetime  # UTC: the opening's end, or the day's end if it runs past midnight
    last: Change  # the last scene change before `until`


class ClockChange(NamedTuple):
    at: datetime  # UTC instant of the jump
    before: timedelta  # UTC offset before it
    after: timedelta  # ... and after it
    dst_before: timedelta
    dst_after: timedelta


class Day(NamedTuple):
    day: date
    start: datetime  # UTC of the local midnight starting the day
    end: datetime  # ... and of the next one (23 or 25 h later on a DST day)
    markers: list[str]
    entries: list[Change | Repeat]


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    nxt = day + timedelta(days=1)
    return wall_to_utc(datetime.combine(day, time()), zone), wall_to_utc(datetime.combine(nxt, time()), zone)


def clock_change(zone: ZoneInfo, start: datetime, end: datetime) -> ClockChange | None:
    """The change of UTC offset in [start, end), to the second; None if the offset stays the same.
    (Days hold at most one change in every zone in use.)"""
    def offset(t: datetime) -> tuple[timedelta, timedelta]:
        local = t.astimezone(zone)
        return local.utcoffset(), local.dst() or timedelta(0)
    first, last = offset(start), offset(end - US)
    if first == last:
        return None
    lo, hi = start, end - US
    while hi - lo > timedelta(seconds=1):
        mid = (lo + (hi - lo) / 2).replace(microsecond=0)
        if offset(mid) == first:
            lo = mid
        else:
            hi = mid
    return ClockChange(hi.replace(microsecond=0), first[0], last[0], first[1], last[1])


def format_span(span: timedelta) -> str:
    """25 min, 1 h 5 min, 90 s: a length of time as people say it."""
    s = round(span.total_seconds())
    if s < 120 and s % 60:
        return f"{s} s"
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    parts = [f"{h} h"] * bool(h) + [f"{m} min"] * bool(m) + [f"{sec} s"] * bool(sec)
    return " ".join(parts) or "0 s"


def describe_clock_change(c: ClockChange, zone: ZoneInfo) -> str:
    """'DST ends: clocks go back 1 h at 03:00', the jump read on the clock before it."""
    wall = (c.at + c.before).strftime("%H:%M")
    direction = "forward" if c.after > c.before else "back"
    what = ("DST starts" if c.dst_after > c.dst_before else "DST ends" if c.dst_after < c.dst_before
            else "clock change")
    return f"{what}: clocks go {direction} {format_span(abs(c.after - c.before))} at {wall}"


class DayNote(NamedTuple):
    """Why a day's hours are not its weekday's: a closed date, special hours (their ranges; none: closed
    all day), or a weekday without hours of its own."""
    kind: str                      # "closed date" | "special hours" | "no hours"
    ranges: tuple[str, ...] = ()


def day_notes(hours: Hours, day: date) -> list[DayNote]:
    """The one rule for what is special about a day's hours (schedule text and week picture alike)."""
    notes = []
    if day in hours.closed_dates:
        notes.append(DayNote("closed date"))
    if day in hours.special_dates:
        notes.append(DayNote("special hours", tuple(hours.special_dates[day])))
    elif not getattr(hours, WEEKDAYS[day.weekday()]):
        notes.append(DayNote("no hours"))
    return notes


def day_markers(show: Show, day: date, change: ClockChange | None, zone: ZoneInfo,
                closed_all_day: bool) -> list[str]:
    markers, weekday = [], DAY_NAMES[day.weekday()]
    for note in day_notes(show.hours, day):
        if note.kind == "special hours":
            markers.append(f"special hours {', '.join(note.ranges)}" if note.ranges else "special hours: closed")
        elif note.kind == "no hours":
            # Open past midnight on the day before's hours is still open: then say what is true.
            markers.append(f"closed ({weekday})" if closed_all_day else f"no hours of its own ({weekday})")
        else:
            markers.append(note.kind)
    if change is not None:
        markers.append(describe_clock_change(change, zone))
    return markers


def walk_day(show: Show, day: date) -> Day:
    """The day's entries: the state at midnight, then every change until the next midnight, with
    each opening's repeated passes summed up as one Repeat."""
    zone = ZoneInfo(show.timezone)
    start, end = day_bounds(day, zone)
    showing = what_to_show(show, start)
    entries: list[Change | Repeat] = [Change(start, showing)]
    n = len(show.playlist)
    run: list[Change] = []  # scene starts in the current opening, today
    while showing.until is not None and showing.until < end:
        t = showing.until
        showing = what_to_show(show, t)
        if showing.scene is None:
            run = []
            entries.append(Change(t, showing))
            continue
        run.append(Change(t, showing))
        if n > 1 and len(run) == n + 1:
            # The playlist has come round: the next pass repeats this one shifted by `period`.
            period = t - run[0].at
            opening = opening_at(show, t)
            run_end = end if opening is None or opening[1] is None else min(opening[1], end)
            if run_end - t >= 2 * period:  # a summary only where it saves lines
                passes = (run_end - US - run[0].at) // period
                u = run[0].at + passes * period
                last = what_to_show(show, u)
                while last.until is not None and last.until < run_end:
                    u = last.until
                    last = what_to_show(show, u)
                entries.append(Repeat(period, tuple(run[:n]), run_end, Change(u, last)))
                showing = last
                continue
        entries.append(run[-1])
    closed_all_day = len(entries) == 1 and showing.scene is None
    markers = day_markers(show, day, clock_change(zone, start, end), zone, closed_all_day)
    return Day(day, start, end, markers, entries)


def walk_days(show: Show, first: date, days: int) -> list[Day]:
    return [walk_day(show, first + timedelta(days=i)) for i in range(days)]


# --- text -------------------------------------------------------------------------------------------

def format_date(day: date) -> str:
    return f"{DAY_NAMES[day.weekday()][:3]} {day.isoformat()}"


def format_wall(t: datetime, zone: ZoneInfo) -> str:
    """HH:MM (HH:MM:SS off the minute) in the zone; with the zone's abbreviation when that wall time
    happens twice (the hour repeated when DST ends), so the two are told apart."""
    local = t.astimezone(zone)
    text = local.strftime("%H:%M:%S" if local.second or local.microsecond else "%H:%M")
    naive = local.replace(tzinfo=None)
    if naive.replace(tzinfo=zone, fold=0).utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
        text += f" {local.tzname()}"
    return text


def format_number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def describe_scene(scene: Scene) -> str:
    """'grid 6x4, mood happy (model latest, 300 s)'."""
    text = scene.label()
    if scene.mood:
        text += f", mood {scene.mood}"
    return f"{text} (model {scene.model}, {format_number(scene.duration_s)} s)"


def describe_closed(show: Show) -> str:
    return f"closed — outside hours: {show.outside_hours.action}"


def describe_showing(show: Show, showing: Showing, opening: bool) -> str:
    if showing.scene is None:
        return describe_closed(show)
    return f"open — {describe_scene(showing.scene)}" if opening else describe_scene(showing.scene)


def format_day(show: Show, d: Day) -> list[str]:
    """The day's header with its markers, then one line per change, times in one column."""
    zone = ZoneInfo(show.timezone)
    header = " — ".join([format_date(d.day), "; ".join(d.markers)]) if d.markers else format_date(d.day)
    first = d.entries[0]
    if len(d.entries) == 1:
        # Nothing changes all day: say so instead of printing a lone midnight.
        return [header, f"  all day  {describe_showing(show, first.showing, opening=True)}"]
    rows: list[tuple[str, str]] = []
    if first.showing.scene is not None:
        rows.append((format_wall(first.at, zone), describe_showing(show, first.showing, True)))
    was_open = first.showing.scene is not None
    for e in d.entries[1:]:
        if isinstance(e, Repeat):
            until = "through midnight" if e.until == d.end else f"until {format_wall(e.until, zone)}"
            rows.append(("", f"… repeats every {format_span(e.period)} {until} (last change "
                             f"{format_wall(e.last.at, zone)}: {e.last.showing.scene.scene})"))
            continue
        rows.append((format_wall(e.at, zone), describe_showing(show, e.showing, not was_open)))
        was_open = e.showing.scene is not None
    width = max(len(t) for t, _ in rows)
    return [header] + [f"  {t:<{width}}  {text}" for t, text in rows]


def format_timeline(show: Show, first: date, days: int) -> str:
    """The text of `aimoji schedule SHOW`: a header, then each day with its markers and changes."""
    header = f"{show.title}, {show.timezone}: {days} day{'s' * (days != 1)} from {format_date(first)}"
    out = [header]
    for d in walk_days(show, first, days):
        out += [""] + format_day(show, d)
    return "\n".join(out) + "\n"


# --- one instant -------------------------------------------------------------------------------------

def parse_at(text: str, zone: ZoneInfo, now: datetime) -> tuple[datetime, str | None]:
    """'YYYY-MM-DD HH:MM[:SS]' on the show's wall clock, ISO 8601 with an offset, or 'now' (the aware
    `now` passed in), as a UTC instant and a note when the wall time is ambiguous or skipped. ValueError
    saying what is allowed."""
    allowed = (f"allowed: 'YYYY-MM-DD HH:MM' in the show's time zone ({zone.key}), ISO 8601 "
               "with an offset such as 2026-10-25T02:30+01:00, or 'now'")
    cleaned = text.strip()
    if cleaned.lower() == "now":
        return now.astimezone(UTC).replace(microsecond=0), None
    try:
        if len(cleaned) <= 10:  # a date alone: which instant of it is meant?
            raise ValueError
        wall = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"'{text}' is not a date and time; {allowed}") from None
    if wall.tzinfo is not None:
        return wall.astimezone(UTC), None
    return resolve_wall(wall, zone)


def resolve_wall(wall: datetime, zone: ZoneInfo) -> tuple[datetime, str | None]:
    """A naive wall time as the player reads it (wall_to_utc), with a note when the clock shows it
    twice (the first is taken) or never (the moment of the jump is taken)."""
    early, late = wall.replace(tzinfo=zone, fold=0), wall.replace(tzinfo=zone, fold=1)
    instant = wall_to_utc(wall, zone)
    if early.utcoffset() == late.utcoffset():
        return instant, None
    shown = f"{wall:%H:%M} on {format_date(wall.date())}"
    if instant.astimezone(zone).replace(tzinfo=None) == wall:
        second = late.astimezone(UTC)
        return instant, (f"{shown} happens twice (clocks go back); taking the first, "
                         f"{_offset_name(instant, zone)}, as the player does; the second, "
                         f"{_offset_name(second, zone)}, is {format_span(second - instant)} later")
    before = (instant + early.utcoffset()).strftime("%H:%M")
    return instant, (f"{shown} does not exist: clocks jump from {before} to "
                     f"{format_wall(instant, zone)}; taking the moment of the jump, as the player does")


def _offset_name(t: datetime, zone: ZoneInfo) -> str:
    local = t.astimezone(zone)
    off = local.strftime("%z")
    return f"{local.tzname()} ({off[:3]}:{off[3:]})"


def format_moment(t: datetime, zone: ZoneInfo, day: date | None = None) -> str:
    """Wall time, with the date in front unless it is `day`."""
    wall = format_wall(t, zone)
    local_day = t.astimezone(zone).date()
    return wall if local_day == day else f"{format_date(local_day)} {wall}"


def format_at(show: Show, instant: datetime, note: str | None = None) -> str:
    """The text of `aimoji schedule SHOW --at TIME`: open or closed, scene, model, until when."""
    zone = ZoneInfo(show.timezone)
    day = instant.astimezone(zone).date()
    lines = [f"{show.title}, {show.timezone}: at {format_moment(instant, zone)} "
             f"({instant.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"]
    if note:
        lines.append(f"note: {note}")
    showing = what_to_show(show, instant)
    if showing.scene is None:
        lines.append(describe_closed(show))
        if showing.until is None:
            lines.append("it does not open again")
        else:
            after = what_to_show(show, showing.until)
            lines.append(f"until {format_moment(showing.until, zone, day)}, then open — "
                         f"{describe_scene(after.scene)}")
        return "\n".join(lines) + "\n"
    lines.append(f"open — {describe_scene(showing.scene)}, scene {showing.index + 1} of {len(show.playlist)}")
    start, end = opening_at(show, instant)
    if showing.until is None:
        lines.append("until: no change ahead (open around the clock, one scene)")
    else:
        after = what_to_show(show, showing.until)
        lines.append(f"until {format_moment(showing.until, zone, day)}, then "
                     f"{describe_showing(show, after, opening=False)}")
    since = "open around the clock" if end is None else f"closes {format_moment(end, zone, day)}"
    if start != HORIZON:
        since = f"opened {format_moment(start, zone, day)}, {since}"
    lines.append(since)
    return "\n".join(lines) + "\n"
