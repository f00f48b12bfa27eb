"""``neuromosaic regions``: the happy path and every bad input of the issue (one line, exit 2)."""

import json

import numpy as np
import pytest

from neuromosaic.cli.app import main


def _run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_widths_writes_png_json_html(tmp_path, capsys):
    png, js, html = tmp_path / "r.png", tmp_path / "r.json", tmp_path / "s.html"
    code, out, err = _run(capsys, "regions", "--widths", "16,16", "--seed", "0", "--domain", "-1,1,-1,1",
                          "-o", str(png), "--json", str(js), "--plot3d", str(html), "--check", "--quiet")
    assert code == 0, err
    data = json.loads(js.read_text())
    assert f"{data['count']:,} regions" in out
    bounds = {b["name"]: b for b in data["bounds"]}
    # every upper bound holds; the first layer's 16 lines make at most Zaslavsky(16, 2) = 137
    assert all(b["value"] >= data["count"] for b in data["bounds"] if b["kind"] == "upper")
    assert bounds["first_layer"]["value"] == 1 + 16 + 16 * 15 // 2
    for b in data["bounds"]:  # the JSON and the printout carry the same labels
        assert b["label"] in out
    assert "every net with these widths has at most" in out
    assert len(data["polygons"]) == data["count"] == len(data["patterns"])
    assert "seconds" not in data  # no wall-clock time in the file: the same command, the same bytes
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Mesh3d" in html.read_text()[:5_000_000] or "mesh3d" in html.read_text()
    first = (js.read_bytes(), html.read_bytes(), png.read_bytes())
    assert _run(capsys, "regions", "--widths", "16,16", "--seed", "0", "-o", str(png), "--json", str(js),
                "--plot3d", str(html), "--check", "--quiet")[0] == 0
    assert (js.read_bytes(), html.read_bytes(), png.read_bytes()) == first


def test_json_to_stdout(capsys):
    code, out, err = _run(capsys, "regions", "--widths", "4", "--json", "-", "--quiet")
    assert code == 0, err
    data = json.loads(out[out.index("{"):])
    assert data["count"] == len(data["patterns"]) and data["bounds"][0]["name"] == "serra_upper"


def test_deprecated_arch_still_works_with_one_note(capsys):
    code, out, err = _run(capsys, "regions", "--arch", "2,16,16,1", "--seed", "3", "--quiet")
    assert code == 0 and err.count("\n") == 1 and "--arch is deprecated" in err
    code2, out2, _ = _run(capsys, "regions", "--widths", "16,16", "--seed", "3", "--quiet")
    assert code2 == 0 and out.splitlines()[0].split(" regions")[0] == out2.splitlines()[0].split(" regions")[0]
    code, _, err = _run(capsys, "regions", "--arch", "2,8,1", "--widths", "8", "--quiet")
    assert code == 2 and "not both" in err


def test_weights_npz_matches_shared_count(shared_nets, capsys):
    code, out, _ = _run(capsys, "regions", "--weights", str(shared_nets / "mlp_w16_d2_s0.npz"),
                        "--domain", "-10,10,-10,10", "--quiet")
    assert code == 0 and out.startswith("519 regions")


def _npz(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


@pytest.mark.parametrize("args,needle", [
    (["--widths", "8", "--in-dim", "3"], "--in-dim"),
    (["--widths", "8", "--domain", "1,-1,-1,1"], "x0 < x1"),
    (["--widths", "8", "--domain", "0,0,-1,1"], "x0 < x1"),
    (["--widths", "8", "--domain", "0,1,2"], "at least 4 values"),
    (["--widths", "8", "--domain", "0,1,a,2"], "must be a number"),
    (["--widths", "x"], "--widths"),
    (["--widths", ""], "--widths"),
    (["--widths", "8,,8"], "empty item"),
    (["--widths", "8", "--activation", "tanh"], "Tanh"),
    (["--widths", "8", "--activation", "gelu"], "GELU"),
    (["--widths", "8", "--max-regions", "3"], "error: --max-regions: more than 3 regions"),
    (["--widths", "8", "-o", "r.txt"], ".png"),
    ([], "give --weights NET"),
])
def test_bad_options(capsys, args, needle):
    code, _, err = _run(capsys, "regions", "--quiet", *args)
    assert code == 2
    assert needle in err and err.count("\n") == 1 and "Traceback" not in err


def test_bad_npz_files(tmp_path, capsys):
    W0, b0 = np.ones((4, 2)), np.zeros(4)
    W1, b1 = np.ones((1, 4)), np.zeros(1)
    cases = {
        "missing": (_npz(tmp_path / "m.npz", W0=W0, b0=b0, W1=W1), "missing keys"),
        "shape": (_npz(tmp_path / "s.npz", W0=W0, b0=b0, W1=np.ones((1, 3)), b1=b1), "takes 3 inputs"),
        "nan": (_npz(tmp_path / "n.npz", W0=W0 * np.nan, b0=b0, W1=W1, b1=b1), "NaN"),
        "inf": (_npz(tmp_path / "i.npz", W0=W0, b0=b0 + np.inf, W1=W1, b1=b1), "inf"),
        "dim": (_npz(tmp_path / "d.npz", W0=np.ones((4, 3)), b0=b0, W1=W1, b1=b1), "3 inputs"),
        "tanh": (_npz(tmp_path / "t.npz", W0=W0, b0=b0, W1=W1, b1=b1, activation=np.array("tanh")), "Tanh"),
    }
    pickled = tmp_path / "p.npz"
    np.savez(pickled, W0=np.array([{"a": 1}], dtype=object), b0=b0, W1=W1, b1=b1)
    cases["pickle"] = (str(pickled), "pickle")
    for name, (path, needle) in cases.items():
        code, _, err = _run(capsys, "regions", "--weights", path, "--quiet")
        assert code == 2, name
        assert needle in err, (name, err)
        assert err.count("\n") == 1 and "Traceback" not in err


def test_no_half_written_file_on_error(tmp_path, capsys):
    out = tmp_path / "r.png"
    code, _, _ = _run(capsys, "regions", "--widths", "8", "--activation", "tanh", "-o", str(out), "--quiet")
    assert code == 2 and not out.exists()
    code, _, err = _run(capsys, "regions", "--widths", "8", "-o", str(tmp_path / "no" / "r.png"), "--quiet")
    assert code == 2 and "does not exist" in err


def test_library_bad_inputs():
    import torch

    import neuromosaic as nm

    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 1))
    with pytest.raises(nm.NeuromosaicError, match="takes 3 inputs"):
        nm.linear_regions(net, domain=(-1, 1, -1, 1))
    with pytest.raises(nm.NeuromosaicError, match="exactly one"):
        nm.linear_regions(net)
    with pytest.raises(nm.NeuromosaicError, match="x0 < x1"):
        nm.linear_regions(net, domain=(1, 1, -1, 1))
    with torch.no_grad():
        net[0].weight[0, 0] = float("nan")
    with pytest.raises(nm.NeuromosaicError, match="NaN"):
        nm.linear_regions(net, plane=nm.Plane([0, 0, 0], [1, 0, 0], [0, 1, 0]))


def test_verify_and_surface(tmp_path, capsys):
    surf = tmp_path / "s.png"
    code, out, err = _run(capsys, "regions", "--widths", "8,8", "--seed", "1", "--verify",
                          "--surface", str(surf), "--quiet")
    assert code == 0, err
    assert "verify: ok: proved exact;" in out and "areas sum to the domain's 4 exactly" in out
    assert surf.read_bytes()[:4] == b"\x89PNG"
