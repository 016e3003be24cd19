"""The ``datalife`` command line."""
from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from datalife import labels_merge_cli, labels_quality_cli
from datalife.labeling.formats import FORMATS as FORMAT_NAMES
from datalife.pipeline.config import ConfigError
from datalife.pipeline.engines import ENGINES

__all__ = ["main", "demo_config"]

REPO = Path(__file__).resolve().parents[1]
DEMOS = {"tabular": "tabular.yaml", "weak_labeling": "weak_labeling.yaml", "forecasting": "forecasting.yaml",
         "detection": "detection.yaml", "speech": "speech.yaml"}
DEMOS["semi_supervised"] = "semi_supervised.yaml"  # issue 13: embedder + label_propagator


def demo_config(name: str = "tabular") -> Path:
    path = REPO / "pipeline" / "configs" / DEMOS[name]
    if not path.is_file():
        raise SystemExit(f"demo config {path} not found: `datalife demo` runs from a clone of the repository")
    return path


def _engine_options(args) -> dict:
    return {"engine": getattr(args, "engine", None), "job_endpoint": getattr(args, "job_endpoint", None),
            "environment_config": getattr(args, "environment_config", None)}


def _load(config_path: Path, engine=None, job_endpoint=None, environment_config=None):
    """The config with the command line's Beam engine choice applied (and validated)."""
    from datalife.pipeline.config import load_config, with_engine

    from datalife.pipeline.checks import check_config

    cfg = load_config(config_path)
    check_config(cfg)  # each component's pre-run check (pipeline/checks.py)
    if engine or job_endpoint or environment_config:
        cfg = with_engine(cfg, engine, job_endpoint=job_endpoint, environment_config=environment_config)
    return cfg


def _run(config_path: Path, runner: str, engine=None, job_endpoint=None, environment_config=None) -> int:
    from contextlib import ExitStack

    from datalife.pipeline.config import with_engine
    from datalife.pipeline.mlmd import store_description
    from datalife.pipeline.run import PipelineFailed, run_pipeline, summary

    if runner == "portable":  # the LocalDagRunner, every Beam pipeline on a portable job service
        runner, engine = "local", engine or "portable"
    cfg = _load(config_path, engine, job_endpoint, environment_config)
    with ExitStack() as stack:
        services = None
        if cfg.beam.engine == "portable" and cfg.beam.portable is None:
            from datalife.pipeline.portable import EndpointUnreachable, local_portable_services

            log_dir = cfg.root_dir / "beam-services"
            print(f"starting a Beam job service and worker pool on 127.0.0.1 (logs: {log_dir})")
            try:
                services = stack.enter_context(local_portable_services(log_dir))
            except EndpointUnreachable as exc:
                print(f"\nFAILED: the local Beam services did not start: {exc}", file=sys.stderr)
                return 1
            cfg = with_engine(cfg, "portable", job_endpoint=services.job_endpoint,
                              environment_config=services.environment_config)
        try:
            result = run_pipeline(cfg, runner=runner)
        except PipelineFailed as exc:
            print(f"\nFAILED: {exc}", file=sys.stderr)
            print(f"metadata store: {store_description(cfg)}"
                  + (f" (run {exc.run_id})" if exc.run_id else "") + f"; log: {cfg.root_dir / 'run.log'}",
                  file=sys.stderr)
            if services is not None:
                print(services.log_tail(20), file=sys.stderr)
            return 1
    print()
    print(summary(result))
    from datalife.pipeline.report import write_run_report

    print(f"run report: {write_run_report(cfg, run_id=result.run_id)}")
    return 0


def _check(config_path: Path, engine=None) -> int:
    cfg = _load(config_path, engine)
    print(f"{config_path}: valid ({cfg.name}, {len(cfg.components.model_fields_set)} components configured"
          + (f", Beam on {cfg.beam.engine}" if cfg.beam.engine != "direct" else "") + ")")
    if cfg.beam.engine in ("flink", "spark", "dataflow"):
        _print_cluster_warnings(cfg)
    return 0


def _print_cluster_warnings(cfg, image=None, pipeline_root=None) -> None:
    from datalife.pipeline.cluster_check import cluster_warnings

    lock = REPO / "requirements.lock"
    for warning in cluster_warnings(cfg, image, lock if lock.is_file() else None, pipeline_root):
        print(f"warning: {warning}", file=sys.stderr)


def _target(path: Path):
    """A run folder (``<root>`` holding metadata.sqlite) or a config file (its store:
    SQLite, MySQL or PostgreSQL, and only its pipeline's runs)."""
    from datalife.pipeline.lineage import store_of

    if path.is_file() and path.suffix in (".yaml", ".yml"):
        from datalife.pipeline.config import load_config
        from datalife.pipeline.mlmd import connection_config, open_store

        cfg = load_config(path, check_data=False)
        if not cfg.metadata.shared and not cfg.metadata_path.is_file():
            raise FileNotFoundError(f"{cfg.metadata_path}: no metadata store here (has the pipeline run?)")
        return open_store(connection_config(cfg, readonly=True)), cfg.name, cfg
    return store_of(path), None, None


def _add_engine_options(parser) -> None:
    parser.add_argument("--runner", choices=["local", "beam", "portable"], default="local",
                        help="local: LocalDagRunner; beam: BeamDagRunner; portable: LocalDagRunner with every Beam "
                             "pipeline on a Beam job service (--job-endpoint, or one started here for the run)")
    parser.add_argument("--engine", choices=ENGINES,
                        help="where the components' Beam pipelines run (default: the config's beam.engine)")
    parser.add_argument("--job-endpoint", metavar="HOST:PORT", help="a running Beam job service (implies portable)")
    parser.add_argument("--environment-config", metavar="HOST:PORT",
                        help="its SDK worker pool (environment_type EXTERNAL)")


def build_parser() -> argparse.ArgumentParser:
    from datalife import __version__

    parser = argparse.ArgumentParser(prog="datalife", description="The ML data lifecycle as a TFX pipeline.")
    parser.add_argument("--version", action="version", version=f"datalife {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="show TensorFlow's and the libraries' log lines and warnings (hidden by default)")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a pipeline config")
    run.add_argument("config", type=Path, help="the pipeline's YAML config (checked first, as `datalife check`)")
    _add_engine_options(run)
    demo = sub.add_parser("demo", help="run the bundled demo pipeline(s) on data/")
    demo.add_argument("which", nargs="*", help=f"which demos (default all): {', '.join(DEMOS)}")
    _add_engine_options(demo)
    check = sub.add_parser("check", help="validate a config (and its feature names) without running it")
    check.add_argument("config", type=Path, help="the pipeline's YAML config: keys, values, input files and "
                       "columns, split and feature names each component uses (no TensorFlow; nothing runs)")
    check.add_argument("--engine", choices=ENGINES, help="also check the settings of this Beam engine")
    comp = sub.add_parser("compile", help="compile a config for an orchestrator")
    comp.add_argument("target", choices=["kubeflow", "airflow"], help="the orchestrator")
    comp.add_argument("config", type=Path, help="the pipeline's YAML config")
    comp.add_argument("-o", "--output", type=Path, required=True, help="the compiled pipeline (JSON or DAG file)")
    comp.add_argument("--image", default="datalife:latest", help="container image with datalife installed")
    comp.add_argument("--pipeline-root", default=None, help="e.g. gs://bucket/datalife (default: the config's root)")
    target = "the pipeline's root folder (holding metadata.sqlite) or its config (any store, e.g. MySQL)"
    lin = sub.add_parser("lineage", help="print the upstream lineage of an artifact from MLMD")
    lin.add_argument("run_dir", type=Path, help=target)
    lin.add_argument("artifact", nargs="?", type=int, help="artifact id (default: the latest run's final output)")
    lin.add_argument("--format", choices=["text", "dot", "png"], default="text",
                     help="text: executions, parameters and artifacts; dot: Graphviz; png: a picture")
    lin.add_argument("-o", "--output", type=Path, help="with --format png: the picture's path (default lineage.png)")
    rep = sub.add_parser("report", help="write one self-contained HTML page for the latest run")
    rep.add_argument("run_dir", type=Path, help=target)
    rep.add_argument("--run", help="the run id, as `datalife runs` lists them (default: the latest run)")
    runs = sub.add_parser("runs", help="list the runs in a metadata store, their executions and states")
    runs.add_argument("run_dir", type=Path, help=target)
    from datalife.pipeline.schema_evolution import add_parser as add_schema_parser  # issue 17

    add_schema_parser(sub)
    labels = sub.add_parser("labels", help="annotation tools outside TFX")
    lsub = labels.add_subparsers(dest="labels_command", required=True)
    conv = lsub.add_parser("convert", help="convert annotations from one format to another")
    conv.add_argument("source", help="annotation file or folder")
    conv.add_argument("output", help="output file (coco, csv, cvat, label_studio, tfod) or folder (voc, yolo, labelme)")
    conv.add_argument("--from", dest="src_format", required=True, help=f"one of {', '.join(FORMAT_NAMES)}")
    conv.add_argument("--to", dest="dst_format", required=True, help=f"one of {', '.join(FORMAT_NAMES)}")
    conv.add_argument("--classes", help="comma-separated class names fixing the output ids (default: as met)")
    conv.add_argument("--images", help="images folder (YOLO input needs image sizes; TF records embed images)")
    conv.add_argument("--box-format", help="CSV input's box format, e.g. xywh:pixel")
    conv.add_argument("--origin", type=int, choices=[0, 1], help="1: input pixel indices start at 1 (VOC default)")
    conv.add_argument("--on-invalid", choices=["error", "quarantine"], default="error",
                      help="a bad record stops the conversion (error) or is left out and listed (quarantine)")
    from datalife.labels_cli import add_parsers as add_label_round_parsers

    add_label_round_parsers(lsub)  # labels next / labels import: one active-learning round
    labels_quality_cli.add_parsers(lsub)  # mask-pii, errors
    labels_merge_cli.add_parser(lsub)  # merge
    return parser


def _convert(args) -> int:
    from datalife.labeling.convert import convert

    read_options = {"images": args.images} if args.images and args.src_format == "yolo" else {}
    write_options = {"image_root": args.images} if args.images and args.dst_format == "tfod" else {}
    done = convert(args.src_format, args.source, args.dst_format, args.output,
                   classes=args.classes.split(",") if args.classes else None, read_options=read_options,
                   write_options=write_options, box_format=args.box_format, origin=args.origin,
                   on_invalid=args.on_invalid)
    for q in done["quarantined"]:
        image = f" image {q['image']}" if q.get("image") else ""
        print(f"quarantined{image} ({q['reason']}): {q['message']}", file=sys.stderr)
    notes = "".join(f"; {n} {k.replace('_', ' ')}" for k, n in sorted(done["notes"].items()))
    left = (f"; quarantined {done['images_quarantined']} images, {done['boxes_quarantined']} boxes, "
            f"{done['files_quarantined']} files ({', '.join(f'{k} {n}' for k, n in sorted(done['reasons'].items()))})"
            if done["quarantined"] else "")
    print(f"converted {done['images']} images, {done['boxes']} boxes ({args.src_format} -> {args.dst_format}), "
          f"classes {', '.join(done['classes'])}{notes}{left}: wrote {done['written']} file(s) to {args.output}")
    return 0


def _lineage(args) -> int:
    from datalife.pipeline.lineage import final_artifact, lineage_dot, lineage_text

    store, pipeline, _ = _target(args.run_dir)
    artifact = args.artifact if args.artifact is not None else final_artifact(store, pipeline)
    if not store.get_artifacts_by_id([artifact]):
        ids = sorted(a.id for a in store.get_artifacts())
        raise LookupError(f"{args.run_dir}: no artifact {artifact}; the store holds artifacts "
                          + (f"{ids[0]}..{ids[-1]}; `datalife lineage {args.run_dir}` shows the latest run's final output"
                             if ids else "none"))
    if args.format == "png":
        from datalife.pipeline.report import lineage_png

        out = args.output or Path("lineage.png")
        out.write_bytes(lineage_png(store, artifact))
        print(f"wrote {out}")
        return 0
    print(lineage_dot(store, artifact) if args.format == "dot" else lineage_text(store, artifact))
    return 0


def _quiet() -> None:
    """Keep TensorFlow's C++ start-up chatter (including the CUDA plugin registration
    "errors" it logs on a machine without a GPU) and library deprecation warnings off the
    console; ``--verbose`` keeps them."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    warnings.filterwarnings("ignore", category=FutureWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=UserWarning, module="google")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    if not args.verbose:
        _quiet()
    try:
        if args.command == "run":
            return _run(args.config, args.runner, **_engine_options(args))
        if args.command == "check":
            return _check(args.config, args.engine)
        if args.command == "compile":
            from datalife.pipeline.compile import compile_airflow, compile_kubeflow
            from datalife.pipeline.config import load_config

            cfg = load_config(args.config)
            image = args.image if args.target == "kubeflow" else None
            _print_cluster_warnings(cfg, image, args.pipeline_root if args.target == "kubeflow" else None)
            if args.target == "airflow":
                out = compile_airflow(args.config, args.output)
            else:
                out = compile_kubeflow(cfg, args.output, args.image, args.pipeline_root)
            print(f"wrote {out}")
            return 0
        if args.command == "lineage":
            return _lineage(args)
        if args.command == "labels":
            if args.labels_command in ("next", "import"):
                from datalife.labels_cli import run as label_round

                return label_round(args)
            if args.labels_command in labels_quality_cli.COMMANDS:
                return labels_quality_cli.run(args)
            if args.labels_command == "merge":
                return labels_merge_cli.run(args)
            return _convert(args)
        if args.command == "schema":
            from datalife.pipeline.schema_evolution import run_cli

            return run_cli(args)
        if args.command == "report":
            from datalife.pipeline.report import write_run_report

            store, pipeline, cfg = _target(args.run_dir)
            print(f"wrote {write_run_report(cfg or args.run_dir, run_id=args.run)}")
            return 0
        if args.command == "runs":
            from datalife.pipeline.lineage import runs_text

            store, pipeline, _ = _target(args.run_dir)
            print(runs_text(store, pipeline))
            return 0
        if args.command == "demo":
            status = 0
            unknown = sorted(set(args.which) - set(DEMOS))
            if unknown:
                raise SystemExit(f"unknown demo(s) {unknown}; allowed: {', '.join(DEMOS)}")
            for name in args.which or list(DEMOS):
                status |= _run(demo_config(name), args.runner, **_engine_options(args))
            return status
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except (FileNotFoundError, LookupError, ValueError) as exc:  # AnnotationError is a ValueError
        print(f"datalife {args.command}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
