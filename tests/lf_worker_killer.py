"""A labeling-function module whose LF kills the process it runs in, once: a Beam SDK
worker dying in the middle of a bundle (as an out-of-memory kill would). The first
call in a process that sees ``DATALIFE_TEST_KILL_MARK`` (a path that does not exist
yet) writes the mark and SIGKILLs its own process; later calls label normally. Only
meant for an SDK worker on the portable path, never the test process itself."""
import os
import signal
from pathlib import Path

from snorkel.labeling import labeling_function

from datalife.labeling.lfs import ABSTAIN


@labeling_function()
def dies_once(x):
    mark = os.environ.get("DATALIFE_TEST_KILL_MARK")
    if mark and not Path(mark).exists():
        Path(mark).write_text(str(os.getpid()))
        os.kill(os.getpid(), signal.SIGKILL)
    return 1 if "buy" in x.text else ABSTAIN


@labeling_function()
def says_hello(x):
    return 0 if "hello" in x.text else ABSTAIN


@labeling_function()
def says_meh(x):
    return 0 if "meh" in x.text else ABSTAIN
