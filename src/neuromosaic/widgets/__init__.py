"""Jupyter widgets (anywidget): the lab's panels in a notebook cell, computing in the kernel.

They run wherever anywidget does (JupyterLab, Notebook 7, VS Code, Colab) and need
``pip install 'neuromosaic[notebook]'``::

    import neuromosaic as nm
    from neuromosaic import widgets

    p = widgets.Paint(nm.PaintConfig(seed=3))    # p.value (PaintConfig), p.net, p.image
    r = widgets.Regions(net, (-1, 1, -1, 1))     # r.net, r.domain, r.regions (nm.Regions)
    f = widgets.Fit("spiral", task="classification", hidden=(12, 12))   # f.net, f.result
    c = widgets.Canvas(nm.PaintConfig(seed=3))   # c.value: the view as a PaintConfig

The front end is the lab's own JavaScript (``lab/static``, no bundler, see :mod:`.esm`); the
kernel answers its requests with the lab's own functions (see :mod:`.base`). Every widget's
``query`` is the panel's state as the lab's URL query: set it to move the controls from Python.
"""

from .base import LabWidget
from .fit import Fit
from .paint import Canvas, Paint
from .regions import Regions

__all__ = ["Canvas", "Fit", "LabWidget", "Paint", "Regions"]
