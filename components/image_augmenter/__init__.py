"""image_augmenter: seeded, box-aware image augmentation of an Examples artifact (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
