"""Sorting a generator's emoji into moods: regions, sheets, index page and the embedded payload."""

import json

import numpy as np
import pytest
from PIL import Image

from installation.model.contract import parse_metadata
from installation.model.moods import parse_moods
from moods_fixtures import toy_generator, trained_classifier
from trainer.cli import main
from trainer.moods import mood_regions, top_confident
from trainer.moods_labels import CLASSES, MOODS
from trainer.onnx_metadata import read_metadata


def _probs(labels, confidence):
    """One-hot-ish probabilities: `confidence` on the label, the rest spread evenly."""
    p = np.full((len(labels), len(CLASSES)), (1 - np.asarray(confidence))[:, None] / (len(CLASSES) - 1))
    p[np.arange(len(labels)), labels] = confidence
    return p


def test_regions_average_the_unit_latents_of_confident_samples_only():
    z = np.array([[2.0, 0, 0], [0, 5.0, 0], [3.0, 3.0, 0], [0, 0, 1.0], [0, 0, 7.0]])
    labels = np.array([2, 2, 2, 3, 4])              # happy, happy, happy (unsure), sad, other
    probs = _probs(labels, np.array([0.9, 0.9, 0.5, 0.95, 0.9]))
    payload = mood_regions(z, probs, threshold=0.8, min_count=2)
    assert payload["centroids"]["happy"] == pytest.approx([2 ** -0.5, 2 ** -0.5, 0], abs=1e-5)
    assert payload["radius_cos"]["happy"] == pytest.approx(2 ** -0.5, abs=1e-4)
    assert "sad" not in payload["centroids"]  # 1 confident sample < min_count
    assert payload["counts"] == {"neutral": 0, "horror": 0, "happy": 2, "sad": 1, "other": 1, "unsure": 1}
    assert payload["classes"] == list(MOODS) and payload["samples"] == 5 and payload["threshold"] == 0.8


def test_top_confident_orders_by_confidence_and_skips_unsure():
    probs = _probs(np.array([2, 2, 2, 0]), np.array([0.75, 0.99, 0.6, 0.99]))
    assert top_confident(probs, "happy", 0.7, 5).tolist() == [1, 0]
    assert top_confident(probs, "happy", 0.7, 1).tolist() == [1]


@pytest.fixture(scope="module")
def sorted_toy(tmp_path_factory):
    """The CLI run on a toy generator whose emoji's mood depends on the direction of z."""
    _, weights = trained_classifier(tmp_path_factory)
    root = tmp_path_factory.mktemp("sorted")
    model, directions = toy_generator(root / "toy.onnx", z_dim=16, size=64,
                                      kinds=("neutral", "horror", "happy", "sad", "other"))
    out = root / "site"
    code = main(["moods", str(model), "--samples", "400", "--out", str(out), "--embed", str(model),
                 "--classifier", str(weights), "--threshold", "0.6", "--per-sheet", "16",
                 "--steer-samples", "150"])
    assert code == 0
    return model, directions, out


def test_sheets_index_and_payload_are_written(sorted_toy):
    _, _, out = sorted_toy
    assert {p.name for p in out.iterdir()} == {f"{m}.png" for m in MOODS} | {"index.html", "moods.json"}
    for mood in MOODS:
        with Image.open(out / f"{mood}.png") as im:
            assert im.width == 8 * 128 and im.height >= 128  # at least one row of emoji
    page = (out / "index.html").read_text()
    assert all(f'src="{m}.png"' in page for m in MOODS)
    payload = json.loads((out / "moods.json").read_text())
    assert payload["samples"] == 400 and set(payload["centroids"]) == set(MOODS)


def test_embedded_regions_point_where_the_generator_draws_each_mood(sorted_toy):
    model, directions, _ = sorted_toy
    info = parse_metadata(read_metadata(model))  # the file still honours the contract
    regions = parse_moods(info.moods, info.z_dim)
    for k, mood in enumerate(("neutral", "horror", "happy", "sad")):
        assert regions[mood].centroid @ directions[k] > 0.8, mood
        rates = info.moods["steer_hit_rate"][mood]
        assert rates["0.5"] > rates["0"] + 0.3, (mood, rates)  # steering works on the real pipeline


def test_a_run_folder_is_sampled_from_its_checkpoint(tiny_run, tmp_path_factory, tmp_path):
    _, weights = trained_classifier(tmp_path_factory)
    code = main(["moods", str(tiny_run), "--samples", "40", "--out", str(tmp_path / "site"),
                 "--classifier", str(weights), "--steer-samples", "20"])
    assert code == 0
    assert (tmp_path / "site" / "index.html").is_file()


def test_embedding_into_a_model_of_another_size_is_refused_and_leaves_it_alone(tmp_path_factory, tmp_path, capsys):
    _, weights = trained_classifier(tmp_path_factory)
    source, _ = toy_generator(tmp_path / "a.onnx", z_dim=16)
    other, _ = toy_generator(tmp_path / "b.onnx", z_dim=8)
    before = other.read_bytes()
    code = main(["moods", str(source), "--samples", "20", "--out", str(tmp_path / "s"),
                 "--embed", str(other), "--classifier", str(weights)])
    assert code == 1
    assert "z_dim 8 does not match" in capsys.readouterr().err
    assert other.read_bytes() == before and not (tmp_path / "s").exists()


@pytest.mark.parametrize("argv, problem", [
    (["moods", "no/such/thing"], "not a run folder or an .onnx file"),
    (["moods", "classifier", "--data", "no/such/data"], "manifest.csv: missing"),
    (["moods", "x.onnx", "--threshold", "2"], "--threshold between 0 and 1"),
])
def test_bad_input_gives_one_line(argv, problem, capsys):
    assert main(argv) != 0
    err = capsys.readouterr().err.strip()
    assert problem in err and len(err.splitlines()) == 1


def test_a_mood_nobody_reaches_shows_its_nearest_misses(tmp_path):
    from trainer.moods import write_site

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 32, 32, 3), dtype=np.uint8)
    probs = _probs(np.full(20, 2), np.linspace(0.95, 0.75, 20))  # all happy, nobody sad
    probs[5, 3] += 0.1  # sample 5 leans most toward sad
    payload = mood_regions(rng.normal(size=(20, 4)), probs, threshold=0.7, min_count=2)
    write_site(tmp_path, images, probs, payload, "toy", "clf")
    with Image.open(tmp_path / "sad.png") as sad:
        assert sad.height > 128  # a row of nearest misses, not an empty sheet
        first = np.asarray(sad.convert("RGB"))[40:40 + 64, :128]
    assert first.std() > 0  # an emoji is drawn in the first cell
    assert payload["counts"]["sad"] == 0 and "sad" not in payload["centroids"]
