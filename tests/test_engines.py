"""Beam engines in the config (direct, portable, flink, spark, dataflow): the arguments
each produces, read back by Beam's own option parser; bad settings fail naming the
file, line, key and what is allowed (messages pinned); a job endpoint that does not
answer fails within seconds. No pipeline runs here."""
import socket
import textwrap
import time

import pytest

from datalife.cli import main as cli
from datalife.pipeline.config import ConfigError, parse_config, with_engine
from datalife.pipeline.portable import free_port
from datalife.pipeline.run import PipelineFailed, check_engine_reachable

BASE = """\
name: t-1
components:
  example_gen: {input: data}
"""


def cfg_with(beam: str):
    return parse_config(BASE + textwrap.dedent(beam), filename="c.yaml")


def errors(beam: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        cfg_with(beam)
    return info.value.problems


def options(args: list[str]):
    from apache_beam.options.pipeline_options import PipelineOptions

    return PipelineOptions(args)


def test_direct_is_the_default_and_keeps_its_arguments():
    cfg = cfg_with("")
    assert cfg.beam.engine == "direct" and cfg.beam.engine_settings is None
    assert cfg.beam.args() == ["--direct_num_workers=1", "--direct_running_mode=in_memory",
                              "--sdk_container_image=datalife-local-workers"]


def test_flink_arguments_as_tfx_examples_give_them_read_back_by_beam():
    from apache_beam.options.pipeline_options import FlinkRunnerOptions, PortableOptions, StandardOptions

    cfg = cfg_with("""\
        beam:
          engine: flink
          flink: {master: "flink-jm:8081", parallelism: 4, flink_version: "1.18",
                  environment_type: DOCKER, environment_config: "registry.example/datalife:0.1.0",
                  sdk_worker_parallelism: 2}
          extra_args: [--max_parallelism=8]
        """)
    args = cfg.beam.args()
    assert args == ["--runner=FlinkRunner", "--flink_master=flink-jm:8081", "--flink_submit_uber_jar",
                    "--parallelism=4", "--flink_version=1.18", "--environment_type=DOCKER",
                    "--environment_config=registry.example/datalife:0.1.0", "--sdk_worker_parallelism=2",
                    "--job_server_timeout=604800", "--max_parallelism=8"]
    opts = options(args)
    flink, portable = opts.view_as(FlinkRunnerOptions), opts.view_as(PortableOptions)
    assert opts.view_as(StandardOptions).runner == "FlinkRunner"
    assert (flink.flink_master, flink.flink_submit_uber_jar, flink.parallelism, flink.flink_version,
            flink.max_parallelism) == ("flink-jm:8081", True, 4, "1.18", 8)
    assert (portable.environment_type, portable.environment_config, portable.sdk_worker_parallelism,
            portable.job_server_timeout) == ("DOCKER", "registry.example/datalife:0.1.0", "2", 604800)  # a str in Beam


def test_spark_and_dataflow_arguments_read_back_by_beam():
    from apache_beam.options.pipeline_options import (GoogleCloudOptions, PortableOptions, SparkRunnerOptions,
                                                      StandardOptions, WorkerOptions)

    spark = cfg_with("""\
        beam:
          engine: spark
          spark: {rest_url: "http://spark-master:6066", environment_type: EXTERNAL,
                  environment_config: "localhost:50000"}
        """)
    opts = options(spark.beam.args())
    s = opts.view_as(SparkRunnerOptions)
    assert opts.view_as(StandardOptions).runner == "SparkRunner"
    assert (s.spark_rest_url, s.spark_submit_uber_jar) == ("http://spark-master:6066", True)
    assert opts.view_as(PortableOptions).environment_config == "localhost:50000"
    dataflow = cfg_with("""\
        beam:
          engine: dataflow
          dataflow: {project: my-project-1, region: europe-west1, temp_location: gs://bucket/tmp,
                     sdk_container_image: "europe-docker.pkg.dev/my-project-1/ml/datalife:0.1.0",
                     max_num_workers: 20, machine_type: n2-standard-4, experiments: [use_runner_v2]}
        """)
    opts = options(dataflow.beam.args())
    gcp, workers = opts.view_as(GoogleCloudOptions), opts.view_as(WorkerOptions)
    assert opts.view_as(StandardOptions).runner == "DataflowRunner"
    assert (gcp.project, gcp.region, gcp.temp_location) == ("my-project-1", "europe-west1", "gs://bucket/tmp")
    assert (workers.sdk_container_image, workers.max_num_workers, workers.machine_type) == (
        "europe-docker.pkg.dev/my-project-1/ml/datalife:0.1.0", 20, "n2-standard-4")
    assert "--experiments=use_runner_v2" in dataflow.beam.args()


def test_portable_from_the_command_line_options():
    cfg = with_engine(cfg_with(""), job_endpoint="127.0.0.1:8099", environment_config="127.0.0.1:50000")
    assert cfg.beam.engine == "portable"
    assert cfg.beam.args() == ["--runner=PortableRunner", "--job_endpoint=127.0.0.1:8099",
                               "--environment_type=EXTERNAL", "--environment_config=127.0.0.1:50000",
                               "--sdk_worker_parallelism=1", "--job_server_timeout=604800",
                               "--sdk_container_image=datalife-local-workers"]


def test_bad_engine_settings_name_line_key_and_allowed():
    assert errors("""\
        beam:
          engine: flnk
        """) == ["c.yaml:5: beam.engine: invalid value 'flnk'; allowed: 'direct', 'portable', 'flink', 'spark' "
                 "or 'dataflow'"]
    assert errors("""\
        beam:
          engine: flink
        """) == ["c.yaml:5: beam.engine: engine 'flink' needs its settings in 'beam.flink' (master: HOST:PORT of "
                 "the JobManager's REST endpoint; environment_config: REGISTRY/datalife:TAG)"]
    assert errors("""\
        beam:
          flink: {master: "flink-jm", environment_type: DOCKR}
          spark: {rest_url: "spark-master:6066", environment_config: "datalife"}
          dataflow: {project: P, region: europe, temp_location: /tmp/x, sdk_container_image: "datalife:latest"}
          portable:
            job_endpoint: "localhost:99999"
        """) == [
        "c.yaml:5: beam.flink.environment_type: invalid value 'DOCKR'; allowed: 'EXTERNAL', 'DOCKER', 'PROCESS' "
        "or 'LOOPBACK'",
        "c.yaml:5: beam.flink.master: 'flink-jm' is not the JobManager's REST address: HOST:PORT or "
        "http://HOST:PORT",
        "c.yaml:6: beam.spark.environment_config: image 'datalife' needs an explicit tag other than 'latest' or a "
        "digest, e.g. REGISTRY/datalife:0.1.0 (workers must all run the same image)",
        "c.yaml:6: beam.spark.rest_url: 'spark-master:6066' is not the master's REST URL, e.g. "
        "http://spark-master:6066",
        "c.yaml:7: beam.dataflow.project: 'P' is not a Google Cloud project id (6-30 lower-case letters, digits, "
        "hyphens)",
        "c.yaml:7: beam.dataflow.region: 'europe' is not a Google Cloud region, e.g. europe-west1",
        "c.yaml:7: beam.dataflow.temp_location: '/tmp/x' is not a Cloud Storage path gs://BUCKET/...; Dataflow "
        "workers cannot reach local folders",
        "c.yaml:7: beam.dataflow.sdk_container_image: image 'datalife:latest' needs an explicit tag other than "
        "'latest' or a digest, e.g. REGISTRY/datalife:0.1.0 (workers must all run the same image)",
        "c.yaml:8: beam.portable.environment_config: environment_type EXTERNAL needs environment_config (the "
        "worker pool's HOST:PORT)",
        "c.yaml:9: beam.portable.job_endpoint: 'localhost:99999' is not HOST:PORT (e.g. localhost:8099)",
    ]


def test_engine_chosen_on_the_command_line_is_validated_like_the_file(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "c.yaml").write_text(BASE)
    assert cli(["check", str(tmp_path / "c.yaml"), "--engine", "dataflow"]) == 2
    assert capsys.readouterr().err.strip().splitlines()[-1] == (
        f"  {tmp_path / 'c.yaml'}: beam.engine: engine 'dataflow' needs its settings in 'beam.dataflow' (project, "
        "region, temp_location: gs://BUCKET/tmp, sdk_container_image: REGISTRY/datalife:TAG) (with --engine dataflow)")
    (tmp_path / "c.yaml").write_text(BASE + "beam:\n  flink: {master: 'jm:8081', environment_config: "
                                            "'reg.example/datalife:0.1.0'}\n")
    assert cli(["check", str(tmp_path / "c.yaml"), "--engine", "flink"]) == 0
    out = capsys.readouterr()
    assert "valid (t-1, 1 components configured, Beam on flink)" in out.out
    # a Flink cluster reads the inputs: the local input folder is named
    assert f"warning: components.example_gen.input: {tmp_path / 'data'}: a local path" in out.err


def _silent_listener():
    """A TCP port that accepts connections (the kernel's backlog) but never speaks."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    return sock


@pytest.mark.parametrize("kind", ["refused", "silent"])
def test_job_endpoint_that_does_not_answer_fails_within_seconds(kind):
    listener = _silent_listener() if kind == "silent" else None
    port = listener.getsockname()[1] if listener else free_port()
    cfg = with_engine(cfg_with(""), job_endpoint=f"127.0.0.1:{port}", environment_config="127.0.0.1:1")
    t0 = time.monotonic()
    try:
        with pytest.raises(PipelineFailed) as info:
            check_engine_reachable(cfg, seconds=3)
    finally:
        if listener:
            listener.close()
    assert time.monotonic() - t0 < 10
    expected = ("Connection refused" if kind == "refused" else
                "accepts connections but does not answer gRPC within 3 s")
    assert str(info.value) == (f"pipeline 't-1' not started: Beam job service (beam.portable.job_endpoint) "
                               f"127.0.0.1:{port} " + ("does not answer: " if kind == "refused" else "") + expected)


def test_cli_run_against_a_dead_endpoint_exits_fast_with_the_reason(tmp_path, capsys):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "a.csv").write_text("x,y\n1,2\n")
    (tmp_path / "c.yaml").write_text(BASE)
    port = free_port()
    t0 = time.monotonic()
    status = cli(["run", str(tmp_path / "c.yaml"), "--runner", "portable", "--job-endpoint", f"127.0.0.1:{port}",
                  "--environment-config", "127.0.0.1:1"])
    assert status == 1 and time.monotonic() - t0 < 10
    err = capsys.readouterr().err
    assert f"FAILED: pipeline 't-1' not started: Beam job service (beam.portable.job_endpoint) 127.0.0.1:{port} " \
           "does not answer: Connection refused" in err
