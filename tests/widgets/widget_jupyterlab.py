"""A real JupyterLab for the widget browser test: ``jupyter lab`` in a subprocess on a free
loopback port, a token chosen here, every Jupyter folder inside a temporary one, and nothing
fetched from the internet (no news, no update check, the read-only extension manager). The
test talks to the notebook's kernel beside the browser through the kernel's connection file."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
NO_NEWS = {"fetchNews": "false", "checkForUpdates": False}  # @jupyterlab/apputils-extension:notification


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """``start()`` → the server is answering; ``url(path)``; ``kernel(notebook)``; ``stop()``."""

    def __init__(self, root: Path):
        self.root, self.port, self.token = root, free_port(), secrets.token_hex(16)
        self.home = root / ".jupyter-home"
        self.proc: subprocess.Popen | None = None

    def url(self, path: str = "") -> str:
        sep = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path}{sep}token={self.token}"

    def start(self, timeout: float = 90) -> None:
        settings = self.home / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True)
        (settings / "notification.jupyterlab-settings").write_text(json.dumps(NO_NEWS))
        env = {**os.environ,
               "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
               "JUPYTER_CONFIG_DIR": str(self.home / "config"), "JUPYTER_DATA_DIR": str(self.home / "data"),
               "JUPYTER_RUNTIME_DIR": str(self.home / "runtime"), "IPYTHONDIR": str(self.home / "ipython"),
               "JUPYTER_PLATFORM_DIRS": "1"}
        args = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={self.root}",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                "--LabApp.extension_manager=readonly", "--LabApp.expose_app_in_browser=True",
                f"--LabApp.user_settings_dir={self.home / 'settings'}",
                f"--LabApp.workspaces_dir={self.home / 'workspaces'}", "--ServerApp.terminals_enabled=False"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:  # CI runs as root
            args.append("--allow-root")
        # news off: LabApp.news_url=None has no command-line spelling; a config file has
        config = self.home / "config"
        config.mkdir()
        (config / "jupyter_server_config.json").write_text(json.dumps({"LabApp": {"news_url": None}}))
        self.log = open(self.home / "server.log", "wb")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(args, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.root)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(self.url("api/status"), timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"JupyterLab did not start: {self.server_log()[-3000:]}")
            time.sleep(0.3)

    def server_log(self) -> str:
        return (self.home / "server.log").read_text(errors="replace")

    def kernel_ids(self) -> list[str]:
        return [k["id"] for k in httpx.get(self.url("api/kernels"), timeout=10).json()]

    def kernel(self, kernel_id: str):
        """A blocking client of the running kernel ``kernel_id`` (its channels started)."""
        from jupyter_client import BlockingKernelClient

        client = BlockingKernelClient()
        client.load_connection_file(str(self.home / "runtime" / f"kernel-{kernel_id}.json"))
        client.start_channels()
        client.wait_for_ready(timeout=60)
        return client

    def stop(self) -> None:
        if self.proc is None:
            return
        try:
            for kid in self.kernel_ids():
                httpx.delete(self.url(f"api/kernels/{kid}"), timeout=20)
        except httpx.HTTPError:
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def kernel_json(client, expression: str, timeout: float = 120):
    """The value of ``expression`` in the kernel's namespace, through JSON."""
    out, errors = [], []

    def hook(msg):
        if msg["msg_type"] == "stream":
            out.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            errors.append("\n".join(msg["content"]["traceback"]))

    reply = client.execute_interactive(f"import json as _json\nprint(_json.dumps({expression}))",
                                       timeout=timeout, output_hook=hook)
    if reply["content"]["status"] != "ok":
        raise AssertionError(f"the kernel could not evaluate {expression!r}: {''.join(errors)[-2000:]}")
    return json.loads("".join(out))
