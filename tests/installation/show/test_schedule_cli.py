"""`aimoji schedule` from the command line: the DST weekend of the museum show, one instant (--at),
one line and exit 2 for bad input, and the week as SVG and PNG."""

import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

import pytest
from PIL import Image

from installation.cli import main

ROOT = Path(__file__).resolve().parents[3]
MUSEUM = str(ROOT / "show_configs" / "museum_week.toml")


def run(capsys, *argv):
    code = main(["schedule", *argv])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def test_the_dst_weekend_of_the_museum_week(capsys):
    code, lines, err = run(capsys, MUSEUM, "--from", "2026-10-23", "--days", "4")
    assert code == 0 and err == ""
    day = ["  10:00  open — morph (model latest, 1200 s)",
           "  10:20  grid 6x4 (model latest, 300 s)",
           "         … repeats every 25 min until 18:00 (last change 17:55: morph)",
           "  18:00  closed — outside hours: dim"]
    assert lines == [
        "AImoji — museum week, Europe/Vienna: 4 days from Fri 2026-10-23",
        "", "Fri 2026-10-23", *day,
        "", "Sat 2026-10-24", *day,
        # Vienna: 03:00 CEST back to 02:00 CET; the 10:00-18:00 opening is after it, so it is unchanged
        "", "Sun 2026-10-25 — DST ends: clocks go back 1 h at 03:00", *day,
        # Nationalfeiertag on a Monday: closed twice over
        "", "Mon 2026-10-26 — closed date; closed (Monday)",
        "  all day  closed — outside hours: dim",
    ]


def test_at_an_ordinary_instant(capsys):
    code, lines, _ = run(capsys, MUSEUM, "--at", "2026-10-27 14:07")
    assert code == 0
    assert lines == [
        "AImoji — museum week, Europe/Vienna: at Tue 2026-10-27 14:07 (2026-10-27 13:07 UTC)",
        "open — grid 6x4 (model latest, 300 s), scene 2 of 2",
        "until 14:10, then morph (model latest, 1200 s)",
        "opened 10:00, closes 18:00",
    ]


def test_at_a_time_the_spring_jump_skips(capsys):
    code, lines, _ = run(capsys, MUSEUM, "--at", "2026-03-29 02:30")
    assert code == 0
    assert lines == [
        "AImoji — museum week, Europe/Vienna: at Sun 2026-03-29 03:00 (2026-03-29 01:00 UTC)",
        "note: 02:30 on Sun 2026-03-29 does not exist: clocks jump from 02:00 to 03:00; taking the "
        "moment of the jump, as the player does",
        "closed — outside hours: dim",
        "until 10:00, then open — morph (model latest, 1200 s)",
    ]


def test_at_a_time_the_autumn_clocks_show_twice(capsys):
    code, lines, _ = run(capsys, MUSEUM, "--at", "2026-10-25 02:30")
    assert code == 0
    assert lines[:2] == [
        "AImoji — museum week, Europe/Vienna: at Sun 2026-10-25 02:30 CEST (2026-10-25 00:30 UTC)",
        "note: 02:30 on Sun 2026-10-25 happens twice (clocks go back); taking the first, CEST (+02:00), "
        "as the player does; the second, CET (+01:00), is 1 h later",
    ]
    code, lines, _ = run(capsys, MUSEUM, "--at", "2026-10-25T02:30+01:00")  # the second, by offset
    assert lines[0] == "AImoji — museum week, Europe/Vienna: at Sun 2026-10-25 02:30 CET (2026-10-25 01:30 UTC)"
    assert not lines[1].startswith("note")


def test_at_now_answers_for_this_minute(capsys):
    before = datetime.now(timezone.utc)
    code, lines, _ = run(capsys, MUSEUM, "--at", "now")
    after = datetime.now(timezone.utc)
    assert code == 0
    stamps = {f"({t:%Y-%m-%d %H:%M} UTC)" for t in (before, after)}   # the minute may turn during the run
    assert any(lines[0].endswith(stamp) for stamp in stamps), lines[0]


@pytest.mark.parametrize("argv, message", [
    (["--from", "2026-13-01"], "--from: '2026-13-01' is not a date; allowed: YYYY-MM-DD such as 2026-10-23"),
    (["--from", "23.10.2026"], "--from: '23.10.2026' is not a date; allowed: YYYY-MM-DD such as 2026-10-23"),
    (["--days", "0"], "--days: '0' is not allowed; allowed: a whole number from 1 to 366"),
    (["--days", "a week"], "--days: 'a week' is not allowed; allowed: a whole number from 1 to 366"),
    (["--at", "2026-10-25"], "--at: '2026-10-25' is not a date and time; allowed: 'YYYY-MM-DD HH:MM' in "
                             "the show's time zone (Europe/Vienna), ISO 8601 with an offset such as "
                             "2026-10-25T02:30+01:00, or 'now'"),
    (["--at", "2026-10-25 10:00", "--png", "x.png"],
     "--at: answers one instant; allowed: --at alone, without --png"),
])
def test_bad_arguments_are_one_line_and_exit_2(capsys, argv, message):
    code, lines, err = run(capsys, MUSEUM, *argv)
    assert (code, lines, err) == (2, [], f"aimoji schedule: {message}\n")


def test_a_show_that_does_not_load_is_one_line_and_exit_2(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("timezone = 'Europe/Viena'\n")
    code, lines, err = run(capsys, str(bad), "--from", "2026-10-23")
    assert (code, lines) == (2, [])
    assert err == (f"{bad}: timezone: 'Europe/Viena' is not a known time zone; allowed: an IANA name such "
                   "as 'Europe/Vienna' or 'UTC'\n")


def test_the_week_as_svg_and_png(capsys, tmp_path):
    svg, png = tmp_path / "week.svg", tmp_path / "week.png"
    code, lines, err = run(capsys, MUSEUM, "--from", "2026-10-20", "--svg", str(svg), "--png", str(png))
    assert code == 0 and err == ""
    assert lines == [f"wrote {svg} (7 days from Tue 2026-10-20, 1234x470 px)",
                     f"wrote {png} (7 days from Tue 2026-10-20, 1234x470 px)"]
    root = ET.parse(svg).getroot()  # well-formed XML, or this raises
    ns = "{http://www.w3.org/2000/svg}"
    days = [r.find(f"{ns}title").text for r in root.iter(f"{ns}rect") if r.get("class") == "day"]
    assert len(days) == 7
    assert days[5] == "Sun 2026-10-25 — DST ends: clocks go back 1 h at 03:00"
    assert days[6] == "Mon 2026-10-26 — closed date; closed (Monday)"
    assert (root.get("width"), root.get("height")) == ("1234", "470")
    with Image.open(png) as image:
        assert image.format == "PNG" and image.size == (1234, 470)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["week.png", "week.svg"]  # no temp files left


def test_a_picture_into_a_missing_folder_is_one_line_and_exit_2(capsys, tmp_path):
    target = tmp_path / "nowhere" / "week.png"
    code, lines, err = run(capsys, MUSEUM, "--png", str(target))
    assert (code, lines, err) == (2, [], f"aimoji schedule: cannot write {target} (No such file or directory)\n")
