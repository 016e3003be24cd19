"""audio_augmenter: seeded waveform augmentation and SpecAugment on Examples (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
