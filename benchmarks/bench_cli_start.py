"""Start-up time of the CLI commands that need no TensorFlow (issue 19: fast start), each
in a fresh interpreter, against the floor of the same run: ``python -c "import
tensorflow"`` (what any TFX run pays first) and a bare ``python -c pass``; and a fully
cached ``datalife run`` of the tabular demo against the same floor (target: 1.5x).

    python -m benchmarks bench_cli_start [RUN_ROOT]

``RUN_ROOT``: a run folder holding metadata.sqlite for ``runs`` / ``lineage`` /
``report`` (default: ``runs/demo-tabular`` when it exists; otherwise those commands
are skipped). Wall times, best of 3; the machine may be shared: read the ratios.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import report

REPO = Path(__file__).resolve().parents[1]
PROBE = ("import sys; from datalife.cli import main; rc = main(sys.argv[1:]); "
         "print('TF' if 'tensorflow' in sys.modules else 'noTF', file=sys.stderr); sys.exit(rc)")


def _wall(args: list[str], repeat: int = 3) -> tuple[float, bool]:
    best, tf = float("inf"), False
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=REPO)
        best = min(best, time.perf_counter() - t0)
        if out.returncode != 0:
            raise RuntimeError(f"{args}: exit {out.returncode}: {out.stderr[-1000:]}")
        tf = tf or out.stderr.strip().endswith("\nTF") or out.stderr.strip() == "TF"
    return best, tf


def main(argv=None) -> None:
    argv = sys.argv[2:] if argv is None and len(sys.argv) > 2 else (argv or [])
    root = Path(argv[0]) if argv else REPO / "runs" / "demo-tabular"
    python, _ = _wall(["-c", "pass"])
    tensorflow, _ = _wall(["-c", "import tensorflow"])
    commands = [[name, "check", str(REPO / "pipeline/configs" / f"{name}.yaml")]
                for name in ("tabular", "weak_labeling", "forecasting", "detection", "speech")]
    commands = [[f"check {c[0]}", *c[1:]] for c in commands]
    out = Path(tempfile.mkdtemp()) / "yolo"
    commands.append(["labels convert", "labels", "convert", str(REPO / "data/detection/coco/annotations.json"),
                     str(out), "--from", "coco", "--to", "yolo"])
    if (root / "metadata.sqlite").is_file():
        commands += [["runs", "runs", str(root)], ["lineage", "lineage", str(root)],
                     ["report", "report", str(root)]]
    rows = [{"command": "python -c pass", "seconds": python, "x_import_tensorflow": python / tensorflow},
            {"command": "python -c 'import tensorflow'", "seconds": tensorflow, "x_import_tensorflow": 1.0}]
    for name, *args in commands:
        seconds, tf = _wall(["-c", PROBE, *args])
        rows.append({"command": f"datalife {name}", "seconds": seconds, "x_import_tensorflow": seconds / tensorflow,
                     "imports_tensorflow": tf})
    rows += cached_run(tensorflow)
    report("cli start (wall, best of 3, fresh interpreter; machine shared)", rows)


def cached_run(tensorflow: float) -> list[dict]:
    """``datalife run`` of the tabular demo a second time (every component served from
    the cache: the floor of any run), against ``import tensorflow`` and ``from tfx import
    v1`` (what a run imported before ``pipeline/tfx_names.py``)."""
    import re

    tmp = Path(tempfile.mkdtemp())
    text = (REPO / "pipeline/configs/tabular.yaml").read_text()
    text = re.sub(r"(?m)^root: .*$", f"root: {tmp / 'run'}", text)
    text = text.replace("input: ../../data/tabular", f"input: {REPO / 'data/tabular'}")
    (tmp / "tabular.yaml").write_text(text)
    args = ["-c", PROBE, "run", str(tmp / "tabular.yaml")]
    _wall(args, repeat=1)  # the first run computes and fills the cache
    cached, _ = _wall(args, repeat=2)
    v1, _ = _wall(["-c", "from tfx import v1"])
    return [{"command": "python -c 'from tfx import v1'", "seconds": v1, "x_import_tensorflow": v1 / tensorflow},
            {"command": "datalife run tabular (fully cached)", "seconds": cached,
             "x_import_tensorflow": cached / tensorflow}]


if __name__ == "__main__":
    main(sys.argv[1:])
