"""The theory figures draw what they are given (headless)."""

import numpy as np
from matplotlib.figure import Figure

from neuromosaic.figures import theory as F
from neuromosaic.theory import meanfield


def test_plot_phase_draws_the_edge_points_and_thumbnails():
    diagram = meanfield.phase_diagram("tanh", sigma_w=np.geomspace(0.2, 10, 6),
                                      sigma_b=np.array([0.0, 1.0]))
    points = meanfield.init_points(["default", "normal:1"])
    thumbs = np.zeros((1, 2, 8, 8, 3), np.uint8)
    drawn = F.plot_phase(diagram, points=points, renders=thumbs, render_sigma_w=[0.5, 4.0],
                         render_sigma_b=[0.0])
    assert len(drawn["points"]) == 2 and len(drawn["thumbs"]) == 2
    x, y = drawn["edge"][0].get_data()
    assert x[0] == diagram["critical_sigma_w"][0] and y[-1] == 1.0


def test_plot_density_fit_line_is_c_T_squared():
    data = {"depth": np.array([1, 2]), "width": np.array([8, 8]), "T": np.array([8, 16]),
            "counts": np.array([[30.0], [100.0]])}
    drawn = F.plot_density(data, 0.4, bounds={"b": (np.array([8, 16]), [37, 1369])})
    t, v = drawn["fit"][0].get_data()
    np.testing.assert_allclose(v, 0.4 * t**2)
    assert len(drawn["points"]) == 2 and len(drawn["bounds"]) == 1


def test_figures_are_figures():
    g = {"relu": {"sigma_w": np.array([1.0, 2.0]), "measured": np.array([0.7, 1.4]),
                  "predicted": np.array([0.707, 1.414])}}
    dw = {"widths": np.array([16, 32]), "lengths": np.ones((2, 17))}
    assert isinstance(F.trajectory_figure(g, dw), Figure)
