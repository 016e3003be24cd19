"""audio_augmenter: seeded waveform augmentation and SpecAugment on Examples (see README.md).

``spec`` imports only pydantic and the core; import ``component`` for the TFX component."""
