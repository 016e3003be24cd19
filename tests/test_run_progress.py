"""`datalife run`'s progress line while a component works: elapsed time, and the rows
the shared reader has read with their rate (counted by `components.progress`, which
`ReadShard` feeds). Driven through the run's log handler with the runner's own log
messages and explicit clock values (no sleeping)."""
import io
import logging

from datalife.components import progress
from datalife.components.beam_glue import ReadShard
from datalife.common.tfrecords import write_tfrecords
from datalife.pipeline.run import _Progress


def _record(msg, *args):
    return logging.LogRecord("absl", logging.INFO, __file__, 0, msg, args, None)


def test_running_line_counts_the_rows_the_reader_read(tmp_path):
    out = io.StringIO()
    handler = _Progress(out, tmp_path / "run.log", every=10.0, timer=False)
    handler.emit(_record("Component %s is running.", "WeakLabeler"))
    start = handler.started["WeakLabeler"]
    path = str(tmp_path / "x.gz")
    write_tfrecords(path, (b"r%d" % i for i in range(2500)))
    batches = list(ReadShard(1000).process(("train", path, 0, 1)))  # the reader every component uses
    assert [len(b) for _, b in batches] == [1000, 1000, 500] and progress.rows() == 2500
    handler.tick(start + 5.0)  # not yet: every 10 s
    handler.tick(start + 12.5)
    handler.emit(_record("Component %s is finished.", "WeakLabeler"))
    handler.tick(start + 30.0)  # nothing runs: no line
    handler.close()
    lines = out.getvalue().splitlines()
    assert lines[0].endswith("start   WeakLabeler")
    assert lines[1].endswith("running WeakLabeler  12s, 2,500 rows read (200 rows/s)")
    assert "] finish  WeakLabeler" in lines[2] and len(lines) == 3
    assert "running WeakLabeler  12s, 2,500 rows read" in (tmp_path / "run.log").read_text()
    handler2 = _Progress(io.StringIO(), tmp_path / "run2.log", every=10.0, timer=False)
    handler2.emit(_record("Component %s is running.", "Transform"))  # a new component starts from 0
    assert progress.rows() == 0
    handler2.close()
