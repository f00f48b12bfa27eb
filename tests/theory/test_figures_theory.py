"""The theory figures draw what they are given (headless)."""

import numpy as np

from neuromosaic.figures import theory as F
from neuromosaic.theory import phase


def test_plot_phase_draws_the_edge_points_and_thumbnails():
    diagram = phase.phase_diagram("tanh", sigma_w=np.geomspace(0.2, 10, 6),
                                      sigma_b=np.array([0.0, 1.0]))
    points = phase.init_points(["default", "normal:1"])
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


def test_trajectory_figure_draws_the_measured_and_predicted_growth_and_the_lengths():
    g = {"relu": {"sigma_w": np.array([1.0, 2.0]), "measured": np.array([0.7, 1.4]),
                  "predicted": np.array([0.707, 1.414])}}
    lengths = np.vstack([np.geomspace(1, 100, 17), np.geomspace(1, 90, 17)])
    dw = {"widths": np.array([16, 32]), "lengths": lengths}
    fig = F.trajectory_figure(g, dw, title="t")
    growth_ax, length_ax = fig.axes
    line = growth_ax.get_lines()[0]
    np.testing.assert_array_equal(line.get_xdata(), [1.0, 2.0])
    np.testing.assert_array_equal(line.get_ydata(), [0.707, 1.414])  # mean field's √χ1
    np.testing.assert_array_equal(growth_ax.collections[0].get_offsets(), [[1.0, 0.7], [2.0, 1.4]])
    drawn = [ln for ln in length_ax.get_lines()]
    assert [ln.get_label() for ln in drawn] == ["width 16", "width 32"]
    np.testing.assert_array_equal(drawn[1].get_ydata(), lengths[1])
    # the article's comparison is ringed: 8 layers × 32 and 16 layers × 16
    rings = {tuple(c.get_offsets()[0]) for c in length_ax.collections}
    assert rings == {(8.0, lengths[1, 8]), (16.0, lengths[0, 16])}
    assert fig.get_suptitle() == "t"
