"""Fixtures for the player tests: a tiny random DCGAN-shaped generator exported to ONNX with the
contract metadata (tests may use torch; installation/ never does), and a short show."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

Z_DIM = 16
IMAGE_PX = 32


def export_tiny_generator(path: Path, z_dim: int = Z_DIM, image_px: int = IMAGE_PX, seed: int = 0,
                          metadata: dict[str, str] | None = None) -> Path:
    """A DCGAN-shaped generator (ConvTranspose + BatchNorm + ReLU, Tanh out), random weights."""
    import onnx
    import torch
    from torch import nn

    torch.manual_seed(seed)
    ngf = 8
    layers: list[nn.Module] = [nn.ConvTranspose2d(z_dim, ngf * 4, 4, 1, 0, bias=False),
                               nn.BatchNorm2d(ngf * 4), nn.ReLU(True)]  # state: (ngf*4) x 4 x 4
    ch, side = ngf * 4, 4
    while side * 2 < image_px:
        layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2),
                   nn.ReLU(True)]
        ch, side = ch // 2, side * 2
    layers += [nn.ConvTranspose2d(ch, 3, 4, 2, 1, bias=False), nn.Tanh()]  # 3 x image_px x image_px
    body = nn.Sequential(*layers).eval()

    class Generator(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = body

        def forward(self, z):  # z: [batch, z_dim]
            return self.body(z[:, :, None, None])

    with torch.no_grad():
        for m in body.modules():  # spread the random weights so images are not flat grey
            if isinstance(m, nn.ConvTranspose2d):
                m.weight.normal_(0, 0.3)
    tmp = path.with_suffix(".tmp.onnx")
    with warnings.catch_warnings():  # the TorchScript exporter is deprecated but fast (torch is pinned)
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.onnx.export(Generator(), (torch.randn(2, z_dim),), str(tmp), input_names=["z"],
                          output_names=["image"], dynamic_axes={"z": {0: "batch"}, "image": {0: "batch"}},
                          dynamo=False)
    model = onnx.load(str(tmp))
    tmp.unlink()
    props = {"format_version": "1", "z_dim": str(z_dim), "image_size": str(image_px),
             "channels": "3", "output_range": "-1,1", "title": "tiny random test generator"}
    props.update(metadata or {})
    for key, value in props.items():
        if value is not None:
            entry = model.metadata_props.add()
            entry.key, entry.value = key, value
    onnx.save(model, str(path))
    return path


@pytest.fixture(scope="session")
def tiny_model_path(tmp_path_factory) -> Path:
    return export_tiny_generator(tmp_path_factory.mktemp("models") / "tiny.onnx")


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
    """make(name, **export_tiny_generator kwargs) -> path of a fresh tiny model in its own folder."""
    def make(name: str, **kwargs) -> Path:
        return export_tiny_generator(tmp_path_factory.mktemp("models") / f"{name}.onnx", **kwargs)
    return make


@pytest.fixture
def screen():
    """A small dummy-driver display for in-process player tests."""
    import pygame
    pygame.display.init()
    surface = pygame.display.set_mode((160, 120))
    yield surface
    pygame.display.quit()
