"""A wall of screens: the show's [wall] table (one canvas, the screens on it with their bezels and how
each panel is mounted) and which part of it this PC shows.

The same show file goes to every PC of a wall; each PC knows which screen it is from `aimoji play
--screen NAME` or the first word of /etc/aimoji/screen (paths.SCREEN_FILE), so a technician swaps a PC
by changing one word. Pure: no pygame. Docs for curators: docs/shows.md, "A wall of screens".
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from installation.geometry import Rect, Region

# Scenes lay the wall out in whole pixels. A wall measured in millimetres is laid out at this many
# pixels per millimetre on every PC alike, so every PC rounds the same layout (a grid's tiles meet at
# the seams) whatever its own panel's resolution; 0.25 mm is finer than any panel's pixel.
LAYOUT_PX_PER_MM = 4
SCREEN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")

Number = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class WallScreen(BaseModel):
    """One panel on the wall, in the wall's units."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(description="the screen's name, one word: what `--screen` or /etc/aimoji/screen says")
    rect: tuple[Number, Number, Positive, Positive] = Field(
        description="the panel's outer edge on the canvas: x, y, width, height")
    bezel: Number | tuple[Number, Number, Number, Number] = Field(
        0, description="frame width hidden at each edge: one number, or [left, top, right, bottom]")
    rotation: Literal[0, 90, 180, 270] = Field(
        0, description="how the panel is mounted, clockwise: 90 or 270 for a landscape panel on its side")

    @field_validator("bezel", mode="before")
    @classmethod
    def _bezel_shape(cls, v: Any) -> Any:
        if isinstance(v, list | tuple) and len(v) != 4:
            raise ValueError(f"{v} is not a bezel; allowed: a number, or [left, top, right, bottom]")
        return v

    @model_validator(mode="after")
    def _fits(self) -> "WallScreen":
        if not SCREEN_NAME.match(self.name):
            raise ValueError(f"screen name '{self.name}' is not one word; allowed: letters, digits, _ . -")
        left, top, right, bottom = self.edges
        if left + right >= self.rect[2] or top + bottom >= self.rect[3]:
            raise ValueError(f"screen '{self.name}': bezel {list(self.edges)} is wider than the panel "
                             f"({self.rect[2]:g} x {self.rect[3]:g}); allowed: bezels that leave a visible area")
        return self

    @property
    def edges(self) -> tuple[float, float, float, float]:
        """The bezel as (left, top, right, bottom)."""
        b = self.bezel
        return (b, b, b, b) if isinstance(b, (int, float)) else tuple(b)

    @property
    def visible(self) -> tuple[float, float, float, float]:
        """The part of the canvas this panel shows: its rect inset by the bezel."""
        x, y, w, h = self.rect
        left, top, right, bottom = self.edges
        return x + left, y + top, w - left - right, h - top - bottom


def _overlap(a: tuple, b: tuple) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


class Wall(BaseModel):
    """The wall: one canvas across several screens, each PC showing its screen's visible part."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    canvas: tuple[Positive, Positive] = Field(description="the whole wall's width and height, in `units`")
    units: Literal["px", "mm"] = Field("px", description="units of canvas, rects and bezels: px or mm")
    morph: Literal["span", "each"] = Field(
        "span", description="a morph: 'span' one emoji across all screens, 'each' one per screen")
    screens: list[WallScreen] = Field(min_length=1, description="the panels on the canvas ([[wall.screens]])")

    @model_validator(mode="after")
    def _layout(self) -> "Wall":
        names = [s.name for s in self.screens]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"screen '{twice[0]}' is named twice; allowed: one name per screen")
        cw, ch = self.canvas
        for s in self.screens:
            x, y, w, h = s.rect
            if x + w > cw or y + h > ch:
                raise ValueError(f"screen '{s.name}' [{x:g}, {y:g}, {w:g}, {h:g}] reaches off the canvas "
                                 f"({cw:g} x {ch:g} {self.units}); allowed: rects inside the canvas")
        for i, a in enumerate(self.screens):
            for b in self.screens[i + 1:]:
                if _overlap(a.rect, b.rect):
                    raise ValueError(f"screens '{a.name}' and '{b.name}' overlap; allowed: panels side by side")
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.screens)

    @property
    def layout_px_per_unit(self) -> float:
        return 1.0 if self.units == "px" else float(LAYOUT_PX_PER_MM)

    def region(self, name: str, spanning: bool = True) -> Region:
        """Screen `name`'s part of the wall, in layout pixels; not spanning (a morph with morph = "each"):
        its visible area is a canvas of its own. KeyError for a name not on the wall."""
        screen = next((s for s in self.screens if s.name == name), None)
        if screen is None:
            raise KeyError(name)
        k = self.layout_px_per_unit
        x, y, w, h = (round(v * k) for v in screen.visible)
        if not spanning:
            return Region((w, h), Rect(0, 0, w, h), screen.rotation)
        return Region((round(self.canvas[0] * k), round(self.canvas[1] * k)), Rect(x, y, w, h), screen.rotation)


class ScreenError(ValueError):
    """This PC's screen name is missing or not on the show's wall: one line naming the file."""


def screen_name(explicit: str | None, file: Path) -> str:
    """This PC's screen: `--screen NAME` if given, else the first word of `file` (/etc/aimoji/screen)."""
    if explicit is not None:
        return explicit
    try:
        words = file.read_text(encoding="utf-8", errors="replace").split()
    except FileNotFoundError:
        raise ScreenError(f"{file}: not found; a show with a [wall] needs this PC's screen name there "
                          "(one word, e.g. 'left') or `--screen NAME`") from None
    except OSError as exc:
        raise ScreenError(f"{file}: cannot read ({exc.strerror or exc})") from None
    if not words:
        raise ScreenError(f"{file}: empty; allowed: this PC's screen name, one word such as 'left'")
    return words[0]


def region_for(wall: Wall | None, name: str | None, show_file: Path | str, spanning: bool = True) -> Region | None:
    """This PC's part of the show's wall, or None for a show without a wall (the whole picture here).
    ScreenError naming the show and the known names for a name not on the wall."""
    if wall is None:
        return None
    try:
        return wall.region(name, spanning)
    except KeyError:
        raise ScreenError(f"{show_file}: screen '{name}' is not on the wall; known: "
                          f"{', '.join(wall.names)}") from None

