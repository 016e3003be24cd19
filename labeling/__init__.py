"""datalife.labeling: the pure core of labels.

- weak labeling: ``lfs`` (labeling-function building blocks), ``lf_loader`` (load a
  user's LFs by dotted path), ``applier`` (apply LFs to a batch), ``label_model``
  (Snorkel's LabelModel, majority vote, LF analysis); example LF modules in
  ``examples/``.

Import the submodule you need; this package imports nothing heavy on its own.
"""
