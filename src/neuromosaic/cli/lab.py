"""``neuromosaic lab``: serve the interactive lab on this machine (127.0.0.1 by default)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from ..errors import SpecError

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def lab_cmd(
    host: Annotated[str, typer.Option("--host", help="Address to bind. The default serves only "
                                      "this machine; 0.0.0.0 exposes the lab to the network.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (1-65535).")] = 8000,
    open_browser: Annotated[bool, typer.Option("--open", help="Open the page in a browser.")] = False,
    allow_host: Annotated[list[str] | None, typer.Option(
        "--allow-host", help="Also accept requests whose Host is NAME (repeat for more); by default "
                             "only 127.0.0.1, localhost and [::1] with the lab's port.")] = None,
) -> None:
    """Start the interactive lab: paint, infinite canvas, regions, fit, towers, explain.

    Example: neuromosaic lab --port 8000 --open
    """
    if not 1 <= port <= 65535:
        raise SpecError(f"port must be between 1 and 65535, got {port}")
    if not host.strip():
        raise SpecError("host must be an address such as 127.0.0.1, got ''")
    import uvicorn

    from ..lab import create_app

    if host not in LOOPBACK:
        print(f"warning: binding {host}: the lab is reachable from other machines and has no "
              f"authentication; anyone who can reach port {port} can use this machine's CPU",
              file=sys.stderr)
    url = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    print(f"neuromosaic lab on {url} (Ctrl+C stops it)", file=sys.stderr)
    if open_browser:
        import threading
        import webbrowser

        threading.Timer(1.0, webbrowser.open, args=(url,)).start()
    names = [n.strip().lower() for n in allow_host or []]
    if host not in LOOPBACK and host not in ("0.0.0.0", "::"):
        names.append(host)
    uvicorn.run(create_app(allow_hosts=names, port=port), host=host, port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("lab")(lab_cmd)
