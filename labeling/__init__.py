"""datalife.labeling: the pure core of labels.

- weak labeling: ``lfs`` (labeling-function building blocks), ``lf_loader`` (load a
  user's LFs by dotted path), ``applier`` (apply LFs to a batch), ``label_model``
  (Snorkel's LabelModel, majority vote, LF analysis); example LF modules in
  ``examples/``.
- annotation sources: ``boxes`` (box formats), ``formats/`` (readers / writers),
  ``unify`` (one record -> the canonical example), ``convert``.
- label quality: ``quality/`` (merge across sources, box fusion, agreement, label
  errors, personal data masked; see quality/README.md).

Import the submodule you need; this package imports nothing heavy on its own.
"""
