"""audio_example_gen: a folder of WAV files -> Examples of fixed-length clips (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
