"""embedder: adds an embedding feature (image / audio / text) to Examples (see README.md)."""
