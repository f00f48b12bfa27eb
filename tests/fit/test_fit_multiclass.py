"""Three classes: C logits and cross-entropy, accuracy over C, the exact decision regions in the
fit figure and in the lab's live frames."""

import matplotlib
import numpy as np
import pytest
import torch

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.fitting import FitConfig
from neuromosaic.fitting.targets import make_dataset, num_classes
from neuromosaic.fitting.views import fit_view

matplotlib.use("Agg")


@pytest.mark.parametrize("name", ["spiral3", "blobs3"])
def test_three_class_sets_have_three_equal_classes(name):
    x, y = make_dataset(name, 300, seed=1)
    assert num_classes(name) == 3 and x.shape == (300, 2)
    assert torch.bincount(y.long()).tolist() == [100, 100, 100]
    assert float(x.abs().max()) < 1.6
    again, _ = make_dataset(name, 300, seed=1)
    assert torch.equal(x, again)


@pytest.fixture(scope="module")
def blobs():
    torch.set_num_threads(1)
    return nm.fit("blobs3", task="classification", hidden=[8], steps=300, n_train=300, n_test=300,
                  seed=0)


def test_a_three_class_fit_is_judged_by_the_argmax(blobs):
    assert blobs.spec.outputs == 3 and blobs.config.classes == 3
    x, y = blobs.data["x_test"], blobs.data["y_test"].long()
    with torch.no_grad():
        predicted = blobs.net(x).argmax(dim=1)
    assert blobs.test_accuracy == pytest.approx(float((predicted == y).float().mean()))
    assert blobs.test_accuracy > 0.9 and not blobs.degenerate
    assert blobs.baseline == pytest.approx(float(torch.bincount(y).max()) / len(y))
    grid = blobs.predict_grid(16)
    assert set(np.unique(grid)) <= {0.0, 1.0, 2.0}


def test_the_figure_draws_the_exact_decision_regions(blobs):
    view = fit_view(blobs, n=24)
    dec = view.decision
    assert dec is not None and dec.num_classes == 3
    assert dec.areas_per_class.sum() == pytest.approx(4.0)  # the domain [-1, 1]²
    # every polygon's class is the net's argmax at the polygon's inside
    net = blobs.net.double()
    with torch.no_grad():
        for poly, cls in list(zip(dec.polygons, dec.classes, strict=True))[:50]:
            inside = torch.as_tensor(poly.mean(axis=0))[None]
            assert int(net(inside).argmax()) == int(cls)
    fig = blobs.plot(n=24)
    titles = [a.get_title() for a in fig.axes]
    assert "exact decision regions" in titles[0]
    assert len(fig.axes[0].collections) >= 3  # the pieces, the boundary, the points


@pytest.mark.filterwarnings("ignore:Using `httpx`")
def test_the_lab_streams_the_decision_boundary():
    from fastapi.testclient import TestClient

    from neuromosaic.lab import create_app

    config = {"target": "blobs3", "task": "classification", "hidden": [6], "steps": 40,
              "n_train": 120, "n_test": 60, "restarts": 1}
    with TestClient(create_app(allow_hosts=("testserver",)), base_url="http://127.0.0.1") as c, \
            c.websocket_connect("/api/fit/ws") as ws:
        ws.send_json({"type": "config", "config": config})
        data = ws.receive_json()
        assert set(data["y"]) == {0, 1, 2}
        ws.send_json({"type": "step", "n": 40})
        frame = ws.receive_json()
        while frame["type"] != "frame" or frame["metrics"]["step"] < 40:
            frame = ws.receive_json()
    assert frame["classes"] == 3 and set(frame["grid"]["values"]) <= {0, 1, 2}
    assert frame["decision"]["count"] >= 3 and len(frame["decision"]["segments"]) >= 2
    assert all(len(s) == 4 for s in frame["decision"]["segments"])


def test_the_cli_fits_three_classes(tmp_path, capsys):
    out = tmp_path / "s.png"
    assert main(["fit", "--task", "classification", "--target", "spiral3", "--hidden", "8",
                 "--steps", "50", "-o", str(out), "--quiet"]) == 0
    assert "test accuracy" in capsys.readouterr().out and out.read_bytes()[:4] == b"\x89PNG"
    assert FitConfig(target="spiral3", task="classification").classes == 3
