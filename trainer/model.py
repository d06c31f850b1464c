"""The DCGAN generator and discriminator (Radford et al. 2015), sized from the image side (16, 32, 64, 128 px...)."""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _sn


def hidden_blocks(image_size: int) -> int:
    """Stride-2 blocks between the 4x4 core and the image: 3 at 64 px (as in the paper), 4 at 128 px."""
    n = int(math.log2(image_size)) if image_size > 0 else 0
    if image_size < 16 or 2 ** n != image_size:
        raise ValueError(f"image size must be a power of two of at least 16 px, got {image_size}")
    return n - 3


class Generator(nn.Module):
    """z [B, z_dim] -> image [B, 3, S, S] in [-1, 1]: transposed convs + BatchNorm + ReLU, tanh out."""

    def __init__(self, z_dim: int = 100, ngf: int = 64, image_size: int = 64, channels: int = 3):
        super().__init__()
        self.z_dim, self.image_size = z_dim, image_size
        n = hidden_blocks(image_size)
        width = ngf * 2 ** n  # 64 px: ngf*8 at 4x4, halving at every doubling of the side
        layers: list[nn.Module] = [
            # state: z_dim x 1 x 1 -> width x 4 x 4
            nn.ConvTranspose2d(z_dim, width, 4, 1, 0, bias=False),
            nn.BatchNorm2d(width),
            nn.ReLU(True),
        ]
        for _ in range(n):
            # state: width x s x s -> width/2 x 2s x 2s
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(True)]
            width //= 2
        # state: ngf x S/2 x S/2 -> channels x S x S
        layers += [nn.ConvTranspose2d(width, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z.reshape(z.shape[0], self.z_dim, 1, 1))


class Discriminator(nn.Module):
    """image [B, 3, S, S] -> one logit per image: strided convs + BatchNorm + LeakyReLU(0.2).

    It returns logits (no sigmoid): BCE-with-logits is the same loss as sigmoid + BCE, without the
    overflow when D is very sure, which it soon is on this small, white-background set.
    With spectral norm, BatchNorm is left out: the two fight over the layer's scale.
    """

    def __init__(self, ndf: int = 64, image_size: int = 64, channels: int = 3, spectral_norm: bool = False):
        super().__init__()
        n = hidden_blocks(image_size)
        wrap = _sn if spectral_norm else (lambda m: m)
        # state: channels x S x S -> ndf x S/2 x S/2 (no BatchNorm on the input layer, as in the paper)
        layers: list[nn.Module] = [wrap(nn.Conv2d(channels, ndf, 4, 2, 1, bias=spectral_norm)),
                                   nn.LeakyReLU(0.2, True)]
        width = ndf
        for _ in range(n):
            # state: width x s x s -> 2*width x s/2 x s/2
            layers.append(wrap(nn.Conv2d(width, width * 2, 4, 2, 1, bias=spectral_norm)))
            if not spectral_norm:
                layers.append(nn.BatchNorm2d(width * 2))
            layers.append(nn.LeakyReLU(0.2, True))
            width *= 2
        # state: width x 4 x 4 -> 1 x 1 x 1
        layers.append(wrap(nn.Conv2d(width, 1, 4, 1, 0, bias=spectral_norm)))
        self.main = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.main(x).reshape(-1)


def init_weights(module: nn.Module) -> None:
    """DCGAN init: conv weights ~ N(0, 0.02); BatchNorm scale ~ N(1, 0.02), shift 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        weight = getattr(module, "parametrizations", None)
        target = weight.weight.original if weight is not None else module.weight
        nn.init.normal_(target, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def build_models(z_dim: int, ngf: int, ndf: int, image_size: int,
                 spectral_norm: bool = False) -> tuple[Generator, Discriminator]:
    """Both networks, initialised; call under a seeded RNG for reproducible weights."""
    g = Generator(z_dim, ngf, image_size)
    d = Discriminator(ndf, image_size, spectral_norm=spectral_norm)
    g.apply(init_weights)
    d.apply(init_weights)
    return g, d
