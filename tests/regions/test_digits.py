"""A net trained on real data (scikit-learn's digits), cut on the plane through three test images."""

import json

import numpy as np
import pytest

import neuromosaic as nm
from neuromosaic.cli.app import main

pytest.importorskip("sklearn")

from neuromosaic.fitting.digits import (  # noqa: E402
    pick_images,
    plane_through,
    regions_during_training,
    train_digits,
)


@pytest.fixture(scope="module")
def run():
    return train_digits("mlp", epochs=3, seed=0)


def test_training_learns_and_is_reproducible(run):
    assert run.test_accuracy[0] < 0.3 < 0.7 < run.test_accuracy[-1]  # chance is 0.1
    again = train_digits("mlp", epochs=3, seed=0)
    assert again.test_accuracy == run.test_accuracy


def test_the_plane_goes_through_the_three_images_and_the_regions_agree_with_the_net(run):
    idx = pick_images(run)
    x, y = run.data[2][idx], run.data[3][idx]
    assert len(set(y.tolist())) == 3
    plane = plane_through(x)
    st = plane.project(x)
    np.testing.assert_allclose(plane.to_input(st), x, atol=1e-12)
    net = run.net.double()
    dec = nm.decision_regions(net, plane=plane)
    dec.pieces.check()
    reg = nm.linear_regions(net, plane=plane)
    reg.check()
    import torch

    with torch.no_grad():
        want = net(torch.as_tensor(x)).argmax(1).numpy()
    np.testing.assert_array_equal(dec.predict(st), want)
    assert reg.count >= 1 and dec.pieces.count >= reg.count
    rows = regions_during_training(run, plane, epochs=[0, 3])
    assert [r["epoch"] for r in rows] == [0, 3] and rows[1]["regions"] == reg.count


def test_the_cli_trains_cuts_and_draws(tmp_path, capsys):
    out, js = tmp_path / "d.png", tmp_path / "d.json"
    assert main(["regions", "--dataset", "digits", "--through", "0,3,4", "--epochs", "2",
                 "-o", str(out), "--json", str(js), "--quiet"]) == 0
    text = capsys.readouterr().out
    data = json.loads(js.read_text())
    assert data["images"] == [0, 3, 4] and f"{data['regions']:,} linear regions" in text
    assert out.read_bytes()[:4] == b"\x89PNG"
    assert main(["regions", "--dataset", "digits", "--through", "1,1,2", "--quiet"]) == 2
    assert "three different test-image indices" in capsys.readouterr().err
