"""A labeling loop with a simulated annotator (the true labels), for benchmarks and
tests: start from ``initial`` random labels, ask ``query`` for ``batch`` examples,
reveal their labels, repeat; after each round fit the classifier on the labels so far
and score it on a held-out test set.

``digits_split(seed)`` is the scikit-activeml digits protocol: ``load_digits`` (pixel
values scaled to [0, 1]), a 70/30 split stratified by class."""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np

from datalife.labeling.active.classifier import DEFAULT_CLASSIFIER, make_classifier
from datalife.labeling.active.pool import Pool
from datalife.labeling.active.select import select_pool

__all__ = ["digits_split", "run_loop", "ours"]

Query = Callable[[np.ndarray, np.ndarray, int, int], Sequence[int]]


def digits_split(seed: int):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    return train_test_split(X / 16.0, y, test_size=0.3, stratify=y, random_state=seed)


def run_loop(query: Query, X: np.ndarray, y: np.ndarray, X_test: np.ndarray, y_test: np.ndarray, *,
             seed: int, budgets: Sequence[int] = (50, 100, 200), initial: int = 10, batch: int = 10,
             classifier: str = DEFAULT_CLASSIFIER) -> dict:
    """{n_labels: test accuracy} at each budget. ``query(X, y_partial, n, round)`` gets
    class ids with -1 for unlabeled and returns ``n`` row indices to label."""
    rng = np.random.default_rng(seed)
    y_part = np.full(len(y), -1, dtype=np.int64)
    start = rng.choice(len(y), initial, replace=False)
    y_part[start] = y[start]
    out, rnd = {}, 0
    while True:
        n_lab = int((y_part >= 0).sum())
        if n_lab in budgets:
            est = make_classifier(classifier, seed=seed).fit(X[y_part >= 0], y_part[y_part >= 0])
            out[n_lab] = float((est.predict(X_test) == y_test).mean())
        if n_lab >= max(budgets):
            return out
        picked = np.asarray(query(X, y_part, min(batch, max(budgets) - n_lab), rnd), dtype=np.int64)
        if len(picked) == 0 or (y_part[picked] >= 0).any() or len(set(picked.tolist())) != len(picked):
            raise RuntimeError(f"query returned an invalid batch at round {rnd}: {picked}")
        y_part[picked] = y[picked]
        rnd += 1


def ours(strategy: str, n_classes: int, seed: int, **params) -> Query:
    """``run_loop``'s query for one of our strategies."""
    classes = tuple(range(n_classes))

    def query(X, y_part, n, rnd):
        pool = Pool(X=X, y=y_part, keys=np.arange(len(X)).astype(str), classes=classes, seed=seed * 1000 + rnd)
        picks, _ = select_pool(pool, strategy, n, **params)
        return picks.rows

    return query
