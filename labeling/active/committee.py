"""Query by committee over a seeded bagged committee.

The committee: ``n_members`` copies of the pool's classifier, member ``m`` fitted on a
stratified bootstrap of the labeled examples (each class resampled with replacement to
its own count, so every member sees every labeled class), drawn from a generator seeded
by ``(seed, m)`` over the labeled rows in key order: same seed, same committee.

Disagreement scores (higher = label first), as in scikit-activeml's ``vote_entropy``
and ``average_kl_divergence`` (our test oracles):
- vote entropy: the entropy (nats) of the members' vote shares;
- mean KL: the mean over members of KL(member || consensus), the consensus being the
  members' mean probability (probabilities clipped at ``eps`` and renormalised)."""
from __future__ import annotations

import numpy as np

from datalife.labeling.active.classifier import predict_proba_aligned
from datalife.labeling.active.order import hash_order
from datalife.labeling.active.pool import Picks, Pool
from datalife.labeling.active.ranking import DIVERSE_TOP, NearDuplicateGuard, take_best

__all__ = ["bootstrap_rows", "committee_proba", "vote_entropy", "mean_kl", "select_committee", "COMMITTEE"]

COMMITTEE = ("qbc_vote_entropy", "qbc_kl")
N_MEMBERS = 7
EPS = 1e-7
CHUNK = 65_536


def bootstrap_rows(labeled_rows: np.ndarray, y: np.ndarray, seed: int, member: int) -> np.ndarray:
    """A stratified bootstrap of ``labeled_rows`` (already in key order)."""
    rng = np.random.default_rng([int(seed), int(member)])
    parts = []
    for c in np.unique(y[labeled_rows]):
        rows_c = labeled_rows[y[labeled_rows] == c]
        parts.append(rows_c[rng.integers(0, len(rows_c), len(rows_c))])
    return np.concatenate(parts)


def committee_proba(pool: Pool, n_members: int = N_MEMBERS) -> np.ndarray:
    """(n_members, len(unlabeled), n_classes) member probabilities on the unlabeled rows."""
    labeled = pool.labeled[hash_order(pool.hashes[pool.labeled])]
    Xu = pool.X[pool.unlabeled]
    out = np.empty((n_members, len(Xu), pool.n_classes), dtype=np.float32)
    for m in range(n_members):
        rows = bootstrap_rows(labeled, pool.y, pool.seed, m)
        est = pool.fit(rows, seed=pool.seed * 1000 + m)
        out[m] = predict_proba_aligned(est, Xu, pool.n_classes)
    return out


def vote_entropy(votes: np.ndarray, n_classes: int) -> np.ndarray:
    """``votes`` (n_members, n) class ids -> (n,) entropy of the vote shares."""
    n_members, n = votes.shape
    flat = (np.arange(n, dtype=np.int64)[None, :] * n_classes + votes).ravel()
    v = np.bincount(flat, minlength=n * n_classes).reshape(n, n_classes) / n_members
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nansum(-v * np.log(v), axis=1)


def mean_kl(probas: np.ndarray, eps: float = EPS) -> np.ndarray:
    """``probas`` (n_members, n, K) -> (n,) mean KL divergence of members from their mean."""
    probas = np.asarray(probas)
    out = np.empty(probas.shape[1])
    for start in range(0, probas.shape[1], CHUNK):
        p = np.clip(probas[:, start:start + CHUNK].astype(np.float64), eps, 1.0)
        p /= p.sum(axis=2, keepdims=True)
        mean = p.mean(axis=0)
        out[start:start + CHUNK] = (p * np.log(p / mean)).sum(axis=2).mean(axis=0)
    return out


def _reason(pool: Pool, method: str, votes: np.ndarray, probas: np.ndarray, score: float) -> str:
    ids, counts = np.unique(votes, return_counts=True)
    order = np.argsort(-counts, kind="stable")
    split = ", ".join(f"{counts[i]}x {pool.classes[ids[i]]!r}" for i in order[:4])
    if method == "qbc_vote_entropy":
        return f"committee of {len(votes)} disagrees (vote entropy {score:.2f}): votes {split}"
    mean = probas.mean(axis=0)
    c = int(np.argmax(mean))
    return (f"committee of {len(votes)} disagrees (mean KL {score:.3f} from the consensus "
            f"{pool.classes[c]!r}, p={mean[c]:.2f}): votes {split}")


def select_committee(pool: Pool, n: int, guard: NearDuplicateGuard, method: str = "qbc_vote_entropy",
                     n_members: int = N_MEMBERS, top: int = DIVERSE_TOP) -> Picks:
    pool.require_model(method)
    rows = pool.unlabeled
    probas = committee_proba(pool, n_members)
    votes = probas.argmax(axis=2)
    if method == "qbc_vote_entropy":
        scores = vote_entropy(votes, pool.n_classes)
        # ties (common: few members) are broken by the consensus margin, then by key
        mean = probas.mean(axis=0)
        top2 = -np.partition(-mean, 1, axis=1)[:, :2] if pool.n_classes > 1 else np.zeros((len(rows), 2))
        tiebreak = scores + 1e-6 * (1.0 - (top2[:, 0] - top2[:, 1]))
    elif method == "qbc_kl":
        scores = mean_kl(probas)
        tiebreak = scores
    else:
        raise ValueError(f"unknown committee method {method!r}; expected one of {COMMITTEE}")
    picks = Picks(info={"committee_members": n_members})
    for pos, note in take_best(pool.X, rows, tiebreak, pool.rank_of(rows), n, guard, top, pool.seed):
        why = _reason(pool, method, votes[:, pos], probas[:, pos], scores[pos])
        picks.add(rows[pos], scores[pos], f"{why}; {note}" if note else why)
    return picks
