"""arrow_example_gen: CSV and JSON lines -> Examples with pyarrow and tfx_bsl (see README.md).

``spec`` imports only pydantic; the reader core (``chunks``, ``cells``, ``column_types``,
``encode``, ``splits``, ``shards``, ``reader``) imports pyarrow, NumPy and tfx_bsl's
encoder but neither Beam nor TFX; import ``component`` for the TFX component."""
