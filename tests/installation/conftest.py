"""Fixtures for the player tests, which run without torch: the committed tiny DCGAN-shaped generator
(fixtures/tiny.onnx, z 16, 32 px; fixtures/make_tiny_onnx.py rebuilds it), other small generators
built with the onnx helper (model_files.py), and a short show."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.support.model_files import generator_bytes

TINY = Path(__file__).with_name("fixtures") / "tiny.onnx"
Z_DIM = 16
IMAGE_PX = 32


@pytest.fixture(autouse=True)
def _own_state_directory(tmp_path, monkeypatch):
    """Each test its own $STATE_DIRECTORY (what systemd gives the service), so the record of the last
    model shown (model/last_shown.py) never lands in the checkout or leaks from one test to the next."""
    monkeypatch.setenv("STATE_DIRECTORY", str(tmp_path / "state_directory"))


@pytest.fixture(autouse=True)
def _no_stale_log_handlers():
    """`aimoji play` run in-process sets up the 'aimoji' logger with a handler on the stderr of that
    moment (pytest's capture of one test): take it down afterwards, or later tests log into a closed
    stream."""
    yield
    import logging
    logger = logging.getLogger("aimoji")
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    logger.propagate = True


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    return Path(shutil.copy(TINY, tmp_path_factory.mktemp("models") / "tiny.onnx"))


@pytest.fixture(scope="session")
def models_dir(tiny_model_path) -> Path:
    return tiny_model_path.parent


SHOW_TOML = """
title = "test show"
seed = 7
[display]
resolution = "320x240"
fps = 30
[walk]
keyframe_s = 1.0
[[playlist]]
scene = "{scene}"
duration_s = 600
"""


@pytest.fixture
def show_file(tmp_path):
    def make(scene: str = "morph", extra: str = "") -> Path:
        p = tmp_path / f"{scene}.toml"
        p.write_text(SHOW_TOML.format(scene=scene) + extra)
        return p
    return make


@pytest.fixture(scope="session")
def export_model(tmp_path_factory):
    """make(name, seed=0, metadata=None) -> path of another small generator with the tiny model's z and
    size, in its own folder (metadata: keys to change; None removes one)."""
    def make(name: str, seed: int = 0, metadata: dict[str, str | None] | None = None) -> Path:
        path = tmp_path_factory.mktemp("models") / f"{name}.onnx"
        path.write_bytes(generator_bytes(seed=seed, z_dim=Z_DIM, side=IMAGE_PX, metadata=metadata))
        return path
    return make


@pytest.fixture
def screen():
    """A small dummy-driver display for in-process player tests."""
    import pygame
    pygame.display.init()
    surface = pygame.display.set_mode((160, 120))
    yield surface
    pygame.display.quit()
