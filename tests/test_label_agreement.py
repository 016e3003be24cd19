"""Agreement of labelers: Cohen's kappa against scikit-learn and a hand computation,
Fleiss' kappa on the literature's worked example, box agreement on a literal image."""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from datalife.labeling.quality.agreement import (RaterBoxes, agreement_table, cohen_kappa, confusion_table, fleiss_kappa,
                                         image_box_agreement, kappa_table)
from datalife.labeling.quality.review import label_review_tasks, labeling_config

# Fleiss (1971) as worked on Wikipedia's "Fleiss' kappa" page: 10 subjects, 14 raters,
# 5 categories; published P-bar = 0.378, P_e = 0.213, kappa = 0.210
FLEISS_COUNTS = [[0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
                 [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7]]


def _fleiss_by_hand(counts):
    n = sum(counts[0])
    N = len(counts)
    p_j = [Fraction(sum(row[j] for row in counts), N * n) for j in range(len(counts[0]))]
    P_i = [Fraction(sum(c * c for c in row) - n, n * (n - 1)) for row in counts]
    p_bar = sum(P_i) / N
    p_e = sum(p * p for p in p_j)
    return p_bar, p_e, (p_bar - p_e) / (1 - p_e)


def test_fleiss_kappa_on_the_worked_example():
    p_bar, p_e, kappa = _fleiss_by_hand(FLEISS_COUNTS)
    assert (round(float(p_bar), 3), round(float(p_e), 3), round(float(kappa), 3)) == (0.378, 0.213, 0.210)
    got = fleiss_kappa(FLEISS_COUNTS, counts=True)
    assert got["kappa"] == pytest.approx(float(kappa), rel=1e-12)
    assert (got["p_bar"], got["p_e"]) == (pytest.approx(float(p_bar)), pytest.approx(float(p_e)))
    assert (got["items"], got["raters"]) == (10, 14)
    # the same ratings as an (items, raters) matrix, with one extra item a rater skipped
    ratings = [[j for j, c in enumerate(row) for _ in range(c)] for row in FLEISS_COUNTS]
    ratings.append([0] * 13 + [-1])
    got = fleiss_kappa(np.array(ratings))
    assert got["kappa"] == pytest.approx(float(kappa), rel=1e-12) and got["items_excluded"] == 1
    assert fleiss_kappa([[1, 1, 1], [0, 0, 0]])["kappa"] == 1.0
    with pytest.raises(ValueError, match=r"every item needs the same number of ratings; row sums are \[3, 4\]"):
        fleiss_kappa([[1, 2], [2, 2]], counts=True)


def test_cohen_kappa_by_hand_and_against_scikit_learn():
    # 50 items: both yes 20, A yes / B no 5, A no / B yes 10, both no 15:
    # p_o = 35/50, p_e = (25/50)(30/50) + (25/50)(20/50) = 0.5, kappa = (0.7 - 0.5) / 0.5
    a = [1] * 25 + [0] * 25
    b = [1] * 20 + [0] * 5 + [1] * 10 + [0] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.4, abs=1e-15)
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(-1, 4, 300)
        y = np.where(rng.random(300) < 0.6, x, rng.integers(-1, 4, 300))
        both = (x != -1) & (y != -1)
        assert cohen_kappa(x, y) == pytest.approx(cohen_kappa_score(x[both], y[both]), abs=1e-12)
    assert np.isnan(cohen_kappa([-1, 1], [0, -1]))


def test_kappa_table_pairs_and_fleiss_row():
    L = np.array([[0, 0, 0], [1, 1, 0], [1, 1, 1], [0, 1, -1], [1, 0, 1]])
    t = kappa_table(L, ["ann", "bob", "cy"])
    ab = t.iloc[0]
    assert (ab.rater_a, ab.rater_b, ab["items"], ab.agreement) == ("ann", "bob", 5, 0.6)
    assert ab.kappa == pytest.approx(cohen_kappa_score(L[:, 0], L[:, 1]))
    ac = t.iloc[1]
    assert ac["items"] == 4 and ac.kappa == pytest.approx(cohen_kappa_score([0, 1, 1, 1], [0, 0, 1, 1]))
    last = t.iloc[-1]
    assert (last.method, last["items"]) == ("fleiss", 4)
    counts = [[3, 0], [1, 2], [0, 3], [1, 2]]
    assert last.kappa == pytest.approx(float(_fleiss_by_hand(counts)[2]))


def test_box_agreement_on_a_literal_image():
    a = RaterBoxes("ann", np.array([[0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]], float), np.array([0, 0, 1]))
    b = RaterBoxes("bob", np.array([[0, 0, 10, 5], [21, 20, 31, 30], [40, 40, 50, 50], [60, 60, 70, 70]], float),
                   np.array([0, 0, 0, 1]))
    res = image_box_agreement([a, b], ["car", "person"])
    # car: ann 2, bob 3; matched: [20..30] with [21..31] (IoU 90/110); [0..10]x[0..10] vs
    # [0..10]x[0..5] has IoU 0.5 (matched at >= 0.5). person: ann 1, bob 1, no overlap.
    t = agreement_table(res.pairs).set_index("class")
    assert (t.loc["car", "n_a"], t.loc["car", "n_b"], t.loc["car", "tp"]) == (2, 3, 2)
    assert t.loc["car", "mean_iou"] == pytest.approx((0.5 + 90 / 110) / 2)
    assert (t.loc["person", "tp"], t.loc["person", "f1"]) == (0, 0.0)
    assert t.loc["all", "f1"] == pytest.approx(2 * 2 / (3 + 4))
    assert res.summary == {"raters": 2, "pairs": 1, "min_f1": pytest.approx(4 / 7),
                           "mean_iou": pytest.approx((0.5 + 90 / 110) / 2)}
    conf = confusion_table(res.confusion, "ann", "bob")
    # ignoring classes, ann's person box [40..50] matches bob's car box there
    assert conf.to_dict("index") == {"car": {"car": 2, "person": 0, "<none>": 0},
                                     "person": {"car": 1, "person": 0, "<none>": 0},
                                     "<none>": {"car": 0, "person": 1, "<none>": 0}}
    alone = image_box_agreement([a], ["car", "person"])
    assert alone.pairs == [] and np.isnan(alone.summary["min_f1"])


def test_label_review_tasks_for_text_disagreements():
    import pandas as pd

    items = pd.DataFrame({"id": ["c1", "c2", "c3"], "text": ["buy now", "nice song", "sub 4 sub"],
                          "ann": [1, 0, 1], "bob": [1, 0, 0], "cy": [0, -1, 0]})
    tasks = label_review_tasks(items, "text", ["ann", "bob", "cy"], ["ham", "spam"], threshold=0.7, key_field="id")
    assert [t["data"]["key"] for t in tasks] == ["c1", "c3"]  # 2 of 3 agree; c2: both raters agree
    assert tasks[0]["data"]["agreement"] == pytest.approx(2 / 3)
    assert [(p["model_version"], p["result"][0]["value"]["choices"]) for p in tasks[1]["predictions"]] == [
        ("ann", ["spam"]), ("bob", ["ham"]), ("cy", ["ham"])]
    assert labeling_config(["ham", "spam"], "labels") == (
        '<View><Text name="text" value="$text"/><Choices name="label" toName="text" choice="single">'
        '<Choice value="ham"/><Choice value="spam"/></Choices></View>')
