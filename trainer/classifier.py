"""A small CNN on 64 px RGB emoji: the mood classifier, and (its pooled backbone) the features for FED.

Weights ship as trainer/models/mood_cnn.pt: a plain state_dict of tensors, loaded with weights_only=True.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from installation.atomic import write_bytes_atomic
from installation.text import first_line
from trainer.moods_labels import CLASSES

INPUT_PX = 64
FEATURE_DIM = 192
DEFAULT_WEIGHTS = Path(__file__).parent / "models" / "mood_cnn.pt"


class ClassifierError(ValueError):
    """Weights that cannot be loaded or images of the wrong shape; one line naming the file."""


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(True),
            nn.MaxPool2d(2)]


class MoodCNN(nn.Module):
    """image [B, 3, 64, 64] in [-1, 1] -> logits [B, len(CLASSES)]; features() gives [B, 192]."""

    def __init__(self, aux_classes: int = 0):
        super().__init__()
        self.backbone = nn.Sequential(
            # state: 3 x 64 x 64 -> 32 x 32 x 32 (a strided first conv: emoji have little fine detail)
            nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(True),
            *_block(32, 64),            # -> 64 x 16 x 16
            *_block(64, 128),           # -> 128 x 8 x 8
            *_block(128, FEATURE_DIM),  # -> 192 x 4 x 4
            nn.AdaptiveAvgPool2d(1), nn.Flatten(),  # -> 192
        )
        self.head = nn.Linear(FEATURE_DIM, len(CLASSES))
        # training only: predicting the Unicode subcategory makes the features tell all emoji apart
        # (people, animals, objects), not just moods, which FED needs. Not shipped.
        self.aux = nn.Linear(FEATURE_DIM, aux_classes) if aux_classes else None

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.backbone(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.backbone(x))


def to_input(images: np.ndarray | torch.Tensor) -> torch.Tensor:
    """uint8 [N, H, W, 3] / [N, 3, H, W], or float [N, 3, H, W] in [-1, 1] -> float [N, 3, 64, 64] in [-1, 1]."""
    x = torch.as_tensor(images)
    if x.ndim != 4:
        raise ClassifierError(f"expected a batch of images [N, H, W, 3] or [N, 3, H, W], got {list(x.shape)}")
    if x.shape[1] != 3 and x.shape[-1] == 3:
        x = x.permute(0, 3, 1, 2)
    x = x.float() / 127.5 - 1.0 if x.dtype == torch.uint8 else x.float()
    if x.shape[-1] != INPUT_PX or x.shape[-2] != INPUT_PX:
        x = F.interpolate(x, size=(INPUT_PX, INPUT_PX), mode="bilinear", antialias=True, align_corners=False)
    return x.contiguous()


@torch.no_grad()
def _batched(fn, images, batch: int) -> np.ndarray:
    out = []
    for i in range(0, len(images), batch):
        out.append(fn(to_input(images[i:i + batch])).numpy())
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def predict(model: MoodCNN, images, batch: int = 256) -> np.ndarray:
    """Class probabilities float32 [N, len(CLASSES)] (order: trainer.moods_labels.CLASSES)."""
    model.eval()
    return _batched(lambda x: torch.softmax(model(x), dim=1), images, batch).astype(np.float32)


def features(model: MoodCNN, images, batch: int = 256) -> np.ndarray:
    """Pooled backbone features float64 [N, 192], the space FED and precision/recall are measured in."""
    model.eval()
    return _batched(model.features, images, batch).astype(np.float64)


def save_weights(model: MoodCNN, path: Path) -> str:
    """Write the shipped state_dict (no training-only head) atomically; returns its sha256."""
    state = {k: v.detach().clone() for k, v in model.state_dict().items() if not k.startswith("aux.")}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    data = buffer.getvalue()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(path, data)
    return hashlib.sha256(data).hexdigest()


def load_classifier(path: Path = DEFAULT_WEIGHTS) -> MoodCNN:
    """The shipped (or a freshly trained) classifier, in eval mode. Raises ClassifierError."""
    path = Path(path)
    if not path.is_file():
        raise ClassifierError(f"{path}: no classifier weights (train them with 'aimoji-train moods classifier')")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated or foreign file: all mean "not usable"
        raise ClassifierError(f"{path}: unreadable weights ({type(exc).__name__})") from None
    model = MoodCNN()
    try:
        model.load_state_dict(state)
    except (RuntimeError, TypeError, AttributeError) as exc:
        raise ClassifierError(f"{path}: not mood classifier weights ({first_line(exc, 160)})") from None
    return model.eval()


def weights_id(path: Path) -> str:
    """'mood_cnn.pt@1a2b3c4d5e6f': names the classifier that produced centroids or FED figures."""
    digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()[:12]
    return f"{Path(path).name}@{digest}"
