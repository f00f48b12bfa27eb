"""The article's recipes are the article's nets (MISSION.md P1–P7)."""

import numpy as np
import pytest
import torch
from torch import nn

import neuromosaic as nm
from neuromosaic.painting import RECIPES, get_recipe, render_config


def article_net(hidden: int = 8, width: int = 16, seed: int = 0) -> nn.Sequential:
    """The article's code, as it is written there."""
    torch.manual_seed(seed)
    layers = [nn.Linear(2, width, bias=True), nn.Tanh()]
    for _ in range(hidden):
        layers += [nn.Linear(width, width, bias=False), nn.Tanh()]
    layers += [nn.Linear(width, 3, bias=False), nn.Sigmoid()]
    return nn.Sequential(*layers)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_grey_goo_is_grey(seed):
    """PyTorch's default init on the article's net: every pixel within 1 of 128 on each channel."""
    img = np.asarray(render_config(get_recipe("grey-goo").config(size=128, seed=seed)))
    assert np.abs(img.astype(int) - 128).max() <= 1


def test_the_grey_goo_recipe_builds_the_articles_net_weight_for_weight():
    spec = get_recipe("grey-goo").config(size=8).net_spec()
    ours, theirs = spec.build(), article_net()
    assert [type(m) for m in ours] == [type(m) for m in theirs]
    for a, b in zip(ours, theirs, strict=True):
        if isinstance(a, nn.Linear):
            assert (a.bias is None) == (b.bias is None)
            assert torch.equal(a.weight, b.weight)
            if a.bias is not None:
                assert torch.equal(a.bias, b.bias)
    assert spec.num_params == sum(p.numel() for p in theirs.parameters())


def test_every_recipe_uses_the_articles_inputs_and_biases():
    for recipe in RECIPES.values():
        cfg = recipe.config(size=8)
        net = cfg.net_spec().build()
        linears = [m for m in net if isinstance(m, nn.Linear)]
        assert cfg.inputs == "xy" and linears[0].in_features == 2
        assert linears[0].bias is not None and all(m.bias is None for m in linears[1:]), recipe.name


def test_depth_recipes_count_hidden_layers_as_the_article_does():
    """"k hidden layers" are the k Linear(16, 16) after the first Linear(2, 16)."""
    for name, k in (("depth-0", 0), ("depth-1", 1), ("depth-8", 8), ("depth-16", 16)):
        net = get_recipe(name).config(size=8).net_spec().build()
        square = [m for m in net if isinstance(m, nn.Linear) and m.in_features == m.out_features == 16]
        assert len(square) == k, name


def test_bias_none_and_first_and_old_configs():
    spec = nm.NetSpec(inputs=2, widths=[4, 4], outputs=1, bias="none")
    assert all(m.bias is None for m in spec.build() if isinstance(m, nn.Linear))
    assert spec.num_params == 2 * 4 + 4 * 4 + 4
    # a PNG chunk written before the option existed re-renders as it was made: biases everywhere
    old = nm.PaintConfig(**{k: v for k, v in nm.PaintConfig(size=8).model_dump().items() if k != "bias"})
    assert old.bias == "all"
    with pytest.raises(nm.NeuromosaicError, match="bias: must be one of all, first, none"):
        nm.NetSpec(bias="half")
