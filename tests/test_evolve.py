"""Breeding: nm.evolve.mutate / crossover, and a picture's lineage replayed from its PNG."""

import json

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.cli.app import main
from neuromosaic.errors import SpecError, TooLargeError
from neuromosaic.io.png import read_png_metadata, write_png
from neuromosaic.lineage import (
    MAX_STEPS,
    MAX_TEXT,
    Cross,
    Mutate,
    cross_lineages,
    lineage_text,
    parse_lineage,
    replay,
)
from neuromosaic.painting import PaintConfig, config_from_metadata, png_bytes, render_config


def net_of(seed=0, widths=(16,) * 4, **kw):
    return nm.NetSpec(inputs=3, widths=widths, outputs=3, seed=seed, **kw).build()


def params(net):
    return [p.detach().clone() for p in net.parameters()]


def same(a, b) -> bool:
    pa, pb = list(a.parameters()), list(b.parameters())
    return len(pa) == len(pb) and all(torch.equal(x, y) for x, y in zip(pa, pb, strict=True))


def one_line(exc) -> str:
    text = str(exc.value)
    assert "\n" not in text and len(text) < 400, text
    return text


# -- mutate and crossover ---------------------------------------------------------------------
def test_strength_zero_gives_the_parent_exactly():
    net = net_of(3)
    before = params(net)
    child = nm.evolve.mutate(net, 0, 17)
    assert isinstance(child, nn.Sequential) and child is not net
    assert same(child, net) and str(child) == str(net)
    assert all(torch.equal(a, b) for a, b in zip(before, net.parameters(), strict=True))  # parent untouched


def test_mutation_noise_is_strength_times_each_layers_spread():
    """(child − parent) / (strength × σ_layer) is standard normal noise in every layer, whatever
    the layer's own scale: measured on a wide net whose layers are drawn at different scales."""
    net = nm.NetSpec(inputs=3, widths=(256, 256), outputs=3, init="normal:1", seed=1).build()
    with torch.no_grad():
        net[2].weight.mul_(0.01)  # a layer 100× smaller than the others
    child = nm.evolve.mutate(net, 0.5, 4)
    for mine, theirs in zip(net, child, strict=True):
        if isinstance(mine, nn.Linear):
            sigma = float(mine.weight.detach().double().std(correction=0))
            z = ((theirs.weight - mine.weight).detach().double() / (0.5 * sigma)).flatten()
            if z.numel() > 10_000:
                assert abs(float(z.mean())) < 0.02 and abs(float(z.std()) - 1) < 0.02
            zb = (theirs.bias - mine.bias).detach().double() / (0.5 * sigma)
            assert 0.5 < float(zb.std()) < 1.5  # the bias moves on the same scale


def test_children_are_reproducible_and_differ_by_seed():
    net = net_of(2)
    a, b = nm.evolve.mutate(net, 0.3, 5), nm.evolve.mutate(net, 0.3, 5)
    c = nm.evolve.mutate(net, 0.3, 6)
    assert same(a, b) and not same(a, c) and not same(a, net)
    with torch.random.fork_rng():
        torch.manual_seed(123)  # the global generator plays no part
        assert same(nm.evolve.mutate(net, 0.3, 5), a)


def test_crossover_takes_each_unit_whole_from_one_parent():
    a, b = net_of(1), net_of(2)
    child = nm.evolve.crossover(a, b, 9)
    assert same(nm.evolve.crossover(a, b, 9), child) and not same(nm.evolve.crossover(a, b, 10), child)
    took = {"a": 0, "b": 0}
    for la, lb, lc in zip(a, b, child, strict=True):
        if isinstance(la, nn.Linear):
            for row in range(la.out_features):
                from_a = torch.equal(lc.weight[row], la.weight[row]) and lc.bias[row] == la.bias[row]
                from_b = torch.equal(lc.weight[row], lb.weight[row]) and lc.bias[row] == lb.bias[row]
                assert from_a != from_b, (la, row)  # the whole unit from exactly one parent
                took["a" if from_a else "b"] += 1
    assert took["a"] > 10 and took["b"] > 10  # 67 units, half and half on average


def test_crossover_of_a_net_with_itself_is_itself():
    net = net_of(4)
    assert same(nm.evolve.crossover(net, net, 3), net)


@pytest.mark.parametrize("other, words", [
    (lambda: net_of(0, widths=(16, 16, 16, 8)), "same architecture"),
    (lambda: net_of(0, widths=(16,) * 3), "same architecture"),
    (lambda: net_of(0, activation="relu"), "same architecture"),
    (lambda: net_of(0, bias="first"), "same architecture"),
])
def test_architecture_mismatch_is_one_clear_line(other, words):
    with pytest.raises(SpecError) as exc:
        nm.evolve.crossover(net_of(0), other(), 1)
    assert words in one_line(exc)


@pytest.mark.parametrize("strength, seed, field", [
    (-0.1, 0, "strength"), (float("nan"), 0, "strength"), (11, 0, "strength"), ("x", 0, "strength"),
    (0.3, -1, "seed"), (0.3, 2**63, "seed"), (0.3, 1.5, "seed"),
])
def test_bad_strength_or_seed_is_one_line(strength, seed, field):
    with pytest.raises(SpecError) as exc:
        nm.evolve.mutate(net_of(0), strength, seed)
    assert one_line(exc).startswith(field)


# -- lineages ---------------------------------------------------------------------------------
BRED = "m0.5s1_m0.5s2_c3f1(m0.5s7)_m0.25s4"


def test_same_lineage_gives_the_same_bytes():
    cfg = PaintConfig(size=40, seed=2, layers=4, lineage=BRED)
    first = png_bytes(render_config(cfg), cfg)
    again = PaintConfig(size=40, seed=2, layers=4, lineage=json.loads(json.dumps(
        cfg.metadata()["config"]["lineage"])))  # the same steps, from the PNG chunk's JSON
    assert again == cfg and png_bytes(render_config(again), again) == first
    other = cfg.replace(lineage=BRED.replace("s4", "s5"))
    assert not np.array_equal(render_config(other), render_config(cfg))
    assert not np.array_equal(render_config(cfg.replace(lineage=None)), render_config(cfg))


def test_lineage_replays_the_steps_it_records():
    """The cross step's other parent shares the first ``from`` steps: replaying BRED is these
    calls of nm.evolve, one by one."""
    root = PaintConfig(seed=2, layers=4).build()
    m = nm.evolve.mutate
    first = m(root, 0.5, 1)
    other = m(first, 0.5, 7)
    want = m(nm.evolve.crossover(m(first, 0.5, 2), other, 3), 0.25, 4)
    assert same(PaintConfig(seed=2, layers=4, lineage=BRED).build(), want)
    assert same(replay(root, BRED), want)


def test_strength_zero_steps_give_the_root_picture():
    cfg = PaintConfig(size=32, seed=6)
    assert np.array_equal(render_config(cfg.replace(lineage="m0s1_m0s99")), render_config(cfg))


def test_text_and_json_forms_round_trip():
    steps = parse_lineage(BRED)
    assert lineage_text(steps) == BRED
    assert steps[2] == Cross(seed=3, from_=1, with_=(Mutate(strength=0.5, seed=7),))
    cfg = PaintConfig(size=16, lineage=steps)
    assert config_from_metadata(json.loads(json.dumps(cfg.metadata()))) == cfg.replace(z=cfg.latent())
    chunk = cfg.metadata()["config"]["lineage"]
    assert chunk[2] == {"op": "cross", "seed": 3, "from": 1, "with": [{"op": "mutate", "strength": 0.5, "seed": 7}]}
    assert "lineage" not in PaintConfig().metadata()["config"]  # an unbred picture's chunk is as before


def test_crossing_siblings_records_one_step():
    a, b = "m0.3s1_m0.3s2", "m0.3s1_m0.3s5"
    steps = cross_lineages(a, b, 8)
    assert lineage_text(steps) == "m0.3s1_m0.3s2_c8f1(m0.3s5)"
    root = net_of(0)
    assert same(replay(root, steps), nm.evolve.crossover(replay(root, a), replay(root, b), 8))


def test_paint_from_rerenders_a_bred_picture(tmp_path, capsys):
    cfg = PaintConfig(size=48, seed=5, layers=3, lineage=BRED)
    bred, again, bigger = tmp_path / "bred.png", tmp_path / "again.png", tmp_path / "big.png"
    write_png(bred, render_config(cfg), cfg.metadata())
    assert main(["paint", "--from", str(bred), "-o", str(again)]) == 0
    assert again.read_bytes() == bred.read_bytes()
    assert main(["paint", "--from", str(bred), "--size", "96", "-o", str(bigger)]) == 0
    assert read_png_metadata(bigger)["config"]["lineage"] == read_png_metadata(bred)["config"]["lineage"]
    capsys.readouterr()


def _too_many() -> str:
    return "_".join(f"m0.1s{i}" for i in range(MAX_STEPS + 1))


@pytest.mark.parametrize("lineage, words", [
    (_too_many(), f"at most {MAX_STEPS} steps"),
    ("c1(" * 12 + ")" * 12, "nest 8 deep"),
    ("m0.1s1_" * 2000 + "m0.1s1", f"{MAX_TEXT:,} characters"),
    ("m0.3s1_x", "steps look like"), ("c1(m0.3s2", "closing"), ("m12s1", "strength"),
    ("c1f3(m0.1s1)", "from"), ([{"op": "grow"}], "step 1"), ("m0.1s" + "9" * 30, "steps look like"),
])
def test_bad_or_over_cap_lineage_is_one_line(lineage, words):
    with pytest.raises(SpecError) as exc:
        PaintConfig(lineage=lineage)
    assert words in one_line(exc)


def test_over_cap_lineage_text_is_too_large():
    with pytest.raises(TooLargeError):
        parse_lineage(_too_many())


def test_paint_from_an_over_cap_png_is_one_line(tmp_path, capsys):
    meta = PaintConfig(size=8).metadata()
    meta["config"]["lineage"] = [{"op": "mutate", "strength": 0.1, "seed": i} for i in range(MAX_STEPS + 1)]
    bad = tmp_path / "bad.png"
    write_png(bad, np.zeros((8, 8, 3), np.uint8), meta)
    assert main(["paint", "--from", str(bad), "-o", str(tmp_path / "out.png")]) == 2
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and f"at most {MAX_STEPS} steps" in err and len(err) < 400
    assert not (tmp_path / "out.png").exists()


def test_an_animation_of_a_bred_picture_starts_from_it():
    from neuromosaic.painting.animate import zoom

    cfg = PaintConfig(size=24, seed=1, layers=3, lineage="m0.3s2")
    assert np.array_equal(next(zoom(cfg, frames=2)), render_config(cfg))
