"""Where the components' Beam pipelines run: the config's ``beam.engine`` and one
section per engine, turned into the Beam arguments each runner needs.

============  ==============================================================================
engine        Beam arguments (besides ``extra_args``)
============  ==============================================================================
direct        ``--direct_num_workers --direct_running_mode`` (the default, in this process)
portable      ``--runner=PortableRunner --job_endpoint --environment_type --environment_config``
              (a job service someone runs: Beam's local one, Flink's or Spark's job server)
flink         ``--runner=FlinkRunner --flink_master --flink_submit_uber_jar --parallelism
              --environment_type --environment_config --sdk_worker_parallelism`` (TFX's examples)
spark         ``--runner=SparkRunner --spark_rest_url --spark_submit_uber_jar
              --environment_type --environment_config --sdk_worker_parallelism``
dataflow      ``--runner=DataflowRunner --project --region --temp_location
              --sdk_container_image`` (+ staging location, workers, machine type, network)
============  ==============================================================================

Every section is a strict pydantic model: values are checked when the config is read,
and a wrong one fails naming the file, line, key and what is allowed. Nothing here
imports Beam or TFX.
"""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import Field, field_validator

from datalife.common.strict import StrictModel

__all__ = [
    "ENGINES",
    "ENGINE_HINTS",
    "PortableEngine",
    "FlinkEngine",
    "SparkEngine",
    "DataflowEngine",
    "JOB_SERVER_TIMEOUT",
    "endpoints_to_probe",
]

ENGINES = ("direct", "portable", "flink", "spark", "dataflow")
ENGINE_HINTS = {
    "portable": "job_endpoint: HOST:PORT of a Beam job service; environment_config: HOST:PORT of its worker pool",
    "flink": "master: HOST:PORT of the JobManager's REST endpoint; environment_config: REGISTRY/datalife:TAG",
    "spark": "rest_url: http://HOST:6066; environment_config: REGISTRY/datalife:TAG",
    "dataflow": "project, region, temp_location: gs://BUCKET/tmp, sdk_container_image: REGISTRY/datalife:TAG",
}

# Beam's PortableRunner opens the job's state stream with a gRPC deadline of
# --job_server_timeout (default 60 s): any job running longer fails with
# DEADLINE_EXCEEDED (seen here with Transform). We raise it to a week and check that
# the endpoint answers ourselves, within seconds, before the run (see run.py).
JOB_SERVER_TIMEOUT = 7 * 24 * 3600

HOST_PORT = re.compile(r"^(?P<host>[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:]+\]):(?P<port>\d{1,5})$")
URL = re.compile(r"^(?P<scheme>https?)://(?P<host>[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:]+\])(:(?P<port>\d{1,5}))?/?$")
GCS = re.compile(r"^gs://[a-z0-9][a-z0-9._-]{1,220}(/.*)?$")
GCP_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
GCP_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
# an image reference with an explicit tag or digest: [registry/]name:tag or name@sha256:...
IMAGE = re.compile(r"^[a-z0-9]+([._/-][a-z0-9]+|:[0-9]+/)*[a-z0-9]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
                   r"|@sha256:[0-9a-f]{64})$")

EnvironmentType = Literal["EXTERNAL", "DOCKER", "PROCESS", "LOOPBACK"]


def _host_port(value: str) -> str:
    m = HOST_PORT.match(value.strip())
    if not m or not 0 < int(m["port"]) < 65536:
        raise ValueError(f"{value!r} is not HOST:PORT (e.g. localhost:8099)")
    return value.strip()


def _image(value: str) -> str:
    if not IMAGE.match(value) or value.endswith(":latest"):
        raise ValueError(f"image {value!r} needs an explicit tag other than 'latest' or a digest, "
                         "e.g. REGISTRY/datalife:0.1.0 (workers must all run the same image)")
    return value


class _SdkEnvironment(StrictModel):
    """How the runner starts the Python SDK workers that run our DoFns."""

    environment_type: EnvironmentType = "DOCKER"
    # EXTERNAL: the worker pool's HOST:PORT; DOCKER: the image (with datalife installed);
    # PROCESS: JSON {"command": "/path/to/boot"}; LOOPBACK: none (workers in this process)
    environment_config: Optional[str] = Field(None, validate_default=True)
    sdk_worker_parallelism: int = Field(1, ge=0)  # 0: one per core of the worker
    job_server_timeout: int = Field(JOB_SERVER_TIMEOUT, ge=10)

    @field_validator("environment_config")
    @classmethod
    def _environment(cls, value: Optional[str], info):
        kind = info.data.get("environment_type")
        if kind is None:  # environment_type itself is invalid: reported there
            return value
        if kind == "LOOPBACK":
            if value:
                raise ValueError("environment_type LOOPBACK takes no environment_config")
        elif not value:
            raise ValueError(f"environment_type {kind} needs environment_config ("
                             + {"EXTERNAL": "the worker pool's HOST:PORT", "DOCKER": "the image, e.g. "
                                "REGISTRY/datalife:0.1.0", "PROCESS": 'JSON {"command": "/opt/apache/beam/boot"}'}[kind]
                             + ")")
        elif kind == "EXTERNAL":
            _host_port(value)
        elif kind == "DOCKER":
            _image(value)
        elif kind == "PROCESS" and '"command"' not in value:
            raise ValueError('environment_type PROCESS needs environment_config {"command": "..."} (JSON)')
        return value

    def environment_args(self) -> list[str]:
        args = [f"--environment_type={self.environment_type}"]
        if self.environment_config:
            args.append(f"--environment_config={self.environment_config}")
        return args + [f"--sdk_worker_parallelism={self.sdk_worker_parallelism}",
                       f"--job_server_timeout={self.job_server_timeout}"]


# TFX's Beam executors, given Beam arguments without a container image, extra package,
# setup or requirements file, copy TFX's installed source (52 MB) to a new temp folder and
# build an sdist of it to stage to remote workers, at every executor run, and never
# delete it (tfx.utils.dependency_utils). Workers that run in this environment (the
# DirectRunner; a local job service with EXTERNAL / PROCESS / LOOPBACK workers) or in an
# image that has datalife installed (DOCKER) need no such package: naming the image
# stops it. Beam uses this option only for DOCKER environments.
NO_TFX_SDIST_IMAGE = "datalife-local-workers"


class PortableEngine(_SdkEnvironment):
    """A Beam job service that is already running (``datalife run --runner portable
    --job-endpoint HOST:PORT --environment-config HOST:PORT``)."""

    job_endpoint: str
    environment_type: EnvironmentType = "EXTERNAL"

    @field_validator("job_endpoint")
    @classmethod
    def _job(cls, v: str) -> str:
        return _host_port(v)

    def args(self) -> list[str]:
        image = self.environment_config if self.environment_type == "DOCKER" else NO_TFX_SDIST_IMAGE
        return ["--runner=PortableRunner", f"--job_endpoint={self.job_endpoint}", *self.environment_args(),
                f"--sdk_container_image={image}"]


class FlinkEngine(_SdkEnvironment):
    """A Flink cluster: Beam builds an uber jar of the pipeline and submits it to the
    JobManager's REST endpoint (``master``), as TFX's Flink example does."""

    master: str  # the JobManager's REST endpoint: HOST:PORT or http(s)://HOST:PORT
    parallelism: Optional[int] = Field(None, ge=1)
    flink_version: Optional[Literal["1.15", "1.16", "1.17", "1.18"]] = None  # Beam 2.59's published jobs
    submit_uber_jar: bool = True
    job_server_jar: Optional[str] = None  # a local copy of Beam's Flink job-server jar (else Maven)

    @field_validator("master")
    @classmethod
    def _master(cls, v: str) -> str:
        if not (URL.match(v) or HOST_PORT.match(v)):
            raise ValueError(f"{v!r} is not the JobManager's REST address: HOST:PORT or http://HOST:PORT")
        return v

    def args(self) -> list[str]:
        args = ["--runner=FlinkRunner", f"--flink_master={self.master}"]
        if self.submit_uber_jar:
            args.append("--flink_submit_uber_jar")
        if self.parallelism:
            args.append(f"--parallelism={self.parallelism}")
        if self.flink_version:
            args.append(f"--flink_version={self.flink_version}")
        if self.job_server_jar:
            args.append(f"--flink_job_server_jar={self.job_server_jar}")
        return args + self.environment_args()


class SparkEngine(_SdkEnvironment):
    """A Spark cluster: Beam submits an uber jar through the master's REST submission
    server (``rest_url``, port 6066 by default), as TFX's Spark example does."""

    rest_url: str  # http://HOST:6066
    submit_uber_jar: bool = True
    master_url: Optional[str] = None  # spark://HOST:7077, for Beam's Spark job server (submit_uber_jar: false)
    job_server_jar: Optional[str] = None

    @field_validator("rest_url")
    @classmethod
    def _rest(cls, v: str) -> str:
        if not URL.match(v):
            raise ValueError(f"{v!r} is not the master's REST URL, e.g. http://spark-master:6066")
        return v

    @field_validator("master_url")
    @classmethod
    def _master(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not re.match(r"^spark://[A-Za-z0-9_.-]+:\d{1,5}$", v):
            raise ValueError(f"{v!r} is not a Spark master URL, e.g. spark://spark-master:7077")
        return v

    def args(self) -> list[str]:
        args = ["--runner=SparkRunner", f"--spark_rest_url={self.rest_url}"]
        if self.submit_uber_jar:
            args.append("--spark_submit_uber_jar")
        if self.master_url:
            args.append(f"--spark_master_url={self.master_url}")
        if self.job_server_jar:
            args.append(f"--spark_job_server_jar={self.job_server_jar}")
        return args + self.environment_args()


class DataflowEngine(StrictModel):
    """Google Cloud Dataflow (Runner v2): workers run ``sdk_container_image``, an image
    built from the repository's ``Dockerfile``, so our DoFns import there."""

    project: str
    region: str
    temp_location: str  # gs://BUCKET/tmp
    staging_location: Optional[str] = None
    sdk_container_image: str
    service_account_email: Optional[str] = None
    machine_type: Optional[str] = None
    num_workers: Optional[int] = Field(None, ge=1)
    max_num_workers: Optional[int] = Field(None, ge=1)
    network: Optional[str] = None
    subnetwork: Optional[str] = None
    disk_size_gb: Optional[int] = Field(None, ge=10)
    experiments: list[str] = Field(default_factory=list)

    @field_validator("project")
    @classmethod
    def _project(cls, v: str) -> str:
        if not GCP_PROJECT.match(v):
            raise ValueError(f"{v!r} is not a Google Cloud project id (6-30 lower-case letters, digits, hyphens)")
        return v

    @field_validator("region")
    @classmethod
    def _region(cls, v: str) -> str:
        if not GCP_REGION.match(v):
            raise ValueError(f"{v!r} is not a Google Cloud region, e.g. europe-west1")
        return v

    @field_validator("temp_location", "staging_location")
    @classmethod
    def _gcs(cls, v: Optional[str]) -> Optional[str]:
        if v is not None and not GCS.match(v):
            raise ValueError(f"{v!r} is not a Cloud Storage path gs://BUCKET/...; Dataflow workers cannot "
                             "reach local folders")
        return v

    @field_validator("sdk_container_image")
    @classmethod
    def _img(cls, v: str) -> str:
        return _image(v)

    def args(self) -> list[str]:
        args = ["--runner=DataflowRunner", f"--project={self.project}", f"--region={self.region}",
                f"--temp_location={self.temp_location}", f"--sdk_container_image={self.sdk_container_image}"]
        for name in ("staging_location", "service_account_email", "machine_type", "num_workers",
                     "max_num_workers", "network", "subnetwork", "disk_size_gb"):
            value = getattr(self, name)
            if value is not None:
                args.append(f"--{name}={value}")
        return args + [f"--experiments={e}" for e in self.experiments]


def endpoints_to_probe(engine: str, section) -> list[tuple[str, str, str]]:
    """(what, HOST:PORT, protocol) of the services a run on ``engine`` needs to reach
    before it starts; protocol ``grpc`` or ``tcp``."""
    if section is None or engine in ("direct", "dataflow"):
        return []
    out = []
    if engine == "portable":
        out.append(("Beam job service (beam.portable.job_endpoint)", section.job_endpoint, "grpc"))
    elif engine == "flink":
        m = URL.match(section.master)
        hostport = f"{m['host']}:{m['port'] or (443 if m['scheme'] == 'https' else 80)}" if m else section.master
        out.append(("Flink JobManager (beam.flink.master)", hostport, "tcp"))
    elif engine == "spark":
        m = URL.match(section.rest_url)
        out.append(("Spark REST server (beam.spark.rest_url)", f"{m['host']}:{m['port'] or 6066}", "tcp"))
    if section.environment_type == "EXTERNAL":
        out.append((f"SDK worker pool (beam.{engine}.environment_config)", section.environment_config, "grpc"))
    return out
