"""Show configs: the pydantic model of a show TOML file, its loader and which show file is active.

`load_show(path)` returns a validated `Show` or raises `ShowError`, one line per problem:
"FILE: field: what is wrong; allowed: what is allowed". Docs for curators: docs/shows.md.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from installation.scenes.registry import KINDS, Entry
from installation.errors import format_validation_error
from installation.show.wall import Wall

HHMM_RANGE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-4]):([0-5]\d)$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
Scale = Literal["smooth", "pixel", "sharp"]   # display.scale: how the small images are enlarged (display/screen.py)
Renderer = Literal["auto", "cpu", "gpu"]      # display.renderer: who draws (display/path_choice.py)
ACTIVE_SHOW = "active.toml"
DEFAULT_SHOW = "default.toml"


def parse_size(text: str) -> tuple[int, int]:
    """'WIDTHxHEIGHT' such as '1920x1080' -> (1920, 1080); ValueError saying what is allowed."""
    m = re.fullmatch(r"([1-9]\d{1,4})[xX]([1-9]\d{1,4})", text.strip())
    if m is None:
        raise ValueError(f"'{text}' is not a resolution; allowed: WIDTHxHEIGHT such as 1920x1080")
    return int(m.group(1)), int(m.group(2))


def parse_range(r: str) -> tuple[int, int]:
    """'HH:MM-HH:MM' -> (start, end) in minutes after the day's midnight; an overnight end gets +1440."""
    if not HHMM_RANGE.match(r) or (r[6:8] == "24" and r[9:] != "00"):
        raise ValueError(f"'{r}' is not a time range; allowed: 'HH:MM-HH:MM' such as '10:00-18:00' "
                         "(24:00 as an end; an end before the start runs past midnight)")
    start = int(r[0:2]) * 60 + int(r[3:5])
    end = int(r[6:8]) * 60 + int(r[9:11])
    if end == start:
        raise ValueError(f"'{r}' starts and ends at the same time; allowed: a range such as "
                         "'10:00-18:00', or '00:00-24:00' for the whole day")
    return start, end if end > start else end + 1440


def overlapping(ranges: list) -> list[tuple[str, str]]:
    """The pairs of one day's 'HH:MM-HH:MM' ranges that share time, in the order given; texts that are
    not ranges are skipped (the show's validation reports them). Overlaps are allowed (the show is open
    in either) but usually a typo, so `aimoji check` warns."""
    spans = []
    for text in ranges:
        try:
            spans.append((text, parse_range(text)))
        except (ValueError, TypeError):
            continue
    return [(a, b) for i, (a, (a0, a1)) in enumerate(spans) for b, (b0, b1) in spans[i + 1:]
            if a0 < b1 and b0 < a1]


def _check_range(r: str) -> str:
    parse_range(r)
    return r


HourRange = Annotated[str, AfterValidator(_check_range)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Display(_Strict):
    resolution: str = Field("native", description="'native' or WIDTHxHEIGHT in pixels, e.g. '1920x1080'")
    fullscreen: bool = Field(True, description="fill the screen (false: a window, for trying a show)")
    fps: int = Field(60, ge=1, le=240, description="frames per second")
    scale: Scale = Field(
        "smooth", description="upscaling: smooth (bilinear), pixel (nearest-neighbour, whole-number blocks) "
                             "or sharp (edges kept, mottle calmed)")
    background: str = Field("#ffffff", description="colour behind the emoji, '#rrggbb'")
    keys: bool = Field(False, description="enable F/S/Esc/Q keys (off for unattended operation)")
    renderer: Renderer = Field(
        "auto", description="who scales and blends the picture: auto (the GPU where SDL's renderer is a fast "
                            "one, else the CPU), cpu, or gpu (SDL's renderer whatever it is)")

    @field_validator("resolution")
    @classmethod
    def _resolution(cls, v: str) -> str:
        if v != "native":
            try:
                parse_size(v)
            except ValueError:
                raise ValueError(f"'{v}' is not a resolution; allowed: native, or WIDTHxHEIGHT such as "
                                 "1920x1080") from None
        return v

    @field_validator("scale", mode="before")
    @classmethod
    def _crisp_renamed(cls, v: Any) -> Any:
        if v == "crisp":
            raise ValueError(f"'crisp' was renamed 'pixel'; allowed: {', '.join(get_args(Scale))}")
        return v

    @field_validator("background")
    @classmethod
    def _colour(cls, v: str) -> str:
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", v):
            raise ValueError(f"'{v}' is not a colour; allowed: '#rrggbb' such as '#ffffff'")
        return v

    def size(self) -> tuple[int, int] | None:
        """(width, height), or None for the display's native resolution."""
        return None if self.resolution == "native" else parse_size(self.resolution)

    @property
    def background_rgb(self) -> tuple[int, int, int]:
        h = self.background.lstrip("#")
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class Walk(_Strict):
    keyframe_s: float = Field(4.0, gt=0.1, le=600, description="seconds between keyframes of the walk")
    speed: float = Field(1.0, gt=0, le=20, description="multiplies the walk's clock")
    wander: float = Field(1.0, ge=0, le=3, description="how far keyframes stray: 0 still, 1 normal")


# One [[playlist]] entry: the scene its `scene = ...` names (scenes/registry.py lists them).
Scene = Entry
SCENE_TYPES = {name: kind.entry for name, kind in KINDS.items()}


class Transitions(_Strict):
    crossfade_s: float = Field(1.5, ge=0, le=30, description="crossfade between scenes and models")
    show_change: Literal["immediate", "next_scene"] = Field(
        "immediate", description="when an edited show takes effect: at once, or when the scene ends")


class Hours(_Strict):
    """Opening hours per weekday as 'HH:MM-HH:MM' ranges; an end before the start runs past midnight."""
    mon: list[HourRange] = Field(["00:00-24:00"], description="Monday's ranges; [] closed all day")
    tue: list[HourRange] = Field(["00:00-24:00"], description="Tuesday's ranges")
    wed: list[HourRange] = Field(["00:00-24:00"], description="Wednesday's ranges")
    thu: list[HourRange] = Field(["00:00-24:00"], description="Thursday's ranges")
    fri: list[HourRange] = Field(["00:00-24:00"], description="Friday's ranges")
    sat: list[HourRange] = Field(["00:00-24:00"], description="Saturday's ranges")
    sun: list[HourRange] = Field(["00:00-24:00"], description="Sunday's ranges")
    closed_dates: list[date] = Field(default_factory=list, description="whole days closed (holidays)")
    special_dates: dict[date, list[HourRange]] = Field(
        default_factory=dict, description="dates with their own hours, instead of the weekday's")

    @model_validator(mode="after")
    def _no_date_twice(self) -> "Hours":
        both = sorted(set(self.closed_dates) & set(self.special_dates))
        if both:
            raise ValueError(f"{both[0].isoformat()} is in both closed_dates and special_dates; "
                             "allowed: a date in only one of them")
        return self

    def ranges_on(self, day: date) -> list[tuple[int, int]]:
        """The (start, end) minute ranges that open on `day` (end > 1440 runs into the next day)."""
        if day in self.closed_dates:
            return []
        texts = self.special_dates.get(day)
        if texts is None:
            texts = getattr(self, WEEKDAYS[day.weekday()])
        return [parse_range(r) for r in texts]


class OutsideHours(_Strict):
    action: Literal["black", "dim", "display_off"] = Field(
        "black", description="outside opening hours: black screen, a dim slow walk, or display off "
                             "(with the commands of the service's display-power.toml; black without them)")
    dim_level: float = Field(0.15, ge=0, le=1, description="brightness of the 'dim' walk, 0..1")

    @model_validator(mode="before")
    @classmethod
    def _commands_moved(cls, data: Any) -> Any:
        # Shows once carried the power commands; a show may be edited by a curator, and must not be able
        # to make the player run programs. Said plainly, so an old show is not read as a typo.
        old = [k for k in ("display_off_command", "display_on_command") if isinstance(data, dict) and k in data]
        if old:
            them = "them" if len(old) > 1 else "it"
            raise ValueError(f"{' and '.join(old)}: no longer part of a show (a show must not run programs); "
                             f"allowed: remove {them} and put the commands in the service's "
                             "/etc/aimoji/display-power.toml as off = [...] and on = [...] (docs/operations.md)")
        return data


def _check_address(v: str) -> str:
    try:
        ipaddress.ip_address(v)
    except ValueError:
        raise ValueError(f"'{v}' is not an IP address; allowed: e.g. '127.0.0.1', or '0.0.0.0' for every "
                         "interface") from None
    return v


def _check_network(v: str) -> str:
    try:
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        raise ValueError(f"'{v}' is not a network; allowed: CIDR such as '192.168.1.0/24' or "
                         "'127.0.0.1/32'") from None
    return v


def _check_host_port(v: str) -> str:
    host, _, port = v.rpartition(":")
    try:
        ipaddress.ip_address(host)
        ok = port.isdigit() and 1 <= int(port) <= 65535
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"'{v}' is not an address and port; allowed: 'ADDRESS:PORT' such as '192.168.1.30:9001'")
    return v


class _Listen(_Strict):
    port: int = Field(ge=1, le=65535, description="port to listen on")
    bind: Annotated[str, AfterValidator(_check_address)] = Field(
        "127.0.0.1", description="address to listen on; '0.0.0.0' for every interface")
    allow: list[Annotated[str, AfterValidator(_check_network)]] = Field(
        ["127.0.0.1/32"], description="senders accepted, as CIDR networks; others are refused")


class Osc(_Listen):
    """OSC control from outside the room (a lighting desk, QLab, TouchOSC); off when the section is
    absent. Read when the player starts: editing it needs a restart (docs/operations.md)."""
    port: int = Field(9000, ge=1, le=65535, description="UDP port the player listens on")
    override: Literal["until_released", "until_next_change"] = Field(
        "until_released", description="how long an override lasts: until /aimoji/release, or until "
                                      "the schedule's next change")
    feedback: Annotated[str, AfterValidator(_check_host_port)] | None = Field(
        None, description="'ADDRESS:PORT' that gets the state (/aimoji/scene, /aimoji/state/...) as it "
                          "changes, besides each sender; e.g. a TouchOSC tablet's '192.168.1.30:9001'")


class Http(_Listen):
    """The status page, /metrics and /status.json over HTTP; off when the section is absent. Control
    from the page needs the service's token file, never named in a show (docs/operations.md)."""
    port: int = Field(8080, ge=1, le=65535, description="TCP port the page is served on")


def _check_hhmm(v: str) -> str:
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", v):
        raise ValueError(f"'{v}' is not a time of day; allowed: 'HH:MM' such as '07:30'")
    return v


def _distinct_ascending(points: list, what: str) -> list:
    xs = [p[0] for p in points]
    twice = sorted({x for x in xs if xs.count(x) > 1})
    if twice:
        raise ValueError(f"two points at {twice[0]}; allowed: one level per {what}")
    return sorted(points)


# A panel care level: below a tenth the wall reads as black, which health rightly calls a fault (a dark
# panel outside hours is outside_hours' job)
Level = Annotated[float, Field(ge=0.1, le=1)]


class Orbit(_Strict):
    """The whole picture drifts round a small square, moved a pixel at a time only where the scene
    changes anyway (a new walk keyframe, a crossfade), so no visitor sees it jump."""
    amplitude_px: int = Field(3, ge=1, le=16, description="the farthest it moves from the centre, screen pixels")
    period_s: float = Field(900, ge=60, le=86400, description="seconds for one sweep left and right")


class Brightness(_Strict):
    """A daily curve of levels, linear between points and round midnight, in the show's time zone."""
    points: list[tuple[Annotated[str, AfterValidator(_check_hhmm)], Level]] = Field(
        min_length=1, description="[\"HH:MM\", level] pairs, level 0.1..1, e.g. [[\"08:00\", 0.6], [\"10:00\", 1.0]]")

    @field_validator("points")
    @classmethod
    def _sorted(cls, v: list) -> list:
        return _distinct_ascending(v, "time of day")

    def minutes(self) -> list[tuple[int, float]]:
        """(minute of the day, level) points."""
        return [(int(hhmm[:2]) * 60 + int(hhmm[3:]), level) for hhmm, level in self.points]


class Ambient(_Strict):
    """A light sensor read from a file (an IIO sensor's in_illuminance_raw or in_illuminance_input), off
    the render loop; its smoothed lux mapped to a level that multiplies the curve's."""
    path: str = Field(description="the file with the reading, e.g. /sys/bus/iio/devices/iio:device0/in_illuminance_raw")
    scale: float = Field(1.0, gt=0, le=1000, description="lux per unit read (the sensor's in_illuminance_scale)")
    points: list[tuple[Annotated[float, Field(ge=0)], Level]] = Field(
        min_length=1, description="[lux, level] pairs, e.g. [[0, 0.4], [300, 1.0]]; flat beyond the ends")
    smoothing_s: float = Field(30, ge=0, le=3600, description="time constant of the smoothing, seconds")
    poll_s: float = Field(2.0, ge=0.5, le=60, description="seconds between readings")

    @field_validator("points")
    @classmethod
    def _sorted(cls, v: list) -> list:
        return _distinct_ascending(v, "light level")


class Panel(_Strict):
    """Care for a panel that shows one piece for months; every part off unless given
    (docs/operations.md: which panel needs which)."""
    orbit: Orbit | None = Field(None, description="pixel orbit; off when absent")
    brightness: Brightness | None = Field(None, description="brightness by time of day; off when absent")
    ambient: Ambient | None = Field(None, description="brightness following the room's light; off when absent")
    refresh_s: float = Field(0, ge=0, le=600, description="at each closing, this many seconds of full white "
                                                          "then black before the outside-hours action; 0: off")


class Show(_Strict):
    title: str = Field("Untitled show", description="shown by `aimoji status` and in logs")
    timezone: str = Field("UTC", description="IANA time zone of the venue, e.g. 'Europe/Vienna'")
    seed: int = Field(2019, ge=0, description="seed of the latent walk; same seed = screens in sync")
    display: Display = Display()
    walk: Walk = Walk()
    transitions: Transitions = Transitions()
    hours: Hours = Hours()
    outside_hours: OutsideHours = OutsideHours()
    playlist: list[Scene] = Field(default_factory=lambda: [KINDS["morph"].entry()], min_length=1,
                                  description="scenes played in order, looping while open")
    calibration: str | None = Field(None, description="calibration profile (TOML), relative to the show file")
    max_override_s: float = Field(
        3600, ge=0, le=7 * 86400, description="the longest an operator's override (a freeze, a blackout, a "
                                              "scene, a cue from OSC or the status page) holds before the show "
                                              "takes over again; 0: until released")
    osc: Osc | None = Field(None, description="OSC control; off when absent")
    http: Http | None = Field(None, description="status page and metrics over HTTP; off when absent")
    panel: Panel = Panel()
    wall: Wall | None = Field(None, description="one picture across several screens (show/wall.py); each PC "
                                                "shows its own screen's part")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{v}' is not a known time zone; allowed: an IANA name such as "
                             "'Europe/Vienna' or 'UTC'") from None
        return v


class ShowError(ValueError):
    """A show file is missing or invalid; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_show(data: dict, path: Path | str = "<show>") -> Show:
    try:
        return Show.model_validate(data)
    except ValidationError as err:
        raise ShowError(format_validation_error(path, err, Show, SCENE_TYPES, "scene")) from None


def load_show(path: Path | str) -> Show:
    return parse_show(read_show_data(path), path)


def read_show_data(path: Path | str) -> dict:
    """A show file's TOML table, not yet validated (`aimoji check` looks at it whole); ShowError in one
    line when it cannot be read or is not TOML."""
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
        raise ShowError([f"{path}: not UTF-8 text; allowed: a TOML text file"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ShowError([f"{path}: TOML syntax error: {exc}"]) from None
    return data


def resolve_show_path(explicit: Path | str | None, folder: Path | str = "show_configs") -> Path:
    """The show to play: `--show FILE` if given, else FOLDER/active.toml (file or symlink), else default.toml."""
    if explicit is not None:
        return Path(explicit)
    active = Path(folder) / ACTIVE_SHOW
    return active if active.exists() else Path(folder) / DEFAULT_SHOW


def calibration_path(show: Show, show_file: Path | str) -> Path | None:
    """The show's calibration profile, with a relative path taken from the show file's folder."""
    return None if show.calibration is None else beside_show(show.calibration, show_file)


def beside_show(name: str, show_file: Path | str) -> Path:
    """A file a show names: an absolute (or ~) path as given, a relative one from the show file's folder."""
    p = Path(name).expanduser()
    return p if p.is_absolute() else Path(show_file).parent / p
