"""pair_maker: contrastive pairs (two views of one example, two of one class, two classes) from labeled Examples (see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
