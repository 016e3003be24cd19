"""ExampleGen: the Arrow ExampleGen against TFX 1.16's CsvExampleGen, same run.

1. Component: both executors on the tabular generator's CSV (``data/make_tabular.py``,
   ``BENCH_EG_ROWS`` rows, default 1M, written to a temp dir), each in a fresh process
   pinned to the same single core, DirectRunner with one in-memory worker; wall time,
   CPU time (user + system of the process, every thread) and peak RSS. The outputs are
   compared: per split, TFX's records re-serialized deterministically equal ours.
2. Pipeline: the tabular demo's standard pipeline (ExampleGen, StatisticsGen, SchemaGen,
   ExampleValidator, gate, Transform) on ``BENCH_EG_PIPELINE_SIZES`` rows (default
   100k and 1M; add 5000000 for 5M), each in a fresh process: time per component and
   peak RSS; at ``BENCH_EG_TFX_PIPELINE`` rows (default 1M) also with ``engine: tfx``.

The machine is shared: CPU time is the robust figure (wall time waits for other
people's processes); both engines are measured in the same run.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROWS = int(os.environ.get("BENCH_EG_ROWS", 1_000_000))
PIPELINE_SIZES = [int(s) for s in os.environ.get("BENCH_EG_PIPELINE_SIZES", "100000,1000000").split(",") if s]
TFX_PIPELINE = [int(s) for s in os.environ.get("BENCH_EG_TFX_PIPELINE", "1000000").split(",") if s]
REPO = Path(__file__).resolve().parents[1]

_EXECUTOR_RUN = """
import json, os, resource, sys, time
os.sched_setaffinity(0, {{{core}}})
from tfx.dsl.components.base.base_beam_executor import BaseBeamExecutor
from tfx.proto import example_gen_pb2
from tfx.types import standard_artifacts, standard_component_specs as S
from tfx.utils import proto_utils
from datalife.components.artifacts import ComponentReport
engine, base, out = {engine!r}, {base!r}, {out!r}
examples = standard_artifacts.Examples(); examples.uri = out + "/examples"
split = example_gen_pb2.SplitConfig(splits=[example_gen_pb2.SplitConfig.Split(name="train", hash_buckets=4),
                                            example_gen_pb2.SplitConfig.Split(name="eval", hash_buckets=1)])
props = {{S.INPUT_BASE_KEY: base,
         S.INPUT_CONFIG_KEY: proto_utils.proto_to_json(example_gen_pb2.Input(
             splits=[example_gen_pb2.Input.Split(name="single_split", pattern="*")])),
         S.OUTPUT_CONFIG_KEY: proto_utils.proto_to_json(example_gen_pb2.Output(split_config=split))}}
outputs = {{"examples": [examples]}}
if engine == "tfx":
    from tfx.components.example_gen.csv_example_gen.executor import Executor
    props.update({{S.OUTPUT_DATA_FORMAT_KEY: example_gen_pb2.FORMAT_TF_EXAMPLE,
                  S.OUTPUT_FILE_FORMAT_KEY: example_gen_pb2.FORMAT_TFRECORDS_GZIP}})
else:
    from datalife.components.arrow_example_gen.executor import Executor
    import pyarrow.compute, tfx_bsl.coders.example_coder  # imports are not the component's work
    report = ComponentReport(); report.uri = out + "/report"; os.makedirs(report.uri)
    outputs["report"] = [report]
    props["config"] = "{{}}"
context = BaseBeamExecutor.Context(beam_pipeline_args=["--direct_num_workers=1", "--direct_running_mode=in_memory"],
                                   tmp_dir=out + "/tmp")
r0 = resource.getrusage(resource.RUSAGE_SELF)
t0 = time.perf_counter()
Executor(context).Do({{}}, outputs, props)
wall = time.perf_counter() - t0
r1 = resource.getrusage(resource.RUSAGE_SELF)
print("RESULT " + json.dumps({{"engine": engine, "wall_s": wall,
      "cpu_s": (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime), "peak_rss_mb": r1.ru_maxrss / 1024}}))
"""


def _run_code(code: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    for line in out.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[7:])
    raise RuntimeError(out.stderr[-3000:])


def make_csv(rows: int, folder: Path) -> Path:
    sys.path.insert(0, str(REPO / "data"))
    from make_tabular import make_rows, write_csv

    path = folder / "customers.csv"
    write_csv(make_rows(rows), path)
    return path


def _same_examples(ours: str, theirs: str) -> bool:
    """Per split: TFX's records re-serialized deterministically == ours (as multisets)."""
    import tensorflow as tf

    from datalife.common.tfrecords import iter_tfrecords

    for split in ("train", "eval"):
        a = sorted(r for p in sorted(Path(ours, f"Split-{split}").iterdir()) for r in iter_tfrecords(str(p)))
        b = sorted(tf.train.Example.FromString(r).SerializeToString(deterministic=True)
                   for p in sorted(Path(theirs, f"Split-{split}").iterdir()) for r in iter_tfrecords(str(p)))
        if a != b:
            return False
    return True


def bench_component(rows: int = ROWS) -> list[dict]:
    core = sorted(os.sched_getaffinity(0))[0]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        make_csv(rows, data)
        results = {}
        for i, engine in enumerate(["arrow", "tfx", "arrow"]):
            out = f"{tmp}/{engine}{i}"
            r = _run_code(_EXECUTOR_RUN.format(core=core, engine=engine, base=str(data), out=out))
            r["out"] = out
            if engine not in results or r["cpu_s"] < results[engine]["cpu_s"]:
                results[engine] = r
        same = _same_examples(results["arrow"]["out"] + "/examples", results["tfx"]["out"] + "/examples")
    tfx, arrow = results["tfx"], results["arrow"]
    rows_out = []
    for r in (tfx, arrow):
        rows_out.append({"engine": r["engine"], "rows": rows, "wall_s": r["wall_s"], "cpu_s": r["cpu_s"],
                         "rows_per_cpu_s": rows / r["cpu_s"], "peak_rss_mb": r["peak_rss_mb"],
                         "x_tfx_cpu": tfx["cpu_s"] / r["cpu_s"], "x_tfx_wall": tfx["wall_s"] / r["wall_s"]})
    rows_out[-1]["same_examples_per_split"] = same
    return rows_out


_FINISH = re.compile(r"finish\s+(\S+)\s+([0-9.]+)s")


def _pipeline_once(rows: int, engine: str, data: Path, tmp: Path) -> dict:
    config = (REPO / "pipeline" / "configs" / "tabular.yaml").read_text()
    config = config.replace("input: ../../data/tabular", f"input: {data}")
    config = config.replace("format: csv ", f"format: csv\n    engine: {engine} ", 1)
    config = re.sub(r"^root: .*$", f"root: {tmp / ('run-' + engine + '-' + str(rows))}", config, flags=re.M)
    path = tmp / f"c-{engine}-{rows}.yaml"
    path.write_text(config)
    t0 = time.perf_counter()
    proc = subprocess.Popen([str(Path(sys.executable).with_name("datalife")), "run", str(path)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    stdout = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)  # this child's own peak RSS
    proc.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - t0
    if proc.returncode:
        raise RuntimeError(stdout[-3000:])
    times = {name: float(s) for name, s in _FINISH.findall(stdout)}
    return {"rows": rows, "engine": engine, "pipeline_s": wall, **{f"{k}_s": v for k, v in times.items()},
            "cpu_s": usage.ru_utime + usage.ru_stime, "peak_rss_mb": usage.ru_maxrss / 1024}


def bench_pipeline() -> list[dict]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for rows in sorted(set(PIPELINE_SIZES) | set(TFX_PIPELINE)):
            data = tmp / f"data-{rows}"
            make_csv(rows, data)
            engines = (["arrow"] if rows in PIPELINE_SIZES else []) + (["tfx"] if rows in TFX_PIPELINE else [])
            for engine in engines:
                out.append(_pipeline_once(rows, engine, data, tmp))
    return out


def main() -> list[dict]:
    from benchmarks.common import report

    comp = bench_component()
    report(f"ExampleGen executors, {ROWS:,} rows of data/make_tabular.py, one core, DirectRunner in_memory", comp)
    pipe = bench_pipeline()
    report("standard pipeline (tabular demo config, `datalife run`), seconds per component, one process", pipe)
    return comp + pipe


if __name__ == "__main__":
    main()
