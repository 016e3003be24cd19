"""Beam's portable path on this machine: a job service and an SDK worker pool started
as separate processes, the same Fn API path Flink, Spark and Dataflow run pipelines on.

``local_portable_services(log_dir)`` starts

- ``python -m datalife.pipeline.beam_job_service --port P`` (Beam's
  ``apache_beam.runners.portability.local_job_service_main`` with a fix: a job whose
  SDK worker dies fails instead of hanging; ``job_service_module=`` picks Beam's own) and
- ``python -m apache_beam.runners.worker.worker_pool_main --service_port Q``

on free ports of 127.0.0.1 (the worker pool starts each SDK worker as ``python`` from
PATH, so the interpreter's folder goes first on the pool's PATH), waits until both
answer, yields their endpoints and stops both at the end, even on failure. Their
output goes to ``log_dir`` (``job_service.log``, ``worker_pool.log``) so a failure
message can quote it (:meth:`PortableServices.log_tail`).

A pipeline reaches them with ``--runner=PortableRunner --job_endpoint=127.0.0.1:P
--environment_type=EXTERNAL --environment_config=127.0.0.1:Q`` (see
:class:`datalife.pipeline.config.PortableEngine`). Nothing here imports TFX.
"""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Optional

__all__ = ["PortableServices", "local_portable_services", "free_port", "wait_for_port", "probe_endpoints",
           "EndpointUnreachable"]

HOST = "127.0.0.1"
# Beam's apache_beam.runners.portability.local_job_service_main, plus the fix that makes
# a job whose SDK worker dies fail instead of hang (see beam_job_service.py)
JOB_SERVICE_MODULE = "datalife.pipeline.beam_job_service"


class EndpointUnreachable(ConnectionError):
    """A service endpoint that does not accept connections."""


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_port(host: str, port: int, seconds: float, process: Optional[subprocess.Popen] = None,
                  what: str = "service") -> None:
    """Wait until ``host:port`` accepts a TCP connection; raise :class:`EndpointUnreachable`
    after ``seconds`` or as soon as ``process`` exits."""
    deadline = time.monotonic() + seconds
    while True:
        if _answers(host, port):
            return
        if process is not None and process.poll() is not None:
            raise EndpointUnreachable(f"{what} exited with code {process.returncode} before {host}:{port} answered")
        if time.monotonic() > deadline:
            raise EndpointUnreachable(f"{what} at {host}:{port} did not answer within {seconds:.0f} s")
        time.sleep(0.2)


def _split(hostport: str) -> tuple[str, int]:
    host, _, port = hostport.rpartition(":")
    return host.strip("[]"), int(port)


def probe_endpoints(endpoints: list[tuple[str, str, str]], seconds: float = 5.0) -> None:
    """Check that each ``(what, HOST:PORT, protocol)`` answers within ``seconds``:
    ``tcp`` accepts a connection, ``grpc`` completes gRPC's HTTP/2 handshake (a port
    that accepts connections but never speaks gRPC fails too). Raise
    :class:`EndpointUnreachable` naming the first that does not, instead of letting
    Beam wait for ``--job_server_timeout``."""
    for what, hostport, protocol in endpoints:
        host, port = _split(hostport)
        try:
            with socket.create_connection((host, port), timeout=seconds):
                pass
        except OSError as exc:
            reason = "timed out" if isinstance(exc, socket.timeout) else (exc.strerror or str(exc))
            raise EndpointUnreachable(f"{what} {hostport} does not answer: {reason}") from None
        if protocol == "grpc":
            import grpc

            channel = grpc.insecure_channel(hostport)
            try:
                grpc.channel_ready_future(channel).result(timeout=seconds)
            except grpc.FutureTimeoutError:
                raise EndpointUnreachable(f"{what} {hostport} accepts connections but does not answer gRPC "
                                          f"within {seconds:.0f} s") from None
            finally:
                channel.close()


@dataclass
class PortableServices:
    """Endpoints and processes of a local job service and worker pool."""

    job_endpoint: str
    environment_config: str
    log_dir: Path
    processes: dict = field(default_factory=dict)  # name -> subprocess.Popen

    def beam_args(self) -> list[str]:
        return [
            "--runner=PortableRunner",
            f"--job_endpoint={self.job_endpoint}",
            "--environment_type=EXTERNAL",
            f"--environment_config={self.environment_config}",
        ]

    def log_tail(self, lines: int = 40) -> str:
        """The last lines of both services' logs (for a failure message)."""
        out = []
        for name in self.processes:
            path = self.log_dir / f"{name}.log"
            text = path.read_text(errors="replace").splitlines() if path.is_file() else []
            out.append(f"--- {path} (last {min(lines, len(text))} of {len(text)} lines)")
            out += text[-lines:]
        return "\n".join(out)


def _stop(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Stop a service and the SDK workers it started (its process group)."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(grace)


@contextmanager
def local_portable_services(log_dir: Path, python: str = sys.executable, start_seconds: float = 120.0,
                            env: Optional[dict] = None, job_service_module: str = JOB_SERVICE_MODULE,
                            worker_threads: bool = False) -> Iterator[PortableServices]:
    """Start a Beam job service and an SDK worker pool (separate processes, 127.0.0.1,
    free ports, logs in ``log_dir``); stop both when the block ends, even on failure.
    ``env``: extra environment variables for both (the SDK workers inherit them).
    ``worker_threads``: the pool runs each job's SDK worker as a thread of its own
    process instead of a new process (Beam's ``use_process=False``): still a process
    apart from the launcher and the job service, but TensorFlow is imported once, not
    once per job (~15 s of CPU each); a worker that dies takes the pool with it."""
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    job_port, pool_port = free_port(), free_port()
    while pool_port == job_port:
        pool_port = free_port()
    env = {**os.environ, **(env or {})}
    # the pool starts each SDK worker as `python` from PATH: make it this interpreter's
    env["PATH"] = os.pathsep.join([str(Path(python).parent), env.get("PATH", "")])
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    commands = {
        "job_service": [python, "-m", job_service_module,
                        "--port", str(job_port), "--staging_dir", str(log_dir / "staging")],
        "worker_pool": ([python, "-m", "datalife.pipeline.portable", "--worker-pool-threads", str(pool_port)]
                        if worker_threads else [python, "-m", "apache_beam.runners.worker.worker_pool_main",
                                                "--service_port", str(pool_port)]),
    }
    services = PortableServices(f"{HOST}:{job_port}", f"{HOST}:{pool_port}", log_dir)
    logs = []
    try:
        for name, command in commands.items():
            log = open(log_dir / f"{name}.log", "ab")
            logs.append(log)
            # its own process group, so stopping it also stops the SDK workers it started
            services.processes[name] = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env,
                                                        cwd=str(log_dir), start_new_session=True)
        for name, port in (("job_service", job_port), ("worker_pool", pool_port)):
            try:
                wait_for_port(HOST, port, start_seconds, services.processes[name], what=f"Beam {name}")
            except EndpointUnreachable as exc:
                raise EndpointUnreachable(f"{exc}\n{services.log_tail()}") from None
        yield services
    finally:
        for process in services.processes.values():
            _stop(process)
        for log in logs:
            log.close()


def _serve_worker_pool_threads(port: int) -> None:
    """Beam's external worker pool with SDK workers as threads (``use_process=False``)."""
    import logging

    from apache_beam.runners.worker.worker_pool_main import BeamFnExternalWorkerPoolServicer

    logging.basicConfig(level=logging.INFO)
    _, server = BeamFnExternalWorkerPoolServicer.start(use_process=False, port=port)
    server.wait_for_termination()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--worker-pool-threads"]:
        _serve_worker_pool_threads(int(sys.argv[2]))
