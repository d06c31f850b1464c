"""A fake DRM sysfs tree (/sys/class/drm) for the connector tests and benchmarks/faults.py."""

from __future__ import annotations

from pathlib import Path


def plug(root: Path, name: str, status: str = "connected", enabled: bool = True) -> None:
    """A connector folder as DRM's sysfs has it, e.g. card0-HDMI-A-1 (write again to change it)."""
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "status").write_text(status + "\n")
    (folder / "enabled").write_text(("enabled" if enabled else "disabled") + "\n")
