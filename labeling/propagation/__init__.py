"""datalife.labeling.propagation: semi-supervised labels through neighbours (pure core).

``knn_graph`` (k nearest neighbours with faiss: exact, IVF, HNSW, chosen by size),
``spreading`` (Zhou et al.'s label spreading on the sparse kNN graph), ``frame``
(``propagate_frame(df, ...)``: quarantine, held-out accuracy, summary).
"""
