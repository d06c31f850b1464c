"""On-site calibration maths: the profile model, colour as a lookup table, geometry as a placement.

Pure: no pygame. A profile is a small TOML file written by `aimoji calibrate` and read by the player
(show field `calibration`). Colour: per channel out = gain * ((in ** (1/gamma) - 0.5) * contrast
+ 0.5 + brightness), on levels 0..1, clipped, rounded half up. Geometry: rotate clockwise, then mirror
as seen on the screen, then fit to the screen, scale about the centre and shift by the offset.
"""

from __future__ import annotations

import tomllib
from datetime import datetime
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from installation.atomic import write_text_atomic
from installation.errors import format_validation_error


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Colour(_Strict):
    gamma: float = Field(1.0, ge=0.3, le=4.0, description="above 1 lifts mid-greys, below 1 darkens them")
    brightness: float = Field(0.0, ge=-0.5, le=0.5, description="added to every level, in fractions of white")
    contrast: float = Field(1.0, ge=0.25, le=3.0, description="spread around mid-grey; 1 = unchanged")
    red: float = Field(1.0, ge=0.0, le=2.0, description="gain of the red channel")
    green: float = Field(1.0, ge=0.0, le=2.0, description="gain of the green channel")
    blue: float = Field(1.0, ge=0.0, le=2.0, description="gain of the blue channel")


class Geometry(_Strict):
    offset_x_px: int = Field(0, ge=-8000, le=8000, description="shift right (negative: left), screen pixels")
    offset_y_px: int = Field(0, ge=-8000, le=8000, description="shift down (negative: up), screen pixels")
    scale: float = Field(1.0, ge=0.25, le=2.0, description="size relative to fitting the screen")
    rotation_deg: Literal[0, 90, 180, 270] = Field(0, description="clockwise, for a screen on its side")
    mirror_h: bool = Field(False, description="flip left-right, e.g. rear projection")
    mirror_v: bool = Field(False, description="flip top-bottom, e.g. a projector on the ceiling")


class Profile(_Strict):
    colour: Colour = Colour()
    geometry: Geometry = Geometry()


IDENTITY = Profile()
_LEVELS = np.arange(256, dtype=np.float64) / 255.0


class ProfileError(ValueError):
    """A calibration profile is missing or invalid; one line per problem, naming the file."""


def colour_lut(colour: Colour) -> np.ndarray:
    """uint8 [3, 256]: lut[c, v] is the output level of channel c (R, G, B) for input level v."""
    v = _LEVELS ** (1.0 / colour.gamma)
    v = (v - 0.5) * colour.contrast + 0.5 + colour.brightness
    gains = np.array([colour.red, colour.green, colour.blue])[:, None]
    out = np.clip(v[None, :] * gains, 0.0, 1.0) * 255.0
    return np.floor(out + 0.5).astype(np.uint8)


def is_identity_lut(lut: np.ndarray) -> bool:
    return bool((lut == np.arange(256, dtype=np.uint8)[None, :]).all())


def apply_lut(image: np.ndarray, lut: np.ndarray) -> np.ndarray:
    """uint8 [H, W, 3] -> uint8 [H, W, 3] through a [3, 256] table. Meant for the small generated image
    before upscaling (microseconds); a whole 1080p frame costs tens of ms (benchmarks/calibration.py)."""
    out = np.empty_like(image)
    for c in range(3):
        np.take(lut[c], image[..., c], out=out[..., c])
    return out


def oriented_size(width: int, height: int, rotation_deg: int) -> tuple[int, int]:
    return (height, width) if rotation_deg in (90, 270) else (width, height)


def orient_array(image: np.ndarray, geometry: Geometry) -> np.ndarray:
    """[H, W, ...] as it appears on the screen: rotated clockwise, then mirrored."""
    out = np.rot90(image, k=-(geometry.rotation_deg // 90))
    if geometry.mirror_h:
        out = out[:, ::-1]
    if geometry.mirror_v:
        out = out[::-1]
    return out


def orient_point(x: int, y: int, width: int, height: int, geometry: Geometry) -> tuple[int, int]:
    """Where source pixel (x, y) of a width x height image lands after orient_array."""
    w, h = width, height
    for _ in range(geometry.rotation_deg // 90):  # one clockwise quarter turn: (x, y) -> (h-1-y, x)
        x, y, w, h = h - 1 - y, x, h, w
    if geometry.mirror_h:
        x = w - 1 - x
    if geometry.mirror_v:
        y = h - 1 - y
    return x, y


def placement(src_w: int, src_h: int, screen_w: int, screen_h: int,
              geometry: Geometry) -> tuple[int, int, int, int]:
    """(x, y, w, h) of the oriented image on the screen: fitted whole (letterboxed), times `scale`,
    centred, then shifted by the offsets. May extend past the screen edges."""
    ow, oh = oriented_size(src_w, src_h, geometry.rotation_deg)
    fit = min(screen_w / ow, screen_h / oh) * geometry.scale
    w, h = max(1, round(ow * fit)), max(1, round(oh * fit))
    x = (screen_w - w) // 2 + geometry.offset_x_px
    y = (screen_h - h) // 2 + geometry.offset_y_px
    return x, y, w, h


def is_identity_geometry(geometry: Geometry) -> bool:
    return geometry == Geometry()


# --- TOML file ------------------------------------------------------------------------------------

def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def format_profile(profile: Profile, when: datetime | None = None) -> str:
    """TOML text with a comment per key, so a technician can also edit it by hand."""
    stamp = f" on {when:%Y-%m-%d %H:%M}" if when else ""
    lines = [f"# AImoji calibration profile, written by `aimoji calibrate`{stamp}.",
             "# Name it in a show: calibration = \"path/to/this.toml\". Edit by hand or re-run calibrate."]
    for section in ("colour", "geometry"):
        part = getattr(profile, section)
        lines += ["", f"[{section}]"]
        for name, field in type(part).model_fields.items():
            lines.append(f"{name} = {_toml_value(getattr(part, name))}  # {field.description}")
    return "\n".join(lines) + "\n"


def parse_profile(data: dict, path: Path | str = "<profile>") -> Profile:
    try:
        return Profile.model_validate(data)
    except ValidationError as err:
        raise ProfileError("\n".join(format_validation_error(path, err))) from None


def load_profile(path: Path | str) -> Profile:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileError(f"{path}: calibration profile not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ProfileError(f"{path}: cannot read ({exc})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ProfileError(f"{path}: TOML syntax error: {exc}") from None
    return parse_profile(data, path)


def save_profile(path: Path | str, profile: Profile, when: datetime | None = None) -> None:
    """Atomic: the old profile stays whole until the new one is complete on disk."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, format_profile(profile, when), mode=0o644)


# --- Adjusting one setting at a time (the calibrate UI's arrow keys) -------------------------------

# (label, section, field, step per key press; Shift = 10 steps). Rotation turns by 90°, booleans toggle.
SETTINGS = (
    ("gamma", "colour", "gamma", 0.05),
    ("brightness", "colour", "brightness", 0.01),
    ("contrast", "colour", "contrast", 0.02),
    ("red gain", "colour", "red", 0.01),
    ("green gain", "colour", "green", 0.01),
    ("blue gain", "colour", "blue", 0.01),
    ("offset x", "geometry", "offset_x_px", 1),
    ("offset y", "geometry", "offset_y_px", 1),
    ("scale", "geometry", "scale", 0.005),
    ("rotation", "geometry", "rotation_deg", 90),
    ("mirror left-right", "geometry", "mirror_h", 1),
    ("mirror top-bottom", "geometry", "mirror_v", 1),
)


def _bounds(model: type[BaseModel], field: str) -> tuple[float, float]:
    lo, hi = -float("inf"), float("inf")
    for m in model.model_fields[field].metadata:
        lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
        hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
    return lo, hi


def with_value(profile: Profile, section: str, field: str, value) -> Profile:
    part = getattr(profile, section)
    return profile.model_copy(update={section: part.model_copy(update={field: value})})


def adjust(profile: Profile, index: int, steps: int) -> Profile:
    """The profile with setting SETTINGS[index] moved by `steps` key presses (negative: down),
    clamped to the allowed range; floats are rounded to the step so repeated presses stay exact."""
    _, section, field, step = SETTINGS[index]
    part = getattr(profile, section)
    value = getattr(part, field)
    if isinstance(value, bool):
        new = value if steps == 0 else (not value if steps % 2 else value)
    elif field == "rotation_deg":
        new = (value + 90 * steps) % 360
    else:
        lo, hi = _bounds(type(part), field)
        new = min(hi, max(lo, value + step * steps))
        if isinstance(step, float):
            new = round(round(new / step) * step, 6)
            new = min(hi, max(lo, new))
    return with_value(profile, section, field, new)


def reset(profile: Profile, index: int) -> Profile:
    _, section, field, _ = SETTINGS[index]
    return with_value(profile, section, field, getattr(getattr(IDENTITY, section), field))


def describe(profile: Profile, index: int) -> str:
    """'gamma 2.20', 'offset x -12 px', 'rotation 90°', 'mirror left-right on'."""
    label, section, field, _ = SETTINGS[index]
    value = getattr(getattr(profile, section), field)
    if isinstance(value, bool):
        return f"{label} {'on' if value else 'off'}"
    if field == "rotation_deg":
        return f"{label} {value}°"
    if field.endswith("_px"):
        return f"{label} {value:+d} px"
    return f"{label} {value:.3f}".rstrip("0").rstrip(".") if field == "scale" else f"{label} {value:.2f}"
