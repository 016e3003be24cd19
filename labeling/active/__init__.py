"""datalife.labeling.active: choose what a person labels next (active learning).

- ``select``: the public API, ``select(df or arrays, labels, strategy, batch_size,
  seed)`` -> the ranked batch as a DataFrame (score and reason per example).
- ``strategies``: model uncertainty (least confidence, margin, entropy) and random.
- ``committee``: query by committee (vote entropy, mean KL) over a seeded bagged committee.
- ``diversity``: near-duplicate rule, k-means, TypiClust-style typicality.
- ``regions``: partition the feature space, spread the batch by each region's uncertainty.
- ``hybrid``: diversity while labels are few, margin later.
- ``classifier``: any scikit-learn classifier by dotted path, probabilities aligned
  to one class vocabulary.
- ``order``: seeded per-key order (tie-breaks and samples that do not depend on row order).
- ``projection``: the 2-D picture of labeled / unlabeled / selected points.
- ``simulate``: a labeling loop with a simulated annotator (benchmarks, tests).

Import the submodule you need; this package imports nothing heavy on its own.
"""
