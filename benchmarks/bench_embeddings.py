"""Embeddings: EfficientNet-Lite0 throughput at 224 px on one core, and label
propagation on load_digits in pixel space against EfficientNet-Lite0 embeddings of the
upscaled digits (180 labels, 10 seeds, same run; LR on the 180 labels as reference).

``python -m benchmarks bench_embeddings``.
"""
from __future__ import annotations

import time

import numpy as np


def _throughput(rows: list) -> None:
    from sklearn.datasets import load_sample_images

    from datalife.transforms.embeddings.image import ImageEmbedder

    photos = load_sample_images().images
    rng = np.random.default_rng(0)
    images = []
    for i in range(64):
        img = photos[i % 2]
        top, left = rng.integers(0, img.shape[0] - 224), rng.integers(0, img.shape[1] - 224)
        images.append(img[top:top + 224, left:left + 224])
    for batch in (1, 16, 32):
        emb = ImageEmbedder(batch_size=batch, threads=1, resize="full")
        emb.embed(images[:batch])  # warm-up
        t0, c0 = time.perf_counter(), time.process_time()
        emb.embed(images)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        rows.append({"what": f"EfficientNet-Lite0 embed, 224 px, batch {batch}, 1 thread",
                     "images_per_s_wall": len(images) / wall, "images_per_s_cpu": len(images) / cpu})


def _digits(rows: list) -> None:
    from sklearn.datasets import load_digits
    from sklearn.linear_model import LogisticRegression

    from datalife.labeling.propagation.knn_graph import KnnSpec
    from datalife.labeling.propagation.spreading import propagate_labels
    from datalife.transforms.embeddings.image import ImageEmbedder

    x, y = load_digits(return_X_y=True)
    images = [np.repeat(np.round(d.reshape(8, 8) * 255 / 16).astype(np.uint8)[:, :, None], 3, axis=2) for d in x]
    t0 = time.perf_counter()
    z = ImageEmbedder(batch_size=32, threads=1, resize="full").embed(images)  # 8x8 -> 224x224 bicubic
    rows.append({"what": "embed 1,797 digits (8x8 upscaled to 224)", "seconds": time.perf_counter() - t0})
    spaces = {"pixels, euclidean": (x, "euclidean"), "EfficientNet-Lite0, euclidean": (z, "euclidean"),
              "EfficientNet-Lite0, cosine": (z, "cosine")}
    for name, (features, metric) in spaces.items():
        acc, lr_acc = [], []
        for seed in range(10):
            idx = np.random.default_rng(seed).choice(len(y), 180, replace=False)
            labels = np.full(len(y), -1)
            labels[idx] = y[idx]
            un = labels < 0
            p = propagate_labels(features, labels, 10, knn_spec=KnnSpec(k=7, method="exact", metric=metric))
            acc.append((p.label[un] == y[un]).mean())
            lr = LogisticRegression(max_iter=5000).fit(features[idx], y[idx])
            lr_acc.append((lr.predict(features[un]) == y[un]).mean())
        rows.append({"what": f"digits, 180 labels, 10 seeds: {name}", "propagation_acc": float(np.mean(acc)),
                     "logreg_acc": float(np.mean(lr_acc))})


def main() -> list[dict]:
    from benchmarks.common import report, single_core

    single_core()
    rows: list[dict] = []
    _throughput(rows)
    _digits(rows)
    report("embeddings (one core of a shared 2-core machine)", rows)
    return rows


if __name__ == "__main__":
    main()
