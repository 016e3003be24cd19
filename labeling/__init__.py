"""datalife.labeling: the pure core of labels.

- weak labeling: ``lfs`` (labeling-function building blocks), ``lf_loader`` (load a
  user's LFs by dotted path), ``applier`` (apply LFs to a batch), ``label_model``
  (Snorkel's LabelModel, majority vote, LF analysis); example LF modules in
  ``examples/``.
- label propagation: ``knn_graph`` (k nearest neighbours with faiss: exact, IVF, HNSW),
  ``propagation`` (Zhou et al.'s label spreading on the sparse kNN graph),
  ``propagation_frame`` (the DataFrame API: quarantine, held-out accuracy, summary).

Import the submodule you need; this package imports nothing heavy on its own.
"""
