"""Read and rewrite the metadata_props of an existing ONNX file, atomically (the player may be reading it).

The graph and weights are untouched: load, set keys, save to a temp file beside it, fsync, os.replace.
"""

from __future__ import annotations

from pathlib import Path

import onnx
from google.protobuf.message import DecodeError

from installation.atomic import write_bytes_atomic


class MetadataError(ValueError):
    """The file cannot be read or written as ONNX; the message is one line naming the file."""


def _load(path: Path) -> onnx.ModelProto:
    if not path.is_file():
        raise MetadataError(f"{path}: no such ONNX file")
    try:
        # external weight files (if any) stay where they are: only the graph file is rewritten
        return onnx.load(str(path), load_external_data=False)
    except (DecodeError, OSError, ValueError) as exc:
        raise MetadataError(f"{path}: not a readable ONNX model ({type(exc).__name__})") from None


def read_metadata(path: str | Path) -> dict[str, str]:
    """metadata_props as a dict (key -> value text)."""
    return {p.key: p.value for p in _load(Path(path)).metadata_props}


def write_metadata(path: str | Path, updates: dict[str, str | None]) -> dict[str, str]:
    """Set (or, with value None, remove) keys; other keys keep their order. Returns the new metadata."""
    path = Path(path)
    for key, value in updates.items():
        if not isinstance(key, str) or not key:
            raise MetadataError(f"{path}: metadata keys must be non-empty text, got {key!r}")
        if value is not None and not isinstance(value, str):
            raise MetadataError(f"{path}: metadata '{key}' must be text, got {type(value).__name__}")
    model = _load(path)
    props = {p.key: p.value for p in model.metadata_props}
    for key, value in updates.items():
        if value is None:
            props.pop(key, None)
        else:
            props[key] = value
    del model.metadata_props[:]
    for key, value in props.items():
        model.metadata_props.add(key=key, value=value)
    try:
        write_bytes_atomic(path, model.SerializeToString())
    except OSError as exc:
        raise MetadataError(f"{path}: cannot write ({exc.strerror})") from None
    return props
