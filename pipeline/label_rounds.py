"""One labeling round, as a Python API (``datalife labels next`` / ``labels import``
call these): select the next batch from a pipeline run's Examples or a CSV / parquet
file, hand it to people (Label Studio tasks, CSV), read their answers back as gold
labels with provenance, and record both steps in ML Metadata.

    batch = next_batch("runs/spam", "labeling", strategy="hybrid", batch_size=20, show_column="text")
    gold = import_labels("labeling", "export.json")       # or pull=True: from the server

A labeling folder (``out_dir``) holds ``labels.csv`` (every gold label so far, merged
round by round: ``key, label, label_source, annotator, annotated_at, round, task_id,
...``), ``rounds/<n>/`` (``batch.csv``, ``batch.json``, ``tasks.json``,
``label_config.xml``, ``round.json``; after the import ``gold.csv``,
``annotations.csv``, ``disagreements.csv``, ``quarantine.csv``, ``import.json``) and,
unless the batch came from a pipeline's store, ``metadata.sqlite``. Labels in
``labels.csv`` override the source's labels; examples sent in a round not yet imported
are not selected again."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Optional, Sequence

import pandas as pd

from datalife.labeling.active.select import select
from datalife.labeling.gold_labels import merge_labels
from datalife.labeling.label_studio_import import read_annotations
from datalife.labeling.label_studio_tasks import batch_tasks, label_config, write_tasks_csv, write_tasks_json

__all__ = ["next_batch", "import_labels", "load_pool", "rounds", "LabelRoundError"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp")


class LabelRoundError(ValueError):
    """A round that cannot be run; the message names the file, round or column."""


# ----------------------------------------------------------------------------- the pool
def _examples_frame(uri: str, split: str, key_column: Optional[str]) -> pd.DataFrame:
    from datalife.common.codec import content_keys, to_dataframe
    from datalife.components.examples_beam import split_records

    records = list(split_records(uri, split))
    if not records:
        raise LabelRoundError(f"{uri}: split {split!r} holds no examples")
    frames = []
    for i in range(0, len(records), 1000):
        chunk = records[i:i + 1000]
        df = to_dataframe(chunk)
        ids = None
        if key_column:
            if key_column not in df.columns:
                raise LabelRoundError(f"{uri}: key column {key_column!r} is not a feature (features: {list(df.columns)})")
            ids = [None if v is None else str(v) for v in df[key_column]]
        df["__key"] = content_keys(chunk, ids)
        frames.append(df)
    df = pd.concat(frames, ignore_index=True)
    dup = df["__key"].duplicated()
    df = df[~dup].reset_index(drop=True)  # the same example twice: one copy is enough to label
    df.attrs["duplicates_dropped"] = int(dup.sum())
    return df


def _run_examples(store, pipeline: Optional[str]) -> tuple[int, str]:
    """The Examples StatisticsGen read in the latest run (the validated examples)."""
    from ml_metadata.proto import metadata_store_pb2 as pb

    from datalife.pipeline import mlmd

    run = mlmd.latest_run(store, pipeline)
    if run is None:
        raise LabelRoundError("the metadata store holds no pipeline run")
    for e in mlmd.run_executions(store, run):
        if e.component == "StatisticsGen":
            events = [ev for ev in store.get_events_by_execution_ids([e.id]) if ev.type == pb.Event.INPUT]
            [art] = store.get_artifacts_by_id([events[0].artifact_id])
            return art.id, art.uri
    raise LabelRoundError(f"run {run.name!r} has no StatisticsGen execution to take the examples from")


def load_pool(source, *, split: str = "train", key_column: Optional[str] = None):
    """(DataFrame with a ``__key`` column, where it came from: {kind, uri, store, artifact_id, sha256})."""
    path = Path(source)
    if path.suffix in (".yaml", ".yml") or (path.is_dir() and (path / "metadata.sqlite").is_file()):
        if path.suffix in (".yaml", ".yml"):
            from datalife.pipeline.config import load_config
            from datalife.pipeline.mlmd import connection_config, open_store

            cfg = load_config(path, check_data=False)
            store, pipeline, meta = open_store(connection_config(cfg)), cfg.name, str(path.resolve())
        else:
            from datalife.pipeline.mlmd import open_store

            store, pipeline, meta = open_store(path / "metadata.sqlite"), None, str((path / "metadata.sqlite").resolve())
        artifact_id, uri = _run_examples(store, pipeline)
        return _examples_frame(uri, split, key_column), {"kind": "run", "uri": uri, "store": meta,
                                                         "artifact_id": artifact_id}
    if path.is_dir() and (path / f"Split-{split}").is_dir():
        return _examples_frame(str(path), split, key_column), {"kind": "examples", "uri": str(path.resolve())}
    if not path.is_file():
        raise LabelRoundError(f"{source}: not a CSV / parquet / JSONL file, an Examples folder (Split-{split}), "
                              f"a run folder (metadata.sqlite) or a config")
    readers = {".csv": pd.read_csv, ".parquet": pd.read_parquet,
               ".jsonl": lambda p: pd.read_json(p, lines=True)}
    if path.suffix not in readers:
        raise LabelRoundError(f"{source}: unknown file type {path.suffix!r}; expected {sorted(readers)}")
    df = readers[path.suffix](path)
    if key_column:
        if key_column not in df.columns:
            raise LabelRoundError(f"{source}: no key column {key_column!r} (columns: {list(df.columns)})")
        df["__key"] = df[key_column].astype(str)
    else:
        df["__key"] = [str(i) for i in range(len(df))]  # the row number (1st data row = 0)
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    return df, {"kind": "file", "uri": str(path.resolve()), "sha256": sha}


# ----------------------------------------------------------------------------- rounds
def rounds(out_dir) -> list[dict]:
    """Every round's ``round.json``, oldest first."""
    root = Path(out_dir) / "rounds"
    return [json.loads((d / "round.json").read_text()) for d in sorted(root.glob("*")) if (d / "round.json").is_file()]


def _store(info: dict):
    from datalife.pipeline.label_rounds_mlmd import writable_store

    meta = info["metadata"]
    if meta.endswith((".yaml", ".yml")):
        from datalife.pipeline.config import load_config
        from datalife.pipeline.mlmd import connection_config

        return writable_store(connection_config(load_config(Path(meta), check_data=False)))
    return writable_store(meta)


def _labels(out_dir: Path) -> Optional[pd.DataFrame]:
    path = out_dir / "labels.csv"
    return pd.read_csv(path, dtype={"key": str}) if path.is_file() else None


def _plain(v):
    return v.item() if hasattr(v, "item") else v


def next_batch(source, out_dir, *, strategy: str = "hybrid", batch_size: int = 20, seed: int = 0,
               label_column: str = "label", features: Optional[Sequence[str]] = None,
               embedding: Optional[str] = None, key_column: Optional[str] = None,
               show_column: Optional[str] = None, classes: Optional[Sequence] = None, split: str = "train",
               strategy_params: Optional[dict] = None, allow_partial_batch: bool = False,
               classifier: Optional[str] = None, push: Optional[str] = None,
               token_env: str = "LABEL_STUDIO_API_KEY", project: Optional[int] = None,
               metadata: Optional[str] = None) -> pd.DataFrame:
    """Select the next batch into ``out_dir/rounds/<n>/``; returns the batch (``attrs``:
    ``round`` = its round.json)."""
    from datalife.pipeline.label_rounds_mlmd import record_selection, source_artifact

    out_dir = Path(out_dir)
    df, src = load_pool(source, split=split, key_column=key_column)
    done = rounds(out_dir)
    if classes is None and done:
        classes = done[-1]["classes"]
    if label_column not in df.columns:
        df[label_column] = None
    df[label_column] = df[label_column].astype(object)
    known = _labels(out_dir)
    human = 0
    if known is not None and len(known):
        by_key = dict(zip(known["key"].astype(str), known["label"]))
        hit = df["__key"].isin(list(by_key))
        df.loc[hit, label_column] = df.loc[hit, "__key"].map(by_key)
        human = int(hit.sum())
    pending = {k for r in done if not r.get("imported") for k in r["keys"]}
    waiting = df["__key"].isin(list(pending))
    pool = df[~waiting].reset_index(drop=True)
    duplicates = int(df.attrs.get("duplicates_dropped", 0))
    feats = embedding if embedding else (list(features) if features else None)
    if feats is None:
        skip = {label_column, key_column, show_column, "__key"}
        feats = [c for c in pool.columns if c not in skip and pd.api.types.is_numeric_dtype(pool[c])]
    kwargs = {"classifier": classifier} if classifier else {}
    batch = select(pool, features=feats, label_column=label_column, key_column="__key", classes=classes,
                   strategy=strategy, batch_size=batch_size, seed=seed, allow_partial_batch=allow_partial_batch,
                   **kwargs, **(strategy_params or {}))
    summary = batch.attrs["summary"]
    n = len(done) + 1
    name = f"{n:04d}"
    rdir = out_dir / "rounds" / name
    rdir.mkdir(parents=True, exist_ok=False)
    batch_id = f"round-{name}"
    rows = pool.iloc[batch["row"].to_numpy()]
    people = batch.drop(columns=["row"]).copy()
    people.insert(2, "batch_id", batch_id)
    if key_column:
        people.insert(2, key_column, rows[key_column].to_numpy())
    kind = None
    if show_column:
        if show_column not in pool.columns:
            raise LabelRoundError(f"{source}: no column {show_column!r} to show the annotator "
                                  f"(columns: {[c for c in pool.columns if c != '__key']})")
        people[show_column] = rows[show_column].to_numpy()
        kind = "image" if people[show_column].astype(str).str.lower().str.endswith(IMAGE_SUFFIXES).any() else "text"
    classes = list(summary["classes"])
    people.to_csv(rdir / "batch.csv", index=False)
    (rdir / "batch.json").write_text(people.to_json(orient="records", indent=1))
    info = {"round": name, "batch_id": batch_id, "source": {k: v for k, v in src.items() if k != "store"},
            "classes": [_plain(c) for c in classes], "strategy": strategy, "batch_size": int(batch_size),
            "seed": int(seed), "selected": int(len(batch)), "keys": batch["key"].tolist(), "kind": kind,
            "show_column": show_column, "key_column": key_column, "human_labels_used": human,
            "pending_not_selected": int(waiting.sum()), "duplicates_dropped": duplicates, "labeled": summary["labeled"],
            "unlabeled": summary["unlabeled"], "quarantined": summary["quarantined"],
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "imported": False,
            "metadata": metadata or src.get("store") or str((out_dir / "metadata.sqlite").resolve())}
    if kind:
        tasks = batch_tasks(people, batch_id=batch_id, kind=kind, data_column=show_column)
        write_tasks_json(tasks, str(rdir / "tasks.json"))
        write_tasks_csv(tasks, str(rdir / "tasks.csv"))
        (rdir / "label_config.xml").write_text(label_config(classes, kind=kind))
        if push:
            from datalife.labeling.label_studio_api import LabelStudio, token_from_env

            ls = LabelStudio(push, token_from_env(token_env))
            pid = project or ls.create_project(f"datalife {batch_id}", label_config(classes, kind=kind))
            info["label_studio"] = {"url": push, "project": pid, "tasks": ls.import_tasks(pid, tasks),
                                    "token_env": token_env}
    elif push:
        raise LabelRoundError("push: Label Studio tasks need show_column (the text or image the annotator sees)")
    store = _store(info)
    source_ref = src["artifact_id"] if "artifact_id" in src else source_artifact(store, src["uri"],
                                                                                 src.get("sha256", ""))
    gold_id = next((r["mlmd"]["gold_artifact"] for r in reversed(done) if r.get("mlmd", {}).get("gold_artifact")),
                   None)
    exec_id, art_id = record_selection(store, name, source_ref, str(rdir.resolve()),
                                       {"strategy": strategy, "batch_size": int(batch_size), "seed": int(seed),
                                        "selected": int(len(batch)), "source": src["uri"]}, gold_id)
    info["mlmd"] = {"selection_execution": exec_id, "batch_artifact": art_id}
    (rdir / "round.json").write_text(json.dumps(info, indent=1, default=str))
    people.attrs["round"] = info
    people.attrs["summary"] = summary
    return people


def import_labels(out_dir, export=None, *, round: Optional[str] = None, pull: bool = False,
                  url: Optional[str] = None, project: Optional[int] = None,
                  token_env: Optional[str] = None) -> pd.DataFrame:
    """Read a round's answers (a Label Studio JSON export file, or ``pull`` them from the
    server the round was pushed to) into gold labels; merge them into ``labels.csv``;
    returns the round's gold labels (``attrs``: ``counts``, ``merge``, ``quarantine``,
    ``disagreements``)."""
    from datalife.pipeline.label_rounds_mlmd import record_import

    out_dir = Path(out_dir)
    done = rounds(out_dir)
    if not done:
        raise LabelRoundError(f"{out_dir}: no labeling round here (run `datalife labels next` first)")
    if round is None:
        info = next((r for r in done if not r.get("imported")), done[-1])
    else:
        name = f"{int(round):04d}" if str(round).isdigit() else str(round)
        matches = [r for r in done if r["round"] == name]
        if not matches:
            raise LabelRoundError(f"{out_dir}: no round {round!r} (rounds: {[r['round'] for r in done]})")
        info = matches[0]
    rdir = out_dir / "rounds" / info["round"]
    users = None
    if pull or export is None:
        ls_info = info.get("label_studio", {})
        url, project = url or ls_info.get("url"), project or ls_info.get("project")
        if not url or not project:
            raise LabelRoundError(f"round {info['round']}: give the export file, or a Label Studio URL and project "
                                  f"to pull from (the round was not pushed)")
        from datalife.labeling.label_studio_api import LabelStudio, token_from_env

        ls = LabelStudio(url, token_from_env(token_env or ls_info.get("token_env", "LABEL_STUDIO_API_KEY")))
        data, users = ls.export(int(project)), ls.users()
        (rdir / "export.json").write_text(json.dumps(data, indent=1))
        export_path, export_uri = str(rdir / "export.json"), f"{url.rstrip('/')}/projects/{project}"
    else:
        export_path = export_uri = str(Path(export).resolve())
    sent = pd.read_csv(rdir / "batch.csv", dtype={"key": str})[["key", "batch_id"]]
    got = read_annotations(export_path, info["classes"], expected=sent, annotators=users)
    gold = got.gold.copy()
    gold["round"] = info["round"]
    for name, frame in (("gold", gold), ("annotations", got.annotations), ("disagreements", got.disagreements),
                        ("quarantine", got.quarantine)):
        frame.to_csv(rdir / f"{name}.csv", index=False)
    merged, changes, merge_counts = merge_labels(_labels(out_dir), gold)
    merged.to_csv(out_dir / "labels.csv", index=False)
    store = _store(info)
    exec_id, gold_id = record_import(store, info["round"], info["mlmd"]["batch_artifact"], export_uri,
                                     str((rdir / "gold.csv").resolve()), got.counts)
    info.update({"imported": True, "imported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                 "import_counts": got.counts, "merge": merge_counts})
    info["mlmd"].update({"import_execution": exec_id, "gold_artifact": gold_id})
    (rdir / "round.json").write_text(json.dumps(info, indent=1, default=str))
    (rdir / "import.json").write_text(json.dumps({"counts": got.counts, "merge": merge_counts}, indent=1))
    gold.attrs.update({"counts": got.counts, "merge": merge_counts, "quarantine": got.quarantine,
                       "disagreements": got.disagreements, "round": info})
    return gold
