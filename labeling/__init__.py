"""datalife.labeling: the pure core of labels.

- weak labeling: ``lfs`` (labeling-function building blocks), ``lf_loader`` (load a
  user's LFs by dotted path), ``applier`` (apply LFs to a batch), ``label_model``
  (Snorkel's LabelModel, majority vote, LF analysis); example LF modules in
  ``examples/``.
- annotation sources: ``boxes`` (box formats), ``formats/`` (readers / writers),
  ``unify`` (one record -> the canonical example), ``convert``.
- label quality: ``merge`` (one example per image across sources: union, consensus,
  preferred source; per-box provenance and ledger), ``box_match`` (IoU, Hungarian
  matching), ``wbf`` (weighted box fusion), ``agreement`` (box P/R/F1, mean IoU,
  confusion, Cohen's / Fleiss' kappa), ``agreement_pictures``, ``near_duplicates``
  (perceptual hash), ``review`` (Label Studio review tasks), ``label_errors``
  (cleanlab from cross-validated probabilities), ``pii`` (personal data masked).

Import the submodule you need; this package imports nothing heavy on its own.
"""
