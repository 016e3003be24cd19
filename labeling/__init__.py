"""datalife.labeling: the pure core of labels.

- label unification: ``formats/`` (annotation readers and writers, one module each),
  ``boxes`` (box conventions), ``unify`` (one image's labels -> the canonical form),
  ``convert`` (format to format);
- weak labeling: ``lfs`` (labeling-function building blocks), ``lf_loader`` (load a
  user's LFs by dotted path or .py file), ``applier`` (apply LFs to a batch, votes
  checked), ``label_model`` (``LabelModelSpec``, Snorkel's LabelModel, majority vote, LF analysis);
  ``vote_patterns`` (the label matrix as pattern-count statistics: the CombineFn core),
  ``aggregators`` (majority / weighted vote, Dawid-Skene, Snorkel's LabelModel, all
  fitted from statistics), ``aggregate_select`` (score on dev, choose, warnings),
  ``end_model`` (classifier trained on the aggregate labels), ``final_labels``
  (label + label_source per example), ``lf_summary``, ``report_pictures``,
  ``weak_api`` (the notebook API: ``weak_label(df, lfs, ...)``); example LF modules
  in ``examples/``.
- label quality: ``quality/`` (merge across sources, box fusion, agreement, label
  errors, personal data masked; see quality/README.md).
- label propagation: ``propagation/`` (k-nearest-neighbour graph with faiss, label
  spreading on the sparse graph, the DataFrame API).

Import the submodule you need; this package imports nothing heavy on its own.
"""
