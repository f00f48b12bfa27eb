"""POST /api/digits: the library's digits run and cuts, through the lab."""

import numpy as np
import pytest
import torch

pytest.importorskip("sklearn")

from neuromosaic.fitting.digits import pick_images, plane_through, train_digits  # noqa: E402
from neuromosaic.regions import decision_regions, linear_regions  # noqa: E402


def test_the_answer_is_the_librarys_cut_and_carries_the_plane(client):
    r = client.post("/api/digits", json={"model": "mlp", "epochs": 2, "through": [0, 3, 4]})
    assert r.status_code == 200, r.text
    got = r.json()
    run = train_digits("mlp", epochs=2, seed=0)
    idx = pick_images(run, (0, 3, 4))
    x = run.data[2][idx]
    plane = plane_through(x)
    net = run.net.double()
    assert got["regions"]["count"] == linear_regions(net, plane=plane).count
    dec = decision_regions(net, plane=plane)
    assert got["decision"]["count"] == dec.count and len(got["decision"]["pieces"]) == dec.pieces.count
    assert got["test_accuracy"] == pytest.approx(run.test_accuracy)
    # the plane the page computes images from goes through the three images
    origin, u, v = (np.array(got["plane"][k]) for k in ("origin", "u", "v"))
    for image in got["images"]:
        s, t = image["at"]
        np.testing.assert_allclose(origin + s * u + t * v, image["pixels"], atol=2e-4)
    # every piece's class is the net's argmax inside it
    with torch.no_grad():
        for piece in got["decision"]["pieces"][:40]:
            st = np.asarray(piece["polygon"]).reshape(-1, 2).mean(axis=0)
            point = torch.as_tensor(origin + st[0] * u + st[1] * v)[None]
            assert int(net(point).argmax()) == piece["class"]


@pytest.mark.parametrize("body, status", [({"epochs": 0}, 422), ({"epochs": 31}, 422),
                                          ({"model": "resnet"}, 422), ({"through": [1, 1, 2]}, 422),
                                          ({"through": [0, 1, 99999]}, 422)])
def test_bad_digits_requests_are_one_line(client, body, status):
    r = client.post("/api/digits", json=body)
    assert r.status_code == status and "\n" not in r.json()["detail"]
