"""Diversity (cluster-based) selection, with no model: useful from the first label on.

- ``typiclust`` (Hacohen et al., ICML 2022, "Active learning on a budget"): cluster
  every example (labeled and not) into ``n_labeled + batch`` k-means clusters; take the
  largest cluster no labeled example covers and pick its most *typical* example
  (typicality = 1 / mean distance to its ``k`` nearest neighbours in the cluster);
  repeat. Once every cluster is covered, the least covered (most unlabeled examples per
  labeled one) come next.
  With ``gamma > 0`` (and a classifier: labels of two classes or more) uncovered
  clusters are ranked by size x (mean margin uncertainty of their examples) ** gamma
  instead of size alone: typical examples of large clusters the model is unsure about
  come first (the hybrid's low-budget phase).
- ``kmeans``: one k-means cluster per batch slot over the unlabeled examples; pick the
  example nearest each centre, largest clusters first.

Scale: k-means as in ``clustering``; typicality is measured on at most
``cluster_sample`` examples of a cluster."""
from __future__ import annotations

import numpy as np

from datalife.labeling.active.clustering import KMEANS_SAMPLE, kmeans_labels, typicality
from datalife.labeling.active.pool import Picks, Pool
from datalife.labeling.active.ranking import NearDuplicateGuard, walk
from datalife.labeling.active.strategies import uncertainty_scores

__all__ = ["select_typiclust", "select_kmeans", "DIVERSITY"]

DIVERSITY = ("typiclust", "kmeans")
CLUSTER_SAMPLE = 2_000
MAX_CLUSTERS = 1_000


def select_typiclust(pool: Pool, n: int, guard: NearDuplicateGuard, k: int = 20, gamma: float = 0.0,
                     extra_clusters: int = 0, max_clusters: int = MAX_CLUSTERS, sample: int = KMEANS_SAMPLE,
                     cluster_sample: int = CLUSTER_SAMPLE) -> Picks:
    rows = pool.order  # every example, labeled or not, in key order
    n_clusters = min(len(pool.labeled) + n + int(extra_clusters), max_clusters, len(rows))
    labels, _ = kmeans_labels(pool.X, rows, n_clusters, pool.seed, sample)
    n_clusters = int(labels.max()) + 1
    size = np.bincount(labels, minlength=n_clusters)
    is_lab = pool.y[rows] >= 0
    n_lab = np.bincount(labels[is_lab], minlength=n_clusters)
    n_unl = size - n_lab
    weight = size.astype(np.float64)
    weighted = gamma > 0 and len(pool.labeled_classes) >= 2
    if weighted:
        unc = np.zeros(len(pool.X))
        unc[pool.unlabeled] = uncertainty_scores(pool.proba, "margin")
        mean_unc = np.bincount(labels, weights=unc[rows], minlength=n_clusters) / np.maximum(n_unl, 1)
        weight = size * mean_unc ** gamma
    picks = Picks(info={"clusters": n_clusters, "clusters_uncovered": int(((n_lab == 0) & (n_unl > 0)).sum())})
    used = np.zeros(n_clusters, dtype=bool)
    picked_in_pass = 0
    while len(picks.rows) < n:
        open_ = (~used) & (n_unl > 0)
        if not open_.any():
            if picked_in_pass == 0:
                break  # a whole pass found nothing new: the rest are near-duplicates of picks
            used[:] = False  # every cluster had its turn this batch: start another pass
            picked_in_pass = 0
            continue
        # uncovered clusters first, largest first; then the least covered
        priority = np.where(n_lab == 0, weight + 1e12, n_unl / (1.0 + n_lab))
        priority[~open_] = -np.inf
        c = int(np.argmax(priority))  # ties: the smallest (key-order) cluster id
        used[c] = True
        members = rows[labels == c][:cluster_sample]
        typ = typicality(pool.X[members], k)
        unl = pool.y[members] < 0
        cand, typ_c = members[unl], typ[unl]
        got = guard.take(cand, walk(typ_c, pool.rank_of(cand)), 1)
        if got:
            picked_in_pass += 1
            pos = got[0]
            state = "no labeled example" if n_lab[c] == 0 else f"{n_lab[c]} labeled"
            rule = (f"mean margin uncertainty {mean_unc[c]:.2f}; uncovered clusters go by size x uncertainty^{gamma:g}"
                    if weighted else "TypiClust covers the largest uncovered clusters first")
            picks.add(cand[pos], typ_c[pos],
                      f"most typical example (typicality {typ_c[pos]:.3f}) of cluster {c}: {size[c]} examples, "
                      f"{state}; {rule}", group=c)
    return picks


def select_kmeans(pool: Pool, n: int, guard: NearDuplicateGuard, sample: int = KMEANS_SAMPLE) -> Picks:
    rows = pool.unlabeled
    labels, centers = kmeans_labels(pool.X, rows, n, pool.seed, sample)
    n_clusters = len(centers)
    size = np.bincount(labels, minlength=n_clusters)
    picks = Picks(info={"clusters": n_clusters})
    for c in np.argsort(-size, kind="stable"):
        if len(picks.rows) == n:
            break
        members = rows[labels == c]
        d = np.sqrt(((pool.X[members].astype(np.float64) - centers[c]) ** 2).sum(axis=1))
        got = guard.take(members, walk(-d, pool.rank_of(members)), 1)
        if got:
            pos = got[0]
            picks.add(members[pos], size[c] / len(rows),
                      f"nearest example to the centre of cluster {c} (distance {d[pos]:.3g}), which holds "
                      f"{size[c]} of {len(rows)} unlabeled examples ({size[c] / len(rows):.1%})", group=int(c))
    return picks
