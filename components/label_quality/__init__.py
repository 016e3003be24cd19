"""label_quality: likely label errors found with cleanlab, a side branch on validated examples (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
