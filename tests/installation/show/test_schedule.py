"""The schedule: fixed instants in local time, DST both ways, overnight hours, dated exceptions."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from installation.show.schedule import (HORIZON, always_open_weekly, next_change, schedule_hook, wall_to_utc,
                                   what_to_show)
from installation.show.config import parse_show

VIENNA = ZoneInfo("Europe/Vienna")
UTC = timezone.utc

MUSEUM = parse_show({
    "timezone": "Europe/Vienna",
    "hours": {
        "mon": [], "tue": ["10:00-18:00"], "wed": ["10:00-18:00"], "thu": ["10:00-21:00"],
        "fri": ["10:00-18:00", "20:00-02:00"], "sat": ["10:00-18:00"], "sun": ["10:00-18:00"],
        "closed_dates": [date(2025, 12, 25), date(2025, 12, 31), date(2024, 2, 29)],
        "special_dates": {date(2025, 12, 24): ["10:00-14:00"], date(2025, 10, 6): ["18:00-01:00"]},
    },
    "playlist": [{"duration_s": 600, "model": "a"}, {"scene": "grid", "duration_s": 300, "model": "b"},
                 {"scene": "evolution", "duration_s": 60, "model": "latest"}],
})

NIGHTS = parse_show({  # overnight only, through both DST changes of 2025 (30 Mar, 26 Oct)
    "timezone": "Europe/Vienna",
    "hours": {d: ["22:00-04:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    "playlist": [{"duration_s": 3600, "model": "a"}, {"duration_s": 1800, "model": "b"}],
})


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=VIENNA)


@pytest.mark.parametrize("now, index, until", [
    ("2025-03-10 12:00", None, "2025-03-11 10:00+01:00"),   # Monday: closed all day
    ("2025-03-11 09:59:59", None, "2025-03-11 10:00+01:00"),
    ("2025-03-11 10:00", 0, "2025-03-11 10:10+01:00"),      # opening: playlist from the top
    ("2025-03-11 10:10", 1, "2025-03-11 10:15+01:00"),
    ("2025-03-11 10:15", 2, "2025-03-11 10:16+01:00"),
    ("2025-03-11 10:16", 0, "2025-03-11 10:26+01:00"),      # cycle of 16 min
    ("2025-03-11 17:59", 2, "2025-03-11 18:00+01:00"),      # 479 min: 29 cycles + 15
    ("2025-03-11 18:00", None, "2025-03-12 10:00+01:00"),
    ("2025-03-13 20:30", 0, "2025-03-13 20:34+01:00"),      # Thursday late: 630 min = 39 cycles + 6
    ("2025-03-14 19:00", None, "2025-03-14 20:00+01:00"),   # Friday between the two ranges
    ("2025-03-14 20:00", 0, "2025-03-14 20:10+01:00"),      # the evening opening restarts the playlist
    ("2025-03-15 01:50", 1, "2025-03-15 01:51+01:00"),      # past midnight, Friday's range still runs
    ("2025-03-15 01:59", 0, "2025-03-15 02:00+01:00"),      # closing cuts the scene short
    ("2025-03-15 02:00", None, "2025-03-15 10:00+01:00"),
    ("2025-12-24 13:59", 2, "2025-12-24 14:00+01:00"),      # special date: shorter hours
    ("2025-12-24 15:00", None, "2025-12-26 10:00+01:00"),   # ...then the 25th is closed
    ("2025-12-30 17:00", 0, "2025-12-30 17:06+01:00"),
    ("2025-12-31 12:00", None, "2026-01-01 10:00+01:00"),   # year boundary: 31 Dec closed, 1 Jan open
    ("2025-10-06 23:59", 0, "2025-10-07 00:02+02:00"),      # Monday special late opening 18:00-01:00
    ("2025-10-07 00:59", 0, "2025-10-07 01:00+02:00"),
    ("2024-02-29 12:00", None, "2024-03-01 10:00+01:00"),   # leap day, closed
    ("2024-03-01 10:05", 0, "2024-03-01 10:10+01:00"),
])
def test_museum_week(now, index, until):
    showing = what_to_show(MUSEUM, local(now))
    assert showing.index == index
    assert showing.until.astimezone(VIENNA).isoformat(sep=" ", timespec="minutes") == until
    assert showing.model == (None if index is None else MUSEUM.playlist[index].model)


@pytest.mark.parametrize("now, index, until_utc", [
    # 30 Mar 2025: 02:00 CET jumps to 03:00 CEST. The night of the 29th opens 21:00Z, closes 02:00Z: 5 h.
    ("2025-03-29T21:00Z", 0, "2025-03-29T22:00Z"),
    ("2025-03-29T23:59Z", 1, "2025-03-30T00:00Z"),
    ("2025-03-30T01:59Z", 0, "2025-03-30T02:00Z"),    # 299 min in; closes at 04:00 CEST
    ("2025-03-30T02:00Z", None, "2025-03-30T20:00Z"),    # opens 22:00 CEST = 20:00Z
    # 26 Oct 2025: 03:00 CEST falls back to 02:00 CET. The night of the 25th: 20:00Z to 03:00Z, 7 h.
    ("2025-10-25T20:00Z", 0, "2025-10-25T21:00Z"),
    ("2025-10-26T01:30Z", 1, "2025-10-26T02:00Z"),       # 5.5 h in: 3 cycles of 1.5 h, then an hour of 'a'
    ("2025-10-26T02:59Z", 0, "2025-10-26T03:00Z"),
    ("2025-10-26T03:00Z", None, "2025-10-26T21:00Z"),    # opens 22:00 CET = 21:00Z
])
def test_overnight_hours_across_dst(now, index, until_utc):
    showing = what_to_show(NIGHTS, datetime.fromisoformat(now))
    assert showing.index == index
    assert showing.until == datetime.fromisoformat(until_utc)


@pytest.mark.parametrize("wall, expected_utc", [
    ("2025-03-30 01:59", "2025-03-30T00:59Z"),
    ("2025-03-30 02:30", "2025-03-30T01:00Z"),   # never happens: the moment of the jump
    ("2025-03-30 03:00", "2025-03-30T01:00Z"),
    ("2025-10-26 02:30", "2025-10-26T00:30Z"),   # happens twice: the first one
    ("2025-10-26 03:00", "2025-10-26T02:00Z"),
])
def test_wall_to_utc(wall, expected_utc):
    assert wall_to_utc(datetime.fromisoformat(wall), VIENNA) == datetime.fromisoformat(expected_utc)


def test_dst_gap_opening_starts_at_the_jump():
    show = parse_show({"timezone": "Europe/Vienna", "hours": {"sun": ["02:30-05:00"]},
                       "playlist": [{"duration_s": 60}, {"duration_s": 60}]})
    closed = what_to_show(show, datetime.fromisoformat("2025-03-30T00:59:59Z"))
    assert closed.index is None and closed.until == datetime.fromisoformat("2025-03-30T01:00Z")


@pytest.mark.parametrize("hours, expected", [
    ({}, True),
    ({"mon": []}, False),
    ({d: ["10:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, False),
    ({d: ["12:00-12:01", "12:01-12:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}, True),
    ({"mon": ["06:00-24:00"], "sun": ["00:00-24:00", "20:00-06:00"]}, True),   # Sunday night covers Monday
    ({"mon": ["06:00-24:00"], "sun": ["00:00-24:00", "20:00-05:59"]}, False),
])
def test_always_open_weekly(hours, expected):
    assert always_open_weekly(parse_show({"hours": hours}).hours) is expected


def test_always_open_show_counts_from_the_horizon_and_one_scene_never_changes():
    show = parse_show({"playlist": [{"duration_s": 600}, {"duration_s": 300}]})
    now = datetime(2025, 6, 1, 12, 7, tzinfo=UTC)
    elapsed = (now - HORIZON).total_seconds() % 900
    assert what_to_show(show, now).index == (0 if elapsed < 600 else 1)
    assert next_change(parse_show({}), now) is None


def test_closed_date_in_a_24_7_show_restarts_the_playlist_next_day():
    show = parse_show({"hours": {"closed_dates": [date(2024, 12, 25)]},
                       "playlist": [{"duration_s": 600}, {"duration_s": 300}]})
    showing = what_to_show(show, datetime(2025, 6, 1, 0, 0, 30, tzinfo=UTC))
    elapsed = (datetime(2025, 6, 1, tzinfo=UTC) - datetime(2024, 12, 26, tzinfo=UTC)).total_seconds() + 30
    assert showing.index == (0 if elapsed % 900 < 600 else 1)
    assert what_to_show(show, datetime(2024, 12, 25, 9, tzinfo=UTC)).until == datetime(2024, 12, 26, tzinfo=UTC)


def test_never_open_show():
    show = parse_show({"hours": {d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}})
    assert what_to_show(show, datetime(2025, 1, 1, tzinfo=UTC)) == (None, None, None, None)


def test_a_special_date_opens_a_never_open_show():
    show = parse_show({"hours": {**{d: [] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
                                 "special_dates": {date(2026, 5, 16): ["19:00-01:00"]}}})
    assert next_change(show, datetime(2025, 1, 1, tzinfo=UTC)) == datetime(2026, 5, 16, 19, tzinfo=UTC)
    assert what_to_show(show, datetime(2026, 5, 17, 0, 30, tzinfo=UTC)).index == 0


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="aware"):
        what_to_show(MUSEUM, datetime(2025, 1, 1))


def test_schedule_hook_speaks_unix_seconds():
    hook = schedule_hook(MUSEUM)
    now = local("2025-03-11 10:12")
    index, until = hook(now.timestamp())
    assert (index, until) == (1, local("2025-03-11 10:15").timestamp())
    assert schedule_hook(parse_show({}))(0.0) == (0, float("inf"))


def test_screens_agree_whenever_they_ask():
    # Two screens asking at different moments of the same slot get the same scene and the same end.
    a = what_to_show(MUSEUM, local("2025-03-11 10:11:00"))
    b = what_to_show(MUSEUM, local("2025-03-11 10:14:59.999999"))
    assert a == b


SHOWS = [MUSEUM, NIGHTS, parse_show({"timezone": "America/New_York",
                                     "hours": {"sat": ["20:00-02:00"], "sun": ["00:00-24:00"],
                                               "closed_dates": [date(2025, 11, 2)]},
                                     "playlist": [{"duration_s": 1.5}, {"duration_s": 7}]})]
instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31),
                        timezones=st.just(UTC))


@settings(max_examples=150, deadline=None)
@given(show_index=st.sampled_from(range(len(SHOWS))), now=instants,
       fraction=st.floats(min_value=0, max_value=1, exclude_max=True))
def test_next_change_is_later_and_nothing_changes_before_it(show_index, now, fraction):
    show = SHOWS[show_index]
    showing = what_to_show(show, now)
    assert showing.until is not None and showing.until > now
    span_us = (showing.until - now) // timedelta(microseconds=1)
    inside = now + timedelta(microseconds=min(int(span_us * fraction), span_us - 1))
    assert what_to_show(show, inside)[:2] == showing[:2]
    assert what_to_show(show, inside).until == showing.until
    assert what_to_show(show, showing.until).index != showing.index


@settings(max_examples=60, deadline=None)
@given(now=instants)
def test_walking_the_changes_visits_the_playlist_in_order(now):
    # From any instant, consecutive changes inside one opening step through the playlist cyclically.
    show = SHOWS[2]
    a = what_to_show(show, now)
    b = what_to_show(show, a.until)
    if a.index is not None and b.index is not None:
        assert b.index == (a.index + 1) % len(show.playlist)
