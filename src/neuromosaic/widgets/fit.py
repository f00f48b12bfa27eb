"""``Fit(...)``: the lab's Fit panel — play / pause / step / reset training, the surface or
decision map with its exact regions forming live, the losses beside.

The panel speaks the lab's Fit socket protocol (``lab/routes_fit.py``); here the socket is the
widget's messages and the kernel answers with the lab's own :class:`~neuromosaic.lab.routes_fit.Session`
(``Trainer`` steps, each frame's grid, regions and decision boundary). Playing trains in a
background thread, so the kernel keeps answering (a pause, a step) while it runs.
"""

from __future__ import annotations

import copy
import threading
import time
from urllib.parse import urlencode

from ..errors import NeuromosaicError, SpecError, one_line
from ..fitting.config import FitConfig
from ..lab.compute import Limits
from ..lab.routes_fit import (
    COMMANDS,
    MAX_STEPS_PER_FRAME,
    MIN_FRAME_SECONDS,
    Session,
    checked_config,
    data_message,
    frame,
)
from ..values import load_json
from .base import LabWidget, number


class Fit(LabWidget):
    """Train a small net on a 2-D target or data set, live, as the lab's Fit panel does.

    Arguments (the panel's controls): ``target`` (a named target, an expression in ``x1, x2``,
    or a data set for ``task="classification"``), ``task``, ``hidden`` (equal widths, e.g.
    ``(8, 8)``), ``activation``, ``lr``, ``batch_size`` (``None``: the whole set), ``steps``,
    ``n_train``, ``noise``, ``seed``, ``speed`` (optimiser steps per frame); ``limits``: the
    lab's caps.

    ``w.net`` is a copy of the net as trained so far (training goes on in the widget), ``w.value``
    the :class:`~neuromosaic.fitting.FitConfig` being trained, ``w.metrics`` and ``w.history``
    the trainer's, ``w.regions`` the net's exact regions (``None`` for a smooth activation or the
    surface task) and ``w.result`` a :class:`~neuromosaic.FitResult` of the current state.
    ``w.step(n)``, ``w.reset()``, ``w.play()`` and ``w.pause()`` do what the panel's buttons do.
    """

    def __init__(self, target: str = "paraboloid", *, task: str = "regression", hidden=(8, 8),
                 activation: str = "relu", lr: float = 0.01, batch_size: int | None = None,
                 steps: int = 5000, n_train: int = 500, noise: float = 0.0, seed: int = 0,
                 speed: int = 5, limits=None):
        hidden = tuple(int(h) for h in hidden)
        if not hidden or len(set(hidden)) > 1:
            raise SpecError(f"hidden: the Fit panel trains equal widths, e.g. (8, 8); got {list(hidden)}")
        if not 1 <= int(speed) <= MAX_STEPS_PER_FRAME:
            raise SpecError(f"speed must be in 1..{MAX_STEPS_PER_FRAME}, got {speed}")
        query = {"task": task, "target": target, "noise": number(noise), "layers": len(hidden),
                 "units": hidden[0], "activation": activation, "lr": number(lr),
                 "batch": batch_size or 0, "steps": steps, "n_train": n_train, "seed": seed,
                 "speed": int(speed)}
        # the run starts here, with the FitConfig fields the panel sends for these controls
        # (fit.js's config()), so the page's first config finds it and shows it as it is
        limits = limits or Limits()
        session = Session(limits)
        session.configure({"target": target, "task": task, "noise": noise, "activation": activation,
                           "hidden": list(hidden), "lr": lr, "batch_size": batch_size or None,
                           "steps": steps, "n_train": n_train, "n_test": max(100, (n_train + 1) // 2),
                           "seed": seed})
        super().__init__(panel="fit", query=urlencode(query), limits=limits)
        self._session = session
        session.steps_per_frame = int(speed)
        self._lock = threading.Lock()      # one trainer operation at a time
        self._play = threading.Condition()  # guards _playing and _player
        self._playing = False
        self._player: threading.Thread | None = None

    # -- the socket protocol (lab/routes_fit.py's module docstring) ----------------------------
    def on_socket(self, text) -> None:
        try:
            msg = load_json(text if isinstance(text, str) else "", what="the message")
            if not isinstance(msg, dict) or not isinstance(msg.get("type"), str):
                raise NeuromosaicError('each message must be a JSON object with a "type"')
            self._command(msg)
        except NeuromosaicError as exc:
            self._error(one_line(exc))
        except Exception as exc:  # a bug must not break the panel; it is reported, not hidden
            self._error(f"internal error: {type(exc).__name__}: {one_line(exc)}")

    def _command(self, msg: dict) -> None:
        kind, session = msg["type"], self._session
        if kind not in COMMANDS:
            return self._error(f"unknown message type {kind!r}; allowed: {', '.join(COMMANDS)}")
        if kind == "speed":
            steps = msg.get("steps")
            if not (isinstance(steps, int) and 1 <= steps <= MAX_STEPS_PER_FRAME):
                return self._error(f"steps must be an integer in 1..{MAX_STEPS_PER_FRAME}, got {steps!r}")
            session.steps_per_frame = steps
            return None
        if kind == "config":
            fields = msg.get("config")
            if not isinstance(fields, dict):
                return self._error("config must be an object of FitConfig fields")
            self.pause()
            with self._lock:
                trainer = session.trainer
                if trainer is not None and checked_config(fields, self.limits) == trainer.config:
                    replies = [data_message(trainer), frame(trainer)]  # a new view of the same run
                else:
                    replies = session.configure(fields)
            return self._send_all(replies)
        if session.trainer is None:
            return self._error(f"send a config before {kind!r}")
        if kind == "play":
            return self.play()
        if kind == "pause":
            return self.pause()
        if kind == "reset":
            return self.reset()
        n = msg.get("n", 1)
        if not (isinstance(n, int) and 1 <= n <= MAX_STEPS_PER_FRAME):
            return self._error(f"n must be an integer in 1..{MAX_STEPS_PER_FRAME}, got {n!r}")
        return self.step(n)

    def _error(self, detail: str) -> None:
        self.error = detail
        self.send_socket({"type": "error", "detail": detail})

    def _send_all(self, replies: list[dict]) -> None:
        for reply in replies:
            self.send_socket(reply)

    # -- training, from the page or from Python ------------------------------------------------
    def step(self, n: int = 1) -> None:
        """Pause and train ``n`` optimiser steps; the page shows the new frame."""
        self.pause()
        with self._lock:
            replies = self._session.advance(n)
        self._send_all(replies)

    def reset(self) -> None:
        """Pause and go back to step 0 with the same initial weights."""
        self.pause()
        with self._lock:
            replies = self._session.reset()
        self._send_all(replies)

    def play(self) -> None:
        """Train in the background, a frame every ``speed`` steps, until paused or done."""
        with self._play:
            self._playing = True
            if self._player is None:
                self._player = threading.Thread(target=self._run, name="neuromosaic-fit", daemon=True)
                self._player.start()

    def pause(self) -> None:
        """Stop playing; returns once the frame being trained is sent."""
        with self._play:
            self._playing = False
            player = self._player
        if player is not None and player is not threading.current_thread():
            player.join()

    def _run(self) -> None:
        try:
            while True:
                with self._play:
                    trainer = self._session.trainer
                    if not self._playing or trainer is None or trainer.done:
                        return
                started = time.perf_counter()
                with self._lock:
                    replies = self._session.advance(self._session.steps_per_frame)
                self._send_all(replies)
                time.sleep(max(0.0, MIN_FRAME_SECONDS - (time.perf_counter() - started)))
        except Exception as exc:  # reported to the page; playing stops
            self._error(f"{type(exc).__name__}: {one_line(exc)}")
        finally:
            with self._play:
                self._playing, self._player = False, None

    def close(self) -> None:
        if hasattr(self, "_play"):  # not when __init__ refused its arguments
            self.pause()
        super().close()

    # -- state ---------------------------------------------------------------------------------
    def _trainer(self):
        return self._session.trainer

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def value(self) -> FitConfig | None:
        trainer = self._trainer()
        return None if trainer is None else trainer.config

    @property
    def net(self):
        """A copy of the net as trained so far (``None`` before the page sent its config)."""
        with self._lock:
            trainer = self._trainer()
            return None if trainer is None else copy.deepcopy(trainer.net)

    @property
    def metrics(self) -> dict | None:
        with self._lock:
            trainer = self._trainer()
            return None if trainer is None else trainer.metrics()

    @property
    def history(self) -> dict | None:
        with self._lock:
            trainer = self._trainer()
            return None if trainer is None else {k: list(v) for k, v in trainer.history.items()}

    @property
    def regions(self):
        """``nm.linear_regions(w.net, domain=…)`` of the net now (``None`` where the lab draws none:
        a smooth activation or the surface task)."""
        from ..regions import linear_regions
        from ..spec import PIECEWISE_LINEAR

        cfg = self.value
        if cfg is None or cfg.activation not in PIECEWISE_LINEAR or cfg.task == "surface":
            return None
        return linear_regions(self.net, domain=cfg.domain)

    @property
    def result(self):
        """A :class:`~neuromosaic.FitResult` of the current state (its own copy of the net)."""
        from ..fitting.train import result_of

        with self._lock:
            trainer = self._trainer()
            if trainer is None:
                return None
            result = result_of(trainer)
            result.net = copy.deepcopy(result.net)
            return result
