"""The mood classifier: shapes, shipped weights, the split by emoji name, and training that learns moods."""

import json

import numpy as np
import pytest
import torch

from moods_fixtures import CLASS_NAMES, NAMES, draw_emoji, trained_classifier
from trainer.classifier import (
    DEFAULT_WEIGHTS, FEATURE_DIM, ClassifierError, MoodCNN, features, load_classifier, predict,
    save_weights, to_input)
from trainer.classifier_train import confusion, format_summary, split_by_group, summarise
from trainer.moods_labels import CLASSES


def test_class_order_is_the_four_moods_then_other():
    assert CLASSES == CLASS_NAMES == ("neutral", "horror", "happy", "sad", "other")


@pytest.mark.parametrize("shape, dtype", [
    ((2, 64, 64, 3), torch.uint8),   # HWC uint8, as PNGs load
    ((2, 3, 64, 64), torch.uint8),   # CHW uint8, as the dataset tensor
    ((2, 3, 32, 32), torch.float32),  # a 32 px generator's output in [-1, 1]
    ((2, 128, 128, 3), torch.uint8),
])
def test_any_image_batch_becomes_64px_in_model_range(shape, dtype):
    x = torch.zeros(shape, dtype=dtype) if dtype == torch.uint8 else -torch.ones(shape)
    out = to_input(x)
    assert out.shape == (2, 3, 64, 64)
    assert torch.allclose(out, torch.full_like(out, -1.0))


def test_outputs_are_probabilities_and_features():
    model = MoodCNN().eval()
    images = np.random.default_rng(0).integers(0, 256, (5, 64, 64, 3), dtype=np.uint8)
    probs = predict(model, images, batch=2)
    assert probs.shape == (5, len(CLASSES))
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    assert features(model, images).shape == (5, FEATURE_DIM)


def test_saved_weights_load_with_weights_only_and_leave_the_training_head_out(tmp_path):
    model = MoodCNN(aux_classes=7).eval()
    path = tmp_path / "w.pt"
    save_weights(model, path)
    state = torch.load(path, weights_only=True)
    assert not any(k.startswith("aux.") for k in state)
    assert all(isinstance(v, torch.Tensor) for v in state.values())
    x = torch.rand(3, 3, 64, 64) * 2 - 1
    with torch.no_grad():
        assert torch.allclose(load_classifier(path)(x), model(x), atol=1e-6)


def test_shipped_weights_are_small_and_load():
    assert DEFAULT_WEIGHTS.is_file(), "trainer/models/mood_cnn.pt must ship with the code"
    assert DEFAULT_WEIGHTS.stat().st_size < 2_000_000
    report = json.loads(DEFAULT_WEIGHTS.with_suffix(".json").read_text())
    assert report["validation"]["balanced_accuracy"] >= 0.8
    model = load_classifier()
    rng = np.random.default_rng(0)
    # the shipped classifier knows a drawn smiley from a drawn bus
    happy = predict(model, np.stack([draw_emoji("happy", rng) for _ in range(4)]))
    other = predict(model, np.stack([draw_emoji("other", rng) for _ in range(4)]))
    assert happy[:, CLASSES.index("other")].mean() < other[:, CLASSES.index("other")].mean()


@pytest.mark.parametrize("content, problem", [
    (None, "no classifier weights"),
    (b"garbage", "unreadable weights"),
    ("wrong-dict", "not mood classifier weights"),
])
def test_bad_weight_files_give_one_line(tmp_path, content, problem):
    path = tmp_path / "w.pt"
    if content == "wrong-dict":
        torch.save({"layer.weight": torch.zeros(3)}, path)
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(ClassifierError, match=problem) as err:
        load_classifier(path)
    assert "\n" not in str(err.value)


def test_split_keeps_every_emoji_name_on_one_side():
    groups = [f"name{i // 4}" for i in range(80)]           # 20 names, 4 vendor drawings each
    target = np.array([(i // 4) % 4 for i in range(80)])  # 5 names per class
    val = split_by_group(groups, target, 0.2, seed=0)
    for g in set(groups):
        sides = {bool(v) for v, gg in zip(val, groups) if gg == g}
        assert len(sides) == 1
    for cls in range(4):  # every class keeps names on both sides
        assert 0 < val[target == cls].sum() < (target == cls).sum()
    assert np.array_equal(val, split_by_group(groups, target, 0.2, seed=0))
    assert not np.array_equal(val, split_by_group(groups, target, 0.2, seed=1))


def test_confusion_and_summary_figures():
    true = np.array([0, 0, 1, 2, 3, 4, 4, 4])
    probs = np.eye(5)[[0, 1, 1, 2, 2, 4, 4, 0]]
    assert confusion(true, probs.argmax(1), 5)[0].tolist() == [1, 1, 0, 0, 0]
    s = summarise(true, probs)
    assert s["accuracy"] == pytest.approx(5 / 8)
    assert s["per_class"] == {"neutral": 0.5, "horror": 1.0, "happy": 1.0, "sad": 0.0, "other": pytest.approx(2 / 3)}
    assert s["balanced_accuracy"] == pytest.approx((0.5 + 1 + 1 + 0 + 2 / 3) / 5)
    assert s["mood_accuracy"] == pytest.approx(3 / 5)
    text = format_summary(s)
    assert "recall" in text and "62.5%" in text


def test_training_from_the_cli_learns_moods_of_unseen_emoji_names(tmp_path_factory):
    data, weights = trained_classifier(tmp_path_factory)
    report = json.loads(weights.with_suffix(".json").read_text())
    held = set(report["held_out_names"])
    assert held and held < {n.lower() for names in NAMES.values() for n in names}
    assert report["validation"]["balanced_accuracy"] >= 0.8, report["validation"]
    assert weights.stat().st_size < 2_000_000
