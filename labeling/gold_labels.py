"""Merge newly imported labels into the labels a dataset already has.

A label table has one row per example: ``key, label, label_source, annotator,
annotated_at`` (more columns ride along). ``label_source`` says where the label came
from: ``human`` (a person, e.g. through Label Studio), or anything else (``weak`` from
labeling functions, ``model``, ``propagated``, the original dataset's ``dataset``...).

Merge rule, per key present in both tables:
- a human label beats a non-human one, whichever is newer (``human_over_<source>``);
  a non-human label never replaces a human one (``kept_human``);
- two human labels that agree: the earlier row stays, the later annotators are added
  to its ``annotator`` field (``confirmed``);
- two human labels that disagree: the later one (``annotated_at``) wins (``relabeled``);
  ties in time keep the earlier table's label (``conflict_kept``);
- two non-human labels: the new one replaces the old (``replaced``).
Keys only in the existing table are kept (``kept``), keys only in the new one added
(``added``). ``changes`` lists every key whose label or provenance changed, with the
previous values; ``counts`` accounts for every row:
``rows_out = existing_in + added`` and ``new_in = added + human_over + kept_human +
confirmed + relabeled + conflict_kept + replaced``."""
from __future__ import annotations

from collections import Counter
from typing import Optional

import pandas as pd

__all__ = ["merge_labels", "LABEL_COLUMNS", "MergeError"]

LABEL_COLUMNS = ["key", "label", "label_source", "annotator", "annotated_at"]


class MergeError(ValueError):
    """A label table that cannot be merged; the message names the table and column or key."""


def _check(df: pd.DataFrame, name: str) -> pd.DataFrame:
    missing = [c for c in LABEL_COLUMNS if c not in df.columns]
    if missing:
        raise MergeError(f"{name}: missing columns {missing} (a label table has {LABEL_COLUMNS})")
    dup = df["key"].astype(str).duplicated()
    if dup.any():
        raise MergeError(f"{name}: key {df['key'][dup].iloc[0]!r} occurs more than once; one label per example")
    out = df.copy()
    out["key"] = out["key"].astype(str)
    out["annotated_at"] = pd.to_datetime(out["annotated_at"], utc=True, errors="coerce")
    return out


def merge_labels(existing: Optional[pd.DataFrame], new: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """(merged label table, changes, counts); see the module docstring."""
    new = _check(new, "new labels")
    existing = _check(existing if existing is not None else pd.DataFrame(columns=LABEL_COLUMNS), "existing labels")
    old_by_key = {r["key"]: r for r in existing.to_dict("records")}
    counts = Counter()
    changes, merged = [], dict(old_by_key)
    for r in new.to_dict("records"):
        k = r["key"]
        old = old_by_key.get(k)
        if old is None:
            merged[k] = r
            counts["added"] += 1
            continue
        new_h, old_h = r["label_source"] == "human", old["label_source"] == "human"
        same = str(r["label"]) == str(old["label"])
        if new_h and not old_h:
            action, take = f"human_over_{old['label_source']}", r
        elif old_h and not new_h:
            action, take = "kept_human", old
        elif new_h and old_h and same:
            who = sorted(set(str(old["annotator"]).split(";")) | set(str(r["annotator"]).split(";")))
            action, take = "confirmed", {**old, "annotator": ";".join(who)}
        elif new_h and old_h:
            t_new, t_old = r["annotated_at"], old["annotated_at"]
            later = pd.notna(t_new) and (pd.isna(t_old) or t_new > t_old)
            action, take = ("relabeled", r) if later else ("conflict_kept", old)
        else:
            action, take = "replaced", r
        counts["human_over" if action.startswith("human_over") else action] += 1
        merged[k] = take
        if take is not old:
            changes.append({"key": k, "action": action, "previous_label": old["label"],
                            "previous_source": old["label_source"], "previous_annotator": old["annotator"],
                            "previous_annotated_at": old["annotated_at"], "label": take["label"],
                            "label_source": take["label_source"], "annotator": take["annotator"],
                            "annotated_at": take["annotated_at"]})
        elif action == "conflict_kept":
            changes.append({"key": k, "action": action, "previous_label": old["label"],
                            "previous_source": old["label_source"], "previous_annotator": old["annotator"],
                            "previous_annotated_at": old["annotated_at"], "label": r["label"],
                            "label_source": r["label_source"], "annotator": r["annotator"],
                            "annotated_at": r["annotated_at"]})
    columns = list(dict.fromkeys(list(existing.columns) + list(new.columns)))
    out = pd.DataFrame(list(merged.values()), columns=columns).reset_index(drop=True)
    result = {k: int(counts[k]) for k in ("added", "human_over", "kept_human", "confirmed", "relabeled",
                                          "conflict_kept", "replaced")}
    result.update({"existing_in": len(existing), "new_in": len(new), "rows_out": len(out),
                   "kept": len(existing) - sum(result[k] for k in result if k != "added")})
    if result["rows_out"] != result["existing_in"] + result["added"] or \
            result["new_in"] != sum(result[k] for k in ("added", "human_over", "kept_human", "confirmed",
                                                        "relabeled", "conflict_kept", "replaced")):
        raise AssertionError(f"merge accounting broken: {result}")
    return out, pd.DataFrame(changes), result
