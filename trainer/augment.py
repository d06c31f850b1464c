"""Differentiable augmentation (after Zhao et al. 2020, "DiffAugment"): colour, translation, cutout.

The same random transform family is applied to real and fake images before D sees them, and it is
differentiable, so G still gets gradients through it. This keeps D from memorising a small set.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _colour(x: torch.Tensor) -> torch.Tensor:
    b = x.shape[0]
    # brightness: shift by U(-0.5, 0.5) (images are in [-1, 1], so this is +-25 % of the range)
    x = x + (torch.rand(b, 1, 1, 1, device=x.device, dtype=x.dtype) - 0.5)
    # saturation: scale the distance from the per-pixel grey by U(0, 2)
    grey = x.mean(dim=1, keepdim=True)
    x = (x - grey) * (torch.rand(b, 1, 1, 1, device=x.device, dtype=x.dtype) * 2) + grey
    # contrast: scale the distance from the image mean by U(0.5, 1.5)
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(b, 1, 1, 1, device=x.device, dtype=x.dtype) + 0.5) + mean


def _translate(x: torch.Tensor, ratio: float = 0.125) -> torch.Tensor:
    """Shift each image by up to ratio*side pixels in x and y, filling with zeros (mid-grey)."""
    b, _, h, w = x.shape
    sh, sw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    dy = torch.randint(-sh, sh + 1, (b, 1, 1), device=x.device)
    dx = torch.randint(-sw, sw + 1, (b, 1, 1), device=x.device)
    ys = torch.arange(h, device=x.device).view(1, h, 1) + dy   # source row for each output row
    xs = torch.arange(w, device=x.device).view(1, 1, w) + dx
    # read from a 1-pixel zero border; out-of-range sources land on it
    padded = F.pad(x, (1, 1, 1, 1))
    ys = (ys + 1).clamp(0, h + 1).expand(b, h, w)
    xs = (xs + 1).clamp(0, w + 1).expand(b, h, w)
    flat = (ys * (w + 2) + xs).reshape(b, 1, h * w).expand(-1, x.shape[1], -1)
    return padded.reshape(b, x.shape[1], -1).gather(2, flat).reshape(x.shape)


def _cutout(x: torch.Tensor, ratio: float = 0.5) -> torch.Tensor:
    """Zero one square of ratio*side per image, centred anywhere (it may hang over the edge)."""
    b, _, h, w = x.shape
    ch, cw = int(h * ratio + 0.5), int(w * ratio + 0.5)
    top = torch.randint(0, h, (b, 1, 1), device=x.device) - ch // 2
    left = torch.randint(0, w, (b, 1, 1), device=x.device) - cw // 2
    ys = torch.arange(h, device=x.device).view(1, h, 1)
    xs = torch.arange(w, device=x.device).view(1, 1, w)
    inside = (ys >= top) & (ys < top + ch) & (xs >= left) & (xs < left + cw)
    return x * (~inside).unsqueeze(1).to(x.dtype)


def diff_augment(x: torch.Tensor) -> torch.Tensor:
    """Colour, then translation, then cutout; x is a float batch [B, C, H, W] in [-1, 1]."""
    return _cutout(_translate(_colour(x)))
