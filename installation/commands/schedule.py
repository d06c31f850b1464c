"""`aimoji schedule SHOW`: what plays when — a day-by-day timeline, the answer for one instant (--at),
or a picture of the days (--svg, --png). All of it comes from the player's own schedule code.
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from installation.atomic import write_bytes_atomic
from installation.show.config import ShowError, load_show
from installation.show.timeline import MAX_DAYS, format_at, format_date, format_timeline, parse_at

EPILOG = """examples:
  aimoji schedule show_configs/museum_week.toml                      the next 7 days from today
  aimoji schedule show_configs/museum_week.toml --from 2026-10-23 --days 4
  aimoji schedule show_configs/museum_week.toml --at "2026-10-25 02:30"
  aimoji schedule show_configs/active.toml --at now
  aimoji schedule show_configs/evening.toml --png week.png           a picture of the week
times are the show's wall clock (its timezone); --at also takes ISO 8601 with an offset, or now.
exit status: 0, or 2 for a show that does not load or an argument that is not allowed."""

PROG = "aimoji schedule"


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.epilog = EPILOG
    p.add_argument("show", type=Path, metavar="SHOW", help="the show file (.toml)")
    # Dates and numbers are read as text and checked in run(), so a mistake is one line, not a usage.
    p.add_argument("--from", dest="first", default=None, metavar="DATE",
                   help="first day, YYYY-MM-DD (default: today in the show's time zone)")
    p.add_argument("--days", default=None, metavar="N", help=f"how many days, 1 to {MAX_DAYS} (default 7)")
    p.add_argument("--at", default=None, metavar="TIME",
                   help="what is on at this instant: 'YYYY-MM-DD HH:MM' on the show's clock, ISO 8601 "
                        "with an offset, or 'now'; says which one when the clock shows the time twice or never")
    p.add_argument("--svg", type=Path, default=None, metavar="FILE",
                   help="write a picture of the days as SVG instead of printing the timeline")
    p.add_argument("--png", type=Path, default=None, metavar="FILE",
                   help="write the same picture as PNG (may be given with --svg)")


def parse_first(text: str | None, today: date) -> date:
    if text is None:
        return today
    try:
        if not re.fullmatch(r"\d{4}-\d\d-\d\d", text.strip()):
            raise ValueError
        first = date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"--from: '{text}' is not a date; allowed: YYYY-MM-DD such as 2026-10-23") from None
    if not 1970 <= first.year <= 9998:  # the schedule counts from 1970; 9999 has no next year to look into
        raise ValueError(f"--from: '{text}' is out of range; allowed: a date from 1970 to 9998")
    return first


def parse_days(text: str | None) -> int:
    if text is None:
        return 7
    try:
        days = int(text)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"--days: '{text}' is not allowed; allowed: a whole number from 1 to {MAX_DAYS}")
    return days


def write_picture(show, first: date, days: int, svg: Path | None, png: Path | None) -> list[str]:
    """Write the requested files; the lines saying what was written."""
    from installation.show.week_picture import to_png, to_svg, week_shapes

    size, shapes = week_shapes(show, first, days)
    what = f"{days} day{'s' * (days != 1)} from {format_date(first)}, {size[0]}x{size[1]} px"
    lines = []
    for path, data in ((svg, lambda: to_svg(size, shapes).encode("utf-8")), (png, lambda: to_png(size, shapes))):
        if path is None:
            continue
        try:
            write_bytes_atomic(path, data())
        except OSError as exc:  # named by the file asked for, not the temp file beside it
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        lines.append(f"wrote {path} ({what})")
    return lines


def run(args) -> int:
    try:
        show = load_show(args.show)
    except ShowError as exc:
        print(exc, file=sys.stderr)
        return 2
    zone = ZoneInfo(show.timezone)
    try:
        if args.at is not None:
            given = [name for name, v in (("--from", args.first), ("--days", args.days),
                                          ("--svg", args.svg), ("--png", args.png)) if v is not None]
            if given:
                raise ValueError(f"--at: answers one instant; allowed: --at alone, without {', '.join(given)}")
            instant, note = parse_at(args.at, zone, datetime.now(UTC))
        else:
            first = parse_first(args.first, datetime.now(zone).date())
            days = parse_days(args.days)
    except ValueError as exc:
        message = str(exc)
        if args.at is not None and not message.startswith("--"):
            message = f"--at: {message}"
        print(f"{PROG}: {message}", file=sys.stderr)
        return 2
    if args.at is not None:
        sys.stdout.write(format_at(show, instant, note))
        return 0
    if args.svg is None and args.png is None:
        sys.stdout.write(format_timeline(show, first, days))
        return 0
    try:
        lines = write_picture(show, first, days, args.svg, args.png)
    except OSError as exc:
        print(f"{PROG}: cannot write {exc.filename or 'the picture'} ({exc.strerror})", file=sys.stderr)
        return 2
    print("\n".join(lines))
    return 0
