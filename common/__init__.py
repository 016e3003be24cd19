"""datalife.common: pure helpers every layer may import (the core, the Beam glue, the shell).

They use pydantic, NumPy, pyarrow and tfx_bsl's C++ coders, never TFX, Beam or
TensorFlow, so a Beam worker that imports them starts in a second:

- ``strict``: the one strict pydantic base (``StrictModel``), the hash-bucket split
  type (``HashSplits``) and the one default seed (``DEFAULT_SEED``);
- ``codec``: THE tf.train.Example codec (decode batches to columns / Arrow / pandas,
  encode rows or columns, add features to serialized examples, ``example_key``);
- ``tfrecords``: TFRecord files read and written outside Beam;
- ``splits``: which split a hash puts an item in; evaluation splits are never augmented;
- ``accounting``: counts declared as rules (``rows_in = rows_out + rows_quarantined``),
  checked by one function that raises ``AccountingError``;
- ``quarantine``: the one record format of a quarantined item.

Import the submodule you need; this package imports nothing on its own.
"""
