"""datalife.labeling.quality: label quality across sources and labelers (pure core).

``merge`` (one example per image across sources: union, consensus, preferred source;
per-box provenance and ledger), ``box_match`` (IoU, Hungarian matching), ``wbf``
(weighted box fusion), ``agreement`` (box P/R/F1, mean IoU, confusion, Cohen's /
Fleiss' kappa), ``agreement_pictures``, ``near_duplicates`` (perceptual hash),
``review`` (Label Studio review tasks), ``label_errors`` (cleanlab from
cross-validated probabilities), ``pii`` (personal data masked). See README.md.
"""
