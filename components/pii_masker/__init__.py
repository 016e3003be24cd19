"""pii_masker: personal data in text fields replaced before labeling (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
