"""The pandas API: ``make_pairs(df, label=..., count=..., positive_fraction=...,
seed=...)`` -> one row per pair (``pair_id``, ``pair_kind``, ``pair_label``, ``a``,
``b``, ``label_a``, ``label_b``, ``view_a``, ``view_b``, ``split``), keys in ``a`` and
``b``; ``pair_images`` turns keys and views into images. Pairs never cross splits;
the report is in ``pairs.attrs["pairs"]``."""
from __future__ import annotations

from typing import Mapping, Optional, Union

import numpy as np
import pandas as pd

from datalife.transforms.keyed_order import key_text, priorities, ranks
from datalife.transforms.pairs.partners import anchored_pairs, pair_ids
from datalife.transforms.pairs.plan import PairError, make_pair_plan
from datalife.transforms.pairs.spec import PAIR_KINDS, PairSpec

__all__ = ["make_pairs", "pair_images", "check_pairs"]

COLUMNS = ["split", "pair_id", "pair_kind", "pair_label", "a", "b", "label_a", "label_b", "view_a", "view_b"]


def make_pairs(df: pd.DataFrame, label: str, count: Optional[Union[int, dict]] = None,
               per_example: Optional[float] = None, positive_fraction: float = 0.5, views_fraction: float = 0.5,
               seed: int = 0, key: Optional[str] = None, split: Optional[str] = None,
               classes: Optional[list] = None) -> pd.DataFrame:
    """Pairs for contrastive learning from labeled rows (keys: the index or column
    ``key``, unique; splits: column ``split`` or one split named "train")."""
    spec = PairSpec(count=count, per_example=per_example, positive_fraction=positive_fraction,
                    views_fraction=views_fraction, seed=seed, classes=None if classes is None else [str(c) for c in classes])
    keys = np.asarray(df.index if key is None else df[key])
    if not pd.Index(keys).is_unique:
        dup = pd.Index(keys)[pd.Index(keys).duplicated()][0]
        raise PairError(f"keys must be unique to seed each example: {dup!r} appears more than once")
    if label not in df.columns:
        raise PairError(f"no label column {label!r}; columns: {list(df.columns)}")
    missing = df[label].isna().to_numpy()
    if missing.any():
        raise PairError(f"label {label!r} is missing in {int(missing.sum())} rows (first key "
                        f"{key_text(keys[np.flatnonzero(missing)[0]])!r}); nothing is dropped silently")
    labels = df[label].map(str).to_numpy()
    splits = np.full(len(df), "train", dtype=object) if split is None else df[split].map(str).to_numpy()
    frames, report = [], {}
    for s in sorted(set(splits)):
        rows = np.flatnonzero(splits == s)
        part, rep = _split_pairs(s, keys[rows], labels[rows], spec)
        frames.append(part)
        report[s] = rep
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=COLUMNS)
    out.attrs["pairs"] = report
    return out


def _split_pairs(split: str, keys: np.ndarray, labels: np.ndarray, spec: PairSpec):
    names, counts = np.unique(labels, return_counts=True)
    plan = make_pair_plan(split, dict(zip(names.tolist(), counts.tolist())), spec)
    by_class, cols = {}, {c: [] for c in COLUMNS}
    for c in plan.counts:
        rows = np.flatnonzero(labels == c)
        r = ranks(priorities(spec.resolved_seed, keys[rows]), keys[rows])
        by_rank = np.empty(len(rows), dtype=object)
        by_rank[r] = keys[rows]
        by_class[c] = (rows, r, by_rank)
    for c, (rows, r, _) in by_class.items():
        if not len(rows):
            continue
        got = anchored_pairs(keys[rows], r, c, plan, spec.resolved_seed)
        a_keys = keys[rows][got.anchor]
        cols["pair_id"] += pair_ids(got.kind, a_keys, got.j)
        cols["pair_kind"] += [PAIR_KINDS[k] for k in got.kind]
        cols["a"] += list(a_keys)
        cols["b"] += [by_class[bc][2][br] for bc, br in zip(got.b_class, got.b_rank)]
        cols["label_a"] += [c] * len(got.anchor)
        cols["label_b"] += list(got.b_class)
        cols["view_a"] += got.view_a.tolist()
        cols["view_b"] += got.view_b.tolist()
    n = len(cols["pair_id"])
    cols["split"] = [split] * n
    cols["pair_label"] = [int(k != "different_class") for k in cols["pair_kind"]]
    out = pd.DataFrame(cols, columns=COLUMNS)
    out = out.sort_values("pair_id", kind="stable", ignore_index=True)
    check_pairs(out, plan)
    report = {"plan": plan.to_dict(), "pairs": int(n),
              "by_kind": {k: int((out["pair_kind"] == k).sum()) for k in PAIR_KINDS},
              "label_matrix": out.groupby(["label_a", "label_b"]).size().rename("pairs").reset_index()
              .to_dict(orient="records")}
    return out, report


def check_pairs(pairs: pd.DataFrame, plan) -> None:
    """Raise AssertionError unless every positive shares a label, no negative does, the
    counts per kind equal the plan's, views pair an example with itself and pair ids
    are unique (a bug, never bad input)."""
    pos = pairs["pair_label"] == 1
    if (pairs.loc[pos, "label_a"] != pairs.loc[pos, "label_b"]).any():
        raise AssertionError("a positive pair with two labels")
    if (pairs.loc[~pos, "label_a"] == pairs.loc[~pos, "label_b"]).any():
        raise AssertionError("a negative pair with one label")
    got = pairs["pair_kind"].value_counts().to_dict()
    for k in PAIR_KINDS:
        if got.get(k, 0) != plan.totals[k]:
            raise AssertionError(f"split {plan.split!r}: {got.get(k, 0)} {k} pairs, planned {plan.totals[k]}")
    views = pairs["pair_kind"] == "views"
    if (pairs.loc[views, "a"] != pairs.loc[views, "b"]).any():
        raise AssertionError("a views pair of two examples")
    same = pairs["pair_kind"] == "same_class"
    if (pairs.loc[same, "a"] == pairs.loc[same, "b"]).any():
        raise AssertionError("a same-class pair of an example with itself")
    if not pairs["pair_id"].is_unique:
        raise AssertionError("pair ids repeat")


def pair_images(pairs: pd.DataFrame, images: Mapping, policy, seed: int) -> tuple[list, list]:
    """The images of each pair: view 0 is the image as is; view v >= 1 is augmented with
    ``policy`` seeded by (seed, key, v), as the image augmenter seeds its copies."""
    from datalife.transforms.augment_policy import augment, parse_policy

    policy = None if policy is None else parse_policy(policy)

    def view(k, v):
        img = images[k]
        if v == 0:
            return img
        if policy is None:
            raise PairError("views pairs need an augmentation policy")
        return augment(img, None, policy, seed, key_text(k), int(v)).image
    return ([view(k, v) for k, v in zip(pairs["a"], pairs["view_a"])],
            [view(k, v) for k, v in zip(pairs["b"], pairs["view_b"])])
