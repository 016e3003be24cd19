"""``datalife.read``: a run's Examples as a pandas DataFrame (no TensorFlow, no TFX).

    import datalife
    df = datalife.read("runs/demo-tabular")                      # latest run, last Examples, train
    df = datalife.read("runs/demo-tabular", component="Transform", split="eval")
    df = datalife.read("pipeline/configs/tabular.yaml", run="<run id>")   # any store (MySQL ...)
    df = datalife.read("runs/demo-tabular/pipeline/Transform/transformed_examples/6")  # an artifact folder

One column per feature (sorted by name), plain values decoded by ``common.codec``
(a scalar when single, a list otherwise, text for UTF-8 bytes, None when absent).
``df.attrs`` holds where the rows came from: ``run``, ``component``, ``output``,
``artifact_id``, ``uri``, ``split``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Union

__all__ = ["read", "examples_outputs"]


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _store(target: Path):
    from datalife.pipeline import mlmd

    if target.is_file() and target.suffix in (".yaml", ".yml"):
        from datalife.pipeline.config import load_config

        cfg = load_config(target, check_data=False)
        if not cfg.metadata.shared and not cfg.metadata_path.is_file():
            raise FileNotFoundError(f"{cfg.metadata_path}: no metadata store here (has the pipeline run?)")
        return mlmd.open_store(mlmd.connection_config(cfg, readonly=True)), cfg.name
    sqlite = target / "metadata.sqlite"
    if not sqlite.is_file():
        raise FileNotFoundError(f"{target}: neither a run folder (holding metadata.sqlite), a config file nor an "
                                "Examples artifact folder (holding Split-* folders)")
    return mlmd.open_store(sqlite), None


def examples_outputs(store, run) -> list[tuple[str, str, int, str]]:
    """(component, output key, artifact id, uri) of every Examples output of a run, in execution order."""
    from datalife.pipeline import mlmd

    found = []
    for e in mlmd.run_executions(store, run):
        ids = [aid for aids in e.output_ids.values() for aid in aids]
        arts = {a.id: a for a in store.get_artifacts_by_id(ids)}
        types = {t.id: t.name for t in store.get_artifact_types_by_id(list({a.type_id for a in arts.values()}))}
        for key, aids in e.output_ids.items():
            for aid in aids:
                if types.get(arts[aid].type_id) == "Examples":
                    found.append((e.component, key, aid, arts[aid].uri))
    return found


def _read_split(uri: str, split: str):
    import pandas as pd

    from datalife.common.codec import to_dataframe
    from datalife.common.tfrecords import iter_tfrecords

    folder = Path(uri) / f"Split-{split}"
    if not folder.is_dir():
        splits = sorted(d.name[6:] for d in Path(uri).glob("Split-*"))
        raise LookupError(f"{uri}: no split {split!r}; the splits are: {', '.join(splits) or 'none'}")
    records = [r for f in sorted(folder.iterdir()) if f.is_file() for r in iter_tfrecords(str(f))]
    if not records:
        return pd.DataFrame()
    batch = 1000
    return pd.concat([to_dataframe(records[i:i + batch]) for i in range(0, len(records), batch)],
                     ignore_index=True)


def read(target: Union[str, Path], component: Optional[str] = None, split: str = "train",
         run: Optional[str] = None, output: Optional[str] = None):
    """The examples of one split of a run's Examples output as a pandas DataFrame.

    ``target``: a run folder (holding ``metadata.sqlite``), a config file (its store, any
    kind), or an Examples artifact folder. ``component``: the component whose output to
    read (``Transform``, ``transform`` or ``weak_labeler`` alike; default the last one with
    Examples); ``output``: its output key when it has several Examples outputs;
    ``run``: a run id (default the latest run). Unknown names fail listing the known ones."""
    from datalife.pipeline import mlmd

    target = Path(target)
    if target.is_dir() and any(target.glob("Split-*")):
        df = _read_split(str(target), split)
        df.attrs.update({"uri": str(target), "split": split})
        return df
    store, pipeline = _store(target)
    ctx = mlmd.run_context(store, run) if run else mlmd.latest_run(store, pipeline)
    if ctx is None:
        runs = [r.name for r in mlmd.pipeline_runs(store, pipeline)]
        raise LookupError(f"{target}: no run {run!r}; the runs are: {', '.join(runs) or 'none'}" if run
                          else f"{target}: the metadata store holds no run")
    found = examples_outputs(store, ctx)
    if not found:
        raise LookupError(f"{target}: run {ctx.name} has no Examples output")
    chosen = found
    if component is not None:
        chosen = [f for f in found if _norm(f[0]) == _norm(component)]
        if not chosen:
            raise LookupError(f"run {ctx.name}: no Examples from component {component!r}; the components with "
                              f"Examples are: {', '.join(dict.fromkeys(f[0] for f in found))}")
    if output is not None:
        keys = [f[1] for f in chosen]
        chosen = [f for f in chosen if f[1] == output]
        if not chosen:
            raise LookupError(f"run {ctx.name}: no Examples output {output!r}; the outputs are: {', '.join(keys)}")
    name, key, artifact_id, uri = chosen[-1]
    df = _read_split(uri, split)
    df.attrs.update({"run": ctx.name, "component": name, "output": key, "artifact_id": artifact_id, "uri": uri,
                     "split": split})
    return df
