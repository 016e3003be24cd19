"""Beam's local job service (``apache_beam.runners.portability.local_job_service_main``)
with one fix, for rehearsing cluster runs on this machine:

When an SDK worker dies in the middle of a bundle (killed, out of memory, crashed),
its control stream ends while instructions are still unanswered. Beam 2.59's
FnApiRunner never notices and waits for the answers forever, so the job hangs (seen
here: a DoFn that SIGKILLs its worker hung the job until ``--job_server_timeout``),
unless the runner happened to be reading the worker's output, where it fails with a
bare "Channel closed prematurely.". Flink, Spark and Dataflow fail the task instead.
Here both cases fail the bundle with :class:`WorkerDied`, saying the worker died, so
the job fails within seconds, as it would on a cluster.

Run as ``python -m datalife.pipeline.beam_job_service --port P`` (same options as
Beam's module).
"""
from __future__ import annotations

import logging
import signal
import sys

from apache_beam.runners.portability import local_job_service_main
from apache_beam.runners.portability.fn_api_runner import fn_runner, worker_handlers

__all__ = ["WorkerDied", "install", "main"]


class WorkerDied(RuntimeError):
    """An SDK worker's control stream ended with instructions unanswered."""


def _describe(error: BaseException) -> str:
    code = getattr(error, "code", None)
    if callable(code):  # a grpc.RpcError
        details = error.details() if callable(getattr(error, "details", None)) else ""
        return f"gRPC {code().name}" + (f": {details}" if details else "")
    return f"{type(error).__name__}: {error}"


def _read_then_fail_unanswered(self) -> None:
    error = None
    try:
        for data in self._input:
            self._futures_by_id.pop(data.instruction_id).set(data)
    except Exception as exc:  # the stream broke (gRPC error) rather than ended
        error = exc
    if self._futures_by_id:
        pending = sorted(self._futures_by_id)
        self.abort(WorkerDied(
            f"the SDK worker stopped answering with {len(pending)} instruction(s) unanswered "
            f"({', '.join(pending[:3])}): it died (killed, out of memory or crashed)"
            + (f"; its control stream broke ({_describe(error)})" if error else "")
            + "; see the worker pool's log"))


_process_bundle = fn_runner.BundleManager.process_bundle


def _process_bundle_naming_a_dead_worker(self, *args, **kwargs):
    """When the worker dies while the runner reads its output, Beam notices on the data
    channel and says only 'Channel closed prematurely.': name the cause."""
    try:
        return _process_bundle(self, *args, **kwargs)
    except RuntimeError as exc:
        if str(exc) != "Channel closed prematurely.":
            raise
        raise WorkerDied("the SDK worker's data channel closed in the middle of a bundle: it died (killed, out "
                         "of memory or crashed); see the worker pool's log") from exc


def install() -> None:
    """Patch Beam's FnApiRunner (idempotent): a dead worker fails the bundle, named."""
    worker_handlers.ControlConnection._read = _read_then_fail_unanswered
    fn_runner.BundleManager.process_bundle = _process_bundle_naming_a_dead_worker


def main(argv=None) -> None:
    """What Beam's module does when run, with :func:`install` first."""
    install()
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(0))
    logging.basicConfig()
    logging.getLogger().setLevel(logging.INFO)
    local_job_service_main.run(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
