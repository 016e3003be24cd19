"""rebalancer: class rebalancing of the train split (oversample, undersample, SMOTE, sample weights; see README.md).

``spec`` imports only pydantic; import ``component`` for the TFX component."""
