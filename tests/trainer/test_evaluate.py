"""Quality measures: Frechet distance against closed forms, nearest neighbours, precision/recall, copies."""

import json

import numpy as np
import pytest

from moods_fixtures import toy_generator, trained_classifier
from trainer.cli import main
from trainer.evaluate import fed, frechet_distance, memorisation, nearest, precision_recall, sqrt_psd


@pytest.mark.parametrize("mu1, var1, mu2, var2", [
    ([0, 0], [1, 1], [0, 0], [1, 1]),
    ([0, 0], [1, 1], [3, 4], [1, 1]),
    ([1, 2, 3], [4, 9, 16], [0, 0, 0], [1, 1, 1]),
    ([0], [0.25], [0], [4.0]),
])
def test_diagonal_gaussians_match_the_closed_form(mu1, var1, mu2, var2):
    # for diagonal covariances: |mu1 - mu2|^2 + sum (sqrt(a_i) - sqrt(b_i))^2
    expected = np.sum((np.subtract(mu1, mu2)) ** 2) + np.sum((np.sqrt(var1) - np.sqrt(var2)) ** 2)
    got = frechet_distance(np.array(mu1, float), np.diag(var1).astype(float),
                           np.array(mu2, float), np.diag(var2).astype(float))
    assert got == pytest.approx(expected, abs=1e-9)


def test_full_covariances_match_scipy_sqrtm():
    linalg = pytest.importorskip("scipy.linalg")
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(6, 6)), rng.normal(size=(6, 6))
    c1, c2 = a @ a.T + 0.1 * np.eye(6), b @ b.T + 0.1 * np.eye(6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    covmean = linalg.sqrtm(c1 @ c2).real
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(c1 + c2 - 2 * covmean)
    assert frechet_distance(mu1, c1, mu2, c2) == pytest.approx(expected, rel=1e-7)


def test_sqrt_psd_squares_back_and_ignores_round_off_negatives():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(5, 3))
    c = a @ a.T  # rank 3: two eigenvalues are 0 up to round-off (possibly slightly negative)
    s = sqrt_psd(c)
    np.testing.assert_allclose(s @ s, c, atol=1e-9)
    assert np.all(np.isfinite(s))


def test_identical_sets_give_zero_and_a_shift_gives_its_square():
    feats = np.random.default_rng(2).normal(size=(500, 8))
    assert fed(feats, feats) == pytest.approx(0.0, abs=1e-6)
    assert fed(feats, feats + np.array([3.0] + [0.0] * 7)) == pytest.approx(9.0, rel=1e-6)


def test_fed_ranks_a_closer_distribution_lower():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(2000, 10))
    same = rng.normal(size=(2000, 10))
    narrow = rng.normal(scale=0.5, size=(2000, 10))  # a mode-collapsing generator
    assert fed(same, real) < 0.1 < fed(narrow, real)


@pytest.mark.parametrize("k, exclude_self, dist, idx", [
    (1, False, [0.0, 0.0, 0.0, 0.0], [0, 1, 2, 3]),
    (1, True, [1.0, 1.0, 2.0, 4.0], [1, 0, 1, 2]),
    (2, True, [3.0, 2.0, 3.0, 6.0], [2, 2, 0, 1]),
])
def test_nearest_neighbours_on_a_line(k, exclude_self, dist, idx):
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    d, i = nearest(points, points, k=k, exclude_self=exclude_self)
    np.testing.assert_allclose(d, dist)
    assert i.tolist() == idx


def test_nearest_works_across_chunks(monkeypatch):
    import trainer.evaluate as ev

    monkeypatch.setattr(ev, "CHUNK", 3)
    rng = np.random.default_rng(4)
    q, r = rng.normal(size=(10, 4)), rng.normal(size=(7, 4))
    d, i = nearest(q, r)
    brute = np.linalg.norm(q[:, None] - r[None], axis=2)
    assert i.tolist() == brute.argmin(1).tolist()
    np.testing.assert_allclose(d, brute.min(1))
    d_self, _ = nearest(q, q, exclude_self=True)
    np.fill_diagonal(bself := np.linalg.norm(q[:, None] - q[None], axis=2), np.inf)
    np.testing.assert_allclose(d_self, bself.min(1))


def test_precision_and_recall_tell_realism_from_coverage():
    rng = np.random.default_rng(5)
    real = rng.normal(size=(400, 2))
    assert precision_recall(real, real.copy())["precision"] == 1.0
    far = precision_recall(real, real + 100.0)
    assert far["precision"] == 0.0 and far["recall"] == 0.0
    # a collapsed generator: realistic samples (high precision) of one small corner (low recall)
    collapsed = precision_recall(real, rng.normal(loc=[1.0, 1.0], scale=0.1, size=(400, 2)))
    assert collapsed["precision"] > 0.9 and collapsed["recall"] < 0.3


def test_memorisation_finds_copies_of_training_images():
    rng = np.random.default_rng(6)
    train = rng.random((50, 12))
    held = rng.random((30, 12))
    gen = np.concatenate([train[[3, 7]] + 1e-4, rng.random((18, 12))])  # 2 copies among 20 samples
    feats = lambda x: x * 2  # noqa: E731 - any feature map will do for the logic
    m = memorisation(gen, feats(gen), train, feats(train), held, feats(held), percentile=1.0, show=2)
    assert m["fraction_pixel"] == pytest.approx(0.1) and m["fraction_feature"] == pytest.approx(0.1)
    assert sorted(p["train_index"] for p in m["closest"]) == [3, 7]
    assert all(p["pixel_rms"] < m["pixel_threshold"] for p in m["closest"])


def test_evaluate_cli_writes_the_report(tmp_path_factory, tmp_path):
    data, weights = trained_classifier(tmp_path_factory)
    model, _ = toy_generator(tmp_path / "toy.onnx", z_dim=8, size=32)
    out = tmp_path / "report"
    code = main(["evaluate", str(model), "--data", str(data), "--classifier", str(weights),
                 "--samples", "60", "--out", str(out), "--held-out", "0.4"])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {"report.json", "report.html", "samples.png", "nearest_pairs.png"}
    report = json.loads((out / "report.json").read_text())
    for key in ("fed", "fed_matched", "fed_floor", "precision_recall", "precision_recall_floor", "memorisation"):
        assert key in report
    assert report["samples"] == 60 and report["fed"] >= 0 and report["fed_floor"] >= 0
    assert set(report["memorisation"]) >= {"fraction_pixel", "fraction_feature", "pixel_threshold", "closest"}
    assert "FED" in (out / "report.html").read_text()


@pytest.mark.parametrize("argv, problem", [
    (["evaluate", "no/such/run"], "not a run folder or an .onnx file"),
    (["evaluate", "x.onnx", "--samples", "1"], "--samples >= 10"),
])
def test_evaluate_cli_refuses_bad_input_in_one_line(argv, problem, capsys, tmp_path_factory):
    _, weights = trained_classifier(tmp_path_factory)
    code = main(argv + ["--classifier", str(weights)])
    assert code != 0
    err = capsys.readouterr().err.strip()
    assert problem in err and len(err.splitlines()) == 1
