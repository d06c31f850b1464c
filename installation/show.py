"""Show configs: the pydantic model of a show TOML file and its loader.

A show says what the screen does: display settings, opening hours, the playlist of scenes and the
walk's seed. `load_show(path)` returns a validated `Show` or raises `ShowError` whose message names
the file, the field and the problem (one line per problem).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

HHMM_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Display(_Strict):
    resolution: str = Field("native", description="'native' or WIDTHxHEIGHT, e.g. '1920x1080'")
    fullscreen: bool = True
    fps: int = Field(60, ge=1, le=240, description="fixed frame rate")
    scale: Literal["smooth", "crisp"] = Field(
        "smooth", description="upscaling: smooth (bilinear) or crisp (nearest-neighbour pixels)")
    background: str = Field("#ffffff", pattern=r"^#[0-9a-fA-F]{6}$", description="colour behind the emoji")
    keys: bool = Field(False, description="enable F/S/Esc/Q keys (off for unattended operation)")

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: str) -> str:
        if v != "native" and not re.fullmatch(r"[1-9]\d{1,4}x[1-9]\d{1,4}", v):
            raise ValueError("expected 'native' or WIDTHxHEIGHT such as '1920x1080'")
        return v

    def size(self) -> tuple[int, int] | None:
        """(width, height), or None for the display's native resolution."""
        if self.resolution == "native":
            return None
        w, h = self.resolution.split("x")
        return int(w), int(h)


class Walk(_Strict):
    keyframe_s: float = Field(4.0, gt=0.1, le=600, description="seconds between keyframes of the walk")
    speed: float = Field(1.0, gt=0, le=20, description="multiplies the walk's clock")
    wander: float = Field(1.0, ge=0, le=3, description="how far keyframes stray: 0 still, 1 normal")


class _Scene(_Strict):
    duration_s: float = Field(300, gt=0, description="how long this scene plays before the next")
    model: str = Field("latest", description="model file name in exported_models/ (without .onnx), or 'latest'")
    mood: Literal["neutral", "horror", "happy", "sad"] | None = Field(
        None, description="keep the walk near this mood's region (needs a model with moods)")


class MorphScene(_Scene):
    scene: Literal["morph"] = "morph"


class GridScene(_Scene):
    scene: Literal["grid"]
    cols: int = Field(8, ge=1, le=24)
    rows: int = Field(8, ge=1, le=24)
    tile_fps: float = Field(4.0, gt=0, le=60, description="new images per tile per second (blended between)")


class EvolutionScene(_Scene):
    scene: Literal["evolution"]
    loop_s: float = Field(60, gt=1, description="length of one replay of training, noise to faces")


Scene = Annotated[Union[MorphScene, GridScene, EvolutionScene], Field(discriminator="scene")]


class Transitions(_Strict):
    crossfade_s: float = Field(1.5, ge=0, le=30, description="crossfade between scenes and models")
    show_change: Literal["immediate", "next_scene"] = Field(
        "immediate", description="when a changed show takes effect")


class Hours(_Strict):
    """Opening hours per weekday as 'HH:MM-HH:MM' ranges; an end before the start runs past midnight."""
    mon: list[str] = ["00:00-24:00"]
    tue: list[str] = ["00:00-24:00"]
    wed: list[str] = ["00:00-24:00"]
    thu: list[str] = ["00:00-24:00"]
    fri: list[str] = ["00:00-24:00"]
    sat: list[str] = ["00:00-24:00"]
    sun: list[str] = ["00:00-24:00"]
    closed_dates: list[date] = Field(default_factory=list, description="whole days closed (holidays)")
    special_dates: dict[date, list[str]] = Field(
        default_factory=dict, description="dates with their own hours, overriding the weekday")

    @field_validator("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    @classmethod
    def _ranges(cls, v: list[str]) -> list[str]:
        for r in v:
            _check_range(r)
        return v

    @field_validator("special_dates")
    @classmethod
    def _special(cls, v: dict[date, list[str]]) -> dict[date, list[str]]:
        for ranges in v.values():
            for r in ranges:
                _check_range(r)
        return v


def _check_range(r: str) -> None:
    if not HHMM_RANGE.match(r) or (r[6:8] == "24" and r[9:] != "00"):
        raise ValueError(f"'{r}' is not a range like '10:00-18:00' (24:00 allowed as an end)")


class OutsideHours(_Strict):
    action: Literal["black", "dim", "display_off"] = "black"
    dim_level: float = Field(0.15, ge=0, le=1, description="brightness of the 'dim' walk")
    display_off_command: list[str] = Field(default_factory=list, description="argv run when closing")
    display_on_command: list[str] = Field(default_factory=list, description="argv run when opening")


class Show(_Strict):
    title: str = "Untitled show"
    timezone: str = Field("UTC", description="IANA time zone of the venue, e.g. 'Europe/Vienna'")
    seed: int = Field(2019, ge=0, description="seed of the latent walk; same seed = screens in sync")
    display: Display = Display()
    walk: Walk = Walk()
    transitions: Transitions = Transitions()
    hours: Hours = Hours()
    outside_hours: OutsideHours = OutsideHours()
    playlist: list[Scene] = Field(default_factory=lambda: [MorphScene()], min_length=1)
    calibration: str | None = Field(None, description="path of a calibration profile (TOML)")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone '{v}'") from None
        return v


class ShowError(ValueError):
    """A show file is missing or invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def format_validation_error(path: Path | str, err: ValidationError) -> list[str]:
    """One line per problem: 'FILE: field.path: message'."""
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling)"
        lines.append(f"{path}: {where}: {msg}")
    return lines


def parse_show(data: dict, path: Path | str = "<show>") -> Show:
    try:
        return Show.model_validate(data)
    except ValidationError as err:
        raise ShowError(format_validation_error(path, err)) from None


def load_show(path: Path | str) -> Show:
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ShowError([f"{path}: show file not found"]) from None
    except OSError as exc:
        raise ShowError([f"{path}: cannot read ({exc.strerror})"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ShowError([f"{path}: not UTF-8 text"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ShowError([f"{path}: TOML syntax error: {exc}"]) from None
    return parse_show(data, path)
