"""A picture of a show's days (pure geometry, two thin renderers): one row per local day, 24 h of
wall time across, closed grey, open coloured by scene kind, clock changes marked in red.

`week_shapes` lays the picture out once as rectangles, lines and text; `to_svg` writes them as SVG
text by hand and `to_png` draws the same shapes with Pillow, so the two files always agree.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from typing import NamedTuple
from xml.sax.saxutils import escape, quoteattr
from zoneinfo import ZoneInfo

from installation.scenes.registry import KINDS, SCENES
from installation.show.config import Hours, Show
from installation.show.schedule import Showing
from installation.show.timeline import (DAY_NAMES, Change, ClockChange, Day, clock_change, day_bounds, day_notes,
                                        describe_scene, format_date, format_wall, walk_days)

HOUR_PX = 40  # one hour of wall time
LEFT_PX = 250  # the column of day labels
RIGHT_PX = 24
TOP_PX = 78  # title, subtitle and hour labels above the first row
ROW_PX = 34  # height of a day's bar
GAP_PX = 14  # between bars
LEGEND_PX = 56  # below the last bar
WIDTH_PX = LEFT_PX + 24 * HOUR_PX + RIGHT_PX
# A playlist pass shorter than this is drawn as one band in its longest scene's colour: finer
# stripes would be noise at this scale (and millions of shapes for a playlist of 1 s scenes).
MIN_PASS_PX = 6

BACKGROUND = "#ffffff"
INK = "#222222"
FAINT = "#666666"
CLOSED = "#d4d4d4"
CLOCK_CHANGE = "#d62728"
SKIPPED = "#f4c7c7"  # the hour the clocks jump over: nothing plays in it, whatever the bar says around it


class Rect(NamedTuple):
    x: float
    y: float
    w: float
    h: float
    fill: str
    cls: str = ""  # SVG class, so a reader (or a test) can find the day rows
    title: str = ""  # SVG tooltip


class Line(NamedTuple):
    x1: float
    y1: float
    x2: float
    y2: float
    colour: str
    width: float = 1


class Text(NamedTuple):
    x: float
    y: float  # baseline
    text: str
    size: int
    colour: str = INK
    anchor: str = "start"  # start | middle | end, as SVG's text-anchor


Shape = Rect | Line | Text


def hour_x(t: datetime, day_start: datetime, zone: ZoneInfo) -> float:
    """x of an instant on its day's row: its wall time, so 10:00 lines up on every day, DST or not."""
    local, midnight = t.astimezone(zone), day_start.astimezone(zone)
    hours = (local.replace(tzinfo=None) - midnight.replace(tzinfo=None)).total_seconds() / 3600
    return LEFT_PX + min(max(hours, 0.0), 24.0) * HOUR_PX


def day_segments(d: Day) -> list[tuple[datetime, datetime, Showing]]:
    """(start, end, showing) covering the day, with summed-up repeats drawn pass by pass again."""
    points: list[Change] = []
    for e in d.entries:
        if isinstance(e, Change):
            points.append(e)
            continue
        if e.period.total_seconds() / 3600 * HOUR_PX < MIN_PASS_PX:
            longest = max(e.cycle, key=lambda c: c.showing.scene.duration_s)
            points.append(Change(e.cycle[0].at + e.period, longest.showing))
        else:
            k = 1
            while e.cycle[0].at + k * e.period < e.last.at:
                points += [Change(c.at + k * e.period, c.showing) for c in e.cycle
                           if c.at + k * e.period < e.last.at]
                k += 1
        points.append(e.last)
    ends = [p.at for p in points[1:]] + [d.end]
    return [(p.at, end, p.showing) for p, end in zip(points, ends) if end > p.at]


def _short_markers(d: Day, hours: Hours, change: ClockChange | None) -> str:
    """The day's markers, short enough for the label column."""
    words = [f"no hours ({DAY_NAMES[d.day.weekday()][:3]})" if note.kind == "no hours" else note.kind
             for note in day_notes(hours, d.day)]
    if change is not None:
        before = (change.at + change.before).strftime("%H:%M")
        after = (change.at + change.after).strftime("%H:%M")
        words.append(f"DST {before}→{after}")
    return ", ".join(words)


def week_shapes(show: Show, first: date, days: int) -> tuple[tuple[int, int], list[Shape]]:
    """The picture's size and shapes for `days` local days from `first`."""
    zone = ZoneInfo(show.timezone)
    walked = walk_days(show, first, days)
    height = TOP_PX + days * (ROW_PX + GAP_PX) + LEGEND_PX
    right = LEFT_PX + 24 * HOUR_PX
    shapes: list[Shape] = [Rect(0, 0, WIDTH_PX, height, BACKGROUND)]
    last_day = first + timedelta(days=days - 1)
    shapes.append(Text(12, 26, f"{show.title}: {format_date(first)} to {format_date(last_day)}", 18))
    shapes.append(Text(12, 46, f"wall time in {show.timezone}; closed: outside hours "
                               f"{show.outside_hours.action}", 12, FAINT))
    bottom = TOP_PX + days * (ROW_PX + GAP_PX) - GAP_PX
    for h in range(25):
        x = LEFT_PX + h * HOUR_PX
        shapes.append(Line(x, TOP_PX - 8, x, TOP_PX - 2, INK))
        shapes.append(Text(x, TOP_PX - 12, f"{h:02d}", 11, INK, "middle"))
    clock_lines: list[Line] = []
    changes: list[float] = []
    for i, d in enumerate(walked):
        y = TOP_PX + i * (ROW_PX + GAP_PX)
        shapes.append(Rect(LEFT_PX, y, right - LEFT_PX, ROW_PX, CLOSED, "day",
                           f"{format_date(d.day)}" + (f" — {'; '.join(d.markers)}" if d.markers else "")))
        shapes.append(Text(12, y + 15, format_date(d.day), 14))
        change = clock_change(zone, d.start, d.end)
        markers = _short_markers(d, show.hours, change)
        if markers:
            shapes.append(Text(12, y + 30, markers, 11, CLOCK_CHANGE if change else FAINT))
        if change is not None:
            jump = change.at + change.before  # the wall time at which the clocks are changed
            changes.append(LEFT_PX + (jump.hour + jump.minute / 60) * HOUR_PX)
        for start, end, showing in day_segments(d):
            if showing.scene is None:
                continue
            x0, x1 = hour_x(start, d.start, zone), hour_x(end, d.start, zone)
            if end == d.end:
                x1 = right
            tip = f"{format_wall(start, zone)}–{format_wall(end, zone)} {describe_scene(showing.scene)}"
            shapes.append(Rect(x0, y, max(x1 - x0, 1), ROW_PX, KINDS[showing.scene.scene].colour,
                               "scene", tip))
            label = showing.scene.scene
            if x1 - x0 >= 8 * len(label) + 10:
                shapes.append(Text(x0 + 5, y + ROW_PX / 2 + 4, label, 11, BACKGROUND))
        if change is not None:
            if change.after > change.before:
                skipped_px = (change.after - change.before).total_seconds() / 3600 * HOUR_PX
                shapes.append(Rect(changes[-1], y, skipped_px, ROW_PX, SKIPPED, "skipped",
                                   "this hour does not exist: the clocks jump over it"))
            clock_lines.append(Line(changes[-1], y - 4, changes[-1], y + ROW_PX + 4, CLOCK_CHANGE, 3))
    for h in range(1, 24):  # hour lines over the bars, stronger every 6 h
        x = LEFT_PX + h * HOUR_PX
        shapes.append(Line(x, TOP_PX, x, bottom, BACKGROUND, 2 if h % 6 == 0 else 1))
    shapes += clock_lines  # on top of the hour lines: 03:00 is where they usually fall
    shapes += _legend(show, bottom + 22)
    return (WIDTH_PX, height), shapes


def now_marker(show: Show, first: date, now: datetime) -> list[Shape]:
    """A mark at `now` on its row of the picture that starts at `first` (the status page draws today
    with it); none when now is not on the first days' rows."""
    zone = ZoneInfo(show.timezone)
    i = (now.astimezone(zone).date() - first).days
    if i < 0:
        return []
    start, _ = day_bounds(now.astimezone(zone).date(), zone)
    x, y = hour_x(now, start, zone), TOP_PX + i * (ROW_PX + GAP_PX)
    return [Line(x, y - 6, x, y + ROW_PX + 6, INK, 3), Text(x, y + ROW_PX + 18, "now", 11, INK, "middle")]


def _legend(show: Show, y: float) -> list[Shape]:
    items = [(kind.name, kind.colour) for kind in SCENES]
    items.append((f"closed ({show.outside_hours.action})", CLOSED))
    items.append(("skipped hour", SKIPPED))
    shapes: list[Shape] = []
    x = float(LEFT_PX)
    for label, colour in items:
        shapes += [Rect(x, y, 16, 16, colour), Text(x + 22, y + 13, label, 12)]
        x += 34 + 8 * len(label)
    shapes += [Line(x + 8, y - 2, x + 8, y + 18, CLOCK_CHANGE, 3),
               Text(x + 18, y + 13, "clock change (DST)", 12)]
    return shapes


# --- renderers -------------------------------------------------------------------------------------

def _n(v: float) -> str:
    return f"{v:.2f}".rstrip("0").rstrip(".")


def to_svg(size: tuple[int, int], shapes: list[Shape]) -> str:
    """The shapes as a standalone SVG document (text)."""
    w, h = size
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">']
    for s in shapes:
        if isinstance(s, Rect):
            attrs = f' class="{s.cls}"' if s.cls else ""
            body = f"<title>{escape(s.title)}</title>" if s.title else ""
            out.append(f'<rect x="{_n(s.x)}" y="{_n(s.y)}" width="{_n(s.w)}" height="{_n(s.h)}" '
                       f'fill="{s.fill}"{attrs}>{body}</rect>')
        elif isinstance(s, Line):
            out.append(f'<line x1="{_n(s.x1)}" y1="{_n(s.y1)}" x2="{_n(s.x2)}" y2="{_n(s.y2)}" '
                       f'stroke="{s.colour}" stroke-width="{_n(s.width)}"/>')
        else:
            out.append(f'<text x="{_n(s.x)}" y="{_n(s.y)}" font-size="{s.size}" fill="{s.colour}" '
                       f'text-anchor={quoteattr(s.anchor)}>{escape(s.text)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


PIL_ANCHORS = {"start": "ls", "middle": "ms", "end": "rs"}
# Pillow's built-in font has no dashes or arrows: without DejaVu they are drawn as these.
ASCII_STANDINS = str.maketrans({"—": "-", "–": "-", "→": "->", "…": "..."})


def _font(image_font, size: int):
    """(font, has the dashes and arrows): DejaVu Sans (what the SVG asks for) if installed."""
    try:
        return image_font.truetype("DejaVuSans.ttf", size), True
    except OSError:
        return image_font.load_default(size), False


def to_png(size: tuple[int, int], shapes: list[Shape]) -> bytes:
    """The same shapes drawn with Pillow, as PNG bytes."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(image)
    fonts: dict[int, tuple] = {}
    for s in shapes:
        if isinstance(s, Rect):
            x0, y0 = round(s.x), round(s.y)
            x1, y1 = max(round(s.x + s.w), x0 + 1), max(round(s.y + s.h), y0 + 1)
            draw.rectangle([x0, y0, x1 - 1, y1 - 1], fill=s.fill)
        elif isinstance(s, Line):
            draw.line([(round(s.x1), round(s.y1)), (round(s.x2), round(s.y2))], fill=s.colour,
                      width=round(s.width))
        else:
            if s.size not in fonts:
                fonts[s.size] = _font(ImageFont, s.size)
            font, full = fonts[s.size]
            text = s.text if full else s.text.translate(ASCII_STANDINS)
            draw.text((s.x, s.y), text, fill=s.colour, font=font, anchor=PIL_ANCHORS[s.anchor])
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
