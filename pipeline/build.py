"""Build a TFX pipeline from a validated :class:`PipelineConfig`.

One function per standard stage; ``build_pipeline`` strings them together:
ExampleGen -> StatisticsGen -> SchemaGen (or ImportSchemaGen) -> ExampleValidator ->
ValidationGate -> Transform. The same ``tfx.dsl.Pipeline`` object is handed to every
orchestrator.
"""
from __future__ import annotations

from datalife.pipeline import tfx_names as tfx  # tfx.v1's names, without its extensions and orchestrators
from datalife.pipeline.tfx_names import FileBasedExampleGen
from tfx.dsl.components.base import executor_spec

from datalife.components.parquet_example_gen import executor as parquet_executor
from datalife.components.validation_gate.component import ValidationGate
from datalife.pipeline.config import PipelineConfig

__all__ = ["build_components", "build_pipeline", "metadata_connection"]


def _output_config(splits: dict[str, int], key: str | None = None):
    split_config = tfx.proto.SplitConfig(
        splits=[tfx.proto.SplitConfig.Split(name=n, hash_buckets=k) for n, k in splits.items()])
    if key:  # a oneof: setting it, even to "", makes TFX split by a feature
        split_config.partition_feature_name = key
    return tfx.proto.Output(split_config=split_config)


def _input_config(patterns: dict[str, str]):
    return tfx.proto.Input(splits=[tfx.proto.Input.Split(name=n, pattern=p) for n, p in patterns.items()])


def _location(cfg: PipelineConfig, path: str) -> str:
    """A config path for TFX: gs://, s3://, hdfs:// URIs as given, local paths resolved."""
    return path if "://" in path else str(cfg.resolve(path))


def example_gen(cfg: PipelineConfig):
    gen = cfg.components.example_gen
    base = _location(cfg, gen.input)
    if gen.input_splits:  # one file pattern per split: ExampleGen keeps them as they are
        io = {"input_config": _input_config(gen.input_splits)}
    elif gen.time_split is not None:  # the split names of the time rule (the buckets are not used)
        io = {"output_config": _output_config({name: 1 for name in gen.time_split.names})}
    else:
        io = {"output_config": _output_config(gen.splits, gen.split_key)}
    if gen.format in ("csv", "jsonl") and gen.engine == "arrow":
        from datalife.components.arrow_example_gen.component import ArrowExampleGen
        from datalife.components.arrow_example_gen.spec import to_exec_property

        schema = cfg.components.schema_gen.schema_file
        spec = gen.arrow_config(schema_file=str(cfg.resolve(schema)) if schema else None)
        if gen.spans is not None:
            spec, io["input_config"], io["range_config"] = span_inputs(base, gen.spans, spec)
        # the node keeps TFX's name for CSV, so runs, lineage and notebooks read the same either way
        node_id = "CsvExampleGen" if gen.format == "csv" else "JsonlExampleGen"
        return ArrowExampleGen(input_base=base, config=to_exec_property(spec), **io).with_id(node_id)
    if gen.format == "csv":
        return tfx.components.CsvExampleGen(input_base=base, **io)
    if gen.format == "tfrecord":
        return tfx.components.ImportExampleGen(input_base=base, **io)
    return FileBasedExampleGen(
        input_base=base,
        **io,
        custom_executor_spec=executor_spec.BeamExecutorSpec(parquet_executor.Executor),
    ).with_id("ParquetExampleGen")


def span_inputs(base: str, spans, spec):
    """The spans to read (chosen now, complete ones only, with their content hashes), the
    input config of their pattern and the range config of the newest (TFX's driver records
    its span and version)."""
    import os

    from tfx.proto import range_config_pb2

    from datalife.components.arrow_example_gen.spans import content_sha256, find_spans, select_spans

    chosen = select_spans(find_spans(base, spans), spans)
    records = [{"span": int(r.span), "version": None if r.version is None or r.version != r.version else int(r.version),
                "sha256": content_sha256(r.files), "files": [os.path.relpath(f, base) for f in sorted(r.files)]}
               for r in chosen.itertuples()]
    newest = records[-1]["span"]
    ranges = range_config_pb2.RangeConfig(static_range=range_config_pb2.StaticRange(
        start_span_number=newest, end_span_number=newest))
    return spec.model_copy(update={"spans": records}), _input_config({"single_split": spans.pattern}), ranges


def _seeded(spec, seed: int):
    """A component config with the pipeline's seed written in where it gives none (the
    seed then shows in the component's one parameter, its lineage and its cache key)."""
    return spec if spec.seed is not None else spec.model_copy(update={"seed": seed})


def pii_masker(cfg: PipelineConfig, examples, stages: list):
    """The PII masker on the source's Examples (first before validation), or ``examples``."""
    if cfg.components.pii_masker is None:
        return examples
    from datalife.components.pii_masker.component import PiiMasker

    stage = PiiMasker(examples=examples, config=cfg.components.pii_masker.model_dump_json())
    stages.append(stage)
    return stage.outputs["masked_examples"]


def label_quality(cfg: PipelineConfig, examples, gate) -> list:
    """The label-quality side branch on validated examples (feeds nothing), or none."""
    if cfg.components.label_quality is None:
        return []
    from datalife.components.label_quality.component import LabelQuality

    spec = cfg.components.label_quality
    spec = spec.model_copy(update={"model": _seeded(spec.model, cfg.seed)})
    node = LabelQuality(examples=examples, config=spec.model_dump_json())
    node.add_upstream_node(gate)  # only examples that passed validation
    return [node]


def stages_before_validation(cfg: PipelineConfig, examples) -> tuple[list, object]:
    """The configured datalife components that turn the source's Examples into the
    Examples that StatisticsGen and ExampleValidator check (today: the weak labeler);
    returns them and the channel of their final Examples."""
    c, stages = cfg.components, []
    examples = pii_masker(cfg, examples, stages)
    if c.weak_labeler is not None:
        from datalife.components.weak_labeler.component import WeakLabeler
        from datalife.labeling.lf_loader import module_sha256

        from datalife.components.weak_labeler.checks import resolve_lf_module

        spec = c.weak_labeler  # a .py file path is read from the config's folder
        spec = spec.model_copy(update={"label_model": _seeded(spec.label_model, cfg.seed),
                                       "lf_module": resolve_lf_module(spec.lf_module, cfg.resolve)})
        stage = WeakLabeler(
            examples=examples,
            config=spec.model_dump_json(),
            lf_module_sha256=module_sha256(spec.lf_module),
        )
        stages.append(stage)
        examples = stage.outputs["labeled_examples"]
    stages, examples = semi_supervised_stages(cfg, stages, examples)
    return stages, examples


def semi_supervised_stages(cfg: PipelineConfig, stages: list, examples) -> tuple[list, object]:
    """embedder -> label_propagator (issue 13), each when configured, after the weak labeler."""
    c = cfg.components
    if c.embedder is not None:
        from datalife.components.embedder.component import Embedder

        spec = _seeded(c.embedder, cfg.seed)
        if cfg.beam.direct_num_workers > 1 and "workers_per_host" not in c.embedder.model_fields_set:
            spec = spec.model_copy(update={"workers_per_host": cfg.beam.direct_num_workers})
        stage = Embedder(examples=examples, config=spec.model_dump_json())
        stages.append(stage)
        examples = stage.outputs["embedded_examples"]
    if c.label_propagator is not None:
        from datalife.components.label_propagator.component import LabelPropagator

        stage = LabelPropagator(examples=examples, config=_seeded(c.label_propagator, cfg.seed).model_dump_json())
        stages.append(stage)
        examples = stage.outputs["labeled_examples"]
    return stages, examples


def label_unifier(cfg: PipelineConfig):
    from datalife.components.label_unifier.component import LabelUnifier
    from datalife.components.label_unifier.executor import input_fingerprint

    spec = cfg.components.label_unifier.with_base(cfg.resolve)
    return LabelUnifier(config=spec.model_dump_json(), input_fingerprint=input_fingerprint(spec))


def audio_example_gen(cfg: PipelineConfig):
    from datalife.components.audio_example_gen.component import AudioExampleGen
    from datalife.components.audio_example_gen.executor import input_fingerprint

    spec = cfg.components.audio_example_gen.with_base(cfg.resolve)
    return AudioExampleGen(config=spec.model_dump_json(), input_fingerprint=input_fingerprint(spec))


def _source(cfg: PipelineConfig):
    c = cfg.components
    if c.example_gen is not None:
        return example_gen(cfg)
    return label_unifier(cfg) if c.label_unifier is not None else audio_example_gen(cfg)


def _audio_augmenter(cfg: PipelineConfig, stage: str, examples):
    from datalife.components.audio_augmenter.component import AudioAugmenter

    spec = _seeded(cfg.components.audio_augmenter.with_base(cfg.resolve).stage(stage), cfg.seed)
    from datalife.components.audio_augmenter.executor import input_fingerprint

    node = AudioAugmenter(examples=examples, config=spec.model_dump_json(), input_fingerprint=input_fingerprint(spec))
    return node if stage == "waveform" else node.with_id("SpecAugmenter")


def active_sampler(cfg: PipelineConfig, examples, gate):
    """A side branch on the validated examples (it does not feed Transform): the batch to label next."""
    from datalife.components.active_sampler.component import ActiveSampler

    node = ActiveSampler(examples=examples, config=_seeded(cfg.components.active_sampler, cfg.seed).model_dump_json())
    node.add_upstream_node(gate)  # only select from data that passed validation
    return node


def rebalancer(cfg: PipelineConfig, examples, gate):
    """The rebalancer on validated examples (its train split; the others pass through)."""
    from datalife.components.rebalancer.component import Rebalancer

    node = Rebalancer(examples=examples, config=_seeded(cfg.components.rebalancer, cfg.seed).model_dump_json())
    node.add_upstream_node(gate)  # only rebalance data that passed validation
    return node


def pair_maker(cfg: PipelineConfig, examples, gate):
    """The pair maker, a side branch on validated examples (it does not feed Transform)."""
    from datalife.components.pair_maker.component import PairMaker

    node = PairMaker(examples=examples, config=_seeded(cfg.components.pair_maker, cfg.seed).model_dump_json())
    node.add_upstream_node(gate)
    return node


def drift_baseline(cfg: PipelineConfig):
    """The Examples the gate compares with (``example_validator.drift.baseline``: a previous
    span's or serving data's Examples artifact folder, or ``previous_span``: the newest
    earlier span this pipeline read, from its metadata store), imported so lineage shows it."""
    drift = cfg.components.example_validator.drift
    if drift is None:
        return None
    import json
    from pathlib import Path

    from datalife.pipeline.previous_span import PREVIOUS_SPAN

    properties = {}
    if drift.baseline == PREVIOUS_SPAN:
        found = _previous_span(cfg)
        if found is None:
            return None
        span, uri, splits = found
        properties["span"] = span
    else:
        uri = _location(cfg, drift.baseline)
        splits = sorted(p.name[6:] for p in Path(uri).glob("Split-*")) if "://" not in uri else [drift.split]
    return tfx.dsl.Importer(source_uri=uri, artifact_type=tfx.types.standard_artifacts.Examples,
                            properties={"split_names": json.dumps(splits), **properties}).with_id("BaselineExamples")


def _previous_span(cfg: PipelineConfig):
    """(span, uri, splits) of the newest earlier span this pipeline read, or None (the
    first span, or no store yet): then the gate runs without its drift check."""
    import logging

    from datalife.components.arrow_example_gen.spans import find_spans, select_spans
    from datalife.pipeline.mlmd import connection_config, open_store
    from datalife.pipeline.previous_span import previous_span_examples

    gen = cfg.components.example_gen
    current = int(select_spans(find_spans(_location(cfg, gen.input), gen.spans), gen.spans).span.max())
    if cfg.metadata.mysql is None and cfg.metadata.postgresql is None and not cfg.metadata_path.is_file():
        found = None
    else:
        found = previous_span_examples(open_store(connection_config(cfg)), cfg.name, current)
    if found is None:
        logging.warning("drift baseline previous_span: no earlier span of pipeline %r in its metadata store "
                        "(span %d is the first): the gate runs without the drift check", cfg.name, current)
    return found


def build_components(cfg: PipelineConfig) -> list:
    c = cfg.components
    gen = _source(cfg)
    stages, examples = stages_before_validation(cfg, gen.outputs["examples"])
    stats = tfx.components.StatisticsGen(examples=examples)
    if c.schema_gen.schema_file:
        schema_gen = tfx.components.ImportSchemaGen(schema_file=_location(cfg, c.schema_gen.schema_file))
    else:
        schema_gen = tfx.components.SchemaGen(
            statistics=stats.outputs["statistics"], infer_feature_shape=c.schema_gen.infer_feature_shape
        )
    validator = tfx.components.ExampleValidator(
        statistics=stats.outputs["statistics"], schema=schema_gen.outputs["schema"]
    )
    baseline, drift = drift_baseline(cfg), c.example_validator.drift
    drift = drift if baseline is not None else None  # previous_span on the first span: nothing to compare
    gate = ValidationGate(
        anomalies=validator.outputs["anomalies"],
        schema=schema_gen.outputs["schema"],
        on_anomalies=c.example_validator.on_anomalies,
        environment=c.example_validator.environment or "",
        statistics=stats.outputs["statistics"],  # a column missing from one split only; drift's current stats
        **({} if drift is None else {"drift": drift.model_dump_json(), "examples": examples,
                                     "baseline_examples": baseline.outputs["result"]}),
    )
    components = [gen, *stages, stats, schema_gen, validator, *([baseline] if baseline else []), gate,
                  *label_quality(cfg, examples, gate)]
    if c.active_sampler is not None:
        components.append(active_sampler(cfg, examples, gate))
    audio_aug = c.audio_augmenter
    if audio_aug is not None and audio_aug.ops:  # waveform ops, on validated examples, before Transform
        wave = _audio_augmenter(cfg, "waveform", examples)
        wave.add_upstream_node(gate)
        components.append(wave)
        examples = wave.outputs["augmented_examples"]
    if c.pair_maker is not None:  # side branch: pairs of the validated (not rebalanced) examples
        components.append(pair_maker(cfg, examples, gate))
    if c.rebalancer is not None:  # before Transform: Transform reads its output
        components.append(rebalancer(cfg, examples, gate))
        examples = components[-1].outputs["rebalanced_examples"]
    if c.transform is not None:
        transform = tfx.components.Transform(
            examples=examples,
            schema=gate.outputs["validated_schema"],
            preprocessing_fn=c.transform.preprocessing_fn,
            custom_config=c.transform.model_dump(mode="json"),
        )
        components.append(transform)
        examples = transform.outputs["transformed_examples"]
        if audio_aug is not None and audio_aug.spec_augment:  # masks on the features Transform computed
            spec_aug = _audio_augmenter(cfg, "spec", examples)
            components.append(spec_aug)
            examples = spec_aug.outputs["augmented_examples"]
    if c.time_series_windower is not None:
        from datalife.components.time_series_windower.component import TimeSeriesWindower

        windower = TimeSeriesWindower(examples=examples, config=c.time_series_windower.model_dump_json())
        if c.transform is None:
            windower.add_upstream_node(gate)  # only window data that passed validation
        components.append(windower)
    if c.image_augmenter is not None:
        from datalife.components.image_augmenter.component import ImageAugmenter

        spec = _seeded(c.image_augmenter, cfg.seed)
        augmenter = ImageAugmenter(examples=examples, config=spec.model_dump_json())
        augmenter.add_upstream_node(gate)  # only augment data that passed validation
        components.append(augmenter)
    return components


def metadata_connection(cfg: PipelineConfig):
    """The MLMD connection the orchestrator writes to (SQLite, MySQL / MariaDB or
    PostgreSQL; see :func:`datalife.pipeline.mlmd.connection_config`)."""
    from datalife.pipeline.mlmd import connection_config

    if not cfg.metadata.shared:
        cfg.metadata_path.parent.mkdir(parents=True, exist_ok=True)
    return connection_config(cfg)


def build_pipeline(cfg: PipelineConfig, with_metadata: bool = True):
    """The TFX pipeline; ``with_metadata=False`` leaves the store to the orchestrator."""
    from datalife.components.artifact_names import install

    install()  # unique artifact names on the legacy launcher (Airflow, InteractiveContext)
    return tfx.dsl.Pipeline(
        pipeline_name=cfg.name,
        pipeline_root=str(cfg.pipeline_root),
        components=build_components(cfg),
        enable_cache=cfg.enable_cache,
        metadata_connection_config=metadata_connection(cfg) if with_metadata else None,
        beam_pipeline_args=cfg.beam.args(),
    )
