"""label_unifier: many annotation sources -> one canonical Examples artifact (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
