"""The lab's outer wall: one ASGI middleware in front of everything else.

- **Host**: a request's ``Host`` must be ``127.0.0.1``, ``localhost`` or ``[::1]`` (with the
  lab's port, when it is known) or a name given by ``--allow-host``; anything else is refused
  with 421. A page on another site that points its own name at 127.0.0.1 (DNS rebinding) sends
  its own name, so it cannot drive the lab.
- **Origin** of a WebSocket: a browser always sends it; it must be the lab's own
  (``http://`` + an allowed host), so a page elsewhere cannot open the Fit socket.
- **Bodies**: read whole before the app sees them, at most ``max_bytes`` (Content-Length or
  chunked alike: 413 past the cap), and JSON bodies nested deeper than ``MAX_JSON_DEPTH`` are
  refused with 422 (Python's parser would recurse on them).
- **Headers**: every response, 4xx and 5xx included, carries the Content-Security-Policy and
  ``nosniff``.
"""

from __future__ import annotations

import json
import logging
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import one_line
from ..values import MAX_JSON_DEPTH, json_depth

logger = logging.getLogger("neuromosaic.lab")

CSP = ("default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'")
SECURITY_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff")]
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")


def one_line_json(status: int, detail: str) -> tuple[int, bytes]:
    return status, json.dumps({"detail": detail}).encode()


class Guard:
    """See the module docstring. ``allow_hosts``: extra ``Host`` names (no port) to accept;
    ``port``: the lab's port (None accepts any port with a loopback name)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, allow_hosts=(), port: int | None = None):
        self.app, self.max_bytes, self.port = app, max_bytes, port
        self.names = {n.lower() for n in (*LOOPBACK_NAMES, *allow_hosts)}

    # -- hosts ---------------------------------------------------------------------------------
    def host_ok(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.strip().lower()
        name, port = host, None
        m = re.fullmatch(r"(\[[^\]]*\]|[^:]*)(?::(\d+))?", host)
        if m:
            name, port = m.group(1), m.group(2)
        if name not in self.names:
            return False
        return self.port is None or port is None or int(port) == self.port or name not in LOOPBACK_NAMES

    def origin_ok(self, origin: str | None) -> bool:
        if origin is None:  # not a browser: no page of another site is involved
            return True
        m = re.fullmatch(r"https?://(.+)", origin.strip().lower())
        return bool(m) and self.host_ok(m.group(1))

    # -- ASGI ----------------------------------------------------------------------------------
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            return await self.app(scope, receive, send)
        headers = {k.lower(): v.decode("latin-1") for k, v in scope.get("headers") or []}
        if not self.host_ok(headers.get(b"host")):
            if scope["type"] == "websocket":
                return await send({"type": "websocket.close", "code": 1008})
            return await self._answer(send, *one_line_json(
                421, f"Host {headers.get(b'host')!r} is not this lab's (127.0.0.1, localhost or "
                     "[::1]; others need --allow-host NAME)"))
        if scope["type"] == "websocket":
            if not self.origin_ok(headers.get(b"origin")):
                return await send({"type": "websocket.close", "code": 1008})
            return await self.app(scope, receive, send)

        body, error = await self._read_body(receive, headers)
        if error is not None:
            return await self._answer(send, *error)
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # the client's disconnect, if any

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if started:  # a second start (an error page after a response began) is dropped
                    return
                started = True
                names = {k.lower() for k, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in SECURITY_HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        try:
            await self.app(scope, replay, send_with_headers)
        except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, our headers
            logger.error("%s %s: %s", scope.get("method"), scope.get("path"), one_line(exc))
            if not started:
                await self._answer(send, *one_line_json(
                    500, f"internal error ({type(exc).__name__}); the lab's log has the request"))

    async def _read_body(self, receive: Receive, headers: dict) -> tuple[bytes, tuple | None]:
        too_big = one_line_json(413, f"the request body is over the lab's cap of {self.max_bytes:,} bytes")
        length = headers.get(b"content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > self.max_bytes):
            return b"", too_big if length.strip().isdigit() else one_line_json(
                400, f"Content-Length must be a number of bytes, got {length!r}")
        chunks, seen = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > self.max_bytes:
                return b"", too_big
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if body and "json" in headers.get(b"content-type", "") and json_depth(body) > MAX_JSON_DEPTH:
            return b"", one_line_json(422, f"the JSON body is nested deeper than {MAX_JSON_DEPTH} levels")
        return body, None

    async def _answer(self, send: Send, status: int, body: bytes) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", b"application/json"),
                                (b"content-length", str(len(body)).encode()), *SECURITY_HEADERS]})
        await send({"type": "http.response.body", "body": body})
