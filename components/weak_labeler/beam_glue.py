"""Beam glue of the weak labeler: decode, key, call the core, encode. Imports neither
TensorFlow nor TFX.

- ``ApplyLFs``: a batch of serialized examples -> a :class:`VoteBatch` (keys, the
  batch's label-matrix rows, dev gold labels), with counts and quarantined dev rows.
- ``VoteStatsFn``: the label matrix as vote-pattern statistics (a ``CombineFn`` over
  ``labeling.vote_patterns``): no worker ever holds the matrix.
- ``fit_aggregate_step``: the statistics -> the chosen aggregator and its report.
- ``EndModelRows`` / ``fit_end_step``: the end model's training rows (a key-hash sample
  of at most ``max_train_rows``) and the dev rows -> the end model and dev metrics.
- ``AttachLabels``: the final label, probabilities, ``label_source`` and votes onto
  each example (``labeling.final_labels``, the notebook API's function).
"""
from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from typing import Optional

import apache_beam as beam
import numpy as np

from datalife.common.codec import Columns, add_features, content_keys
from datalife.common.quarantine import quarantine_record
from datalife.components.beam_glue import ConfigDoFn
from datalife.components.weak_labeler.spec import WeakLabelerConfig
from datalife.labeling.applier import apply_batch
from datalife.labeling.lf_loader import load_lfs
from datalife.labeling.lfs import ABSTAIN
from datalife.labeling.vote_patterns import add_batch, compact_stats, empty_stats, merge_stats

__all__ = ["VoteBatch", "ApplyLFs", "VoteStatsFn", "votes_of", "fit_aggregate_step", "EndModelRows", "train_rank",
           "fit_end_step", "EndRowsFn", "AttachLabels", "FitResult", "EndResult", "gold_ids"]


@dataclass
class VoteBatch:
    split: str
    raws: list  # serialized examples
    keys: list  # content keys (with the id_field value first)
    L: np.ndarray  # [n, m] votes, -1 = abstain
    gold: Optional[np.ndarray] = None  # dev split: class ids


def gold_ids(values, names: list, field_name: str, keys) -> tuple[list, list]:
    """Dev gold labels as class ids (ids or class names); returns (ids, problems) where
    a problem is (row index, message) for a missing or unknown label."""
    index = {n: i for i, n in enumerate(names)}
    out, problems = [], []
    for i, v in enumerate(values):
        if isinstance(v, bytes):
            v = v.decode("utf-8", "replace")
        if isinstance(v, str) and v in index:
            out.append(index[v])
            continue
        if isinstance(v, str) and v.strip().lstrip("-").isdigit():
            v = int(v)
        if isinstance(v, (int, np.integer)) and not isinstance(v, bool) and 0 <= v < len(names):
            out.append(int(v))
            continue
        if isinstance(v, (float, np.floating)) and float(v).is_integer() and 0 <= v < len(names):
            out.append(int(v))
            continue
        what = "has no" if v is None else f"has {v!r} as its"
        problems.append((i, f"dev example {keys[i]!r} {what} dev label field {field_name!r}: expected a class id "
                            f"0..{len(names) - 1} or a class name {names}"))
        out.append(-1)
    return out, problems


class ApplyLFs(ConfigDoFn):
    """(split, [serialized, ...]) -> VoteBatch; tagged ``counts`` (split, {...}) and
    ``quarantine`` (dev rows whose gold label is missing or unknown, fault-tolerant mode)."""

    config_type = WeakLabelerConfig

    def setup(self):
        super().setup()
        self.lfs = load_lfs(self.cfg.lf_module)

    def process(self, batch):
        split, raws = batch
        cfg = self.cfg
        columns = Columns(raws)
        if cfg.id_field is not None and cfg.id_field not in columns:
            raise KeyError(f"id_field {cfg.id_field!r} is not a feature of the examples: {sorted(columns)}")
        keys = content_keys(raws, columns[cfg.id_field] if cfg.id_field else None)
        counts = {"rows_in": len(raws)}
        gold = None
        keep = np.ones(len(raws), bool)
        if split == cfg.dev_split:
            values = columns[cfg.dev_label_field] if cfg.dev_label_field in columns else [None] * len(raws)
            ids, problems = gold_ids(values, cfg.names(), cfg.dev_label_field, keys)
            for i, message in problems:
                if not cfg.fault_tolerant:
                    raise ValueError(message)
                keep[i] = False
                yield beam.pvalue.TaggedOutput("quarantine", quarantine_record(
                    None, "bad_dev_label", message, record=keys[i], field=cfg.dev_label_field, split=split))
            gold = np.array(ids, np.int64)[keep]
            if problems:
                counts["rows_quarantined"] = len(problems)
                counts["quarantined_bad_dev_label"] = len(problems)
                raws = [r for r, k in zip(raws, keep) if k]
                keys = [k for k, kp in zip(keys, keep) if kp]
                columns = Columns(raws)
        L, faulted = apply_batch(self.lfs, columns, keys, fault_tolerant=cfg.fault_tolerant,
                                 cardinality=cfg.cardinality)
        if faulted.any():
            for j, lf in enumerate(self.lfs):
                counts[f"lf_faults|{lf.name}"] = int(faulted[:, j].sum())
        yield beam.pvalue.TaggedOutput("counts", (split, counts))
        if raws:
            yield VoteBatch(split, raws, keys, L, gold)


def votes_of(vb: VoteBatch) -> tuple:
    """What the statistics need of a batch: no examples."""
    return vb.split, vb.L, vb.gold


class VoteStatsFn(beam.CombineFn):
    """(split, L, gold) batches -> ``VoteStats`` (per split, vote-pattern counts)."""

    def __init__(self, cardinality: int, n_lfs: int, max_patterns: int):
        self.cardinality, self.n_lfs, self.max_patterns = cardinality, n_lfs, max_patterns

    def create_accumulator(self):
        return empty_stats(self.cardinality, self.n_lfs, self.max_patterns)

    def add_input(self, acc, element):
        split, L, gold = element
        return add_batch(acc, L, split, gold)

    def merge_accumulators(self, accs):
        accs = iter(accs)
        out = next(accs)
        for a in accs:
            out = merge_stats(out, a)
        return out

    def extract_output(self, acc):
        return compact_stats(acc)


@dataclass
class FitResult:
    aggregator: object  # the chosen, fitted Aggregator (picklable)
    report: dict  # JSON: chosen, reason, candidates, warnings, lf summary, rows
    fitted: dict = field(default_factory=dict)  # every fitted aggregator by name (the end model's label sources)


def _picklable(agg):
    """Snorkel's LabelModel fitted from statistics is a subclass defined in a function;
    what predicts is the plain LabelModel (same state), which pickles."""
    model = getattr(agg, "model", None)
    if model is not None and type(model).__name__ == "StatsLabelModel":
        from snorkel.labeling.model import LabelModel

        model.__class__ = LabelModel
    return agg


def fit_aggregate_step(stats, config_json: str, lf_names: list, patterns_path: str) -> FitResult:
    """Choose and fit the aggregator from the statistics (``aggregate_select``); write
    the statistics (``vote_patterns.npz``: per split its patterns and counts)."""
    from apache_beam.io.filesystems import FileSystems

    from datalife.labeling.aggregate_select import fit_aggregate
    from datalife.labeling.lf_summary import lf_summary_rows

    cfg = WeakLabelerConfig.model_validate_json(config_json)
    names = cfg.names()
    arrays = {"lf_names": np.array(lf_names), "class_names": np.array(names)}
    for split in stats.split_names():
        pc = stats.counts(split)
        if pc is None:
            mo = stats.moments(split)
            arrays.update({f"{split}/overlap": mo.overlap, f"{split}/votes": mo.votes,
                           f"{split}/n_rows": np.array(mo.n_rows)})
            continue
        arrays.update({f"{split}/patterns": pc.patterns, f"{split}/counts": pc.counts})
        if pc.gold is not None:
            arrays[f"{split}/gold"] = pc.gold
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    with FileSystems.create(patterns_path) as f:
        f.write(buf.getvalue())

    fit = fit_aggregate(stats, lf_names, cfg.fit_splits, cfg.dev_split, cfg.aggregate_spec(), names)
    report = {"chosen": fit.chosen.name, "reason": fit.reason, "candidates": fit.candidates,
              "warnings": fit.warnings, "fit_rows": fit.fit_rows, "dev_rows": fit.dev_rows,
              "aggregator": fit.chosen.describe(),
              "patterns": {s: (stats.counts(s).n_patterns if stats.counts(s) is not None else None)
                           for s in stats.split_names()},
              "lfs": lf_summary_rows(stats, lf_names, names, cfg.fit_splits, cfg.dev_split, fit)}
    return FitResult(_picklable(fit.chosen), _jsonable(report), {n: _picklable(a) for n, a in fit.fitted.items()})


def _jsonable(x):
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, np.integer):
        return int(x)
    if isinstance(x, np.floating):
        return float(x)
    if isinstance(x, float) and np.isnan(x):
        return None
    return x


def train_rank(row) -> bytes:
    """The order in which training rows are sampled: a hash of the example key."""
    return hashlib.sha256(row[0].encode()).digest()[:8]


class EndModelRows(ConfigDoFn):
    """VoteBatch -> ("train", (key, {field: value}, votes)) for the fit splits'
    covered examples and ("dev", (key, {field: value}, votes, gold)) for the dev
    split's. No side input: it runs in the same pass as the vote statistics (the
    aggregate probabilities are computed from the votes in ``fit_end_step``)."""

    config_type = WeakLabelerConfig

    def process(self, vb: VoteBatch):
        cfg = self.cfg
        spec = cfg.end_model_spec()
        is_fit, is_dev = vb.split in cfg.fit_splits, vb.split == cfg.dev_split
        if not (is_dev or (is_fit and spec is not None)):
            return
        columns = Columns(vb.raws)
        covered = (vb.L != ABSTAIN).any(axis=1)
        if is_fit:
            fields = spec.text_fields + spec.numeric_fields
            missing = [f for f in fields if f not in columns]
            if missing:
                raise KeyError(f"end_model field(s) {missing} are not features of the examples: {sorted(columns)}")
            use = covered if spec.train_rows == "covered" else np.ones(len(covered), bool)  # all | auto
            for i in np.nonzero(use)[0]:
                yield "train", (vb.keys[i], {f: columns[f][i] for f in fields}, vb.L[i].tolist())
        if is_dev:
            for i in range(len(vb.keys)):
                row = {f: columns[f][i] for f in columns if f != cfg.votes_field}
                yield "dev", (vb.keys[i], row, vb.L[i].tolist(), int(vb.gold[i]))


class EndRowsFn(beam.CombineFn):
    """("train" | "dev", row) -> (train rows: the ``max_train`` with the smallest key
    hash, a sample that depends on the data only; dev rows: all of them)."""

    def __init__(self, max_train: int):
        self.max_train = max_train

    def create_accumulator(self):
        return [], []

    def _trim(self, train):
        if len(train) > 2 * self.max_train:
            train = sorted(train, key=train_rank)[: self.max_train]
        return train

    def add_input(self, acc, element):
        tag, row = element
        train, dev = acc
        (train if tag == "train" else dev).append(row)
        return self._trim(train), dev

    def merge_accumulators(self, accs):
        train, dev = [], []
        for t, d in accs:
            train = self._trim(train + t)
            dev += d
        return train, dev

    def extract_output(self, acc):
        train, dev = acc
        return sorted(train, key=train_rank)[: self.max_train], dev


@dataclass
class EndResult:
    model: object = None  # the fitted EndModel or None
    from_end_model: str = "none"
    report: dict = field(default_factory=dict)


def fit_end_step(train_rows, dev_rows, config_json: str, lf_names: list, aggregator, fitted=None) -> EndResult:
    """The end model on the sampled training rows (sorted by key, so the fit depends on
    the data only), scored on the dev rows against the aggregate; ``from_end_model:
    auto`` chooses all / uncovered / none there (``final_labels.choose_end_model_use``)."""
    from datalife.labeling.aggregators import expected_accuracy
    from datalife.labeling.end_model import EndModelUnavailable, fit_end_model, fit_end_model_on_dev
    from datalife.labeling.final_labels import choose_end_model_use, final_labels
    from datalife.labeling.report_pictures import confusion_matrix, lf_mistakes

    cfg = WeakLabelerConfig.model_validate_json(config_json)
    spec, names = cfg.end_model_spec(), cfg.names()
    aggregator_name = aggregator.name
    out = EndResult(report={"warnings": []})
    if spec is not None:
        rows = sorted(train_rows, key=lambda r: r[0])
        fields = spec.text_fields + spec.numeric_fields
        cols = {f: [r[1][f] for r in rows] for f in fields}
        L_train = np.array([r[2] for r in rows], np.int64).reshape(len(rows), len(lf_names))
        covered_train = (L_train != ABSTAIN).any(axis=1)
        dev_sorted = sorted(dev_rows, key=lambda r: r[0])
        try:
            if dev_sorted:
                sources = fitted or {aggregator.name: aggregator}
                dev_gold = np.array([r[3] for r in dev_sorted], np.int64)
                out.model, table = fit_end_model_on_dev(
                    cols, {n: a.predict_proba(L_train) for n, a in sources.items()}, covered_train, spec,
                    {f: [r[1].get(f) for r in dev_sorted] for f in fields}, dev_gold, aggregator.name)
                out.report["end_model_candidates"] = table
            else:
                out.model = fit_end_model(cols, aggregator.predict_proba(L_train), covered_train, spec)
            out.report["end_model"] = out.model.describe()
        except EndModelUnavailable as exc:
            out.report["warnings"].append({"code": "end_model_skipped", "message": f"end model not trained: {exc}"})
    dev_rows = sorted(dev_rows, key=lambda r: r[0])
    end_use = None
    choice = cfg.from_end_model
    if out.model is None:
        choice = "none"
    elif choice == "auto" and not dev_rows:
        choice = "all"
    if dev_rows:
        keys = [r[0] for r in dev_rows]
        L = np.array([r[2] for r in dev_rows], np.int64).reshape(len(dev_rows), len(lf_names))
        gold = np.array([r[3] for r in dev_rows], np.int64)
        agg = aggregator.predict_proba(L)
        covered = (L != ABSTAIN).any(axis=1)
        end = None
        metrics = []
        if out.model is not None:
            fields = spec.text_fields + spec.numeric_fields
            end = out.model.predict_proba({f: [r[1].get(f) for r in dev_rows] for f in fields})
            if choice == "auto":
                choice, end_use = choose_end_model_use(agg, end, covered, gold)
            metrics.append({"step": "end_model", "dev_accuracy": expected_accuracy(end, gold),
                            "dev_accuracy_covered": expected_accuracy(end, gold, None, covered),
                            "chosen": choice != "none", "note": "never trained on dev rows"})
        labels, _, _ = final_labels(agg, covered, keys, aggregator_name, end, choice, None, False,
                                    cfg.label_model.tie_break)
        policy = {"all": "the end model labels every example",
                  "uncovered": f"{aggregator_name} labels covered examples, the end model the others",
                  "none": f"{aggregator_name} labels every example"}[choice]
        if end_use is not None:
            policy += " (best on dev of: " + ", ".join(f"{k} {v:.3f}" for k, v in end_use.items()) + ")"
        metrics.append({"step": "produced labels", "dev_accuracy": float((labels == gold).mean()),
                        "dev_accuracy_covered": float((labels[covered] == gold[covered]).mean())
                        if covered.any() else None, "chosen": False,
                        "note": f"from_end_model={choice}: {policy}; ties broken by example key"})
        out.report.update(
            dev_metrics=metrics, dev_rows=len(dev_rows), dev_coverage=float(covered.mean()),
            dev_confusion=confusion_matrix(labels, gold, cfg.cardinality).tolist(),
            mistakes=lf_mistakes(L, gold, lf_names, names, [r[1] for r in dev_rows], cfg.mistakes_per_lf))
    out.from_end_model = choice
    out.report = _jsonable(out.report)
    return out


class AttachLabels(ConfigDoFn):
    """VoteBatch -> labeled examples on the tagged output of their split, and tagged
    ``counts`` (rows out / dropped, labels per source and class). Side inputs: the
    FitResult and the EndResult."""

    config_type = WeakLabelerConfig

    def process(self, vb: VoteBatch, fit: FitResult, end: EndResult):
        from datalife.labeling.final_labels import final_labels

        cfg = self.cfg
        names = cfg.names()
        agg = fit.aggregator.predict_proba(vb.L)
        covered = (vb.L != ABSTAIN).any(axis=1)
        columns = Columns(vb.raws)
        end_probs = None
        if end.model is not None and end.from_end_model != "none":
            spec = end.model.spec
            end_probs = end.model.predict_proba({f: columns[f] for f in spec.text_fields + spec.numeric_fields})
        labels, probs, source = final_labels(agg, covered, vb.keys, fit.aggregator.name, end_probs,
                                             end.from_end_model, None, False, cfg.label_model.tie_break)
        keep = covered | (not cfg.drop_abstained)
        counts = {"rows_out": int(keep.sum()), "dropped_all_abstain": int((~keep).sum()),
                  "all_abstain": int((~covered).sum())}
        for lbl, src in zip(labels[keep], source[keep]):
            key = f"labels|{src}|{names[lbl] if lbl >= 0 else 'none'}"
            counts[key] = counts.get(key, 0) + 1
        yield beam.pvalue.TaggedOutput("counts", (vb.split, counts))
        if not keep.any():
            return
        idx = np.nonzero(keep)[0]
        new = {cfg.label_field: [int(labels[i]) for i in idx],
               cfg.probs_field: [[float(p) for p in probs[i]] for i in idx],
               cfg.label_source_field: [str(source[i]) for i in idx],
               cfg.votes_field: [[int(v) for v in vb.L[i]] for i in idx]}
        kinds = {cfg.label_field: "int", cfg.probs_field: "float", cfg.label_source_field: "bytes",
                 cfg.votes_field: "int"}
        original = f"{cfg.label_field}_original"
        if cfg.label_field in columns:
            values = columns.values(cfg.label_field)
            new[original] = [values[i] for i in idx]
            kinds[original] = columns.kind(cfg.label_field)
        raws = [vb.raws[i] for i in idx]
        for out in add_features(raws, new, kinds):
            yield beam.pvalue.TaggedOutput(vb.split, out)
