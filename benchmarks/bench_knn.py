"""Which kNN search builds the propagation graph: recall against exact search, time and
peak memory of faiss exact / IVF / HNSW (through ``labeling.knn_graph.knn``) and
pynndescent, at 100k and 1M rows x 16 features (Gaussian blobs), same run.

Each case runs in its own process (its own peak RSS). Recall is measured on 2,000
random rows against exact search. hnswlib is not measured: it ships only as a source
distribution here. ``python -m benchmarks bench_knn [--quick]``.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

import numpy as np

D, K = 16, 7
SIZES = (100_000, 1_000_000)
CASES = {
    "exact": dict(method="exact"),
    "ivf (default: lists 2*sqrt(n), probe 24)": dict(method="ivf"),
    "ivf probe 8": dict(method="ivf", ivf_probe=8),
    "hnsw M16 efC40 efS32": dict(method="hnsw", hnsw_m=16, hnsw_ef_construction=40, hnsw_ef_search=32),
    "hnsw M32 efC40 efS32": dict(method="hnsw", hnsw_m=32, hnsw_ef_construction=40, hnsw_ef_search=32),
    "pynndescent": dict(method="pynndescent"),
}
SKIP_AT_1M = ("exact",)  # O(n^2 d): about an hour of one core at 1M


def make_blobs16(n: int, seed: int = 0):
    """[n, 16] float32 blobs (10 centres, sd 4: overlapping) and their centre ids."""
    from sklearn.datasets import make_blobs

    x, y = make_blobs(n_samples=n, n_features=D, centers=10, cluster_std=4.0, random_state=seed)
    return x.astype(np.float32), y


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(name: str, n: int) -> dict:
    import faiss

    from datalife.labeling.propagation.knn_graph import KnnSpec, knn, recall_at_k

    params = dict(CASES[name])
    x, _ = make_blobs16(n)
    queries = np.random.default_rng(1).choice(n, 2000, replace=False)
    flat = faiss.IndexFlatL2(D)
    flat.add(x)
    _, truth = flat.search(x[queries], K + 1)
    del flat
    truth = np.array([[j for j in row if j != q][:K] for row, q in zip(truth, queries)])
    base = peak_rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    if params["method"] == "pynndescent":
        from pynndescent import NNDescent

        nnd = NNDescent(x, n_neighbors=K + 1, random_state=0, n_jobs=1, low_memory=True)
        found = nnd.neighbor_graph[0][:, 1:]
    else:
        found = knn(x, KnnSpec(k=K, threads=1, **params)).indices
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    return {"case": name, "rows": n, "recall": recall_at_k(found[queries], truth), "wall_s": wall, "cpu_s": cpu,
            "peak_rss_mb": peak_rss_mb(), "data_rss_mb": base}


def run_case(name: str, n: int, timeout: float = 1800) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.bench_knn", "--child", name, str(n)]
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=True).stdout
    except subprocess.TimeoutExpired:
        return {"case": name, "rows": n, "note": f"did not finish in {timeout:.0f} s"}
    return json.loads(out.strip().splitlines()[-1])


def main(quick: bool = False) -> list[dict]:
    from benchmarks.common import report

    rows = []
    for n in SIZES[:1] if quick else SIZES:
        for name in CASES:
            if n >= 1_000_000 and name in SKIP_AT_1M:
                continue
            row = run_case(name, n)
            print("  ", row, flush=True)
            rows.append(row)
    report("kNN graph: recall@7 vs time vs memory (1 thread; shared 2-core machine)", rows)
    return rows


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        print(json.dumps(_child(sys.argv[2], int(sys.argv[3]))))
    else:
        main(quick="--quick" in sys.argv)
