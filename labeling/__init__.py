"""datalife.labeling: the pure core of labels.

- label unification: ``formats/`` (annotation readers and writers, one module each),
  ``boxes`` (box conventions), ``unify`` (one image's labels -> the canonical form),
  ``convert`` (format to format);
- weak labeling: ``lfs`` (labeling-function building blocks), ``lf_loader`` (load a
  user's LFs by dotted path), ``applier`` (apply LFs to a batch), ``label_model``
  (``LabelModelSpec``, Snorkel's LabelModel, majority vote, LF analysis),
  ``weak_supervision`` (fit on the whole matrix, report); example LF modules in
  ``examples/``.

Import the submodule you need; this package imports nothing heavy on its own.
"""
