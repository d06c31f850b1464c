"""Generator/discriminator shapes at 16-128 px, DCGAN init, and the differentiable augmentation."""

import pytest
import torch

from trainer.augment import diff_augment
from trainer.model import build_models, hidden_blocks


@pytest.mark.parametrize("size, blocks", [(16, 1), (32, 2), (64, 3), (128, 4)])
def test_hidden_blocks_follow_the_image_size(size, blocks):
    assert hidden_blocks(size) == blocks


@pytest.mark.parametrize("size", [0, 8, 48, 100])
def test_sizes_that_are_not_powers_of_two_are_refused(size):
    with pytest.raises(ValueError, match="power of two"):
        hidden_blocks(size)


@pytest.mark.parametrize("size", [64, 128])
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_shapes_and_output_range(size, spectral_norm):
    g, d = build_models(z_dim=100, ngf=4, ndf=4, image_size=size, spectral_norm=spectral_norm)
    z = torch.randn(3, 100) * 10
    images = g(z)
    assert images.shape == (3, 3, size, size)
    assert images.abs().max() <= 1.0
    assert d(images).shape == (3,)


def test_dcgan_init_statistics():
    torch.manual_seed(0)
    g, d = build_models(100, 64, 64, 64)
    conv = g.main[0].weight
    assert abs(conv.std().item() - 0.02) < 0.001 and abs(conv.mean().item()) < 0.001
    bn = g.main[1].weight
    assert abs(bn.mean().item() - 1.0) < 0.01 and bn.std().item() < 0.05


def test_same_seed_same_weights():
    torch.manual_seed(5)
    a, _ = build_models(100, 8, 8, 32)
    torch.manual_seed(5)
    b, _ = build_models(100, 8, 8, 32)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


def test_diffaugment_changes_images_and_passes_gradients():
    torch.manual_seed(0)
    x = (torch.rand(8, 3, 16, 16) * 2 - 1).requires_grad_()
    y = diff_augment(x)
    assert y.shape == x.shape
    assert not torch.allclose(y, x)
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_diffaugment_cutout_blanks_a_quarter_of_the_image():
    from trainer.augment import _cutout

    torch.manual_seed(1)
    out = _cutout(torch.ones(64, 3, 16, 16))
    blank = (out == 0).float().mean().item()
    # an 8x8 square per 16x16 image, sometimes partly off the edge
    assert 0.12 < blank <= 0.25
