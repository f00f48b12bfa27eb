"""Fit panel: train a small net live over a WebSocket (``/api/fit/ws``), or to the end (``POST /api/fit``).

WebSocket protocol (JSON messages). The page sends ``{"type": "config", "config": {FitConfig
fields}}``, then ``play``, ``pause``, ``{"type": "step", "n": 10}``, ``reset`` (back to step 0,
same initial weights), ``{"type": "speed", "steps": 5}`` (optimiser steps per update). The server
answers ``data`` (the training points, once per config), ``frame`` (metrics, loss history, the
net on a grid, its linear regions) after each advance, and ``error`` with a one-line ``detail``.
Training runs in the lab's thread pool; the event loop only relays messages.
"""

from __future__ import annotations

import asyncio
import math
import time

import numpy as np
from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect

from ..errors import NeuromosaicError, TooLargeError, one_line
from ..fitting import FitConfig, Trainer
from ..fitting.targets import DATASETS, NAMED_TARGETS
from ..fitting.train import fit
from ..regions import linear_regions
from ..spec import ACTIVATIONS, PIECEWISE_LINEAR
from ..values import load_json
from .compute import ComputeTimeout, Limits, cancel_point, check_cap

router = APIRouter(tags=["fit"])

GRID = 48               # the prediction grid sent with every frame (GRID × GRID values)
MAX_FRAME_REGIONS = 4000
MIN_FRAME_SECONDS = 1 / 30  # at most 30 frames a second: faster only floods the page
MAX_STEPS_PER_FRAME = 500
MAX_POINTS_SENT = 1000
COMMANDS = ("config", "play", "pause", "step", "reset", "speed")


def checked_config(fields: dict, limits: Limits) -> FitConfig:
    """``FitConfig(**fields)`` (its own validation) plus the lab's caps (→ 413)."""
    cfg = FitConfig(**fields)
    check_cap("the network's hidden units", sum(cfg.hidden), limits.max_fit_units)
    check_cap("the training and test points", cfg.n_train + cfg.n_test, limits.max_fit_points)
    check_cap("the training steps", cfg.total_steps, limits.max_fit_steps)
    return cfg


def _round(values: np.ndarray, digits: int = 5) -> list:
    return np.round(np.nan_to_num(values, nan=0.0, posinf=1e30, neginf=-1e30), digits).tolist()


def regions_of(trainer: Trainer) -> dict | None:
    """The trained net's exact regions over the domain, or ``None`` where they are not defined
    (a smooth activation, the 3-input surface task) or too many to draw live."""
    return regions_of_net(trainer.net, trainer.config)


def regions_of_net(net, cfg: FitConfig) -> dict | None:
    """See :func:`regions_of`."""
    if cfg.activation not in PIECEWISE_LINEAR or cfg.task == "surface":
        return None
    try:
        reg = linear_regions(net, domain=cfg.domain, max_regions=MAX_FRAME_REGIONS, workers=1,
                             progress=cancel_point)
    except TooLargeError:
        return {"count": None, "note": f"over {MAX_FRAME_REGIONS} regions: not drawn live"}
    answer = reg.to_dict(polygons="flat", digits=6, output=0)
    answer["domain"] = list(cfg.domain)
    return answer


def frame(trainer: Trainer) -> dict:
    """What the page draws after an advance: metrics, history, the grid and the regions."""
    metrics = {k: (v if not isinstance(v, float) or math.isfinite(v) else None)
               for k, v in trainer.metrics().items()}
    history = {k: _round(np.asarray(v, dtype=float), 6) for k, v in trainer.history.items()}
    return {"type": "frame", "metrics": metrics, "metric": trainer.metric_name, "history": history,
            "grid": {"n": GRID, "domain": list(trainer.config.domain),
                     "values": _round(trainer.predict_grid(GRID).ravel(), 4)},
            "regions": regions_of(trainer), "classes": trainer.classes,
            "decision": decision_of(trainer)}


def decision_of(trainer: Trainer) -> dict | None:
    """A multiclass classifier's exact decision boundary: ``{"segments": [[x0, y0, x1, y1], …],
    "count": class regions}`` (None for two classes, a smooth activation or too many pieces)."""
    if trainer.classes <= 2:
        return None
    from ..fitting.views import exact_decision

    dec = exact_decision(trainer.net, trainer.config, progress=cancel_point)
    if dec is None:
        return None
    segments = np.asarray(dec.boundary, dtype=float).reshape(-1, 4)
    return {"segments": _round(segments, 5), "count": int(dec.count)}


def data_message(trainer: Trainer) -> dict:
    """The training points (at most ``MAX_POINTS_SENT``): x1, x2 and the label or target."""
    x, y = trainer.x_train[:MAX_POINTS_SENT], trainer.y_train[:MAX_POINTS_SENT]
    return {"type": "data", "task": trainer.config.task, "x": _round(x[:, :2].numpy(), 4),
            "y": _round(y.numpy(), 4), "domain": list(trainer.config.domain)}


class Session:
    """One page's training run; every method runs in the thread pool, one at a time."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.trainer: Trainer | None = None
        self.steps_per_frame = 5

    def configure(self, fields: dict) -> list[dict]:
        self.trainer = Trainer(checked_config(fields, self.limits))
        return [data_message(self.trainer), frame(self.trainer)]

    def reset(self) -> list[dict]:
        self.trainer.reset()
        return [frame(self.trainer)]

    def advance(self, n: int) -> list[dict]:
        self.trainer.step(n)
        return [frame(self.trainer)]


MAX_MESSAGE_BYTES = 64 * 1024


async def _next_message(ws: WebSocket) -> dict:
    """The next message as a dict: JSON text, at most ``MAX_MESSAGE_BYTES`` and nested at most
    64 deep; anything else is a one-line ``NeuromosaicError`` (the socket stays open)."""
    message = await ws.receive()
    if message["type"] == "websocket.disconnect":
        raise WebSocketDisconnect(message.get("code", 1000))
    text = message.get("text")
    if text is None:
        raise NeuromosaicError("messages must be JSON text frames, got a binary frame")
    if len(text) > MAX_MESSAGE_BYTES:
        raise NeuromosaicError(f"a message may be at most {MAX_MESSAGE_BYTES:,} bytes, got {len(text):,}")
    msg = load_json(text, what="the message")
    if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
        raise NeuromosaicError('each message must be a JSON object with a "type"')
    return msg


@router.websocket("/api/fit/ws")
async def fit_ws(ws: WebSocket) -> None:
    """Live training: see the module docstring for the protocol."""
    lab = ws.app.state.lab
    session = Session(lab.limits)
    await ws.accept()
    if lab.fit_sockets >= lab.limits.max_fit_sockets:
        await ws.send_json({"type": "error", "detail": f"the lab already serves {lab.fit_sockets} "
                                                       "live fits; close one or try again later"})
        await ws.close(code=1013)  # "try again later"
        return
    lab.fit_sockets += 1
    try:
        await _serve(ws, lab, session)
    finally:
        lab.fit_sockets -= 1


async def _serve(ws: WebSocket, lab, session: Session) -> None:
    playing = False
    reader = asyncio.ensure_future(_next_message(ws))
    work: asyncio.Future | None = None
    last_sent = 0.0
    try:
        while True:
            if playing and work is None and session.trainer is not None and not session.trainer.done:
                wait = MIN_FRAME_SECONDS - (time.perf_counter() - last_sent)
                if wait > 0:
                    await asyncio.sleep(wait)
                work = asyncio.ensure_future(lab.runner.run(session.advance, session.steps_per_frame))
            pending = {reader} | ({work} if work is not None else set())
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            if work is not None and work in done:
                replies, work = await _settle(work), None
                playing = playing and replies is not None and not session.trainer.done
                last_sent = await _send(ws, replies)
            if reader in done:
                try:
                    msg = reader.result()
                except WebSocketDisconnect:
                    break
                except (NeuromosaicError, ValueError, KeyError) as exc:  # not JSON text, or no "type"
                    msg = {"type": "invalid", "detail": one_line(exc)}
                reader = asyncio.ensure_future(_next_message(ws))
                if work is not None:  # finish the running advance before touching the trainer
                    await _send(ws, await _settle(work))
                    work = None
                playing = await _command(ws, lab, session, msg, playing)
    finally:
        reader.cancel()
        if work is not None:
            work.cancel()


async def _settle(work: asyncio.Future) -> list[dict] | None:
    try:
        return await work
    except (NeuromosaicError, ComputeTimeout) as exc:
        return [{"type": "error", "detail": one_line(exc)}]
    except Exception as exc:  # a bug must not kill the page's socket; it is reported, not hidden
        return [{"type": "error", "detail": f"internal error: {type(exc).__name__}: {one_line(exc)}"}]


async def _send(ws: WebSocket, replies: list[dict] | None) -> float:
    for reply in replies or []:
        await ws.send_json(reply)
    return time.perf_counter()


async def _command(ws: WebSocket, lab, session: Session, msg: dict, playing: bool) -> bool:
    """Apply one message; the new value of ``playing``."""
    kind = msg["type"]
    run = lab.runner.run
    if kind == "invalid":
        await _send(ws, [{"type": "error", "detail": msg["detail"]}])
    elif kind not in COMMANDS:
        await _send(ws, [{"type": "error", "detail": f"unknown message type {kind!r}; allowed: "
                                                     f"{', '.join(COMMANDS)}"}])
    elif kind == "config":
        fields = msg.get("config")
        if not isinstance(fields, dict):
            await _send(ws, [{"type": "error", "detail": 'config must be an object of FitConfig fields'}])
            return False
        replies = await _settle(asyncio.ensure_future(run(session.configure, fields)))
        await _send(ws, replies)
        return False
    elif kind == "speed":
        steps = msg.get("steps")
        if isinstance(steps, int) and 1 <= steps <= MAX_STEPS_PER_FRAME:
            session.steps_per_frame = steps
        else:
            await _send(ws, [{"type": "error", "detail": f"steps must be an integer in 1..{MAX_STEPS_PER_FRAME}, got {steps!r}"}])
    elif session.trainer is None:
        await _send(ws, [{"type": "error", "detail": f"send a config before {kind!r}"}])
    elif kind == "play":
        return not session.trainer.done
    elif kind == "pause":
        return False
    elif kind == "reset":
        await _send(ws, await _settle(asyncio.ensure_future(run(session.reset))))
        return False
    elif kind == "step":
        n = msg.get("n", 1)
        if not (isinstance(n, int) and 1 <= n <= MAX_STEPS_PER_FRAME):
            await _send(ws, [{"type": "error", "detail": f"n must be an integer in 1..{MAX_STEPS_PER_FRAME}, got {n!r}"}])
        else:
            await _send(ws, await _settle(asyncio.ensure_future(run(session.advance, n))))
        return False
    return playing


def _fit_to_end(cfg: FitConfig) -> dict:
    """``nm.fit`` itself (restarts included); its progress points are the cancel points."""
    result = fit(progress=lambda _metrics: cancel_point(), **cfg.model_dump())
    metrics = {k: _finite(v[-1]) for k, v in result.history.items()}
    metrics.update(total_steps=cfg.total_steps, done=True, stopped_early=result.stopped_early,
                   baseline=result.baseline, degenerate=result.degenerate)
    history = {k: _round(np.asarray(v, dtype=float), 6) for k, v in result.history.items()}
    reg = regions_of_net(result.net, cfg)
    return {"metrics": metrics, "metric": "test_rmse" if result.test_accuracy is None else "test_accuracy",
            "history": history, "regions": None if reg is None else reg["count"],
            "verdict": result.verdict}


def _finite(v):
    return v if not isinstance(v, float) or math.isfinite(v) else None


@router.get("/api/fit/options")
async def fit_options() -> dict:
    """Named targets (with their expressions), data sets, activations and FitConfig's defaults."""
    return {"targets": dict(NAMED_TARGETS), "datasets": list(DATASETS), "activations": sorted(ACTIVATIONS),
            "piecewise_linear": sorted(PIECEWISE_LINEAR), "defaults": FitConfig().model_dump(mode="json")}


@router.post("/api/fit")
async def fit_run(request: Request, config: FitConfig) -> dict:
    """``nm.fit(**config)`` to the end (no streaming; the task's restarts included): final
    metrics (with the constant baseline and whether the run is no better), the kept run's loss
    history and the trained net's region count. The live panel uses ``/api/fit/ws`` instead.

    Example body: ``{"target": "x1**2 + x2**2 + 3", "hidden": [6], "steps": 500}``.
    """
    lab = request.app.state.lab
    cfg = checked_config(config.model_dump(), lab.limits)  # FitConfig's own cross-field checks
    return await lab.runner.run(_fit_to_end, cfg)

