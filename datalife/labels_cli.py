"""``datalife labels next`` and ``datalife labels import``: one labeling round from the
command line (the Python API is ``datalife.pipeline.label_rounds``)."""
from __future__ import annotations

import json
from pathlib import Path

__all__ = ["add_parsers", "run"]


def _csv(text):
    return [t.strip() for t in text.split(",") if t.strip()] if text else None


def _param(text: str):
    name, _, value = text.partition("=")
    try:
        return name, json.loads(value)
    except json.JSONDecodeError:
        return name, value


def add_parsers(sub) -> None:
    """Add ``next`` and ``import`` to the ``labels`` subcommands."""
    nxt = sub.add_parser("next", help="select the next batch to label (active learning) and write Label Studio tasks")
    nxt.add_argument("source", help="a run folder or config (its latest run's validated Examples), an Examples "
                                    "folder, or a CSV / parquet / JSONL file")
    nxt.add_argument("-o", "--out", default="labeling", help="the labeling folder (rounds, labels.csv; default labeling)")
    nxt.add_argument("--strategy", default="hybrid", help="hybrid, margin, entropy, least_confidence, qbc_vote_entropy, "
                                                          "qbc_kl, typiclust, kmeans, regions, random")
    nxt.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="a strategy parameter")
    nxt.add_argument("--batch-size", type=int, default=20)
    nxt.add_argument("--seed", type=int, default=0)
    nxt.add_argument("--label-column", default="label", help="missing, empty or -1: unlabeled")
    nxt.add_argument("--features", help="comma-separated numeric feature columns (default: every numeric column)")
    nxt.add_argument("--embedding", help="a column holding one vector per example, instead of --features")
    nxt.add_argument("--key-column", help="the example id column (default: row number / content hash)")
    nxt.add_argument("--show-column", help="the text or image path/URL the annotator sees (needed for tasks)")
    nxt.add_argument("--classes", help="comma-separated class names (default: the labels met)")
    nxt.add_argument("--split", default="train", help="the split of Examples to select from")
    nxt.add_argument("--classifier", help="a scikit-learn classifier by dotted path (default logistic regression)")
    nxt.add_argument("--allow-partial-batch", action="store_true", help="a smaller pool: take it whole")
    nxt.add_argument("--push", metavar="URL", help="a running Label Studio: create a project, import the tasks")
    nxt.add_argument("--project", type=int, help="an existing Label Studio project id to push to")
    nxt.add_argument("--token-env", default="LABEL_STUDIO_API_KEY", help="the env variable holding the API token")
    nxt.add_argument("--metadata", help="the MLMD store to record the round in (SQLite path or a config; default: "
                                        "the run's store, else <out>/metadata.sqlite)")
    imp = sub.add_parser("import", help="import a round's Label Studio annotations as gold labels with provenance")
    imp.add_argument("out", nargs="?", default="labeling", help="the labeling folder (default labeling)")
    imp.add_argument("export", nargs="?", help="Label Studio's JSON export (default: pull from the server)")
    imp.add_argument("--round", help="the round (default: the oldest one not imported)")
    imp.add_argument("--pull", action="store_true", help="export from the Label Studio server the round was pushed to")
    imp.add_argument("--url", help="Label Studio URL to pull from (default: the one pushed to)")
    imp.add_argument("--project", type=int, help="Label Studio project id to pull from")
    imp.add_argument("--token-env", help="the env variable holding the API token")


def run(args) -> int:
    import sys

    from datalife.labeling.label_studio_api import LabelStudioError

    try:
        return _run(args)
    except LabelStudioError as exc:
        print(f"datalife labels {args.labels_command}: {exc}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from datalife.pipeline.label_rounds import import_labels, next_batch

    if args.labels_command == "next":
        batch = next_batch(args.source, args.out, strategy=args.strategy, batch_size=args.batch_size, seed=args.seed,
                           label_column=args.label_column, features=_csv(args.features), embedding=args.embedding,
                           key_column=args.key_column, show_column=args.show_column, classes=_csv(args.classes),
                           split=args.split, strategy_params=dict(_param(p) for p in args.param),
                           allow_partial_batch=args.allow_partial_batch, classifier=args.classifier,
                           push=args.push, project=args.project, token_env=args.token_env, metadata=args.metadata)
        info = batch.attrs["round"]
        rdir = Path(args.out) / "rounds" / info["round"]
        print(f"round {info['round']}: selected {len(batch)} of {info['unlabeled']} unlabeled examples "
              f"({info['labeled']} labeled, {info['human_labels_used']} by people so far; "
              f"{info['pending_not_selected']} waiting in earlier rounds; {info['quarantined']} quarantined) "
              f"with {info['strategy']}")
        shown = batch[[c for c in ("rank", "key", "score", "predicted", "reason") if c in batch]].head(10).copy()
        shown["reason"] = shown["reason"].str.slice(0, 70)
        print(shown.to_string(index=False))
        print(f"wrote {rdir}/batch.csv" + (f", {rdir}/tasks.json (Label Studio)" if info["kind"] else ""))
        if "label_studio" in info:
            ls = info["label_studio"]
            print(f"pushed {ls['tasks']} tasks to {ls['url']}/projects/{ls['project']}")
        print(f"recorded in MLMD {info['metadata']}: selection execution {info['mlmd']['selection_execution']}, "
              f"batch artifact {info['mlmd']['batch_artifact']}")
        return 0
    gold = import_labels(args.out, args.export, round=args.round, pull=args.pull, url=args.url, project=args.project,
                         token_env=args.token_env)
    c, m, info = gold.attrs["counts"], gold.attrs["merge"], gold.attrs["round"]
    print(f"round {info['round']}: {c['keys_gold']} gold labels from {c['annotations_used']} annotations "
          f"({c['keys_unresolved']} unresolved disagreements, {c['keys_unanswered']} unanswered, "
          f"{c['expected_not_returned']} not in the export; quarantined: "
          f"{c['tasks_quarantined']} tasks, {c['annotations_quarantined']} annotations {c['annotation_reasons']})")
    print(f"labels.csv: {m['rows_out']} labels ({m['added']} added, {m['human_over']} replaced weaker ones, "
          f"{m['relabeled']} relabeled, {m['confirmed']} confirmed)")
    meta = info["metadata"]
    target = str(Path(meta).parent) if meta.endswith("metadata.sqlite") else meta
    print(f"recorded in MLMD {meta}: import execution {info['mlmd']['import_execution']}, gold labels artifact "
          f"{info['mlmd']['gold_artifact']} (see: datalife lineage {target} {info['mlmd']['gold_artifact']})")
    return 0
