"""Fixtures for the moods/evaluate tests: drawn toy emoji with real names, and a tiny ONNX generator."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from PIL import Image, ImageDraw

# Real emoji names per class, so the shipped mood table labels the fixture like the real data.
NAMES = {
    "happy": ["GRINNING FACE", "SMILING FACE WITH SMILING EYES", "BEAMING FACE WITH SMILING EYES",
              "ROLLING ON THE FLOOR LAUGHING", "SLIGHTLY SMILING FACE"],
    "sad": ["CRYING FACE", "PENSIVE FACE", "DISAPPOINTED FACE", "WORRIED FACE", "SLIGHTLY FROWNING FACE"],
    "neutral": ["NEUTRAL FACE", "EXPRESSIONLESS FACE", "ZIPPER-MOUTH FACE", "FACE WITHOUT MOUTH",
                "DOTTED LINE FACE"],
    "horror": ["FACE SCREAMING IN FEAR", "FEARFUL FACE", "SKULL", "GHOST", "ANGUISHED FACE"],
    "other": ["BUS", "TRAM", "BICYCLE", "AUTOMOBILE", "SAILBOAT"],
}
CLASS_NAMES = ("neutral", "horror", "happy", "sad", "other")


def draw_emoji(kind: str, rng: np.random.Generator, size: int = 64) -> np.ndarray:
    """uint8 [size, size, 3]: a face whose mouth shows the mood, or a coloured shape for 'other'."""
    s = size / 64
    im = Image.new("RGB", (size, size), "white")
    d = ImageDraw.Draw(im)
    j = lambda: rng.uniform(-3, 3) * s  # noqa: E731 - small jitter so no two drawings are equal
    if kind == "other":
        colour = tuple(int(c) for c in rng.integers(0, 200, 3))
        x0, y0 = 10 * s + j(), 18 * s + j()
        d.rectangle([x0, y0, x0 + 44 * s, y0 + 26 * s], fill=colour)
        d.ellipse([x0 + 4 * s, y0 + 20 * s, x0 + 16 * s, y0 + 32 * s], fill="black")
        d.ellipse([x0 + 28 * s, y0 + 20 * s, x0 + 40 * s, y0 + 32 * s], fill="black")
        return np.asarray(im)
    face = (235, 235, 225) if kind == "horror" else (255, 204 + int(rng.integers(0, 30)), 60)
    cx, cy = 32 * s + j(), 32 * s + j()
    r = 27 * s
    d.ellipse([cx - r, cy - r, cx + r, cy + r], fill=face, outline=(120, 90, 0))
    eye = 4 * s if kind != "horror" else 7 * s
    for ex in (cx - 10 * s, cx + 10 * s):
        d.ellipse([ex - eye, cy - 8 * s - eye, ex + eye, cy - 8 * s + eye], fill=(40, 30, 20))
    mouth = [cx - 13 * s, cy + 2 * s, cx + 13 * s, cy + 18 * s]
    if kind == "happy":
        d.chord(mouth, 0, 180, fill=(90, 30, 20))
    elif kind == "sad":
        d.arc([cx - 12 * s, cy + 8 * s, cx + 12 * s, cy + 24 * s], 190, 350, fill=(90, 30, 20), width=int(3 * s))
        d.ellipse([cx + 9 * s, cy - 2 * s, cx + 14 * s, cy + 8 * s], fill=(60, 140, 255))
    elif kind == "neutral":
        d.line([cx - 10 * s, cy + 12 * s, cx + 10 * s, cy + 12 * s], fill=(90, 30, 20), width=int(3 * s))
    elif kind == "horror":
        d.ellipse([cx - 7 * s, cy + 2 * s, cx + 7 * s, cy + 24 * s], fill=(10, 10, 10))
    return np.asarray(im)


def write_dataset(folder: Path, vendors: int = 3, size: int = 64, seed: int = 0) -> Path:
    """A dataset folder as `aimoji-train dataset build` writes it: images/*.png + manifest.csv."""
    rng = np.random.default_rng(seed)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    categories = {"other": ("Travel & Places", "transport-ground")}
    rows = []
    for kind, names in NAMES.items():
        category, sub = categories.get(kind, ("Smileys & Emotion", "face-smiling"))
        for n_i, name in enumerate(names):
            for v in range(vendors):
                file = f"images/{kind}-{n_i}-v{v}.png"
                Image.fromarray(draw_emoji(kind, rng, size)).save(folder / file)
                rows.append({"file": file, "source": f"vendor{v}", "version": "1", "codepoints": f"{n_i:04X}",
                             "name": name.lower(), "category": category, "subcategory": sub,
                             "licence": "test", "sha256": ""})
    with (folder / "manifest.csv").open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return folder


def toy_generator(path: Path, z_dim: int = 16, size: int = 64, seed: int = 0,
                  kinds: tuple[str, ...] = ("happy", "sad", "neutral", "horror", "other"),
                  sharpness: float = 30.0) -> tuple[Path, np.ndarray]:
    """An ONNX 'generator' honouring the contract: z picks (softly) one drawn prototype per direction.

    image = softmax(sharpness * unit(z) @ D^T) @ prototypes, so the kind of emoji depends on the
    direction of z, like a trained GAN's moods. Returns the path and D [len(kinds), z_dim].
    """
    rng = np.random.default_rng(seed)
    directions = np.linalg.qr(rng.normal(size=(z_dim, len(kinds))))[0].T.astype(np.float32)
    protos = np.stack([draw_emoji(k, rng, size) for k in kinds]).astype(np.float32) / 127.5 - 1.0
    protos = protos.transpose(0, 3, 1, 2).reshape(len(kinds), -1)  # [K, 3*S*S]
    inits = [numpy_helper.from_array(directions.T.copy(), "DT"),
             numpy_helper.from_array(np.array([sharpness], np.float32), "sharp"),
             numpy_helper.from_array(protos, "protos"),
             numpy_helper.from_array(np.array([-1, 3, size, size], np.int64), "shape")]
    nodes = [helper.make_node("LpNormalization", ["z"], ["u"], axis=1, p=2),
             helper.make_node("MatMul", ["u", "DT"], ["scores"]),
             helper.make_node("Mul", ["scores", "sharp"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["w"], axis=1),
             helper.make_node("MatMul", ["w", "protos"], ["flat"]),
             helper.make_node("Reshape", ["flat", "shape"], ["image"])]
    graph = helper.make_graph(
        nodes, "toy", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", z_dim])],
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["batch", 3, size, size])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    for key, value in {"format_version": "1", "z_dim": str(z_dim), "image_size": str(size),
                       "channels": "3", "output_range": "-1,1", "title": "toy"}.items():
        model.metadata_props.add(key=key, value=value)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return Path(path), directions


_TRAINED: dict[str, Path] = {}


def trained_classifier(tmp_path_factory, epochs: int = 8) -> tuple[Path, Path]:
    """(dataset folder, classifier weights) trained once per test session through the CLI."""
    if "weights" not in _TRAINED:
        from trainer.cli import main

        root = tmp_path_factory.mktemp("moods")
        data = write_dataset(root / "emoji")
        weights = root / "mood_cnn.pt"
        code = main(["moods", "classifier", "--data", str(data), "--out", str(weights),
                     "--epochs", str(epochs), "--batch", "32", "--threads", "2", "--val-fraction", "0.4"])
        assert code == 0
        _TRAINED.update(data=data, weights=weights)
    return _TRAINED["data"], _TRAINED["weights"]
