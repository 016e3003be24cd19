"""Run a real Label Studio server for a test: its own virtualenv (created once by
``label_studio_env.sh``; Label Studio's pins clash with requirements.lock), a free port
on 127.0.0.1, a temporary data directory, a known API token; stopped (its whole process
group) and cleaned up afterwards, also when the test fails.

    with label_studio_server() as ls:
        ls.post("/api/projects", {...})

Skips the test, saying why, where the env cannot be created or the server does not
come up; with ``DATALIFE_REQUIRE_LABEL_STUDIO=1`` (CI) it fails instead."""
from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ENV_SCRIPT = REPO / "tests" / "tools" / "label_studio_env.sh"
ENV_DIR = Path(os.environ.get("LABEL_STUDIO_ENV", REPO / ".venv-labelstudio"))
START_TIMEOUT = float(os.environ.get("LABEL_STUDIO_START_TIMEOUT", "600"))
ADMIN = "annotator.one@example.org"


def _give_up(message: str):
    if os.environ.get("DATALIFE_REQUIRE_LABEL_STUDIO") == "1":
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    token: str
    log: Path
    env_seconds: float
    start_seconds: float

    def request(self, method: str, path: str, body=None, timeout: float = 120):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method,
                                     headers={"Authorization": f"Token {self.token}",
                                              "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"Label Studio {method} {path} -> {exc.code}: {exc.read()[:500]!r}") from None
        return json.loads(raw) if raw else None

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body):
        return self.request("POST", path, body)


def ensure_env() -> float:
    """Create the env if needed; seconds it took (0 when it already existed)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(["bash", str(ENV_SCRIPT)], cwd=REPO, capture_output=True, text=True, timeout=1800,
                              env={**os.environ, "LABEL_STUDIO_ENV": str(ENV_DIR)})
    except subprocess.TimeoutExpired:
        _give_up("label-studio env: creating it took more than 30 min")
    if proc.returncode != 0:
        _give_up(f"label-studio could not be installed ({ENV_SCRIPT.name} exit {proc.returncode}): "
                 f"{(proc.stderr or proc.stdout).strip()[-800:]}")
    return time.perf_counter() - t0


@contextmanager
def label_studio_server():
    env_seconds = ensure_env()
    port, token = _free_port(), secrets.token_hex(20)
    data_dir = Path(tempfile.mkdtemp(prefix="datalife-ls-"))
    log = data_dir / "server.log"
    env = {**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": str(data_dir / "data"),
           "LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN": "true",  # the --user-token below is a legacy token
           "LATEST_VERSION_CHECK": "false", "COLLECT_ANALYTICS": "false", "SENTRY_DSN": "",
           "FRONTEND_SENTRY_DSN": "", "HOME": str(data_dir)}
    cmd = [str(ENV_DIR / "bin" / "label-studio"), "start", "--no-browser", "--internal-host", "127.0.0.1",
           "--port", str(port), "--username", ADMIN, "--password", secrets.token_hex(12), "--user-token", token]
    t0 = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=data_dir,
                                start_new_session=True)
    try:
        url = f"http://127.0.0.1:{port}"
        while True:
            if proc.poll() is not None:
                _give_up(f"label-studio exited with {proc.returncode} before serving: "
                         f"{log.read_text(errors='replace')[-800:]}")
            try:
                with urllib.request.urlopen(url + "/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.perf_counter() - t0 > START_TIMEOUT:
                _give_up(f"label-studio did not answer on {url} within {START_TIMEOUT:.0f} s: "
                         f"{log.read_text(errors='replace')[-800:]}")
            time.sleep(1.0)
        yield Server(url=url, token=token, log=log, env_seconds=env_seconds, start_seconds=time.perf_counter() - t0)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
