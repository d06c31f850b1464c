"""The installed aimoji version, from the package metadata (one number, set in pyproject.toml)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

DISTRIBUTION = "aimoji"


def package_version() -> str:
    """The version pip installed; 'unknown' for a checkout run without installing (then there is no
    metadata to read, and a guess would be worse than saying so)."""
    try:
        return version(DISTRIBUTION)
    except PackageNotFoundError:
        return "unknown"
