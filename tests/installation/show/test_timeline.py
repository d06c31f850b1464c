"""The timeline of `aimoji schedule` (pure): days walked with what_to_show, repeats summed up, DST
markers, and wall times read the way the player reads them."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from installation.show.config import load_show, parse_show
from installation.show.schedule import opening_at, what_to_show
from installation.show.timeline import (clock_change, day_bounds, format_span,
                                        format_timeline, parse_at, walk_day)
from installation.show.week_picture import day_segments

VIENNA = ZoneInfo("Europe/Vienna")
UTC = timezone.utc
SHOWS = "show_configs"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@pytest.mark.parametrize("seconds, text", [
    (45, "45 s"), (90, "90 s"), (120, "2 min"), (1500, "25 min"), (3600, "1 h"), (3900, "1 h 5 min"),
    (2040, "34 min"), (3661, "1 h 1 min 1 s"),
])
def test_format_span(seconds, text):
    assert format_span(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize("day, at, before, after", [
    (date(2026, 3, 29), "2026-03-29T01:00Z", "+01:00", "+02:00"),   # spring: 02:00 CET -> 03:00 CEST
    (date(2026, 10, 25), "2026-10-25T01:00Z", "+02:00", "+01:00"),  # autumn: 03:00 CEST -> 02:00 CET
])
def test_clock_change_is_found_to_the_second(day, at, before, after):
    start, end = day_bounds(day, VIENNA)
    c = clock_change(VIENNA, start, end)
    assert c.at == utc(at)
    assert (str(c.before), str(c.after)) == tuple(
        str(timedelta(hours=int(x[1:3])) * (1 if x[0] == "+" else -1)) for x in (before, after))
    assert end - start == timedelta(hours=23 if day.month == 3 else 25)
    assert clock_change(VIENNA, *day_bounds(day + timedelta(days=1), VIENNA)) is None


@pytest.mark.parametrize("text, instant, note", [
    ("2026-10-27 14:07", "2026-10-27T13:07Z", None),
    ("2026-10-27T14:07:30", "2026-10-27T13:07:30Z", None),
    ("2026-10-25T02:30+01:00", "2026-10-25T01:30Z", None),     # an offset names one instant exactly
    ("2026-10-25T00:30Z", "2026-10-25T00:30Z", None),
    ("2026-10-25 02:30", "2026-10-25T00:30Z",                    # twice: the first, as the player
     "02:30 on Sun 2026-10-25 happens twice (clocks go back); taking the first, CEST (+02:00), as the "
     "player does; the second, CET (+01:00), is 1 h later"),
    ("2026-03-29 02:30", "2026-03-29T01:00Z",                    # never: the jump, as the player
     "02:30 on Sun 2026-03-29 does not exist: clocks jump from 02:00 to 03:00; taking the moment of "
     "the jump, as the player does"),
])
def test_parse_at(text, instant, note):
    assert parse_at(text, VIENNA, utc("2030-01-01T00:00Z")) == (utc(instant), note)


@pytest.mark.parametrize("text", ["now", " NOW ", "Now"])
def test_parse_at_now_is_the_clock_passed_in(text):
    assert parse_at(text, VIENNA, utc("2026-10-25T00:30:15.25Z")) == (utc("2026-10-25T00:30:15Z"), None)


@pytest.mark.parametrize("text", ["2026-10-25", "tomorrow", "2026-10-25 25:00", "", "2026-02-30 10:00"])
def test_parse_at_refuses_what_is_not_an_instant(text):
    with pytest.raises(ValueError, match=r"is not a date and time; allowed: 'YYYY-MM-DD HH:MM' in the "
                                         r"show's time zone \(Europe/Vienna\)"):
        parse_at(text, VIENNA, utc("2030-01-01T00:00Z"))


def test_a_playlist_coming_round_is_listed_once_then_summed_up():
    d = walk_day(load_show(f"{SHOWS}/museum_week.toml"), date(2026, 10, 22))  # Thursday, 10:00-21:00
    kinds = [type(e).__name__ for e in d.entries]
    assert kinds == ["Change", "Change", "Change", "Repeat", "Change"]
    repeat = d.entries[3]
    assert repeat.period == timedelta(minutes=25)
    assert [c.showing.index for c in repeat.cycle] == [0, 1]
    assert repeat.until == utc("2026-10-22T21:00+02:00")
    assert repeat.last.at == utc("2026-10-22T20:50+02:00")  # 10:00 + 26 passes of 25 min


def test_less_than_two_more_passes_are_listed_scene_by_scene():
    # 5-min scenes, 10-min passes: at 10:10 the playlist has come round, but only 15 min are left
    show = parse_show({"timezone": "UTC", "hours": {d: ["10:00-10:25"] for d in
                                                    ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                       "playlist": [{"duration_s": 300}, {"scene": "grid", "duration_s": 300}]})
    text = format_timeline(show, date(2026, 1, 1), 1)
    assert "repeats" not in text
    assert [line.split()[0] for line in text.splitlines()[3:]] == \
        ["10:00", "10:05", "10:10", "10:15", "10:20", "10:25"]


def brute_force(show, day):
    """Every change of the day by stepping what_to_show, with nothing summed up."""
    start, end = day_bounds(day, ZoneInfo(show.timezone))
    t, out = start, []
    while t < end:
        s = what_to_show(show, t)
        until = end if s.until is None else min(s.until, end)
        out.append((t, until, s.index))
        t = until
    return out


@pytest.mark.parametrize("file, day", [
    ("museum_week.toml", date(2026, 10, 22)), ("museum_week.toml", date(2026, 10, 3)),
    ("museum_week.toml", date(2026, 10, 4)), ("evening.toml", date(2026, 10, 25)),
    ("evening.toml", date(2026, 3, 29)), ("evening.toml", date(2026, 12, 31)),
    ("default.toml", date(2026, 10, 25)),
])
def test_summed_up_days_expand_to_exactly_what_the_player_shows(file, day):
    show = load_show(f"{SHOWS}/{file}")
    segments = [(s, e, sh.index) for s, e, sh in day_segments(walk_day(show, day))]
    assert segments == brute_force(show, day)


def test_opening_at_gives_the_whole_opening_or_none():
    show = load_show(f"{SHOWS}/museum_week.toml")
    assert opening_at(show, utc("2026-10-03T23:30+02:00")) == (utc("2026-10-03T10:00+02:00"),
                                                                  utc("2026-10-04T01:00+02:00"))
    assert opening_at(show, utc("2026-10-26T12:00+01:00")) is None
