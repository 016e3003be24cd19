"""scikit-activeml 0.5.2's implementation of each of our selection strategies, as a
``run_loop`` query (reference only: benchmark baseline and test oracle)."""
from __future__ import annotations

import numpy as np

# our strategy -> scikit-activeml's same strategy
COUNTERPARTS = {
    "random": "RandomSampling",
    "least_confidence": "UncertaintySampling(least_confident)",
    "margin": "UncertaintySampling(margin_sampling)",
    "entropy": "UncertaintySampling(entropy)",
    "qbc_vote_entropy": "QueryByCommittee(vote_entropy)",
    "qbc_kl": "QueryByCommittee(KL_divergence)",
    "typiclust": "TypiClust",
}
N_MEMBERS = 7


def skactiveml_query(strategy: str, n_classes: int, seed: int):
    from sklearn.ensemble import BaggingClassifier
    from sklearn.linear_model import LogisticRegression
    from skactiveml.classifier import SklearnClassifier
    from skactiveml.pool import QueryByCommittee, RandomSampling, TypiClust, UncertaintySampling

    classes = np.arange(n_classes)

    def query(X, y_part, n, rnd):
        rs = seed * 1000 + rnd
        y = y_part.astype(float)
        y[y_part < 0] = np.nan
        clf = SklearnClassifier(LogisticRegression(max_iter=1000, random_state=seed), classes=classes,
                                random_state=rs)
        if strategy == "random":
            return RandomSampling(random_state=rs).query(X, y, batch_size=n)
        if strategy in ("least_confidence", "margin", "entropy"):
            method = {"least_confidence": "least_confident", "margin": "margin_sampling"}.get(strategy, strategy)
            return UncertaintySampling(method=method, random_state=rs).query(X, y, clf, batch_size=n)
        if strategy in ("qbc_vote_entropy", "qbc_kl"):
            method = "vote_entropy" if strategy == "qbc_vote_entropy" else "KL_divergence"
            ensemble = SklearnClassifier(BaggingClassifier(LogisticRegression(max_iter=1000), n_estimators=N_MEMBERS,
                                                           random_state=rs), classes=classes, random_state=rs)
            return QueryByCommittee(method=method, random_state=rs).query(X, y, ensemble, batch_size=n)
        if strategy == "typiclust":
            return TypiClust(random_state=rs, cluster_algo_dict={"random_state": rs, "n_init": "auto"}).query(
                X, y, batch_size=n)
        raise KeyError(f"no scikit-activeml counterpart for {strategy!r}")

    return query
