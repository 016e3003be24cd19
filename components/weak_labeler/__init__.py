"""weak_labeler: Snorkel weak supervision as a TFX component (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
