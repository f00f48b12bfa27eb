"""The kernel side every widget shares: the lab's HTTP routes, answered over widget messages.

A panel in a widget asks for ``GET /api/paint.png?…`` or ``POST /api/regions`` exactly as in the
lab; the front end (:mod:`.esm`) sends the request as a custom message ``{"kind": "request",
"id", "method", "url", "body"}`` and :class:`LabWidget` answers ``{"kind": "response", "id",
"status", "type"}`` with the body as a binary buffer. Each route calls the function the lab's
endpoint calls, under the same :class:`~neuromosaic.lab.compute.Limits` (413 past a cap, 422
with one line for a bad value), so nothing is computed a second way here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

try:
    import anywidget
    import traitlets
except ImportError:  # pragma: no cover - the message is the point
    raise ImportError("neuromosaic.widgets needs anywidget: pip install 'neuromosaic[notebook]'") from None

from pydantic import ValidationError

from ..errors import NeuromosaicError, TooLargeError, one_line
from ..lab.compute import Limits
from ..spec import validation_message
from ..values import load_json
from .esm import widget_esm

JSON = "application/json"
Route = Callable[[dict], "tuple[str, bytes] | dict"]


def _coroutine_value(coro):
    """The value of a coroutine that returns without waiting (the lab's option endpoints only
    build a dict): the kernel's event loop is running, so ``asyncio.run`` cannot be used."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    coro.close()
    raise RuntimeError("the lab endpoint waited for something; a widget cannot answer it")


def _paint_options(_params: dict) -> dict:
    from ..lab.routes_paint import paint_options

    return _coroutine_value(paint_options())


def _fit_options(_params: dict) -> dict:
    from ..lab.routes_fit import fit_options

    return _coroutine_value(fit_options())


def _plotly(_params: dict) -> tuple[str, bytes]:
    from ..lab.app import plotly_js

    return "text/javascript", plotly_js().read_bytes()


class LabWidget(anywidget.AnyWidget):
    """One of the lab's panels in a notebook cell, computing in this kernel.

    Traits (synced with the page): ``panel`` (which panel), ``query`` (the panel's state as the
    lab's URL query, e.g. ``"seed=3&layers=12"``: set it to move the controls from Python),
    ``upload`` (a net for the Regions panel, as the lab's ``.npz`` upload) and ``error`` (the
    last request's one-line error, ``""`` after a success).
    """

    _esm = widget_esm()
    panel = traitlets.Unicode("paint").tag(sync=True)
    query = traitlets.Unicode("").tag(sync=True)
    upload = traitlets.Dict(allow_none=True, default_value=None).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)

    def __init__(self, *, limits: Limits | None = None, **traits):
        super().__init__(**traits)
        self.limits = limits or Limits()
        self.on_msg(self._on_message)

    # -- routes --------------------------------------------------------------------------------
    def routes(self) -> dict[tuple[str, str], Route]:
        """``(method, path) → route``; a route takes the query parameters (GET) or the JSON
        body (POST) and returns a dict (sent as JSON) or ``(content type, bytes)``."""
        return {("GET", "/api/paint/options"): _paint_options,
                ("GET", "/api/fit/options"): _fit_options,
                ("GET", "/vendor/plotly.min.js"): _plotly}

    def answer(self, method: str, url: str, body: str | None = None) -> tuple[int, str, bytes]:
        """``(status, content type, body)`` of one request, as the lab would answer it."""
        parts = urlsplit(url)
        route = self.routes().get((method, parts.path))
        if route is None:
            return self._fail(404, f"no route {method} {parts.path}")
        try:
            if method == "GET":
                fields = dict(parse_qsl(parts.query, keep_blank_values=True))
            else:
                cap = self.limits.max_upload_bytes * 4 // 3 + 4096  # base64 of an upload, and JSON
                if len(body or "") > cap:
                    raise TooLargeError(f"the request body ({len(body):,} bytes) is over the cap of {cap:,}")
                fields = load_json(body or "{}", what="the request body")
                if not isinstance(fields, dict):
                    raise NeuromosaicError("the request body must be a JSON object")
            result = route(fields)
        except TooLargeError as exc:
            return self._fail(413, one_line(exc))
        except NeuromosaicError as exc:
            return self._fail(422, one_line(exc))
        except ValidationError as exc:
            return self._fail(422, validation_message(exc))
        self.error = ""
        if isinstance(result, dict):
            return 200, JSON, json.dumps(result, separators=(",", ":")).encode()
        content_type, data = result
        return 200, content_type, data

    def _fail(self, status: int, detail: str) -> tuple[int, str, bytes]:
        self.error = detail
        return status, JSON, json.dumps({"detail": detail}).encode()

    # -- messages ------------------------------------------------------------------------------
    def _on_message(self, _widget, content, buffers) -> None:
        if not isinstance(content, dict):
            return
        if content.get("kind") == "request":
            status, content_type, data = self.answer(str(content.get("method", "GET")),
                                                     str(content.get("url", "")), content.get("body"))
            self.send({"kind": "response", "id": content.get("id"), "status": status,
                       "type": content_type}, [data])
        elif content.get("kind") == "socket":
            self.on_socket(content.get("text"))

    def on_socket(self, text) -> None:
        """A message on the panel's socket (the Fit panel's); others have none."""

    def send_socket(self, message: dict) -> None:
        """A message to the panel's socket, as the lab's WebSocket would send it."""
        self.send({"kind": "socket", "text": json.dumps(message, separators=(",", ":"))})

    def params(self) -> dict[str, str]:
        """The ``query`` trait as a dict (the panel's state; defaults left out)."""
        return dict(parse_qsl(self.query, keep_blank_values=True))


def number(v: float) -> str:
    """A number as the panels write it: ``1`` for 1.0, ``0.5`` for 0.5."""
    v = float(v)
    return str(int(v)) if v.is_integer() and abs(v) < 2**53 else repr(v)
