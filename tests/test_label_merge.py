"""One example per image across sources: the raccoon dataset's three descriptions merged,
a seeded second annotator whose agreement is computed by hand, weighted box fusion
against ensemble-boxes, near-duplicates, review tasks, and bad input."""
from __future__ import annotations

import hashlib
import json
import warnings
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest

from datalife.labeling.quality.agreement import confusion_table
from datalife.labeling.quality.agreement_pictures import disagreement_picture, worst_images
from datalife.labeling.quality.box_match import match_boxes
from datalife.labeling.formats import get_format
from datalife.labeling.formats.base import AnnotationError, ImageLabels
from datalife.labeling.quality.merge import MergeConfig, check_merge_accounting, merge_examples, merge_image
from datalife.labeling.quality.near_duplicates import hamming, near_duplicate_pairs, phash
from datalife.labeling.quality.review import box_review_tasks, labeling_config
from datalife.labeling.unify import Canonical, Source, unify_record
from datalife.labeling.quality.wbf import weighted_boxes_fusion
from datalife.transforms.augment_random import ExampleRandom
from conftest import shared_dataset

CANON = Canonical(("raccoon", "dog"))
QUARANTINE = Canonical(CANON.classes, on_invalid="quarantine")  # bad records set aside and counted
SOURCES = ("voc", "csv", "tfod")
# byte-identical images the dataset ships under two names, each annotated separately
SAME_BYTES = {frozenset(p) for p in [("raccoon-11.jpg", "raccoon-116.jpg"), ("raccoon-52.jpg", "raccoon-74.jpg"),
                                     ("raccoon-65.jpg", "raccoon-98.jpg"), ("raccoon-83.jpg", "raccoon-120.jpg")]}


def _read(raccoon: Path, name: str, fmt: str, path: Path, canon=CANON, images=None, **source) -> list[dict]:
    f = get_format(fmt)
    src = Source(name=name, format=fmt, images=str(images or raccoon / "images"), origin=1, **source)
    return [unify_record(rec, src, canon, f.NATIVE, f.ORIGIN).example
            for file in f.list_files(str(path)) for rec in f.read_file(file)]


@pytest.fixture(scope="module")
def raccoon():
    root = shared_dataset("raccoon")
    views = (_read(root, "voc", "voc", root / "annotations")
             + _read(root, "csv", "csv", root / "data" / "raccoon_labels.csv")
             + _read(root, "tfod", "tfod", root / "data" / "test_tfod.record"))
    return root, views


@pytest.mark.parametrize("policy", ["union", "consensus", "preferred"])
def test_raccoon_three_sources_merge_into_one_example_per_image(raccoon, policy):
    _, views = raccoon
    assert Counter(v["source"] for v in views) == {"voc": 200, "csv": 200, "tfod": 40}
    assert sum(len(v["class_ids"]) for v in views if v["source"] == "voc") == 217
    res = merge_examples(views, CANON, MergeConfig(policy=policy, preferred=("voc",)), sources=SOURCES)
    # 200 files, but 4 pairs of them are the same bytes: 196 images, and 213 boxes (the
    # copies' 4 boxes match their twins' at IoU >= 0.5, so they are one object each)
    assert len(res.examples) == 196
    assert sum(len(e["class_ids"]) for e in res.examples) == 213
    assert {frozenset(set(e["files"])) for e in res.examples if len(set(e["files"])) == 2} == SAME_BYTES
    terms = check_merge_accounting(res.counts, res.ledger)
    assert terms["boxes_in"] == 217 + 217 + 44 and terms["views_in"] == 440 == terms["views_merged"]
    assert terms["boxes_out"] == 213
    assert terms["boxes_in"] == terms["boxes_out"] + terms["boxes_fused"] + terms["boxes_dropped_duplicate"]
    assert len(res.ledger) == 478 and not res.ledger.duplicated(["key", "source", "file", "box"]).any()
    # full agreement between sources: every box matched, IoU 1 (TFOD stores float32)
    t = res.agreement.set_index(["rater_a", "rater_b", "class"])
    for a, b, n in [("voc", "csv", 217), ("voc", "tfod", 44), ("csv", "tfod", 44)]:
        row = t.loc[(a, b, "all")]
        assert (row.n_a, row.n_b, row.tp) == (n, n, n)
        assert row.precision == row.recall == row.f1 == 1.0
        assert row.mean_iou == pytest.approx(1.0, abs=1e-6)
    # the dataset's own duplicates: the same source, two annotations of one image
    intra = t.loc[("voc", "voc", "all")]
    assert (intra.n_a, intra.tp, intra.f1) == (4, 4, 1.0) and 0.8 < intra.mean_iou < 0.9
    # provenance: every output box says which raters drew it
    for e in res.examples:
        sources = set(e["source"].split("+"))
        assert sources >= {"voc", "csv"}
        assert len(e["box_raters"]) == len(e["class_ids"]) == len(e["box_provenance"]) == len(e["box_scores"])
        for raters, prov in zip(e["box_raters"], e["box_provenance"]):
            assert set(raters.split("+")) == {p["source"] for p in prov} == sources
    if policy == "consensus":
        assert terms["boxes_fused"] == 265 and terms["boxes_dropped_duplicate"] == 0
    else:
        assert terms["boxes_dropped_duplicate"] == 265 and terms["boxes_fused"] == 0


def test_consensus_equals_ensemble_boxes_on_the_raccoon_groups(raccoon):
    from ensemble_boxes import weighted_boxes_fusion as oracle

    _, views = raccoon
    groups = {}
    for v in views:
        groups.setdefault(v["sha256"], []).append(v)
    cfg = MergeConfig(policy="consensus", weights={"voc": 2.0, "csv": 1.0, "tfod": 0.5})
    for key, g in groups.items():
        ours = merge_image(g, CANON, cfg).example
        g = sorted(g, key=lambda v: (v["source"], v["file"]))
        b, s, lab = oracle([v["boxes"] for v in g], [np.ones(len(v["boxes"])) for v in g], [v["class_ids"] for v in g],
                           weights=[cfg.weights[v["source"]] for v in g], iou_thr=cfg.iou_threshold)
        got = np.c_[ours["class_ids"], ours["box_scores"], ours["boxes"]]
        want = np.c_[lab, s, b]
        got, want = got[np.lexsort(got.T[::-1])], want[np.lexsort(want.T[::-1])]
        np.testing.assert_allclose(got, want, atol=1e-6, err_msg=key)


@pytest.mark.parametrize("conf_type", ["avg", "max"])
@pytest.mark.parametrize("iou_thr", [0.3, 0.55])
def test_weighted_box_fusion_equals_ensemble_boxes(conf_type, iou_thr):
    from ensemble_boxes import weighted_boxes_fusion as oracle

    rng = np.random.default_rng(7)
    for _ in range(150):
        n_lists = int(rng.integers(1, 5))
        centres, sizes = rng.uniform(0, 0.7, (6, 2)), rng.uniform(0.05, 0.3, (6, 2))
        B, S, L = [], [], []
        for _ in range(n_lists):
            n = int(rng.integers(0, 8))
            k = rng.integers(0, 6, n)
            B.append(np.c_[centres[k], centres[k] + sizes[k]] + rng.normal(0, 0.02, (n, 4)))
            S.append(rng.uniform(0, 1, n))
            L.append(rng.integers(0, 3, n))
        W = rng.uniform(0.5, 2, n_lists)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the oracle warns when it clips or swaps corners
            rb, rs, rl = oracle(B, S, L, weights=W, iou_thr=iou_thr, skip_box_thr=0.1, conf_type=conf_type)
        f = weighted_boxes_fusion(B, S, L, weights=W, iou_thr=iou_thr, skip_box_thr=0.1, conf_type=conf_type)
        got, want = np.c_[f.labels, f.scores, f.boxes], np.c_[rl, rs, rb]
        got, want = got[np.lexsort(got.T[::-1])], want[np.lexsort(want.T[::-1])]
        np.testing.assert_allclose(got, want, atol=1e-6)
        # every input box is in exactly one fused box or skipped
        members = [tuple(m) for ms in f.members for m in ms.tolist()] + [(t, j) for t, j, _ in f.skipped]
        assert sorted(members) == [(t, j) for t in range(n_lists) for j in range(len(B[t]))]


def test_hungarian_matching_beats_greedy_and_respects_classes():
    a = np.array([[0, 0, 10, 10], [0, 0, 8, 10]], float)
    b = np.array([[0, 0, 9, 10], [2, 0, 10, 10]], float)
    # IoU a0-b0 0.9, a0-b1 0.8, a1-b0 8/9, a1-b1 0.6 (< 0.65): greedy (best pair first)
    # takes a0-b0 and leaves a1 unmatched; the assignment matches both
    ia, ib, iou = match_boxes(a, b, 0.65)
    assert (ia.tolist(), ib.tolist()) == ([0, 1], [1, 0])
    np.testing.assert_allclose(iou, [0.8, 8 / 9])
    ia, ib, _ = match_boxes(a, b, 0.65, [0, 1], [1, 1])
    assert (ia.tolist(), ib.tolist()) == ([1], [0])  # a0 is another class


def _jitter(views: list[dict], seed: int = 15):
    """A second annotator: each VOC box moved by up to 3 pixels per side (clipped to the
    image), 5% dropped, 5% of the others relabelled 'dog' (draws per file, seeded)."""
    out, truth = [], []
    for v in views:
        w, h = v["width"], v["height"]
        rnd = ExampleRandom(seed, v["file"])
        px = v["boxes"] * [w, h, w, h]
        boxes, ids = [], []
        for k, box in enumerate(px):
            fate = "dropped" if rnd.random() < 0.05 else "relabelled" if rnd.random() < 0.05 else "kept"
            moved = np.clip(box + [rnd.integers(-3, 3) for _ in range(4)], 0, [w, h, w, h])
            truth.append((v["file"], k, fate, box, moved))
            if fate != "dropped":
                boxes.append(moved / [w, h, w, h])
                ids.append(1 if fate == "relabelled" else 0)
        out.append({**v, "source": "jitter", "boxes": np.array(boxes).reshape(-1, 4), "class_ids": ids,
                    "class_names": [CANON.classes[i] for i in ids], "annotation": "jitter"})
    return out, truth


def _iou(p, q):  # plain arithmetic, independent of box_match
    ix = max(0.0, min(p[2], q[2]) - max(p[0], q[0]))
    iy = max(0.0, min(p[3], q[3]) - max(p[1], q[1]))
    inter = ix * iy
    return inter / ((p[2] - p[0]) * (p[3] - p[1]) + (q[2] - q[0]) * (q[3] - q[1]) - inter)


def test_jittered_second_annotator_agreement_equals_the_hand_computation(raccoon, tmp_path):
    _, views = raccoon
    voc = [v for v in views if v["source"] == "voc"]
    jitter, truth = _jitter(voc)
    fates = Counter(f for _, _, f, _, _ in truth)
    assert fates["dropped"] > 0 and fates["relabelled"] > 0 and sum(fates.values()) == 217
    # precondition of the hand computation: within a file, a jittered box overlaps no
    # other original box at IoU >= 0.5, so the only possible matches are box k <-> box k
    by_file = {}
    for file, k, fate, box, moved in truth:
        by_file.setdefault(file, []).append((k, box, moved))
    for items in by_file.values():
        for k, box, _ in items:
            for j, _, moved in items:
                if j != k:
                    assert _iou(box, moved) < 0.5
    kept = [(box, moved) for _, _, f, box, moved in truth if f == "kept"]
    n_kept, n_drop, n_relab = len(kept), fates["dropped"], fates["relabelled"]
    hand_iou = sum(_iou(b, m) for b, m in kept) / n_kept
    assert all(_iou(b, m) >= 0.5 for _, _, _, b, m in truth)  # "a few pixels" never break a match

    res = merge_examples(voc + jitter, CANON, MergeConfig(policy="union", preferred=("voc",)))  # voc = rater A
    t = res.agreement.set_index(["rater_a", "rater_b", "class"])
    r = t.loc[("voc", "jitter", "raccoon")]
    assert (r.n_a, r.n_b, r.tp) == (217, n_kept, n_kept)
    assert r.precision == 1.0 and r.recall == pytest.approx(n_kept / 217)
    assert r.mean_iou == pytest.approx(hand_iou, rel=1e-12)
    d = t.loc[("voc", "jitter", "dog")]
    assert (d.n_a, d.n_b, d.tp, d.precision, d.f1) == (0, n_relab, 0, 0.0, 0.0) and np.isnan(d.recall)
    a = t.loc[("voc", "jitter", "all")]
    assert (a.n_a, a.n_b, a.tp) == (217, 217 - n_drop, n_kept)
    assert a.f1 == pytest.approx(2 * n_kept / (217 + 217 - n_drop))
    conf = confusion_table(res.confusion_rows, "voc", "jitter")
    # rows: voc's class, columns: jitter's class (matched ignoring class), <none>: unmatched
    assert conf.to_dict("index") == {"dog": {"dog": 0, "raccoon": 0, "<none>": 0},
                                     "raccoon": {"dog": n_relab, "raccoon": n_kept, "<none>": n_drop},
                                     "<none>": {"dog": 0, "raccoon": 0, "<none>": 0}}
    # union: relabelled boxes are other objects (other class), dropped ones are voc's only
    terms = check_merge_accounting(res.counts, res.ledger)
    assert terms["boxes_in"] == 217 + 217 - n_drop
    # review: every image whose jitter lost or relabelled a box goes to a person
    disagreeing = {file for file, _, f, _, _ in truth if f != "kept"}
    by_key = {}
    for v in voc + jitter:
        by_key.setdefault(v["sha256"], []).append(v)
    scores = dict(zip(res.images.key, res.images.min_f1))
    tasks = box_review_tasks(list(by_key.values()), CANON, scores, threshold=1.0)
    in_tasks = {f for task in tasks for f in task["data"]["files"]}
    assert disagreeing <= in_tasks
    assert len(tasks) == len({v["sha256"] for v in voc if v["file"] in disagreeing})
    first = tasks[0]
    assert [p["model_version"] for p in first["predictions"]] == ["voc", "jitter"] or \
        [p["model_version"] for p in first["predictions"]] == ["jitter", "voc"]
    group = by_key[first["data"]["key"]]
    for pred, v in zip(first["predictions"], group):
        assert pred["model_version"] == v["source"]
        back = np.array([[r["value"]["x"], r["value"]["y"], r["value"]["x"] + r["value"]["width"],
                          r["value"]["y"] + r["value"]["height"]] for r in pred["result"]]).reshape(-1, 4) / 100
        np.testing.assert_allclose(back, v["boxes"], atol=1e-12)
        assert [r["value"]["rectanglelabels"][0] for r in pred["result"]] == v["class_names"]
    json.dumps(tasks)
    assert '<RectangleLabels name="label" toName="image"><Label value="raccoon"/>' in labeling_config(CANON.classes)
    # the picture of the worst images: every rater's colour is drawn
    worst = worst_images(res.images, 3)
    assert (worst.min_f1 < 1).all() and list(worst.min_f1) == sorted(worst.min_f1)
    png = disagreement_picture([by_key[k] for k in worst.key], CANON, captions=list(worst.file))
    img = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)[..., ::-1]
    assert img.shape[1] == 3 * 320 + 4 * 4
    for colour in [(230, 25, 75), (60, 180, 75)]:  # the palette's first two: voc, jitter
        assert (np.abs(img.astype(int) - colour).sum(axis=2) == 0).sum() > 100
    (tmp_path / "worst.png").write_bytes(png)


def test_near_duplicates_are_reported_never_merged(raccoon):
    root, views = raccoon
    res = merge_examples(views, CANON, MergeConfig(near_duplicate_distance=6))
    assert len(res.examples) == 196
    pairs = {frozenset((a, b)): d for a, b, d in zip(res.near_duplicates.file_a, res.near_duplicates.file_b,
                                                      res.near_duplicates.distance)}
    # resized copies (one with a caption added) under other names; the next closest pair
    # differs in 12 bits. (raccoon-52.jpg is the merged example of raccoon-52 / -74.jpg.)
    assert pairs == {frozenset(("raccoon-21.jpg", "raccoon-45.jpg")): 0,
                     frozenset(("raccoon-50.jpg", "raccoon-52.jpg")): 0,
                     frozenset(("raccoon-51.jpg", "raccoon-85.jpg")): 2}
    assert res.counts["near_duplicate_pairs"] == 3
    hashes = {e["sha256"]: phash(e["image"]) for e in res.examples}
    keys = sorted(hashes)
    brute = sorted(min(a, b) + max(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
                   if hamming(hashes[a], hashes[b]) <= 12)
    banded = near_duplicate_pairs(hashes, 12)
    assert sorted(a + b for a, b in zip(banded.key_a, banded.key_b)) == brute and len(brute) > 3


def test_phash_is_the_dct_hash():
    from scipy.fft import dct

    image = cv2.imread(str(shared_dataset("raccoon") / "images" / "raccoon-1.jpg"))
    data = cv2.imencode(".png", image)[1].tobytes()
    grey = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE).astype(np.float32)
    small = cv2.resize(grey, (32, 32), interpolation=cv2.INTER_AREA).astype(np.float64)
    low = dct(dct(small, axis=0, norm="ortho"), axis=1, norm="ortho")[:8, :8].ravel()
    bits = "".join("1" if v > np.median(low) else "0" for v in low)
    assert phash(data) == int(bits, 2)
    for quality in (90, 40):
        again = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])[1].tobytes()
        assert hamming(phash(again), phash(data)) <= 2


# ---- bad input -------------------------------------------------------------------------------

def _view(source, file, w, h, boxes, names, data=b"same bytes", canon=CANON):
    return {"image": data, "sha256": hashlib.sha256(data).hexdigest(), "width": w, "height": h, "file": file,
            "source": source, "annotation": f"{source}.json", "boxes": np.array(boxes, float).reshape(-1, 4),
            "class_ids": [canon.classes.index(n) if n in canon.classes else 99 for n in names], "class_names": names}


def test_conflicting_sizes_for_the_same_bytes_fail_or_are_quarantined():
    a = _view("voc", "a.jpg", 100, 50, [[0.1, 0.1, 0.5, 0.5]], ["raccoon"])
    b = _view("csv", "b.jpg", 200, 100, [[0.1, 0.1, 0.5, 0.5], [0.6, 0.6, 0.9, 0.9]], ["raccoon", "dog"])
    with pytest.raises(AnnotationError) as err:
        merge_examples([a, b], CANON, MergeConfig())
    key = a["sha256"][:16]
    assert str(err.value) == (f"voc.json: a.jpg: size: the same image bytes (sha256 {key}...) are 200x100 in source "
                              f"'csv' (b.jpg) but 100x50 in source 'voc' (a.jpg)")
    assert err.value.reason == "size_conflict"
    res = merge_examples([a, b], QUARANTINE, MergeConfig())
    assert res.examples == []
    assert (res.counts["views_quarantined"], res.counts["boxes_quarantined"], res.counts["quarantined_size_conflict"]) \
        == (2, 3, 2)
    assert set(res.ledger.fate) == {"quarantined"} and len(res.ledger) == 3
    check_merge_accounting(res.counts, res.ledger)


def test_annotations_drawn_on_a_resized_copy_are_scaled_by_unify_then_agree(tmp_path):
    cv2.imwrite(str(tmp_path / "img.png"), np.zeros((50, 100, 3), np.uint8))
    f = get_format("coco")
    full = ImageLabels("img.png", 100, 50, [[10, 5, 20, 10]], ["raccoon"], where="full.json")
    half = ImageLabels("img.png", 200, 100, [[20, 10, 40, 20]], ["raccoon"], where="double.json")
    outs = [unify_record(r, Source(name=n, format="coco", images=str(tmp_path)), CANON, f.NATIVE, f.ORIGIN)
            for r, n in ((full, "full"), (half, "double"))]
    assert outs[1].counts["size_mismatch"] == 1
    assert outs[1].notes[0]["message"] == "annotation says 200x100, the image is 100x50"
    res = merge_examples([o.example for o in outs], CANON, MergeConfig())
    assert len(res.examples) == 1 and res.examples[0]["agreement"] == 1.0
    assert res.examples[0]["mean_iou"] == pytest.approx(1.0)


def test_a_source_whose_images_are_all_missing(tmp_path):
    root = shared_dataset("raccoon")
    canon = Canonical(("raccoon", "dog"), on_invalid="quarantine")
    voc = _read(root, "voc", "voc", root / "annotations", canon=canon)
    f = get_format("csv")
    src = Source(name="csv", format="csv", images=str(tmp_path), origin=1)
    outs = [unify_record(rec, src, canon, f.NATIVE, f.ORIGIN)
            for rec in f.read_file(str(root / "data" / "raccoon_labels.csv"))]
    assert sum(o.counts["quarantined_missing_image"] for o in outs) == 200
    csv = [o.example for o in outs if o.example is not None]
    assert csv == []
    with pytest.raises(AnnotationError, match=r"^csv: images: source 'csv' contributed no image to merge "
                                              r"\(all its records missing or quarantined\)$"):
        merge_examples(voc + csv, CANON, MergeConfig(), sources=["voc", "csv"])
    res = merge_examples(voc + csv, QUARANTINE, MergeConfig(), sources=["voc", "csv"])
    assert res.counts["sources_empty"] == 1 and len(res.examples) == 196
    assert res.problems[0]["kind"] == "source_empty"


@pytest.mark.parametrize("bad", [0, -0.1, 1.5, float("nan")])
def test_iou_threshold_outside_0_1_is_refused(bad):
    with pytest.raises(ValueError, match=r"merge iou_threshold must be in \(0, 1\], got "):
        MergeConfig(iou_threshold=bad)
    with pytest.raises(ValueError, match=r"agreement_iou must be in \(0, 1\]"):
        MergeConfig(agreement_iou=bad)
    with pytest.raises(ValueError, match=r"^iou_threshold must be in \(0, 1\]"):
        match_boxes(np.zeros((1, 4)), np.zeros((1, 4)), bad)
    MergeConfig(iou_threshold=1.0)  # 1 is allowed: identical boxes only


def test_other_config_mistakes_are_named():
    with pytest.raises(ValueError, match="policy\n  Input should be 'union', 'consensus' or 'preferred'"):
        MergeConfig(policy="vote")
    with pytest.raises(ValueError, match="merge policy 'preferred' needs 'preferred'"):
        MergeConfig(policy="preferred")
    with pytest.raises(ValueError, match=r"source weights must be positive, got \{'csv': 0.0\}"):
        MergeConfig(weights={"csv": 0})


def test_a_class_missing_from_the_vocabulary_in_one_source(tmp_path):
    root = shared_dataset("raccoon")
    (tmp_path / "labels.csv").write_text("filename,width,height,class,xmin,ymin,xmax,ymax\n"
                                         "raccoon-1.jpg,650,417,racoon,81,88,522,408\n")
    voc = [v for v in _read(root, "voc", "voc", root / "annotations") if v["file"] == "raccoon-1.jpg"]
    # at unification: the unknown name is an error naming file, row and class, or a quarantine
    with pytest.raises(AnnotationError, match=r"labels.csv: raccoon-1.jpg: box 0 class: class 'racoon' of source "
                                              r"'csv' is not in the mapping \(canonical classes: raccoon, dog\)"):
        _read(root, "csv", "csv", tmp_path / "labels.csv")
    q = Canonical(CANON.classes, on_invalid="quarantine")
    f = get_format("csv")
    out = unify_record(f.read_file(str(tmp_path / "labels.csv"))[0],
                       Source(name="csv", format="csv", images=str(root / "images"), origin=1), q, f.NATIVE, f.ORIGIN)
    assert out.example is None and out.counts["quarantined_unknown_class"] == 1
    # at the merge (records unified elsewhere): that record is refused, the others merge
    stray = {**voc[0], "source": "csv", "class_names": ["racoon"], "class_ids": [99], "annotation": "labels.csv"}
    with pytest.raises(AnnotationError, match=r"^labels.csv: raccoon-1.jpg: class: box 0: class 'racoon' of source "
                                              r"'csv' is not in the canonical classes \(raccoon, dog\)$"):
        merge_examples(voc + [stray], CANON, MergeConfig())
    res = merge_examples(voc + [stray], QUARANTINE, MergeConfig())
    assert len(res.examples) == 1 and res.examples[0]["source"] == "voc"
    c = res.counts
    assert (c["quarantined_unknown_class"], c["boxes_quarantined"], c["boxes_out"]) == (1, 1, 1)
    check_merge_accounting(res.counts, res.ledger)


def test_preferred_and_low_support_fates_are_accounted():
    a = _view("voc", "x.jpg", 100, 100, [[0.1, 0.1, 0.4, 0.4], [0.6, 0.6, 0.9, 0.9]], ["raccoon", "raccoon"])
    b = _view("csv", "x.jpg", 100, 100, [[0.1, 0.1, 0.4, 0.41], [0.0, 0.6, 0.2, 0.9]], ["raccoon", "dog"])
    c = _view("tfod", "x.jpg", 100, 100, [[0.11, 0.1, 0.4, 0.4]], ["raccoon"])
    pref = merge_image([a, b, c], CANON, MergeConfig(policy="preferred", preferred=("csv", "voc")))
    assert pref.example["source"] == "csv+voc+tfod" and pref.example["class_names"] == ["raccoon", "dog"]
    assert Counter(r["fate"] for r in pref.ledger) == {"kept": 2, "dropped_duplicate": 2, "dropped_not_preferred": 1}
    assert pref.example["box_support"] == [3, 1] and pref.example["box_raters"] == ["csv+voc+tfod", "csv"]
    cons = merge_image([a, b, c], CANON, MergeConfig(policy="consensus", min_score=0.5))
    # the object all three drew is fused (score 1); the two single-source boxes score 1/3: dropped
    assert cons.example["class_names"] == ["raccoon"] and cons.example["box_scores"] == [pytest.approx(1.0)]
    np.testing.assert_allclose(cons.example["boxes"], [[(0.1 + 0.1 + 0.11) / 3, 0.1, 0.4, (0.4 + 0.41 + 0.4) / 3]])
    assert Counter(r["fate"] for r in cons.ledger) == {"kept": 1, "fused": 2, "dropped_low_support": 2}
    for out in (pref, cons):
        check_merge_accounting(out.counts)


def test_detection_demo_sources_merge_into_one_example_per_scene():
    repo = Path(__file__).resolve().parents[1]
    data = repo / "data" / "detection"
    canon = Canonical(("car", "person", "sign"))
    images = str(data / "images")
    sources = [("fleet_coco", "coco", data / "coco" / "annotations.json", {},
                {"automobile": "car", "pedestrian": "person", "traffic_sign": "sign"}),
               ("street_voc", "voc", data / "voc", {}, {}),
               ("drone_yolo", "yolo", data / "yolo" / "labels", {"images": images},
                {"vehicle": "car", "human": "person", "signage": "sign"})]
    views = []
    for name, fmt, path, options, class_map in sources:
        f = get_format(fmt)
        src = Source(name=name, format=fmt, images=images, class_map=class_map)
        views += [unify_record(rec, src, canon, f.NATIVE, f.ORIGIN).example
                  for file in f.list_files(str(path)) for rec in f.read_file(file, **options)]
    assert len(views) == 16  # 15 scenes, street_05 annotated by two sources (as the unifier's demo run shows)
    res = merge_examples(views, canon, MergeConfig(policy="union"), sources=[s[0] for s in sources])
    assert len(res.examples) == 15 and len({e["file"] for e in res.examples}) == 15
    both = next(e for e in res.examples if e["file"] == "street_05.jpg")
    assert both["source"] == "fleet_coco+street_voc"
    assert set(both["box_raters"]) == {"fleet_coco+street_voc"}  # every object drawn by both
    row = res.agreement.set_index(["rater_a", "rater_b", "class"]).loc[("fleet_coco", "street_voc", "all")]
    assert (row.f1, row.tp) == (1.0, row.n_a) and row.mean_iou == pytest.approx(1.0)
    check_merge_accounting(res.counts, res.ledger)


def test_annotators_of_one_source_are_raters_with_provenance():
    a = {**_view("ls", "x.jpg", 100, 100, [[0.1, 0.1, 0.4, 0.4]], ["raccoon"]), "annotator": "alice"}
    b = {**_view("ls", "x.jpg", 100, 100, [[0.1, 0.1, 0.4, 0.42], [0.5, 0.5, 0.9, 0.9]], ["raccoon", "dog"]),
         "annotator": "bob"}
    res = merge_examples([b, a], CANON, MergeConfig(policy="union"))
    ex = res.examples[0]
    assert ex["raters"] == ["ls:alice", "ls:bob"] and ex["box_raters"] == ["ls:alice+ls:bob", "ls:bob"]
    assert ex["box_provenance"][0] == [{"source": "ls", "annotator": "alice", "file": "x.jpg", "box": 0},
                                       {"source": "ls", "annotator": "bob", "file": "x.jpg", "box": 0}]
    assert ex["box_support"] == [2, 1] and ex["box_scores"] == [1.0, 0.5]
    row = res.agreement.set_index(["rater_a", "rater_b", "class"]).loc[("ls:alice", "ls:bob", "all")]
    assert (row.n_a, row.n_b, row.tp, row.f1) == (1, 2, 1, pytest.approx(2 / 3))
    assert res.ledger[["annotator", "fate", "into"]].values.tolist() == [
        ["alice", "kept", 0], ["bob", "dropped_duplicate", 0], ["bob", "kept", 1]]


def test_merge_does_not_depend_on_record_order(raccoon):
    _, views = raccoon
    cfg = MergeConfig(policy="consensus")
    first = merge_examples(views, CANON, cfg)
    perm = np.random.default_rng(0).permutation(len(views))
    again = merge_examples([views[i] for i in perm], CANON, cfg)
    assert [e["sha256"] for e in again.examples] == [e["sha256"] for e in first.examples]
    for a, b in zip(first.examples, again.examples):
        np.testing.assert_array_equal(a["boxes"], b["boxes"])
        assert (a["box_raters"], a["box_scores"], a["files"]) == (b["box_raters"], b["box_scores"], b["files"])
    assert again.ledger.equals(first.ledger) and again.agreement.equals(first.agreement)


def test_labels_merge_cli_on_the_detection_demo_config(tmp_path, capsys):
    """`datalife labels merge CONFIG`: the demo's sources merged as the core merges them
    (15 scenes from 16 records, street_05 by two raters in full agreement); a copy with
    one VOC box of street_05 moved gives one review task holding both raters' boxes."""
    import shutil

    import pandas as pd

    from datalife.cli import main

    repo = Path(__file__).resolve().parents[1]
    data = tmp_path / "data"
    shutil.copytree(repo / "data" / "detection", data)
    text = (repo / "pipeline" / "configs" / "detection.yaml").read_text().replace("../../data/detection", str(data))
    (tmp_path / "c.yaml").write_text(text)
    assert main(["labels", "merge", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "same")]) == 0
    counts = json.loads(capsys.readouterr().out.splitlines()[0])
    assert (counts["views_in"], counts["examples_out"]) == (16, 15)
    boxes = pd.read_csv(tmp_path / "same" / "merged_boxes.csv")
    ledger = pd.read_csv(tmp_path / "same" / "ledger.csv")
    assert len(boxes) == counts["boxes_out"] and len(ledger) == counts["boxes_in"]
    assert set(boxes[boxes.file == "street_05.jpg"].raters) == {"fleet_coco+street_voc"}
    row = pd.read_csv(tmp_path / "same" / "agreement.csv").set_index(["rater_a", "rater_b", "class"]).loc[
        ("fleet_coco", "street_voc", "all")]
    assert row.f1 == 1.0 and not (tmp_path / "same" / "review_tasks.json").exists()
    assert pd.read_csv(tmp_path / "same" / "near_duplicates.csv").empty  # 15 different scenes
    # a re-encoded copy of a scene under another name: near-duplicate (reported), not merged
    img = cv2.imread(str(data / "images" / "street_10.jpg"))
    cv2.imwrite(str(data / "images" / "street_10_copy.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 70])
    label = data / "yolo" / "labels"
    (label / "street_10_copy.txt").write_text((label / "street_10.txt").read_text())
    assert main(["labels", "merge", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "copy")]) == 0
    near = pd.read_csv(tmp_path / "copy" / "near_duplicates.csv")
    assert sorted(near[["file_a", "file_b"]].iloc[0]) == ["street_10.jpg", "street_10_copy.jpg"] and len(near) == 1
    assert len(pd.read_csv(tmp_path / "copy" / "images.csv")) == 16  # kept apart
    (data / "images" / "street_10_copy.jpg").unlink()
    (label / "street_10_copy.txt").unlink()
    xml = data / "voc" / "street_05.xml"
    first = xml.read_text().split("<xmin>")[1].split("</xmin>")[0]
    xml.write_text(xml.read_text().replace(f"<xmin>{first}</xmin>", "<xmin>1</xmin>", 1))  # one box stretched
    assert main(["labels", "merge", str(tmp_path / "c.yaml"), "-o", str(tmp_path / "moved")]) == 0
    [task] = json.loads((tmp_path / "moved" / "review_tasks.json").read_text())
    assert task["data"]["files"] == ["street_05.jpg", "street_05.jpg"] and task["data"]["agreement"] < 1.0
    assert sorted(p["model_version"] for p in task["predictions"]) == ["fleet_coco", "street_voc"]
