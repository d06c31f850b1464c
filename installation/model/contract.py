"""The contract between trainer and player: metadata stored inside an exported ONNX generator.

Pure logic: takes the `metadata_props` dict (str -> str) and the graph's declared shapes and returns
a typed `ModelInfo`, or raises `ContractError` with one line saying what is wrong. No onnxruntime here.
Unknown keys are ignored, so newer trainers can add fields without breaking older players.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

FORMAT_VERSION = 1

# Keys that make a file playable; every other key is informative and kept as text in ModelInfo.info.
REQUIRED_KEYS = ("format_version", "z_dim", "image_size", "channels", "output_range")
# Optional payloads added by later features (JSON text): {"moods": {...}}, {"timelapse": ...}.
OPTIONAL_JSON_KEYS = ("moods", "timelapse")


class ContractError(ValueError):
    """A model file does not honour the contract; the message is one line for a technician."""


@dataclass(frozen=True)
class ModelInfo:
    z_dim: int
    image_size: int
    channels: int
    output_range: tuple[float, float]
    format_version: int = FORMAT_VERSION
    title: str = ""
    info: dict[str, str] = field(default_factory=dict)  # every other key, as written
    moods: dict | None = None
    timelapse: dict | None = None


def _int_field(props: dict[str, str], key: str, lo: int, hi: int) -> int:
    raw = props.get(key)
    if raw is None:
        raise ContractError(f"metadata lacks '{key}'")
    try:
        value = int(raw)
    except ValueError:
        raise ContractError(f"metadata '{key}' = {raw!r} is not an integer") from None
    if not lo <= value <= hi:
        raise ContractError(f"metadata '{key}' = {value} is outside {lo}..{hi}")
    return value


def parse_metadata(props: dict[str, str]) -> ModelInfo:
    """Check the required keys and return a ModelInfo; unknown keys are kept in `info` only."""
    version = _int_field(props, "format_version", 1, 10**6)
    if version > FORMAT_VERSION:
        raise ContractError(
            f"metadata format_version {version} is newer than this player understands ({FORMAT_VERSION})")
    z_dim = _int_field(props, "z_dim", 1, 4096)
    size = _int_field(props, "image_size", 4, 4096)
    channels = _int_field(props, "channels", 1, 4)
    if channels not in (1, 3):
        raise ContractError(f"metadata 'channels' = {channels}, allowed: 1 or 3")
    raw_range = props.get("output_range")
    if raw_range is None:
        raise ContractError("metadata lacks 'output_range'")
    try:
        lo, hi = (float(x) for x in raw_range.split(","))
    except ValueError:
        raise ContractError(f"metadata 'output_range' = {raw_range!r}, expected 'LO,HI' e.g. '-1,1'") from None
    if not lo < hi:
        raise ContractError(f"metadata 'output_range' = {raw_range!r} is empty")
    extras: dict[str, dict | None] = {}
    for key in OPTIONAL_JSON_KEYS:
        text = props.get(key)
        if text is None:
            extras[key] = None
            continue
        try:
            extras[key] = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ContractError(f"metadata '{key}' is not valid JSON ({exc.msg})") from None
    info = {k: v for k, v in props.items() if k not in REQUIRED_KEYS and k not in OPTIONAL_JSON_KEYS}
    return ModelInfo(z_dim=z_dim, image_size=size, channels=channels, output_range=(lo, hi),
                     format_version=version, title=props.get("title", ""), info=info,
                     moods=extras["moods"], timelapse=extras["timelapse"])


def required_metadata(z_dim: int, image_size: int, channels: int,
                      output_range: tuple[float, float]) -> dict[str, str]:
    """The required keys as the text a writer stores: the inverse of parse_metadata's checks, so the
    exporter and `adopt` write the contract from here rather than each spelling it out."""
    lo, hi = output_range
    return {"format_version": str(FORMAT_VERSION), "z_dim": str(z_dim), "image_size": str(image_size),
            "channels": str(channels), "output_range": f"{lo:g},{hi:g}"}


def declared_shape(value_info) -> list:
    """The shape an ONNX graph declares for one input or output (a ValueInfoProto), in the form
    check_shapes compares: ints for fixed axes, the axis name (str) or None for dynamic ones. Reads the
    protobuf's fields only, so this module still needs neither onnx nor onnxruntime."""
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
            for d in value_info.type.tensor_type.shape.dim]


def check_shapes(info: ModelInfo, input_shape: list, output_shape: list) -> None:
    """Compare the graph's declared shapes (ints, or str/None for dynamic axes) with the metadata."""
    if len(input_shape) != 2:
        raise ContractError(f"input should be [batch, z_dim], graph declares {input_shape}")
    if isinstance(input_shape[1], int) and input_shape[1] != info.z_dim:
        raise ContractError(f"input z has {input_shape[1]} dims but metadata z_dim is {info.z_dim}")
    if len(output_shape) != 4:
        raise ContractError(f"output should be [batch, C, H, W], graph declares {output_shape}")
    expected = [info.channels, info.image_size, info.image_size]
    for axis, (got, want) in enumerate(zip(output_shape[1:], expected), start=1):
        if isinstance(got, int) and got != want:
            raise ContractError(
                f"output axis {axis} is {got} but metadata says {want} (output {output_shape})")


def generator_shaped(input_shapes: list[list], output_shapes: list[list]) -> bool:
    """Whether declared float shapes look like a generator `aimoji-train adopt` can wrap: one input
    [batch, z] or [batch, z, 1, 1], one output of rank 4 (or undeclared). For `aimoji check`'s hint."""
    if len(input_shapes) != 1 or len(output_shapes) != 1:
        return False
    z, image = input_shapes[0], output_shapes[0]
    z_ok = len(z) == 2 or (len(z) == 4 and list(z[2:]) == [1, 1])
    return z_ok and len(image) in (0, 4)
