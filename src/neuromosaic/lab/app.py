"""The lab's FastAPI app: one static page, a JSON/PNG API over the library, nothing else.

Errors: a :class:`~neuromosaic.errors.NeuromosaicError` → 422 ``{"detail": "<one line>"}``
(``TooLargeError`` → 413), a malformed request → 422 with one line naming the field, a
computation past its time limit → 503. No endpoint takes a path: the page, its scripts and
plotly.js are served from fixed locations inside the installed packages.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from .. import __version__
from ..errors import NeuromosaicError, TooLargeError, one_line
from .compute import Busy, ComputeTimeout, Limits, Runner
from .guard import Guard

STATIC = Path(__file__).parent / "static"


def _warm_optimizers() -> None:
    """One step of each optimiser the Fit panel uses, on a throw-away parameter: the first step
    of a process imports part of torch (about a second), which would otherwise fall inside the
    first fit request, between two of its check points."""
    import torch

    p = torch.zeros(1, requires_grad=True)
    for opt in (torch.optim.Adam([p]), torch.optim.SGD([p], lr=0.1)):
        p.grad = torch.ones(1)
        opt.step()


def _warm_paint_kernel() -> None:
    """Load the fused paint kernel (Numba's cache) with a 1-pixel picture, so the first preview
    does not wait for it."""
    from ..painting import PaintConfig, render_config

    render_config(PaintConfig(size=1), workers=1)


@dataclass
class LabState:
    limits: Limits
    runner: Runner
    fit_sockets: int = 0  # open /api/fit/ws connections (capped by limits.max_fit_sockets)


def plotly_js() -> Path:
    """plotly.min.js as shipped inside the installed ``plotly`` package (never a CDN)."""
    import plotly

    return Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def request_error_line(exc: RequestValidationError) -> str:
    """One line naming the first bad field of a malformed request: ``layers: <message>``."""
    parts = []
    for err in exc.errors()[:3]:
        loc = [str(p) for p in err.get("loc", ()) if p not in ("query", "body", "path")]
        msg = str(err.get("msg", "invalid value"))
        if msg.startswith("Value error, "):  # our own SpecError raised inside a model's __init__
            msg = msg[len("Value error, "):]
        parts.append(f"{'.'.join(loc)}: {msg}" if loc else msg)
    return one_line("; ".join(parts) or "invalid request")


def create_app(limits: Limits | None = None, *, clock=None, allow_hosts=(),
               port: int | None = None) -> FastAPI:
    """The lab app. ``limits`` sets the caps and the time limit (see :class:`Limits`); ``clock``
    replaces ``time.monotonic`` for the time limits (tests); ``allow_hosts``: ``Host`` names
    accepted beside 127.0.0.1, localhost and [::1]; ``port``: the port the lab serves on (the
    ``Host`` of a loopback name must carry it). See :mod:`.guard`."""
    limits = limits or Limits()
    state = LabState(limits=limits, runner=Runner(limits) if clock is None else Runner(limits, clock))

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from ..regions.cutter import load_kernel
        from ..threads import one_torch_thread

        # the pool runs requests in parallel; nested OpenMP only thrashes
        with one_torch_thread():
            load_kernel()  # the compiled region kernel, now rather than in the first request
            _warm_paint_kernel()  # and the fused paint kernel
            _warm_optimizers()  # torch imports its compiler hooks at the first optimiser step
            yield
            state.runner.close()

    # no /docs or /redoc: FastAPI's pages load Swagger/ReDoc from a CDN, and the lab fetches
    # nothing from the internet; the schema itself is at /openapi.json
    app = FastAPI(title="neuromosaic lab", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="See what a neural network does to its input space. "
                              "Every endpoint calls the neuromosaic library.")
    app.state.lab = state

    @app.exception_handler(NeuromosaicError)
    async def _lib_error(request: Request, exc: NeuromosaicError) -> JSONResponse:
        status = 413 if isinstance(exc, TooLargeError) else 422
        return JSONResponse({"detail": one_line(exc)}, status_code=status)

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": request_error_line(exc)}, status_code=422)

    @app.exception_handler(ComputeTimeout)
    async def _timeout(request: Request, exc: ComputeTimeout) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503)

    @app.exception_handler(Busy)
    async def _busy(request: Request, exc: Busy) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "1"})

    from . import (
        routes_breed,
        routes_digits,
        routes_explain,
        routes_fit,
        routes_glsl,
        routes_paint,
        routes_regions,
        routes_towers,
    )

    for module in (routes_paint, routes_glsl, routes_breed, routes_regions, routes_fit, routes_towers,
                   routes_explain, routes_digits):
        app.include_router(module.router)

    @app.get("/", include_in_schema=False)
    async def index() -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    async def plotly() -> FileResponse:
        return FileResponse(plotly_js(), media_type="text/javascript",
                            headers={"Cache-Control": "public, max-age=86400"})

    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    # outermost: hosts, origins, body caps and security headers for every response (4xx, 5xx too)
    app.add_middleware(Guard, max_bytes=limits.max_upload_bytes, allow_hosts=tuple(allow_hosts),
                       port=port)
    return app
