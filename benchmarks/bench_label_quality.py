"""Label quality speed, one core, same run: weighted box fusion against ensemble-boxes
(3 sources x ~8 boxes per image, 2,000 images), the per-image merge with agreement, and
PII masking against scrubadub's ``clean`` on the YouTube spam comments.

Run: python -m benchmarks bench_label_quality"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

N_IMAGES = 2000


def _images(rng):
    out = []
    for _ in range(N_IMAGES):
        k = int(rng.integers(3, 12))
        centres, sizes = rng.uniform(0, 0.7, (k, 2)), rng.uniform(0.05, 0.3, (k, 2))
        B, S, L = [], [], []
        for _ in range(3):
            keep = rng.random(k) < 0.85
            B.append(np.clip(np.c_[centres, centres + sizes][keep] + rng.normal(0, 0.01, (keep.sum(), 4)), 0, 1))
            S.append(rng.uniform(0.3, 1, keep.sum()))
            L.append(rng.integers(0, 3, keep.sum()))
        out.append((B, S, L))
    return out


def main() -> list[dict]:
    import hashlib

    from ensemble_boxes import weighted_boxes_fusion as oracle

    from benchmarks.common import best_of, report, single_core
    from datalife.labeling.quality.merge import MergeConfig, merge_image
    from datalife.labeling.unify import Canonical
    from datalife.labeling.quality.wbf import weighted_boxes_fusion

    single_core()
    images = _images(np.random.default_rng(0))
    n_boxes = sum(len(b) for B, _, _ in images for b in B)

    def ours():
        for B, S, L in images:
            weighted_boxes_fusion(B, S, L, iou_thr=0.55)

    def theirs():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for B, S, L in images:
                oracle(B, S, L, iou_thr=0.55)

    t_ref, t_ours = best_of(theirs), best_of(ours)
    rows = [{"what": name, "images_per_s": N_IMAGES / t, "boxes_per_s": n_boxes / t, "x_ensemble_boxes": t_ref / t}
            for name, t in (("ensemble_boxes.weighted_boxes_fusion", t_ref),
                            ("datalife wbf (with members)", t_ours))]
    canon = Canonical(("a", "b", "c"))
    groups = []
    for i, (B, S, L) in enumerate(images):
        sha = hashlib.sha256(str(i).encode()).hexdigest()
        groups.append([{"sha256": sha, "width": 640, "height": 480, "file": f"{i}.jpg", "source": f"s{t}",
                        "boxes": B[t], "class_ids": L[t].tolist(), "class_names": [canon.classes[c] for c in L[t]]}
                       for t in range(3)])
    for policy in ("union", "consensus"):
        cfg = MergeConfig(policy=policy)
        t = best_of(lambda: [merge_image(g, canon, cfg) for g in groups], repeat=2)
        rows.append({"what": f"datalife merge_image {policy} + agreement", "images_per_s": N_IMAGES / t,
                     "boxes_per_s": n_boxes / t, "x_ensemble_boxes": t_ref / t})
    report(f"box fusion and merge, {N_IMAGES} images x 3 sources, {n_boxes} boxes", rows)

    youtube = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "youtube_spam"
    if youtube.is_dir():
        import pandas as pd
        import scrubadub

        from datalife.labeling.quality.pii import mask_texts

        texts = pd.concat([pd.read_csv(p) for p in sorted(youtube.glob("*.csv"))])["CONTENT"].tolist()
        scrubber = scrubadub.Scrubber()
        mask_texts(texts[:10])
        t_ref = best_of(lambda: [scrubber.clean(t) for t in texts], repeat=2)
        t_ours = best_of(lambda: mask_texts(texts), repeat=2)
        pii = [{"what": name, "texts_per_s": len(texts) / t, "x_scrubadub": t_ref / t}
               for name, t in (("scrubadub Scrubber.clean (default detectors)", t_ref),
                               ("datalife mask_texts (6 types)", t_ours))]
        report(f"PII masking, {len(texts)} YouTube comments", pii)
        rows += pii
    return rows


if __name__ == "__main__":
    main()
