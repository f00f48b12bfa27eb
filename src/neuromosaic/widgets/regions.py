"""``Regions(net, domain)``: the lab's Regions panel — the exact partition with hover (each
region's activation pattern per layer and affine map), the count beside the theory's bounds,
and the 3-D surface.

``POST /api/regions`` is answered by the lab's ``regions_answer`` itself. A net given from
Python reaches it as the lab's ``.npz`` upload (``W0, b0, …``: Linear layers and one
piecewise-linear activation), so the kernel cuts it through the very path the lab's upload takes.
"""

from __future__ import annotations

import base64
import tempfile
from pathlib import Path

from torch import nn

from ..errors import SpecError
from ..lab.models import RegionsRequest
from ..spec import NetSpec
from .base import LabWidget, number

PANEL_DEFAULTS = {"widths": "16,16", "activation": "relu", "init": "default", "seed": "0",
                  "domain": "-1,1,-1,1"}  # regions.js's DEFAULTS
KERNEL_NET = "the notebook's net"


def npz_base64(net: nn.Module) -> str:
    """``net`` as the lab's ``.npz`` upload (written by ``nm.save``), base64."""
    from ..io.nets import save

    with tempfile.TemporaryDirectory() as tmp:
        path = save(Path(tmp) / "net.npz", net)
        return base64.b64encode(path.read_bytes()).decode()


def _spec_query(spec: NetSpec) -> dict[str, str] | None:
    """The panel's controls for ``spec``, or ``None`` when they cannot describe it (the panel
    builds 2 → widths → 1 nets, identity output, all biases, PyTorch's bias init)."""
    if (spec.inputs, spec.outputs, spec.out_activation, spec.bias, spec.bias_init) != (2, 1, "identity", "all", None):
        return None
    return {"widths": ",".join(map(str, spec.widths)), "activation": spec.activation,
            "init": spec.init, "seed": str(spec.seed)}


class Regions(LabWidget):
    """The exact linear regions of a 2-input piecewise-linear net over a rectangle, live.

    ``net``: an ``nn.Module`` (an MLP of ``Linear`` layers and one piecewise-linear activation,
    what the lab's ``.npz`` upload holds) or a :class:`~neuromosaic.spec.NetSpec`
    (``inputs=2``); ``None`` starts from the panel's controls (widths, activation, init, seed).
    ``domain``: ``(x0, x1, y0, y1)``. ``limits``: the lab's caps.

    ``w.net`` is the net drawn (the one given, until the panel's controls describe another),
    ``w.domain`` the rectangle, ``w.regions`` their :class:`~neuromosaic.Regions`
    (``nm.linear_regions(w.net, domain=w.domain)``), ``w.value`` the lab's request body that
    draws the same picture (``POST /api/regions``).
    """

    def __init__(self, net: nn.Module | NetSpec | None = None, domain=(-1.0, 1.0, -1.0, 1.0), *,
                 limits=None):
        domain = [float(v) for v in domain]
        query, body, upload = {"domain": ",".join(map(number, domain))}, {"domain": domain}, None
        if isinstance(net, NetSpec):
            controls = _spec_query(net)
            if controls is None:
                net = net.build()
            else:
                query.update(controls)
                body.update(widths=list(net.widths), activation=net.activation, init=net.init, seed=net.seed)
                net = None
        if net is not None:
            if not isinstance(net, nn.Module):
                raise SpecError(f"net must be a torch.nn.Module or a NetSpec, got {type(net).__name__}")
            try:
                upload = {"name": KERNEL_NET, "base64": npz_base64(net)}
            except SpecError as exc:
                raise SpecError(f"the Regions widget shows an MLP as the lab's .npz upload holds it "
                                f"({exc}); nm.linear_regions(net, domain=…).plot() draws any net") from None
            body["weights"] = upload["base64"]
        query = {k: v for k, v in query.items() if PANEL_DEFAULTS.get(k) != v}
        super().__init__(panel="regions", query="&".join(f"{k}={v}" for k, v in query.items()),
                         upload=upload, limits=limits)
        self._given = net
        self._request = RegionsRequest(**body)  # what the page shows (once it has asked)
        self._cache: dict = {}

    def routes(self):
        return {**super().routes(), ("POST", "/api/regions"): self._regions}

    def _regions(self, body: dict) -> tuple[str, bytes]:
        from ..lab.routes_regions import regions_answer

        request = RegionsRequest(**body)
        answer = regions_answer(request, self.limits)
        if request != self._request:
            self._request, self._cache = request, {}
        return "application/json", answer

    @property
    def value(self) -> dict:
        return self._request.model_dump(exclude_none=True)

    @property
    def domain(self) -> tuple[float, float, float, float]:
        return tuple(self._request.domain)

    @property
    def net(self) -> nn.Module:
        """The network the page shows: the net given, or the one the panel's controls build."""
        request = self._request
        if self._given is not None and request.weights == self.upload["base64"]:
            return self._given
        if "net" not in self._cache:
            from ..lab.routes_regions import build_net

            self._cache["net"] = build_net(request, self.limits)
        return self._cache["net"]

    @property
    def regions(self):
        """``nm.linear_regions(w.net, domain=w.domain)``: the library's result for the picture."""
        if "regions" not in self._cache:
            from ..regions import linear_regions

            self._cache["regions"] = linear_regions(self.net, domain=self.domain)
        return self._cache["regions"]
