"""Shared test set-up: no real display or audio, and a marker that skips network tests without npm."""

import os
import shutil

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def pytest_collection_modifyitems(config, items):
    if shutil.which("npm"):
        return
    skip = pytest.mark.skip(reason="npm client not found: network tests need `npm pack`")
    for item in items:
        if "network" in item.keywords:
            item.add_marker(skip)
